package ferretsqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tempest-chaos/tempest/mongoembed"
)

// TestIndexIDsMakesUpdatesIndependentOfSize updates 100 documents of a
// 3,000-document collection before and after IndexIDs.
func TestIndexIDsMakesUpdatesIndependentOfSize(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: dir})
	if err != nil {
		t.Fatalf("embedded FerretDB: %v", err)
	}
	defer srv.Close()
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database("db").Collection("c")
	const n = 3000
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("d%05d", i)}, {Key: "v", Value: 0}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	rate := func(from int) float64 {
		start := time.Now()
		for i := from; i < from+100; i++ {
			if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("d%05d", i)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
				t.Fatal(err)
			}
		}
		return 100 / time.Since(start).Seconds()
	}
	before := rate(0)
	if plan := idLookupPlan(t, ctx, dir, "db", "c"); strings.Contains(plan, "_tempest_id_expr") {
		t.Fatalf("the index is used before IndexIDs created it: %s", plan)
	}
	if err := IndexIDs(ctx, dir, "db", "c"); err != nil {
		t.Fatal(err)
	}
	after := rate(100)
	// The rates are logged, not asserted (a test is no benchmark on a
	// loaded machine): what must hold is that SQLite now finds a document
	// by its _id through the index instead of scanning the collection.
	t.Logf("updates/s over %d documents: %.0f without the index, %.0f with it", n, before, after)
	if plan := idLookupPlan(t, ctx, dir, "db", "c"); !strings.Contains(plan, "_tempest_id_expr") {
		t.Fatalf("a lookup by _id does not use the index: %s", plan)
	}
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "d00150"}}).Decode(&got); err != nil || fmt.Sprint(got["v"]) != "1" {
		t.Fatalf("document after update = %v (%v)", got, err)
	}
}

// idLookupPlan is SQLite's plan for finding a document by _id the way
// FerretDB's updates do.
func idLookupPlan(t *testing.T, ctx context.Context, dir, database, collection string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dir+"/"+database+".sqlite?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), "d00150")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}
