package worker

// Jobs without colours take them from a catalog service: a real HTTP
// server on loopback that each test controls, with the worker running
// against the in-process broker (kfake) and a real S3 server (versitygw)
// as in e2e_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/catalog"
	"github.com/palette-dev/palette/queue"
)

// catalogServer is a catalog service on loopback: GET
// /products/{id}/colors answers {"colors": [...]} from its lookup
// function, 404 for a product it does not know, or the status its fail
// function returns for the product (0: answer normally), after its delay.
type catalogServer struct {
	*httptest.Server
	mu     sync.Mutex
	lookup func(id string) ([]string, bool)
	fail   func(id string) int
	delay  time.Duration
	calls  atomic.Int64 // requests that reached it
	failed atomic.Int64 // of which answered with a failure status
}

func newCatalogServer(tb testing.TB, lookup func(id string) ([]string, bool)) *catalogServer {
	tb.Helper()
	cs := &catalogServer{lookup: lookup}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products/{id}/colors", func(w http.ResponseWriter, r *http.Request) {
		cs.calls.Add(1)
		id := r.PathValue("id")
		cs.mu.Lock()
		fail, delay := cs.fail, cs.delay
		cs.mu.Unlock()
		names, ok := cs.lookup(id)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if fail != nil {
			if code := fail(id); code != 0 {
				cs.failed.Add(1)
				http.Error(w, http.StatusText(code), code)
				return
			}
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": id, "colors": names})
	})
	cs.Server = httptest.NewServer(mux)
	tb.Cleanup(cs.Close)
	return cs
}

// table is a catalogServer lookup from a fixed table.
func table(colors map[string][]string) func(string) ([]string, bool) {
	return func(id string) ([]string, bool) { c, ok := colors[id]; return c, ok }
}

// setFail changes the failure function (nil: none).
func (cs *catalogServer) setFail(f func(id string) int) {
	cs.mu.Lock()
	cs.fail = f
	cs.mu.Unlock()
}

// config is the worker's catalog configuration for cs.
func (cs *catalogServer) config() catalog.Config {
	return catalog.Config{URL: cs.URL + "/products/{product_id}/colors", Path: "colors"}
}

// TestCatalogLimits: the catalog holds colour lists to a job's limits.
func TestCatalogLimits(t *testing.T) {
	if catalog.MaxColors != queue.MaxColors || catalog.MaxColorBytes != queue.MaxColorBytes {
		t.Errorf("catalog limits %d colours of %d bytes, queue's %d of %d",
			catalog.MaxColors, catalog.MaxColorBytes, queue.MaxColors, queue.MaxColorBytes)
	}
}

