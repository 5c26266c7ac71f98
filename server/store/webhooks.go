package store

import "context"

// WebhookJob is one webhook delivery waiting in the store's queue (the
// asynchronous events: afterSendMessage, userOnline, offlinePush, …).
type WebhookJob struct {
	// ID is the idempotency key, unique: it is sent with every attempt
	// (X-Parley-Delivery), so that the receiver can drop repeats.
	ID    string
	Event string
	// Body is the JSON body as it will be sent; each attempt signs it anew.
	Body []byte
	// Attempts counts the failed attempts so far.
	Attempts int
	// NextAttempt is when the job is next due, Unix ms.
	NextAttempt int64
	CreateTime  int64
	LastError   string
}

// Webhooks is the durable queue of webhook deliveries, so that a restart
// (or a node's crash, with PostgreSQL) drops none: a job stays queued until
// it is delivered or given up. Delivery is at least once.
type Webhooks interface {
	// EnqueueWebhooks stores jobs in one transaction. A job whose ID is
	// already queued is left as it is (enqueuing is idempotent).
	EnqueueWebhooks(ctx context.Context, jobs []WebhookJob) error
	// LeaseWebhooks returns up to limit jobs due at now (NextAttempt <=
	// now), the earliest due first, and in the same transaction moves
	// their NextAttempt to leaseUntil: no caller (on any node) gets them
	// again before then, so a node that dies mid-delivery only delays them.
	LeaseWebhooks(ctx context.Context, now, leaseUntil int64, limit int) ([]WebhookJob, error)
	// DeleteWebhook removes a delivered or abandoned job; deleting a
	// missing job is not an error.
	DeleteWebhook(ctx context.Context, id string) error
	// RetryWebhook records a failed attempt: the attempt count, when the
	// job is next due and the error. ErrNotFound if the job is not queued.
	RetryWebhook(ctx context.Context, id string, attempts int, nextAttempt int64, lastError string) error
}

// PendingPush is one message waiting for an offlinePush to its recipient.
type PendingPush struct {
	UserID string
	// Body is the message, as the server encoded it.
	Body []byte
}

// OfflinePushBatch is the messages gathered for one recipient's offlinePush.
type OfflinePushBatch struct {
	UserID string
	// PushID names the batch; it stays the same until FinishOfflinePush,
	// however often the batch is leased, so that it can be the push's
	// idempotency key.
	PushID string
	// Count is how many messages the batch holds; Bodies the latest of
	// them (LeaseOfflinePushes' maxBodies), oldest first.
	Count  int
	Bodies [][]byte
}

// OfflinePushes gathers the messages to offline users into one batch per
// recipient, in the store so that a restart inside the batching window
// loses none: a batch stays until the push it became is queued
// (FinishOfflinePush).
type OfflinePushes interface {
	// AddOfflinePushes records pushes in one transaction. A recipient with
	// no batch open gets one, due at due; one with a batch open (leased
	// or not) keeps its due time.
	AddOfflinePushes(ctx context.Context, pushes []PendingPush, due int64) error
	// LeaseOfflinePushes returns up to limit batches due at now, the
	// earliest due first, and moves their due time to leaseUntil (no
	// caller, on any node, gets them again before then). A batch leased
	// before keeps its PushID and its messages; messages added since wait
	// for the next batch.
	LeaseOfflinePushes(ctx context.Context, now, leaseUntil int64, limit, maxBodies int) ([]OfflinePushBatch, error)
	// FinishOfflinePush removes batch pushID of userID; messages added
	// since it was leased open the next batch, due at due. Finishing a
	// missing batch is not an error.
	FinishOfflinePush(ctx context.Context, userID, pushID string, due int64) error
}

// PresenceNodes records which nodes hold each user's connections, so that
// userOnline and userOffline are queued once for all the nodes: userOnline
// when the first node gets a user's connection, userOffline when the last
// one lets go. Each call is one transaction, serialized per user, with the
// job it queues; a job without an ID (an event nobody wants) is not queued,
// and the record is kept all the same.
type PresenceNodes interface {
	// AddPresenceNode records that node holds userID's connections (the
	// first of them on platform). When no node did, it queues job and
	// reports true. Adding a record that exists changes nothing.
	AddPresenceNode(ctx context.Context, userID, node, platform string, job WebhookJob) (bool, error)
	// RemovePresenceNode removes that record. When it was userID's last,
	// it queues job and reports true; a missing record changes nothing.
	RemovePresenceNode(ctx context.Context, userID, node string, job WebhookJob) (bool, error)
	// DropPresenceNode removes every record of node (a node gone without
	// letting go), and for each user left without one queues
	// jobFor(userID, platform of the dropped record). It returns those
	// users.
	DropPresenceNode(ctx context.Context, node string, jobFor func(userID, platform string) (WebhookJob, error)) ([]string, error)
	// PresenceNodeIDs lists the nodes that have records.
	PresenceNodeIDs(ctx context.Context) ([]string, error)
}
