package palette

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchImages are the catalog-size photos for benchmarks: the folder named
// by PALETTE_BENCH_IMAGES, by default ../shared/bench/images.
func benchImages(b *testing.B) []string {
	dir := os.Getenv("PALETTE_BENCH_IMAGES")
	if dir == "" {
		dir = "../shared/bench/images"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(files) == 0 {
		b.Fatalf("no benchmark photos in %s (set PALETTE_BENCH_IMAGES)", dir)
	}
	return files
}

// BenchmarkJob is the whole job, bytes in → PNG bytes out, per photo. Its
// x-decode metric is the job's time over the standard library's decode of
// the same photo, measured alternately in the same run.
func BenchmarkJob(b *testing.B) {
	for _, f := range benchImages(b) {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.ReportAllocs()
			var job, dec time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := Process(context.Background(), data, []string{"Grey", "Pink"}, nil); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				job += t1.Sub(t0)
				dec += time.Since(t1)
			}
			b.ReportMetric(float64(job)/float64(dec), "x-decode")
			b.ReportMetric(float64(b.N)/job.Seconds(), "img/s")
		})
	}
}

// BenchmarkStages splits the job on the 800×1000 photo: process is the
// whole job (1/8-scale DC decode and the rest); decode, shrink and
// generate are the full-decode path (as for small JPEGs and other formats).
func BenchmarkStages(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(benchImages(b)[0]), "kleiber_800x1000_q85.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	img, _, err := DecodeBytes(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Process(context.Background(), data, []string{"Grey", "Pink"}, nil)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			DecodeBytes(data, nil)
		}
	})
	b.Run("shrink", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Shrink(img, 0)
		}
	})
	b.Run("generate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Generate(context.Background(), img, []string{"Grey", "Pink"}, nil)
		}
	})
}
