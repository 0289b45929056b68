package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection is the collection holding the orders.
const Collection = "orders"

// Field names of an order document.
const (
	FieldOrderID       = "orderID"
	FieldIsDelivered   = "isDelivered"
	FieldOutboxPending = "outbox.pending"
	// FieldCreatedAt is when the order service stored the order,
	// FieldDeliveredAt when the delivery service first marked it delivered.
	FieldCreatedAt     = "createdAt"
	FieldDeliveredAt   = "deliveredAt"
	fieldOutboxCreated = "outbox.createdAt"
	fieldOutboxSent    = "outbox.sentAt"
)

// maxConns bounds the connections (so the operations in flight) of one
// Store. FerretDB's SQLite backend opens up to 100 SQLite connections and
// SQLite serializes writes: more writers at once only meet its busy
// handler, which sleeps between retries (up to 100 ms). On a busy machine
// that cut V2 to a few orders a second and made its order service time out.
// Operations beyond it wait in the driver's queue, within the timeout.
const maxConns = 4

// ErrDuplicate reports an order id that is already stored.
var ErrDuplicate = errors.New("orders: order already exists")

// Store reads and writes orders in one MongoDB collection.
type Store struct {
	client *mongo.Client
	coll   *mongo.Collection
}

// Open connects to uri, checks the server answers, and uses database,
// creating the orders collection if needed.
func Open(ctx context.Context, uri, database string) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second).SetMaxPoolSize(maxConns))
	if err != nil {
		return nil, fmt.Errorf("orders: connect: %w", err)
	}
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(ctx)
		return nil, fmt.Errorf("orders: ping %s: %w", uri, err)
	}
	db := client.Database(database)
	if err := ensureCollection(ctx, db); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return &Store{client: client, coll: db.Collection(Collection)}, nil
}

// ensureCollection creates the orders collection unless it exists, so
// callers may tune it (see package ferretsqlite) before the first order.
func ensureCollection(ctx context.Context, db *mongo.Database) error {
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: Collection}})
	if err != nil {
		return fmt.Errorf("orders: list collections: %w", err)
	}
	if len(names) > 0 {
		return nil
	}
	var cmdErr mongo.CommandError
	if err := db.CreateCollection(ctx, Collection); err != nil && !(errors.As(err, &cmdErr) && cmdErr.Code == 48) { // 48: NamespaceExists
		return fmt.Errorf("orders: create collection: %w", err)
	}
	return nil
}

// Close disconnects from the server.
func (s *Store) Close(ctx context.Context) error {
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("orders: disconnect: %w", err)
	}
	return nil
}

// Insert stores an undelivered order accepted at now (V1: no outbox).
func (s *Store) Insert(ctx context.Context, orderID string, now time.Time) error {
	return s.insert(ctx, bson.D{
		{Key: "_id", Value: orderID},
		{Key: FieldOrderID, Value: orderID},
		{Key: FieldIsDelivered, Value: false},
		{Key: FieldCreatedAt, Value: now},
	})
}

// InsertWithOutbox stores an undelivered order accepted at now together
// with its pending outbox entry, in one document (V2).
func (s *Store) InsertWithOutbox(ctx context.Context, orderID string, now time.Time) error {
	return s.insert(ctx, bson.D{
		{Key: "_id", Value: orderID},
		{Key: FieldOrderID, Value: orderID},
		{Key: FieldIsDelivered, Value: false},
		{Key: FieldCreatedAt, Value: now},
		{Key: "outbox", Value: bson.D{
			{Key: "pending", Value: true},
			{Key: "createdAt", Value: now},
		}},
	})
}

func (s *Store) insert(ctx context.Context, doc bson.D) error {
	if _, err := s.coll.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return ErrDuplicate
		}
		return fmt.Errorf("orders: insert: %w", err)
	}
	return nil
}

// Pending returns up to limit order ids whose outbox entry is pending and
// was created before olderThan, oldest first.
func (s *Store) Pending(ctx context.Context, olderThan time.Time, limit int) ([]string, error) {
	filter := bson.D{
		{Key: FieldOutboxPending, Value: true},
		{Key: fieldOutboxCreated, Value: bson.D{{Key: "$lt", Value: olderThan}}},
	}
	opts := options.Find().
		SetSort(bson.D{{Key: fieldOutboxCreated, Value: 1}}).
		SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "_id", Value: 1}})
	cur, err := s.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("orders: find pending: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("orders: read pending: %w", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// MarkSent clears the pending flag of the outbox entries of ids, one update
// per order (FerretDB's SQLite backend pushes down only a filter that is
// exactly {_id: <value>}, any other filter scans the whole collection),
// markParallel at a time (the store's connections): one after another, a
// busy machine's latency per update bounded the relay to a few a second.
func (s *Store) MarkSent(ctx context.Context, ids []string, now time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: FieldOutboxPending, Value: false},
		{Key: fieldOutboxSent, Value: now},
	}}}
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		first  atomic.Pointer[error]
	)
	slots := make(chan struct{}, markParallel)
	for _, id := range ids {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if _, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, &err)
			}
		})
	}
	wg.Wait()
	if err := first.Load(); err != nil {
		return fmt.Errorf("orders: mark sent (%d of %d failed): %w", failed.Load(), len(ids), *err)
	}
	return nil
}

