package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

// convSelect reads a user's conversation states, each with its latest
// message when the user may read it, in one statement (one snapshot). A
// removed member's max seq stops at their removal, and they get no latest
// message: no content from the group any more.
const convSelect = `SELECT uc.conversation_id, uc.session_type, uc.peer_user_id, uc.group_id, uc.min_seq, uc.read_seq,
	uc.is_pinned, uc.draft_text, uc.version, uc.update_time, COALESCE(uc.removed_seq, c.max_seq),
	uc.removed_seq IS NOT NULL, uc.group_version, c.message_version, uc.delete_version, COALESCE(pr.read_seq, 0), uc.is_muted, uc.receipt_version, uc.hidden_until_seq,
	m.seq, m.server_msg_id, m.client_msg_id, m.send_id, m.recv_id, m.group_id, m.session_type, m.content_type,
	m.content, m.send_time, m.create_time, m.version, m.edit_time, m.is_pinned, m.pinned_by, m.pin_time, m.reactions
	FROM user_conversations uc
	JOIN conversations c ON c.conversation_id = uc.conversation_id
	LEFT JOIN user_conversations pr ON uc.session_type = 'single' AND pr.user_id = uc.peer_user_id AND pr.conversation_id = uc.conversation_id
	LEFT JOIN messages m ON m.conversation_id = uc.conversation_id AND m.seq = c.max_seq AND c.max_seq >= uc.min_seq
		AND uc.removed_seq IS NULL `

func scanConv(row pgx.Row) (protocol.ConversationState, error) {
	var st protocol.ConversationState
	var sessionType string
	var (
		seq, sendTime, createTime, version, editTime              *int64
		serverID, clientID, sendID, recvID, groupID, mType, cType *string
		content                                                   []byte
		isPinned                                                  *bool
		pinnedBy                                                  *string
		pinTime                                                   *int64
		reactions                                                 *string
	)
	err := row.Scan(&st.ConversationID, &sessionType, &st.PeerUserID, &st.GroupID, &st.MinSeq, &st.ReadSeq,
		&st.IsPinned, &st.DraftText, &st.Version, &st.UpdatedAt, &st.MaxSeq, &st.Removed, &st.GroupVersion, &st.MessageVersion, &st.DeleteVersion, &st.PeerReadSeq, &st.IsMuted, &st.ReceiptVersion, &st.HiddenUntilSeq,
		&seq, &serverID, &clientID, &sendID, &recvID, &groupID, &mType, &cType, &content, &sendTime, &createTime, &version, &editTime, &isPinned, &pinnedBy, &pinTime, &reactions)
	if err != nil {
		return st, err
	}
	st.SessionType = protocol.SessionType(sessionType)
	if seq != nil {
		st.LatestMessage = &protocol.Message{
			ClientMsgID: *clientID, ServerMsgID: *serverID, ConversationID: st.ConversationID, Seq: *seq,
			SendID: *sendID, RecvID: *recvID, GroupID: *groupID, SessionType: protocol.SessionType(*mType),
			ContentType: *cType, Content: content, SendTime: *sendTime, CreateTime: *createTime,
			Version: *version, EditTime: *editTime, IsPinned: *isPinned, PinnedBy: *pinnedBy, PinTime: *pinTime,
		}
		if st.LatestMessage.Reactions, err = store.DecodeReactions(*reactions); err != nil {
			return st, err
		}
	}
	return st, nil
}

// changedQuery reads a user's conversations changed after a cursor through
// the (user_id, version) index; TestSyncUsesVersionIndex checks the plan.
const changedQuery = convSelect + `WHERE uc.user_id = $1 AND uc.version > $2 ORDER BY uc.version LIMIT $3`

