package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in a bucket of an S3-compatible object store: one object
// per blob, named by its key under an optional prefix. S3 makes an object
// visible only once its upload completed, so a blob appears whole.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// S3Config says where the bucket is.
type S3Config struct {
	// Endpoint is the store's host:port.
	Endpoint string
	Bucket   string
	// Prefix is put before every key ("parley/"); "" for none.
	Prefix    string
	Region    string
	AccessKey string
	SecretKey string
	// Insecure talks plain HTTP instead of HTTPS.
	Insecure bool
	// PathStyle addresses the bucket in the path (host/bucket/key), as
	// most self-hosted stores want, rather than in the host name.
	PathStyle bool
}

// ParseS3URL reads a -files URL:
//
//	s3://bucket?endpoint=host:port&region=…&prefix=…&secure=false&access_key=…&secret_key=…
//
// endpoint is required. secure defaults to true (HTTPS). The keys default
// to the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment
// variables, so that they need not be in the URL. Addressing is by path
// unless virtual_host=true.
func ParseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return S3Config{}, errors.New("files: want s3://bucket?endpoint=host:port…")
	}
	q := u.Query()
	c := S3Config{
		Endpoint:  q.Get("endpoint"),
		Bucket:    u.Host,
		Prefix:    q.Get("prefix"),
		Region:    q.Get("region"),
		AccessKey: q.Get("access_key"),
		SecretKey: q.Get("secret_key"),
		PathStyle: true,
	}
	if c.Endpoint == "" {
		return S3Config{}, errors.New("files: an s3:// URL needs endpoint=host:port")
	}
	if v := q.Get("secure"); v != "" {
		secure, err := strconv.ParseBool(v)
		if err != nil {
			return S3Config{}, fmt.Errorf("files: secure=%q: want true or false", v)
		}
		c.Insecure = !secure
	}
	if v := q.Get("virtual_host"); v != "" {
		vh, err := strconv.ParseBool(v)
		if err != nil {
			return S3Config{}, fmt.Errorf("files: virtual_host=%q: want true or false", v)
		}
		c.PathStyle = !vh
	}
	if c.AccessKey == "" {
		c.AccessKey = os.Getenv("AWS_ACCESS_KEY_ID")
	}
	if c.SecretKey == "" {
		c.SecretKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
	}
	return c, nil
}

// OpenS3 connects to the bucket, creating it when it does not exist.
func OpenS3(ctx context.Context, c S3Config) (*S3, error) {
	lookup := minio.BucketLookupDNS
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       !c.Insecure,
		Region:       c.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("files: s3: %w", err)
	}
	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("files: s3 bucket %q: %w", c.Bucket, err)
	}
	if !ok {
		if err := client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: c.Region}); err != nil {
			return nil, fmt.Errorf("files: s3 make bucket %q: %w", c.Bucket, err)
		}
	}
	return &S3{client: client, bucket: c.Bucket, prefix: c.Prefix}, nil
}

func (s *S3) object(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return s.prefix + key, nil
}

// partSize is the size of the parts of a multipart upload. minio-go holds
// one part in memory per Put; 8 MiB keeps that small while a 100 MiB file
// is sent in 13 parts.
const partSize = 8 << 20

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("files: put %q: negative size", key)
	}
	er := &exactReader{r: r, left: size}
	_, err = s.client.PutObject(ctx, s.bucket, obj, er, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    partSize,
	})
	if err != nil {
		if errors.Is(err, ErrShort) {
			return fmt.Errorf("files: put %q: %w", key, ErrShort)
		}
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	// minio-go stops at size bytes: a longer reader is only found out by
	// reading one more.
	if _, err := er.Read(make([]byte, 1)); err != io.EOF {
		s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{})
		if err == nil {
			err = ErrShort
		}
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	return nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if off < 0 || off > info.Size {
		return nil, fmt.Errorf("files: get %q at %d of %d: %w", key, off, info.Size, ErrRange)
	}
	if n < 0 || n > info.Size-off {
		n = info.Size - off
	}
	if n == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("files: get %q: %w", key, err)
	}
	o, err := s.client.GetObject(ctx, s.bucket, obj, opts)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return o, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	obj, err := s.object(key)
	if err != nil {
		return Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, obj, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.wrap("stat", key, err)
	}
	return Info{Size: st.Size}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{}); err != nil {
		if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusNotFound {
			return nil
		}
		return fmt.Errorf("files: delete %q: %w", key, err)
	}
	return nil
}

func (s *S3) wrap(op, key string, err error) error {
	if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" {
		return fmt.Errorf("files: %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("files: %s %q: %w", op, key, err)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
