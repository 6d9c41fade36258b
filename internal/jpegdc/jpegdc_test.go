package jpegdc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// benchDir holds the catalog-size photos shared with the benchmarks.
const benchDir = "../../../shared/bench/images"

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("reading test image (the test needs it): %v", err)
	}
	return b
}

func globJPEGs(tb testing.TB, pattern string, atLeast int) []string {
	tb.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) < atLeast {
		tb.Fatalf("want at least %d JPEGs matching %s, found %d (%v)", atLeast, pattern, len(files), err)
	}
	return files
}

// stats accumulates absolute differences between reference block means and
// DC pixels.
type stats struct {
	sum  float64
	n    int
	max  float64
	maxN string
}

func (s *stats) add(d float64, where string) {
	d = math.Abs(d)
	s.sum += d
	s.n++
	if d > s.max {
		s.max, s.maxN = d, where
	}
}

func (s *stats) mean() float64 { return s.sum / float64(max(s.n, 1)) }

// planeMeans averages a w×h plane (sample at pix[y*stride+x*step]) over 8×8
// blocks clipped at its edges, and reports the blocks holding a 0 or 255
// sample: there the decoder clamped, so the mean of the decoded samples
// differs from the DC mean by the clamped amount.
func planeMeans(pix []byte, step, stride, w, h int) (means []float64, clamped []bool, bw int) {
	bw, bh := (w+7)/8, (h+7)/8
	sum := make([]float64, bw*bh)
	cnt := make([]float64, bw*bh)
	clamped = make([]bool, bw*bh)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y/8)*bw + x/8
			v := pix[y*stride+x*step]
			sum[i] += float64(v)
			cnt[i]++
			if v == 0 || v == 255 {
				clamped[i] = true
			}
		}
	}
	for i := range sum {
		sum[i] /= cnt[i]
	}
	return sum, clamped, bw
}

// nativePlanes returns the reference image's component planes at their own
// resolution, each with its subsampling factors relative to full size.
type plane struct {
	pix                []byte
	step, stride, w, h int
	fx, fy             int
}

func nativePlanes(t *testing.T, ref image.Image) []plane {
	b := ref.Bounds()
	W, H := b.Dx(), b.Dy()
	switch m := ref.(type) {
	case *image.Gray:
		return []plane{{m.Pix, 1, m.Stride, W, H, 1, 1}}
	case *image.YCbCr:
		fx, fy := map[image.YCbCrSubsampleRatio][2]int{
			image.YCbCrSubsampleRatio444: {1, 1}, image.YCbCrSubsampleRatio422: {2, 1},
			image.YCbCrSubsampleRatio420: {2, 2}, image.YCbCrSubsampleRatio440: {1, 2},
			image.YCbCrSubsampleRatio411: {4, 1}, image.YCbCrSubsampleRatio410: {4, 2},
		}[m.SubsampleRatio][0], 0
		fy = map[image.YCbCrSubsampleRatio]int{
			image.YCbCrSubsampleRatio444: 1, image.YCbCrSubsampleRatio422: 1,
			image.YCbCrSubsampleRatio420: 2, image.YCbCrSubsampleRatio440: 2,
			image.YCbCrSubsampleRatio411: 1, image.YCbCrSubsampleRatio410: 2,
		}[m.SubsampleRatio]
		cw, ch := (W+fx-1)/fx, (H+fy-1)/fy
		return []plane{
			{m.Y, 1, m.YStride, W, H, 1, 1},
			{m.Cb, 1, m.CStride, cw, ch, fx, fy},
			{m.Cr, 1, m.CStride, cw, ch, fx, fy},
		}
	case *image.CMYK:
		var ps []plane
		for i := 0; i < 4; i++ {
			ps = append(ps, plane{m.Pix[i:], 4, m.Stride, W, H, 1, 1})
		}
		return ps
	case *image.RGBA:
		var ps []plane
		for i := 0; i < 3; i++ {
			ps = append(ps, plane{m.Pix[i:], 4, m.Stride, W, H, 1, 1})
		}
		return ps
	}
	t.Fatalf("unexpected image/jpeg result %T", ref)
	return nil
}

