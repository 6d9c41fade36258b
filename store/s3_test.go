package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/testinfra"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versitygw starts a real S3 server for the test and returns its endpoint
// and a function that kills it (see testinfra.Versitygw).
func versitygw(t *testing.T) (endpoint string, kill func()) {
	g := testinfra.Versitygw(t)
	return g.Endpoint(), g.Stop
}

// awsEnv points the AWS config chain at the given credentials only.
func awsEnv(t *testing.T, access, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestS3Versitygw(t *testing.T) {
	endpoint, kill := versitygw(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	awsEnv(t, "K", "S")
	cfg := S3Config{Endpoint: endpoint, Region: "us-east-1", PathStyle: true, MaxAttempts: 1}
	s, err := NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: new("swatches")}); err != nil {
		t.Fatal(err)
	}

	swatch := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n"), 125) // 1000 bytes
	key := OutputKey("sku-42", "s3://photos/42.jpg")
	opts := PutOptions{ContentType: "image/png", CacheControl: "public, max-age=86400"}
	if err := s.Put(ctx, "swatches", key, swatch, opts); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "swatches", key, 1000)
	if err != nil || !bytes.Equal(got, swatch) {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: new("swatches"), Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if ct := deref(head.ContentType); ct != opts.ContentType {
		t.Errorf("Content-Type = %q, want %q", ct, opts.ContentType)
	}
	if cc := deref(head.CacheControl); cc != opts.CacheControl {
		t.Errorf("Cache-Control = %q, want %q", cc, opts.CacheControl)
	}
	etag := deref(head.ETag)

	// A re-delivered job overwrites the same object with the same bytes.
	if err := s.Put(ctx, "swatches", key, swatch, opts); err != nil {
		t.Fatal(err)
	}
	head2, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: new("swatches"), Key: &key})
	if err != nil || deref(head2.ETag) != etag || deref(head2.ContentLength) != int64(len(swatch)) {
		t.Errorf("after overwrite: etag %q (was %q), %v", deref(head2.ETag), etag, err)
	}
	list, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: new("swatches")})
	if err != nil || len(list.Contents) != 1 {
		t.Errorf("objects after overwrite: %d, %v", len(list.Contents), err)
	}

	if _, err := s.Get(ctx, "swatches", key, 999); !errors.Is(err, ErrTooLarge) || IsTransient(err) {
		t.Errorf("Get over maxBytes: %v, want ErrTooLarge", err)
	}
	for _, bk := range [][2]string{{"swatches", "missing.png"}, {"nobucket", "x.png"}} {
		if _, err := s.Get(ctx, bk[0], bk[1], 1000); !errors.Is(err, ErrNotFound) || IsTransient(err) {
			t.Errorf("Get %s/%s: %v, want ErrNotFound, not transient", bk[0], bk[1], err)
		}
	}

	// Through the Router, as the worker uses it.
	r := &Router{S3: s}
	if err := r.Put(ctx, "s3://swatches/via/router.png", swatch, opts); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Get(ctx, "s3://swatches/via/router.png", 0); err != nil || !bytes.Equal(got, swatch) {
		t.Errorf("Router Get = %d bytes, %v", len(got), err)
	}

	// versitygw verifies SigV4: a wrong secret is refused, permanently.
	awsEnv(t, "K", "wrong")
	bad, err := NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Put(ctx, "swatches", "bad.png", swatch, opts)
	t.Logf("wrong secret: %v", err)
	if err == nil || IsTransient(err) {
		t.Errorf("Put with a wrong secret: %v, want a permanent error", err)
	}
	if _, err := bad.Get(ctx, "swatches", key, 1000); err == nil || IsTransient(err) || errors.Is(err, ErrNotFound) {
		t.Errorf("Get with a wrong secret: %v, want a permanent error", err)
	}

	// The server going away is transient.
	kill()
	_, err = s.Get(ctx, "swatches", key, 1000)
	t.Logf("stopped server: %v", err)
	if err == nil || !IsTransient(err) {
		t.Errorf("Get from a stopped server: %v, want a transient error", err)
	}
	if err := s.Put(ctx, "swatches", key, swatch, opts); err == nil || !IsTransient(err) {
		t.Errorf("Put to a stopped server: %v, want a transient error", err)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestS3ConfigValidate(t *testing.T) {
	for _, c := range []S3Config{{Endpoint: "127.0.0.1:7070"}, {Endpoint: "ftp://x"}, {Endpoint: "http://"}, {MaxAttempts: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
		if _, err := NewS3(context.Background(), c); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("NewS3(%+v) = %v, want a store: error", c, err)
		}
	}
}
