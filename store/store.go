// Package store reads product photos and writes swatches: S3, a local directory, and HTTPS.
//
// A [Store] (implemented by [*S3] and [*Dir]) reads and writes objects by
// bucket and key; [HTTP] reads allow-listed https URLs; a [Router] picks one
// of them from a reference such as "s3://bucket/key", "file:///abs/path" or
// "https://host/path". Every error can be classified with [IsTransient]
// (retry later) or matched against the sentinels below (permanent).
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultMaxBytes is the read limit used when a Get is called with maxBytes <= 0.
const DefaultMaxBytes = 32 << 20

// Sentinel errors for permanent conditions; test with errors.Is. None of them
// is transient.
var (
	ErrNotFound  = errors.New("store: object not found")
	ErrTooLarge  = errors.New("store: object exceeds size limit")
	ErrForbidden = errors.New("store: forbidden host or address")
	ErrBadRef    = errors.New("store: bad reference")
	// ErrNoBucket is wrapped, with ErrNotFound, by an S3 error for a
	// bucket that does not exist.
	ErrNoBucket = errors.New("store: no such bucket")
	// ErrPreconditionFailed is a conditional Put (PutOptions.IfMatch or
	// IfNoneMatch) refused because the object changed: someone else
	// wrote it since its ETag was read (HTTP 412).
	ErrPreconditionFailed = errors.New("store: precondition failed (the object changed)")
)

// PutOptions are the object metadata written with a Put, and its
// condition. The zero value stores no Content-Type, Cache-Control or user
// metadata (S3 then defaults to binary/octet-stream) and writes
// unconditionally. Dir ignores ContentType and CacheControl.
type PutOptions struct {
	ContentType  string // e.g. "image/png"
	CacheControl string // e.g. "public, max-age=31536000, immutable"
	// Metadata is user metadata stored with the object and returned by
	// Stat (S3: x-amz-meta-* headers, at most 2 KiB in all; Dir: a sidecar
	// file, see Dir). Keys are lower-case ASCII; values must be printable
	// ASCII (escape anything else). A Put replaces the metadata: a Put
	// without it leaves the object with none.
	Metadata map[string]string
	// IfMatch, when set, writes only if the object exists with this ETag
	// (as Stat returned it); IfNoneMatch "*" writes only if no object
	// exists. Otherwise the Put fails with ErrPreconditionFailed and
	// writes nothing. Both empty: unconditional.
	IfMatch, IfNoneMatch string
}

// Info is what Stat says about an object.
type Info struct {
	// ETag identifies the object's current version (S3: the server's
	// ETag, with its quotes; Dir: a hash of the bytes and metadata). Pass
	// it as PutOptions.IfMatch to write only over this version.
	ETag string
	// Metadata is the user metadata of the last Put, keys lower-case;
	// nil when there is none.
	Metadata map[string]string
	Size     int64
}

// Store reads and writes whole objects. Implementations are safe for
// concurrent use.
type Store interface {
	// Get returns the object's bytes, or ErrNotFound, or ErrTooLarge when it
	// is longer than maxBytes (<= 0 means DefaultMaxBytes).
	Get(ctx context.Context, bucket, key string, maxBytes int64) ([]byte, error)
	// Put writes the object, replacing any object under the same key (if
	// o's condition holds: else ErrPreconditionFailed).
	Put(ctx context.Context, bucket, key string, data []byte, o PutOptions) error
	// Stat returns the object's ETag, metadata and size, or ErrNotFound.
	Stat(ctx context.Context, bucket, key string) (Info, error)
}

var (
	_ Store = (*S3)(nil)
	_ Store = (*Dir)(nil)
)

// OutputKey returns the default swatch key for a product photo:
// "{product}/{hash}.png". product is productID with every byte outside
// [A-Za-z0-9._-] replaced by '_', and '.' replaced too where it would start
// the segment or follow another '.'; "" becomes "_", and a result longer
// than 128 bytes is cut to 111 bytes plus '-' and 16 hex digits of the
// SHA-256 of productID. hash is the first 16 hex digits of the SHA-256 of
// image (the photo's reference). So the key has exactly one '/', never "..",
// and the same inputs always give the same key: a re-delivered job
// overwrites the same object.
func OutputKey(productID, image string) string {
	return sanitizeSegment(productID) + "/" + hash16(image) + ".png"
}

func hash16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func sanitizeSegment(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && i > 0 && b[i-1] != '.':
		default:
			b[i] = '_'
		}
	}
	if len(b) > 128 {
		return string(b[:111]) + "-" + hash16(s)
	}
	return string(b)
}

func limit(maxBytes int64) int64 {
	if maxBytes <= 0 {
		return DefaultMaxBytes
	}
	return maxBytes
}

// readLimited reads r to the end, failing with ErrTooLarge past maxBytes.
func readLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, ErrTooLarge
	}
	return data, nil
}

// readExactly reads a body of n bytes, as its length header says, into one
// buffer of that size (io.ReadAll would grow one, holding up to twice a
// large photo); a body of another length is an error.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if k, _ := r.Read(make([]byte, 1)); k > 0 {
		return nil, fmt.Errorf("store: body longer than its %d-byte length", n)
	}
	return data, nil
}

// IsUnusable reports whether err says the S3 store cannot be used at all
// as configured, whatever the object: the credentials are refused (401 or
// 403, AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
// ExpiredToken, InvalidToken) or the bucket does not exist. For the
// worker's own output buckets that is an outage to fix, not a bad job.
func IsUnusable(err error) bool {
	if errors.Is(err, ErrNoBucket) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			return true
		}
	}
	var sc statusCoder
	return errors.As(err, &sc) && (sc.HTTPStatusCode() == 401 || sc.HTTPStatusCode() == 403)
}

// statusCoder is implemented by errors carrying an HTTP status (ours and the
// AWS SDK's).
type statusCoder interface{ HTTPStatusCode() int }

// IsTransient reports whether err is worth retrying later: timeouts
// (including context.DeadlineExceeded, from the store's own timeout or the
// caller's), refused or reset connections, DNS and other dial/read errors,
// HTTP 5xx, 408 and 429, and the S3 codes SlowDown, ServiceUnavailable,
// InternalError, RequestTimeout and RequestTimeTooSkewed. It is false for
// nil, for ErrNotFound, ErrTooLarge, ErrPreconditionFailed, ErrForbidden and ErrBadRef, for
// context.Canceled (the caller gave up), and for anything else (e.g. 403
// Access Denied, a TLS certificate that does not verify): permanent.
func IsTransient(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, ErrNotFound), errors.Is(err, ErrTooLarge), errors.Is(err, ErrPreconditionFailed),
		errors.Is(err, ErrForbidden), errors.Is(err, ErrBadRef),
		errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed":
			return true
		}
	}
	var sc statusCoder
	if errors.As(err, &sc) && sc.HTTPStatusCode() != 0 { // the SDK reports 0 when nothing came back
		code := sc.HTTPStatusCode()
		return code >= 500 || code == 429 || code == 408
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		return true
	}
	// Dial, read and DNS failures and timeouts (forbidden addresses were
	// matched above). Not every net.Error: *url.Error is one, whatever it
	// wraps, e.g. a certificate that does not verify, which is permanent.
	var (
		opErr  *net.OpError
		dnsErr *net.DNSError
		netErr net.Error
	)
	return errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		(errors.As(err, &netErr) && netErr.Timeout())
}
