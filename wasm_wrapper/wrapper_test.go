//go:build js

package wasmwrapper_test

import (
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"parley/protocol"
	wasmwrapper "parley/wasm_wrapper"
)

// settle waits for a JS promise and returns its value or rejection reason.
func settle(t *testing.T, p js.Value) (v js.Value, rejected bool) {
	t.Helper()
	type res struct {
		v   js.Value
		rej bool
	}
	ch := make(chan res, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- res{v: a[0]}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- res{v: a[0], rej: true}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.v, r.rej
	case <-time.After(10 * time.Second):
		t.Fatal("promise did not settle")
	}
	return js.Undefined(), false
}

type shape struct {
	UserID string   `json:"userID"`
	Seq    int64    `json:"seq"`
	Tags   []string `json:"tags"`
	Inner  *shape   `json:"inner"`
}

func TestResolvesPlainObjects(t *testing.T) {
	f := wasmwrapper.Promise(nil, func([]js.Value) (any, error) {
		return []shape{{UserID: "u1", Seq: 3, Tags: []string{"a"}, Inner: &shape{UserID: "u2"}}}, nil
	})
	defer f.Release()
	v, rej := settle(t, f.Invoke())
	if rej {
		t.Fatalf("rejected: %v", v)
	}
	if !js.Global().Get("Array").Call("isArray", v).Bool() || v.Length() != 1 {
		t.Fatalf("result is not an array of one: %v", v)
	}
	o := v.Index(0)
	if o.Type() != js.TypeObject || o.Get("userID").String() != "u1" || o.Get("seq").Int() != 3 ||
		o.Get("inner").Get("userID").String() != "u2" || o.Get("tags").Index(0).String() != "a" {
		t.Fatalf("wrong object: %v", js.Global().Get("JSON").Call("stringify", o))
	}
}

func TestResolvesScalarsAndUndefined(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{{nil, "undefined"}, {"", "string"}, {int64(7), "number"}, {true, "boolean"}} {
		f := wasmwrapper.Promise(nil, func([]js.Value) (any, error) { return tc.v, nil })
		v, rej := settle(t, f.Invoke())
		f.Release()
		if rej || js.Global().Call("eval", "(v) => typeof v").Invoke(v).String() != tc.want {
			t.Errorf("%#v resolved to %v (rejected %v)", tc.v, v, rej)
		}
	}
}

func TestRejectsWithCode(t *testing.T) {
	f := wasmwrapper.Promise(nil, func([]js.Value) (any, error) {
		return nil, &protocol.Error{Code: protocol.CodeNotLoggedIn, Message: "log in first"}
	})
	defer f.Release()
	v, rej := settle(t, f.Invoke())
	if !rej || !v.InstanceOf(js.Global().Get("Error")) {
		t.Fatalf("want a rejected Error, got %v (rejected %v)", v, rej)
	}
	if v.Get("code").String() != "not_logged_in" || !strings.Contains(v.Get("message").String(), "log in first") {
		t.Fatalf("code %v message %v", v.Get("code"), v.Get("message"))
	}
}

type coded struct{}

func (coded) Error() string       { return "custom" }
func (coded) Code() protocol.Code { return protocol.CodeRateLimited }

func TestCodeOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want protocol.Code
	}{
		{&protocol.Error{Code: protocol.CodeNotFound}, protocol.CodeNotFound},
		{errors.Join(errors.New("x"), coded{}), protocol.CodeRateLimited},
		{errors.New("plain"), protocol.CodeInternal},
	} {
		if got := wasmwrapper.CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	f := wasmwrapper.Promise(nil, func([]js.Value) (any, error) {
		var m map[string]int
		m["boom"] = 1 // nil map write
		return nil, nil
	})
	defer f.Release()
	v, rej := settle(t, f.Invoke())
	if !rej || v.Get("code").String() != "internal" {
		t.Fatalf("panic: got %v rejected=%v", v, rej)
	}
	// The runtime is still alive.
	g := wasmwrapper.Promise(nil, func([]js.Value) (any, error) { return "alive", nil })
	defer g.Release()
	if v, _ := settle(t, g.Invoke()); v.String() != "alive" {
		t.Fatal("runtime broken after a panic")
	}
}

