package experiment

func (n *NodeFault) validate(path string) []FieldError {
	return n.Selector.validateCluster(field(path, "selector"))
}

func (n *NodeDrainFault) validate(path string) []FieldError {
	errs := n.Selector.validateCluster(field(path, "selector"))
	return append(errs, optionalDuration(field(path, "timeout"), n.Timeout)...)
}
