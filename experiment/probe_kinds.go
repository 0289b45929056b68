package experiment

// HTTPProbe sends one HTTP request and checks the response.
type HTTPProbe struct {
	// Method defaults to GET.
	Method string `json:"method,omitempty"`
	URL    string `json:"url"`
	// Headers; values may be secret references ("env:TOKEN").
	Headers map[string]SecretRef `json:"headers,omitempty"`
	Body    string               `json:"body,omitempty"`
	// ExpectStatus lists accepted status codes (default [200]).
	ExpectStatus []int `json:"expectStatus,omitempty"`
	// BodyContains must appear in the response body.
	BodyContains string `json:"bodyContains,omitempty"`
	// BodyMatches is a regular expression the body must match.
	BodyMatches string `json:"bodyMatches,omitempty"`
	// JSONPath selects a value of a JSON body ("$.status", "items[0].count")
	// that Expect compares.
	JSONPath string      `json:"jsonPath,omitempty"`
	Expect   *Comparison `json:"expect,omitempty"`
	// MaxLatency fails a response slower than this.
	MaxLatency Duration `json:"maxLatency,omitempty"`
	// InsecureSkipVerify skips TLS certificate checks.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// CmdProbe runs a command and checks its output and exit code.
type CmdProbe struct {
	// Command is an argv; it runs without a shell unless Shell is true, in
	// which case Command[0] is a script for /bin/sh -c.
	Command []string             `json:"command"`
	Shell   bool                 `json:"shell,omitempty"`
	Env     map[string]SecretRef `json:"env,omitempty"`
	Dir     string               `json:"dir,omitempty"`
	// ExitCode expected (default 0 unless Output is set).
	ExitCode *int `json:"exitCode,omitempty"`
	// JSONPath selects a value from JSON output to compare.
	JSONPath string `json:"jsonPath,omitempty"`
	// Output compares the trimmed stdout (or the JSONPath value).
	Output *Comparison `json:"output,omitempty"`
}

// MongoOperation is what a mongo probe asks.
type MongoOperation string

// Mongo operations.
const (
	MongoCount     MongoOperation = "count"
	MongoFind      MongoOperation = "find"
	MongoAggregate MongoOperation = "aggregate"
)

// MongoProbe queries MongoDB (or anything speaking its wire protocol).
type MongoProbe struct {
	// URI is the connection string, usually a secret reference ("env:MONGO_URI").
	URI        SecretRef `json:"uri"`
	Database   string    `json:"database"`
	Collection string    `json:"collection"`
	// Operation is count (default), find or aggregate.
	Operation MongoOperation `json:"operation,omitempty"`
	// Filter in MongoDB extended JSON ({"isDelivered": false}).
	Filter string `json:"filter,omitempty"`
	// Pipeline is an aggregation pipeline in extended JSON.
	Pipeline string `json:"pipeline,omitempty"`
	// Field of the first document found compared by Expect (find, aggregate).
	Field  string     `json:"field,omitempty"`
	Expect Comparison `json:"expect"`
}

// Reduction turns a range query's series into one value.
type Reduction string

// Reductions.
const (
	ReduceMin  Reduction = "min"
	ReduceMax  Reduction = "max"
	ReduceAvg  Reduction = "avg"
	ReduceLast Reduction = "last"
)

// EmptyResult says how an empty query result is judged.
type EmptyResult string

// Empty-result policies.
const (
	EmptyFail EmptyResult = "fail"
	EmptyPass EmptyResult = "pass"
)

// PrometheusProbe runs a PromQL query and compares its value.
type PrometheusProbe struct {
	// URL of the Prometheus server ("http://127.0.0.1:9090").
	URL     string               `json:"url"`
	Query   string               `json:"query"`
	Headers map[string]SecretRef `json:"headers,omitempty"`
	// Range makes it a range query over the last Range.Window.
	Range  *PromRange `json:"range,omitempty"`
	Expect Comparison `json:"expect"`
	// OnEmpty judges an empty vector (default fail).
	OnEmpty EmptyResult `json:"onEmpty,omitempty"`
}

// PromRange is a range query reduced to one value.
type PromRange struct {
	Window Duration  `json:"window"`
	Step   Duration  `json:"step,omitempty"`
	Reduce Reduction `json:"reduce"`
}

// TCPProbe connects to an address, optionally sends bytes and expects a reply.
type TCPProbe struct {
	// Address is host:port.
	Address string `json:"address"`
	Send    string `json:"send,omitempty"`
	// Expect must appear in what the peer sends back.
	Expect string `json:"expect,omitempty"`
}

// K8sCondition is what a k8s probe checks.
type K8sCondition string

// Kubernetes probe conditions.
const (
	K8sPresent K8sCondition = "present"
	K8sAbsent  K8sCondition = "absent"
	// K8sReady: a workload's readyReplicas equals its spec.replicas, or at
	// least MinReady pods matching the selector are Ready.
	K8sReady K8sCondition = "ready"
)

// K8sProbe checks Kubernetes resources.
type K8sProbe struct {
	// Cluster routes the probe to that cluster's workers.
	Cluster string `json:"cluster,omitempty"`
	// Resource kind: Pod, Deployment, StatefulSet, Node, ...
	Resource  string       `json:"resource"`
	Selector  KubeSelector `json:"selector"`
	Condition K8sCondition `json:"condition"`
	// MinReady is the number of Ready pods needed for condition ready on pods.
	MinReady int `json:"minReady,omitempty"`
}
