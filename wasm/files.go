//go:build js

package main

import (
	"context"
	"encoding/json"
	"math"
	"syscall/js"

	"parley/blobjs"
	"parley/core"
	"parley/protocol"
	wasmwrapper "parley/wasm_wrapper"
)

// The JS methods of rich messages and files (contract §4.1): the create
// methods, uploadFile and deleteUnsentMessage. A File or Blob the app
// gives stays in JavaScript (blobjs): the SDK slices it and stores the
// slices, never reading its bytes into Go.

// thumbnailMax bounds the longer side of an image's thumbnail, in pixels.
const thumbnailMax = 320

func invalid(method, msg string) error {
	return &core.Error{Code: protocol.CodeInvalidArgument, Message: method + ": " + msg}
}

// fileArg reads args[0][field] as a File or Blob.
func fileArg(method, field string, args []js.Value, required bool) (core.File, bool, error) {
	if len(args) == 0 || args[0].Type() != js.TypeObject {
		return core.File{}, false, invalid(method, "takes an object")
	}
	v := args[0].Get(field)
	if v.IsUndefined() || v.IsNull() {
		if required {
			return core.File{}, false, invalid(method, field+" is required")
		}
		return core.File{}, false, nil
	}
	b, ok := blobjs.FromJS(v)
	if !ok {
		return core.File{}, false, invalid(method, field+" must be a File or Blob")
	}
	f := core.File{Type: v.Get("type").String(), Data: b}
	if n := v.Get("name"); n.Type() == js.TypeString {
		f.Name = n.String()
	}
	return f, true, nil
}

// numArg reads a finite number; absent gives def unless required.
func numArg(method, field string, args []js.Value, required bool, def float64) (float64, error) {
	v := args[0].Get(field)
	if v.IsUndefined() || v.IsNull() {
		if required {
			return 0, invalid(method, field+" is required")
		}
		return def, nil
	}
	if v.Type() != js.TypeNumber || math.IsNaN(v.Float()) || math.IsInf(v.Float(), 0) {
		return 0, invalid(method, field+" must be a finite number")
	}
	return v.Float(), nil
}

// imageInfo reads an image's size and makes its thumbnail in the browser
// (createImageBitmap, OffscreenCanvas: no server CPU). An image the
// browser cannot decode has no thumbnail and the size the app gave.
func imageInfo(ctx context.Context, f core.File) (width, height int, thumb core.ImageFile, err error) {
	g := js.Global()
	if g.Get("createImageBitmap").Type() != js.TypeFunction {
		return 0, 0, thumb, nil
	}
	blob, _ := f.Data.(blobjs.Blob)
	bmp, err := blobjs.Await(ctx, g.Call("createImageBitmap", blob.JSValue()))
	if err != nil {
		return 0, 0, thumb, nil // not an image the browser decodes
	}
	defer bmp.Call("close")
	width, height = bmp.Get("width").Int(), bmp.Get("height").Int()
	if width <= 0 || height <= 0 || g.Get("OffscreenCanvas").Type() != js.TypeFunction {
		return width, height, thumb, nil
	}
	scale := math.Min(1, float64(thumbnailMax)/float64(max(width, height)))
	tw, th := max(1, int(math.Round(float64(width)*scale))), max(1, int(math.Round(float64(height)*scale)))
	canvas := g.Get("OffscreenCanvas").New(tw, th)
	canvas.Call("getContext", "2d").Call("drawImage", bmp, 0, 0, tw, th)
	out, err := blobjs.Await(ctx, canvas.Call("convertToBlob", map[string]any{"type": "image/jpeg", "quality": 0.8}))
	if err != nil {
		return width, height, thumb, nil
	}
	tb, ok := blobjs.FromJS(out)
	if !ok {
		return width, height, thumb, nil
	}
	thumb = core.ImageFile{File: core.File{Name: "thumbnail.jpg", Type: "image/jpeg", Data: tb}, Width: tw, Height: th}
	return width, height, thumb, nil
}