// TestHandleCatalog: Handle, called directly, on a local directory: a job
// without colours gets the catalog's; a job with colours never asks; each
// catalog failure is classed as the queue must treat it.
func TestHandleCatalog(t *testing.T) {
	cfg, img, photo := localSetup(t)
	cs := newCatalogServer(t, table(map[string][]string{
		"P1": {"Red", "Blue"}, "EMPTY": {}, "ODD": {"Blorange"},
	}))
	cs.setFail(func(id string) int {
		if strings.HasPrefix(id, "DOWN") {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	// Strict: the catalog's unknown colour name fails the job.
	cfg.UnknownNames = palette.UnknownFail
	bare, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Catalog = cs.config()
	cfg.Catalog.TripAfter = 100
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	res, err := w.Handle(ctx, queue.Job{V: 1, ProductID: "P1", Image: img})
	if err != nil {
		t.Fatal(err)
	}
	want, err := palette.Process(ctx, photo, []string{"Red", "Blue"}, &palette.Options{Size: 40})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultNames(res); !slices.Equal(got, []string{"Red", "Blue"}) || res.Bytes != len(want.Swatch) {
		t.Errorf("colours %q, %d bytes; want the catalog's [Red Blue] and %d bytes", got, res.Bytes, len(want.Swatch))
	}
	if got, err := os.ReadFile(strings.TrimPrefix(res.Output, "file://")); err != nil || !bytes.Equal(got, want.Swatch) {
		t.Errorf("swatch %s differs from palette.Process with the catalog's colours (%v)", res.Output, err)
	}
	if _, err := w.Handle(ctx, queue.Job{V: 1, ProductID: "OWN", Image: img, Colors: []string{"Blue"}}); err != nil {
		t.Fatal(err)
	}
	if n := cs.calls.Load(); n != 1 {
		t.Errorf("%d catalog calls, want 1 (P1 only)", n)
	}

	for _, tc := range []struct {
		w         *Worker
		id        string
		permanent bool
		reason    string
	}{
		{bare, "P1", true, "job has no colours (and no catalog is configured)"},
		{w, "NOSUCH", true, `catalog: not found for product "NOSUCH": status 404`},
		{w, "EMPTY", true, `catalog: no colours for product "EMPTY"`},
		{w, "ODD", true, `unknown colour name: "Blorange"`},
		{w, "DOWN1", false, `catalog: unavailable for product "DOWN1": status 503`},
	} {
		_, err := tc.w.Handle(ctx, queue.Job{V: 1, ProductID: tc.id, Image: img})
		if err == nil || queue.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v (permanent %v); want permanent %v with %q", tc.id, err, queue.IsPermanent(err), tc.permanent, tc.reason)
		}
	}

	// A job whose time is up while it waits for the catalog is retried.
	cs.mu.Lock()
	cs.delay = 300 * time.Millisecond
	cs.mu.Unlock()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := w.Handle(short, queue.Job{V: 1, ProductID: "SLOW", Image: img}); err == nil || queue.IsPermanent(err) {
		t.Errorf("cancelled while waiting for the catalog: %v, want a transient error", err)
	}

	cfg.Catalog = catalog.Config{Path: "colors"}
	if _, err := New(ctx, cfg); err == nil {
		t.Error("a catalog path without a URL was accepted")
	}
	cfg.Catalog = catalog.Config{URL: "http://catalog/products"}
	if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "{product_id}") {
		t.Errorf("a catalog URL without {product_id}: %v", err)
	}
}

// resultNames are the colour names of a result, in order.
func resultNames(r queue.Result) []string {
	var out []string
	for _, c := range r.Colors {
		out = append(out, c.Name)
	}
	return out
}

// catalogWorkload is a set of jobs without colours over a few products,
// each product a sample photo in S3 whose catalog colours are those of
// the manifest; the swatch of every job is expected to be palette.Process's
// with those colours. Each job has its own output object.
type catalogWorkload struct {
	jobs   []queue.Job
	colors map[string][]string // product → catalog colours
	photo  map[string]photo    // product → photo
	want   map[string][]byte   // product → swatch
}

func newCatalogWorkload(t *testing.T, photos []photo, prefix string, products, jobs int) *catalogWorkload {
	t.Helper()
	wl := &catalogWorkload{colors: map[string][]string{}, photo: map[string]photo{}, want: map[string][]byte{}}
	for i := range products {
		p := photos[i%len(photos)]
		id := fmt.Sprintf("%s%02d", prefix, i)
		wl.colors[id], wl.photo[id] = p.colors, p
		res, err := palette.Process(context.Background(), p.data, p.colors, &palette.Options{Size: 40})
		if err != nil {
			t.Fatal(err)
		}
		wl.want[id] = res.Swatch
	}
	for i := range jobs {
		id := fmt.Sprintf("%s%02d", prefix, i%products)
		wl.jobs = append(wl.jobs, queue.Job{V: 1, ProductID: id, Image: "s3://" + photoBucket + "/" + wl.photo[id].name,
			Output: fmt.Sprintf("s3://%s/%s/job-%03d.png", swatchBucket, prefix, i)})
	}
	return wl
}

// catalogWorkerConfig is s3WorkerConfig with the catalog of cs.
func catalogWorkerConfig(brokers []string, endpoint, group string, cs *catalogServer) Config {
	cfg := s3WorkerConfig(brokers, endpoint, group)
	cfg.Catalog = cs.config()
	return cfg
}

// twoColourPhotos are the sample photos with two plain colour names (no
// Multi), so that a result lists exactly its names.
func twoColourPhotos(t *testing.T, photos []photo) []photo {
	var out []photo
	for _, p := range photos {
		if len(p.colors) == 2 && !slices.Contains(p.colors, "Multi") {
			out = append(out, p)
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d sample photos with two colours", len(out))
	}
	return out
}

// TestE2ECatalog: 30 jobs without colours over 5 products, and 5 with
// their own colours, through the worker with a loopback catalog: 35
// results, each job's swatch palette.Process's with the catalog's colours
// (or the job's), the results listing those colours, no dead letter, and
// exactly 5 catalog calls.
func TestE2ECatalog(t *testing.T) {
	t.Parallel()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := twoColourPhotos(t, setupPhotos(t, sc))
	wl := newCatalogWorkload(t, photos, "CAT", 5, 30)
	colors := map[string][]string{}
	for id, c := range wl.colors {
		colors[id] = c
	}
	var own []queue.Job
	for i := range 5 {
		id := fmt.Sprintf("OWN%02d", i)
		colors[id] = []string{"Black"} // never asked for: the jobs carry their colours
		p := photos[i]
		own = append(own, queue.Job{V: 1, ProductID: id, Image: "s3://" + photoBucket + "/" + p.name, Colors: p.colors,
			Output: fmt.Sprintf("s3://%s/own/%d.png", swatchBucket, i)})
		wl.photo[id], wl.colors[id] = p, p.colors
		res, err := palette.Process(context.Background(), p.data, p.colors, &palette.Options{Size: 40})
		if err != nil {
			t.Fatal(err)
		}
		wl.want[id] = res.Swatch
	}
	cs := newCatalogServer(t, table(colors))
	cs.delay = 50 * time.Millisecond // so that concurrent misses of a product overlap
	enqueueJobs(t, brokers, append(slices.Clone(wl.jobs), own...))

	w, stop := runWorker(t, catalogWorkerConfig(brokers, g.Endpoint(), "catalog", cs))
	n := int64(len(wl.jobs) + len(own))
	poll(t, "every job finished and committed", 45*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults))+sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= n &&
			allCommittedAt(t, brokers, "catalog")
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Fatalf("%d dead letters; first %s: %s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason))
	}
	results := readTopic(t, brokers, e2eResults)
	if int64(len(results)) != n {
		t.Errorf("%d results, want %d", len(results), n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	outputs := map[string]bool{}
	for _, r := range results {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatal(err)
		}
		outputs[res.Output] = true
		if got, want := resultNames(res), wl.colors[res.ProductID]; !slices.Equal(got, want) {
			t.Errorf("%s: result colours %q, want %q", res.ProductID, got, want)
		}
		key := strings.TrimPrefix(res.Output, "s3://"+swatchBucket+"/")
		data, err := getObject(ctx, sc, swatchBucket, key)
		if err != nil || !bytes.Equal(data, wl.want[res.ProductID]) || res.Bytes != len(data) {
			t.Errorf("%s: swatch %s differs from palette.Process with the catalog's colours (%v)", res.ProductID, res.Output, err)
		}
	}
	if len(outputs) != int(n) {
		t.Errorf("%d distinct outputs, want %d", len(outputs), n)
	}
	if c := cs.calls.Load(); c != 5 {
		t.Errorf("%d catalog calls, want 5 (one per product)", c)
	}
	hits := metricValue(t, w, `palette_catalog_lookups_total{result="hit"}`)
	misses := metricValue(t, w, `palette_catalog_lookups_total{result="miss"}`)
	if hits+misses != 30 || misses < 5 {
		t.Errorf("%v hits and %v misses, want 30 lookups and at least 5 misses", hits, misses)
	}
	if got := metricValue(t, w, `palette_catalog_calls_total{outcome="ok"}`); got != 5 {
		t.Errorf(`palette_catalog_calls_total{outcome="ok"} = %v, want 5`, got)
	}
}

// TestE2ECatalogOutage: the catalog answers 503 for two seconds from its
// first request, then recovers: the worker pauses, probes, and all jobs
// complete, none dead-lettered.
func TestE2ECatalogOutage(t *testing.T) {
	t.Parallel()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := twoColourPhotos(t, setupPhotos(t, sc))
	wl := newCatalogWorkload(t, photos, "OUT", 4, 20)
	cs := newCatalogServer(t, table(wl.colors))
	var until atomic.Int64
	cs.setFail(func(string) int {
		now := time.Now().UnixNano()
		until.CompareAndSwap(0, now+int64(2*time.Second))
		if now < until.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	})

	cfg := catalogWorkerConfig(brokers, g.Endpoint(), "catalog-outage", cs)
	cfg.Queue.MaxAttempts = 3
	cfg.Queue.Backoff, cfg.Queue.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	cfg.Catalog.TripAfter, cfg.Catalog.OpenFor = 3, 300*time.Millisecond
	w, stop := runWorker(t, cfg)
	enqueueJobs(t, brokers, wl.jobs)
	poll(t, "every job finished and committed", 45*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults))+sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= int64(len(wl.jobs)) &&
			allCommittedAt(t, brokers, "catalog-outage")
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Errorf("%d dead letters, want none; first %s: %s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason))
	}
	results := readTopic(t, brokers, e2eResults)
	if len(results) != len(wl.jobs) {
		t.Errorf("%d results, want %d", len(results), len(wl.jobs))
	}
	for _, r := range results {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatal(err)
		}
		if got, want := resultNames(res), wl.colors[res.ProductID]; !slices.Equal(got, want) {
			t.Errorf("%s: result colours %q, want %q", res.ProductID, got, want)
		}
	}
	// The catalog is shielded twice: the breaker fails calls fast, and
	// once jobs of several products fail the worker stops taking jobs
	// and only probes the catalog until it answers.
	reached := cs.failed.Load()
	paused := metricValue(t, w, "palette_paused_seconds_total")
	t.Logf("%d failed calls reached the catalog; paused %.1f s", reached, paused)
	if paused <= 0 {
		t.Error("the worker never paused for the catalog")
	}
	if reached > int64(len(wl.jobs)) {
		t.Errorf("%d failed calls reached the catalog for %d jobs: it was not shielded", reached, len(wl.jobs))
	}
	if st := metricValue(t, w, "palette_catalog_breaker_state"); st != 0 {
		t.Errorf("breaker state %v at the end, want 0 (closed)", st)
	}
}

