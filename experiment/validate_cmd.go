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
	if c.ExitCode != nil && !exitCodeRange.contains(*c.ExitCode) {
		errs = append(errs, fieldErr(field(path, "exitCode"), "must be in %d..%d", exitCodeRange.min, exitCodeRange.max))
	}
	errs = append(errs, validateExtraction(path, "jsonPath", c.JSONPath, "output", c.Output)...)
	return errs
}
