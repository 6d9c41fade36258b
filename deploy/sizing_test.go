package deploy

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

// BenchmarkContainerSizing measures what the Deployment's resources are
// derived from: the image's palette-worker on one CPU (--cpuset-cpus 0,
// GOMAXPROCS=1), configured as the Deployment configures it, against
// kfake and versitygw on the other; at -concurrency 1 and 2, on the photos
// of $PALETTE_BENCH_IMAGES (each enqueued 100 times) and on a 7000×7000 PNG
// (49 MP, just under the engine's 50 MP limit, decoded in full: the
// worst case per image slot). It reports the rate (jobs/s, from the first
// job enqueued to the last result) and the container's peak RSS (VmHWM).
//
//	PALETTE_BENCH_IMAGES=../shared/bench/images go test -run '^$' -bench ContainerSizing -benchtime 1x ./deploy
func BenchmarkContainerSizing(b *testing.B) {
	dir := os.Getenv("PALETTE_BENCH_IMAGES")
	if dir == "" {
		b.Skip("PALETTE_BENCH_IMAGES is not set (make bench sets it)")
	}
	requirePodman(b)
	img := testImage(b)
	penv := podmanEnv(b)
	c := build(b).worker(b)

	bench := map[string][]byte{}
	for _, pat := range []string{"*.jpg", "*.jpeg", "*.png"} {
		files, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			bench[filepath.Base(f)] = data
		}
	}
	if len(bench) == 0 {
		b.Fatalf("no photos in %s", dir)
	}
	var huge bytes.Buffer
	if err := png.Encode(&huge, gradient(7000, 7000)); err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name   string
		photos map[string][]byte
		copies int
	}{{"photos=bench", bench, 100}, {"photos=49MP-png", map[string][]byte{"huge.png": huge.Bytes()}, 4}} {
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/concurrency=%d", set.name, conc), func(b *testing.B) {
				for range b.N {
					rate, peak := sizingRun(b, img, penv, c, set.photos, set.copies, conc)
					b.ReportMetric(rate, "jobs/s")
					b.ReportMetric(peak, "peak-RSS-MiB")
				}
			})
		}
	}
}

// sizingRun runs one container through copies jobs per photo and returns
// its rate and peak RSS in MiB.
func sizingRun(b *testing.B, img string, penv []string, c corev1.Container, photos map[string][]byte, copies, conc int) (float64, float64) {
	b.Helper()
	b.StopTimer()
	brokers := startBroker(b)
	s3srv := testinfra.Versitygw(b)
	s3c := s3srv.Client()
	testinfra.CreateBuckets(b, s3c, photoBucket, swatchBucket)
	var jobs []queue.Job
	for _, name := range slices.Sorted(maps.Keys(photos)) {
		testinfra.Put(b, s3c, photoBucket, name, photos[name])
		for i := range copies {
			jobs = append(jobs, queue.Job{ProductID: fmt.Sprintf("%s-%d", strings.TrimSuffix(name, filepath.Ext(name)), i),
				Image: "s3://" + photoBucket + "/" + name, Colors: []string{"Grey", "Blue"}})
		}
	}
	w := startWorker(b, img, penv, c, brokers, s3srv.Endpoint(),
		map[string]string{"PALETTE_CONCURRENCY": strconv.Itoa(conc), "GOMAXPROCS": "1"}, "--cpuset-cpus", "0")
	waitFor(b, w.exited, "GET /readyz → 200", 60*time.Second, func() bool {
		code, _ := get(w.base + "/readyz")
		return code == 200
	})
	b.StartTimer()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := queue.Enqueue(ctx, brokers, jobsTopic, jobs...); err != nil {
		b.Fatal(err)
	}
	waitFor(b, w.exited, fmt.Sprintf("%d results", len(jobs)), 10*time.Minute, func() bool {
		return testinfra.Sum(testinfra.EndOffsets(b, brokers, resultsTopic, partitions)) >= int64(len(jobs))
	})
	elapsed := time.Since(start)
	b.StopTimer()
	pid, err := strconv.Atoi(strings.TrimSpace(podman(b, penv, "inspect", "--format", "{{.State.Pid}}", w.name)))
	if err != nil {
		b.Fatal(err)
	}
	kb, err := testinfra.ProcStatusKB(pid, "VmHWM")
	if err != nil {
		b.Fatal(err)
	}
	kib := float64(kb)
	return float64(len(jobs)) / elapsed.Seconds(), kib / 1024
}

// gradient is a smooth image (a small PNG file of many pixels).
func gradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 255 / (w + h)), 255})
		}
	}
	return img
}
