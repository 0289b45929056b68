package mongoprobe

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/tempest-chaos/tempest/compare"
	"github.com/tempest-chaos/tempest/compare/jsonpath"
	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/secret"
)

var _ probe.Prober = (*Prober)(nil)

// Prober observes mongo probes. It is safe for concurrent use.
type Prober struct {
	resolver secret.Resolver

	mu sync.Mutex
	// clients by resolved URI; the key is a secret and never leaves the struct.
	clients map[string]*mongo.Client
}

// New returns a Prober resolving URIs with resolver. Call Close when done.
func New(resolver secret.Resolver) *Prober {
	return &Prober{resolver: resolver, clients: make(map[string]*mongo.Client)}
}

// Close disconnects every cached client.
func (pr *Prober) Close(ctx context.Context) error {
	pr.mu.Lock()
	clients := pr.clients
	pr.clients = make(map[string]*mongo.Client)
	pr.mu.Unlock()
	var errs []error
	for _, c := range clients {
		if err := c.Disconnect(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mongoprobe: disconnect: %w", err)
	}
	return nil
}

// query is a probe block parsed and ready to run.
type query struct {
	spec     *experiment.MongoProbe
	op       experiment.MongoOperation
	filter   bson.D
	pipeline []bson.D
}

func parse(p experiment.Probe) (query, error) {
	m := p.Mongo
	if m == nil {
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo block missing", p.Name)
	}
	q := query{spec: m, op: m.Operation, filter: bson.D{}}
	if q.op == "" {
		q.op = experiment.MongoCount
	}
	switch {
	case m.URI == "":
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.uri: required", p.Name)
	case !secret.IsReference(m.URI):
		// An inline URI can be checked now; a reference only on the worker.
		if _, err := connstring.ParseAndValidate(string(m.URI)); err != nil {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.uri %s: %s", p.Name, label(m.URI), secret.Redact(err.Error(), secretsOf(string(m.URI))...))
		}
	}
	switch {
	case m.Database == "":
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.database: required", p.Name)
	case m.Collection == "":
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.collection: required", p.Name)
	}
	switch q.op {
	case experiment.MongoCount, experiment.MongoFind:
		if m.Pipeline != "" {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.pipeline: only for operation aggregate", p.Name)
		}
		if strings.TrimSpace(m.Filter) != "" {
			if err := bson.UnmarshalExtJSON([]byte(m.Filter), false, &q.filter); err != nil {
				return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.filter: not extended JSON: %w", p.Name, err)
			}
		}
		if q.op == experiment.MongoCount && m.Field != "" {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.field: not used by operation count (use find)", p.Name)
		}
	case experiment.MongoAggregate:
		if m.Filter != "" {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.filter: not used by aggregate (put a $match stage in the pipeline)", p.Name)
		}
		// Extended JSON must be a document at the top level: wrap the array.
		var wrapped struct {
			Pipeline []bson.D `bson:"pipeline"`
		}
		if err := bson.UnmarshalExtJSON([]byte(`{"pipeline":`+m.Pipeline+`}`), false, &wrapped); err != nil || m.Pipeline == "" {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.pipeline: want an extended JSON array of stages: %v", p.Name, err)
		}
		q.pipeline = wrapped.Pipeline
	default:
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.operation: unknown %q (want count, find or aggregate)", p.Name, q.op)
	}
	if m.Field != "" {
		if err := jsonpath.Validate(m.Field); err != nil {
			return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.field: %w", p.Name, err)
		}
	}
	if err := compare.Validate(m.Expect); err != nil {
		return query{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.expect.%w", p.Name, err)
	}
	return q, nil
}

// Observe runs the query once and compares its result.
func (pr *Prober) Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error) {
	q, err := parse(p)
	if err != nil {
		return experiment.Observation{}, err
	}
	uri, err := pr.resolver.Resolve(ctx, q.spec.URI)
	if err != nil {
		return experiment.Observation{}, fmt.Errorf("probe %s: mongo.uri: %w", p.Name, err)
	}
	secrets := secretsOf(uri)
	redact := func(s string) string { return secret.Redact(s, secrets...) }

	client, err := pr.client(uri)
	if err != nil {
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.uri %s: %s", p.Name, label(q.spec.URI), redact(err.Error()))
	}

	start := time.Now()
	obs := experiment.Observation{At: start}
	measured, what, found, err := q.run(ctx, client.Database(q.spec.Database).Collection(q.spec.Collection))
	obs.Took = time.Since(start)
	switch {
	case err != nil:
		obs.Detail = redact(describeFailure(ctx, obs.Took, q.op, err))
		return obs, nil
	case !found:
		obs.Value = "no document"
		obs.Detail = fmt.Sprintf("%s matched no document to read %s from", q.op, q.spec.Field)
		return obs, nil
	}
	obs.Value = redact(what + " = " + measured)
	ok, detail, err := compare.Compare(q.spec.Expect, measured)
	if err != nil {
		return experiment.Observation{}, errkind.New(errkind.InvalidSpec, "probe %s: mongo.expect.%w", p.Name, err)
	}
	obs.Passed = ok
	if !ok {
		obs.Detail = redact(what + ": " + detail)
	}
	return obs, nil
}

// run executes the operation and returns the measured value as text, a
// label for it ("count", "field total"), and whether a document was found to
// read the field from.
func (q query) run(ctx context.Context, coll *mongo.Collection) (measured, what string, found bool, err error) {
	field := q.spec.Field
	switch {
	case q.op == experiment.MongoCount || (q.op == experiment.MongoFind && field == ""):
		n, err := coll.CountDocuments(ctx, q.filter)
		return strconv.FormatInt(n, 10), "count", true, err
	case q.op == experiment.MongoFind:
		raw, err := coll.FindOne(ctx, q.filter).Raw()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return "", "", false, nil
		}
		if err != nil {
			return "", "", false, err
		}
		v, err := fieldOf(raw, field)
		return v, "field " + field, true, err
	default: // aggregate
		cur, err := coll.Aggregate(ctx, q.pipeline)
		if err != nil {
			return "", "", false, err
		}
		defer cur.Close(context.WithoutCancel(ctx))
		if field == "" {
			var n int64
			for cur.Next(ctx) {
				n++
			}
			return strconv.FormatInt(n, 10), "result documents", true, cur.Err()
		}
		if !cur.Next(ctx) {
			return "", "", false, cur.Err()
		}
		v, err := fieldOf(cur.Current, field)
		return v, "field " + field, true, err
	}
}

