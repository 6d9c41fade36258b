package palette

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// reference averages through image.Image.At, alpha-weighted.
func reference(img image.Image, budget int) *image.NRGBA {
	dst := image.NewNRGBA(Shrink(img, budget).Rect)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	f := 1
	for (w+f-1)/f*((h+f-1)/f) > budget {
		f++
	}
	shrinkAny(dst, img, f)
	return dst
}

func noisy(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}

func toYCbCr(m *image.NRGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	y := image.NewYCbCr(m.Rect, ratio)
	for py := m.Rect.Min.Y; py < m.Rect.Max.Y; py++ {
		for px := m.Rect.Min.X; px < m.Rect.Max.X; px++ {
			c := m.NRGBAAt(px, py)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			y.Y[y.YOffset(px, py)] = yy
			// the last write to a shared chroma sample wins; fine for a test
			y.Cb[y.COffset(px, py)] = cb
			y.Cr[y.COffset(px, py)] = cr
		}
	}
	return y
}

func TestShrinkMatchesReference(t *testing.T) {
	base := noisy(37, 23, 1)
	gray := image.NewGray(base.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = base.Pix[4*i]
	}
	alpha := noisy(37, 23, 2)
	for i := 3; i < len(alpha.Pix); i += 8 {
		alpha.Pix[i] = 0
	}
	cases := map[string]image.Image{
		"nrgba":    base,
		"alpha":    alpha,
		"gray":     gray,
		"ycbcr444": toYCbCr(base, image.YCbCrSubsampleRatio444),
		"ycbcr420": toYCbCr(base, image.YCbCrSubsampleRatio420),
		"ycbcr422": toYCbCr(base, image.YCbCrSubsampleRatio422),
		"rgba":     image.NewRGBA(base.Rect),
	}
	for name, img := range cases {
		for _, budget := range []int{1, 10, 100, 300, 37 * 23, 10000} {
			got, want := Shrink(img, budget), reference(img, budget)
			if got.Rect != want.Rect {
				t.Fatalf("%s budget %d: size %v, want %v", name, budget, got.Rect, want.Rect)
			}
			if n := got.Rect.Dx() * got.Rect.Dy(); n > budget && budget >= 1 {
				t.Errorf("%s: %d pixels over the budget %d", name, n, budget)
			}
			// YCbCr averages in YCbCr then converts: allow rounding and
			// clipping differences, and chroma shared across blocks.
			tol := 2
			if name == "ycbcr420" || name == "ycbcr422" {
				tol = 40
			}
			for i := range got.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				if d < -tol || d > tol {
					t.Fatalf("%s budget %d: byte %d is %d, reference %d", name, budget, i, got.Pix[i], want.Pix[i])
				}
			}
		}
	}
}

func TestShrinkKeepsSmallImages(t *testing.T) {
	m := noisy(10, 10, 3)
	got := Shrink(m, 0)
	if got.Rect.Dx() != 10 || string(got.Pix) != string(m.Pix) {
		t.Error("an image within the budget changed")
	}
	got.Pix[0] ^= 0xff
	if m.Pix[0] == got.Pix[0] {
		t.Error("Shrink returned the caller's pixels")
	}
}