// fileMethods are the methods of this file, bound with the others.
func (h *handle) fileMethods() map[string]wasmwrapper.Func {
	c := h.c
	bg := context.Background
	ok := func(v any, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return nonNil(v), nil
	}
	return map[string]wasmwrapper.Func{
		"createImageMessage": func(args []js.Value) (any, error) {
			const m = "createImageMessage"
			f, _, err := fileArg(m, "file", args, true)
			if err != nil {
				return nil, err
			}
			w, ht, thumb, _ := imageInfo(bg(), f)
			a := wasmwrapper.Object(m, args, 0)
			w = int(a.Int("width", int64(w), 0, 1<<20))
			ht = int(a.Int("height", int64(ht), 0, 1<<20))
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateImageMessage(core.ImageFile{File: f, Width: w, Height: ht}, thumb))
		},
		"createVoiceMessage": func(args []js.Value) (any, error) {
			const m = "createVoiceMessage"
			f, _, err := fileArg(m, "file", args, true)
			if err != nil {
				return nil, err
			}
			d, err := numArg(m, "duration", args, true, 0)
			if err != nil {
				return nil, err
			}
			return ok(c.CreateVoiceMessage(f, d))
		},
		"createVideoMessage": func(args []js.Value) (any, error) {
			const m = "createVideoMessage"
			f, _, err := fileArg(m, "file", args, true)
			if err != nil {
				return nil, err
			}
			d, err := numArg(m, "duration", args, true, 0)
			if err != nil {
				return nil, err
			}
			snap, has, err := fileArg(m, "snapshot", args, false)
			if err != nil {
				return nil, err
			}
			var sp *core.ImageFile
			if has {
				w, ht, _, _ := imageInfo(bg(), snap)
				sp = &core.ImageFile{File: snap, Width: w, Height: ht}
			}
			return ok(c.CreateVideoMessage(f, d, sp))
		},
		"createFileMessage": func(args []js.Value) (any, error) {
			const m = "createFileMessage"
			f, _, err := fileArg(m, "file", args, true)
			if err != nil {
				return nil, err
			}
			a := wasmwrapper.Object(m, args, 0)
			name := a.String("fileName")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateFileMessage(f, name))
		},
		"createLocationMessage": func(args []js.Value) (any, error) {
			const m = "createLocationMessage"
			a := wasmwrapper.Object(m, args, 0)
			desc := a.String("description")
			if err := a.Err(); err != nil {
				return nil, err
			}
			lat, err := numArg(m, "latitude", args, true, 0)
			if err != nil {
				return nil, err
			}
			lng, err := numArg(m, "longitude", args, true, 0)
			if err != nil {
				return nil, err
			}
			return ok(c.CreateLocationMessage(lat, lng, desc))
		},
		"createCardMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createCardMessage", args, 0)
			id := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateCardMessage(bg(), id))
		},
		"createCustomMessage": func(args []js.Value) (any, error) {
			const m = "createCustomMessage"
			a := wasmwrapper.Object(m, args, 0)
			desc := a.String("description")
			if err := a.Err(); err != nil {
				return nil, err
			}
			v := args[0].Get("data")
			if v.IsUndefined() {
				return nil, invalid(m, "data is required")
			}
			raw, err := stringify(v)
			if err != nil {
				return nil, invalid(m, "data is not JSON-serializable")
			}
			return ok(c.CreateCustomMessage(raw, desc))
		},
		"createQuoteMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createQuoteMessage", args, 0)
			text := a.RequiredString("text")
			var q core.Message
			a.JSON("quoteMessage", true, &q)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateQuoteMessage(text, q))
		},
		"createMentionMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createMentionMessage", args, 0)
			text := a.RequiredString("text")
			ids := a.Strings("atUserIDs", false, protocol.MaxMentionUserIDs)
			all := a.Bool("atAll", false)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateMentionMessage(text, ids, all))
		},
		"createMergerMessage": func(args []js.Value) (any, error) {
			const m = "createMergerMessage"
			a := wasmwrapper.Object(m, args, 0)
			title := a.String("title")
			if err := a.Err(); err != nil {
				return nil, err
			}
			v := args[0].Get("messages")
			if !v.InstanceOf(js.Global().Get("Array")) {
				return nil, invalid(m, "messages must be an array of messages")
			}
			raw, err := stringify(v)
			var ms []core.Message
			if err == nil {
				err = json.Unmarshal(raw, &ms)
			}
			if err != nil {
				return nil, invalid(m, "messages must be an array of messages")
			}
			return ok(c.CreateMergerMessage(bg(), ms, title))
		},
		"createForwardMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createForwardMessage", args, 0)
			var msg core.Message
			a.JSON("message", true, &msg)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateForwardMessage(msg))
		},
		"createFaceMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createFaceMessage", args, 0)
			index := a.RequiredInt("index", 0, math.MaxInt32)
			data := a.String("data")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateFaceMessage(int(index), data))
		},
		"createLinkMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createLinkMessage", args, 0)
			url := a.RequiredString("url")
			text := a.String("text")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateLinkMessage(bg(), url, text))
		},
		"uploadFile": func(args []js.Value) (any, error) {
			const m = "uploadFile"
			f, _, err := fileArg(m, "file", args, true)
			if err != nil {
				return nil, err
			}
			var progress func(sent, total int64)
			if cb := args[0].Get("onProgress"); cb.Type() == js.TypeFunction {
				progress = func(sent, total int64) {
					defer func() {
						if r := recover(); r != nil {
							h.log.Error("onProgress threw", "panic", r)
						}
					}()
					cb.Invoke(map[string]any{"bytesSent": sent, "bytesTotal": total})
				}
			} else if !cb.IsUndefined() {
				return nil, invalid(m, "onProgress must be a function")
			}
			return ok(c.UploadFile(bg(), f, progress))
		},
		"deleteUnsentMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("deleteUnsentMessage", args, 0)
			conv := a.String("conversationID")
			id := a.RequiredString("clientMsgID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.DeleteUnsentMessage(bg(), conv, id)
		},
	}
}

