package catalog

// Tests against a real HTTP server on loopback (httptest) whose answers
// each test controls: classes of answers, URL escaping, the body limit,
// the cache (stale serving, one refresh per product, one call for
// concurrent misses, LRU bound), the call-slot limit and the circuit
// breaker. The cache's clock is a fake one; the breaker's OpenFor runs on
// the real clock, so it is a few hundred milliseconds here.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// server is a catalog service on loopback: /products/<id>/colors answered
// by a function the test sets, with the requests counted.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	respond  func(w http.ResponseWriter, r *http.Request, id string)
	requests atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	perID    sync.Map // id → *atomic.Int64
}

func newServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, id string)) *server {
	t.Helper()
	s := &server{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for m := s.maxIn.Load(); n > m && !s.maxIn.CompareAndSwap(m, n); m = s.maxIn.Load() {
		}
		s.requests.Add(1)
		seg := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/products/"), "/colors")
		id, err := url.PathUnescape(seg)
		if err != nil || strings.Contains(seg, "/") {
			http.Error(w, "bad path "+r.URL.EscapedPath(), http.StatusBadRequest)
			return
		}
		c, _ := s.perID.LoadOrStore(id, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		s.mu.Lock()
		f := s.respond
		s.mu.Unlock()
		f(w, r, id)
	}))
	t.Cleanup(s.Close)
	return s
}

// set changes how the server answers from now on.
func (s *server) set(f func(w http.ResponseWriter, r *http.Request, id string)) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

// callsFor is the number of requests for one product.
func (s *server) callsFor(id string) int64 {
	if c, ok := s.perID.Load(id); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// template is the URL template of s.
func (s *server) template() string { return s.URL + "/products/{product_id}/colors" }

// body answers 200 with a JSON body.
func body(b string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, b)
	}
}

// colorsOf answers 200 with {"colors": names(id)}.
func colorsOf(names func(id string) []string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, id string) {
		json.NewEncoder(w).Encode(map[string]any{"colors": names(id)})
	}
}

// fixed is colorsOf with the same names for every product.
func fixed(names ...string) func(http.ResponseWriter, *http.Request, string) {
	return colorsOf(func(string) []string { return names })
}

// status answers with an HTTP status and a short text body.
func status(code int) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		http.Error(w, http.StatusText(code), code)
	}
}

// gated holds every request until release is closed (or the request is
// cancelled), then answers with then.
func gated(release <-chan struct{}, then func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, id string) {
		select {
		case <-release:
			then(w, r, id)
		case <-r.Context().Done():
		}
	}
}

