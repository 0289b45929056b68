package mongoprobe_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/mongoembed"
	"github.com/tempest-chaos/tempest/probe/mongoprobe"
	"github.com/tempest-chaos/tempest/secret"
)

// orders starts an embedded FerretDB holding the seed's delivery.delivery1
// collection with three undelivered orders; it returns the URI and the
// collection for the test to change.
func orders(t *testing.T) (string, *mongo.Collection) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("embedded FerretDB: %v", err)
	}
	t.Cleanup(srv.Close)
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.WithoutCancel(ctx)) })
	coll := client.Database("delivery").Collection("delivery1")
	for i, id := range []string{"a", "b", "c"} {
		doc := bson.D{{Key: "orderID", Value: id}, {Key: "isDelivered", Value: false}, {Key: "qty", Value: int32(i + 1)}}
		if _, err := coll.InsertOne(ctx, doc); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	return srv.URI(), coll
}

func mongoProbe(m experiment.MongoProbe) experiment.Probe {
	return experiment.Probe{Name: "undelivered", Mode: experiment.ModeEOT, Mongo: &m}
}

func observe(t *testing.T, pr *mongoprobe.Prober, p experiment.Probe, timeout time.Duration) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	obs, err := pr.Observe(ctx, p)
	if err != nil {
		t.Fatalf("Observe: unexpected error %v", err)
	}
	return obs
}

func newProber(t *testing.T) *mongoprobe.Prober {
	pr := mongoprobe.New(secret.Resolver{})
	t.Cleanup(func() {
		if err := pr.Close(context.WithoutCancel(t.Context())); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return pr
}

// TestSeedUndeliveredCount is the seed's steady state:
// countDocuments({isDelivered: false}) == 0, with the URI from env:.
func TestSeedUndeliveredCount(t *testing.T) {
	uri, coll := orders(t)
	t.Setenv("TEMPEST_TEST_MONGO_URI", uri)
	pr := newProber(t)
	p := mongoProbe(experiment.MongoProbe{
		URI: "env:TEMPEST_TEST_MONGO_URI", Database: "delivery", Collection: "delivery1",
		Operation: experiment.MongoCount, Filter: `{"isDelivered": false}`,
		Expect: experiment.Comparison{Op: experiment.OpEq, Value: "0"},
	})
	obs := observe(t, pr, p, 10*time.Second)
	if obs.Passed || obs.Detail != "count: expected == 0, got 3" || obs.Value != "count = 3" {
		t.Fatalf("3 undelivered: want fail with expected vs actual, got %+v", obs)
	}
	if _, err := coll.UpdateMany(t.Context(), bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "isDelivered", Value: true}}}}); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	if obs := observe(t, pr, p, 10*time.Second); !obs.Passed {
		t.Fatalf("all delivered: want pass, got %+v", obs)
	}
	if strings.Contains(obs.Value+obs.Detail, uri) {
		t.Fatalf("URI leaked: %+v", obs)
	}
}

func TestFindAndAggregateFields(t *testing.T) {
	uri, _ := orders(t)
	pr := newProber(t)
	tests := []struct {
		name string
		m    experiment.MongoProbe
		pass bool
		want string
	}{
		{"find field", experiment.MongoProbe{Operation: experiment.MongoFind, Filter: `{"orderID": "b"}`, Field: "qty",
			Expect: experiment.Comparison{Op: experiment.OpEq, Value: "2"}}, true, "field qty = 2"},
		{"find count", experiment.MongoProbe{Operation: experiment.MongoFind, Filter: `{"qty": {"$gte": 2}}`,
			Expect: experiment.Comparison{Op: experiment.OpEq, Value: "2"}}, true, "count = 2"},
		{"find nothing", experiment.MongoProbe{Operation: experiment.MongoFind, Filter: `{"orderID": "zzz"}`, Field: "qty",
			Expect: experiment.Comparison{Op: experiment.OpEq, Value: "2"}}, false, "no document"},
		{"aggregate group sum", experiment.MongoProbe{Operation: experiment.MongoAggregate,
			Pipeline: `[{"$match": {"isDelivered": false}}, {"$group": {"_id": null, "total": {"$sum": "$qty"}}}]`, Field: "total",
			Expect: experiment.Comparison{Op: experiment.OpEq, Value: "6"}}, true, "field total = 6"},
		{"aggregate result count", experiment.MongoProbe{Operation: experiment.MongoAggregate,
			Pipeline: `[{"$group": {"_id": "$orderID"}}]`,
			Expect:   experiment.Comparison{Op: experiment.OpLt, Value: "3"}}, false, "result documents = 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.m.URI, tc.m.Database, tc.m.Collection = experiment.SecretRef(uri), "delivery", "delivery1"
			obs := observe(t, pr, mongoProbe(tc.m), 10*time.Second)
			if obs.Passed != tc.pass || obs.Value != tc.want {
				t.Fatalf("got %+v, want passed=%v value %q", obs, tc.pass, tc.want)
			}
		})
	}
}

// blackHole accepts connections and never answers: a hung server.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	return ln.Addr().String()
}

