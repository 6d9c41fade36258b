package render

import (
	"image"
	"image/color"
	"testing"
)

// FuzzEncode encodes paletted images made from the fuzz input and checks
// each PNG as TestRoundTrip does. The first bytes choose the size and the
// palette; the rest are pixel indices, repeated to fill the image.
func FuzzEncode(f *testing.F) {
	f.Add([]byte{40, 40, 2, 0, 0, 0, 0, 1, 1, 1, 1})
	f.Add([]byte{7, 3, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 100})
	f.Add([]byte{64, 1, 17, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		w, h, n := 1+int(data[0])%200, 1+int(data[1])%200, 1+int(data[2])
		pal := make(color.Palette, n)
		for i := range pal {
			pal[i] = color.NRGBA{uint8(i * 7), uint8(i * 13), uint8(i * 29), uint8(255 - i%3*100)}
		}
		m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		px := data[3:]
		for i := range m.Pix {
			m.Pix[i] = uint8(int(px[i%len(px)]) % n)
		}
		checkEncode(t, m, false)
	})
}
