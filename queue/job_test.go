package queue

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseJob(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	many := make([]string, MaxColors+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", "c")
	}
	tests := []struct {
		name  string
		value string
		want  Job    // checked when err == ""
		err   string // substring of the error; "" means success
	}{
		{"good", `{"v":1,"product_id":"P1","image":"s3://b/P1.jpg","colors":["Grey","Pink"],"output":"s3://o/P1.png"}`,
			Job{V: 1, ProductID: "P1", Image: "s3://b/P1.jpg", Colors: []string{"Grey", "Pink"}, Output: "s3://o/P1.png"}, ""},
		{"v missing", `{"product_id":"P1","image":"i"}`, Job{V: 1, ProductID: "P1", Image: "i"}, ""},
		{"unknown fields", `{"v":1,"product_id":"P1","image":"i","priority":9,"nested":{"a":[1]}}`, Job{V: 1, ProductID: "P1", Image: "i"}, ""},
		{"limits exactly", fmt.Sprintf(`{"product_id":%q,"image":%q,"colors":[%q]}`, long(MaxProductIDBytes), long(MaxImageBytes), long(MaxColorBytes)),
			Job{V: 1, ProductID: long(MaxProductIDBytes), Image: long(MaxImageBytes), Colors: []string{long(MaxColorBytes)}}, ""},
		{"v=2", `{"v":2,"product_id":"P1","image":"i"}`, Job{}, "unsupported version 2"},
		{"v=0 explicit", `{"v":0,"product_id":"P1","image":"i"}`, Job{}, "unsupported version 0"},
		{"missing product_id", `{"v":1,"image":"i"}`, Job{}, "missing product_id"},
		{"missing image", `{"v":1,"product_id":"P1"}`, Job{}, "missing image"},
		{"null", `null`, Job{}, "missing product_id"},
		{"long product_id", fmt.Sprintf(`{"product_id":%q,"image":"i"}`, long(MaxProductIDBytes+1)), Job{}, "product_id is 257 bytes"},
		{"long image", fmt.Sprintf(`{"product_id":"P","image":%q}`, long(MaxImageBytes+1)), Job{}, "image is 2049 bytes"},
		{"long output", fmt.Sprintf(`{"product_id":"P","image":"i","output":%q}`, long(MaxOutputBytes+1)), Job{}, "output is"},
		{"too many colors", `{"product_id":"P","image":"i","colors":[` + strings.Join(many, ",") + `]}`, Job{}, "17 colors"},
		{"long color", fmt.Sprintf(`{"product_id":"P","image":"i","colors":["a",%q]}`, long(MaxColorBytes+1)), Job{}, "colors[1] is 65 bytes"},
		{"oversize value", `{"product_id":"P","image":"i","pad":"` + long(MaxJobBytes) + `"}`, Job{}, "limit 65536"},
		{"bad JSON", `{"product_id":"P",`, Job{}, "malformed JSON"},
		{"not an object", `[1,2]`, Job{}, "malformed JSON"},
		{"wrong type", `{"product_id":7,"image":"i"}`, Job{}, "malformed JSON"},
		{"empty", ``, Job{}, "malformed JSON"},
		// Invalid UTF-8 would be rewritten to U+FFFD by encoding/json: a
		// product id is kept byte for byte or refused.
		{"invalid UTF-8 product_id", "{\"product_id\":\"P\xff1\",\"image\":\"i\"}", Job{}, "not valid UTF-8 (first bad byte at offset 16)"},
		{"lone surrogate escape", `{"product_id":"P\ud8001","image":"i"}`, Job{}, "product_id holds an invalid UTF-16 escape"},
		{"U+FFFD written as such", `{"product_id":"P\ufffd1","image":"i"}`, Job{V: 1, ProductID: "P\ufffd1", Image: "i"}, ""},
		{"non-ASCII product_id", `{"product_id":"Café-42","image":"i"}`, Job{V: 1, ProductID: "Café-42", Image: "i"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJob([]byte(tt.value))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("ParseJob: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseJob succeeded with %+v, want error containing %q", got, tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q does not contain %q", err, tt.err)
			}
			if !errors.Is(err, ErrBadJob) || !IsPermanent(err) {
				t.Errorf("error %v: not ErrBadJob / permanent", err)
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	if IsPermanent(base) {
		t.Error("plain error is permanent")
	}
	p := fmt.Errorf("wrapped: %w", Permanent(base))
	if !IsPermanent(p) || !errors.Is(p, base) {
		t.Error("Permanent lost through wrapping")
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
}

func TestTracker(t *testing.T) {
	tr := newTracker()
	for off := int64(10); off < 15; off++ {
		tr.add(0, off)
	}
	tr.add(1, 3)
	if moved := tr.done(0, 12); moved {
		t.Error("frontier moved past unfinished 10")
	}
	if got := tr.committable(); len(got) != 0 {
		t.Fatalf("committable %v, want none", got)
	}
	tr.done(0, 10)
	if got := tr.committable(); got[0] != 11 {
		t.Fatalf("committable %v, want 0:11", got)
	}
	tr.done(0, 11)
	tr.done(1, 3)
	got := tr.committable()
	if got[0] != 13 || got[1] != 4 {
		t.Fatalf("committable %v, want 0:13 1:4", got)
	}
	tr.markCommitted(got)
	if got := tr.committable(); len(got) != 0 {
		t.Fatalf("after commit: %v", got)
	}
	// A redelivered older offset never moves the frontier backwards.
	tr.add(0, 5)
	tr.done(0, 5)
	if got := tr.committable(); len(got) != 0 {
		t.Fatalf("after redelivery: %v", got)
	}
	tr.done(0, 14)
	tr.done(0, 13)
	if got := tr.committable(); got[0] != 15 {
		t.Fatalf("committable %v, want 0:15", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{Brokers: []string{"localhost:9092"}}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := []Config{
		{},
		{Brokers: []string{""}},
		{Brokers: []string{"b"}, Concurrency: -1},
		{Brokers: []string{"b"}, MaxAttempts: -1},
		{Brokers: []string{"b"}, Backoff: time.Second, MaxBackoff: time.Millisecond},
		{Brokers: []string{"b"}, Topic: "palette.results"},
		{Brokers: []string{"b"}, ShutdownTimeout: -1},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d: Validate accepted %+v", i, c)
		}
		if _, err := NewConsumer(c, func(context.Context, Job) (Result, error) { return Result{}, nil }); err == nil {
			t.Errorf("config %d: NewConsumer accepted it", i)
		}
	}
}

func TestBackoff(t *testing.T) {
	c, err := NewConsumer(Config{Brokers: []string{"b"}, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second, Rand: rand.New(rand.NewPCG(1, 2))},
		func(context.Context, Job) (Result, error) { return Result{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		if n == 5 {
			want = time.Second
		}
		got := c.backoff(n + 1)
		if got < want/2 || got > want {
			t.Errorf("backoff(%d) = %v, want in [%v, %v]", n+1, got, want/2, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 600) // 1200 bytes
	got := truncate(s, maxReasonBytes)
	if len(got) > maxReasonBytes || !utf8.ValidString(got) || len(got) < maxReasonBytes-1 {
		t.Errorf("truncate: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestEncodeResultNaN(t *testing.T) {
	_, err := encodeResult(Job{ProductID: "p"}, Result{Colors: []Color{{DeltaE: math.NaN()}}}, time.Now())
	if !IsPermanent(err) {
		t.Fatalf("NaN result: %v, want a permanent error", err)
	}
	v, err := encodeResult(Job{ProductID: "p", Image: "i"}, Result{Bytes: 3}, time.Now())
	if err != nil || !strings.Contains(string(v), `"product_id":"p","image":"i"`) {
		t.Fatalf("encodeResult: %s, %v", v, err)
	}
}