func TestHungAndDownServersAreFailedObservations(t *testing.T) {
	const password = "pw-5c2a9e-never-in-history"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := ln.Addr().String()
	ln.Close()

	for name, addr := range map[string]string{"hung": blackHole(t), "down": downAddr} {
		t.Run(name, func(t *testing.T) {
			uri := "mongodb://probe:" + password + "@" + addr + "/?authSource=admin"
			t.Setenv("TEMPEST_TEST_MONGO_URI", uri)
			pr := newProber(t)
			start := time.Now()
			obs := observe(t, pr, mongoProbe(experiment.MongoProbe{
				URI: "env:TEMPEST_TEST_MONGO_URI", Database: "delivery", Collection: "delivery1",
				Expect: experiment.Comparison{Op: experiment.OpEq, Value: "0"},
			}), 700*time.Millisecond)
			if obs.Passed || !strings.Contains(obs.Detail, "count timed out after") {
				t.Fatalf("want a failed observation saying it timed out, got %+v", obs)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("observation outlived its deadline: %v", took)
			}
			if strings.Contains(obs.Value+obs.Detail, password) || strings.Contains(obs.Detail, uri) {
				t.Fatalf("secret leaked: %+v", obs)
			}
		})
	}
}

func TestBadSpecsAreInvalidSpecErrors(t *testing.T) {
	base := experiment.MongoProbe{URI: "mongodb://127.0.0.1:1/", Database: "d", Collection: "c", Expect: experiment.Comparison{Op: experiment.OpEq, Value: "0"}}
	with := func(f func(*experiment.MongoProbe)) experiment.Probe {
		m := base
		f(&m)
		return mongoProbe(m)
	}
	tests := []struct {
		name    string
		p       experiment.Probe
		wantErr string
	}{
		{"no block", experiment.Probe{Name: "p"}, "mongo block missing"},
		{"no database", with(func(m *experiment.MongoProbe) { m.Database = "" }), "mongo.database: required"},
		{"bad filter", with(func(m *experiment.MongoProbe) { m.Filter = `{isDelivered: false` }), "mongo.filter: not extended JSON"},
		{"bad pipeline", with(func(m *experiment.MongoProbe) { m.Operation, m.Pipeline = experiment.MongoAggregate, `{"$match": {}}` }), "mongo.pipeline"},
		{"unknown op", with(func(m *experiment.MongoProbe) { m.Operation = "delete" }), `mongo.operation: unknown "delete"`},
		{"bad expect", with(func(m *experiment.MongoProbe) { m.Expect.Op = "" }), "mongo.expect.op: required"},
		{"bad uri", with(func(m *experiment.MongoProbe) { m.URI = "postgres://x:hunter2@h/" }), "mongo.uri"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newProber(t).Observe(t.Context(), tc.p)
			if verr := mongoprobe.Validate(tc.p); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate = %v, want the error Observe gives (%v)", verr, err)
			}
			if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want InvalidSpec containing %q, got %v", tc.wantErr, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("password in error: %v", err)
			}
		})
	}
	_, err := newProber(t).Observe(t.Context(), with(func(m *experiment.MongoProbe) { m.URI = "env:TEMPEST_TEST_MONGO_URI_UNSET" }))
	if typ, _ := errkind.TypeOf(err); typ != errkind.SecretUnavailable {
		t.Fatalf("unset URI secret: want SecretUnavailable, got %v", err)
	}
}

// TestCachedClientRecoversWhenTheServerReturns is the EOT case: the database
// is killed during chaos and comes back on the same address; the same Prober
// (and its cached client) fails while it is down and passes once it is back.
func TestCachedClientRecoversWhenTheServerReturns(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	first, err := mongoembed.Start(ctx, mongoembed.Config{Dir: dir})
	if err != nil {
		t.Fatalf("embedded FerretDB: %v", err)
	}
	uri := first.URI()
	addr := strings.TrimSuffix(strings.TrimPrefix(uri, "mongodb://"), "/")
	pr := newProber(t)
	p := mongoProbe(experiment.MongoProbe{URI: experiment.SecretRef(uri), Database: "delivery", Collection: "delivery1",
		Filter: `{"isDelivered": false}`, Expect: experiment.Comparison{Op: experiment.OpEq, Value: "0"}})

	if obs := observe(t, pr, p, 10*time.Second); !obs.Passed {
		t.Fatalf("before the kill: %+v", obs)
	}
	closing := time.Now()
	first.Close()
	t.Logf("Close took %v", time.Since(closing))
	if obs := observe(t, pr, p, 700*time.Millisecond); obs.Passed {
		t.Fatalf("while down: want a failed observation, got %+v", obs)
	}
	second, err := mongoembed.Start(ctx, mongoembed.Config{Dir: dir, Addr: addr})
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	t.Cleanup(second.Close)
	back := time.Now()
	deadline := back.Add(15 * time.Second)
	for {
		obs := observe(t, pr, p, 2*time.Second)
		if obs.Passed {
			t.Logf("passing again %v after the server returned", time.Since(back).Round(time.Millisecond))
			return
		}
		t.Logf("still failing: %s", obs.Detail)
		if time.Now().After(deadline) {
			t.Fatalf("still failing 15s after the server returned: %+v", obs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
