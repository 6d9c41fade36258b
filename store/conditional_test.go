package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// testConditional checks metadata, Stat and conditional Puts on one
// bucket of a Store: the contract the worker's manual pins rely on.
func testConditional(t *testing.T, s Store, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const key = "p1/swatch.png"
	if _, err := s.Stat(ctx, bucket, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat of a missing object = %v, want ErrNotFound", err)
	}
	// If-Match on a missing object: refused, whatever the code says.
	err := s.Put(ctx, bucket, key, []byte("x"), PutOptions{IfMatch: `"0123"`})
	if err == nil {
		t.Fatal("If-Match on a missing object wrote it")
	}
	t.Logf("If-Match on a missing object: %v", err)
	if !errors.Is(err, ErrPreconditionFailed) && !errors.Is(err, ErrNotFound) {
		t.Fatalf("If-Match on a missing object = %v, want ErrPreconditionFailed or ErrNotFound", err)
	}

	meta := map[string]string{"palette-source": "manual", "palette-fixed-by": "ana%40example.com"}
	if err := s.Put(ctx, bucket, key, []byte("one"), PutOptions{ContentType: "image/png", Metadata: meta, IfNoneMatch: "*"}); err != nil {
		t.Fatalf("If-None-Match * on a missing object: %v", err)
	}
	one, err := s.Stat(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if one.ETag == "" || one.Size != 3 || one.Metadata["palette-source"] != "manual" || one.Metadata["palette-fixed-by"] != "ana%40example.com" {
		t.Fatalf("Stat = %+v", one)
	}
	if err := s.Put(ctx, bucket, key, []byte("two"), PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-None-Match * over an object = %v, want ErrPreconditionFailed", err)
	}
	if err := s.Put(ctx, bucket, key, []byte("two"), PutOptions{IfMatch: `"ffffffffffffffffffffffffffffffff"`}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("stale If-Match = %v, want ErrPreconditionFailed", err)
	}
	if IsTransient(err) {
		t.Fatal("ErrPreconditionFailed is transient")
	}
	if got, _ := s.Get(ctx, bucket, key, 0); !bytes.Equal(got, []byte("one")) {
		t.Fatalf("a refused Put changed the object: %q", got)
	}
	// The current ETag lets the write through, and a Put without
	// metadata leaves none.
	if err := s.Put(ctx, bucket, key, []byte("two"), PutOptions{IfMatch: one.ETag}); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	two, err := s.Stat(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	if two.ETag == one.ETag || len(two.Metadata) != 0 {
		t.Fatalf("after a Put without metadata: %+v (before %+v)", two, one)
	}
	if err := s.Put(ctx, bucket, key, []byte("three"), PutOptions{IfMatch: one.ETag}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-Match with the previous ETag = %v, want ErrPreconditionFailed", err)
	}
	// Unconditional writes always go through.
	if err := s.Put(ctx, bucket, key, []byte("four"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// swatchesS3 is an S3 store on a new versitygw with the bucket "swatches".
func swatchesS3(t *testing.T) *S3 {
	endpoint, _ := versitygw(t)
	awsEnv(t, "K", "S")
	ctx := context.Background()
	s, err := NewS3(ctx, S3Config{Endpoint: endpoint, Region: "us-east-1", PathStyle: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: new("swatches")}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3Conditional(t *testing.T) { testConditional(t, swatchesS3(t), "swatches") }

func TestDirConditional(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testConditional(t, d, "swatches")
	if err := d.Put(context.Background(), "swatches", "a.png"+metaSuffix, []byte("x"), PutOptions{}); !errors.Is(err, ErrBadRef) {
		t.Fatalf("Put over a sidecar = %v, want ErrBadRef", err)
	}
}
