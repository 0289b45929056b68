package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestPatternsAgreeWithParsers holds each pattern of the schema to the Go
// code that Validate runs: on every sample, both accept or both refuse,
// except where the pattern is knowingly looser (listed with the reason).
func TestPatternsAgreeWithParsers(t *testing.T) {
	durations := []string{
		"0", "+0", "-0", "0s", "-0s", "+0s", "0.0s", ".0s", "0.s", "00h0m", "-0.000ms",
		"1ns", "15s", "+15s", "-15s", "1m30s", "-1m30s", "0h1s", "1.5h", ".5s", "1.s", "500ms", "10us", "3µs", "3μs", "0.5ns",
		"", "s", "15", "-", "+", ".s", "1 s", "1d", "15sec", "1S", "--1s", "1s-2s", "1s ", " 1s",
	}
	parses := func(s string) (time.Duration, bool) {
		d, err := time.ParseDuration(s)
		return d, err == nil
	}
	checkPattern(t, "DurationPattern", DurationPattern, durations, func(s string) bool {
		_, ok := parses(s)
		return ok
	}, nil)
	checkPattern(t, "NonNegativeDurationPattern", NonNegativeDurationPattern, durations, func(s string) bool {
		d, ok := parses(s)
		return ok && d >= 0
	}, nil)
	checkPattern(t, "PositiveDurationPattern", PositiveDurationPattern, durations, func(s string) bool {
		d, ok := parses(s)
		return ok && d > 0
	}, map[string]string{"0.5ns": "a fraction of a nanosecond is 0"})
	checkPattern(t, "zeroDurationPattern", zeroDurationPattern, durations, func(s string) bool {
		d, ok := parses(s)
		return ok && d == 0
	}, map[string]string{"0.5ns": "a fraction of a nanosecond is 0"})

	signals := []string{"SIGKILL", "KILL", "kill", "sigterm", "SigTerm", " SIGTERM ", "9", "+9", "09", "64", "1",
		"0", "65", "-9", " 9", "SIGFOO", "SIG", "", "SIGKILL9", "SIG KILL", "SIGRTMIN", "STKFLT", "SIGSYS"}
	signal := regexp.MustCompile(signalRule().AnyOf[1].Pattern)
	for _, s := range signals {
		_, err := ParseSignal(s)
		if got := signal.MatchString(s); got != (err == nil || s == "") { // "": the default
			t.Errorf("signal pattern on %q: %v, ParseSignal: %v", s, got, err)
		}
	}
	for _, name := range signalRule().AnyOf[0].Enum {
		if _, err := ParseSignal(name.(string)); err != nil {
			t.Errorf("signal enum value %q: %v", name, err)
		}
	}

	addresses := []string{"127.0.0.1:8080", "h:1", "h:65535", "h:065535", "h:+80", "[::1]:80", "[fe80::1%eth0]:443",
		"h:0", "h:65536", "h:-1", "h:", ":80", "h", "[]:80", "a:b:80", "[::1]", "h:80x", "h:8 0", "[::1]:0"}
	checkPattern(t, "addressPattern", addressPattern, addresses, func(s string) bool { return checkAddress("a", s) == nil }, nil)

	rates := []string{"100/s", "6000/m", "5/h", "10/500ms", " 10 / s ", "+10/s", "0/s", "-0/s", "00/m", "1/1h30m",
		"", "10", "10/", "/s", "-1/s", "10/0s", "10/-1s", "ten/s", "10/d", "10/sec", "1.5/s", "100 per second", "10/s/s"}
	checkPattern(t, "ratePattern", ratePattern, rates, func(s string) bool {
		_, err := ParseRate(s)
		return err == nil
	}, nil)
	checkPattern(t, "positiveRatePattern", positiveRatePattern, rates, func(s string) bool {
		r, err := ParseRate(s)
		return err == nil && r.Freq > 0
	}, nil)

	headers := []string{"X-Token", "Authorization", "a!#$%&'*+-.^_`|~z", "", "Bad Header", "a:b", "a\tb", "é", "a(b)", "a{b}", "a\"b", "a\\b", "a/b"}
	checkPattern(t, "header names", headerNames().PropertyNames.Pattern, headers, func(s string) bool {
		return checkHeaders("h", map[string]SecretRef{s: "x"}) == nil
	}, nil)

	ints := []string{"0", "-1", "+7", "0042", "9223372036854775807", "99999999999999999999", "", "1.0", "1e3", "x", " 1", "1_000", "0x1F"}
	checkPattern(t, "intPattern", intPattern, ints, func(s string) bool {
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	}, map[string]string{"99999999999999999999": "looser: the range of int64 is not checked"})
	floats := []string{"0", "-1.5", "+.5", "5.", "1e3", "1E-3", "0x1p-2", "0x_1p0", "1_000", "inf", "-Infinity", "NaN", "nan",
		"", ".", "e3", "1e", "x", " 1", "1.5.5", "0x", "infinit", "1,5", "--1"}
	checkPattern(t, "floatPattern", floatPattern, floats, func(s string) bool {
		_, err := strconv.ParseFloat(s, 64)
		return err == nil
	}, map[string]string{"": "looser", ".": "looser", "e3": "looser", "1e": "looser", "0x": "looser", "1.5.5": "looser"})

	names := []string{"a", "a-b", "a1", "1a", "", "-a", "a-", "A", "a.b", "a_b", strings.Repeat("a", 64)}
	checkPattern(t, "dnsLabelPattern", dnsLabelPattern, names, dnsLabel.MatchString, nil)

	metrics := []string{"http_req_duration", "http_req_failed", "http_reqs", " http_reqs ", "http_req_failed{phase:chaos}",
		"http_req_duration{ phase : recovery }", "http_req_duration{phase:during}", "http_req_duration{tag:chaos}", "vus", "http_req_duration{}", ""}
	metricNames := regexp.MustCompile(thresholdRule().PropertyNames.Pattern)
	for _, m := range metrics {
		_, err := ParseThreshold(m, "count>0")
		_, err2 := ParseThreshold(m, "rate<1")
		_, err3 := ParseThreshold(m, "avg<1")
		valid := err == nil || err2 == nil || err3 == nil
		if got := metricNames.MatchString(m); got != valid {
			t.Errorf("threshold metric pattern on %q: %v, ParseThreshold: %v %v %v", m, got, err, err2, err3)
		}
	}
	exprs := []string{"p(95)<500ms", "p( 99.9 ) <= 2s", "avg<200", "med>=1", "min==0", "max===3", "rate<0.01", "count>100", "rate != 1",
		"p95 < 1s", "p(95)<", "avg<<1", "rate<1ms", "count>1s", "avg<1d", "avg<1x", "sum<1", "p(95)<1e3", ""}
	for pattern, rule := range thresholdRule().PatternProperties {
		re, expr := regexp.MustCompile(pattern), regexp.MustCompile(rule.Items.Pattern)
		metric := ""
		for _, m := range []string{MetricReqDuration, MetricReqFailed, MetricReqs} {
			if re.MatchString(m) {
				metric = m
			}
		}
		if metric == "" {
			t.Fatalf("threshold pattern %q matches no metric", pattern)
		}
		for _, e := range exprs {
			_, err := ParseThreshold(metric, e)
			if got := expr.MatchString(e); got != (err == nil) && !(got && metric == MetricReqDuration && e == "avg<1d") {
				t.Errorf("%s expression pattern on %q: %v, ParseThreshold: %v", metric, e, got, err)
			}
		}
	}
}

