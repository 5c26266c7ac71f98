package protocol

import (
	"errors"
	"fmt"
)

// Code is a stable, lower-snake error code. The same codes are used in HTTP
// error bodies, in WebSocket error responses and on the JS Error's .code.
type Code string

// Codes shared by server and SDK.
const (
	CodeInvalidArgument  Code = "invalid_argument"
	CodeUnauthenticated  Code = "unauthenticated"
	CodePermissionDenied Code = "permission_denied"
	CodeNotFound         Code = "not_found"
	CodeAlreadyExists    Code = "already_exists"
	CodeRateLimited      Code = "rate_limited"
	CodeTooLarge         Code = "too_large"
	CodeInternal         Code = "internal"
	// CodeUnimplemented answers a request type the server does not know.
	CodeUnimplemented Code = "unimplemented"
	// CodeTokenExpired means the token is past its expiry or was revoked;
	// the client must obtain a new one and must not retry with the old one.
	CodeTokenExpired Code = "token_expired"
	// CodeUnavailable means the server is starting or shutting down; retry later.
	CodeUnavailable Code = "unavailable"

	// Client-side codes (never sent by the server).
	CodeNetwork     Code = "network"
	CodeNotLoggedIn Code = "not_logged_in"
	CodeTimeout     Code = "timeout"
	CodeCanceled    Code = "canceled"
	// CodeClosed answers every call on a client after its Close.
	CodeClosed Code = "closed"
)

// Error is the one client-facing error shape: {"code": ..., "message": ...}.
// It is the body of HTTP errors ({"error": Error}) and of WebSocket error
// responses (Frame.Error).
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Temporary reports whether the same request may succeed if sent again later
// without change.
func (e *Error) Temporary() bool {
	switch e.Code {
	case CodeRateLimited, CodeUnavailable, CodeInternal, CodeNetwork, CodeTimeout:
		return true
	}
	return false
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// CodeMessageRejected: the application's backend refused the message
// (beforeSendMessage webhook) without a reason code of its own. A
// backend's own lower-snake reason code reaches the sender instead.
const CodeMessageRejected Code = "message_rejected"
