package palette

import (
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"
)

// reference averages through image.Image.At, alpha-weighted, with the same
// factor as Shrink.
func reference(img image.Image, budget int) *image.NRGBA {
	dst := image.NewNRGBA(Shrink(img, budget).Rect)
	b := img.Bounds()
	f := 1
	for (b.Dx()+f-1)/f*((b.Dy()+f-1)/f) > budget {
		f++
	}
	acc := make([][5]int, len(dst.Pix)/4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			i := (y-b.Min.Y)/f*dst.Rect.Dx() + (x-b.Min.X)/f
			a := int(c.A)
			acc[i][0] += int(c.R) * a
			acc[i][1] += int(c.G) * a
			acc[i][2] += int(c.B) * a
			acc[i][3] += a
			acc[i][4]++
		}
	}
	for i, a := range acc {
		if a[3] == 0 {
			continue
		}
		dst.Pix[4*i] = uint8((a[0] + a[3]/2) / a[3])
		dst.Pix[4*i+1] = uint8((a[1] + a[3]/2) / a[3])
		dst.Pix[4*i+2] = uint8((a[2] + a[3]/2) / a[3])
		dst.Pix[4*i+3] = uint8((a[3] + a[4]/2) / a[4])
	}
	return dst
}

func noisy(r image.Rectangle, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewNRGBA(r)
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}

// smooth is a gradient: chroma subsampling loses little of it.
func smooth(r image.Rectangle) *image.NRGBA {
	m := image.NewNRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(100 + 2*x), uint8(80 + 3*y), uint8(150 - x - y), 255})
		}
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
			y.Cb[y.COffset(px, py)] = cb
			y.Cr[y.COffset(px, py)] = cr
		}
	}
	return y
}

func TestShrinkMatchesReference(t *testing.T) {
	rects := []image.Rectangle{
		image.Rect(0, 0, 37, 23), image.Rect(3, 5, 40, 28), image.Rect(-7, -3, 30, 20), image.Rect(0, 0, 1, 9),
	}
	for _, r := range rects {
		base := noisy(r, 1)
		gray := image.NewGray(r)
		for i := range gray.Pix {
			gray.Pix[i] = base.Pix[4*i]
		}
		alpha := noisy(r, 2)
		for i := 3; i < len(alpha.Pix); i += 8 {
			alpha.Pix[i] = uint8(i % 200)
		}
		rgba := image.NewRGBA(r)
		for i := range rgba.Pix {
			rgba.Pix[i] = alpha.Pix[i] / 2
		}
		for i := 3; i < len(rgba.Pix); i += 4 {
			rgba.Pix[i] = 128
		}
		pal := image.NewPaletted(r, color.Palette{color.NRGBA{1, 2, 3, 255}, color.NRGBA{200, 100, 50, 255}, color.NRGBA{}})
		for i := range pal.Pix {
			pal.Pix[i] = uint8(i % 3)
		}
		cmyk := image.NewCMYK(r)
		copy(cmyk.Pix, base.Pix)
		cases := map[string]image.Image{
			"nrgba": base, "alpha": alpha, "gray": gray, "rgba": rgba, "paletted": pal, "cmyk": cmyk,
			"gray16": image.NewGray16(r),
			"nrgba64": func() image.Image {
				m := image.NewNRGBA64(r)
				for i := range m.Pix {
					m.Pix[i] = alpha.Pix[i/2]
				}
				return m
			}(),
		}
		for _, ratio := range []image.YCbCrSubsampleRatio{
			image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
			image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
		} {
			cases["ycbcr"+ratio.String()] = toYCbCr(smooth(r), ratio)
		}
		for name, img := range cases {
			for _, budget := range []int{1, 10, 100, 300, r.Dx() * r.Dy(), 10000} {
				got, want := Shrink(img, budget), reference(img, budget)
				if got.Rect != want.Rect {
					t.Fatalf("%s %v budget %d: size %v, want %v", name, r, budget, got.Rect, want.Rect)
				}
				if n := got.Rect.Dx() * got.Rect.Dy(); n > budget {
					t.Errorf("%s: %d pixels over the budget %d", name, n, budget)
				}
				// YCbCr averages in YCbCr and counts straddling chroma
				// samples whole: allow a few levels.
				tol := 1
				if strings.HasPrefix(name, "ycbcr") {
					tol = 6
				}
				for i := range got.Pix {
					if d := int(got.Pix[i]) - int(want.Pix[i]); d < -tol || d > tol {
						t.Fatalf("%s %v budget %d: byte %d is %d, reference %d", name, r, budget, i, got.Pix[i], want.Pix[i])
					}
				}
			}
		}
	}
}

func TestShrinkKeepsSmallImages(t *testing.T) {
	m := noisy(image.Rect(0, 0, 10, 10), 3)
	got := Shrink(m, 0)
	if got.Rect.Dx() != 10 || string(got.Pix) != string(m.Pix) {
		t.Error("an image within the budget changed")
	}
	got.Pix[0] ^= 0xff
	if m.Pix[0] == got.Pix[0] {
		t.Error("Shrink returned the caller's pixels")
	}
}

// Large blocks (a tiny budget on a large image) average correctly.
func TestShrinkLargeBlocks(t *testing.T) {
	white := image.NewYCbCr(image.Rect(0, 0, 5000, 5000), image.YCbCrSubsampleRatio420)
	for i := range white.Y {
		white.Y[i] = 255
	}
	for i := range white.Cb {
		white.Cb[i], white.Cr[i] = 128, 128
	}
	gray := image.NewGray(white.Rect)
	copy(gray.Pix, white.Y)
	for _, img := range []image.Image{white, gray} {
		for _, budget := range []int{1, 2, 4, 100} {
			got := Shrink(img, budget)
			for i, v := range got.Pix {
				if v != 255 {
					t.Fatalf("%T budget %d: byte %d is %d, want 255", img, budget, i, v)
				}
			}
		}
	}
}
