package stress

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tempest-chaos/tempest/fault/bytesize"
)

// Defaults of the memory ceiling.
const (
	DefaultMinFreePercent = 10
	DefaultMinFreeBytes   = 512 << 20
)

// memInfo is what the ceiling reads from /proc/meminfo, in bytes.
type memInfo struct {
	Total, Available int64
}

func parseMeminfo(r io.Reader) (memInfo, error) {
	var m memInfo
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n <<= 10
		}
		switch name {
		case "MemTotal":
			m.Total = n
		case "MemAvailable":
			m.Available = n
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.Total == 0 || m.Available == 0 {
		return m, fmt.Errorf("meminfo: no MemTotal or MemAvailable")
	}
	return m, nil
}

func (fs procFS) meminfo() (memInfo, error) {
	f, err := os.Open(filepath.Join(fs.root, "meminfo"))
	if err != nil {
		return memInfo{}, err
	}
	defer f.Close()
	return parseMeminfo(f)
}

// size prints a byte count with a binary unit ("3.2 GiB").
func size(n int64) string { return bytesize.Format(n) }