// ChangedConversations implements store.Conversations. It reads through the
// (user_id, version) index, then primary-key lookups for each row returned.
func (s *Store) ChangedConversations(ctx context.Context, userID string, cursor int64, limit int) ([]protocol.ConversationState, error) {
	rows, err := s.pool.Query(ctx, changedQuery, userID, cursor, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changed conversations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.ConversationState, error) { return scanConv(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: changed conversations: %w", err)
	}
	return out, nil
}

const oneConv = convSelect + `WHERE uc.user_id = $1 AND uc.conversation_id = $2`

// Conversation implements store.Conversations.
func (s *Store) Conversation(ctx context.Context, userID, conversationID string) (*protocol.ConversationState, error) {
	st, err := scanConv(s.pool.QueryRow(ctx, oneConv, userID, conversationID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: conversation %q of %q: %w", conversationID, userID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: conversation: %w", err)
	}
	return &st, nil
}

// UpdateConversation implements store.Conversations. It locks the user's
// row before reading the state, so that concurrent changes of the same
// user (another device, a new message) apply one after the other.
func (s *Store) UpdateConversation(ctx context.Context, userID, conversationID string, ch store.ConversationChange, now int64) (*protocol.ConversationState, bool, error) {
	var st protocol.ConversationState
	var changed bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		var exists bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_conversations WHERE user_id = $1 AND conversation_id = $2)`,
			userID, conversationID).Scan(&exists)
		if err != nil {
			return err
		}
		peer := ""
		if !exists {
			typ, a, b, ok := protocol.ParseConversationID(conversationID)
			if !ok || typ != protocol.SessionSingle || (userID != a && userID != b) {
				return fmt.Errorf("postgres: conversation %q: %w", conversationID, store.ErrNotMember)
			}
			peer = a
			if userID == a {
				peer = b
			}
			// Conversations are locked before users, as in AppendMessages.
			_, err := tx.Exec(ctx, `INSERT INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
				VALUES ($1, $2, '', 0, $3) ON CONFLICT (conversation_id) DO NOTHING`, conversationID, protocol.SessionSingle, now)
			if err != nil {
				return err
			}
		}
		// Both users of a one-to-one conversation, in key order: a read
		// there stamps the peer's state too.
		lock := []string{userID}
		if typ, a, b, ok := protocol.ParseConversationID(conversationID); ok && typ == protocol.SessionSingle && a != b && (userID == a || userID == b) {
			lock = []string{a, b}
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE`, lock); err != nil {
			return err
		}
		if !exists {
			_, err := tx.Exec(ctx, `INSERT INTO user_conversations
				(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
				VALUES ($1, $2, $3, $4, 1, 0, $5) ON CONFLICT (user_id, conversation_id) DO NOTHING`,
				userID, conversationID, protocol.SessionSingle, peer, now)
			if err != nil {
				return err
			}
		}
		st, err = scanConv(tx.QueryRow(ctx, oneConv, userID, conversationID))
		if err != nil {
			return err
		}
		if st.Removed {
			return fmt.Errorf("postgres: conversation %q: %w", conversationID, store.ErrNotMember)
		}

		readBefore := st.ReadSeq
		changed = ch.ApplyTo(&st)
		if !changed {
			return nil
		}
		if st.ReadSeq != readBefore && st.SessionType == protocol.SessionSingle && st.PeerUserID != "" && st.PeerUserID != userID {
			if _, err := tx.Exec(ctx, `WITH v AS (UPDATE users SET change_version = change_version + 1 WHERE user_id = $1 RETURNING change_version)
				UPDATE user_conversations SET version = (SELECT change_version FROM v) WHERE user_id = $1 AND conversation_id = $2`,
				st.PeerUserID, conversationID); err != nil {
				return err
			}
		}
		err = tx.QueryRow(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = $1 RETURNING change_version`,
			userID).Scan(&st.Version)
		if err != nil {
			return err
		}
		st.UpdatedAt = now
		_, err = tx.Exec(ctx, `UPDATE user_conversations SET read_seq = $1, is_pinned = $2, draft_text = $3, version = $4, update_time = $5, min_seq = $8, is_muted = $9, hidden_until_seq = $10,
			read_time = CASE WHEN read_seq = $1 THEN read_time ELSE $5 END
			WHERE user_id = $6 AND conversation_id = $7`,
			st.ReadSeq, st.IsPinned, st.DraftText, st.Version, st.UpdatedAt, userID, conversationID, st.MinSeq, st.IsMuted, st.HiddenUntilSeq)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotMember) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("postgres: update conversation: %w", err)
	}
	return &st, changed, nil
}
