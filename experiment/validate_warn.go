package experiment

import "gopkg.in/yaml.v3"

// Warnings lists what is valid but likely not what the author meant, with
// field paths, and with lines when data (the document exp was decoded
// from) is given. A warning never stops an experiment; `tempest validate`
// and `tempest run` print them. exp is decoded (defaults applied).
//
// Unlike Validate, workflows never call it, so it may change freely.
func Warnings(exp *Experiment, data []byte) []FieldError {
	var ws []FieldError
	for i, f := range exp.Spec.Faults {
		path := index("spec.faults", i)
		if p := f.Process; p != nil && (p.Action == ProcessKill || p.Action == "") && len(p.Restart) == 0 {
			ws = append(ws, fieldErr(field(path, "process"),
				"fault %s: a kill without process.restart is not restored by the rollback; the target stays down unless something else restarts it", f.Name))
		}
	}
	if len(ws) == 0 || data == nil {
		return ws
	}
	root, err := parseDocument(data)
	if err != nil {
		return ws
	}
	c := converter{lines: map[string]int{"": root.Line}}
	recordLines(root, "", c.lines)
	for i := range ws {
		ws[i].Line = c.lineOf(ws[i].Path)
	}
	sortByLine(ws)
	return ws
}

// recordLines records the line of every mapping key and list element
// under n by field path.
func recordLines(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := field(path, n.Content[i].Value)
			lines[key] = n.Content[i].Line
			recordLines(n.Content[i+1], key, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := index(path, i)
			lines[p] = c.Line
			recordLines(c, p, lines)
		}
	}
}
