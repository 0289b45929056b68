package experiment

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// The value rules of the spec, stated once for Validate and for the JSON
// Schema (cmd/schemagen). The ranges and lists below are what Validate
// checks; SchemaRules states the same rules in JSON Schema terms. The
// tests hold the two together: every bad spec in testdata/bad that the
// schema can judge is rejected by it, and for every rule here Validate
// rejects a value that breaks it (TestValidateEnforcesSchemaRules).

// intRange is an inclusive range of integers.
type intRange struct{ min, max int }

func (r intRange) contains(n int) bool { return n >= r.min && n <= r.max }

// Ranges that Validate checks.
var (
	// portRange bounds TCP ports (process selector, tcp probe address).
	portRange = intRange{1, 65535}
	// exitCodeRange bounds a cmd probe's expected exit code.
	exitCodeRange = intRange{0, 255}
	// httpStatusRange bounds an http probe's expected status codes.
	httpStatusRange = intRange{100, 599}
	// percentRange bounds a fault's value with mode percent.
	percentRange = intRange{1, 100}
	// historyRange bounds safety.maxHistoryEvents when set.
	historyRange = intRange{MinHistoryEvents, DefaultMaxHistoryEvents}
)

// Other lists and patterns that Validate checks.
const (
	// dnsLabelPattern is a Kubernetes name (namespace, experiment name).
	dnsLabelPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// maxNameLength bounds metadata.name.
	maxNameLength = 63
	// hostForbidden are the characters a fault's or probe's host may not contain.
	hostForbidden = "@/ \t"
	// headerSeparators are the characters an HTTP header name may not
	// contain, besides controls, space and non-ASCII.
	headerSeparators = `"(),/:;<=>?@[\]{}`
)

// clusterScopedResources are the k8s probe resources without a namespace.
var clusterScopedResources = []string{"Node", "Namespace"}

// Patterns of the schema. Each is valid both as Go (RE2) and as
// ECMA-262 syntax, the dialect of JSON Schema and of editors.
const (
	durationNumber  = `([0-9]+(\.[0-9]*)?|\.[0-9]+)`
	durationNonZero = `([0-9]*[1-9][0-9]*(\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*)`
	durationZero    = `(0+(\.0*)?|\.0+)`
	durationUnit    = `(ns|us|µs|μs|ms|s|m|h)`

	// DurationPattern is a regular expression for a Duration as written in
	// a spec ("15s", "1m30s", "500ms", "0", "-2s"): what time.ParseDuration
	// accepts, short of overflow.
	DurationPattern = `^[-+]?(0|(` + durationNumber + durationUnit + `)+)$`
	// NonNegativeDurationPattern is a Duration >= 0 (Validate: "must be >= 0",
	// or "must be > 0" for an optional duration where 0 means the default).
	NonNegativeDurationPattern = `^(\+?(` + durationNumber + durationUnit + `)+|[-+]?0|-(` + durationZero + durationUnit + `)+)$`
	// PositiveDurationPattern is a Duration > 0 (Validate: "must be > 0"),
	// short of fractions of a nanosecond.
	PositiveDurationPattern = `^\+?(` + durationNumber + durationUnit + `)*` + durationNonZero + durationUnit + `(` + durationNumber + durationUnit + `)*$`
	// zeroDurationPattern is a Duration of 0.
	zeroDurationPattern = `^[-+]?(0|(` + durationZero + durationUnit + `)+)$`

	// portNumber is 1..65535, leading zeros allowed as strconv.Atoi does.
	portNumber = `0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])`
	// addressPattern is host:port as net.SplitHostPort splits it.
	addressPattern = `^(\[[^\[\]]+\]|[^:\[\]]+):\+?` + portNumber + `$`
	// httpURLPattern is an absolute http or https URL with a host.
	httpURLPattern = `^[hH][tT][tT][pP][sS]?://[^/?#]+`
	// methodPattern is an upper-case HTTP method (or none: the default).
	methodPattern = `^[A-Z]*$`
	// envNamePattern is an environment variable name.
	envNamePattern = "^[^=\\x00]+$"
	// ratePattern is a rate as ParseRate reads it; positiveRatePattern one
	// of at least one request.
	rateUnit            = `\s*/\s*(s|m|h|\+?(` + durationNumber + durationUnit + `)*` + durationNonZero + durationUnit + `(` + durationNumber + durationUnit + `)*)\s*$`
	ratePattern         = `^\s*(\+?[0-9]+|-0+)` + rateUnit
	positiveRatePattern = `^\s*\+?0*[1-9][0-9]*` + rateUnit
	// jsonObjectPattern and jsonArrayPattern are what a JSON object or
	// array looks like from outside; Validate parses them.
	jsonObjectPattern = `^\s*\{[\s\S]*\}\s*$`
	jsonArrayPattern  = `^\s*\[[\s\S]*\]\s*$`
	// intPattern is an integer as strconv.ParseInt reads it (base 10);
	// floatPattern a number as strconv.ParseFloat reads it, a little
	// looser (it does not check where '_' and '.' go).
	intPattern   = `^[-+]?[0-9]+$`
	floatPattern = `^[-+]?([0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]+)?|0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][-+]?[0-9_]+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN])$`
)

