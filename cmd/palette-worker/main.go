// Command palette-worker consumes swatch jobs from Kafka and writes swatches
// to object storage. Every flag can also be set by an environment variable
// PALETTE_<NAME> (-s3-endpoint ↔ PALETTE_S3_ENDPOINT); a flag on the command
// line wins. "palette-worker -dev" runs with no outside service: an
// in-process Kafka-protocol broker and a local directory, with the sample
// jobs of testdata/images.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/catalog"
	"github.com/palette-dev/palette/internal/cli"
	"github.com/palette-dev/palette/internal/worker"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if filepath.Base(os.Args[0]) == "palettecli" {
		// Run under the name palettecli (a link, as in the container
		// image), this binary is palettecli: the two commands share most
		// of their code, and one static binary instead of two keeps the
		// image 14 MB smaller (deploy/image.mk).
		code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
		stop()
		os.Exit(code)
	}
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "palette-worker:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("palette-worker", flag.ContinueOnError)
	var (
		brokers     = fs.String("brokers", "", "Kafka bootstrap brokers, comma-separated host:port")
		topic       = fs.String("topic", "palette.jobs", "jobs topic")
		group       = fs.String("group", "palette-worker", "consumer group")
		results     = fs.String("results-topic", "palette.results", "results topic")
		dlq         = fs.String("dlq-topic", "palette.jobs.dlq", "dead-letter topic")
		s3Endpoint  = fs.String("s3-endpoint", "", "S3 endpoint URL for a non-AWS server (path-style addressing); empty: AWS")
		s3Region    = fs.String("s3-region", "", "S3 region (default: from the AWS config chain, else us-east-1)")
		output      = fs.String("output", worker.DefaultOutput, "where swatches go when a job has no output: a reference with {key} (<product>/<hash of the image>.png) or {product_id}")
		outputAllow = fs.String("output-allow", "", "s3:// or file:// prefixes swatches may be written under, comma-separated (a bucket alone: all of it); default: the fixed part of -output. Other outputs, the job's own image and paths with . or .. are dead letters")
		colormapF   = fs.String("colormap", "", "colour-map file, reloaded when it changes (default: the embedded map)")
		concurrency = fs.Int("concurrency", worker.DefaultConcurrency, "jobs fetching, decoding and writing an image at once")
		memory      = fs.String("memory", "", "budget of photo data and decoded pixels held at once, e.g. 256MiB: each job reserves what its photo needs (from its header) before decoding; a photo needing more than all of it is a dead letter. Also sets the Go memory limit (GOMEMLIMIT) to the budget plus 64 MiB unless GOMEMLIMIT is set (default 64MiB per -concurrency)")
		inFlight    = fs.Int("in-flight", 0, "jobs taken from Kafka at once; those waiting for the catalog or a retry hold no image (default 16 per -concurrency)")
		attempts    = fs.Int("max-attempts", 5, "tries of a job failing transiently before it is dead-lettered")
		httpAddr    = fs.String("http", ":8080", "address for /healthz, /readyz, /metrics and the preview pages (/, /colormap, /v1/...); empty: none")
		adminToken  = fs.String("admin-token", "", "bearer token the colour-map editor needs to save to -colormap (prefer PALETTE_ADMIN_TOKEN: flags show in ps); empty: read-only")
		allowHosts  = fs.String("allow-hosts", "", "hosts https:// images may come from, comma-separated (*.example.com allowed)")
		allowAddrs  = fs.String("allow-addrs", "", "private addresses (CIDR, comma-separated, e.g. 10.1.2.0/24) an allowed host may resolve to: an internal image server; every other private, loopback or link-local address is refused")
		localRoot   = fs.String("local-root", "", "directory that file:// references may use")
		cache       = fs.String("cache-control", worker.DefaultCacheControl, "Cache-Control of written swatches")
		size        = fs.Int("size", 40, "swatch size in pixels (8 to 1024)")
		unknown     = fs.String("unknown-names", "flag", `a colour name no tier of the colour map knows: "flag" makes the swatch with the product's main colour for it (low_confidence, logged, counted); "fail" dead-letters the job`)
		shutdown    = fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight jobs")
		session     = fs.Duration("session-timeout", 10*time.Second, "consumer-group session: how long a worker that died keeps its partitions (at least the broker's minimum, 6s by default)")
		revWindow   = fs.Duration("review-window", worker.DefaultReviewWindow, "how far back the review list (GET /v1/review) reads the results and dead-letter topics at start")
		revMax      = fs.Int("review-max", worker.DefaultReviewMax, "most items the review list keeps (the oldest are dropped)")
		dev         = fs.Bool("dev", false, "run with an in-process broker and out/ as storage, on the sample jobs of testdata/images")

		catalogURL   = fs.String("catalog-url", "", "catalog API giving the colours of jobs that carry none: a URL with {product_id}, e.g. http://catalog.internal/products/{product_id}/colors; empty: such jobs are dead-lettered")
		catalogPath  = fs.String("catalog-path", "", "where the list of colour names is in the catalog's JSON answer: keys (and list indexes) separated by dots, e.g. colors or attributes.color; empty: the body is the list")
		catalogTime  = fs.Duration("catalog-timeout", catalog.DefaultTimeout, "timeout of each catalog call, and of the wait for a free call slot")
		catalogTTL   = fs.Duration("catalog-ttl", catalog.DefaultTTL, "how long catalog colours are fresh; older ones are still used while one background call per product refreshes them")
		catalogNeg   = fs.Duration("catalog-negative-ttl", catalog.DefaultNegativeTTL, "how long a catalog answer of no usable colours (404, another 4xx, an empty list) is remembered")
		catalogConc  = fs.Int("catalog-concurrency", catalog.DefaultConcurrency, "most catalog calls in flight at once, refreshes included")
		catalogCache = fs.Int("catalog-cache-size", catalog.DefaultCacheSize, "most products whose colours are cached; the least recently used are evicted")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fromEnv(fs); err != nil {
		return err
	}
	if *brokers == "" && !*dev {
		return errors.New("-brokers (or PALETTE_BROKERS) is required; try -dev to run on an in-process broker")
	}
	var addrs []netip.Prefix
	for _, a := range split(*allowAddrs) {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return fmt.Errorf("-allow-addrs: %q is not an address range like 10.1.2.0/24", a)
		}
		addrs = append(addrs, p)
	}
	unknownNames, err := palette.ParseUnknownNames(*unknown)
	if err != nil {
		return fmt.Errorf("-unknown-names %q: want flag or fail", *unknown)
	}
	var memBytes uint64
	if *memory != "" {
		if memBytes, err = humanize.ParseBytes(*memory); err != nil || memBytes > 1<<40 {
			return fmt.Errorf("-memory %q: want a size like 256MiB or 1GiB", *memory)
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg := worker.Config{
		Queue: queue.Config{
			Brokers: split(*brokers), Topic: *topic, Group: *group, ResultsTopic: *results, DLQTopic: *dlq,
			Concurrency: *inFlight, MaxAttempts: *attempts, ShutdownTimeout: *shutdown, SessionTimeout: *session,
		},
		Concurrency:  *concurrency,
		Memory:       int64(memBytes),
		Output:       *output,
		OutputAllow:  split(*outputAllow),
		S3:           store.S3Config{Endpoint: *s3Endpoint, Region: *s3Region, PathStyle: *s3Endpoint != ""},
		HTTP:         store.HTTPConfig{AllowHosts: split(*allowHosts), AllowAddrs: addrs},
		LocalRoot:    *localRoot,
		Colormap:     *colormapF,
		CacheControl: *cache,
		Size:         *size,
		UnknownNames: unknownNames,
		HTTPAddr:     *httpAddr,
		AdminToken:   strings.TrimSpace(*adminToken),
		ReviewWindow: *revWindow,
		ReviewMax:    *revMax,
		Logger:       log,
	}
	if *catalogURL != "" {
		cfg.Catalog = catalog.Config{
			URL: *catalogURL, Path: *catalogPath, Timeout: *catalogTime, TTL: *catalogTTL, NegativeTTL: *catalogNeg,
			Concurrency: *catalogConc, CacheSize: *catalogCache,
		}
	} else if *catalogPath != "" {
		return errors.New("-catalog-path needs -catalog-url")
	}
	if *dev {
		stopDev, err := devSetup(ctx, &cfg, log)
		if err != nil {
			return err
		}
		defer stopDev()
	}
	w, err := worker.New(ctx, cfg)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// The budget bounds what jobs hold; the limit makes the garbage
		// collector keep the heap near it rather than at twice the peak.
		debug.SetMemoryLimit(w.Memory() + memoryOverhead)
	}
	return w.Run(ctx)
}