// TestE2ECatalogDeadLetter: past the retry budget, jobs whose catalog
// stays down are dead-lettered as transient-exhausted with a reason naming
// the catalog, the product and the failure; the catalog's definite answers
// (unknown product, no colours, an unknown colour name) are dead-lettered
// at once as permanent; other jobs complete.
func TestE2ECatalogDeadLetter(t *testing.T) {
	t.Parallel()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := twoColourPhotos(t, setupPhotos(t, sc))
	wl := newCatalogWorkload(t, photos, "OK", 3, 6)
	colors := map[string][]string{"DOWN00": {"Red"}, "DOWN01": {"Red"}, "EMPTY": {}, "ODD": {"Blorange"}}
	for id, c := range wl.colors {
		colors[id] = c
	}
	cs := newCatalogServer(t, table(colors))
	cs.setFail(func(id string) int {
		if strings.HasPrefix(id, "DOWN") {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	img := "s3://" + photoBucket + "/" + photos[0].name
	jobs := slices.Clone(wl.jobs)
	for _, id := range []string{"DOWN00", "DOWN01", "GONE", "EMPTY", "ODD"} {
		jobs = append(jobs, queue.Job{V: 1, ProductID: id, Image: img})
	}
	cfg := catalogWorkerConfig(brokers, g.Endpoint(), "catalog-dlq", cs)
	cfg.Catalog.TripAfter = 100            // the reason is the catalog's own answer, not "circuit open"
	cfg.UnknownNames = palette.UnknownFail // strict: an unknown colour name is a permanent dead letter
	runWorker(t, cfg)
	enqueueJobs(t, brokers, jobs)
	poll(t, "every job finished and committed", 45*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults))+sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= int64(len(jobs)) &&
			allCommittedAt(t, brokers, "catalog-dlq")
	})

	if results := readTopic(t, brokers, e2eResults); len(results) != len(wl.jobs) {
		t.Errorf("%d results, want %d", len(results), len(wl.jobs))
	}
	want := map[string]struct{ class, attempts, reason string }{
		"DOWN00": {queue.ClassTransientExhausted, "3", `catalog: unavailable for product "DOWN00": status 503`},
		"DOWN01": {queue.ClassTransientExhausted, "3", `catalog: unavailable for product "DOWN01": status 503`},
		"GONE":   {queue.ClassPermanent, "1", `catalog: not found for product "GONE": status 404`},
		"EMPTY":  {queue.ClassPermanent, "1", `catalog: no colours for product "EMPTY": "colors" is an empty list`},
		"ODD":    {queue.ClassPermanent, "1", `unknown colour name: "Blorange"`},
	}
	dead := readTopic(t, brokers, e2eDLQ)
	if len(dead) != len(want) {
		t.Errorf("%d dead letters, want %d", len(dead), len(want))
	}
	for _, r := range dead {
		w, ok := want[string(r.Key)]
		class, attempts, reason := recHeader(r, queue.HeaderErrorClass), recHeader(r, queue.HeaderAttempts), recHeader(r, queue.HeaderErrorReason)
		if !ok || class != w.class || attempts != w.attempts || !strings.Contains(reason, w.reason) {
			t.Errorf("dead letter %s: class %q, %s attempts, reason %q; want %q, %s, %q", r.Key, class, attempts, reason, w.class, w.attempts, w.reason)
		}
		var job queue.Job
		if err := json.Unmarshal(r.Value, &job); err != nil || job.ProductID != string(r.Key) || len(job.Colors) != 0 {
			t.Errorf("dead letter %s: value %s is not the original job", r.Key, r.Value)
		}
	}
	if n := cs.failed.Load(); n != 6 {
		t.Errorf("%d failed catalog calls, want 6 (3 attempts of each DOWN job)", n)
	}
}

