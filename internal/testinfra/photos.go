package testinfra

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Client is a plain SDK client of the server with its credentials, for
// setting up and checking buckets.
func (s *S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "K", SecretAccessKey: "S"}, nil
		}),
		BaseEndpoint:               aws.String(s.Endpoint()),
		UsePathStyle:               true,
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// CreateBuckets creates each bucket or fails tb.
func CreateBuckets(tb testing.TB, c *s3.Client, buckets ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, b := range buckets {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			tb.Fatalf("create bucket %s: %v", b, err)
		}
	}
}

// Put uploads data as s3://bucket/key, from a bytes.Reader (a body that
// cannot seek fails over plain HTTP).
func Put(tb testing.TB, c *s3.Client, bucket, key string, data []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key,
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))}); err != nil {
		tb.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// Get reads s3://bucket/key.
func Get(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// Photo is one sample photo of testdata/images with its catalog colours.
type Photo struct {
	Name   string
	Colors []string
	Data   []byte
}

// SamplePhotos reads the sample photos of testdata/images (its
// manifest.csv) at the module root, in the manifest's order.
func SamplePhotos(tb testing.TB) []Photo {
	tb.Helper()
	dir := filepath.Join(moduleRoot(tb), "testdata", "images")
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var out []Photo
	for _, r := range recs[1:] {
		data, err := os.ReadFile(filepath.Join(dir, r[0]))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Photo{Name: r[0], Colors: strings.Split(r[1], "|"), Data: data})
	}
	return out
}