func TestDoesNotBlockCaller(t *testing.T) {
	release := make(chan struct{})
	f := wasmwrapper.Promise(nil, func([]js.Value) (any, error) {
		<-release
		return "done", nil
	})
	defer f.Release()
	p := f.Invoke() // returns at once although the Go side is blocked
	if !p.InstanceOf(js.Global().Get("Promise")) {
		t.Fatal("not a Promise")
	}
	close(release)
	if v, _ := settle(t, p); v.String() != "done" {
		t.Fatalf("got %v", v)
	}
}

// call runs a Promise func whose body decodes its first argument with Args,
// built from a JS expression.
func decode(t *testing.T, argExpr string, read func(a *wasmwrapper.Args)) (js.Value, bool) {
	t.Helper()
	f := wasmwrapper.Promise(nil, func(args []js.Value) (any, error) {
		a := wasmwrapper.Object("testMethod", args, 0)
		read(a)
		return nil, a.Err()
	})
	defer f.Release()
	var arg js.Value
	if argExpr == "" {
		return settle(t, f.Invoke())
	}
	arg = js.Global().Call("eval", "("+argExpr+")")
	return settle(t, f.Invoke(arg))
}

func TestArgumentChecking(t *testing.T) {
	type msg struct {
		ClientMsgID string `json:"clientMsgID"`
		Seq         int64  `json:"seq"`
	}
	cases := []struct {
		name  string
		arg   string
		read  func(a *wasmwrapper.Args)
		field string // "" means: must resolve
	}{
		{"ok", `{userID: "u1", count: 5, ids: ["a"], flag: true}`, func(a *wasmwrapper.Args) {
			a.RequiredString("userID")
			a.Int("count", 20, 1, 100)
			a.Strings("ids", true, 10)
			a.Bool("flag", false)
		}, ""},
		{"no argument, optional fields", ``, func(a *wasmwrapper.Args) { a.String("nickname"); a.Int("count", 1, 0, 10) }, ""},
		{"missing required", `{}`, func(a *wasmwrapper.Args) { a.RequiredString("userID") }, "userID is required"},
		{"no argument, required", ``, func(a *wasmwrapper.Args) { a.RequiredString("token") }, "token is required"},
		{"empty required", `{userID: ""}`, func(a *wasmwrapper.Args) { a.RequiredString("userID") }, "userID must not be empty"},
		{"number for string", `{userID: 42}`, func(a *wasmwrapper.Args) { a.RequiredString("userID") }, "userID must be a string"},
		{"string for number", `{count: "5"}`, func(a *wasmwrapper.Args) { a.Int("count", 1, 0, 10) }, "count must be a number"},
		{"fraction", `{count: 1.5}`, func(a *wasmwrapper.Args) { a.Int("count", 1, 0, 10) }, "count must be an integer"},
		{"NaN", `{count: NaN}`, func(a *wasmwrapper.Args) { a.Int("count", 1, 0, 10) }, "count must be an integer"},
		{"out of range", `{count: 11}`, func(a *wasmwrapper.Args) { a.Int("count", 1, 0, 10) }, "count must be between 0 and 10"},
		{"required int", `{}`, func(a *wasmwrapper.Args) { a.RequiredInt("count", 1, 10) }, "count is required"},
		{"bool", `{flag: 1}`, func(a *wasmwrapper.Args) { a.Bool("flag", false) }, "flag must be a boolean"},
		{"array not array", `{ids: "a"}`, func(a *wasmwrapper.Args) { a.Strings("ids", true, 10) }, "ids must be an array of strings"},
		{"array element", `{ids: ["a", 2]}`, func(a *wasmwrapper.Args) { a.Strings("ids", true, 10) }, "ids[1] must be a string"},
		{"array empty element", `{ids: ["a", ""]}`, func(a *wasmwrapper.Args) { a.Strings("ids", true, 10) }, "ids[1] must not be empty"},
		{"array too long", `{ids: ["a","b","c"]}`, func(a *wasmwrapper.Args) { a.Strings("ids", true, 2) }, "ids has 3 elements"},
		{"array required", `{}`, func(a *wasmwrapper.Args) { a.Strings("ids", true, 2) }, "ids is required"},
		{"bigint", `{count: 1n}`, func(a *wasmwrapper.Args) { a.Int("count", 1, 0, 10) }, "count must be a number, got a bigint"},
		{"array argument", `["u1"]`, func(a *wasmwrapper.Args) { a.RequiredString("userID") }, "argument must be an object"},
		{"string argument", `"u1"`, func(a *wasmwrapper.Args) { a.RequiredString("userID") }, "argument must be an object"},
		{"nested ok", `{message: {clientMsgID: "c1", seq: 0}}`, func(a *wasmwrapper.Args) { var m msg; a.JSON("message", true, &m) }, ""},
		{"nested wrong type", `{message: {clientMsgID: 5}}`, func(a *wasmwrapper.Args) { var m msg; a.JSON("message", true, &m) }, "message.clientMsgID must be a string"},
		{"nested not object", `{message: "hi"}`, func(a *wasmwrapper.Args) { var m msg; a.JSON("message", true, &m) }, "message must be an object"},
		{"nested cycle", `(() => { const m = {}; m.self = m; return {message: m} })()`, func(a *wasmwrapper.Args) { var m msg; a.JSON("message", true, &m) }, "message is not JSON-serializable"},
		{"first error wins", `{userID: 1, token: 2}`, func(a *wasmwrapper.Args) { a.RequiredString("userID"); a.RequiredString("token") }, "userID must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, rej := decode(t, tc.arg, tc.read)
			if tc.field == "" {
				if rej {
					t.Fatalf("rejected: %s", v.Get("message").String())
				}
				return
			}
			if !rej {
				t.Fatalf("resolved, want rejection naming %q", tc.field)
			}
			if code := v.Get("code").String(); code != "invalid_argument" {
				t.Fatalf("code = %q", code)
			}
			if m := v.Get("message").String(); !strings.Contains(m, "testMethod: "+tc.field) {
				t.Fatalf("message %q does not contain %q", m, "testMethod: "+tc.field)
			}
		})
	}
}

