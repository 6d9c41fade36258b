package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config configures an S3 client. Credentials come from the standard AWS
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, shared config and
// credentials files, SSO, instance roles).
type S3Config struct {
	// Endpoint is the base URL of a non-AWS S3 server, e.g.
	// "http://127.0.0.1:7070". Empty means AWS itself.
	Endpoint string
	// Region signs the requests. Empty means the region from the AWS
	// environment/config chain, or "us-east-1" if that has none.
	Region string
	// PathStyle addresses buckets as endpoint/bucket/key rather than
	// bucket.endpoint/key; most third-party servers need it.
	PathStyle bool
	// MaxAttempts bounds the SDK's retries per request; 0 means the SDK
	// default (3), 1 means no retries.
	MaxAttempts int
}

// Validate reports whether the configuration can be used.
func (c S3Config) Validate() error {
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("store: s3 endpoint %q: want an http(s)://host[:port] URL", c.Endpoint)
		}
	}
	if c.MaxAttempts < 0 {
		return fmt.Errorf("store: s3 MaxAttempts %d: must be >= 0", c.MaxAttempts)
	}
	return nil
}

// S3 is a Store on an S3-compatible server. It is safe for concurrent use.
type S3 struct {
	client *s3.Client
}

// NewS3 returns an S3 store. Checksums are computed and validated only when
// the operation requires them, so third-party servers that do not support
// the newer flexible checksums work.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3{client: client}, nil
}

// Get implements Store. A missing bucket or key is ErrNotFound.
func (s *S3) Get(ctx context.Context, bucket, key string, maxBytes int64) ([]byte, error) {
	if bucket == "" || key == "" {
		return nil, fmt.Errorf("%w: empty bucket or key", ErrBadRef)
	}
	maxBytes = limit(maxBytes)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, s3Error("get", bucket, key, err)
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: s3://%s/%s is %d bytes, limit %d", ErrTooLarge, bucket, key, *out.ContentLength, maxBytes)
	}
	var data []byte
	if out.ContentLength != nil && *out.ContentLength >= 0 {
		data, err = readExactly(out.Body, *out.ContentLength)
	} else {
		data, err = readLimited(out.Body, maxBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get s3://%s/%s: %w", bucket, key, err)
	}
	return data, nil
}

// Put implements Store: a single PutObject from memory, with the
// Content-Type, Cache-Control, metadata and If-Match / If-None-Match of o
// when set. A 412 answer is ErrPreconditionFailed; so is a 409
// ConditionalRequestConflict (AWS's answer to two conditional writes
// racing on one key).
func (s *S3) Put(ctx context.Context, bucket, key string, data []byte, o PutOptions) error {
	if bucket == "" || key == "" {
		return fmt.Errorf("%w: empty bucket or key", ErrBadRef)
	}
	in := &s3.PutObjectInput{
		Bucket:        &bucket,
		Key:           &key,
		Body:          bytes.NewReader(data), // seekable: needed to sign over plain http
		ContentLength: aws.Int64(int64(len(data))),
	}
	if o.ContentType != "" {
		in.ContentType = &o.ContentType
	}
	if o.CacheControl != "" {
		in.CacheControl = &o.CacheControl
	}
	if len(o.Metadata) > 0 {
		in.Metadata = o.Metadata
	}
	if o.IfMatch != "" {
		in.IfMatch = &o.IfMatch
	}
	if o.IfNoneMatch != "" {
		in.IfNoneMatch = &o.IfNoneMatch
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return s3Error("put", bucket, key, err)
	}
	return nil
}

// Stat implements Store with a HeadObject.
func (s *S3) Stat(ctx context.Context, bucket, key string) (Info, error) {
	if bucket == "" || key == "" {
		return Info{}, fmt.Errorf("%w: empty bucket or key", ErrBadRef)
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return Info{}, s3Error("stat", bucket, key, err)
	}
	// The SDK lower-cases the x-amz-meta- keys, and leaves Metadata nil
	// when there are none.
	return Info{ETag: aws.ToString(out.ETag), Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata}, nil
}

func s3Error(op, bucket, key string, err error) error {
	var (
		noKey    *types.NoSuchKey
		notFound *types.NotFound
		noBucket *types.NoSuchBucket
		apiErr   smithy.APIError
		sc       statusCoder
	)
	switch {
	case errors.As(err, &noBucket), errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket":
		return fmt.Errorf("%w: %w: s3://%s/%s", ErrNotFound, ErrNoBucket, bucket, key)
	case errors.As(err, &noKey), errors.As(err, &notFound),
		errors.As(err, &sc) && sc.HTTPStatusCode() == http.StatusNotFound:
		return fmt.Errorf("%w: s3://%s/%s", ErrNotFound, bucket, key)
	case errors.As(err, &sc) && sc.HTTPStatusCode() == http.StatusPreconditionFailed,
		errors.As(err, &apiErr) && (apiErr.ErrorCode() == "PreconditionFailed" || apiErr.ErrorCode() == "ConditionalRequestConflict"):
		return fmt.Errorf("%w: s3://%s/%s", ErrPreconditionFailed, bucket, key)
	}
	return fmt.Errorf("store: %s s3://%s/%s: %w", op, bucket, key, err)
}