// gotPlanes returns the DC image's planes in the same channel order.
func gotPlanes(t *testing.T, img image.Image) []plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return []plane{{m.Pix, 1, m.Stride, w, h, 1, 1}}
	case *image.YCbCr:
		if m.SubsampleRatio != image.YCbCrSubsampleRatio444 {
			t.Fatalf("DC image has ratio %v, want 4:4:4", m.SubsampleRatio)
		}
		return []plane{{m.Y, 1, m.YStride, w, h, 1, 1}, {m.Cb, 1, m.CStride, w, h, 1, 1}, {m.Cr, 1, m.CStride, w, h, 1, 1}}
	case *image.CMYK:
		var ps []plane
		for i := 0; i < 4; i++ {
			ps = append(ps, plane{m.Pix[i:], 4, m.Stride, w, h, 1, 1})
		}
		return ps
	case *image.NRGBA:
		var ps []plane
		for i := 0; i < 3; i++ {
			ps = append(ps, plane{m.Pix[i:], 4, m.Stride, w, h, 1, 1})
		}
		return ps
	}
	t.Fatalf("unexpected DC image %T", img)
	return nil
}

// compareNative checks the DC image against image/jpeg's decoded planes, each
// averaged over the 8×8 blocks of its own resolution (so a 4:2:0 chroma block
// covers 2×2 DC pixels). This is the direct test of "DC = block mean".
// Blocks with clamped samples go to s[4], partial blocks at the right and
// bottom edges to s[5] (all channels together).
func compareNative(t *testing.T, ref image.Image, got image.Image, s []stats) {
	rp, gp := nativePlanes(t, ref), gotPlanes(t, got)
	if len(rp) != len(gp) {
		t.Fatalf("reference has %d channels, DC image %d", len(rp), len(gp))
	}
	for c := range rp {
		r, g := rp[c], gp[c]
		means, clamped, bw := planeMeans(r.pix, r.step, r.stride, r.w, r.h)
		for i, m := range means {
			bx, by := i%bw, i/bw
			x, y := bx*r.fx, by*r.fy // first DC pixel covered by this block
			k := c
			switch {
			case (bx+1)*8 > r.w || (by+1)*8 > r.h:
				k = 5 // partial block: the DC also averages the encoder's padding
			case clamped[i]:
				k = 4
			}
			s[k].add(m-float64(g.pix[y*g.stride+x*g.step]), fmt.Sprintf("channel %d block (%d,%d)", c, bx, by))
		}
	}
}

// compareRGB compares 8×8 block means of the reference in RGB with the DC
// image converted to RGB: what the caller's area-averaged analysis image sees.
func compareRGB(ref image.Image, got image.Image, s []stats) {
	b := ref.Bounds()
	W, H := b.Dx(), b.Dy()
	bw, bh := (W+7)/8, (H+7)/8
	sum := make([][3]float64, bw*bh)
	cnt := make([]float64, bw*bh)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			c := color.NRGBAModel.Convert(ref.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			i := (y/8)*bw + x/8
			sum[i][0] += float64(c.R)
			sum[i][1] += float64(c.G)
			sum[i][2] += float64(c.B)
			cnt[i]++
		}
	}
	for i := range sum {
		c := color.NRGBAModel.Convert(got.At(i%bw, i/bw)).(color.NRGBA)
		for ch, v := range [3]uint8{c.R, c.G, c.B} {
			s[ch].add(sum[i][ch]/cnt[i]-float64(v), fmt.Sprintf("channel %d block (%d,%d)", ch, i%bw, i/bw))
		}
	}
}

