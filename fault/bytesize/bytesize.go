// Package bytesize parses the sizes host faults take ("512Mi", "2Gi",
// "500M" or a plain number of bytes), as Kubernetes quantities are
// written: a positive whole number of bytes, at most 8Ei.
package bytesize

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Parse returns the bytes s names, or an error saying what is wrong with
// it (for a field's message: `"12x" is not a size ...`).
func Parse(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with a unit such as 512Mi, 2Gi, 500M)", s)
	}
	n, ok := q.AsInt64()
	switch {
	case !ok || q.Cmp(*resource.NewQuantity(n, resource.BinarySI)) != 0:
		return 0, fmt.Errorf("%q is not a whole number of bytes (at most 8Ei)", s)
	case n <= 0:
		return 0, fmt.Errorf("%q must be more than 0", s)
	}
	return n, nil
}

// Format prints a byte count with a binary unit: "512 B", "3.2 GiB".
func Format(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
