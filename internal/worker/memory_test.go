package worker

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

// bigPhotos are the large photos of the memory tests, made once from the
// 2000×2500 bench photo: that JPEG, the same as a PNG, and a PNG at
// 4000×5000 (each pixel doubled).
var bigPhotos = sync.OnceValues(func() ([]benchPhoto, error) {
	src, err := os.ReadFile(filepath.Join(benchDir(), "kleiber_2000x2500_q85.jpg"))
	if err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	rgba := image.NewRGBA(b)
	big := image.NewRGBA(image.Rect(0, 0, 2*b.Dx(), 2*b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(x, y)
			rgba.Set(x, y, c)
			for d := range 4 {
				big.Set(2*x+d%2, 2*y+d/2, c)
			}
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	var p1, p2 bytes.Buffer
	if err := enc.Encode(&p1, rgba); err != nil {
		return nil, err
	}
	if err := enc.Encode(&p2, big); err != nil {
		return nil, err
	}
	return []benchPhoto{
		{"kleiber_2000x2500.jpg", src},
		{"kleiber_2000x2500.png", p1.Bytes()},
		{"kleiber_4000x5000.png", p2.Bytes()},
	}, nil
})

// TestMemoryBudget: a photo needing more than the whole -memory budget is
// a permanent dead letter that says so; photos that fit wait for each
// other's memory rather than decode together past the budget.
func TestMemoryBudget(t *testing.T) {
	photos, err := bigPhotos()
	if err != nil {
		t.Fatal(err)
	}
	base, _, _ := localSetup(t)
	in := filepath.Join(base.LocalRoot, "in")
	for _, p := range photos {
		if err := os.WriteFile(filepath.Join(in, p.name), p.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := base
	cfg.Concurrency = 2
	cfg.Memory = 48 << 20 // the 2000×2500 PNG (20 MB decoded) fits twice; the 4000×5000 one (80 MB) not at all
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := func(name string) string { return "file://" + filepath.ToSlash(filepath.Join(in, name)) }
	ctx := context.Background()

	_, err = w.Handle(ctx, queue.Job{V: 1, ProductID: "HUGE", Image: ref("kleiber_4000x5000.png"), Colors: []string{"Grey"}})
	if !queue.IsPermanent(err) || !errors.Is(err, palette.ErrTooLarge) || !strings.Contains(err.Error(), "-memory budget of 48 MiB") {
		t.Fatalf("a photo over the budget: %v, want a permanent error naming the budget", err)
	}

	// Hold most of the budget: a PNG job must wait for it.
	if err := w.mem.Acquire(ctx, 40<<20); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.Handle(ctx, queue.Job{V: 1, ProductID: "PNG", Image: ref("kleiber_2000x2500.png"), Colors: []string{"Grey"}})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the job decoded while the budget was spent (err %v)", err)
	case <-time.After(time.Second):
	}
	w.mem.Release(40 << 20)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the job did not go on once memory was free")
	}
	if n := w.memUsed.Load(); n != 0 {
		t.Errorf("%d bytes still reserved after the jobs", n)
	}
	if _, err := New(context.Background(), Config{Queue: base.Queue, Memory: 1 << 20}); err == nil {
		t.Error("a 1 MiB budget was accepted")
	}
}

// TestMemoryBoundRSS: a palette-worker process at -concurrency 2, with its
// default budget, runs a backlog mixing catalog photos with 2000×2500 JPEGs
// and PNGs and 4000×5000 PNGs: every job gets its result and the process
// never holds more than 256 MB. PALETTE_RSS_JOBS sets the number of jobs
// (default 40).
func TestMemoryBoundRSS(t *testing.T) {
	t.Parallel()
	n := 40
	if v, err := strconv.Atoi(os.Getenv("PALETTE_RSS_JOBS")); err == nil && v > 0 {
		n = v
	}
	big, err := bigPhotos()
	if err != nil {
		t.Fatal(err)
	}
	g := startVersitygw(t)
	brokers := startKafka(t)
	photos := append([]benchPhoto(nil), big...)
	for _, p := range samplePhotos(t)[:5] {
		photos = append(photos, benchPhoto{p.name, p.data})
	}
	benchUpload(t, g.Client(), photos)

	out := &e2eBuffer{}
	cmd := exec.Command(workerBinary(t),
		"-brokers", strings.Join(brokers, ","), "-group", "rss",
		"-s3-endpoint", g.Endpoint(), "-s3-region", "us-east-1",
		"-http", "", "-concurrency", "2", "-shutdown-timeout", "5s")
	cmd.Env = procEnv(t)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); cmd.Wait() })
	rc := countResults(t, brokers)
	// Each big photo once in every eight jobs, the catalog photos between.
	jobs := benchJobs("rss", n, photos)
	start := time.Now()
	enqueueJobs(t, brokers, jobs)
	rc.wait(t, int64(n))
	took := time.Since(start)
	peak, err := testinfra.ProcStatusKB(cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(freeEvery + 2*time.Second)
	idle, _ := testinfra.ProcStatusKB(cmd.Process.Pid, "VmRSS")
	for _, p := range big {
		t.Logf("%s: %d bytes", p.name, len(p.data))
	}
	t.Logf("%d jobs in %v: peak RSS %d MB, %d MB idle after", n, took.Round(time.Millisecond), peak>>10, idle>>10)
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Errorf("%d dead letters; first %s: %s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason))
	}
	if peak > 256<<10 {
		t.Errorf("peak RSS %d MB, above 256 MB\n%s", peak>>10, tail(out.String(), 2000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
