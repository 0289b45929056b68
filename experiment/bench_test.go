package experiment

import "testing"

// BenchmarkDecode decodes, defaults and validates the KubeCon sample spec.
func BenchmarkDecode(b *testing.B) {
	data := readFile(b, "testdata/good/kubecon-pod-delete.yaml")
	for b.Loop() {
		if _, err := Decode("kubecon.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate is the cost a workflow pays for Validate.
func BenchmarkValidate(b *testing.B) {
	exp, err := Decode("kubecon.yaml", readFile(b, "testdata/good/kubecon-pod-delete.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := exp.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