// clock is a fake clock for the cache's TTL.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClient makes a Client of s with cfg's other settings and a registry
// of its own.
func newClient(t *testing.T, s *server, cfg Config) (*Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	if cfg.URL == "" {
		cfg.URL = s.template()
	}
	cfg.Registerer = reg
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

// metric returns the value of a sample of reg: name, then label pairs.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// poll waits up to 5s for cond.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestPath: the list is found at Config.Path (empty: the body; object
// keys; array indexes), names are trimmed and blank ones dropped.
func TestPath(t *testing.T) {
	for _, tc := range []struct {
		path, body string
		want       []string
	}{
		{"", `["Navy Blue", " Grey ", ""]`, []string{"Navy Blue", "Grey"}},
		{"colors", `{"id":"P1","colors":["Red","Blue"]}`, []string{"Red", "Blue"}},
		{"attributes.color", `{"attributes":{"size":"M","color":["Olive"]},"x":[1,2]}`, []string{"Olive"}},
		{"data.0.colors", `{"data":[{"colors":["Pink","Grey"]},{"colors":["Black"]}]}`, []string{"Pink", "Grey"}},
		{"", "\n[\"Grey\"]\n", []string{"Grey"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			s := newServer(t, body(tc.body))
			c, _ := newClient(t, s, Config{Path: tc.path})
			got, err := c.Colors(context.Background(), "P1")
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Colors = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestAnswers: what each kind of answer gives, and whether it counts
// towards opening the breaker (TripAfter 2: two failures in a row open it,
// so a third call does not reach the server).
func TestAnswers(t *testing.T) {
	long := strings.Repeat("x", MaxColorBytes+1)
	many, _ := json.Marshal(slices.Repeat([]string{"Red"}, MaxColors+1))
	for _, tc := range []struct {
		name    string
		path    string
		respond func(http.ResponseWriter, *http.Request, string)
		kind    error
		detail  string // in the message
		trips   bool
	}{
		{"404", "colors", status(404), ErrNotFound, "status 404", false},
		{"400", "colors", status(400), ErrRejected, "status 400", false},
		{"403", "colors", status(403), ErrRejected, "status 403", false},
		{"410", "colors", status(410), ErrRejected, "status 410", false},
		{"408", "colors", status(408), ErrUnavailable, "status 408", true},
		{"429", "colors", status(429), ErrUnavailable, "status 429", true},
		{"500", "colors", status(500), ErrUnavailable, "status 500", true},
		{"503", "colors", status(503), ErrUnavailable, "status 503", true},
		{"html", "colors", body("<html>Bad gateway</html>"), ErrUnavailable, "not JSON", true},
		{"truncated", "colors", body(`{"colors":["Red"`), ErrUnavailable, "not JSON", true},
		{"trailing", "", body(`["Red"] ["Blue"]`), ErrUnavailable, "after the JSON value", true},
		{"empty body", "", body(""), ErrUnavailable, "not JSON", true},
		{"empty list", "colors", body(`{"colors":[]}`), ErrNoColors, `"colors" is an empty list`, false},
		{"null", "colors", body(`{"colors":null}`), ErrNoColors, `"colors" is null`, false},
		{"blank", "colors", body(`{"colors":[" ",""]}`), ErrNoColors, "only blank", false},
		{"missing", "colors", body(`{"colours":["Red"]}`), ErrBadColors, `has no "colors"`, false},
		{"string", "colors", body(`{"colors":"Red"}`), ErrBadColors, "is a string, not a list", false},
		{"numbers", "colors", body(`{"colors":["Red",3]}`), ErrBadColors, "item 1 of \"colors\" is a number", false},
		{"through a string", "attributes.color", body(`{"attributes":"Red"}`), ErrBadColors, "is a string, not an object", false},
		{"bad index", "data.x", body(`{"data":[]}`), ErrBadColors, "not an index", false},
		{"too many", "", body(string(many)), ErrBadColors, "17 colours, limit 16", false},
		{"too long", "", body(`["` + long + `"]`), ErrBadColors, "65 bytes, limit 64", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.respond)
			c, reg := newClient(t, s, Config{Path: tc.path, TripAfter: 2, OpenFor: time.Hour})
			for i := range 3 {
				_, err := c.Colors(context.Background(), fmt.Sprintf("P%d", i))
				if i == 2 && tc.trips {
					if !errors.Is(err, ErrUnavailable) || !strings.Contains(fmt.Sprint(err), "circuit open (last failure: ") || !strings.Contains(err.Error(), tc.detail) {
						t.Errorf("third call: %v; want the open circuit", err)
					}
					continue
				}
				var e *Error
				if !errors.Is(err, tc.kind) || !errors.As(err, &e) || !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("call %d: %v; want %v with %q", i, err, tc.kind, tc.detail)
				}
				if e.ProductID != fmt.Sprintf("P%d", i) || !strings.Contains(err.Error(), fmt.Sprintf(`for product "P%d"`, i)) {
					t.Errorf("error %q does not name the product", err)
				}
				if Transient(err) != (tc.kind == ErrUnavailable) {
					t.Errorf("Transient(%v) = %v", err, Transient(err))
				}
			}
			want := int64(3)
			if tc.trips {
				want = 2
			}
			if n := s.requests.Load(); n != want {
				t.Errorf("%d requests reached the server, want %d", n, want)
			}
			state := 0.0
			if tc.trips {
				state = 2
			}
			if got := metric(t, reg, "palette_catalog_breaker_state"); got != state {
				t.Errorf("breaker state %v, want %v", got, state)
			}
			// Definite answers are remembered (NegativeTTL); failures are not.
			for i := range 3 {
				e, ok := c.cache.Peek(fmt.Sprintf("P%d", i))
				if tc.kind == ErrUnavailable && ok {
					t.Errorf("P%d cached after a failure: %+v", i, e)
				}
				if tc.kind != ErrUnavailable && (!ok || !errors.Is(e.err, tc.kind) || e.colors != nil) {
					t.Errorf("P%d: the answer %v is not remembered (%v, %+v)", i, tc.kind, ok, e)
				}
			}
		})
	}
}

// TestEscaping: the product id is one path segment whatever it holds
// ("/", "?", "#", "%", spaces, dots), or one query value.
func TestEscaping(t *testing.T) {
	ids := []string{"P1", "a/b", "../../admin", "..", ".", "x y", "a?b=c&d=e", "50%", "#frag", "a+b", "ünï;,@:"}
	s := newServer(t, colorsOf(func(id string) []string { return []string{"Red " + id} }))
	c, _ := newClient(t, s, Config{Path: "colors"})
	for _, id := range ids {
		got, err := c.Colors(context.Background(), id)
		if err != nil || !slices.Equal(got, []string{"Red " + id}) {
			t.Errorf("Colors(%q) = %q, %v", id, got, err)
		}
		if s.callsFor(id) != 1 {
			t.Errorf("the server saw product %q %d times", id, s.callsFor(id))
		}
	}

	var mu sync.Mutex
	seen := map[string]string{}
	q := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get("id")] = r.URL.Query().Get("v") + " " + r.URL.Path
		mu.Unlock()
		fmt.Fprint(w, `["Red"]`)
	}))
	defer q.Close()
	cq, err := New(Config{URL: q.URL + "/colors/{product_id}?id={product_id}&v=1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := cq.Colors(context.Background(), id); err != nil {
			t.Errorf("query template, %q: %v", id, err)
		}
		if got := seen[id]; got != "1 /colors/"+id {
			t.Errorf("query template, %q: the server saw %q", id, got)
		}
	}
}