// check decodes data both ways and adds the differences to the group stats.
func check(t *testing.T, name string, data []byte, native, rgb []stats) {
	t.Helper()
	ref, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: image/jpeg: %v", name, err)
	}
	got, err := Decode(data, 50e6)
	if err != nil {
		t.Fatalf("%s: Decode: %v", name, err)
	}
	rb := ref.Bounds()
	if got.Width != rb.Dx() || got.Height != rb.Dy() {
		t.Fatalf("%s: size %d×%d, image/jpeg says %d×%d", name, got.Width, got.Height, rb.Dx(), rb.Dy())
	}
	if gb := got.Img.Bounds(); gb != image.Rect(0, 0, (rb.Dx()+7)/8, (rb.Dy()+7)/8) {
		t.Fatalf("%s: DC image bounds %v for %v", name, gb, rb)
	}
	compareNative(t, ref, got.Img, native)
	compareRGB(ref, got.Img, rgb)
}

// tolerance is the allowed difference of one test group.
type tolerance struct {
	nativeMean, nativeMax float64 // per channel, blocks without clamped samples
	clampedMax            float64 // blocks with clamped samples
	edgeMax               float64 // partial blocks at the right and bottom edges
	rgbMean, rgbMax       float64
}

func report(t *testing.T, group string, native, rgb []stats, tol tolerance) {
	t.Helper()
	for c := range native {
		if native[c].n == 0 {
			continue
		}
		if c == 5 {
			t.Logf("%s partial edge blocks: %d, mean %.3f max %.1f (%s)", group, native[c].n, native[c].mean(), native[c].max, native[c].maxN)
			if native[c].max > tol.edgeMax {
				t.Errorf("%s partial edge blocks: max %.1f (%s), want ≤ %.1f", group, native[c].max, native[c].maxN, tol.edgeMax)
			}
			continue
		}
		if c == 4 {
			t.Logf("%s clamped blocks: %d, mean %.3f max %.1f (%s)", group, native[c].n, native[c].mean(), native[c].max, native[c].maxN)
			if native[c].max > tol.clampedMax {
				t.Errorf("%s clamped blocks: max %.1f (%s), want ≤ %.1f", group, native[c].max, native[c].maxN, tol.clampedMax)
			}
			continue
		}
		t.Logf("%s native ch%d: mean %.3f max %.1f (%s)", group, c, native[c].mean(), native[c].max, native[c].maxN)
		if native[c].mean() > tol.nativeMean || native[c].max > tol.nativeMax {
			t.Errorf("%s native ch%d: mean %.3f max %.1f (%s), want ≤ %.2f / %.1f", group, c,
				native[c].mean(), native[c].max, native[c].maxN, tol.nativeMean, tol.nativeMax)
		}
	}
	for c := range rgb {
		t.Logf("%s RGB ch%d: mean %.3f max %.1f (%s)", group, c, rgb[c].mean(), rgb[c].max, rgb[c].maxN)
		if rgb[c].mean() > tol.rgbMean || rgb[c].max > tol.rgbMax {
			t.Errorf("%s RGB ch%d: mean %.3f max %.1f (%s), want ≤ %.2f / %.1f", group, c,
				rgb[c].mean(), rgb[c].max, rgb[c].maxN, tol.rgbMean, tol.rgbMax)
		}
	}
}

func checkFiles(t *testing.T, group string, files []string, tol tolerance) {
	native, rgb := make([]stats, 6), make([]stats, 3)
	for _, f := range files {
		check(t, f, readFile(t, f), native, rgb)
	}
	report(t, group, native, rgb, tol)
}

func TestCatalogPhotos(t *testing.T) {
	files := globJPEGs(t, "../../testdata/images/*.jpg", 40)
	checkFiles(t, "catalog", files, tolerance{0.4, 1, 3, 11, 2.1, 81})
}

