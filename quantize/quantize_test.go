package quantize

import (
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	colorful "github.com/lucasb-eyer/go-colorful"
)

// img builds an NRGBA image from rows of colours.
func img(rows ...[]color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, r := range rows {
		for x, c := range r {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func fill(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	grey  = color.NRGBA{128, 128, 128, 255}
	red   = color.NRGBA{220, 20, 40, 255}
	navy  = color.NRGBA{20, 30, 80, 255}
	clear = color.NRGBA{}
)

func TestHistogramExactColours(t *testing.T) {
	tests := []struct {
		name   string
		m      *image.NRGBA
		colors int
		want   []Color
		total  int
	}{
		{"one colour", fill(4, 4, grey), 16, []Color{{grey, 16}}, 16},
		{"two colours, most frequent first", img(
			[]color.NRGBA{red, white, white},
			[]color.NRGBA{white, white, red},
		), 16, []Color{{white, 4}, {red, 2}}, 6},
		{"transparent pixels left out", img(
			[]color.NRGBA{clear, navy, clear},
			[]color.NRGBA{{0, 0, 0, 100}, navy, navy},
		), 16, []Color{{navy, 3}}, 3},
		{"all transparent", fill(3, 3, clear), 16, []Color{}, 0},
		{"palette of one merges", img([]color.NRGBA{white, {0, 0, 0, 255}}), 1,
			[]Color{{color.NRGBA{128, 128, 128, 255}, 2}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := (&Quantizer{Colors: tt.colors}).Histogram(tt.m)
			if !reflect.DeepEqual(r.Colors, tt.want) || r.Total != tt.total {
				t.Errorf("got %v total %d, want %v total %d", r.Colors, r.Total, tt.want, tt.total)
			}
		})
	}
}

// A small but distinct colour keeps its own palette entry even when large
// areas have many shades: the split goes by variance, not by pixel count.
func TestSmallDistinctColourSurvives(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := range 100 {
		for x := range 100 {
			// a smooth grey gradient with plenty of shades
			v := uint8(100 + x)
			m.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	// 1% of the pixels are red
	for y := 40; y < 50; y++ {
		for x := 40; x < 50; x++ {
			m.SetNRGBA(x, y, red)
		}
	}
	r := (&Quantizer{Colors: 4}).Histogram(m)
	found := false
	for _, c := range r.Colors {
		if c.Color == red && c.Count == 100 {
			found = true
		}
	}
	if !found {
		t.Errorf("red (1%% of pixels) merged away: palette %v", r.Colors)
	}
}

func TestIndexImage(t *testing.T) {
	m := img(
		[]color.NRGBA{red, white, clear},
		[]color.NRGBA{white, white, red},
	)
	r := (&Quantizer{}).Histogram(m)
	p := r.Image
	if len(p.Palette) != 3 || p.Palette[2] != (color.NRGBA{}) {
		t.Fatalf("palette %v: want white, red, transparent", p.Palette)
	}
	want := []uint8{1, 0, 2, 0, 0, 1}
	if !reflect.DeepEqual(p.Pix, want) {
		t.Errorf("indices %v, want %v", p.Pix, want)
	}
	if r.Share(0) != 0.6 {
		t.Errorf("share of white = %v, want 0.6", r.Share(0))
	}
}

func TestDrawQuantizer(t *testing.T) {
	var q draw.Quantizer = &Quantizer{}
	m := image.NewRGBA(image.Rect(0, 0, 2, 1))
	m.Set(0, 0, red)
	m.Set(1, 0, navy)
	p := q.Quantize(make(color.Palette, 0, 4), m)
	if len(p) != 2 {
		t.Fatalf("got %d colours, want 2: %v", len(p), p)
	}
	// no spare capacity: Colors applies
	p = q.Quantize(color.Palette{white}, m)
	if len(p) != 3 || p[0] != color.Color(white) {
		t.Errorf("got %v, want white then the image's two colours", p)
	}
}

func TestDeterministic(t *testing.T) {
	m := loadNRGBA(t, "myntra_12100.jpg")
	a := (&Quantizer{}).Histogram(m)
	for range 3 {
		b := (&Quantizer{}).Histogram(m)
		if !reflect.DeepEqual(a.Colors, b.Colors) || !reflect.DeepEqual(a.Image.Pix, b.Image.Pix) {
			t.Fatal("two runs on the same image differ")
		}
	}
}

// TestQuality checks the palette's fidelity on the product photos: the mean
// ΔE2000 between each pixel and its nearest palette colour. ImageMagick's
// "-colors 16 +dither" scores about 3.8 on photos like these.
func TestQuality(t *testing.T) {
	files, _ := filepath.Glob("../testdata/images/*.jpg")
	if len(files) == 0 {
		t.Fatal("no test photos in ../testdata/images")
	}
	sum := 0.0
	for _, f := range files {
		m := loadNRGBA(t, filepath.Base(f))
		r := (&Quantizer{}).Histogram(m)
		sum += MeanDeltaE(m, r)
	}
	mean := sum / float64(len(files))
	t.Logf("mean ΔE2000 per pixel over %d photos: %.3f", len(files), mean)
	if mean > 3.0 {
		t.Errorf("mean ΔE2000 %.3f, want ≤ 3.0", mean)
	}
}

func loadNRGBA(t testing.TB, name string) *image.NRGBA {
	f, err := os.Open(filepath.Join("../testdata/images", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	m := image.NewNRGBA(src.Bounds())
	draw.Draw(m, m.Rect, src, src.Bounds().Min, draw.Src)
	return m
}

func BenchmarkHistogram(b *testing.B) {
	m := loadNRGBA(b, "myntra_12100.jpg")
	q := &Quantizer{}
	b.ReportAllocs()
	for b.Loop() {
		q.Histogram(m)
	}
}

func TestLabAgreesWithColorful(t *testing.T) {
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				for _, frac := range []float64{0, 0.37} {
					rf, gf, bf := float64(r)+frac, float64(g), float64(b)
					if rf > 255 {
						rf = 255
					}
					got := lab(rf, gf, bf)
					l, a, bb := colorful.Color{R: rf / 255, G: gf / 255, B: bf / 255}.Lab()
					want := vec{100 * l, 100 * a, 100 * bb}
					if math.Sqrt(dist2(got, want)) > 0.01 {
						t.Fatalf("lab(%v,%v,%v) = %v, go-colorful %v", rf, gf, bf, got, want)
					}
				}
			}
		}
	}
}

// Counts beyond 2^31 / 255 pixels per cell do not overflow.
func TestHistogramLargeImage(t *testing.T) {
	m := fill(3000, 3000, white)
	r := (&Quantizer{}).Histogram(m)
	if len(r.Colors) != 1 || r.Colors[0].Color != white || r.Total != 9_000_000 {
		t.Errorf("got %v total %d", r.Colors, r.Total)
	}
}

// The largest palette still leaves an index for transparent pixels.
func TestMaxColorsWithTransparency(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(i), uint8(i>>8), uint8(i>>4), 255
	}
	m.Pix[3] = 0
	r := (&Quantizer{Colors: 1000}).Histogram(m)
	if len(r.Colors) > MaxColors || len(r.Image.Palette) != len(r.Colors)+1 || int(r.Image.Pix[0]) != len(r.Colors) {
		t.Errorf("%d colours, palette %d, transparent index %d", len(r.Colors), len(r.Image.Palette), r.Image.Pix[0])
	}
}
