package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Ping reports whether the S3 server answers, with a HeadBucket of bucket:
// nil for any answer the server gives (a missing bucket or a refusal
// included: the server is up), the error when IsTransient says the server
// is unreachable or failing.
func (s *S3) Ping(ctx context.Context, bucket string) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	if err != nil && IsTransient(err) {
		return fmt.Errorf("store: s3 bucket %s: %w", bucket, err)
	}
	return nil
}

// Ping reports whether the store behind an s3:// reference answers (see
// S3.Ping); other references, which need no server of ours, always do.
func (r *Router) Ping(ctx context.Context, ref string) error {
	if !strings.HasPrefix(ref, "s3://") {
		return nil
	}
	s, bucket, _, err := r.resolve(ref)
	if err != nil {
		return err
	}
	if p, ok := s.(interface {
		Ping(context.Context, string) error
	}); ok {
		return p.Ping(ctx, bucket)
	}
	return nil
}