func TestOptionalString(t *testing.T) {
	var nick, face *string
	v, rej := decode(t, `{nickname: "", faceURL: null}`, func(a *wasmwrapper.Args) {
		nick = a.OptionalString("nickname")
		face = a.OptionalString("faceURL")
	})
	if rej {
		t.Fatal(v.Get("message").String())
	}
	if nick == nil || *nick != "" || face != nil {
		t.Fatalf("nickname %v faceURL %v", nick, face)
	}
}

func TestFuncsRelease(t *testing.T) {
	var fs wasmwrapper.Funcs
	calls := 0
	obj := js.Global().Get("Object").New()
	obj.Set("a", fs.Add(js.FuncOf(func(js.Value, []js.Value) any { calls++; return "a" })))
	obj.Set("p", fs.Add(wasmwrapper.Promise(nil, func([]js.Value) (any, error) {
		// Releasing from inside a Promise method, as a client's close does.
		fs.Release()
		return "released", nil
	})))
	if got := obj.Call("a").String(); got != "a" || fs.Len() != 2 {
		t.Fatalf("before release: %q, %d funcs", got, fs.Len())
	}
	if v, rej := settle(t, obj.Call("p")); rej || v.String() != "released" {
		t.Fatalf("promise: %v (rejected %v)", v, rej)
	}
	if fs.Len() != 0 {
		t.Fatalf("%d funcs after Release", fs.Len())
	}
	// A released function is gone from syscall/js's table: calling it does
	// not reach Go.
	obj.Call("a")
	if calls != 1 {
		t.Fatalf("released function ran: %d calls", calls)
	}
	fs.Release() // again: nothing
	late := fs.Add(js.FuncOf(func(js.Value, []js.Value) any { calls++; return nil }))
	late.Invoke()
	if calls != 1 || fs.Len() != 0 {
		t.Fatalf("a function added after Release was kept: %d calls, %d held", calls, fs.Len())
	}
}
