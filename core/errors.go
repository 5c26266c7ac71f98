package core

import (
	"context"
	"errors"

	"parley/protocol"
)

// Error is the one client-facing error: every error a Client method returns
// carries one in its chain, so protocol.CodeOf(err) gives the code the JS
// layer puts on the Error's .code.
type Error = protocol.Error

// Store sentinels: part of the Store contract, checked by core/storetest.
var (
	// ErrNotFound is returned (wrapped or not) by single-item store reads
	// that find nothing.
	ErrNotFound = errors.New("core: not found")
	// ErrStoreClosed is returned by every store method after Close.
	ErrStoreClosed = errors.New("core: store closed")
)

func errNotLoggedIn() error {
	return &Error{Code: protocol.CodeNotLoggedIn, Message: "not logged in"}
}

func errInvalid(msg string) error {
	return &Error{Code: protocol.CodeInvalidArgument, Message: msg}
}

// codeErr wraps err so that it carries code unless it already has one.
type codeErr struct {
	e   *Error
	err error
}

func (c *codeErr) Error() string { return c.e.Error() }
func (c *codeErr) Unwrap() []error {
	return []error{c.e, c.err}
}

// withCode gives err a code if its chain has none: context errors become
// timeout or canceled, store and other local failures internal.
func withCode(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	code := protocol.CodeInternal
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = protocol.CodeTimeout
	case errors.Is(err, context.Canceled):
		code = protocol.CodeCanceled
	case errors.Is(err, ErrNotFound):
		code = protocol.CodeNotFound
	}
	return &codeErr{e: &Error{Code: code, Message: err.Error()}, err: err}
}