func TestFormats(t *testing.T) {
	checkFiles(t, "progressive", []string{"../../testdata/formats/progressive.jpg"}, tolerance{0.4, 1, 1.5, 1.5, 7, 53})
	// YCCK 4:2:0: image/jpeg's C, M and Y are converted from upsampled
	// chroma, so they differ like the RGB of any 4:2:0 file; K is exact.
	checkFiles(t, "ycck", []string{"../../testdata/formats/cmyk.jpg"}, tolerance{9.5, 58, 67, 1, 6.5, 53})
}

func TestBenchImages(t *testing.T) {
	if testing.Short() {
		t.Skip("large images")
	}
	files := globJPEGs(t, benchDir+"/*.jpg", 7)
	checkFiles(t, "bench", files, tolerance{0.4, 1, 2.5, 18, 1.5, 59})
}

// TestMadeWithImageMagick covers the sampling factors, restart intervals,
// progressive successive approximation, greyscale and CMYK files in testdata,
// made with ImageMagick 6 (see testdata/README).
func TestMadeWithImageMagick(t *testing.T) {
	files := globJPEGs(t, "testdata/*.jpg", 10)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			native, rgb := make([]stats, 6), make([]stats, 3)
			check(t, f, readFile(t, f), native, rgb)
			tol := tolerance{0.4, 1, 1.5, 1.5, 9.5, 35} // subsampled chroma
			switch base := filepath.Base(f); {
			case strings.Contains(base, "444") || strings.Contains(base, "grey"):
				tol.rgbMean, tol.rgbMax = 1.1, 3
			case strings.Contains(base, "cmyk"): // RGB from CMYK is not linear
				// ImageMagick quantises C, M, Y and K more coarsely.
				tol.nativeMean, tol.nativeMax, tol.clampedMax = 0.6, 1.7, 4.5
				tol.rgbMean, tol.rgbMax = 1.8, 19
			}
			report(t, filepath.Base(f), native, rgb, tol)
		})
	}
}

