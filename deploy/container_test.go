package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	corev1 "k8s.io/api/core/v1"

	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

const (
	// imageUID is the user the image runs as (image.mk, Containerfile).
	imageUID = 65532
	// maxImageBytes is the size the image must stay within (45 MB).
	maxImageBytes = 45_000_000

	jobsTopic    = "palette.jobs"
	resultsTopic = "palette.results"
	dlqTopic     = "palette.jobs.dlq"
	partitions   = 4
	photoBucket  = "catalog-images"
	swatchBucket = "palettes" // the bucket of the Deployment's PALETTE_OUTPUT
)

// requirePodman skips the test when podman is missing, and fails it when
// CI is set (make test installs podman and runc).
func requirePodman(t testing.TB) {
	t.Helper()
	for _, c := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(c); err != nil {
			testinfra.Missing(t, c+" not found (make image installs podman and runc): "+err.Error())
		}
	}
}

// testImage is the image under test: $PALETTE_IMAGE as it is, or else
// localhost/palette:dev freshly built by make image (once per test
// binary; quick when the Go build cache is warm), so that the tests never
// run a stale image.
func testImage(t testing.TB) string {
	t.Helper()
	if img := os.Getenv("PALETTE_IMAGE"); img != "" {
		return img
	}
	log, err := makeImage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("make image: %s", log)
	return "localhost/palette:dev"
}

// makeImage runs make image once per test binary and returns its output.
var makeImage = sync.OnceValues(func() (string, error) {
	cmd := exec.Command("make", "--no-print-directory", "image")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("make image: %v\n%s", err, out)
	}
	return string(bytes.TrimSpace(out)), nil
})

// podmanEnv is the environment of podman commands: CONTAINERS_CONF points
// at a containers.conf with no default ulimits (this kernel refuses the
// rlimits podman sets by default).
func podmanEnv(t testing.TB) []string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "CONTAINERS_CONF="+conf)
}

func podman(t testing.TB, penv []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("podman", args...)
	cmd.Env = penv
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestImage: the image is at most 45 MB, runs as 65532, starts
// palette-worker, and carries the OCI labels.
func TestImage(t *testing.T) {
	requirePodman(t)
	img := testImage(t)
	penv := podmanEnv(t)
	var info struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
			Labels     map[string]string
		}
	}
	var infos []json.RawMessage
	if err := json.Unmarshal([]byte(podman(t, penv, "image", "inspect", img)), &infos); err != nil || len(infos) != 1 {
		t.Fatalf("podman image inspect %s: %v", img, err)
	}
	if err := json.Unmarshal(infos[0], &info); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes, user %s, labels %v", img, info.Size, info.Config.User, info.Config.Labels)
	if info.Size <= 0 || info.Size > maxImageBytes {
		t.Errorf("image size %d bytes, want at most %d", info.Size, maxImageBytes)
	}
	if u, _, _ := strings.Cut(info.Config.User, ":"); u != strconv.Itoa(imageUID) {
		t.Errorf("image user %q, want %d", info.Config.User, imageUID)
	}
	if strings.Join(info.Config.Entrypoint, " ") != "/palette-worker" {
		t.Errorf("entrypoint %q, want /palette-worker", info.Config.Entrypoint)
	}
	l := info.Config.Labels
	if !strings.HasPrefix(l["org.opencontainers.image.source"], "https://") || l["org.opencontainers.image.version"] == "" ||
		!regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(l["org.opencontainers.image.revision"]) {
		t.Errorf("OCI labels source, version, revision: %v", l)
	}
	if os.Getenv("PALETTE_IMAGE") == "" {
		// Just built from this work tree: its commit.
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err == nil && l["org.opencontainers.image.revision"] != strings.TrimSpace(string(head)) {
			t.Errorf("revision label %s, but HEAD is %s", l["org.opencontainers.image.revision"], head)
		}
	}
	// palettecli is in the image too (a link to palette-worker), and the
	// binary is static (an empty image has no dynamic loader: a dynamic
	// binary would not start).
	cmd := exec.Command("podman", "run", "--rm", "--network", "none", "--entrypoint", "/palettecli", img, "-h")
	cmd.Env = penv
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "palettecli makes colour swatches") {
		t.Errorf("palettecli -h in the image: %s", out)
	}
}

