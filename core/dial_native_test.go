//go:build !js

package core

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestNativeDialErrorHidesToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = NativeDialer{}.Dial(context.Background(), "ws://"+addr+"/ws?token=s3cret")
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("dial error shows the token: %v", err)
	}
}
