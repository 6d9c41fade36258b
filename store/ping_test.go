package store

import (
	"context"
	"testing"
	"time"
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
	for _, ref := range []string{"s3://no-such-bucket/x.png", "file:///anything", "https://example.com/x.jpg"} {
		if err := r.Ping(ctx, ref); err != nil {
			t.Errorf("Ping(%s) with the server up: %v", ref, err)
		}
	}
	kill()
	err = r.Ping(ctx, "s3://photos/x.jpg")
	if err == nil || !IsTransient(err) {
		t.Fatalf("Ping with the server down: %v, want a transient error", err)
	}
}
