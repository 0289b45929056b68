package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// TablePrefix starts the name of every nftables table this driver adds.
// It differs from network.TablePrefix ("tempest_"), so neither driver
// ever takes the other's tables for its own.
const TablePrefix = "tempestpx_"

// ToxicPrefix starts the name of every toxic this driver adds to a
// named proxy.
const ToxicPrefix = "tempest_"

// injectionHash is 16 hex digits of SHA-256 over run, fault and injection.
func injectionHash(runID, faultName string, injection int) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + faultName + "\x00" + strconv.Itoa(injection)))
	return hex.EncodeToString(sum[:8])
}

// TableName is the redirect table of one injection: TablePrefix and 16
// hex digits of SHA-256 over run ID, fault name and injection number.
func TableName(runID, faultName string, injection int) string {
	return TablePrefix + injectionHash(runID, faultName, injection)
}

// ToxicName is the name of toxic number i of one injection on a named
// proxy: "tempest_RUN_HASH_i", where RUN is the run ID escaped for a URL
// path segment (see escapeRun) and HASH 8 hex digits over run, fault and
// injection. The run ID is in the name, so the toxics a run left are
// found by listing the proxy (see ParseToxicName).
func ToxicName(runID, faultName string, injection, i int) string {
	return toxicPrefix(runID, faultName, injection) + strconv.Itoa(i)
}

// escapeRun keeps a run ID readable in a toxic name while making it safe
// in a URL path segment (the API's router decodes %2F into a '/', which
// would split the segment): bytes other than letters, digits and
// "-._~:@=+" become '!' and two hex digits (so "wf/run" is "wf!2Frun").
func escapeRun(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:@=+", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "!%02X", c)
	}
	return b.String()
}

// unescapeRun reverses escapeRun; ok is false for a string it cannot
// have made.
func unescapeRun(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '!' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		v, err := hex.DecodeString(s[i+1 : i+3])
		if err != nil {
			return "", false
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), true
}

// downMarker is the suffix of the marker toxic a down injection adds
// before it disables a named proxy (so a revert without the State knows
// the proxy was enabled, and that it is Tempest's to enable again).
const downMarker = "down"

func toxicPrefix(runID, faultName string, injection int) string {
	return ToxicPrefix + escapeRun(runID) + "_" + injectionHash(runID, faultName, injection)[:8] + "_"
}

// ParseToxicName returns the run ID in a name ToxicName made; ok is
// false for any other name.
func ParseToxicName(name string) (runID string, ok bool) {
	rest, ok := strings.CutPrefix(name, ToxicPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return "", false
	}
	j := strings.LastIndexByte(rest[:i], '_')
	if j <= 0 || i-j-1 != 8 {
		return "", false
	}
	if _, err := hex.DecodeString(rest[j+1 : i]); err != nil {
		return "", false
	}
	return unescapeRun(rest[:j])
}

// Marker is the comment on the one rule of a redirect table's "marker"
// chain (JSON, at most 250 bytes): it makes a leftover table findable by
// run, and says what it redirected where.
type Marker struct {
	Run        string `json:"run"`
	Fault      string `json:"fault"`
	Injection  int    `json:"injection"`
	Dependency string `json:"dependency,omitempty"`
	// Listen is the embedded proxy's address in the namespace. After a
	// worker crash nothing listens there: the redirect refuses the
	// dependency's new connections until the table is removed.
	Listen string `json:"listen,omitempty"`
}

const maxMarker = 250 // NFT_USERDATA_MAXLEN is 256, with a TLV header and a NUL

func (m Marker) encode() ([]byte, error) {
	for {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		if len(b) <= maxMarker {
			return b, nil
		}
		if m.Fault == "" {
			return nil, fmt.Errorf("run ID too long for the marker (%d bytes)", len(m.Run))
		}
		// The table name is the identity; the marker's fault name is a hint.
		m.Fault = m.Fault[:len(m.Fault)/2]
	}
}