// stringify is JSON.stringify(v), which throws on cycles and BigInt.
func stringify(v js.Value) (raw json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = invalid("JSON", "value is not JSON-serializable")
		}
	}()
	s := js.Global().Get("JSON").Call("stringify", v)
	if s.Type() != js.TypeString {
		return nil, invalid("JSON", "value is not JSON-serializable")
	}
	return json.RawMessage(s.String()), nil
}

// signed gives the app file URLs signed for the user (core.SignFileURLs)
// in the messages of v, a method's result or an event's payload,
// conversations' latest messages included.
func (h *handle) signed(v any) any {
	ctx := context.Background()
	switch x := v.(type) {
	case core.Message:
		return h.c.SignFileURLs(ctx, []core.Message{x})[0]
	case []core.Message:
		return h.c.SignFileURLs(ctx, x)
	case core.History:
		x.Messages = h.c.SignFileURLs(ctx, x.Messages)
		return x
	case []core.Conversation:
		return h.signLatest(ctx, x)
	}
	return v
}

// signLatest signs the latest messages of cs, in one batch, on copies:
// the conversations may be shared with core's cache.
func (h *handle) signLatest(ctx context.Context, cs []core.Conversation) []core.Conversation {
	var ms []core.Message
	for _, c := range cs {
		if c.LatestMessage != nil {
			ms = append(ms, *c.LatestMessage)
		}
	}
	if len(ms) == 0 {
		return cs
	}
	ms = h.c.SignFileURLs(ctx, ms)
	out := append([]core.Conversation(nil), cs...)
	for i := range out {
		if out[i].LatestMessage != nil {
			out[i].LatestMessage, ms = &ms[0], ms[1:]
		}
	}
	return out
}
