package palette

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"
)

// TestMemoryNeeded checks the estimate against what the decode really
// allocates, for each kind of decoder output: never below it (a budget
// built on it holds), and not wildly above (a budget is not wasted).
func TestMemoryNeeded(t *testing.T) {
	fill := func(m interface {
		Set(x, y int, c color.Color)
		Bounds() image.Rectangle
	}) {
		b := m.Bounds()
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), uint8(x ^ y), 255})
			}
		}
	}
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 1200, 1000))
	fill(rgba)
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, 700, 500))
	fill(nrgba64)
	gray := image.NewGray(image.Rect(0, 0, 1000, 1000))
	fill(gray)
	small := image.NewRGBA(image.Rect(0, 0, 640, 480))
	fill(small)
	big := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	fill(big)
	cases := []struct {
		name string
		data []byte
	}{
		{"png rgba", enc(func(b *bytes.Buffer) error { return png.Encode(b, rgba) })},
		{"png 16-bit", enc(func(b *bytes.Buffer) error { return png.Encode(b, nrgba64) })},
		{"png grey", enc(func(b *bytes.Buffer) error { return png.Encode(b, gray) })},
		{"jpeg full", enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, small, nil) })},
		{"jpeg 1/8", enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, big, nil) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := (&Options{}).get()
			need, err := MemoryNeeded(c.data, &o)
			if err != nil {
				t.Fatal(err)
			}
			// What the decoder's output holds (live after a GC), or for the
			// 1/8-scale path everything it allocates.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var img image.Image
			if c.name == "jpeg 1/8" {
				img = dcAnalysis(c.data, &o)
			} else {
				img, _, err = DecodeBytes(c.data, o.Limits)
			}
			if img == nil || err != nil {
				t.Fatal("no image", err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(img)
			used := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if c.name == "jpeg 1/8" {
				used = int64(after.TotalAlloc - before.TotalAlloc)
			}
			held := used + int64(len(c.data))
			t.Logf("%s: estimate %d, decoder %d + data %d", c.name, need, used, len(c.data))
			if need < held {
				t.Errorf("estimate %d below the %d bytes held", need, held)
			}
			if need > 3*held+(1<<20) {
				t.Errorf("estimate %d is over three times the %d bytes held", need, held)
			}
		})
	}
	if _, err := MemoryNeeded([]byte("not an image"), nil); err == nil {
		t.Error("no error for bytes that are no image")
	}
}
