package core_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
)

// ConversationMarks is what a tab of the shared browser instance takes as
// told at its start: each conversation's highest held seq and latest
// change, answered only once the events of the writes it read reached the
// handlers (a tab hears them before the answer).
func TestConversationMarks(t *testing.T) {
	c, conv := offlineClient(t, 1, 2, 3)
	ctx := context.Background()
	marks, err := c.ConversationMarks(ctx)
	require.NoError(t, err)
	cv, err := c.Conversation(ctx, conv)
	require.NoError(t, err)
	assert.Equal(t, []core.ConversationMark{{ConversationID: conv, Seq: 3, UpdatedAt: cv.UpdatedAt}}, marks)

	// A handler held on the first event of a write: the marks read after
	// that write wait for it, however long it takes.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var order []string
	off := c.On(func(ev core.Event) {
		if _, ok := ev.(core.ConversationsChanged); !ok {
			return
		}
		once.Do(func() {
			close(entered)
			<-release
			mu.Lock()
			order = append(order, "event delivered")
			mu.Unlock()
		})
	})
	defer off()
	require.NoError(t, c.SetConversationDraft(ctx, conv, "draft"))
	<-entered
	done := make(chan []core.ConversationMark, 1)
	go func() {
		m, err := c.ConversationMarks(ctx)
		assert.NoError(t, err)
		mu.Lock()
		order = append(order, "marks returned")
		mu.Unlock()
		done <- m
	}()
	// A write after the marks' read (it waits for the read's lock): once
	// it is done, the marks have what they read and must still wait.
	require.NoError(t, c.SetConversationDraft(ctx, conv, "draft 2"))
	select {
	case <-done:
		t.Fatal("ConversationMarks returned before the events of the writes it read were delivered")
	default:
	}
	close(release)
	marks = <-done
	mu.Lock()
	assert.Equal(t, []string{"event delivered", "marks returned"}, order)
	mu.Unlock()
	require.Len(t, marks, 1)
	assert.Equal(t, int64(3), marks[0].Seq)
}
