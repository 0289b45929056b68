package compare

import (
	"strings"

	"github.com/tempest-chaos/tempest/compare/jsonpath"
	"github.com/tempest-chaos/tempest/experiment"
)

// Document compares a document (a command's stdout, a response body): the
// value at jsonPath when it is set, else the trimmed text. measured is what
// was compared; pathErr reports a jsonPath that selects nothing, in which
// case nothing was compared.
func Document(c experiment.Comparison, doc []byte, jsonPath string) (measured string, ok bool, detail string, pathErr, err error) {
	measured = strings.TrimSpace(string(doc))
	if jsonPath != "" {
		if measured, pathErr = jsonpath.Extract(doc, jsonPath); pathErr != nil {
			return "", false, "", pathErr, nil
		}
	}
	ok, detail, err = Compare(c, measured)
	return measured, ok, detail, nil, err
}