// TestBodyLimit: a body over MaxBodyBytes is refused, one at the limit is
// read.
func TestBodyLimit(t *testing.T) {
	list := func(n int) string { // a JSON list of exactly n bytes
		return `["` + strings.Repeat("a", 8) + `"` + strings.Repeat(" ", n-12) + `]`
	}
	s := newServer(t, nil)
	c, _ := newClient(t, s, Config{MaxBodyBytes: 1000})
	s.set(body(list(1000)))
	if got, err := c.Colors(context.Background(), "at"); err != nil || len(got) != 1 {
		t.Errorf("body at the limit: %q, %v", got, err)
	}
	s.set(body(list(1001)))
	_, err := c.Colors(context.Background(), "over")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Errorf("body over the limit: %v", err)
	}
	s.set(body(list(5 << 20)))
	c2, _ := newClient(t, s, Config{})
	if _, err := c2.Colors(context.Background(), "huge"); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("5 MiB body with the default limit: %v", err)
	}
}

// TestFailuresThenRecovery: slow answers within the timeout, 500s,
// timeouts and malformed JSON, then recovery, with the breaker out of the
// way (TripAfter 100): each failure is ErrUnavailable saying what it was,
// nothing is cached, and once the catalog answers the colours come.
func TestFailuresThenRecovery(t *testing.T) {
	s := newServer(t, nil)
	c, reg := newClient(t, s, Config{Path: "colors", Timeout: 150 * time.Millisecond, TripAfter: 100})
	slow := func(d time.Duration, then func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
		return func(w http.ResponseWriter, r *http.Request, id string) {
			select {
			case <-time.After(d):
				then(w, r, id)
			case <-r.Context().Done():
			}
		}
	}
	steps := []struct {
		name    string
		respond func(http.ResponseWriter, *http.Request, string)
		detail  string // "" means success
		outcome string
	}{
		{"slow but in time", slow(50*time.Millisecond, fixed("Red")), "", "ok"},
		{"500", status(500), "status 500", "unavailable"},
		{"timeout", slow(time.Second, fixed("Red")), "timeout after 150ms", "timeout"},
		{"slow body", func(w http.ResponseWriter, r *http.Request, _ string) {
			w.Write([]byte(`{"colors":[`))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		}, "timeout after 150ms reading the body", "timeout"},
		{"malformed", body(`{"colors":["Red",`), "not JSON", "malformed"},
		{"recovered", fixed("Red", "Blue"), "", "ok"},
	}
	for i, st := range steps {
		s.set(st.respond)
		id := fmt.Sprintf("P%d", i)
		start := time.Now()
		got, err := c.Colors(context.Background(), id)
		if took := time.Since(start); took > time.Second/2 {
			t.Errorf("%s: took %v with a 150ms timeout", st.name, took)
		}
		if st.detail == "" {
			if err != nil || len(got) == 0 {
				t.Errorf("%s: %q, %v", st.name, got, err)
			}
		} else if !Transient(err) || !strings.Contains(err.Error(), st.detail) {
			t.Errorf("%s: %v; want unavailable with %q", st.name, err, st.detail)
		}
		if n := metric(t, reg, "palette_catalog_calls_total", "outcome", st.outcome); n < 1 {
			t.Errorf("%s: no call counted as %s", st.name, st.outcome)
		}
	}
	if c.cache.Len() != 2 {
		t.Errorf("%d entries cached, want the 2 successes", c.cache.Len())
	}
	// The failed products are fetched again, now successfully.
	for i := 1; i <= 4; i++ {
		if got, err := c.Colors(context.Background(), fmt.Sprintf("P%d", i)); err != nil || !slices.Equal(got, []string{"Red", "Blue"}) {
			t.Errorf("P%d after recovery: %q, %v", i, got, err)
		}
	}
}

