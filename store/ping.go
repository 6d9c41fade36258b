package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Ping reports whether bucket can be used, with a HeadBucket: nil when
// the server answers that it is there; the error when the server is
// unreachable or failing (IsTransient), refuses the credentials, or says
// the bucket does not exist (IsUnusable).
func (s *S3) Ping(ctx context.Context, bucket string) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	if err == nil {
		return nil
	}
	var (
		notFound *types.NotFound
		sc       statusCoder
	)
	if errors.As(err, &notFound) || errors.As(err, &sc) && sc.HTTPStatusCode() == http.StatusNotFound {
		return fmt.Errorf("store: s3 bucket %s: %w", bucket, ErrNoBucket)
	}
	if IsTransient(err) || IsUnusable(err) {
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
