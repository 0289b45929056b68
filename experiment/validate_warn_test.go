package experiment

import "testing"

func TestWarningsKillWithoutRestart(t *testing.T) {
	doc := `kind: Experiment
metadata: {name: warn}
spec:
  faults:
    - name: restarted
      duration: 1s
      process: {selector: {port: 8080}, restart: [./target]}
    - name: kill-target
      duration: 1s
      process:
        selector: {port: 8081}
    - name: paused
      duration: 1s
      process: {selector: {port: 8082}, action: pause}
`
	exp, err := Decode("warn.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ws := Warnings(exp, []byte(doc))
	want := "spec.faults[1].process: fault kill-target: a kill without process.restart is not restored by the rollback; the target stays down unless something else restarts it (line 10)"
	if len(ws) != 1 || ws[0].Error() != want {
		t.Fatalf("warnings %v\nwant %s", ws, want)
	}
	if ws := Warnings(exp, nil); len(ws) != 1 || ws[0].Line != 0 {
		t.Fatalf("without the document: %v", ws)
	}
}
