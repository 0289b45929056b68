package experiment

func (n *NetworkPartitionFault) validate(path string) []FieldError {
	errs := n.Selector.validate(field(path, "selector"))
	if n.Selector.LabelSelector == "" {
		errs = append(errs, fieldErr(field(field(path, "selector"), "labelSelector"), "required: a NetworkPolicy selects pods by label"))
	}
	return append(errs, checkEnum(field(path, "direction"), n.Direction)...)
}
