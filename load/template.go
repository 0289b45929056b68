package load

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// template is a URL or body with {{uuid}}, {{seq}}, {{now}} and
// {{choice "a" "b" ...}} placeholders, compiled once and rendered per request.
type template struct {
	parts []part
}

// part is literal text or one placeholder.
type part struct {
	literal string
	action  string   // "", "uuid", "seq", "now" or "choice"
	choices []string // for "choice"
}

// compileTemplate parses s; unknown placeholders are errors.
func compileTemplate(s string) (template, error) {
	var t template
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				t.parts = append(t.parts, part{literal: s})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{literal: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return template{}, fmt.Errorf("unclosed {{ at offset %d", i)
		}
		p, err := parsePlaceholder(strings.TrimSpace(s[i+2 : i+j]))
		if err != nil {
			return template{}, err
		}
		t.parts = append(t.parts, p)
		s = s[i+j+2:]
	}
}

func parsePlaceholder(inner string) (part, error) {
	name, rest, _ := strings.Cut(inner, " ")
	switch name {
	case "uuid", "seq", "now":
		if strings.TrimSpace(rest) != "" {
			return part{}, fmt.Errorf("{{%s}} takes no arguments", name)
		}
		return part{action: name}, nil
	case "choice":
		var choices []string
		rest = strings.TrimSpace(rest)
		for rest != "" {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return part{}, fmt.Errorf("{{choice}}: arguments must be quoted strings: %s", rest)
			}
			v, _ := strconv.Unquote(q)
			choices = append(choices, v)
			rest = strings.TrimSpace(rest[len(q):])
		}
		if len(choices) == 0 {
			return part{}, fmt.Errorf("{{choice}} needs at least one quoted value")
		}
		return part{action: "choice", choices: choices}, nil
	default:
		return part{}, fmt.Errorf("unknown placeholder {{%s}} (known: uuid, seq, now, choice)", inner)
	}
}

// static reports whether the template has no placeholders.
func (t template) static() bool {
	for _, p := range t.parts {
		if p.action != "" {
			return false
		}
	}
	return true
}

// render writes the template for request number seq sent at now.
func (t template) render(b []byte, seq uint64, now time.Time) []byte {
	for _, p := range t.parts {
		switch p.action {
		case "":
			b = append(b, p.literal...)
		case "uuid":
			b = appendUUID(b)
		case "seq":
			b = strconv.AppendUint(b, seq, 10)
		case "now":
			b = now.UTC().AppendFormat(b, time.RFC3339Nano)
		case "choice":
			b = append(b, p.choices[rand.IntN(len(p.choices))]...)
		}
	}
	return b
}

// appendUUID appends a random (version 4) UUID.
func appendUUID(b []byte) []byte {
	var u [16]byte
	_, _ = crand.Read(u[:]) // never fails since Go 1.24
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}