// markParallel bounds MarkSent's updates in flight.
const markParallel = 4

// OutboxSent reports whether the order exists and its outbox entry, if it
// has one, is no longer pending: from then on the relay never writes the
// document again, so the delivery service may.
func (s *Store) OutboxSent(ctx context.Context, orderID string) (bool, error) {
	var doc Order
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: orderID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("orders: read %s: %w", orderID, err)
	}
	return doc.Outbox == nil || !doc.Outbox.Pending, nil
}

// MarkDelivered sets isDelivered on the order and records now as its
// delivery time unless an earlier one is recorded (a redelivery keeps the
// first); it reports whether the order changed (false when it was already
// delivered or does not exist).
func (s *Store) MarkDelivered(ctx context.Context, orderID string, now time.Time) (bool, error) {
	res, err := s.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: orderID}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: FieldIsDelivered, Value: true}}},
			{Key: "$min", Value: bson.D{{Key: FieldDeliveredAt, Value: now}}},
		})
	if err != nil {
		return false, fmt.Errorf("orders: mark delivered: %w", err)
	}
	return res.ModifiedCount > 0, nil
}

// CountUndelivered counts orders whose isDelivered is false.
func (s *Store) CountUndelivered(ctx context.Context) (int64, error) {
	n, err := s.coll.CountDocuments(ctx, bson.D{{Key: FieldIsDelivered, Value: false}})
	if err != nil {
		return 0, fmt.Errorf("orders: count undelivered: %w", err)
	}
	return n, nil
}

// CountPending counts orders whose outbox entry is pending (V2).
func (s *Store) CountPending(ctx context.Context) (int64, error) {
	n, err := s.coll.CountDocuments(ctx, bson.D{{Key: FieldOutboxPending, Value: true}})
	if err != nil {
		return 0, fmt.Errorf("orders: count pending: %w", err)
	}
	return n, nil
}

// LastAccepted returns the newest order's acceptance time; ok is false
// when no order records one.
func (s *Store) LastAccepted(ctx context.Context) (at time.Time, ok bool, err error) {
	var doc struct {
		CreatedAt time.Time `bson:"createdAt"`
	}
	opts := options.FindOne().
		SetSort(bson.D{{Key: FieldCreatedAt, Value: -1}}).
		SetProjection(bson.D{{Key: FieldCreatedAt, Value: 1}})
	err = s.coll.FindOne(ctx, bson.D{{Key: FieldCreatedAt, Value: bson.D{{Key: "$exists", Value: true}}}}, opts).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("orders: last accepted: %w", err)
	}
	return doc.CreatedAt, true, nil
}

// DeliveredAfter counts the orders first delivered after t and returns the
// latest of their delivery times (zero when n is 0).
func (s *Store) DeliveredAfter(ctx context.Context, t time.Time) (n int64, last time.Time, err error) {
	cur, err := s.coll.Find(ctx,
		bson.D{{Key: FieldDeliveredAt, Value: bson.D{{Key: "$gt", Value: t}}}},
		options.Find().SetProjection(bson.D{{Key: FieldDeliveredAt, Value: 1}}))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("orders: find delivered after: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var doc struct {
			DeliveredAt time.Time `bson:"deliveredAt"`
		}
		if err := cur.Decode(&doc); err != nil {
			return 0, time.Time{}, fmt.Errorf("orders: read delivered after: %w", err)
		}
		n++
		if doc.DeliveredAt.After(last) {
			last = doc.DeliveredAt
		}
	}
	if err := cur.Err(); err != nil {
		return 0, time.Time{}, fmt.Errorf("orders: read delivered after: %w", err)
	}
	return n, last, nil
}

// Count counts all orders.
func (s *Store) Count(ctx context.Context) (int64, error) {
	n, err := s.coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("orders: count: %w", err)
	}
	return n, nil
}

// Order is a stored order as Undelivered reports it.
type Order struct {
	OrderID     string    `bson:"orderID"`
	IsDelivered bool      `bson:"isDelivered"`
	CreatedAt   time.Time `bson:"createdAt"`
	DeliveredAt time.Time `bson:"deliveredAt,omitempty"`
	Outbox      *struct {
		Pending   bool      `bson:"pending"`
		CreatedAt time.Time `bson:"createdAt"`
		SentAt    time.Time `bson:"sentAt"`
	} `bson:"outbox,omitempty"`
}

// Undelivered returns up to limit undelivered orders.
func (s *Store) Undelivered(ctx context.Context, limit int) ([]Order, error) {
	cur, err := s.coll.Find(ctx, bson.D{{Key: FieldIsDelivered, Value: false}}, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("orders: find undelivered: %w", err)
	}
	var found []Order
	if err := cur.All(ctx, &found); err != nil {
		return nil, fmt.Errorf("orders: read undelivered: %w", err)
	}
	return found, nil
}
