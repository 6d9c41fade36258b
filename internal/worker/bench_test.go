package worker

// Benchmarks of palette-worker end to end, against a real S3 server
// (versitygw) and an in-process Kafka-protocol broker (kfake):
//
//   - BenchmarkWorker: jobs per second through the broker and S3 on the
//     bench photos, next to palette.Process on the same photos in-process
//     with the same concurrency (as palettecli runs them), and their ratio.
//   - BenchmarkWorkerRSS: peak RSS of a palette-worker process at
//     -concurrency 4 processing the 2000×2500 photo repeatedly.
//
// The helpers of e2e_helpers_test.go take a *testing.T; the few needed here
// are redone below on testing.TB.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

// benchColors are the catalog colours of every bench job, as in the
// root package's BenchmarkJob.
var benchColors = []string{"Grey", "Pink"}

// benchWait bounds every wait for results.
const benchWait = 3 * time.Minute

// benchPhoto is one bench photo.
type benchPhoto struct {
	name string
	data []byte
}

// benchDir is where the bench photos are: ../../../shared/bench/images, or
// $PALETTE_BENCH_IMAGES.
func benchDir() string {
	if dir := os.Getenv("PALETTE_BENCH_IMAGES"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "shared", "bench", "images")
}

// benchPhotos reads the bench photos in benchDir.
func benchPhotos(tb testing.TB) []benchPhoto {
	tb.Helper()
	dir := benchDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(files) == 0 {
		tb.Fatalf("no benchmark photos in %s (set PALETTE_BENCH_IMAGES)", dir)
	}
	var out []benchPhoto
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, benchPhoto{name: filepath.Base(f), data: data})
	}
	return out
}

// benchUpload creates the photo and swatch buckets and uploads photos as
// s3://catalog-images/<name>.
func benchUpload(tb testing.TB, c *s3.Client, photos []benchPhoto) {
	tb.Helper()
	testinfra.CreateBuckets(tb, c, photoBucket, swatchBucket)
	for _, p := range photos {
		testinfra.Put(tb, c, photoBucket, p.name, p.data)
	}
}

// resultCounter counts the records of the results topic as they arrive; a
// dead letter fails the benchmark.
type resultCounter struct {
	n    atomic.Int64
	dead atomic.Int64
	cl   *kgo.Client
	done chan struct{}
}

func countResults(tb testing.TB, brokers []string) *resultCounter {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(e2eResults, e2eDLQ),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	rc := &resultCounter{cl: cl, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(rc.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				if r.Topic == e2eDLQ {
					rc.dead.Add(1)
				} else {
					rc.n.Add(1)
				}
			})
		}
	}()
	tb.Cleanup(func() { cancel(); <-rc.done; cl.Close() })
	return rc
}

