package ferretsqlite

import (
	"context"
	"fmt"
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
	if err := IndexIDs(ctx, dir, "db", "c"); err != nil {
		t.Fatal(err)
	}
	after := rate(100)
	t.Logf("updates/s over %d documents: %.0f without the index, %.0f with it", n, before, after)
	if after < 3*before {
		t.Fatalf("index did not help: %.0f/s before, %.0f/s after", before, after)
	}
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "d00150"}}).Decode(&got); err != nil || fmt.Sprint(got["v"]) != "1" {
		t.Fatalf("document after update = %v (%v)", got, err)
	}
}
