package httpapi

import "parley/protocol"

// UploadStart validates the start of an upload and returns the claimed
// media type to keep until the bytes are sniffed ("application/octet-stream"
// when none was claimed). A size over maxFileBytes is too_large.
func UploadStart(req *protocol.UploadStartReq, maxFileBytes int64) (mimeType string, err error) {
	if err := protocol.CheckFileName(req.FileName); err != nil {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "fileName: %s", err.(*protocol.Error).Message)
	}
	mimeType = req.MIMEType
	if mimeType == "" {
		mimeType = "application/octet-stream"
	}
	if len(mimeType) > protocol.MaxMIMETypeLen || !protocol.ValidMediaType(mimeType) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "mimeType %q is not a media type", req.MIMEType)
	}
	switch {
	case req.Size < 0:
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "size must not be negative")
	case req.Size > maxFileBytes:
		return "", protocol.Errorf(protocol.CodeTooLarge, "the file is %d bytes, over the limit of %d", req.Size, maxFileBytes)
	}
	return mimeType, nil
}

// FileSign validates a request to sign download URLs.
func FileSign(req *protocol.FileSignReq) error {
	if len(req.Messages) == 0 || len(req.Messages) > protocol.MaxSignMessages {
		return protocol.Errorf(protocol.CodeInvalidArgument, "sign 1 to %d messages at once", protocol.MaxSignMessages)
	}
	return nil
}
