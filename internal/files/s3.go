package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options configure an S3-compatible store (AWS S3, MinIO, Tencent
// COS, Aliyun OSS): SWITCHBOARD_S3_ENDPOINT, _BUCKET, _REGION,
// _ACCESS_KEY_ID and _SECRET_ACCESS_KEY.
type S3Options struct {
	// Endpoint is the service's URL, such as https://s3.eu-west-1.amazonaws.com,
	// https://cos.ap-shanghai.myqcloud.com or http://127.0.0.1:9000 (MinIO).
	Endpoint        string
	Bucket          string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// VirtualHosted addresses the bucket as a host name
	// (bucket.endpoint); the default is path style (endpoint/bucket),
	// which every S3-compatible store accepts.
	VirtualHosted bool
	// TempDir holds an upload while it is hashed, before it is sent with
	// its length (a single PUT: nothing buffered in memory); default the
	// system's.
	TempDir   string
	Transport http.RoundTripper // tests
}

// S3 is a Store in an S3-compatible bucket. Objects are sent with one
// streaming PUT of known length, without the trailing checksums that
// many S3-compatible stores refuse; downloads are presigned GET links.
type S3 struct {
	c      *minio.Client
	bucket string
	tmp    string
}

// NewS3 returns an S3 store; it checks that the bucket exists.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("files: S3 endpoint %q is not an http(s) URL", o.Endpoint)
	}
	if o.Bucket == "" {
		return nil, errors.New("files: S3 needs a bucket")
	}
	lookup := minio.BucketLookupPath
	if o.VirtualHosted {
		lookup = minio.BucketLookupDNS
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, ""),
		Secure:       u.Scheme == "https",
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    o.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("files: S3: %w", err)
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("files: S3 bucket %s: %w", o.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("files: S3 bucket %s does not exist", o.Bucket)
	}
	return &S3{c: c, bucket: o.Bucket, tmp: o.TempDir}, nil
}

// Put implements Store: the bytes are spooled to a temporary file while
// they are hashed, then sent with their length.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (Stored, error) {
	if err := checkKey(key); err != nil {
		return Stored{}, err
	}
	f, err := os.CreateTemp(s.tmp, "switchboard-upload-*")
	if err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), readerWithContext(ctx, r))
	if err != nil {
		return Stored{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Stored{}, fmt.Errorf("files: %w", err)
	}
	_, err = s.c.PutObject(ctx, s.bucket, key, f, n, minio.PutObjectOptions{
		DisableMultipart: true, ContentType: "application/octet-stream",
	})
	if err != nil {
		return Stored{}, fmt.Errorf("files: S3 put %s: %w", key, err)
	}
	return Stored{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("files: S3 get %s: %w", key, err)
	}
	info, err := o.Stat()
	if err != nil {
		o.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("files: S3 get %s: %w", key, err)
	}
	return &s3Object{Object: o, info: info}, nil
}

type s3Object struct {
	*minio.Object
	info minio.ObjectInfo
}

func (o *s3Object) Size() int64         { return o.info.Size }
func (o *s3Object) Modified() time.Time { return o.info.LastModified }

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil &&
		minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return fmt.Errorf("files: S3 delete %s: %w", key, err)
	}
	return nil
}

// Walk implements Store.
func (s *S3) Walk(ctx context.Context, prefix string, fn func(string, time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("files: S3 list: %w", o.Err)
		}
		if err := fn(o.Key, o.LastModified); err != nil {
			return err
		}
	}
	return nil
}

// Presign implements Presigner: a GET link to the object, good for ttl,
// answered with the given content type and disposition.
func (s *S3) Presign(ctx context.Context, key, contentType, disposition string, ttl time.Duration) (string, error) {
	q := url.Values{"response-content-type": {contentType}, "response-content-disposition": {disposition}}
	u, err := s.c.PresignedGetObject(ctx, s.bucket, key, ttl, q)
	if err != nil {
		return "", fmt.Errorf("files: S3 presign %s: %w", key, err)
	}
	return u.String(), nil
}

// Presigner is a Store that hands out direct download links: Switchboard
// checks its own signed link, then redirects there.
type Presigner interface {
	Presign(ctx context.Context, key, contentType, disposition string, ttl time.Duration) (string, error)
}

// checkKey refuses keys that are not relative slash paths of plain
// segments.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.HasPrefix(key, ".") {
		return fmt.Errorf("files: invalid key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("files: invalid key %q", key)
		}
	}
	return nil
}
