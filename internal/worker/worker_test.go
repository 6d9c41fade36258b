package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/store"
)

// readAll polls the 4 partitions of a topic until n messages have arrived
// or 30 s have passed, and returns what it read.
func readAll(t *testing.T, broker, topic string, n int) []kafka.Message {
	t.Helper()
	readers := make([]*kafka.Reader, 4)
	for p := range readers {
		readers[p] = kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		defer readers[p].Close()
	}
	var out []kafka.Message
	for deadline := time.Now().Add(30 * time.Second); len(out) < n && time.Now().Before(deadline); {
		for _, r := range readers {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			m, err := r.ReadMessage(ctx)
			cancel()
			if err == nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// End to end through a real Kafka-protocol broker and a local directory:
// good jobs become swatches and result events, bad ones dead letters.
func TestWorkerEndToEnd(t *testing.T) {
	root := t.TempDir()
	images := filepath.Join(root, "in")
	os.MkdirAll(images, 0o755)
	os.MkdirAll(filepath.Join(root, "out"), 0o755)
	photo, err := os.ReadFile("../../testdata/images/myntra_14064.jpg")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(images, "good.jpg"), photo, 0o644)
	os.WriteFile(filepath.Join(images, "text.jpg"), []byte("not a photo"), 0o644)

	q := queue.Config{Concurrency: 4, MaxAttempts: 2, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, ShutdownTimeout: 5 * time.Second}
	addr, stop, err := DevBroker(q)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	q.Brokers = []string{addr}

	ref := func(name string) string { return "file://" + filepath.ToSlash(filepath.Join(images, name)) }
	var jobs []queue.Job
	for i := range 10 {
		jobs = append(jobs, queue.Job{V: 1, ProductID: "P" + string(rune('A'+i)), Image: ref("good.jpg"), Colors: []string{"Red", "Blue"}})
	}
	// A name nothing knows still makes a swatch, flagged.
	jobs = append(jobs, queue.Job{V: 1, ProductID: "UNKNOWN", Image: ref("good.jpg"), Colors: []string{"Red", "Blorange"}})
	poison := []queue.Job{
		{V: 1, ProductID: "BADIMG", Image: ref("text.jpg"), Colors: []string{"Red"}},
		{V: 1, ProductID: "MISSING", Image: ref("missing.jpg"), Colors: []string{"Red"}},
		{V: 1, ProductID: "OUTSIDE", Image: "file:///etc/passwd", Colors: []string{"Red"}},
	}
	if err := queue.Enqueue(context.Background(), q.Brokers, "palette.jobs", append(jobs, poison...)...); err != nil {
		t.Fatal(err)
	}

	var logs e2eBuffer
	var outcomes sync.Map
	w, err := New(context.Background(), Config{
		Queue: q, LocalRoot: root,
		Output: "file://" + filepath.ToSlash(filepath.Join(root, "out")) + "/{key}",
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		OnOutcome: func(o string) {
			n, _ := outcomes.LoadOrStore(o, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	results := readAll(t, addr, "palette.results", len(jobs))
	dead := readAll(t, addr, "palette.jobs.dlq", len(poison))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	if len(results) != len(jobs) {
		t.Errorf("%d results, want %d", len(results), len(jobs))
	}
	for _, m := range results {
		var r queue.Result
		if err := json.Unmarshal(m.Value, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Colors) != 2 || r.Bytes == 0 || !strings.HasPrefix(r.Output, "file://") {
			t.Errorf("result %+v", r)
			continue
		}
		if c := r.Colors[0]; c.Name != "Red" || c.Via != "exact" || c.Resolved != "Red" {
			t.Errorf("result %s: first colour %+v", r.ProductID, c)
		}
		if c := r.Colors[1]; r.ProductID == "UNKNOWN" && (c.Name != "Blorange" || c.Via != "unknown" || !c.LowConfidence ||
			len(c.ReviewReasons) != 1 || c.ReviewReasons[0] != "unknown_name") {
			t.Errorf("unknown name: %+v", c)
		}
		data, err := os.ReadFile(strings.TrimPrefix(r.Output, "file://"))
		if err != nil || len(data) != r.Bytes {
			t.Errorf("swatch %s: %v (%d bytes, result says %d)", r.Output, err, len(data), r.Bytes)
		}
	}
	if len(dead) != len(poison) {
		t.Errorf("%d dead letters, want %d", len(dead), len(poison))
	}
	for _, m := range dead {
		class := ""
		for _, h := range m.Headers {
			if h.Key == queue.HeaderErrorClass {
				class = string(h.Value)
			}
		}
		if class != "permanent" {
			t.Errorf("dead letter %s: class %q, want permanent", m.Key, class)
		}
	}

	// metrics reflect the outcomes
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if !strings.Contains(body, `palette_jobs_total{outcome="ok"} 11`) {
		t.Errorf("metrics lack 11 ok jobs:\n%s", grep(body, "palette_jobs_total"))
	}
	if !strings.Contains(body, "palette_unknown_names_total 1\n") {
		t.Errorf("metrics lack 1 unknown name:\n%s", grep(body, "palette_unknown_names_total"))
	}
	if l := grep(logs.String(), "unknown colour name"); !strings.Contains(l, `"name":"Blorange"`) || !strings.Contains(l, `"product_id":"UNKNOWN"`) {
		t.Errorf("no log line names the unknown name: %q", l)
	}
	// OnOutcome saw every job; the start log names the settings as the
	// flags do, durations readable.
	count := func(o string) int64 {
		if n, ok := outcomes.Load(o); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	if count("ok") != int64(len(jobs)) || count("dead_letter_permanent") != int64(len(poison)) {
		t.Errorf("OnOutcome: ok %d, dead letters %d", count("ok"), count("dead_letter_permanent"))
	}
	if l := grep(logs.String(), "palette-worker started"); !strings.Contains(l, `"concurrency":4`) || !strings.Contains(l, `"in_flight":4`) || !strings.Contains(l, `"shutdown_timeout":"5s"`) {
		t.Errorf("start log: %s", l)
	}
}

// In strict mode (-unknown-names=fail) a job with a name nothing knows is
// permanent: it is dead-lettered, not retried.
func TestUnknownNamesFail(t *testing.T) {
	cfg, img, _ := localSetup(t)
	cfg.UnknownNames = palette.UnknownFail
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	job := queue.Job{V: 1, ProductID: "P1", Image: img, Colors: []string{"Iron Grey", "Blorange"}}
	_, err = w.Handle(context.Background(), job)
	if !queue.IsPermanent(err) || !strings.Contains(err.Error(), `"Blorange"`) || strings.Contains(err.Error(), "Iron") {
		t.Errorf("strict: err = %v, want a permanent error naming only Blorange", err)
	}
	if _, err := New(context.Background(), Config{Queue: queue.Config{Brokers: []string{"127.0.0.1:1"}}, UnknownNames: 9}); err == nil {
		t.Error("New accepted UnknownNames 9")
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// An invalid colour-map edit is rejected and the previous map stays.
func TestColormapReload(t *testing.T) {
	f := filepath.Join(t.TempDir(), "map.txt")
	os.WriteFile(f, []byte("Red: #FF0000\n"), 0o644)
	w, err := New(context.Background(), Config{
		Queue: queue.Config{Brokers: []string{"127.0.0.1:1"}}, LocalRoot: t.TempDir(),
		Output: "file:///x/{key}", Colormap: f, ReloadEvery: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.watchColormap(ctx)

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for range 300 {
			if ok() {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal(what)
	}
	has := func(name string) bool { _, ok := w.cmap.Load().Lookup(name); return ok }
	if !has("Red") || has("Teal") {
		t.Fatal("initial map")
	}
	time.Sleep(20 * time.Millisecond)
	os.WriteFile(f, []byte("Red: #FF0000\nTeal: #008080\n"), 0o644)
	os.Chtimes(f, time.Now().Add(time.Second), time.Now().Add(time.Second))
	waitFor("the valid edit was not picked up", func() bool { return has("Teal") })

	os.WriteFile(f, []byte("Red: #FF00\nBroken line\n"), 0o644)
	os.Chtimes(f, time.Now().Add(2*time.Second), time.Now().Add(2*time.Second))
	time.Sleep(200 * time.Millisecond)
	if !has("Teal") || !has("Red") {
		t.Error("an invalid edit replaced the map")
	}
	// An empty file (a half-written save) is refused too.
	os.WriteFile(f, nil, 0o644)
	os.Chtimes(f, time.Now().Add(3*time.Second), time.Now().Add(3*time.Second))
	time.Sleep(200 * time.Millisecond)
	if !has("Teal") || !has("Red") {
		t.Error("an empty edit replaced the map")
	}
}

// A colour map with no entries is refused at start; on reload, so is one
// that keeps fewer than half the entries of a map of ten or more.
func TestColormapUsable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "map.txt")
	os.WriteFile(f, []byte("# nothing yet\n"), 0o644)
	_, err := New(context.Background(), Config{
		Queue: queue.Config{Brokers: []string{"127.0.0.1:1"}}, Output: "file:///x/{key}", Colormap: f,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err == nil || !strings.Contains(err.Error(), "has no entries") {
		t.Errorf("empty map at start: %v", err)
	}
	big, err := colormap.Parse(strings.NewReader(bigMap(12)), "big")
	if err != nil {
		t.Fatal(err)
	}
	small, _ := colormap.Parse(strings.NewReader(bigMap(5)), "small")
	if err := usable("m", big, small); err == nil || !strings.Contains(err.Error(), "fewer than half") {
		t.Errorf("12 → 5 entries: %v", err)
	}
	if err := usable("m", big, big); err != nil {
		t.Errorf("same map: %v", err)
	}
	tiny, _ := colormap.Parse(strings.NewReader(bigMap(3)), "tiny")
	one, _ := colormap.Parse(strings.NewReader(bigMap(1)), "one")
	if err := usable("m", tiny, one); err != nil {
		t.Errorf("a small map may shrink: %v", err)
	}
}

// bigMap is a colour map of n entries.
func bigMap(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Colour %d: #%02X0000\n", i, i)
	}
	return b.String()
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Queue: queue.Config{}, LocalRoot: "/"},                                                      // no brokers
		{Queue: queue.Config{Brokers: []string{"x:1"}}, LocalRoot: "/", Output: "file:///out/a.png"}, // constant output
		{Queue: queue.Config{Brokers: []string{"x:1"}}, LocalRoot: "/", Size: 3},
		{Queue: queue.Config{Brokers: []string{"x:1"}}, LocalRoot: "/nonexistent-dir-for-test"},
		{Queue: queue.Config{Brokers: []string{"x:1"}}, LocalRoot: "/", Colormap: "/nonexistent.txt"},
	} {
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// TestPreviewMounted: the worker's HTTP handler serves the preview pages
// and API next to /healthz; a map saved in the editor (with the admin
// token and the current ETag) is written to the -colormap file and used by
// the next job at once.
func TestPreviewMounted(t *testing.T) {
	root := t.TempDir()
	mapFile := filepath.Join(root, "colours.txt")
	if err := os.WriteFile(mapFile, []byte("Red: #FF0000\nBlue: #0000FF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := New(context.Background(), Config{
		Queue:    queue.Config{Brokers: []string{"127.0.0.1:1"}},
		Colormap: mapFile, AdminToken: "s3cret", LocalRoot: root,
		Output: "file://" + filepath.ToSlash(root) + "/{key}",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, path := range []string{"/", "/colormap", "/healthz"} {
		if resp, _ := get(path); resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
	resp, body := get("/v1/colormap")
	if resp.StatusCode != 200 || !strings.Contains(body, `"editable":true`) {
		t.Fatalf("GET /v1/colormap: %s %s", resp.Status, body)
	}
	etag := resp.Header.Get("ETag")

	put := func(token, etag, text string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("PUT", srv.URL+"/v1/colormap", strings.NewReader(text))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("If-Match", etag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := put("wrong", etag, "Red: #00FF00\nBlue: #0000FF\n"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("PUT with a wrong token: %s", resp.Status)
	}
	if resp := put("s3cret", etag, "Red: #00FF00\nBlue: #0000FF\n"); resp.StatusCode != 200 {
		t.Fatalf("PUT: %s", resp.Status)
	}
	if e, ok := w.cmap.Load().Lookup("Red"); !ok || len(e.Shades) != 1 || palette.Hex(e.Shades[0]) != "#00ff00" {
		t.Errorf("the worker's map after the save: Red %+v", e)
	}
	if data, _ := os.ReadFile(mapFile); !strings.Contains(string(data), "#00FF00") {
		t.Errorf("the file after the save: %q", data)
	}
	if resp := put("s3cret", etag, "Red: #0000AA\n"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT with the old ETag: %s, want 412", resp.Status)
	}

	// A hand edit of the file, before the worker's poll has seen it, is
	// not overwritten by a save made from the version before it.
	resp, _ = get("/v1/colormap")
	etag = resp.Header.Get("ETag")
	hand := []byte("Red: #00FF00\nBlue: #000088\n")
	later := time.Now().Add(2 * time.Second)
	if err := os.WriteFile(mapFile, hand, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(mapFile, later, later) // a different modification time, however coarse the clock
	if resp := put("s3cret", etag, "Red: #123456\nBlue: #0000FF\n"); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("PUT over an unseen hand edit: %s, want 412", resp.Status)
	}
	if data, _ := os.ReadFile(mapFile); string(data) != string(hand) {
		t.Errorf("the hand edit was overwritten: %q", data)
	}
}

// A job may write its swatch only under the allowed outputs: never over
// its own photo, never through "..". Refusals are permanent, and the photo
// is left as it was.
func TestOutputPolicy(t *testing.T) {
	cfg, img, photo := localSetup(t)
	root := cfg.LocalRoot
	in := filepath.Join(root, "in", "p.jpg")
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	outDir := "file://" + filepath.ToSlash(filepath.Join(root, "out"))
	for _, tc := range []struct{ output, why string }{
		{img, "is the job's own image"},
		{outDir + "/../in/p.jpg", `".." path segment`},
		{"file://" + filepath.ToSlash(filepath.Join(root, "in", "q.png")), "outside the allowed outputs"},
	} {
		_, err := w.Handle(context.Background(), queue.Job{V: 1, ProductID: "P1", Image: img, Colors: []string{"Red"}, Output: tc.output})
		if !queue.IsPermanent(err) || !errors.Is(err, store.ErrOutputRefused) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("output %s: %v, want a permanent refusal: %s", tc.output, err, tc.why)
		}
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, photo) {
		t.Error("the photo was changed")
	}
	if _, err := w.Handle(context.Background(), queue.Job{V: 1, ProductID: "P1", Image: img, Colors: []string{"Red"}, Output: outDir + "/P1/s.png"}); err != nil {
		t.Errorf("an allowed output: %v", err)
	}
}

// localSetup lays out a local store in a temporary root: the sample photo
// at in/p.jpg (img is its file:// reference) and an empty out/. cfg reads
// and writes there (swatches under out/), names a broker nobody listens on,
// and logs nowhere: for tests that call Handle.
func localSetup(t *testing.T) (cfg Config, img string, photo []byte) {
	t.Helper()
	root := t.TempDir()
	photo, err := os.ReadFile("../../testdata/images/myntra_14064.jpg")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "in"), 0o755)
	os.MkdirAll(filepath.Join(root, "out"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "in", "p.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = Config{
		Queue:     queue.Config{Brokers: []string{"127.0.0.1:1"}},
		LocalRoot: root, Output: "file://" + filepath.ToSlash(filepath.Join(root, "out")) + "/{key}",
		Logger: slog.New(slog.DiscardHandler),
	}
	return cfg, "file://" + filepath.ToSlash(filepath.Join(root, "in", "p.jpg")), photo
}
