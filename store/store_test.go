package store

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestOutputKey(t *testing.T) {
	long := strings.Repeat("x", 200)
	k1 := OutputKey("sku-123", "s3://photos/a.jpg")
	if k1 != OutputKey("sku-123", "s3://photos/a.jpg") {
		t.Fatal("OutputKey not deterministic")
	}
	if !strings.HasPrefix(k1, "sku-123/") || !strings.HasSuffix(k1, ".png") || len(k1) != len("sku-123/")+16+4 {
		t.Errorf("OutputKey = %q", k1)
	}
	if OutputKey(long, "img") == OutputKey(long+"y", "img") {
		t.Error("long product ids collide")
	}
	for id, want := range map[string]string{"sku-1.2_B": "sku-1.2_B", "a..b": "a._b", "...": "_._", "a/b c": "a_b_c"} {
		if seg, _, _ := strings.Cut(OutputKey(id, "img"), "/"); seg != want {
			t.Errorf("OutputKey(%q) product segment = %q, want %q", id, seg, want)
		}
	}
	if k1 == OutputKey("sku-123", "s3://photos/b.jpg") {
		t.Error("different images give the same key")
	}
	for _, id := range []string{"", ".", "..", "...", "../../etc", "a..b", "/abs", "a/b", `a\b`, "x y?z#", "ü", long, long + "y"} {
		k := OutputKey(id, "img")
		seg, _, _ := strings.Cut(k, "/")
		if strings.Count(k, "/") != 1 || seg == "" || seg[0] == '.' || strings.Contains(k, "..") ||
			strings.Contains(k, `\`) || len(seg) > 128 {
			t.Errorf("OutputKey(%q) = %q: unsafe", id, k)
		}
		if _, err := objectPath("b", k); err != nil {
			t.Errorf("OutputKey(%q) = %q: refused by Dir: %v", id, k, err)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsTransient(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("store: x: %w", err) }
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{ErrNotFound, false},
		{wrap(ErrTooLarge), false},
		{wrap(ErrForbidden), false},
		{wrap(ErrBadRef), false},
		{&net.OpError{Op: "dial", Err: wrap(ErrForbidden)}, false},
		{wrap(context.Canceled), false},
		{wrap(context.DeadlineExceeded), true},
		{wrap(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{wrap(timeoutErr{}), true},
		{wrap(&StatusError{Code: 503}), true},
		{wrap(&StatusError{Code: 429}), true},
		{wrap(&StatusError{Code: 403}), false},
		{wrap(&smithyhttp.RequestSendError{Err: errors.New("eof")}), true},
		{wrap(&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 0}},
			Err: &smithyhttp.RequestSendError{Err: errors.New("tls: handshake failure")}}), true},
		{wrap(&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: errors.New("x")}), true},
		{wrap(&smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}}, Err: errors.New("x")}), false},
		{&url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, false},
		{&url.Error{Op: "Get", URL: "https://x", Err: &net.DNSError{Err: "no such host", Name: "x"}}, true},
		{errors.New("other"), false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
