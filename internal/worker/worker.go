// Package worker is palette-worker: it consumes swatch jobs from Kafka, runs
// each through the same pipeline as palettecli (palette.Process), writes the
// swatch to object storage and publishes a result event; a job that cannot
// succeed goes to the dead-letter topic. It also serves health, readiness
// and Prometheus metrics, and reloads the colour map when its file changes.
// cmd/palette-worker only turns flags and environment into a Config.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/catalog"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/preview"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/store"
)

// Config is the whole worker's configuration. Zero values mean the
// documented defaults.
type Config struct {
	// Queue configures the Kafka consumer (brokers, topics, group, jobs in
	// flight, retries). Its Logger and Hooks are set by the worker. Its
	// Concurrency is how many jobs are taken from Kafka at once; 0 means
	// 16 per image slot (see Concurrency). Jobs waiting for the catalog or
	// for a retry hold no image slot.
	Queue queue.Config
	// Concurrency is how many jobs fetch, decode and write an image at
	// once; default 4.
	Concurrency int
	// Memory is the budget, in bytes, of photo data and decoded pixels
	// held at once: each job reserves palette.MemoryNeeded of its photo
	// (read from the header) before decoding and waits while the budget
	// is spent; a photo needing more than all of it is a permanent dead
	// letter. 0 means DefaultMemoryPerSlot per image slot.
	Memory int64
	// Output is where a job without its own output goes: a reference
	// template with {product_id} and {key} (store.OutputKey of the product
	// id and image: "<product>/<hash of the image ref>.png"); default
	// DefaultOutput.
	Output string
	// OutputAllow are the s3:// or file:// prefixes a swatch may be
	// written under ("s3://palettes/"; a bucket alone means all of it);
	// none means the fixed part of Output ("s3://palettes/" for
	// "s3://palettes/{key}"). An output elsewhere, equal to or under the
	// job's own image, or with empty, "." or ".." segments or control
	// characters is a permanent dead letter (store.CheckOutput).
	OutputAllow []string
	// S3 configures the S3 store; an empty Endpoint uses AWS's.
	S3 store.S3Config
	// HTTP configures fetches of https:// images; no AllowHosts means no
	// https:// images.
	HTTP store.HTTPConfig
	// LocalRoot, when set, serves file:// references under it.
	LocalRoot string
	// Colormap is a colour-map file, reloaded when it changes; empty means
	// the embedded map.
	Colormap string
	// ReloadEvery is how often the colour-map file is checked; default 2s.
	ReloadEvery time.Duration
	// CacheControl is set on every swatch written; default
	// DefaultCacheControl.
	CacheControl string
	// Size is the swatch size in pixels; 0 means 40.
	Size int
	// UnknownNames is what a colour name no tier of the colour map knows
	// does: palette.UnknownFlag (the default) makes the swatch with the
	// product's main colour for it, flagged low_confidence, logged and
	// counted in palette_unknown_names_total; palette.UnknownFail
	// dead-letters the job (permanent).
	UnknownNames palette.UnknownNames
	// HTTPAddr serves /healthz, /readyz, /metrics and the preview pages
	// and API (package preview); empty means none.
	HTTPAddr string
	// AdminToken is the bearer token the colour-map editor needs to save
	// to the Colormap file, and the review API to fix swatches; empty
	// means both are read-only.
	AdminToken string
	// ReviewWindow is how far back the review list (GET /v1/review) reads
	// the results and dead-letter topics when the worker starts; default
	// DefaultReviewWindow. ReviewMax is the most items it keeps, the
	// oldest dropped first; default DefaultReviewMax.
	ReviewWindow time.Duration
	ReviewMax    int
	// Catalog, when its URL is set, supplies the colours of jobs that
	// carry none, from the catalog service through a cache (see package
	// catalog). The worker sets its Registerer to the worker's registry,
	// and its Logger, when nil, to the worker's. Without a URL a job
	// without colours is dead-lettered at once (permanent).
	Catalog catalog.Config
	// Logger receives JSON logs; nil means slog's default.
	Logger *slog.Logger
	// OnOutcome, when set, is called once for every job that finished
	// (with "ok", "dead_letter_permanent", "dead_letter_exhausted",
	// "abandoned" or "dropped", as palette_jobs_total counts them), from any
	// goroutine. palette-worker -dev uses it for its summary.
	OnOutcome func(outcome string)
}

