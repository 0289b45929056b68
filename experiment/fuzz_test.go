package experiment

import (
	"path/filepath"
	"testing"
)

// FuzzDecode: Decode never panics; it either fails or returns a valid
// experiment that survives a JSON round trip unchanged. Seeds are every
// good and bad spec in testdata and the samples.
func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*", "testdata/bad/*.yaml", "../examples/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			f.Add(readFile(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exp, err := Decode("fuzz.yaml", data)
		if err != nil {
			if exp != nil {
				t.Fatal("experiment returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := exp.Validate(); err != nil {
			t.Fatalf("decoded experiment does not validate: %v", err)
		}
		assertRoundTrip(t, exp)
	})
}
