package palette

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		pngHeader(100000, 100000), jpegHeader(65535, 65535), gifHeader(65535, 65535),
		[]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), []byte("BM"), []byte("II*\x00"),
	}
	files, _ := filepath.Glob("testdata/formats/*")
	files = append(files, "testdata/images/myntra_14064.jpg")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// fuzzLimits keep a fuzzed header from asking for a large (legal) buffer.
var fuzzLimits = &Limits{MaxPixels: 1 << 16, MaxBytes: 1 << 20}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := DecodeBytes(data, fuzzLimits)
		if err != nil {
			if img != nil {
				t.Fatal("image with error")
			}
			return
		}
		if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > fuzzLimits.MaxPixels {
			t.Fatalf("decoded %v beyond the pixel limit", b)
		}
	})
}

func FuzzProcess(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "Grey|Pink")
	}
	f.Add([]byte{}, "Multi")
	f.Add(pngHeader(1, 1), "Light Greenish Khaki")
	f.Fuzz(func(t *testing.T, data []byte, names string) {
		res, err := Process(context.Background(), data, strings.Split(names, "|"), &Options{Limits: fuzzLimits})
		if err != nil {
			return
		}
		if len(res.Picks) == 0 {
			t.Fatal("no picks without an error")
		}
		if _, err := png.Decode(bytes.NewReader(res.Swatch)); err != nil {
			t.Fatalf("swatch does not decode: %v", err)
		}
	})
}