// Defaults.
const (
	DefaultOutput       = "s3://palettes/{key}"
	DefaultCacheControl = "public, max-age=31536000, immutable"
	DefaultConcurrency  = 4
	// DefaultMemoryPerSlot is the -memory budget per image slot: room for
	// a 4000×5000 8-bit PNG (80 MB decoded) with its file.
	DefaultMemoryPerSlot = 64 << 20

	maxConcurrency = 256
	maxInFlight    = 1024 // queue's limit
)

// Worker runs jobs. Create it with New; it is used by one Run.
type Worker struct {
	cfg      Config
	log      *slog.Logger
	router   *store.Router
	cmap     atomic.Pointer[colormap.Map]
	cmapFile os.FileInfo // the colour-map file last loaded (through symlinks)
	reg      *prometheus.Registry
	m        metrics
	catalog  *catalog.Client // nil: no catalog configured
	slots    chan struct{}   // one per job holding an image
	mem      *semaphore.Weighted
	memUsed  atomic.Int64
	freed    atomic.Int64 // unix nanoseconds of the last debug.FreeOSMemory
	// freePending is set while a put-off FreeOSMemory is scheduled.
	freePending atomic.Bool
	deps        *dependencies
	preview     *preview.Server
	rv          *reviewer
	ready       atomic.Bool
	// cmapBad says why the colour-map file was last refused on reload
	// (the previous map still in use), or nil.
	cmapBad atomic.Pointer[mapRefusal]
}

type mapRefusal struct {
	since  time.Time
	reason string
}

