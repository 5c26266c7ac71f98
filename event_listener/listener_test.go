//go:build js

package eventlistener_test

import (
	"syscall/js"
	"testing"

	eventlistener "parley/event_listener"
	"parley/protocol"
)

// recorder returns a JS handler that appends each payload's "n" to calls,
// and the slice pointer.
func recorder(t *testing.T) (js.Func, *[]int) {
	var calls []int
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		calls = append(calls, args[0].Get("n").Int())
		return nil
	})
	t.Cleanup(fn.Release)
	return fn, &calls
}

func payload(n int) js.Value {
	return js.ValueOf(map[string]any{"n": n})
}

func TestOnEmitOff(t *testing.T) {
	e := eventlistener.New("newMessages", "totalUnreadCountChanged")
	defer e.Close()
	h1, calls1 := recorder(t)
	h2, calls2 := recorder(t)
	off1, err := e.On("newMessages", h1.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.On("newMessages", h2.Value); err != nil {
		t.Fatal(err)
	}
	e.Emit("newMessages", payload(1))
	e.Emit("totalUnreadCountChanged", payload(99)) // no handler: nothing happens
	off1.Invoke()
	off1.Invoke() // twice is harmless
	e.Emit("newMessages", payload(2))
	if got := *calls1; len(got) != 1 || got[0] != 1 {
		t.Fatalf("handler 1 calls = %v, want [1]", got)
	}
	if got := *calls2; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("handler 2 calls = %v, want [1 2]", got)
	}
	if n := e.Count("newMessages"); n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
}

func TestThrowingHandler(t *testing.T) {
	e := eventlistener.New("newMessages")
	defer e.Close()
	thrower := js.Global().Get("Function").New("p", "throw new Error('app bug ' + p.n)")
	if _, err := e.On("newMessages", thrower); err != nil {
		t.Fatal(err)
	}
	h, calls := recorder(t)
	if _, err := e.On("newMessages", h.Value); err != nil {
		t.Fatal(err)
	}
	e.Emit("newMessages", payload(1))
	e.Emit("newMessages", payload(2))
	if got := *calls; len(got) != 2 {
		t.Fatalf("handler after a throwing one got %v, want 2 calls", got)
	}
}

func TestHandlerUnsubscribesItself(t *testing.T) {
	e := eventlistener.New("x")
	defer e.Close()
	var off js.Func
	n := 0
	self := js.FuncOf(func(js.Value, []js.Value) any {
		n++
		off.Invoke()
		return nil
	})
	defer self.Release()
	var err error
	if off, err = e.On("x", self.Value); err != nil {
		t.Fatal(err)
	}
	h, calls := recorder(t)
	if _, err := e.On("x", h.Value); err != nil {
		t.Fatal(err)
	}
	e.Emit("x", payload(1))
	e.Emit("x", payload(2))
	if n != 1 || len(*calls) != 2 {
		t.Fatalf("self-removing handler ran %d times, other %v", n, *calls)
	}
}

func TestBadArguments(t *testing.T) {
	e := eventlistener.New("newMessages")
	defer e.Close()
	h, _ := recorder(t)
	if _, err := e.On("newMesages", h.Value); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("unknown event: err = %v", err)
	}
	if _, err := e.On("newMessages", js.ValueOf("not a function")); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("non-function handler: err = %v", err)
	}
	if _, err := e.On("newMessages", js.Global().Call("BigInt", 1)); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("BigInt handler: err = %v", err)
	}
}

func TestClose(t *testing.T) {
	e := eventlistener.New("x")
	h, calls := recorder(t)
	if _, err := e.On("x", h.Value); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Emit("x", payload(1))
	if len(*calls) != 0 {
		t.Fatal("handler ran after Close")
	}
	if _, err := e.On("x", h.Value); err == nil {
		t.Fatal("On after Close succeeded")
	}
}