// fieldOf reads a dotted path from a document via its relaxed extended JSON.
func fieldOf(doc bson.Raw, field string) (string, error) {
	js, err := bson.MarshalExtJSON(doc, false, false)
	if err != nil {
		return "", fmt.Errorf("document to JSON: %w", err)
	}
	v, err := jsonpath.Extract(js, field)
	if err != nil {
		return "", fmt.Errorf("field %s: %w", field, err)
	}
	return v, nil
}

// client returns the cached client for uri, connecting lazily.
func (pr *Prober) client(uri string) (*mongo.Client, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if c, ok := pr.clients[uri]; ok {
		return c, nil
	}
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return nil, err
	}
	pr.clients[uri] = c
	return c, nil
}

func describeFailure(ctx context.Context, took time.Duration, op experiment.MongoOperation, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s timed out after %v: %v", op, took.Round(time.Millisecond), err)
	}
	return fmt.Sprintf("%s failed: %v", op, err)
}

// secretsOf lists what must never be shown: the URI itself, its password
// (escaped and unescaped) and its user info.
func secretsOf(uri string) []string {
	secrets := []string{uri}
	rest, ok := strings.CutPrefix(uri, "mongodb://")
	if !ok {
		rest, ok = strings.CutPrefix(uri, "mongodb+srv://")
	}
	if !ok {
		return secrets
	}
	at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@")
	if at < 0 {
		return secrets
	}
	userinfo := rest[:at]
	if _, pass, ok := strings.Cut(userinfo, ":"); ok && pass != "" {
		secrets = append(secrets, pass)
		if unescaped, err := url.PathUnescape(pass); err == nil {
			secrets = append(secrets, unescaped)
		}
	}
	return secrets
}

// label names a URI reference for messages without showing an inline URI.
func label(ref experiment.SecretRef) string {
	if secret.IsReference(ref) {
		return string(ref)
	}
	return "(inline)"
}

// Validate reports why p's mongo block cannot run (errkind.InvalidSpec,
// naming the field: "probe NAME: mongo.filter ..."), without connecting or
// resolving the URI. For spec validation before a run.
func Validate(p experiment.Probe) error {
	_, err := parse(p)
	return err
}
