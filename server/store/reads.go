package store

import "context"

// ReadPosition is one member's read position in a group conversation:
// the aggregate group read receipts are counted from (one row per member,
// never one per message and reader).
type ReadPosition struct {
	UserID  string
	ReadSeq int64
	// ReadTime is when their read seq last moved (a read or a send), Unix
	// ms (0: never).
	ReadTime int64
	// JoinSeq is the first seq they may read.
	JoinSeq int64
}

// SentMessage names one stored message and its sender.
type SentMessage struct {
	Seq         int64
	ClientMsgID string
	SendID      string
}

// GroupReads keeps what group read receipts need.
type GroupReads interface {
	// NoteGroupRead records that readerID's read seq in the group
	// conversation moved from fromSeq to toSeq (UpdateConversation moved
	// it, and their read time), in one transaction: the senders of the
	// newest limit messages in (fromSeq, toSeq] but the reader have
	// their change version bumped and stamped on their state as Version
	// and ReceiptVersion (a removed sender's state is left alone), so that
	// their next sync reports it. It returns those messages, ascending by
	// seq, and each stamped sender's new ReceiptVersion. Its cost is
	// proportional to the messages returned and their senders, not to the
	// group's size.
	NoteGroupRead(ctx context.Context, conversationID, readerID string, fromSeq, toSeq int64, limit int) ([]SentMessage, map[string]int64, error)
	// ReadPositions returns the read position of every current member of
	// the group conversation, in no particular order.
	ReadPositions(ctx context.Context, conversationID string) ([]ReadPosition, error)
	// SentMessages returns userID's messages of conversationID with
	// fromSeq <= seq <= toSeq, the newest limit of them, ascending by seq.
	SentMessages(ctx context.Context, conversationID, userID string, fromSeq, toSeq int64, limit int) ([]SentMessage, error)
	// SentMessage returns the message of conversationID whose ClientMsgID
	// is clientMsgID, or ErrNotFound.
	SentMessage(ctx context.Context, conversationID, clientMsgID string) (*SentMessage, error)
}