// TestContainer runs palette-worker in the image, configured as the
// Deployment configures it (its PALETTE_ variables, colour map mounted
// where PALETTE_COLORMAP reads it, read-only root, no capabilities, user
// 65532), against kfake and versitygw on this host (host network): every
// sample photo becomes a swatch in S3 and a result, poison jobs become
// dead letters, the Deployment's probe paths answer; SIGTERM in the middle
// of a second batch exits 0 at once, and a second container of the group
// finishes the rest, every offset committed.
func TestContainer(t *testing.T) {
	requirePodman(t)
	img := testImage(t)
	penv := podmanEnv(t)
	m := build(t)
	c := m.worker(t)

	// A Kafka-protocol broker on 127.0.0.1 and an S3 server.
	brokers := startBroker(t)
	s3srv := testinfra.Versitygw(t)
	s3c := s3srv.Client()
	photos := uploadPhotos(t, s3c)

	// Jobs: one per sample photo, and two poison ones (not JSON; a
	// missing photo).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var jobs []queue.Job
	for _, p := range photos {
		jobs = append(jobs, queue.Job{ProductID: strings.TrimSuffix(p.Name, filepath.Ext(p.Name)),
			Image: "s3://" + photoBucket + "/" + p.Name, Colors: p.Colors})
	}
	if err := queue.Enqueue(ctx, brokers, jobsTopic, jobs...); err != nil {
		t.Fatal(err)
	}
	testinfra.Produce(t, brokers, jobsTopic,
		kafka.Message{Key: []byte("POISON1"), Value: []byte("{not json")},
		kafka.Message{Key: []byte("POISON2"), Value: []byte(`{"v":1,"product_id":"POISON2","image":"s3://catalog-images/missing.jpg","colors":["Red"]}`)})
	const poison = 2

	w := startWorker(t, img, penv, c, brokers, s3srv.Endpoint(), nil)
	exited, logs, name := w.exited, w.logs, w.name

	// The probe paths of the Deployment answer on the running worker.
	base := w.base
	for _, p := range []string{c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path} {
		waitFor(t, exited, "GET "+p+" → 200", 60*time.Second, func() bool {
			code, _ := get(base + p)
			return code == http.StatusOK
		})
	}

	// Every job ends as a result or a dead letter.
	want := int64(len(jobs))
	waitFor(t, exited, fmt.Sprintf("%d results and %d dead letters", want, poison), 120*time.Second, func() bool {
		return testinfra.Sum(testinfra.EndOffsets(t, brokers, resultsTopic, partitions)) >= want &&
			testinfra.Sum(testinfra.EndOffsets(t, brokers, dlqTopic, partitions)) >= poison
	})
	results := testinfra.ReadTopic(t, brokers, resultsTopic, partitions)
	if len(results) != len(jobs) {
		t.Errorf("%d results, want %d", len(results), len(jobs))
	}
	getCtx, cancelGet := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelGet()
	seen := map[string]bool{}
	for _, r := range results {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatalf("result %s: %v", r.Value, err)
		}
		seen[res.ProductID] = true
		bucket, key, ok := strings.Cut(strings.TrimPrefix(res.Output, "s3://"), "/")
		if bucket != swatchBucket || !ok {
			t.Errorf("result output %s is not in s3://%s", res.Output, swatchBucket)
			continue
		}
		png, err := testinfra.Get(getCtx, s3c, bucket, key)
		if err != nil {
			t.Errorf("swatch %s: %v", res.Output, err)
			continue
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) != res.Bytes || len(res.Colors) == 0 {
			t.Errorf("swatch %s: %d bytes (result says %d), %d colours", res.Output, len(png), res.Bytes, len(res.Colors))
		}
	}
	for _, j := range jobs {
		if !seen[j.ProductID] {
			t.Errorf("no result for %s", j.ProductID)
		}
	}
	dead := testinfra.ReadTopic(t, brokers, dlqTopic, partitions)
	deadKeys := map[string]string{}
	for _, r := range dead {
		for _, h := range r.Headers {
			if h.Key == queue.HeaderErrorClass {
				deadKeys[string(r.Key)] = string(h.Value)
			}
		}
	}
	if len(dead) != poison || deadKeys["POISON1"] != queue.ClassPermanent || deadKeys["POISON2"] != queue.ClassPermanent {
		t.Errorf("dead letters %v (%d records), want POISON1 and POISON2, permanent", deadKeys, len(dead))
	}
	if _, body := get(base + "/metrics"); !strings.Contains(body, fmt.Sprintf(`palette_jobs_total{outcome="ok"} %d`, len(jobs))) {
		t.Errorf("/metrics does not count %d ok jobs:\n%s", len(jobs), grepLines(body, "palette_jobs_total"))
	}

	// SIGTERM (what the kubelet sends) in the middle of a backlog: exit 0
	// within the shutdown timeout, what finished committed; a second
	// container of the group then finishes the rest, and every job has
	// its result.
	var more []queue.Job
	for i := range 300 {
		p := photos[i%len(photos)]
		more = append(more, queue.Job{ProductID: fmt.Sprintf("MORE-%03d", i), Image: "s3://" + photoBucket + "/" + p.Name, Colors: p.Colors})
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := queue.Enqueue(ctx2, brokers, jobsTopic, more...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, exited, "the second batch under way", 60*time.Second, func() bool {
		return testinfra.Sum(testinfra.EndOffsets(t, brokers, resultsTopic, partitions)) >= want+20
	})
	start := time.Now()
	podman(t, penv, "kill", "--signal", "TERM", name)
	shutdown, err := time.ParseDuration(env(t, c, "PALETTE_SHUTDOWN_TIMEOUT"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v (want exit 0)", err)
		}
	case <-time.After(shutdown + 10*time.Second):
		t.Fatalf("still running %v after SIGTERM", shutdown+10*time.Second)
	}
	done := testinfra.Sum(testinfra.EndOffsets(t, brokers, resultsTopic, partitions)) - want
	t.Logf("exited 0 %v after SIGTERM, %d of %d jobs of the second batch done", time.Since(start).Round(time.Millisecond), done, len(more))
	if !strings.Contains(logs.String(), "queue: stopping") {
		t.Errorf("no shutdown in the log:\n%s", logs.String())
	}
	group := env(t, c, "PALETTE_GROUP")
	if n := testinfra.Sum(testinfra.Committed(t, brokers, group, jobsTopic, partitions)); n < want+poison {
		t.Errorf("%d offsets committed after SIGTERM, want at least the %d jobs of the first batch", n, want+poison)
	}

	w2 := startWorker(t, img, penv, c, brokers, s3srv.Endpoint(), nil)
	waitFor(t, w2.exited, "every job of the second batch done by the next worker", 120*time.Second, func() bool {
		ks := map[string]bool{}
		for _, r := range testinfra.ReadTopic(t, brokers, resultsTopic, partitions) {
			ks[string(r.Key)] = true
		}
		for _, j := range more {
			if !ks[j.ProductID] {
				return false
			}
		}
		return true
	})
	podman(t, penv, "kill", "--signal", "TERM", w2.name)
	select {
	case err := <-w2.exited:
		if err != nil {
			t.Fatalf("second worker after SIGTERM: %v (want exit 0)", err)
		}
	case <-time.After(shutdown + 10*time.Second):
		t.Fatalf("second worker still running %v after SIGTERM", shutdown+10*time.Second)
	}
	ends := testinfra.EndOffsets(t, brokers, jobsTopic, partitions)
	committed := testinfra.Committed(t, brokers, group, jobsTopic, partitions)
	for p, end := range ends {
		if committed[p] != end {
			t.Errorf("partition %d: committed %d, end %d", p, committed[p], end)
		}
	}
	if n := len(testinfra.ReadTopic(t, brokers, dlqTopic, partitions)); n != poison {
		t.Errorf("%d dead letters after the restart, want the %d poison jobs", n, poison)
	}
}

