package preview

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// benchPhoto is a 1200×1500 JPEG: from $PALETTE_BENCH_IMAGES (make bench)
// when it has one, else a testdata photo resized to that size.
func benchPhoto(b *testing.B) ([]byte, string) {
	b.Helper()
	if dir := os.Getenv("PALETTE_BENCH_IMAGES"); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width == 1200 && cfg.Height == 1500 {
				return data, filepath.Base(f)
			}
		}
	}
	img, err := imaging.Open(filepath.Join(images, testPhoto))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, imaging.Resize(img, 1200, 1500, imaging.Lanczos), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), testPhoto + " resized to 1200×1500"
}

// BenchmarkPreview measures the whole handler for a 1200×1500 JPEG: a
// multipart POST /v1/preview with two colour names, parsed, processed and
// answered as JSON (swatch and quantized photo included).
func BenchmarkPreview(b *testing.B) {
	data, name := benchPhoto(b)
	b.Logf("photo: %s, %d bytes", name, len(data))
	s := newServer(b, Config{})
	body, ct := form{file: "photo.jpg", data: data, values: [][2]string{{"colors", "Grey|Pink"}, {"size", "40"}}}.encode(b)
	raw := body.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/preview", bytes.NewReader(raw))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Accept", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
}
