package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/segmentio/kafka-go"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
)

// TestConfigMapSwap updates a colour map the way the kubelet updates a
// mounted ConfigMap: the file is a symlink through "..data" to a
// timestamped directory, and an update writes a new directory (whose file
// carries the same modification time here, as it may there) and renames
// a new "..data" symlink over the old one. The worker reloads the new map.
func TestConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	stamp := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	version := func(name, content string) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(d, "colormap.txt")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	// Red and Teal: the same size in both versions, so only the file
	// behind the name changes.
	version("..2026_12_01_00_00_00.1", "Red: #FF0000\nTeal: #008080\n")
	if err := os.Symlink("..2026_12_01_00_00_00.1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "colormap.txt"), filepath.Join(dir, "colormap.txt")); err != nil {
		t.Fatal(err)
	}
	w, err := New(context.Background(), Config{
		Queue: queue.Config{Brokers: []string{"127.0.0.1:1"}}, LocalRoot: t.TempDir(),
		Output: "file:///x/{key}", Colormap: filepath.Join(dir, "colormap.txt"), ReloadEvery: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.watchColormap(ctx)
	hex := func(name string) string {
		e, ok := w.cmap.Load().Lookup(name)
		if !ok || len(e.Shades) == 0 {
			return ""
		}
		return palette.Hex(e.Shades[0])
	}
	if hex("Teal") != "#008080" {
		t.Fatalf("initial Teal %q", hex("Teal"))
	}

	version("..2026_12_01_00_05_00.2", "Red: #FF0000\nTeal: #007070\n")
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("..2026_12_01_00_05_00.2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2026_12_01_00_00_00.1")); err != nil {
		t.Fatal(err)
	}
	poll(t, "the swapped ConfigMap to be reloaded (Teal #007070)", 5*time.Second, func() bool { return hex("Teal") == "#007070" })
}

// TestReadyzBroker: /readyz stops answering 200 within 30 s of the broker
// going away, says so, and is ready again once it is back.
func TestReadyzBroker(t *testing.T) {
	t.Parallel()
	k := startRestartableKafka(t)
	cfg, _, _ := localSetup(t)
	cfg.Queue = queue.Config{Brokers: k.brokers(), Group: "readyz", SessionTimeout: 6 * time.Second, ShutdownTimeout: time.Second}
	w, _ := runWorker(t, cfg)
	poll(t, "ready", 20*time.Second, func() bool { code, _ := readyz(t, w); return code == http.StatusOK })
	k.stop()
	gone := time.Now()
	poll(t, "not ready without the broker", 30*time.Second, func() bool { code, _ := readyz(t, w); return code != http.StatusOK })
	code, body := readyz(t, w)
	t.Logf("not ready %v after the broker went away: %s", time.Since(gone).Round(time.Millisecond), body)
	var r readiness
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	broker := false
	for _, c := range r.Checks {
		if c.Name == "broker" && !c.OK && c.Since != nil && c.Error != "" {
			broker = true
		}
	}
	if code != http.StatusServiceUnavailable || r.Ready || !broker {
		t.Errorf("/readyz %d %s: want 503 naming the broker, since when and why", code, body)
	}
	k.start()
	poll(t, "ready again", 30*time.Second, func() bool { code, _ := readyz(t, w); return code == http.StatusOK })
}

// TestShutdownLeavesWaitingJobs: at SIGTERM, jobs waiting for an image slot
// are not started: Run returns at once, not after the shutdown timeout,
// and they stay uncommitted for the next worker, neither done nor
// dead-lettered.
func TestShutdownLeavesWaitingJobs(t *testing.T) {
	t.Parallel()
	brokers := startKafka(t)
	cfg, img, _ := localSetup(t)
	cfg.Queue = queue.Config{Brokers: brokers, Group: "waiting", ShutdownTimeout: 30 * time.Second}
	cfg.Concurrency = 1
	w, stop := runWorker(t, cfg)
	w.slots <- struct{}{} // the only image slot is taken
	var jobs []queue.Job
	for _, id := range []string{"W1", "W2", "W3"} {
		jobs = append(jobs, queue.Job{V: 1, ProductID: id, Image: img, Colors: []string{"Red"}})
	}
	enqueueJobs(t, brokers, jobs)
	poll(t, "three jobs waiting for the slot", 20*time.Second, func() bool {
		return metricValue(t, w, "palette_jobs_in_flight") == 3
	})
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Run took %v to return; jobs waiting for a slot should be left at once", took)
	}
	<-w.slots
	if n := sumOffsets(topicEnds(t, brokers, e2eResults)) + sumOffsets(topicEnds(t, brokers, e2eDLQ)); n != 0 {
		t.Errorf("%d results or dead letters for jobs never started", n)
	}
	for p, off := range groupCommitted(t, brokers, "waiting") {
		if off > 0 {
			t.Errorf("partition %d committed to %d", p, off)
		}
	}
	if n := metricValue(t, w, `palette_jobs_total{outcome="abandoned"}`); n != 3 {
		t.Errorf("%v jobs abandoned, want 3", n)
	}
}

