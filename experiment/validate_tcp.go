package experiment

func (t *TCPProbe) validate(path string) []FieldError {
	return checkAddress(field(path, "address"), t.Address)
}
