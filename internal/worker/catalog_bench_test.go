package worker

// BenchmarkWorkerCatalog: the cost of taking colours from a catalog
// service that answers in 200 ms, against jobs that carry their colours.

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/palette-dev/palette/queue"
)

// Shape of one BenchmarkWorkerCatalog round.
const (
	catalogBenchJobs     = 1000
	catalogBenchProducts = 50
	catalogBenchDelay    = 200 * time.Millisecond
)

// catalogBenchJobList builds catalogBenchJobs jobs cycling over
// catalogBenchProducts products (product p always has the same photo), with
// benchColors in each job or, without, none.
func catalogBenchJobList(prefix string, photos []benchPhoto, withColors bool) []queue.Job {
	jobs := make([]queue.Job, catalogBenchJobs)
	for i := range jobs {
		p := i % catalogBenchProducts
		jobs[i] = queue.Job{V: 1, ProductID: fmt.Sprintf("%s-P%02d", prefix, p),
			Image: "s3://" + photoBucket + "/" + photos[p%len(photos)].name}
		if withColors {
			jobs[i].Colors = benchColors
		}
	}
	return jobs
}

// BenchmarkWorkerCatalog: one op is a round of the same 1,000 jobs over 50
// products through an in-process worker against kfake and versitygw,
// twice: once with the colours in the jobs, once without, the worker
// taking them from a loopback catalog that answers every request after
// 200 ms (new product ids every round, so every round starts with a cold
// cache). The two halves alternate in order from round to round, as the
// broker and S3 server share the machine's cores with the worker.
// Reported: jobs/s with colours in the jobs, catalog-jobs/s without, ratio
// (the second over the first; the bar is 0.9), catalog-calls per round and
// refreshes per round. It fails if the calls exceed 50 per round plus the
// refreshes.
//
// A job waiting for the catalog holds no image slot, only a place among
// the jobs in flight: the worker runs with 4 image slots per CPU
// (PALETTE_BENCH_CONCURRENCY) and 16 jobs in flight per slot, so the burst
// of misses at the start of a round (50 products × 200 ms) does not starve
// the CPU. The catalog client may make 64 calls at once
// (PALETTE_BENCH_CATALOG_CONCURRENCY), the TTL is 1s
// (PALETTE_BENCH_CATALOG_TTL), so that entries go stale and are refreshed
// while the round runs, the rest of the catalog client at its defaults.
func BenchmarkWorkerCatalog(b *testing.B) {
	photos := benchPhotos(b)
	g := startVersitygw(b)
	endpoint := g.Endpoint()
	brokers := startKafka(b)
	benchUpload(b, g.Client(), photos)
	cs := newCatalogServer(b, func(string) ([]string, bool) { return benchColors, true })
	cs.delay = catalogBenchDelay

	cfg := s3WorkerConfig(brokers, endpoint, "bench-catalog")
	cfg.Concurrency = workerConc(runtime.GOMAXPROCS(0)) // and 16 jobs in flight per image slot
	cfg.Catalog = cs.config()
	cfg.Catalog.Concurrency = 64
	cfg.Catalog.TTL = time.Second
	if v := os.Getenv("PALETTE_BENCH_CATALOG_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("PALETTE_BENCH_CATALOG_TTL=%q: %v", v, err)
		}
		cfg.Catalog.TTL = d
	}
	if v, err := strconv.Atoi(os.Getenv("PALETTE_BENCH_CATALOG_CONCURRENCY")); err == nil && v > 0 {
		cfg.Catalog.Concurrency = v
	}
	w, _ := runWorker(b, cfg)
	rc := countResults(b, brokers)

	// Warm up: the group join, connections, one job per photo, and one
	// catalog call.
	warm := benchJobs("warm", len(photos), photos)
	warm[0].Colors = nil
	enqueueJobs(b, brokers, warm)
	want := int64(len(warm))
	rc.wait(b, want)

	var withColors, fromCatalog time.Duration
	var calls, refreshes int64
	run := func(jobs []queue.Job) time.Duration {
		start := time.Now()
		enqueueJobs(b, brokers, jobs)
		want += int64(len(jobs))
		rc.wait(b, want)
		return time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		own := catalogBenchJobList("r"+strconv.Itoa(i)+"-own", photos, true)
		bare := catalogBenchJobList("r"+strconv.Itoa(i)+"-cat", photos, false)
		c0, r0 := cs.calls.Load(), metricValue(b, w, "palette_catalog_refreshes_total")
		var dOwn, dCat time.Duration
		if i%2 == 0 {
			dOwn = run(own)
			dCat = run(bare)
		} else {
			dCat = run(bare)
			dOwn = run(own)
		}
		withColors += dOwn
		fromCatalog += dCat
		if own[0].Colors == nil {
			b.Fatal("the jobs with colours lost them")
		}
		// Refreshes still in flight at the end of the round land in the
		// next one; count calls and refreshes over the same span.
		calls += cs.calls.Load() - c0
		refreshes += int64(metricValue(b, w, "palette_catalog_refreshes_total") - r0)
	}
	b.StopTimer()
	if dead := metricValue(b, w, `palette_jobs_total{outcome="dead_letter_exhausted"}`) +
		metricValue(b, w, `palette_jobs_total{outcome="dead_letter_permanent"}`); dead > 0 {
		b.Fatalf("%v jobs dead-lettered", dead)
	}
	if limit := int64(catalogBenchProducts*b.N) + refreshes; calls > limit {
		b.Fatalf("%d catalog calls in %d rounds, more than %d products per round plus %d refreshes", calls, b.N, catalogBenchProducts, refreshes)
	}
	jobs := float64(catalogBenchJobs * b.N)
	b.ReportMetric(jobs/withColors.Seconds(), "jobs/s")
	b.ReportMetric(jobs/fromCatalog.Seconds(), "catalog-jobs/s")
	b.ReportMetric(withColors.Seconds()/fromCatalog.Seconds(), "ratio")
	b.ReportMetric(float64(calls)/float64(b.N), "catalog_calls")
	b.ReportMetric(float64(refreshes)/float64(b.N), "refreshes")
}