// TestMissesShareOneCall: 100 lookups at once of a product not cached make
// one call, and all get its answer; so do 100 lookups that fail.
func TestMissesShareOneCall(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, gated(release, fixed("Grey", "Pink")))
	c, reg := newClient(t, s, Config{Path: "colors"})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			got, err := c.Colors(context.Background(), "P1")
			if err == nil && !slices.Equal(got, []string{"Grey", "Pink"}) {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		})
	}
	poll(t, "100 misses waiting", func() bool { return metric(t, reg, "palette_catalog_lookups_total", "result", "miss") == 100 })
	time.Sleep(50 * time.Millisecond) // from counting the miss to joining the call
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("%d requests for 100 concurrent misses, want 1", n)
	}

	release2 := make(chan struct{})
	s.set(gated(release2, status(503)))
	failed := atomic.Int64{}
	for range 100 {
		wg.Go(func() {
			if _, err := c.Colors(context.Background(), "P2"); Transient(err) {
				failed.Add(1)
			}
		})
	}
	poll(t, "100 more misses waiting", func() bool { return metric(t, reg, "palette_catalog_lookups_total", "result", "miss") == 200 })
	time.Sleep(50 * time.Millisecond)
	close(release2)
	wg.Wait()
	if failed.Load() != 100 || s.callsFor("P2") != 1 {
		t.Errorf("%d of 100 lookups failed after %d calls; want 100 after 1", failed.Load(), s.callsFor("P2"))
	}
}