// New validates cfg and connects the stores (S3 only when an S3 reference
// is possible). It starts nothing.
func New(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Output == "" {
		cfg.Output = DefaultOutput
	}
	if cfg.CacheControl == "" {
		cfg.CacheControl = DefaultCacheControl
	}
	if cfg.ReloadEvery <= 0 {
		cfg.ReloadEvery = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := (&palette.Options{Size: cfg.Size, UnknownNames: cfg.UnknownNames}).Validate(); err != nil {
		return nil, err
	}
	if !strings.Contains(cfg.Output, "{key}") && !strings.Contains(cfg.Output, "{product_id}") {
		return nil, fmt.Errorf("worker: -output %q has neither {key} nor {product_id}: every swatch would overwrite the last", cfg.Output)
	}
	if len(cfg.OutputAllow) == 0 {
		cfg.OutputAllow = []string{store.OutputPrefix(cfg.Output)}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > maxConcurrency {
		return nil, fmt.Errorf("worker: concurrency %d out of range 1..%d", cfg.Concurrency, maxConcurrency)
	}
	if cfg.Queue.Concurrency == 0 {
		cfg.Queue.Concurrency = min(16*cfg.Concurrency, maxInFlight)
	}
	if cfg.Memory == 0 {
		cfg.Memory = int64(cfg.Concurrency) * DefaultMemoryPerSlot
	}
	if cfg.Memory < minMemory {
		return nil, fmt.Errorf("worker: memory budget %d bytes is below the %d MiB a catalog photo needs", cfg.Memory, minMemory>>20)
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, router: &store.Router{}, reg: prometheus.NewRegistry(),
		slots: make(chan struct{}, cfg.Concurrency), mem: semaphore.NewWeighted(cfg.Memory)}
	w.m = newMetrics(w.reg)
	w.m.memBudget.Set(float64(cfg.Memory))
	w.deps = newDependencies(w.m, func(d *dependency, down bool, reason string) {
		if down {
			w.log.Error("dependency down: no new jobs until it answers", "dependency", d.name, "err", reason)
		} else {
			w.log.Info("dependency up again", "dependency", d.name)
		}
	})

	m := colormap.Default()
	if cfg.Colormap != "" {
		// Stat first: an edit landing between the two is then seen as a
		// change by the first poll.
		if fi, err := os.Stat(cfg.Colormap); err == nil {
			w.cmapFile = fi
		}
		var err error
		if m, err = colormap.Load(cfg.Colormap); err != nil {
			return nil, err
		}
		if err := usable(cfg.Colormap, nil, m); err != nil {
			return nil, err
		}
	}
	w.cmap.Store(m)

	if cfg.LocalRoot != "" {
		d, err := store.NewDir(cfg.LocalRoot)
		if err != nil {
			return nil, err
		}
		w.router.Dir = d
	}
	if len(cfg.HTTP.AllowHosts) > 0 {
		h, err := store.NewHTTP(cfg.HTTP)
		if err != nil {
			return nil, err
		}
		w.router.HTTP = h
	}
	if cfg.S3.Endpoint != "" || strings.HasPrefix(cfg.Output, "s3://") || cfg.LocalRoot == "" {
		s, err := store.NewS3(ctx, cfg.S3)
		if err != nil {
			return nil, err
		}
		w.router.S3 = s
	}
	switch {
	case cfg.Catalog.URL != "":
		cc := cfg.Catalog
		cc.Registerer = w.reg
		if cc.Logger == nil {
			cc.Logger = w.log
		}
		c, err := catalog.New(cc)
		if err != nil {
			return nil, err
		}
		w.catalog = c
		w.deps.catalog.fallback = c.Ping
	case cfg.Catalog.Path != "":
		return nil, fmt.Errorf("worker: a catalog JSON path (%q) but no catalog URL", cfg.Catalog.Path)
	}
	q := cfg.Queue
	q.Logger = w.log
	q.Hooks = w.m.hooks()
	q.Gate = w.deps.gate
	if cfg.OnOutcome != nil {
		metered := q.Hooks.OnOutcome
		q.Hooks.OnOutcome = func(outcome string, d time.Duration) {
			metered(outcome, d)
			cfg.OnOutcome(outcome)
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	w.cfg.Queue = q

	// The preview pages and API, on the worker's stores. They read the
	// colour-map file themselves, on every request whose file changed, so
	// that a save never overwrites a hand edit the worker's poll has not
	// seen yet; a save is used by the jobs at once (the poll then reloads
	// the same map).
	pv, err := preview.New(preview.Config{
		ColormapFile: cfg.Colormap,
		OnSave: func(m *colormap.Map) {
			w.cmap.Store(m)
			w.m.reloads.WithLabelValues("saved").Inc()
			w.log.Info("colour map saved from the editor", "file", cfg.Colormap, "entries", m.Len())
		},
		AdminToken: cfg.AdminToken,
		Fetch:      w.router.Get,
		Size:       cfg.Size,
		Logger:     w.log,
	})
	if err != nil {
		return nil, err
	}
	w.preview = pv
	if w.rv, err = newReviewer(w); err != nil {
		return nil, err
	}
	return w, nil
}

// Run serves HTTP (when configured), watches the colour map and consumes
// jobs until ctx is cancelled; then it drains as queue.Consumer.Run does
// and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	c, err := queue.NewConsumer(w.cfg.Queue, w.Handle)
	if err != nil {
		return err
	}
	if w.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", w.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("worker: -http %s: %w", w.cfg.HTTPAddr, err)
		}
		srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		defer w.rv.start(ctx)()
		w.log.Info("serving health, metrics and the preview pages", "addr", ln.Addr().String(), "preview", "http://"+ln.Addr().String()+"/")
	}
	if w.cfg.Colormap != "" {
		go w.watchColormap(ctx)
	}
	w.deps.run(ctx)
	go w.watchBroker(ctx)
	w.log.Info("palette-worker started", "brokers", strings.Join(w.cfg.Queue.Brokers, ","), "topic", w.cfg.Queue.Topic,
		"group", w.cfg.Queue.Group, "concurrency", w.cfg.Concurrency, "in_flight", w.cfg.Queue.Concurrency,
		"max_attempts", w.cfg.Queue.MaxAttempts, "shutdown_timeout", w.cfg.Queue.ShutdownTimeout.String(),
		"output", w.cfg.Output, "colormap", cmp.Or(w.cfg.Colormap, "embedded"), "unknown_names", w.cfg.UnknownNames.String(),
		"memory_mib", w.cfg.Memory>>20)
	w.ready.Store(true)
	// Not ready from the moment it is told to stop: the drain can take
	// the whole shutdown timeout.
	stopReady := context.AfterFunc(ctx, func() { w.ready.Store(false) })
	defer stopReady()
	defer w.ready.Store(false)
	return c.Run(ctx)
}

// Handler serves /healthz (the process is up), /readyz (see ready),
// /metrics (Prometheus), and the rest with the preview pages and API
// (package preview): / (swatch preview), /colormap (the editor, which
// saves to Config.Colormap with Config.AdminToken), /v1/...
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("GET /readyz", w.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.reg, promhttp.HandlerOpts{}))
	w.rv.mount(mux)
	mux.Handle("/", w.preview)
	return mux
}

