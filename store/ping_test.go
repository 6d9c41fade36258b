package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPing(t *testing.T) {
	endpoint, kill := versitygw(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	awsEnv(t, "K", "S")
	s, err := NewS3(ctx, S3Config{Endpoint: endpoint, Region: "us-east-1", PathStyle: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := &Router{S3: s}
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: new("photos")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(ctx, "s3://photos/x.jpg"); err != nil {
		t.Errorf("Ping of a bucket that is there: %v", err)
	}
	if err := r.Ping(ctx, "s3://no-such-bucket/x.png"); !errors.Is(err, ErrNoBucket) {
		t.Errorf("Ping of a missing bucket: %v, want ErrNoBucket", err)
	}
	for _, ref := range []string{"file:///anything", "https://example.com/x.jpg"} {
		if err := r.Ping(ctx, ref); err != nil {
			t.Errorf("Ping(%s) with the server up: %v", ref, err)
		}
	}
	if _, err := s.Get(ctx, "no-such-bucket", "x.png", 0); !IsUnusable(err) || !errors.Is(err, ErrNotFound) {
		t.Errorf("Get from a missing bucket: %v, want ErrNotFound and unusable", err)
	}
	// Credentials the server refuses make the bucket unusable too.
	awsEnv(t, "K", "wrong")
	bad, err := NewS3(ctx, S3Config{Endpoint: endpoint, Region: "us-east-1", PathStyle: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Ping(ctx, "photos"); err == nil || !IsUnusable(err) {
		t.Errorf("Ping with a wrong secret: %v, want an unusable error", err)
	}
	if err := bad.Put(ctx, "photos", "x.png", []byte("x"), PutOptions{}); !IsUnusable(err) || IsTransient(err) {
		t.Errorf("Put with a wrong secret: %v, want unusable, not transient", err)
	}

	kill()
	err = r.Ping(ctx, "s3://photos/x.jpg")
	if err == nil || !IsTransient(err) {
		t.Fatalf("Ping with the server down: %v, want a transient error", err)
	}
}