// TestStaleServedOneRefresh: past its TTL an entry is still served at once,
// to every one of 100 goroutines hammering each of 5 products while the
// refreshes hang; each product is refreshed exactly once, and the new
// colours are served after.
func TestStaleServedOneRefresh(t *testing.T) {
	clk := newClock()
	version := atomic.Int64{}
	version.Store(1)
	answer := colorsOf(func(id string) []string { return []string{fmt.Sprintf("%s v%d", id, version.Load())} })
	s := newServer(t, answer)
	c, reg := newClient(t, s, Config{Path: "colors", TTL: time.Minute, Now: clk.Now})
	products := []string{"A", "B", "C", "D", "E"}
	for _, p := range products {
		if _, err := c.Colors(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(30 * time.Second)
	for _, p := range products {
		c.Colors(context.Background(), p)
	}
	if n, hits := s.requests.Load(), metric(t, reg, "palette_catalog_lookups_total", "result", "hit"); n != 5 || hits != 5 {
		t.Fatalf("within the TTL: %d requests and %v hits, want 5 and 5", n, hits)
	}

	clk.advance(time.Minute)
	version.Store(2)
	release := make(chan struct{})
	s.set(gated(release, answer))
	var wg sync.WaitGroup
	var wrong atomic.Int64
	start := time.Now()
	for range 100 {
		wg.Go(func() {
			for range 10 {
				for _, p := range products {
					got, err := c.Colors(context.Background(), p)
					if err != nil || !slices.Equal(got, []string{p + " v1"}) {
						wrong.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("5000 stale lookups took %v while the refreshes hung", took)
	}
	if wrong.Load() != 0 {
		t.Errorf("%d lookups did not get the stale colours at once", wrong.Load())
	}
	poll(t, "the 5 refreshes to reach the server", func() bool { return s.requests.Load() == 10 })
	close(release)
	for _, p := range products {
		poll(t, "the refresh of "+p, func() bool {
			e, ok := c.cache.Peek(p)
			return ok && e.colors[0] == p+" v2"
		})
		got, err := c.Colors(context.Background(), p)
		if err != nil || !slices.Equal(got, []string{p + " v2"}) {
			t.Errorf("%s after the refresh: %q, %v", p, got, err)
		}
		if n := s.callsFor(p); n != 2 {
			t.Errorf("%s: %d calls, want 2 (the miss and one refresh)", p, n)
		}
	}
	if got := metric(t, reg, "palette_catalog_refreshes_total"); got != 5 {
		t.Errorf("palette_catalog_refreshes_total = %v, want 5", got)
	}
	if got := metric(t, reg, "palette_catalog_lookups_total", "result", "stale"); got != 5000 {
		t.Errorf("stale lookups = %v, want 5000", got)
	}
}

// TestFailedRefreshKeepsStale: a refresh that fails keeps the old colours,
// fresh for another TTL (no call on the next lookups); the next refresh
// after that succeeds. A refresh answered 404 drops the entry.
func TestFailedRefreshKeepsStale(t *testing.T) {
	clk := newClock()
	s := newServer(t, fixed("Red"))
	c, reg := newClient(t, s, Config{Path: "colors", TTL: time.Minute, Now: clk.Now})
	if _, err := c.Colors(context.Background(), "P1"); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Minute)
	s.set(status(500))
	if got, err := c.Colors(context.Background(), "P1"); err != nil || !slices.Equal(got, []string{"Red"}) {
		t.Fatalf("stale lookup: %q, %v", got, err)
	}
	poll(t, "the failed refresh", func() bool { return metric(t, reg, "palette_catalog_refresh_failures_total") == 1 })
	clk.advance(30 * time.Second)
	for range 10 {
		if got, err := c.Colors(context.Background(), "P1"); err != nil || !slices.Equal(got, []string{"Red"}) {
			t.Fatalf("after the failed refresh: %q, %v", got, err)
		}
	}
	if n := s.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2: the failed refresh extends the entry", n)
	}

	clk.advance(time.Minute)
	s.set(fixed("Blue"))
	if got, _ := c.Colors(context.Background(), "P1"); !slices.Equal(got, []string{"Red"}) {
		t.Errorf("stale again: %q, want Red", got)
	}
	poll(t, "the second refresh", func() bool { e, ok := c.cache.Peek("P1"); return ok && e.colors[0] == "Blue" })

	clk.advance(2 * time.Minute)
	s.set(status(404))
	c.Colors(context.Background(), "P1")
	poll(t, "the colours replaced by the 404", func() bool { e, ok := c.cache.Peek("P1"); return ok && e.err != nil })
	if _, err := c.Colors(context.Background(), "P1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the 404 refresh: %v, want ErrNotFound", err)
	}
}

// TestNegativeTTL: a definite "no colours" answer is served from the cache
// for NegativeTTL without a call (jobs of an unknown product do not each
// ask), then asked again as a miss, never served stale.
func TestNegativeTTL(t *testing.T) {
	clk := newClock()
	s := newServer(t, status(404))
	c, reg := newClient(t, s, Config{Path: "colors", NegativeTTL: time.Minute, Now: clk.Now})
	for range 20 {
		if _, err := c.Colors(context.Background(), "GONE"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("lookup: %v, want ErrNotFound", err)
		}
	}
	if n := s.requests.Load(); n != 1 {
		t.Errorf("%d requests for 20 lookups within NegativeTTL, want 1", n)
	}
	if got := metric(t, reg, "palette_catalog_lookups_total", "result", "negative"); got != 19 {
		t.Errorf("%v negative lookups, want 19", got)
	}
	clk.advance(2 * time.Minute)
	s.set(fixed("Red"))
	if got, err := c.Colors(context.Background(), "GONE"); err != nil || !slices.Equal(got, []string{"Red"}) {
		t.Errorf("after NegativeTTL: %q, %v; want the new answer, waited for", got, err)
	}
	if n := s.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestBreaker: after TripAfter consecutive failures the breaker opens and
// lookups fail at once without reaching the server; after OpenFor one
// probe goes through (the others fail fast meanwhile); a failed probe opens
// it again, a successful one closes it.
func TestBreaker(t *testing.T) {
	const openFor = 200 * time.Millisecond
	s := newServer(t, status(503))
	c, reg := newClient(t, s, Config{Path: "colors", TripAfter: 3, OpenFor: openFor})
	ctx := context.Background()
	id := 0
	next := func() string { id++; return fmt.Sprintf("P%d", id) }
	for range 3 {
		if _, err := c.Colors(ctx, next()); !strings.Contains(fmt.Sprint(err), "status 503") {
			t.Fatalf("%v, want status 503", err)
		}
	}
	start := time.Now()
	for range 20 {
		_, err := c.Colors(ctx, next())
		if !Transient(err) || !strings.Contains(err.Error(), "circuit open (last failure: status 503)") {
			t.Fatalf("with the breaker open: %v", err)
		}
	}
	if took := time.Since(start); took > openFor/2 {
		t.Errorf("20 lookups with the breaker open took %v", took)
	}
	if n := s.requests.Load(); n != 3 {
		t.Errorf("%d requests reached the server, want 3", n)
	}
	if st := metric(t, reg, "palette_catalog_breaker_state"); st != 2 {
		t.Errorf("breaker state %v, want 2 (open)", st)
	}
	if n := metric(t, reg, "palette_catalog_calls_total", "outcome", "circuit_open"); n != 20 {
		t.Errorf("circuit_open calls %v, want 20", n)
	}

	// A failed probe opens it again.
	time.Sleep(openFor + 50*time.Millisecond)
	if _, err := c.Colors(ctx, next()); !strings.Contains(fmt.Sprint(err), "status 503") {
		t.Fatalf("probe: %v, want status 503", err)
	}
	if _, err := c.Colors(ctx, next()); !strings.Contains(fmt.Sprint(err), "circuit open") {
		t.Fatalf("after a failed probe: %v, want circuit open", err)
	}
	if n := s.requests.Load(); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}

	// The catalog is back: one probe goes through while the others fail
	// fast; its success closes the breaker.
	time.Sleep(openFor + 50*time.Millisecond)
	release := make(chan struct{})
	s.set(gated(release, fixed("Red")))
	probe := make(chan error, 1)
	go func() { _, err := c.Colors(ctx, "probe"); probe <- err }()
	poll(t, "the probe at the server", func() bool { return s.requests.Load() == 5 })
	if _, err := c.Colors(ctx, next()); !strings.Contains(fmt.Sprint(err), "half-open") {
		t.Errorf("during the probe: %v, want half-open", err)
	}
	close(release)
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := metric(t, reg, "palette_catalog_breaker_state"); st != 0 {
		t.Errorf("breaker state %v after a successful probe, want 0 (closed)", st)
	}
	for range 10 {
		if _, err := c.Colors(ctx, next()); err != nil {
			t.Fatalf("closed again: %v", err)
		}
	}
	if n := s.requests.Load(); n != 15 {
		t.Errorf("%d requests, want 15", n)
	}
}

// TestConcurrencyLimit: at most Concurrency calls are in flight; a caller
// whose context ends while waiting gets its context's error at once, and
// the call still fills the cache.
func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, gated(release, fixed("Red")))
	c, _ := newClient(t, s, Config{Path: "colors", Concurrency: 3, Timeout: 5 * time.Second})
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 10 {
		wg.Go(func() {
			if _, err := c.Colors(context.Background(), fmt.Sprintf("P%d", i)); err != nil {
				failed.Add(1)
			}
		})
	}
	poll(t, "3 calls in flight", func() bool { return s.inFlight.Load() == 3 })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Colors(ctx, "impatient")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("impatient caller: %v after %v", err, time.Since(start))
	}
	if s.maxIn.Load() != 3 {
		t.Errorf("%d calls in flight, limit 3", s.maxIn.Load())
	}
	close(release)
	wg.Wait()
	if failed.Load() != 0 || s.maxIn.Load() != 3 {
		t.Errorf("%d lookups failed; at most %d calls were in flight, limit 3", failed.Load(), s.maxIn.Load())
	}
	poll(t, "the impatient caller's product cached", func() bool { return c.cache.Contains("impatient") })
	if _, err := c.Colors(context.Background(), "impatient"); err != nil || s.callsFor("impatient") != 1 {
		t.Errorf("impatient, later: %v after %d calls", err, s.callsFor("impatient"))
	}
}

// TestBusy: with every call slot held past Timeout, a lookup fails as
// unavailable without reaching the server, and does not count towards the
// breaker.
func TestBusy(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, gated(release, fixed("Red")))
	c, reg := newClient(t, s, Config{Path: "colors", Concurrency: 1, Timeout: 100 * time.Millisecond, TripAfter: 1})
	c.sem.Acquire(context.Background(), 1) // a call in flight
	_, err := c.Colors(context.Background(), "P1")
	if !Transient(err) || !strings.Contains(err.Error(), "all 1 call slots stayed busy for 100ms") {
		t.Errorf("with no free slot: %v", err)
	}
	c.sem.Release(1)
	close(release)
	if got, err := c.Colors(context.Background(), "P1"); err != nil || len(got) != 1 {
		t.Errorf("with a free slot: %q, %v (the busy error must not trip the breaker)", got, err)
	}
	if n := metric(t, reg, "palette_catalog_calls_total", "outcome", "busy"); n != 1 || s.requests.Load() != 1 {
		t.Errorf("busy calls %v, requests %d; want 1 and 1", n, s.requests.Load())
	}
}