// Handle runs one job: take its colours (from the catalog when the job
// has none), fetch the photo, make the swatch, write it. Errors about the
// input are queue.Permanent, and so are the catalog's answers that no
// retry changes (unknown product, no usable colours); store and catalog
// outages and timeouts are transient, to be retried, and marked
// queue.Unavailable once they look like an outage of the store or catalog
// (see dependency): the job then waits for it without spending attempts.
func (w *Worker) Handle(ctx context.Context, job queue.Job) (queue.Result, error) {
	start := time.Now()
	opts := &palette.Options{Map: w.cmap.Load(), Size: w.cfg.Size, UnknownNames: w.cfg.UnknownNames}
	names := job.Colors
	if len(names) == 0 {
		if w.catalog == nil {
			return queue.Result{}, queue.Permanent(fmt.Errorf("job has no colours (and no catalog is configured): %w", palette.ErrNoNames))
		}
		t := time.Now()
		var err error
		var fromService bool
		names, fromService, err = w.catalog.Lookup(ctx, job.ProductID)
		w.m.stage.WithLabelValues("catalog").Observe(time.Since(t).Seconds())
		switch {
		case err == nil:
			if fromService {
				w.deps.catalog.ok("")
			}
		case ctx.Err() != nil:
			return queue.Result{}, err
		case catalog.Busy(err):
			return queue.Result{}, err // our own load, not the catalog: a plain retry
		case catalog.Transient(err):
			return queue.Result{}, w.deps.catalog.failed("", job.ProductID, err, func(ctx context.Context) error {
				if _, err := w.catalog.Colors(ctx, job.ProductID); catalog.Transient(err) {
					return err
				}
				return nil
			})
		default:
			return queue.Result{}, queue.Permanent(err)
		}
	}

	// Where the swatch goes, checked before any work: a job may not write
	// over its own photo or anywhere the credentials reach.
	out := job.Output
	if out == "" {
		key := store.OutputKey(job.ProductID, job.Image)
		product, _, _ := strings.Cut(key, "/")
		out = strings.NewReplacer("{key}", key, "{product_id}", product).Replace(w.cfg.Output)
	}
	if err := store.CheckOutput(out, job.Image, w.cfg.OutputAllow); err != nil {
		return queue.Result{}, queue.Permanent(err)
	}

	// From here the job holds an image: wait for a slot, unless the
	// worker is stopping (a job not started is left to the next one).
	t := time.Now()
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return queue.Result{}, ctx.Err()
	case <-queue.Stopping(ctx):
		return queue.Result{}, fmt.Errorf("waiting for an image slot: %w", queue.ErrShuttingDown)
	}
	defer func() { <-w.slots }()
	w.m.stage.WithLabelValues("wait").Observe(time.Since(t).Seconds())

	t = time.Now()
	data, err := w.router.Get(ctx, job.Image, palette.DefaultMaxBytes)
	w.m.stage.WithLabelValues("fetch").Observe(time.Since(t).Seconds())
	if err != nil {
		return queue.Result{}, w.storeError(ctx, job.Image, false, fmt.Errorf("fetching %s: %w", job.Image, err))
	}
	w.storeOK(job.Image)

	release, err := w.reserve(ctx, data, opts)
	if err != nil {
		return queue.Result{}, err
	}
	t = time.Now()
	res, err := func() (*palette.Result, error) {
		defer release() // also after a panic, which the queue turns into an error
		photo := data
		data = nil // garbage once Process is done, before release collects
		return palette.Process(ctx, photo, names, opts)
	}()
	w.m.stage.WithLabelValues("swatch").Observe(time.Since(t).Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return queue.Result{}, err // cancelled or timed out: transient
		}
		return queue.Result{}, queue.Permanent(err)
	}

	t = time.Now()
	kept, err := w.writeSwatch(ctx, job, out, res.Swatch)
	w.m.stage.WithLabelValues("store").Observe(time.Since(t).Seconds())
	if err != nil {
		return queue.Result{}, err
	}
	w.storeOK(out)
	if kept != nil {
		return *kept, nil // a person fixed this swatch: it stays
	}

	r := queue.Result{ProductID: job.ProductID, Image: job.Image, Output: out, Bytes: len(res.Swatch)}
	for _, p := range res.Picks {
		r.Colors = append(r.Colors, queue.Color{
			Name: p.Name, Hex: p.Hex, DeltaE: p.DeltaE, Share: p.Share,
			Confidence: p.Confidence, LowConfidence: p.LowConfidence, ReviewReasons: p.ReviewReasons,
			Resolved: p.Resolved, Via: p.Via, Part: p.Part,
		})
		if p.Via == colormap.Unknown.String() {
			w.m.unknownNames.Inc()
			w.log.Warn("unknown colour name: the swatch uses the product's main colour for it",
				"name", cmp.Or(p.Part, p.Name), "as_given", p.Name, "product_id", job.ProductID, "image", job.Image, "output", out)
		}
	}
	r.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return r, nil
}