// TestE2ECatalogFlags: the palette-worker binary with -catalog-url and
// -catalog-path takes the colours of jobs without colours from the
// catalog.
func TestE2ECatalogFlags(t *testing.T) {
	t.Parallel()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := twoColourPhotos(t, setupPhotos(t, sc))
	wl := newCatalogWorkload(t, photos, "FLAG", 3, 9)
	cs := newCatalogServer(t, func(id string) ([]string, bool) {
		c, ok := wl.colors[id]
		return c, ok
	})
	enqueueJobs(t, brokers, wl.jobs)
	args := append(subprocessArgs(brokers, g.Endpoint(), "catalog-flags"),
		"-catalog-url", cs.URL+"/products/{product_id}/colors", "-catalog-path", "colors",
		"-catalog-timeout", "1s", "-catalog-ttl", "1m", "-catalog-concurrency", "2", "-catalog-cache-size", "100")
	p := startProc(t, args...)
	poll(t, "every job finished", 45*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults))+sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= int64(len(wl.jobs))
	})
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Fatalf("%d dead letters; first %s: %s\n%s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason), p.out.String())
	}
	for _, r := range readTopic(t, brokers, e2eResults) {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatal(err)
		}
		if got, want := resultNames(res), wl.colors[res.ProductID]; !slices.Equal(got, want) {
			t.Errorf("%s: result colours %q, want %q", res.ProductID, got, want)
		}
	}
	if n := cs.calls.Load(); n != 3 {
		t.Errorf("%d catalog calls, want 3", n)
	}
}