// wait blocks until n results in all have arrived.
func (rc *resultCounter) wait(tb testing.TB, n int64) {
	tb.Helper()
	deadline := time.Now().Add(benchWait)
	for rc.n.Load() < n {
		if d := rc.dead.Load(); d > 0 {
			tb.Fatalf("%d jobs dead-lettered", d)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v: %d of %d results", benchWait, rc.n.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// benchJobs builds n jobs cycling over photos, with product ids prefix-i.
func benchJobs(prefix string, n int, photos []benchPhoto) []queue.Job {
	jobs := make([]queue.Job, n)
	for i := range jobs {
		p := photos[i%len(photos)]
		jobs[i] = queue.Job{V: 1, ProductID: fmt.Sprintf("%s-%05d", prefix, i),
			Image: "s3://" + photoBucket + "/" + p.name, Colors: benchColors}
	}
	return jobs
}

// inProcess runs every data through palette.Process on conc goroutines, as
// palettecli does, and returns the wall time.
func inProcess(tb testing.TB, data [][]byte, conc int) time.Duration {
	tb.Helper()
	next := atomic.Int64{}
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(data) {
					return
				}
				if _, err := palette.Process(context.Background(), data[i], benchColors, &palette.Options{Size: 40}); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err, ok := failed.Load().(error); ok {
		tb.Fatal(err)
	}
	return d
}

// benchRepeats is how many times each bench photo is in one round.
const benchRepeats = 40

// BenchmarkWorker: one op is a round of benchRepeats jobs per bench photo
// through an in-process worker (4 image slots per CPU) against kfake and
// versitygw, timed from the start of the enqueue to the last result; the
// same photos' bytes then go through palette.Process on GOMAXPROCS
// goroutines. jobs/s is the worker's, inproc-jobs/s the in-process one,
// ratio the first over the second (the bar is 0.8).
func BenchmarkWorker(b *testing.B) {
	photos := benchPhotos(b)
	g := startVersitygw(b)
	endpoint := g.Endpoint()
	brokers := startKafka(b)
	benchUpload(b, g.Client(), photos)
	conc := runtime.GOMAXPROCS(0)

	cfg := s3WorkerConfig(brokers, endpoint, "bench")
	cfg.Concurrency = workerConc(conc)
	runWorker(b, cfg)
	rc := countResults(b, brokers)

	// Warm up: the group join, connections, one job per photo.
	enqueueJobs(b, brokers, benchJobs("warm", len(photos), photos))
	want := int64(len(photos))
	rc.wait(b, want)

	k := benchRepeats * len(photos)
	data := make([][]byte, k)
	for i := range data {
		data[i] = photos[i%len(photos)].data
	}
	var e2e, inproc time.Duration
	var jobs int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		enqueueJobs(b, brokers, benchJobs(fmt.Sprintf("r%d", i), k, photos))
		want += int64(k)
		rc.wait(b, want)
		e2e += time.Since(start)
		inproc += inProcess(b, data, conc)
		jobs += k
	}
	b.StopTimer()
	b.ReportMetric(float64(jobs)/e2e.Seconds(), "jobs/s")
	b.ReportMetric(float64(jobs)/inproc.Seconds(), "inproc-jobs/s")
	b.ReportMetric(inproc.Seconds()/e2e.Seconds(), "ratio")
}

// rssJobs is the number of jobs of the 2000×2500 photo per op.
const rssJobs = 60

// BenchmarkWorkerRSS: a palette-worker process at -concurrency 4 runs
// rssJobs jobs of the 2000×2500 photo per op; peak-MB is its peak RSS
// (VmHWM, or the rusage maximum where /proc is missing) at the end (the
// bar is 250 MB).
func BenchmarkWorkerRSS(b *testing.B) {
	var photo benchPhoto
	for _, p := range benchPhotos(b) {
		if p.name == "kleiber_2000x2500_q85.jpg" {
			photo = p
		}
	}
	if photo.data == nil {
		b.Fatal("kleiber_2000x2500_q85.jpg is not among the bench photos")
	}
	g := startVersitygw(b)
	endpoint := g.Endpoint()
	brokers := startKafka(b)
	benchUpload(b, g.Client(), []benchPhoto{photo})

	bin := workerBinary(b)
	out := &e2eBuffer{}
	cmd := exec.Command(bin,
		"-brokers", strings.Join(brokers, ","), "-group", "rss",
		"-s3-endpoint", endpoint, "-s3-region", "us-east-1",
		"-http", "", "-concurrency", "4", "-max-attempts", "3", "-shutdown-timeout", "5s")
	cmd.Env = procEnv(b)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
		}
	}
	b.Cleanup(kill)
	rc := countResults(b, brokers)

	var want int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		enqueueJobs(b, brokers, benchJobs(fmt.Sprintf("rss%d", i), rssJobs, []benchPhoto{photo}))
		want += rssJobs
		select {
		case <-exited:
			b.Fatalf("palette-worker exited early\n%s", out.String())
		default:
		}
		rc.wait(b, want)
	}
	b.StopTimer()
	kb, err := testinfra.ProcStatusKB(cmd.Process.Pid, "VmHWM")
	kill()
	if err != nil {
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatalf("peak RSS: %v, and no rusage", err)
		}
		kb = ru.Maxrss // kB on Linux
	}
	b.ReportMetric(float64(kb)/1024, "peak-MB")
}

// workerConc is the worker's concurrency in BenchmarkWorker:
// PALETTE_BENCH_CONCURRENCY, else 4 per CPU, since a worker's jobs also
// wait on the object store and the broker.
func workerConc(cpus int) int {
	if v, err := strconv.Atoi(os.Getenv("PALETTE_BENCH_CONCURRENCY")); err == nil && v > 0 {
		return v
	}
	return 4 * cpus
}