// TestE2EOversizedJobWorker: a job of about 1 MiB does not stop the jobs
// after it on its partition: they get swatches, its dead letter is cut to
// a prefix, and no job stays in flight.
func TestE2EOversizedJobWorker(t *testing.T) {
	t.Parallel()
	brokers := startKafka(t)
	cfg, img, _ := localSetup(t)
	cfg.Queue = queue.Config{Brokers: brokers, Group: "oversized", ShutdownTimeout: 5 * time.Second}
	w, stop := runWorker(t, cfg)
	big := `{"v":1,"product_id":"SAME","image":"` + img + `","colors":["` + strings.Repeat("R", 1<<20-2048) + `"]}`
	msgs := []kafka.Message{{Key: []byte("SAME"), Value: []byte(big)}}
	for _, c := range []string{"Red", "Blue", "Grey"} {
		v, _ := json.Marshal(queue.Job{V: 1, ProductID: "SAME", Image: img, Colors: []string{c}, Output: strings.Replace(img, "/in/p.jpg", "/out/"+c+".png", 1)})
		msgs = append(msgs, kafka.Message{Key: []byte("SAME"), Value: v})
	}
	produceRawJobs(t, brokers, msgs...)
	poll(t, "every job finished and committed", 30*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) >= 3 && sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= 1 &&
			allCommittedAt(t, brokers, "oversized")
	})
	if n := metricValue(t, w, "palette_jobs_in_flight"); n != 0 {
		t.Errorf("palette_jobs_in_flight = %v after all jobs", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dl := readTopic(t, brokers, e2eDLQ)
	if len(dl) != 1 || recHeader(dl[0], queue.HeaderValueBytes) != strconv.Itoa(len(big)) || len(dl[0].Value) >= 64<<10 {
		t.Errorf("dead letters: %d; want one, cut, recording the 1 MiB size", len(dl))
	}
	for _, c := range []string{"Red", "Blue", "Grey"} {
		if _, err := os.Stat(filepath.Join(cfg.LocalRoot, "out", c+".png")); err != nil {
			t.Errorf("no swatch for the job after the big one: %v", err)
		}
	}
}

// TestE2EOutputPolicyS3: against the real S3 server, a job whose output is
// its own product photo, or a path with "..", is a permanent dead letter
// and the photo is untouched.
func TestE2EOutputPolicyS3(t *testing.T) {
	t.Parallel()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := setupPhotos(t, sc)
	p := photos[0]
	img := "s3://" + photoBucket + "/" + p.name
	jobs := []queue.Job{
		{V: 1, ProductID: "OWN", Image: img, Colors: p.colors, Output: img},
		{V: 1, ProductID: "DOTDOT", Image: img, Colors: p.colors, Output: "s3://" + swatchBucket + "/../" + photoBucket + "/" + p.name},
		{V: 1, ProductID: "ELSEWHERE", Image: img, Colors: p.colors, Output: "s3://" + photoBucket + "/x.png"},
		{V: 1, ProductID: "FINE", Image: img, Colors: p.colors},
	}
	cfg := s3WorkerConfig(brokers, g.Endpoint(), "policy")
	_, stop := runWorker(t, cfg)
	enqueueJobs(t, brokers, jobs)
	poll(t, "every job finished and committed", 30*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults))+sumOffsets(topicEnds(t, brokers, e2eDLQ)) >= 4 &&
			allCommittedAt(t, brokers, "policy")
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dead := readTopic(t, brokers, e2eDLQ)
	if len(dead) != 3 {
		t.Errorf("%d dead letters, want 3", len(dead))
	}
	for _, d := range dead {
		if recHeader(d, queue.HeaderErrorClass) != queue.ClassPermanent || !strings.Contains(recHeader(d, queue.HeaderErrorReason), "output refused") {
			t.Errorf("%s: %s %s", d.Key, recHeader(d, queue.HeaderErrorClass), recHeader(d, queue.HeaderErrorReason))
		}
	}
	got, err := getObject(context.Background(), sc, photoBucket, p.name)
	if err != nil || !bytes.Equal(got, p.data) {
		t.Errorf("the product photo changed (%d bytes, %v)", len(got), err)
	}
	_, err = sc.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(photoBucket), Key: aws.String("x.png")})
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a swatch was written into the photo bucket (%v)", err)
	}
}
