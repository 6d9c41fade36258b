package palette

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	_ "image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palette-dev/palette/match"
	"github.com/palette-dev/palette/quantize"
)

// imageMagick returns the path of ImageMagick's convert, failing the
// benchmark when it is missing (make bench-im installs it).
func imageMagick(b *testing.B) string {
	path, err := exec.LookPath("convert")
	if err == nil {
		out, _ := exec.Command(path, "-version").Output()
		if bytes.Contains(out, []byte("ImageMagick")) {
			return path
		}
	}
	b.Fatal("ImageMagick's convert is not installed: run make bench-im (apt-get install imagemagick)")
	return ""
}

// BenchmarkImageMagick runs the original pipeline (quantize to 16 colours,
// then the histogram of the top 8) on each bench photo, and our whole job on
// the same photo in the same loop: x-palette is how many times faster the
// job is, on one core.
func BenchmarkImageMagick(b *testing.B) {
	convert := imageMagick(b)
	tmp := b.TempDir()
	for _, f := range benchImages(b) {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			q := filepath.Join(tmp, "q.jpg")
			var im, ours time.Duration
			for b.Loop() {
				t0 := time.Now()
				run(b, convert, "-limit", "thread", "1", f, "-colors", "16", "-depth", "8", q)
				hist := run(b, convert, "-limit", "thread", "1", q, "-colors", "16", "-depth", "8", "-format", "%c", "histogram:info:")
				if !strings.Contains(hist, "#") {
					b.Fatalf("no histogram: %q", hist)
				}
				t1 := time.Now()
				if _, err := Process(context.Background(), data, []string{"Grey", "Pink"}, nil); err != nil {
					b.Fatal(err)
				}
				im += t1.Sub(t0)
				ours += time.Since(t1)
			}
			b.ReportMetric(float64(im)/float64(ours), "x-palette")
			b.ReportMetric(float64(b.N)/im.Seconds(), "im-img/s")
			b.ReportMetric(float64(b.N)/ours.Seconds(), "img/s")
		})
	}
}

func run(b *testing.B, name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// BenchmarkQuantizeQuality compares the fidelity of our 16-colour palette
// with ImageMagick's "-colors 16 +dither" on the bench and eval photos: the
// mean ΔE2000 per pixel of the full photo against its quantized version.
// Ours maps each pixel to the nearest palette colour (the palette is built
// from the analysis image, as in the pipeline).
func BenchmarkQuantizeQuality(b *testing.B) {
	convert := imageMagick(b)
	files := benchImages(b)
	eval, _ := filepath.Glob("testdata/images/*.jpg")
	files = append(files, eval...)
	tmp := b.TempDir()
	var oursSum, imSum float64
	for b.Loop() {
		oursSum, imSum = 0, 0
		for _, f := range files {
			data, _ := os.ReadFile(f)
			img, _, err := DecodeBytes(data, nil)
			if err != nil {
				b.Fatal(err)
			}
			full := toNRGBA(img)
			q := (&quantize.Quantizer{}).Histogram(Shrink(img, 0))
			oursSum += meanDeltaE(full, func(l match.Lab) match.Lab { return nearest(l, q) })

			out := filepath.Join(tmp, "im.png")
			run(b, convert, f, "+dither", "-colors", "16", out)
			imData, _ := os.ReadFile(out)
			imImg, _, err := image.Decode(bytes.NewReader(imData))
			if err != nil {
				b.Fatal(err)
			}
			imSum += meanDeltaEPair(full, toNRGBA(imImg))
		}
	}
	b.ReportMetric(oursSum/float64(len(files)), "ours-ΔE")
	b.ReportMetric(imSum/float64(len(files)), "im-ΔE")
}

func toNRGBA(img image.Image) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
	return m
}

func nearest(l match.Lab, q *quantize.Result) match.Lab {
	best, bd := match.Lab{}, math.Inf(1)
	for _, c := range q.Colors {
		p := match.ToLab(c.Color)
		if d := match.CIE76(l, p); d < bd {
			best, bd = p, d
		}
	}
	return best
}

// meanDeltaE averages ΔE2000 between each pixel and what to maps it to,
// memoised per distinct colour.
func meanDeltaE(m *image.NRGBA, to func(match.Lab) match.Lab) float64 {
	memo := map[[3]uint8]float64{}
	sum := 0.0
	for i := 0; i+3 < len(m.Pix); i += 4 {
		k := [3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]}
		d, ok := memo[k]
		if !ok {
			l := match.LabOf(k[0], k[1], k[2])
			d = match.CIEDE2000(l, to(l))
			memo[k] = d
		}
		sum += d
	}
	return sum / float64(len(m.Pix)/4)
}

func meanDeltaEPair(a, b *image.NRGBA) float64 {
	type pair [6]uint8
	memo := map[pair]float64{}
	sum := 0.0
	for i := 0; i+3 < len(a.Pix); i += 4 {
		k := pair{a.Pix[i], a.Pix[i+1], a.Pix[i+2], b.Pix[i], b.Pix[i+1], b.Pix[i+2]}
		d, ok := memo[k]
		if !ok {
			d = match.CIEDE2000(match.LabOf(k[0], k[1], k[2]), match.LabOf(k[3], k[4], k[5]))
			memo[k] = d
		}
		sum += d
	}
	return sum / float64(len(a.Pix)/4)
}
