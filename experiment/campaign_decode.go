package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// DocumentKind returns the kind: of a YAML or JSON document ("" when it
// has none), so a caller can choose between Decode and DecodeCampaign.
func DocumentKind(data []byte) (string, error) {
	root, err := parseDocument(data)
	if err != nil {
		return "", err
	}
	if root.Kind != yaml.MappingNode {
		return "", nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == "kind" && v.Kind == yaml.ScalarNode {
			return v.Value, nil
		}
	}
	return "", nil
}

// DecodeCampaign parses a campaign written in YAML or JSON, applies the
// defaults and validates it, reporting every problem as a *SpecError with
// field paths and lines, like Decode. Steps that name experiment files are
// left unresolved: LoadCampaign reads them.
func DecodeCampaign(name string, data []byte) (*Campaign, error) {
	return decodeCampaign(name, data, "")
}

// LoadCampaign reads the campaign file at path, decodes it like
// DecodeCampaign and resolves every step's experiment file relative to the
// campaign file's directory: each is read and decoded now and embedded
// inline, so the campaign's workflow never reads a file. A file that is
// missing, invalid, or itself a campaign (campaigns do not nest, so no
// cycle can form) is a problem of that step, with its field path and line.
func LoadCampaign(path string) (*Campaign, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read campaign: %w", err)
	}
	return decodeCampaign(path, data, filepath.Dir(path))
}

// decodeCampaign decodes; with dir set it also resolves the step files.
func decodeCampaign(name string, data []byte, dir string) (*Campaign, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	c := converter{lines: map[string]int{"": root.Line}}
	value := c.convert(root, reflect.TypeFor[Campaign](), "")
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, &SpecError{Problems: append(c.problems, FieldError{Line: root.Line, Msg: fmt.Sprintf("%s: %v", name, err)})}
	}
	var camp Campaign
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&camp); err != nil {
		return nil, &SpecError{Problems: append(c.problems, FieldError{Line: root.Line, Msg: fmt.Sprintf("%s: %v", name, err)})}
	}
	ApplyCampaignDefaults(&camp)
	problems := c.problems
	for _, p := range camp.validate() {
		if !c.reported(p.Path) {
			p.Line = c.lineOf(p.Path)
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 && dir != "" {
		self, _ := filepath.Abs(name)
		for _, p := range camp.resolve(dir, self) {
			p.Line = c.lineOf(p.Path)
			problems = append(problems, p)
		}
	}
	sortByLine(problems)
	if err := specError(problems); err != nil {
		return nil, err
	}
	return &camp, nil
}

// resolve reads every step's experiment file and embeds it inline.
func (c *Campaign) resolve(dir, self string) []FieldError {
	var errs []FieldError
	load := func(path string, e *StepExperiment) {
		if e.Experiment == "" {
			return
		}
		p := field(path, "experiment")
		exp, err := loadStepFile(dir, self, e.Experiment)
		if err != nil {
			errs = append(errs, FieldError{Path: p, Msg: err.Error()})
			return
		}
		e.Inline, e.Experiment = exp, ""
	}
	for i := range c.Spec.Steps {
		s := &c.Spec.Steps[i]
		path := index(field("spec", "steps"), i)
		if s.Experiment != "" {
			e := StepExperiment{Experiment: s.Experiment}
			load(path, &e)
			if e.Inline != nil {
				s.Inline, s.Experiment = e.Inline, ""
			}
		}
		for k := range s.Parallel {
			load(index(field(path, "parallel"), k), &s.Parallel[k])
		}
	}
	return errs
}

// loadStepFile reads and decodes one step's experiment file.
func loadStepFile(dir, self, name string) (*Experiment, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, name)
	}
	if abs, err := filepath.Abs(path); err == nil && abs == self {
		return nil, fmt.Errorf("%s is this campaign itself: a cycle", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	if kind, err := DocumentKind(data); err == nil && kind == KindCampaign {
		return nil, fmt.Errorf("%s is a campaign: a step runs an experiment, campaigns do not nest", name)
	}
	exp, err := Decode(path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, oneLineError(err))
	}
	return exp, nil
}

// unwrapPath drops the path os errors repeat ("open x: no such file").
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneLineError joins a multi-line spec error with "; ".
func oneLineError(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// StepName is how status and history name step i: its name, else its
// experiment's, else the names of its group joined with "+".
func (c *CampaignSpec) StepName(i int) string {
	s := &c.Steps[i]
	if s.Name != "" {
		return s.Name
	}
	var names []string
	for _, e := range s.Experiments() {
		switch {
		case e.Inline != nil && e.Inline.Metadata.Name != "":
			names = append(names, e.Inline.Metadata.Name)
		case e.Experiment != "":
			names = append(names, strings.TrimSuffix(filepath.Base(e.Experiment), filepath.Ext(e.Experiment)))
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("step-%d", i+1)
	}
	return strings.Join(names, "+")
}