// storeError classifies a failed read or write of ref: permanent when no
// retry can fix it; transient otherwise. For S3, whose outage stops every
// job, a transient failure counts towards the s3 dependency being down
// (per bucket). For the worker's own output buckets (own), so do refused
// credentials and a missing bucket: a rollout of bad keys or a deleted
// bucket fails every job alike, and must be fixed and waited out rather
// than dead-letter the backlog. For a photo they stay permanent: a job
// may name any bucket, and a wrong one must not pause the worker.
func (w *Worker) storeError(ctx context.Context, ref string, own bool, err error) error {
	s3 := strings.HasPrefix(ref, "s3://")
	switch {
	case ctx.Err() != nil:
		return err
	case s3 && (store.IsTransient(err) || own && store.IsUnusable(err)):
		return w.deps.s3.failed(bucketOf(ref), ref, err, func(ctx context.Context) error { return w.router.Ping(ctx, ref) })
	case store.IsTransient(err):
		return err
	}
	return queue.Permanent(err)
}

// storeOK records a read or write of ref that worked.
func (w *Worker) storeOK(ref string) {
	if strings.HasPrefix(ref, "s3://") {
		w.deps.s3.ok(bucketOf(ref))
	}
}

// bucketOf is the bucket of an s3:// reference.
func bucketOf(ref string) string {
	b, _, _ := strings.Cut(strings.TrimPrefix(ref, "s3://"), "/")
	return b
}

// watchColormap reloads the colour-map file when it changes: another
// modification time or size, or another file behind the name (Kubernetes
// updates a mounted ConfigMap by pointing a "..data" symlink at a new
// directory, whose file may carry the old one's time). An invalid or
// unusable file is logged and the previous map stays in use.
func (w *Worker) watchColormap(ctx context.Context) {
	t := time.NewTicker(w.cfg.ReloadEvery)
	defer t.Stop()
	readErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(w.cfg.Colormap)
		if err != nil || sameFile(w.cmapFile, fi) {
			continue
		}
		m, err := colormap.Load(w.cfg.Colormap)
		var le colormap.Errors
		if err != nil && !errors.As(err, &le) {
			// Not read (a swap in progress, a permission): try again at
			// the next poll rather than wait for the next change; log
			// each new reason once.
			if err.Error() != readErr {
				readErr = err.Error()
				w.log.Warn("colour map not read; trying again", "file", w.cfg.Colormap, "err", err)
			}
			continue
		}
		readErr = ""
		w.cmapFile = fi
		if err != nil {
			w.m.reloads.WithLabelValues("rejected").Inc()
			if len(le) > 0 {
				w.log.Error("colour map edit rejected; keeping the previous map", "file", w.cfg.Colormap, "errors", len(le), "first", le[0].Error())
				w.cmapBad.Store(&mapRefusal{time.Now(), le[0].Error()})
			} else {
				w.log.Error("colour map edit rejected; keeping the previous map", "file", w.cfg.Colormap, "err", err)
				w.cmapBad.Store(&mapRefusal{time.Now(), err.Error()})
			}
			continue
		}
		if err := usable(w.cfg.Colormap, w.cmap.Load(), m); err != nil {
			w.m.reloads.WithLabelValues("rejected").Inc()
			w.log.Error("colour map edit rejected; keeping the previous map", "file", w.cfg.Colormap, "err", err)
			w.cmapBad.Store(&mapRefusal{time.Now(), err.Error()})
			continue
		}
		w.cmapBad.Store(nil)
		w.cmap.Store(m)
		w.m.reloads.WithLabelValues("ok").Inc()
		w.log.Info("colour map reloaded", "file", w.cfg.Colormap, "entries", m.Len())
	}
}

// sameFile reports whether b is a as last seen: the same file, time and size.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// usable says why a colour map read from file must not replace old (nil
// at start): it has no entry (an empty or half-written file would make
// every name unknown), or it keeps fewer than half of old's entries (a
// truncated save); a map that small on purpose takes a restart.
func usable(file string, old, m *colormap.Map) error {
	switch {
	case m.Len() == 0:
		return fmt.Errorf("worker: the colour map %s has no entries", file)
	case old != nil && old.Len() >= minShrinkCheck && m.Len() < old.Len()/2:
		return fmt.Errorf("worker: the colour map %s now has %d entries, fewer than half of the %d in use: a truncated save? (restart the worker to use a map that much smaller)", file, m.Len(), old.Len())
	}
	return nil
}

// minShrinkCheck is the smallest map whose shrinking by half is refused on
// reload: a small map may well be rewritten from scratch.
const minShrinkCheck = 10