// TestEviction: the cache holds at most CacheSize products and evicts the
// least recently used.
func TestEviction(t *testing.T) {
	s := newServer(t, colorsOf(func(id string) []string { return []string{"Red " + id} }))
	c, reg := newClient(t, s, Config{Path: "colors", CacheSize: 3})
	ctx := context.Background()
	for _, p := range []string{"P0", "P1", "P2", "P0", "P3", "P4"} { // P0 used again: P1 and P2 go
		if _, err := c.Colors(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.cache.Len(); n != 3 {
		t.Errorf("%d entries, limit 3", n)
	}
	if got := metric(t, reg, "palette_catalog_cache_entries"); got != 3 {
		t.Errorf("palette_catalog_cache_entries = %v, want 3", got)
	}
	before := s.requests.Load()
	for _, p := range []string{"P0", "P3", "P4"} {
		c.Colors(ctx, p)
	}
	if n := s.requests.Load(); n != before {
		t.Errorf("%d requests for cached products", n-before)
	}
	c.Colors(ctx, "P1")
	if s.callsFor("P1") != 2 || s.callsFor("P0") != 1 {
		t.Errorf("P1 called %d times, P0 %d; want P1 evicted (2) and P0 kept (1)", s.callsFor("P1"), s.callsFor("P0"))
	}
}

// TestConfig: bad configurations are refused with every problem listed;
// zero values take the defaults; metrics are registered once.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no URL"},
		{Config{URL: "http://catalog/products"}, "has no {product_id}"},
		{Config{URL: "ftp://catalog/{product_id}"}, "scheme must be http or https"},
		{Config{URL: "http://{product_id}.catalog/colors"}, "not the host"},
		{Config{URL: "/products/{product_id}"}, "scheme"},
		{Config{URL: "http://c/{product_id}", Path: "a..b"}, "empty step"},
		{Config{URL: "http://c/{product_id}", Timeout: -time.Second}, "negative timeout"},
		{Config{URL: "http://c/{product_id}", Concurrency: 2000}, "concurrency 2000 out of range"},
		{Config{URL: "http://c/{product_id}", CacheSize: -1}, "cache size -1"},
		{Config{URL: "http://c/{product_id}", TripAfter: -1}, "trip-after -1"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
		if _, err := New(tc.cfg); err == nil {
			t.Errorf("New(%+v) accepted it", tc.cfg)
		}
	}
	d := Config{URL: "http://c/{product_id}"}.withDefaults()
	if d.Timeout != 2*time.Second || d.TTL != 10*time.Minute || d.Concurrency != 16 || d.CacheSize != 10000 ||
		d.MaxBodyBytes != 1<<20 || d.TripAfter != 5 || d.OpenFor != 10*time.Second {
		t.Errorf("defaults: %+v", d)
	}
	reg := prometheus.NewRegistry()
	if _, err := New(Config{URL: "http://c/{product_id}", Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{URL: "http://c/{product_id}", Registerer: reg}); err == nil || !strings.Contains(err.Error(), "registering metrics") {
		t.Errorf("second client on one registry: %v", err)
	}
	c, _ := New(Config{URL: "http://c/{product_id}"})
	if _, err := c.Colors(context.Background(), ""); !errors.Is(err, ErrRejected) {
		t.Errorf("empty product id: %v", err)
	}
}
