//go:build js

package wasmwrapper

import (
	"sync"
	"syscall/js"
)

// Funcs collects the js.Func values behind one JS object (a client's
// methods), so that discarding the object releases them all: a js.Func
// not released keeps its Go closure, and everything that closure reaches,
// alive for as long as the Go runtime runs.
type Funcs struct {
	mu       sync.Mutex
	fs       []js.Func
	released bool
}

// Add records fn and returns it. After Release, fn is released at once:
// nothing may keep a function of a discarded object.
func (f *Funcs) Add(fn js.Func) js.Func {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.released {
		fn.Release()
		return fn
	}
	f.fs = append(f.fs, fn)
	return fn
}

// Release releases every recorded function; calling it again does
// nothing. It may run inside one of them (a Promise method's goroutine):
// syscall/js only drops a released function from its table. JS calls to a
// released function log "call to released function" on the console and
// return undefined, so the JS side stops calling them first.
func (f *Funcs) Release() {
	f.mu.Lock()
	fs := f.fs
	f.fs, f.released = nil, true
	f.mu.Unlock()
	for _, fn := range fs {
		fn.Release()
	}
}

// Len returns how many functions are held (not yet released).
func (f *Funcs) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fs)
}
