package experiment

func (c *CmdProbe) validate(path string) []FieldError {
	var errs []FieldError
	command := field(path, "command")
	switch {
	case len(c.Command) == 0:
		errs = append(errs, fieldErr(command, "required"))
	case c.Command[0] == "":
		errs = append(errs, fieldErr(index(command, 0), "must name a program"))
	}
	if c.ExitCode != nil && (*c.ExitCode < 0 || *c.ExitCode > 255) {
		errs = append(errs, fieldErr(field(path, "exitCode"), "must be in 0..255"))
	}
	errs = append(errs, validateExtraction(path, "jsonPath", c.JSONPath, "output", c.Output)...)
	return errs
}
