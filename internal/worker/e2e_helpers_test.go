package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/testinfra"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/palette-dev/palette/queue"
)

const (
	e2eJobs      = "palette.jobs"
	e2eResults   = "palette.results"
	e2eDLQ       = "palette.jobs.dlq"
	e2eParts     = 4
	photoBucket  = "catalog-images"
	swatchBucket = "palettes"
)

// e2eBinDir holds the binaries (palette-worker, palettecli) built once for
// the subprocess tests and benchmarks; TestMain removes it.
var (
	e2eBinDir  string
	e2eBinMu   sync.Mutex
	e2eBins    = map[string]string{}
	e2eBinErrs = map[string]error{}
)

// TestMain points the AWS config chain of the in-process workers at
// versitygw's credentials only (process-wide, so that the S3 tests can run
// in parallel; t.Setenv forbids that).
func TestMain(m *testing.M) {
	none := filepath.Join(os.TempDir(), "palette-e2e-no-such-aws-file")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	if e2eBinDir != "" {
		os.RemoveAll(e2eBinDir)
	}
	os.Exit(code)
}

// workerBinary builds cmd/palette-worker once per test binary run.
func workerBinary(t testing.TB) string { return goBinary(t, "palette-worker") }

// goBinary builds ./cmd/<name> once per test binary run.
func goBinary(t testing.TB, name string) string {
	t.Helper()
	e2eBinMu.Lock()
	defer e2eBinMu.Unlock()
	bin, err := e2eBins[name], e2eBinErrs[name]
	if bin == "" && err == nil {
		if e2eBinDir == "" {
			e2eBinDir, err = os.MkdirTemp("", "palette-worker-e2e-")
		}
		if err == nil {
			bin = filepath.Join(e2eBinDir, name)
			cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
			cmd.Dir = filepath.Join("..", "..")
			if out, berr := cmd.CombinedOutput(); berr != nil {
				err = fmt.Errorf("go build ./cmd/%s: %v\n%s", name, berr, out)
			}
		}
		if err != nil {
			bin = ""
		}
		e2eBins[name], e2eBinErrs[name] = bin, err
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// startVersitygw starts the S3 server the worker tests use.
func startVersitygw(t testing.TB) *testinfra.S3Server { return testinfra.Versitygw(t) }

// e2eBuffer collects a subprocess's output.
type e2eBuffer = testinfra.Buffer

// procEnv is the environment of a palette-worker subprocess: this one's,
// with the AWS chain pointed at versitygw's credentials only.
func procEnv(t testing.TB) []string {
	none := filepath.Join(t.TempDir(), "none")
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PALETTE_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=K", "AWS_SECRET_ACCESS_KEY=S", "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_EC2_METADATA_DISABLED=true")
}

func mustPut(t testing.TB, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	testinfra.Put(t, c, bucket, key, data)
}

var getObject = testinfra.Get

// listKeys lists every key of bucket.
func listKeys(t testing.TB, c *s3.Client, bucket string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// photo is one sample photo of testdata/images with its catalog colours.
type photo struct {
	name   string
	colors []string
	data   []byte
}

// samplePhotos reads the sample photos of testdata/images.
func samplePhotos(t testing.TB) []photo {
	t.Helper()
	var out []photo
	for _, p := range testinfra.SamplePhotos(t) {
		out = append(out, photo{name: p.Name, colors: p.Colors, data: p.Data})
	}
	return out
}

// setupPhotos creates the photo and swatch buckets and uploads the sample
// photos as s3://catalog-images/<name>.
func setupPhotos(t testing.TB, c *s3.Client) []photo {
	t.Helper()
	testinfra.CreateBuckets(t, c, photoBucket, swatchBucket)
	photos := samplePhotos(t)
	for _, p := range photos {
		mustPut(t, c, photoBucket, p.name, p.data)
	}
	return photos
}

// startKafka runs an in-process Kafka-protocol broker with the three topics.
func startKafka(t testing.TB) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(e2eParts, e2eJobs, e2eResults, e2eDLQ))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func produceRawJobs(t testing.TB, brokers []string, msgs ...kafka.Message) {
	t.Helper()
	testinfra.Produce(t, brokers, e2eJobs, msgs...)
}

func enqueueJobs(t testing.TB, brokers []string, jobs []queue.Job) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := queue.Enqueue(ctx, brokers, e2eJobs, jobs...); err != nil {
		t.Fatal(err)
	}
}

// topicEnds returns the log end offset of each partition of topic.
func topicEnds(t testing.TB, brokers []string, topic string) map[int]int64 {
	return testinfra.EndOffsets(t, brokers, topic, e2eParts)
}

func sumOffsets(m map[int]int64) int64 { return testinfra.Sum(m) }

// groupCommitted returns the group's committed offset per partition of the jobs topic (-1: none).
func groupCommitted(t testing.TB, brokers []string, group string) map[int]int64 {
	return testinfra.Committed(t, brokers, group, e2eJobs, e2eParts)
}

// readTopic reads every record of topic.
func readTopic(t testing.TB, brokers []string, topic string) []*kgo.Record {
	return testinfra.ReadTopic(t, brokers, topic, e2eParts)
}

// poll checks cond every 100 ms until it holds or d has passed.
func poll(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func recHeader(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// keysOf returns the set of record keys (product ids).
func keysOf(recs []*kgo.Record) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		out[string(r.Key)]++
	}
	return out
}

// runWorker runs an in-process worker until the test ends (or stop is called).
func runWorker(t testing.TB, cfg Config) (w *Worker, stop func() error) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = e2eLogger()
	}
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				runErr = errors.New("Run did not return within 60s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return w, stop
}

func e2eLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("PALETTE_E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// metricValue reads one sample of the worker's /metrics.
func metricValue(t testing.TB, w *Worker, sample string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", l, err)
			}
			return f
		}
	}
	return 0
}

// proc is a palette-worker subprocess.
type proc struct {
	cmd    *exec.Cmd
	out    *e2eBuffer
	exited chan struct{}
}

// startProc runs the palette-worker binary with args and the environment
// of procEnv, and kills it when the test ends.
func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	p := &proc{out: &e2eBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(workerBinary(t), args...)
	p.cmd.Env = procEnv(t)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL and waits for the process to exit.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// jobsDone counts the jobs this process logged as finished with a result.
func (p *proc) jobsDone() int {
	n := 0
	for _, l := range strings.Split(p.out.String(), "\n") {
		var rec struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "queue: job done" {
			n++
		}
	}
	return n
}