// worker is palette-worker running in a container.
type worker struct {
	name   string
	base   string // http://127.0.0.1:PORT
	logs   *testinfra.Buffer
	exited chan error // podman run's exit
}

// startWorker runs palette-worker in img as the Deployment's container c
// runs it: its literal PALETTE_ (and other) variables, the colour map
// mounted where PALETTE_COLORMAP reads it, a read-only root with a /tmp
// volume, no capabilities, no privilege escalation, user 65532; on the
// host network against brokers and the S3 server at endpoint. set
// overrides variables; podman run gets extra before the image. The
// container is removed when the test ends.
func startWorker(tb testing.TB, img string, penv []string, c corev1.Container, brokers []string, endpoint string, set map[string]string, extra ...string) *worker {
	tb.Helper()
	colormapFile := env(tb, c, "PALETTE_COLORMAP")
	mapDir := tb.TempDir()
	if err := os.Chmod(mapDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	colors, err := os.ReadFile(filepath.Join(manifestDir, filepath.Base(colormapFile)))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mapDir, filepath.Base(colormapFile)), colors, 0o644); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	w := &worker{name: fmt.Sprintf("palette-test-%d", time.Now().UnixNano()), base: fmt.Sprintf("http://127.0.0.1:%d", port),
		logs: &testinfra.Buffer{}, exited: make(chan error, 1)}
	args := []string{"run", "--rm", "--name", w.name, "--network", "host",
		"--read-only", "--cap-drop", "all", "--security-opt", "no-new-privileges",
		"--user", fmt.Sprintf("%d:%d", imageUID, imageUID), "--tmpfs", "/tmp",
		"-v", mapDir + ":" + filepath.Dir(colormapFile) + ":ro"}
	vars := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			vars[e.Name] = e.Value
		}
	}
	for k, v := range map[string]string{
		"PALETTE_BROKERS":     strings.Join(brokers, ","),
		"PALETTE_S3_ENDPOINT": endpoint,
		"PALETTE_HTTP":        fmt.Sprintf("127.0.0.1:%d", port),
		// The Secret's keys, and no other AWS credential source.
		"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		vars[k] = v
	}
	for k, v := range set {
		vars[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		args = append(args, "-e", k+"="+vars[k])
	}
	args = append(append(args, extra...), img)
	run := exec.Command("podman", args...)
	run.Env = penv
	run.Stdout, run.Stderr = w.logs, w.logs
	if err := run.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { w.exited <- run.Wait() }()
	tb.Cleanup(func() {
		rm := exec.Command("podman", "rm", "--force", "--time", "0", w.name)
		rm.Env = penv
		rm.Run()
		select {
		case <-w.exited:
		case <-time.After(30 * time.Second):
			run.Process.Kill()
		}
		if tb.Failed() {
			tb.Logf("container output:\n%s", w.logs.String())
		}
	})
	return w
}

