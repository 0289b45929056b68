package experiment

// SecretRef is a value that may be a secret. "env:NAME" reads environment
// variable NAME on the worker, "file:/path" reads (and trims) a file on the
// worker, "k8s:namespace/name/key" reads a Kubernetes Secret; anything else is
// the literal value. Resolution happens only inside activities, so the
// resolved value never enters workflow history.
type SecretRef string