// checkPattern compares pattern with valid on every sample, except the
// samples listed in differ, with the reason.
func checkPattern(t *testing.T, name, pattern string, samples []string, valid func(string) bool, differ map[string]string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, s := range samples {
		got, want := re.MatchString(s), valid(s)
		if _, ok := differ[s]; ok && got != want {
			continue
		}
		if got != want {
			t.Errorf("%s on %q: pattern %v, Validate %v", name, s, got, want)
		}
	}
}

// TestValidateEnforcesSchemaRules: whatever the schema refuses, Validate
// refuses too, so an editor never flags a spec that `tempest validate`
// accepts. In every good spec it writes values around the limits into
// every field (each kind block's fields too), and wherever the committed
// schema refuses the experiment, or the field's own rule in SchemaRules
// (compiled alone) refuses the value, Validate must refuse the experiment.
// Every field rule must be reached by some good spec.
func TestValidateEnforcesSchemaRules(t *testing.T) {
	schema := compileSchema(t)
	rules := SchemaRules()
	compiled := map[*Rule]*jsonschema.Schema{}
	for _, tr := range rules {
		for _, r := range tr.Fields {
			compiled[r] = compileRule(t, r)
		}
	}
	files, err := filepath.Glob("testdata/good/*")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, file := range files {
		exp, err := Decode(file, readFile(t, file))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(v reflect.Value, path string)
		walk = func(v reflect.Value, path string) {
			switch v.Kind() {
			case reflect.Pointer:
				if !v.IsNil() {
					walk(v.Elem(), path)
				}
			case reflect.Slice:
				if v.Type().Elem().Kind() == reflect.Struct {
					for i := range v.Len() {
						walk(v.Index(i), index(path, i))
					}
				}
			case reflect.Struct:
				tr := rules[v.Type()]
				for i := range v.NumField() {
					f := v.Field(i)
					name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
					if name == "-" {
						continue // Fault.Block: a registered kind's own package checks it
					}
					p := field(path, name)
					if r := tr.Fields[name]; r != nil {
						covered[v.Type().Name()+"."+name] = true
						if f.Kind() != reflect.Struct {
							checkField(t, schema, exp, f, p, compiled[r])
						}
					} else if !isBlock(f.Type()) {
						checkField(t, schema, exp, f, p, nil)
					}
					walk(f, p)
				}
			}
		}
		walk(reflect.ValueOf(exp).Elem(), "")
	}
	for typ, tr := range rules {
		for name, r := range tr.Fields {
			if !covered[typ.Name()+"."+name] {
				t.Errorf("no good spec has %s (rule %s): add one, so that its rule is checked", typ.Name()+"."+name, ruleJSON(r))
			}
		}
	}
}

