package mongoembed_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tempest-chaos/tempest/mongoembed"
)

func TestServerSupportsWhatTheDemoAndProbesUse(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(srv.Close)
	t.Logf("ready in %v at %s", time.Since(start), srv.URI())

	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.WithoutCancel(ctx)) })
	orders := client.Database("delivery").Collection("delivery1")

	if _, err := orders.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "orderID", Value: 1}}, Options: options.Index().SetUnique(true),
	}); err != nil {
		t.Fatalf("unique index: %v", err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := orders.InsertOne(ctx, bson.D{{Key: "orderID", Value: id}, {Key: "isDelivered", Value: false}}); err != nil {
			t.Fatalf("insert %s: %v", id, err)
		}
	}
	if _, err := orders.InsertOne(ctx, bson.D{{Key: "orderID", Value: "a"}}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate orderID: want duplicate key error, got %v", err)
	}
	if _, err := orders.UpdateOne(ctx, bson.D{{Key: "orderID", Value: "b"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "isDelivered", Value: true}}}}); err != nil {
		t.Fatalf("updateOne $set: %v", err)
	}
	n, err := orders.CountDocuments(ctx, bson.D{{Key: "isDelivered", Value: false}})
	if err != nil || n != 2 {
		t.Fatalf("countDocuments(isDelivered:false) = %d, %v; want 2", n, err)
	}
	cur, err := orders.Aggregate(ctx, mongo.Pipeline{{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$isDelivered"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}}})
	if err != nil {
		t.Fatalf("aggregate: %v", err)
	}
	var groups []bson.M
	if err := cur.All(ctx, &groups); err != nil || len(groups) != 2 {
		t.Fatalf("aggregate $group: %v, %v; want 2 groups", groups, err)
	}
}

func TestCloseStopsListening(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	srv.Close()
	srv.Close() // idempotent

	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetServerSelectionTimeout(500 * time.Millisecond))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer func() { _ = client.Disconnect(ctx) }()
	if err := client.Ping(ctx, nil); err == nil {
		t.Fatal("ping after Close succeeded; want the server gone")
	}
}