// TestCatalogWaitHoldsNoImageSlot: with one image slot, jobs waiting for a
// slow catalog do not hold it: a job with colours goes through meanwhile.
func TestCatalogWaitHoldsNoImageSlot(t *testing.T) {
	cfg, img, _ := localSetup(t)
	release := make(chan struct{})
	cs := newCatalogServer(t, func(string) ([]string, bool) {
		<-release
		return []string{"Red", "Blue"}, true
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	cfg.Concurrency = 1
	cfg.Catalog = cs.config()
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.cfg.Queue.Concurrency; got != 16 {
		t.Errorf("jobs in flight %d, want 16 per image slot", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	waiting := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, err := w.Handle(ctx, queue.Job{V: 1, ProductID: fmt.Sprintf("SLOW%d", i), Image: img})
			waiting <- err
		}()
	}
	for cs.calls.Load() < 3 { // all three are waiting for the catalog
		if ctx.Err() != nil {
			t.Fatal("the catalog was not called")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := w.Handle(ctx, queue.Job{V: 1, ProductID: "FAST", Image: img, Colors: []string{"Red"}}); err != nil {
		t.Fatalf("a job with colours while others wait for the catalog: %v", err)
	}
	if n := len(w.slots); n != 0 {
		t.Errorf("%d image slots held by jobs waiting for the catalog", n)
	}

	// Once the catalog answers, the three go through the one slot.
	close(release)
	for range 3 {
		if err := <-waiting; err != nil {
			t.Errorf("job waiting for the catalog: %v", err)
		}
	}
}