// photo returns a catalog photo decoded, for re-encoding.
func photo(t testing.TB, name string) image.Image {
	img, err := jpeg.Decode(bytes.NewReader(readFile(t, "../../testdata/images/"+name)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestImageJPEGEncoder covers image/jpeg's own output (4:2:0 and grey) at odd
// sizes and several qualities.
func TestImageJPEGEncoder(t *testing.T) {
	src := photo(t, "myntra_11384.jpg")
	native, rgb := make([]stats, 6), make([]stats, 3)
	for _, size := range []image.Point{{1, 1}, {7, 9}, {33, 17}, {100, 61}, {224, 224}} {
		for _, q := range []int{20, 75, 100} {
			for _, grey := range []bool{false, true} {
				var img image.Image
				if grey {
					g := image.NewGray(image.Rect(0, 0, size.X, size.Y))
					for y := 0; y < size.Y; y++ {
						for x := 0; x < size.X; x++ {
							g.Set(x, y, src.At(x*224/size.X, y*224/size.Y))
						}
					}
					img = g
				} else {
					m := image.NewNRGBA(image.Rect(0, 0, size.X, size.Y))
					for y := 0; y < size.Y; y++ {
						for x := 0; x < size.X; x++ {
							m.Set(x, y, src.At(x*224/size.X, y*224/size.Y))
						}
					}
					img = m
				}
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				check(t, fmt.Sprintf("%v q%d grey=%v", size, q, grey), buf.Bytes(), native, rgb)
			}
		}
	}
	report(t, "image/jpeg encoder", native, rgb, tolerance{0.4, 1, 6, 20, 3, 52})
}

func TestOrientation(t *testing.T) {
	base := readFile(t, "testdata/s444.jpg")
	for _, le := range []bool{false, true} {
		for o := 0; o <= 9; o++ {
			data := withExif(base, o, le)
			got, err := Decode(data, 1e6)
			if err != nil {
				t.Fatal(err)
			}
			want := o
			if o > 8 {
				want = 0
			}
			if got.Orientation != want {
				t.Errorf("orientation %d little-endian=%v: got %d", o, le, got.Orientation)
			}
		}
	}
	got, err := Decode(base, 1e6)
	if err != nil || got.Orientation != 0 {
		t.Errorf("no EXIF: orientation %d, %v", got.Orientation, err)
	}
}

// withExif inserts an APP1 Exif segment with orientation o (none when 0)
// after SOI, preceded by another IFD entry.
func withExif(jpg []byte, o int, littleEndian bool) []byte {
	var tiff []byte
	put16 := func(v int) {
		if littleEndian {
			tiff = append(tiff, byte(v), byte(v>>8))
		} else {
			tiff = append(tiff, byte(v>>8), byte(v))
		}
	}
	put32 := func(v int) { // as two 16-bit halves in the right order
		if littleEndian {
			put16(v & 0xFFFF)
			put16(v >> 16)
		} else {
			put16(v >> 16)
			put16(v & 0xFFFF)
		}
	}
	if littleEndian {
		tiff = append(tiff, "II"...)
	} else {
		tiff = append(tiff, "MM"...)
	}
	put16(42)
	put32(8)
	n := 1
	if o != 0 {
		n = 2
	}
	put16(n)
	put16(0x010F) // Make, ASCII, 4 bytes inline
	put16(2)
	put32(4)
	tiff = append(tiff, 'A', 'B', 'C', 0)
	if o != 0 {
		put16(0x0112)
		put16(3)
		put32(1)
		put16(o)
		put16(0)
	}
	put32(0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(out, jpg[2:]...)
}

func TestErrors(t *testing.T) {
	good := readFile(t, "testdata/s444.jpg")
	sof := bytes.Index(good, []byte{0xFF, 0xC0})
	sos := bytes.Index(good, []byte{0xFF, 0xDA})
	if sof < 0 || sos < 0 {
		t.Fatal("testdata/s444.jpg is not a baseline JPEG")
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name        string
		data        []byte
		unsupported bool
	}{
		{"empty", nil, false},
		{"SOI only", []byte{0xFF, 0xD8}, false},
		{"SOI EOI", []byte{0xFF, 0xD8, 0xFF, 0xD9}, false},
		{"not a JPEG", []byte("GIF89a......"), false},
		{"SOS before SOF", edit(func(b []byte) []byte {
			return append(b[:sof:sof], b[sos:]...)
		}), false},
		{"12-bit", edit(func(b []byte) []byte { b[sof+4] = 12; return b }), true},
		{"arithmetic SOF9", edit(func(b []byte) []byte { b[sof+1] = 0xC9; return b }), true},
		{"lossless SOF3", edit(func(b []byte) []byte { b[sof+1] = 0xC3; return b }), true},
		{"hierarchical SOF5", edit(func(b []byte) []byte { b[sof+1] = 0xC5; return b }), true},
		{"DNL height", edit(func(b []byte) []byte { b[sof+5], b[sof+6] = 0, 0; return b }), true},
		{"zero width", edit(func(b []byte) []byte { b[sof+7], b[sof+8] = 0, 0; return b }), false},
		{"quant table 3 undefined", edit(func(b []byte) []byte { b[sof+10+2] = 3; return b }), false},
		{"quant table 9", edit(func(b []byte) []byte { b[sof+10+2] = 9; return b }), false},
		{"sampling 0", edit(func(b []byte) []byte { b[sof+10+1] = 0x01; return b }), false},
		{"sampling 3 of 2", edit(func(b []byte) []byte { b[sof+10+1] = 0x33; b[sof+13+1] = 0x22; return b }), true},
		{"scan component missing", edit(func(b []byte) []byte { b[sos+5] = 99; return b }), false},
		{"scan Huffman table undefined", edit(func(b []byte) []byte { b[sos+6] = 0x33; return b }), false},
		{"bad Huffman counts", edit(func(b []byte) []byte {
			dht := bytes.Index(b, []byte{0xFF, 0xC4})
			b[dht+5] = 3 // three codes of length 1
			return b
		}), false},
		{"garbage scan", edit(func(b []byte) []byte {
			for i := sos + 14; i < len(b)-2; i++ {
				b[i] = 0xFE
			}
			return b
		}), false},
		{"no EOI", good[:len(good)-2], false},
	}
	for _, c := range cases {
		_, err := Decode(c.data, 1e6)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if errors.Is(err, ErrUnsupported) != c.unsupported {
			t.Errorf("%s: error %q, want unsupported=%v", c.name, err, c.unsupported)
		}
	}
}

// header builds a JPEG whose SOF claims w×h with the given components.
func header(w, h int, marker byte) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, marker, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0}
	return b
}

func TestMaxPixels(t *testing.T) {
	data := append(header(65535, 65535, 0xC0), 0xFF, 0xD9)
	var err error
	allocs := testing.AllocsPerRun(20, func() { _, err = Decode(data, 50e6) })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("65535×65535")) {
		t.Fatalf("error %v, want one naming 65535×65535", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 10; i++ {
		Decode(data, 50e6)
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / 10
	t.Logf("%v allocations, %d bytes per call", allocs, perCall)
	if allocs > 10 || perCall > 4<<10 {
		t.Errorf("rejecting a huge header took %v allocations, %d bytes", allocs, perCall)
	}
	// Within the limit but with no scan data: an error, and nothing as big
	// as the claimed image.
	data = append(header(5000, 5000, 0xC0), 0xFF, 0xD9)
	if _, err := Decode(data, 50e6); err == nil {
		t.Error("header only: no error")
	}
}

// TestTruncated cuts real files at many points: each must give an error or
// an image, never a panic or a hang.
func TestTruncated(t *testing.T) {
	files := append(globJPEGs(t, "testdata/*.jpg", 10), "../../testdata/formats/progressive.jpg", "../../testdata/formats/cmyk.jpg")
	for _, f := range files {
		data := readFile(t, f)
		for n := 0; n < len(data); n += 97 {
			if img, err := Decode(data[:n], 1e6); err == nil && img.Img == nil {
				t.Errorf("%s cut at %d: no error and no image", f, n)
			}
		}
		// Everything but the EOI: image/jpeg also refuses it.
		if _, err := Decode(data[:len(data)-2], 1e6); err == nil {
			t.Errorf("%s without EOI: no error", f)
		}
	}
}

func TestRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	good := readFile(t, "testdata/prog420.jpg")
	for i := 0; i < 2000; i++ {
		b := make([]byte, r.IntN(300))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		Decode(b, 1e6)
		// Corrupt a few bytes of a real file.
		c := append([]byte(nil), good...)
		for k := 0; k < 1+r.IntN(4); k++ {
			c[r.IntN(len(c))] = byte(r.Uint32())
		}
		Decode(c, 1e6)
	}
}

func FuzzDecode(f *testing.F) {
	for _, pattern := range []string{"testdata/*.jpg", "../../testdata/formats/*.jpg"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			f.Add(readFile(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, 1<<20)
		if err != nil {
			return
		}
		b := img.Img.Bounds()
		if b.Dx() != (img.Width+7)/8 || b.Dy() != (img.Height+7)/8 {
			t.Fatalf("bounds %v for %d×%d", b, img.Width, img.Height)
		}
	})
}

func benchmarkPair(b *testing.B, name string) {
	data := readFile(b, benchDir+"/"+name)
	b.Run("jpegdc", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := Decode(data, 50e6); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("image_jpeg", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBaseline800x1000(b *testing.B)  { benchmarkPair(b, "kleiber_800x1000_q85.jpg") }
func BenchmarkProgressive(b *testing.B)       { benchmarkPair(b, "mate_GreenMeadow.jpg") }
func BenchmarkBaseline2000x2500(b *testing.B) { benchmarkPair(b, "kleiber_2000x2500_q85.jpg") }