// startBroker runs an in-process Kafka-protocol broker on 127.0.0.1 (so
// reachable from a host-network container) with the worker's topics.
func startBroker(tb testing.TB) []string {
	tb.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, jobsTopic, resultsTopic, dlqTopic))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cluster.Close)
	return cluster.ListenAddrs()
}

// uploadPhotos creates the photo and swatch buckets and uploads the sample
// photos of testdata/images as s3://catalog-images/<name>.
func uploadPhotos(tb testing.TB, c *s3.Client) []testinfra.Photo {
	tb.Helper()
	testinfra.CreateBuckets(tb, c, photoBucket, swatchBucket)
	photos := testinfra.SamplePhotos(tb)
	for _, p := range photos {
		testinfra.Put(tb, c, photoBucket, p.Name, p.Data)
	}
	if len(photos) < 10 {
		tb.Fatalf("only %d sample photos", len(photos))
	}
	return photos
}

// freePort is a TCP port free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// get returns the status and body of GET url (0 when it fails).
func get(url string) (int, string) {
	cl := &http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor checks cond every 200 ms until it holds; it fails the test
// after d, or at once when the container has exited.
func waitFor(t testing.TB, exited <-chan error, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		select {
		case err := <-exited:
			t.Fatalf("the container exited (%v) while waiting for %s", err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