// Rule is a fragment of JSON Schema (draft 2020-12), with only the
// keywords the spec's rules need.
type Rule struct {
	Type              string           `json:"type,omitempty"`
	Enum              []any            `json:"enum,omitempty"`
	Minimum           *int             `json:"minimum,omitempty"`
	Maximum           *int             `json:"maximum,omitempty"`
	MinLength         *int             `json:"minLength,omitempty"`
	MaxLength         *int             `json:"maxLength,omitempty"`
	Pattern           string           `json:"pattern,omitempty"`
	MinItems          *int             `json:"minItems,omitempty"`
	MaxItems          *int             `json:"maxItems,omitempty"`
	PrefixItems       []*Rule          `json:"prefixItems,omitempty"`
	Items             *Rule            `json:"items,omitempty"`
	Properties        map[string]*Rule `json:"properties,omitempty"`
	PatternProperties map[string]*Rule `json:"patternProperties,omitempty"`
	PropertyNames     *Rule            `json:"propertyNames,omitempty"`
	MinProperties     *int             `json:"minProperties,omitempty"`
	Required          []string         `json:"required,omitempty"`
	AllOf             []*Rule          `json:"allOf,omitempty"`
	AnyOf             []*Rule          `json:"anyOf,omitempty"`
	OneOf             []*Rule          `json:"oneOf,omitempty"`
	Not               *Rule            `json:"not,omitempty"`
	If                *Rule            `json:"if,omitempty"`
	Then              *Rule            `json:"then,omitempty"`
	Else              *Rule            `json:"else,omitempty"`
	// ErrorMessage is what an editor says when the value breaks this
	// rule (a keyword of VS Code's and the YAML language server's).
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// TypeRules are the rules of one spec struct type: Fields by JSON name,
// merged into the field's schema, and Object, rules over several fields
// (one of, only with, required with), added to the type's allOf.
type TypeRules struct {
	Fields map[string]*Rule
	Object []*Rule
}

// SchemaRules returns the value rules of every spec struct type that has
// some, for the JSON Schema.
func SchemaRules() map[reflect.Type]TypeRules {
	probe := reflect.TypeFor[Probe]()
	fault := reflect.TypeFor[Fault]()
	rules := map[reflect.Type]TypeRules{
		reflect.TypeFor[Metadata](): {Fields: map[string]*Rule{
			"name": {Pattern: dnsLabelPattern, MaxLength: ptr(maxNameLength),
				ErrorMessage: fmt.Sprintf("at most %d lower-case letters, digits and '-', starting and ending with a letter or digit", maxNameLength)},
		}},
		reflect.TypeFor[Spec](): {Object: []*Rule{
			{AnyOf: []*Rule{isSet[Spec]("faults"), isSet[Spec]("probes")}},
		}},
		fault: {
			Fields: map[string]*Rule{
				"name":       nonEmpty(),
				"startAfter": nonNegative(),
				"duration":   positive(),
				"interval":   nonNegative(),
				"hold":       nonNegative(),
				"host":       hostName(),
				"cluster":    clusterName(),
			},
			Object: []*Rule{
				when(equals[Fault]("mode", SelectCount), &Rule{Required: []string{"value"}, Properties: map[string]*Rule{"value": atLeast(1)}}),
				when(equals[Fault]("mode", SelectPercent), &Rule{Required: []string{"value"}, Properties: map[string]*Rule{"value": within(percentRange)}}),
				when(not(equals[Fault]("mode", SelectCount, SelectPercent)), &Rule{Properties: map[string]*Rule{"value": {Enum: []any{0}}}}),
				when(isSet[Fault]("host"), &Rule{AnyOf: requiredEach(HostKinds())}),
			},
		},
		reflect.TypeFor[ProcessFault](): {
			Fields: map[string]*Rule{
				"signal":         signalRule(),
				"restart":        {PrefixItems: []*Rule{nonEmpty()}},
				"restartEnv":     {PropertyNames: &Rule{Pattern: envNamePattern}},
				"restartTimeout": nonNegative(),
			},
			Object: []*Rule{
				when(equals[ProcessFault]("action", ProcessPause), all(not(isSet[ProcessFault]("signal")), not(isSet[ProcessFault]("restart")))),
				when(not(isSet[ProcessFault]("restart")), all(not(isSet[ProcessFault]("restartDir")), not(isSet[ProcessFault]("restartEnv")))),
			},
		},
		reflect.TypeFor[ProcessSelector](): {
			Fields: map[string]*Rule{"port": within(intRange{0, portRange.max})},
			Object: []*Rule{{OneOf: []*Rule{isSet[ProcessSelector]("pidFile"), isSet[ProcessSelector]("name"), isSet[ProcessSelector]("port")}}},
		},
		reflect.TypeFor[KubeSelector](): {
			Fields: map[string]*Rule{"names": {Items: nonEmpty()}},
			Object: []*Rule{
				when(isSet[KubeSelector]("ownerKind"), isSet[KubeSelector]("ownerName")),
				when(isSet[KubeSelector]("ownerName"), isSet[KubeSelector]("ownerKind")),
			},
		},
		reflect.TypeFor[PodDeleteFault](): {
			Fields: map[string]*Rule{"selector": namespacedSelector(), "gracePeriod": nonNegative()},
			Object: []*Rule{when(equals[PodDeleteFault]("force", true), &Rule{Properties: map[string]*Rule{"gracePeriod": {Pattern: zeroDurationPattern}}})},
		},
		reflect.TypeFor[ScaleFault](): {Fields: map[string]*Rule{"selector": namespacedSelector(), "replicas": atLeast(0)}},
		reflect.TypeFor[NodeFault]():  {Fields: map[string]*Rule{"selector": clusterSelector()}},
		reflect.TypeFor[NodeDrainFault](): {Fields: map[string]*Rule{
			"selector": clusterSelector(), "timeout": nonNegative(),
		}},
		reflect.TypeFor[NetworkPartitionFault](): {Fields: map[string]*Rule{
			"selector": all(namespacedSelector(), isSet[KubeSelector]("labelSelector")),
		}},
		probe: {
			Fields: map[string]*Rule{
				"name":              nonEmpty(),
				"timeout":           nonNegative(),
				"interval":          nonNegative(),
				"initialDelay":      nonNegative(),
				"retries":           within(intRange{0, MaxRetries}),
				"weight":            atLeast(0),
				"minSuccessPercent": within(intRange{0, 100}),
				"host":              hostName(),
			},
			Object: []*Rule{
				when(equals[Probe]("mode", duringChaosModes()...), &Rule{Properties: map[string]*Rule{"retries": {Enum: []any{0}}}}),
				when(not(equals[Probe]("mode", ModeOnChaos)), not(isSet[Probe]("faults"))),
				when(isSet[Probe]("host"), not(isSet[Probe]("k8s"))),
			},
		},
		reflect.TypeFor[HTTPProbe](): {
			Fields: map[string]*Rule{
				"method":       method(),
				"url":          httpURL(),
				"headers":      headerNames(),
				"expectStatus": {Items: within(httpStatusRange)},
				"maxLatency":   nonNegative(),
			},
			Object: []*Rule{when(isSet[HTTPProbe]("jsonPath"), &Rule{Required: []string{"expect"}})},
		},
		reflect.TypeFor[CmdProbe](): {
			Fields: map[string]*Rule{
				"command":  {MinItems: ptr(1), PrefixItems: []*Rule{nonEmpty()}},
				"exitCode": within(exitCodeRange),
			},
			Object: []*Rule{when(isSet[CmdProbe]("jsonPath"), &Rule{Required: []string{"output"}})},
		},
		reflect.TypeFor[MongoProbe](): {
			Fields: map[string]*Rule{
				"uri":        nonEmpty(),
				"database":   nonEmpty(),
				"collection": nonEmpty(),
				"filter":     {Pattern: orEmpty(jsonObjectPattern), ErrorMessage: `a JSON object such as {"isDelivered": false}`},
				"pipeline":   {Pattern: orEmpty(jsonArrayPattern), ErrorMessage: "a JSON array of stages"},
			},
			Object: []*Rule{
				{
					If:   equals[MongoProbe]("operation", MongoAggregate),
					Then: isSet[MongoProbe]("pipeline"),
					Else: not(isSet[MongoProbe]("pipeline")),
				},
				// operation defaults to count.
				when(not(isSet[MongoProbe]("operation")), not(isSet[MongoProbe]("field"))),
				when(equals[MongoProbe]("operation", MongoCount), not(isSet[MongoProbe]("field"))),
			},
		},
		reflect.TypeFor[PrometheusProbe](): {Fields: map[string]*Rule{
			"url":     httpURL(),
			"query":   nonEmpty(),
			"headers": headerNames(),
		}},
		reflect.TypeFor[PromRange](): {Fields: map[string]*Rule{"window": positive(), "step": nonNegative()}},
		reflect.TypeFor[TCPProbe](): {Fields: map[string]*Rule{"address": {Pattern: addressPattern,
			ErrorMessage: fmt.Sprintf("host:port with a port in %d..%d", portRange.min, portRange.max)}}},
		reflect.TypeFor[K8sProbe](): {
			Fields: map[string]*Rule{
				"resource": nonEmpty(),
				"cluster":  clusterName(),
				"selector": {Properties: map[string]*Rule{"namespace": namespaceOrNone()}},
				"minReady": atLeast(0),
			},
			Object: []*Rule{
				when(equals[K8sProbe]("resource", anys(clusterScopedResources)...), &Rule{Properties: map[string]*Rule{
					"selector": not(isSet[KubeSelector]("namespace")),
				}}),
				when(isSet[K8sProbe]("minReady"), equals[K8sProbe]("condition", K8sReady)),
			},
		},
		reflect.TypeFor[Comparison](): {Object: []*Rule{
			when(equals[Comparison]("op", OpBetween), &Rule{
				Required:   []string{"values"},
				Properties: map[string]*Rule{"values": {MinItems: ptr(2), MaxItems: ptr(2)}, "value": {Enum: []any{""}}},
			}),
			when(equals[Comparison]("op", OpOneOf), &Rule{
				Required:   []string{"values"},
				Properties: map[string]*Rule{"values": {MinItems: ptr(1)}, "value": {Enum: []any{""}}},
			}),
			when(not(equals[Comparison]("op", OpBetween, OpOneOf)), not(isSet[Comparison]("values"))),
			when(equals[Comparison]("type", ValueInt), typedValues("integer", intPattern)),
			when(equals[Comparison]("type", ValueFloat), typedValues("number", floatPattern)),
		}},
		reflect.TypeFor[Load](): {
			Fields: map[string]*Rule{
				"startAfter":  nonNegative(),
				"duration":    nonNegative(),
				"rate":        {Pattern: orEmpty(positiveRatePattern), ErrorMessage: rateMessage + ", N > 0"},
				"maxInFlight": atLeast(0),
				"timeout":     nonNegative(),
				"thresholds":  thresholdRule(),
			},
			Object: []*Rule{
				{
					If:   isSet[Load]("k6"),
					Then: all(not(isSet[Load]("rate")), not(isSet[Load]("stages")), not(isSet[Load]("targets"))),
					Else: all(
						&Rule{OneOf: []*Rule{isSet[Load]("rate"), isSet[Load]("stages")}},
						isSet[Load]("targets"),
						when(not(isSet[Load]("stages")), &Rule{Required: []string{"duration"}, Properties: map[string]*Rule{"duration": positive()}}),
					),
				},
			},
		},
		reflect.TypeFor[LoadStage](): {Fields: map[string]*Rule{"duration": positive(), "target": {Pattern: ratePattern, ErrorMessage: rateMessage}}},
		reflect.TypeFor[LoadTarget](): {Fields: map[string]*Rule{
			"method":  method(),
			"url":     httpURL(),
			"headers": headerNames(),
			"weight":  atLeast(0),
		}},
		reflect.TypeFor[K6Load](): {Fields: map[string]*Rule{"script": nonEmpty()}},
		reflect.TypeFor[Rollback](): {Fields: map[string]*Rule{
			"attemptTimeout": nonNegative(), "deadline": nonNegative(),
		}},
		reflect.TypeFor[Safety](): {Fields: map[string]*Rule{
			"maxDuration":           nonNegative(),
			"maxBlastRadiusPercent": within(intRange{0, 100}),
			"maxHistoryEvents":      {AnyOf: []*Rule{{Enum: []any{0}}, within(historyRange)}},
			"allowNamespaces":       {Items: &Rule{Pattern: dnsLabelPattern}},
		}},
	}
	return rules
}

// typedValues says that a comparison's value (when set) and values are
// of the JSON type, or strings that read as one (checkType).
func typedValues(jsonType, pattern string) *Rule {
	scalar := &Rule{AnyOf: []*Rule{{Type: jsonType}, {Type: "string", Pattern: pattern}}}
	value := &Rule{AnyOf: []*Rule{{Enum: []any{""}}, scalar}}
	return &Rule{Properties: map[string]*Rule{"value": value, "values": {Items: scalar}}}
}

// duringChaosModes are the probe modes that loop during the chaos window.
func duringChaosModes() []any {
	var modes []any
	for _, m := range enumValues()[reflect.TypeFor[ProbeMode]()] {
		if (Probe{Mode: ProbeMode(m)}).RunsDuringChaos() {
			modes = append(modes, m)
		}
	}
	return modes
}

// namespacedSelector is a selector of namespaced objects, as
// KubeSelector.validate checks it.
func namespacedSelector() *Rule {
	names, _ := KubeSelector{}.narrowing()
	var narrow []*Rule
	for _, n := range names {
		narrow = append(narrow, isSet[KubeSelector](n))
	}
	return &Rule{
		Required:   []string{"namespace"},
		Properties: map[string]*Rule{"namespace": {Pattern: dnsLabelPattern}},
		AnyOf:      narrow,
	}
}

// clusterSelector is a selector of nodes, as KubeSelector.validateCluster
// checks it.
func clusterSelector() *Rule {
	return all(
		not(isSet[KubeSelector]("namespace")),
		not(isSet[KubeSelector]("ownerKind")),
		not(isSet[KubeSelector]("ownerName")),
		&Rule{AnyOf: []*Rule{isSet[KubeSelector]("labelSelector"), isSet[KubeSelector]("fieldSelector"), isSet[KubeSelector]("names")}},
	)
}

// namespaceOrNone is an optional namespace name.
func namespaceOrNone() *Rule {
	return &Rule{AnyOf: []*Rule{{MaxLength: ptr(0)}, {Pattern: dnsLabelPattern}}}
}

// headerNames are HTTP header names: tokens.
func headerNames() *Rule {
	var class strings.Builder
	for c := byte('!'); c <= '~'; c++ {
		if !strings.ContainsRune(headerSeparators, rune(c)) {
			class.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return &Rule{PropertyNames: &Rule{Pattern: "^[" + strings.ReplaceAll(class.String(), "-", `\-`) + "]+$", ErrorMessage: "invalid header name"}}
}

// signalRule is a signal as ParseSignal reads it: the names (listed for
// completion) or, in any case and with or without SIG, a name or number.
func signalRule() *Rule {
	signals := linuxSignals()
	names := make([]string, 0, len(signals))
	//workflowcheck:ignore the names are sorted by number below
	for name := range signals {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return signals[names[i]] < signals[names[j]] })
	enum := make([]any, len(names))
	alternatives := make([]string, len(names))
	for i, name := range names {
		enum[i] = "SIG" + name
		alternatives[i] = anyCase(name)
	}
	pattern := `^(\s*(` + anyCase("SIG") + `)?(` + strings.Join(alternatives, "|") + `)\s*|\+?0*([1-9]|[1-5][0-9]|6[0-4]))$`
	return &Rule{AnyOf: []*Rule{{Enum: enum}, {Pattern: orEmpty(pattern)}},
		ErrorMessage: "a signal name such as SIGKILL or SIGTERM, or a number in 1..64"}
}

// anyCase matches s in upper or lower case, letter by letter.
func anyCase(s string) string {
	var b strings.Builder
	for _, c := range s {
		lower, upper := strings.ToLower(string(c)), strings.ToUpper(string(c))
		if lower == upper {
			b.WriteString(regexp.QuoteMeta(string(c)))
			continue
		}
		b.WriteString("[" + upper + lower + "]")
	}
	return b.String()
}

// thresholdRule is load.thresholds as ParseThreshold reads it: known
// metrics with an optional phase tag, each with expressions of its
// aggregates.
func thresholdRule() *Rule {
	aggregates := metricAggregates()
	metrics := make([]string, 0, len(aggregates))
	//workflowcheck:ignore the metrics are sorted below
	for m := range aggregates {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	tag := `(\{\s*phase\s*:\s*(` + strings.Join(thresholdPhases(), "|") + `)\s*\})?\s*$`
	byMetric := map[string]*Rule{}
	for _, m := range metrics {
		var aggs []string
		for _, a := range aggregates[m] {
			if a == "p(N)" {
				a = `p\(\s*[0-9]+(\.[0-9]+)?\s*\)`
			}
			aggs = append(aggs, a)
		}
		unit := ""
		if m == MetricReqDuration {
			unit = durationUnit + `?`
		}
		expr := `^\s*(` + strings.Join(aggs, "|") + `)\s*(<=|>=|===|==|!=|<|>)\s*[-+0-9.eE]+\s*` + unit + `\s*$`
		byMetric[`^\s*`+m+`\s*`+tag] = &Rule{Items: &Rule{Pattern: expr,
			ErrorMessage: fmt.Sprintf("<aggregate> <op> <value>, such as p(95)<500ms; %s has %s", m, strings.Join(aggregates[m], ", "))}}
	}
	return &Rule{
		PropertyNames: &Rule{Pattern: `^\s*(` + strings.Join(metrics, "|") + `)\s*` + tag,
			ErrorMessage: fmt.Sprintf("one of %s, with an optional tag {phase:%s}", strings.Join(metrics, ", "), strings.Join(thresholdPhases(), "|"))},
		PatternProperties: byMetric,
	}
}

// isSet says that field of T is written with a value that is not its
// zero value, which Validate treats as unset.
func isSet[T any](name string) *Rule {
	f, ok := jsonFields(reflect.TypeFor[T]()).byName[name]
	if !ok {
		panic("experiment: no field " + name + " in " + reflect.TypeFor[T]().Name())
	}
	if f.Kind() == reflect.Pointer {
		return &Rule{Required: []string{name}}
	}
	var value *Rule
	switch {
	case f == reflect.TypeFor[Duration]():
		value = not(&Rule{Pattern: zeroDurationPattern})
	case f.Kind() == reflect.String:
		value = nonEmpty()
	case f.Kind() == reflect.Slice:
		value = &Rule{MinItems: ptr(1)}
	case f.Kind() == reflect.Map:
		value = &Rule{MinProperties: ptr(1)}
	case f.Kind() == reflect.Bool:
		value = &Rule{Enum: []any{true}}
	default:
		value = not(&Rule{Enum: []any{0}})
	}
	return &Rule{Required: []string{name}, Properties: map[string]*Rule{name: value}}
}

// equals says that field of T is written with one of values.
func equals[T any](name string, values ...any) *Rule {
	if _, ok := jsonFields(reflect.TypeFor[T]()).byName[name]; !ok {
		panic("experiment: no field " + name + " in " + reflect.TypeFor[T]().Name())
	}
	enum := make([]any, len(values))
	for i, v := range values {
		enum[i] = plain(v)
	}
	return &Rule{Required: []string{name}, Properties: map[string]*Rule{name: {Enum: enum}}}
}

// plain turns a typed string into a string, for JSON.
func plain(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.String {
		return rv.String()
	}
	return v
}

func when(cond, then *Rule) *Rule   { return &Rule{If: cond, Then: then} }
func not(r *Rule) *Rule             { return &Rule{Not: r} }
func all(rules ...*Rule) *Rule      { return &Rule{AllOf: rules} }
func orEmpty(pattern string) string { return "^$|" + pattern }
func nonEmpty() *Rule               { return &Rule{MinLength: ptr(1)} }
func positive() *Rule {
	return &Rule{Pattern: PositiveDurationPattern, ErrorMessage: `a duration > 0 with a unit, such as "15s" or "1m30s"`}
}

func nonNegative() *Rule {
	return &Rule{Pattern: NonNegativeDurationPattern, ErrorMessage: `a duration >= 0 with a unit, such as "15s" or "1m30s"`}
}

// rateMessage says what a rate looks like.
const rateMessage = `a rate N/s, N/m, N/h or N/<duration>, such as "100/s"`

func hostName() *Rule {
	return &Rule{Pattern: "^[^" + regexp.QuoteMeta(hostForbidden) + "]*$", ErrorMessage: "a host name (no '@', '/' or spaces)"}
}

// clusterName is a cluster: name: no '@', '/' or spaces, and not
// "long", which names the long-activity queues.
func clusterName() *Rule {
	return &Rule{Pattern: "^[^" + regexp.QuoteMeta(hostForbidden) + "]*$", Not: &Rule{Enum: []any{"long"}},
		ErrorMessage: `a cluster name (no '@', '/' or spaces; not "long")`}
}

func httpURL() *Rule {
	return &Rule{Pattern: httpURLPattern, ErrorMessage: "an absolute http or https URL such as http://127.0.0.1:8080/"}
}

func method() *Rule {
	return &Rule{Pattern: methodPattern, ErrorMessage: "an HTTP method such as GET or POST"}
}
func atLeast(n int) *Rule     { return &Rule{Minimum: ptr(n)} }
func within(r intRange) *Rule { return &Rule{Minimum: ptr(r.min), Maximum: ptr(r.max)} }
func ptr[T any](v T) *T       { return &v }

// requiredEach is one rule per kind: the kind's block is written.
func requiredEach[K ~string](kinds []K) []*Rule {
	rules := make([]*Rule, len(kinds))
	for i, k := range kinds {
		rules[i] = &Rule{Required: []string{string(k)}}
	}
	return rules
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
