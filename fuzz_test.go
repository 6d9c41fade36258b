package palette

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/jpeg"
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

// FuzzProcessDC reaches the 1/8-scale path: a JPEG of DCMinPixels or more.
func FuzzProcessDC(f *testing.F) {
	src, _, err := DecodeBytes(mustRead(f, "testdata/images/myntra_14064.jpg"), nil)
	if err != nil {
		f.Fatal(err)
	}
	big := image.NewRGBA(image.Rect(0, 0, 1024, 576))
	draw.Draw(big, big.Rect, src, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, big, &jpeg.Options{Quality: 20}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes(), "Red|Blue")
	f.Add(withOrientation(b.Bytes(), 6), "Multi")
	lim := &Limits{MaxPixels: 1 << 21, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte, names string) {
		res, err := Process(context.Background(), data, strings.Split(names, "|"), &Options{Limits: lim})
		if err != nil {
			return
		}
		if _, err := png.Decode(bytes.NewReader(res.Swatch)); err != nil {
			t.Fatalf("swatch does not decode: %v", err)
		}
	})
}

func mustRead(f *testing.F, name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