// isBlock tells a struct or a pointer to one, or a list of them: a block
// whose own fields are checked.
func isBlock(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// checkField writes each sample value of the field's type into f and
// checks that Validate refuses the experiment wherever the schema or the
// field's rule (if any) refuses it; then it restores f.
func checkField(t *testing.T, schema *jsonschema.Schema, exp *Experiment, f reflect.Value, path string, rule *jsonschema.Schema) {
	t.Helper()
	saved := reflect.ValueOf(f.Interface())
	defer f.Set(saved)
	for _, sample := range samplesOf(f.Type(), rule != nil) {
		f.Set(sample)
		// Validate may name another field (rate set along with stages is
		// reported at stages): what matters is that it refuses the spec.
		if exp.Validate() != nil {
			continue
		}
		refused := rule != nil && rule.Validate(jsonValue(t, sample.Interface())) != nil
		if refused || schema.Validate(jsonValue(t, exp)) != nil {
			t.Errorf("%s = %s: the schema refuses it, Validate accepts it", path, jsonText(t, sample.Interface()))
		}
	}
}

func jsonText(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func jsonValue(t *testing.T, v any) any {
	t.Helper()
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(jsonText(t, v)))
	if err != nil {
		t.Fatal(err)
	}
	return value
}

// samplesOf are values of type t around the spec's limits; fewer strings
// for a field without a rule of its own.
func samplesOf(t reflect.Type, ruled bool) []reflect.Value {
	strs := stringSamples()
	if !ruled {
		strs = []string{"", "x", "a b"}
	}
	var out []reflect.Value
	add := func(v any) { out = append(out, reflect.ValueOf(v).Convert(t)) }
	enums := EnumValues()
	switch {
	case t == reflect.TypeFor[Duration]():
		for _, d := range []time.Duration{-time.Hour, -1, 0, 1, time.Second, time.Hour} {
			add(Duration(d))
		}
	case t == reflect.TypeFor[*Duration]():
		for _, d := range []time.Duration{-time.Hour, -1, 0, 1, time.Second} {
			out = append(out, reflect.ValueOf(ptr(Duration(d))))
		}
	case t == reflect.TypeFor[*int]():
		for _, n := range intSamples() {
			out = append(out, reflect.ValueOf(ptr(n)))
		}
	case t == reflect.TypeFor[*bool]():
		out = append(out, reflect.ValueOf(ptr(true)), reflect.ValueOf(ptr(false)))
	case t.Kind() == reflect.Bool:
		add(true)
		add(false)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int32 || t.Kind() == reflect.Float64:
		for _, n := range intSamples() {
			add(n)
		}
	case enums[t] != nil:
		for _, v := range append(enums[t], "", "x") {
			add(v)
		}
	case t.Kind() == reflect.String:
		for _, s := range strs {
			add(s)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		for _, s := range strs {
			for _, list := range [][]string{{s}, {"x", s}} {
				v := reflect.MakeSlice(t, len(list), len(list))
				for i, e := range list {
					v.Index(i).SetString(e)
				}
				out = append(out, v)
			}
		}
		out = append(out, reflect.Zero(t))
	case t == reflect.TypeFor[[]int]():
		for _, n := range intSamples() {
			add([]int{n})
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		for _, s := range strs {
			m := reflect.MakeMap(t)
			elem := reflect.New(t.Elem()).Elem()
			if elem.Kind() == reflect.String {
				elem.SetString("x")
			}
			if elem.Kind() == reflect.Slice {
				elem = reflect.ValueOf([]string{"avg<1", "rate<1", "count>1", "p(95)<1s"})
			}
			m.SetMapIndex(reflect.ValueOf(s).Convert(t.Key()), elem)
			out = append(out, m)
		}
	default:
		panic(fmt.Sprintf("no samples of %s", t))
	}
	return out
}

func intSamples() []int {
	return []int{-65536, -1, 0, 1, 2, 49, 50, 99, 100, 101, 255, 256, 599, 600, 1000, 1001, 40000, 40001, 65535, 65536}
}

func stringSamples() []string {
	return []string{
		"", " ", "x", "X", "a-b", "-a", "a b", "a@b", "a/b", "a=b", "GET", "get",
		"http://h/", "HTTP://h:1/x", "https://h", "ftp://h", "http://", "h", "h:80", "h:0", "h:65536", "[::1]:80", ":80",
		"SIGKILL", "sigterm", " TERM ", "9", "0", "65", "SIGFOO", "{}", `{"a": 1}`, "{", "[]", "[{}]", "10/s", "0/s", "fast",
		"http_req_duration", "http_req_failed{phase:chaos}", "http_reqs{phase:during}", "vus",
		"Node", "Namespace", "Pod", "X-Token", "Bad Header", strings.Repeat("a", 64),
	}
}

func compileRule(t *testing.T, r *Rule) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(ruleJSON(r)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("rule.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("rule.json")
	if err != nil {
		t.Fatalf("compile %s: %v", ruleJSON(r), err)
	}
	return s
}

func ruleJSON(r *Rule) string {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// TestEveryDurationHasARule: each Duration field of the spec states its
// sign in SchemaRules (positive or nonNegative), so that a new duration
// field gets its rule in the schema too.
func TestEveryDurationHasARule(t *testing.T) {
	rules := SchemaRules()
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t2 reflect.Type) {
		for t2.Kind() == reflect.Pointer || t2.Kind() == reflect.Slice || t2.Kind() == reflect.Map {
			t2 = t2.Elem()
		}
		if t2.Kind() != reflect.Struct || seen[t2] {
			return
		}
		seen[t2] = true
		for i := range t2.NumField() {
			f := t2.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if (f.Type == reflect.TypeFor[Duration]() || f.Type == reflect.TypeFor[*Duration]()) && rules[t2].Fields[name] == nil {
				t.Errorf("%s.%s is a Duration without a rule: add positive() or nonNegative() to SchemaRules", t2.Name(), name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Experiment]())
}
