package catalog

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Lookup says whether the service answered: a miss does, a cache hit does
// not.
func TestLookupFromService(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Write([]byte(`["Red"]`))
	})
	c, _ := newClient(t, s, Config{})
	ctx := context.Background()
	if colors, from, err := c.Lookup(ctx, "P1"); err != nil || !from || len(colors) != 1 {
		t.Fatalf("first lookup: %v, from the service %v, %v", colors, from, err)
	}
	if _, from, err := c.Lookup(ctx, "P1"); err != nil || from {
		t.Fatalf("second lookup: from the service %v, %v; want the cache", from, err)
	}
}

// Ping asks the root of the service's host: any status below 500 is an
// answer, a 5xx or no server is not; the circuit breaker plays no part.
func TestPing(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusNotFound)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			t.Errorf("Ping asked %s", r.URL.Path)
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/products/{product_id}/colors", Timeout: time.Second, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Errorf("a 404 at the root: %v, want an answer", err)
	}
	status.Store(http.StatusServiceUnavailable)
	if err := c.Ping(ctx); err == nil {
		t.Error("a 503 at the root counted as an answer")
	}
	srv.Close()
	if err := c.Ping(ctx); err == nil {
		t.Error("no server counted as an answer")
	}
}