// memoryOverhead is what the worker holds beside its jobs' photos: the
// colour vocabulary, buffers of the Kafka and S3 clients, the runtime.
const memoryOverhead = 64 << 20

// devSetup starts the in-process broker, points storage at the working
// directory (photos from testdata/images, swatches into out/) and enqueues
// the sample jobs.
func devSetup(ctx context.Context, cfg *worker.Config, log *slog.Logger) (func(), error) {
	addr, stop, err := worker.DevBroker(cfg.Queue)
	if err != nil {
		return nil, err
	}
	cfg.Queue.Brokers = []string{addr}
	cwd, err := os.Getwd()
	if err != nil {
		stop()
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cwd, "out"), 0o755); err != nil {
		stop()
		return nil, err
	}
	cfg.LocalRoot = cwd
	cfg.Output = "file://" + filepath.ToSlash(filepath.Join(cwd, "out")) + "/{key}"
	if cfg.AdminToken == "" {
		// So that the review page can publish fixes here: a fresh token,
		// printed below for whoever started the worker.
		cfg.AdminToken = rand.Text()
	}
	jobs, err := worker.DevJobs(filepath.Join(cwd, "testdata", "images", "manifest.csv"))
	if err != nil {
		stop()
		return nil, fmt.Errorf("-dev runs from the repository root: %w", err)
	}
	if err := worker.Enqueue(ctx, cfg.Queue, jobs); err != nil {
		stop()
		return nil, err
	}
	// One summary line once every sample job has finished.
	var mu sync.Mutex
	outcomes := map[string]int{}
	done := 0
	cfg.OnOutcome = func(outcome string) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[outcome]++
		if done++; done == len(jobs) {
			ok := outcomes["ok"]
			fmt.Fprintf(os.Stderr, "\npalette-worker -dev: %d swatches in %s, %d failed (dead letters); open http://%s/ (Ctrl-C stops)\n\n",
				ok, filepath.Join(cwd, "out"), done-ok, devHost(cfg.HTTPAddr))
		}
	}
	log.Info("dev mode: in-process broker, sample jobs enqueued",
		"broker", addr, "jobs", len(jobs), "swatches", filepath.Join(cwd, "out"),
		"metrics", "http://"+devHost(cfg.HTTPAddr)+"/metrics")
	host := devHost(cfg.HTTPAddr)
	fmt.Fprintf(os.Stderr, "\npalette-worker -dev: %d sample jobs on an in-process broker at %s.\n  swatches:  %s/<product>/<hash>.png\n  preview:   http://%s/   colour map: http://%s/colormap   review: http://%s/review\n  admin token (the review page's Publish): %s\n  metrics:   http://%s/metrics   health: /healthz  /readyz\n  stop with Ctrl-C\n\n",
		len(jobs), addr, filepath.Join(cwd, "out"), host, host, host, cfg.AdminToken, host)
	return stop, nil
}

func devHost(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// fromEnv sets every flag not given on the command line from
// PALETTE_<NAME>, if that is set.
func fromEnv(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := "PALETTE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !set[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	return err
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
