package render

import (
	"bytes"
	"compress/zlib"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testColors returns n distinct colours; translucent ones when alpha is
// set.
func testColors(n int, alpha bool) []color.Color {
	cols := make([]color.Color, n)
	for i := range cols {
		c := color.NRGBA{uint8(37 * i), uint8(255 - 11*i), uint8(91 + 53*i), 0xff}
		if alpha && i%3 != 1 {
			c.A = uint8(255 - 40*(i%6)) // some stay opaque
		}
		cols[i] = c
	}
	return cols
}

func TestRoundTrip(t *testing.T) {
	sizes := []int{8, 9, 13, 40, 41, 64, 100, 255, 256}
	counts := []int{1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 40}
	if !testing.Short() {
		sizes = append(sizes, 1024)
	}
	for _, size := range sizes {
		for _, n := range counts {
			if n > size || size == 1024 && n != 1 && n != 4 && n != 5 && n != 17 {
				continue // the largest swatches take long under -race
			}
			for _, alpha := range []bool{false, true} {
				if size == 1024 && alpha && n != 5 {
					continue
				}
				t.Run(fmt.Sprintf("%d/%d/alpha=%v", size, n, alpha), func(t *testing.T) {
					m, err := Swatch(testColors(n, alpha), size)
					if err != nil {
						t.Fatal(err)
					}
					checkEncode(t, m, true)
				})
			}
		}
	}
}

func TestRoundTrip256(t *testing.T) {
	cols := make([]color.Color, 256)
	for i := range cols {
		cols[i] = color.NRGBA{uint8(i), uint8(i * 7), uint8(255 - i), 0xff}
	}
	for _, size := range []int{256, 300} {
		m, err := Swatch(cols, size)
		if err != nil {
			t.Fatal(err)
		}
		checkEncode(t, m, true)
	}
}

// TestEncodeImages encodes paletted images that Swatch does not make.
func TestEncodeImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pal256 := make(color.Palette, 256)
	for i := range pal256 {
		pal256[i] = color.RGBA{uint8(i), uint8(i * 3), uint8(i * 5), 0xff}
	}
	fill := func(m *image.Paletted, f func(x, y int) uint8) *image.Paletted {
		r := m.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.SetColorIndex(x, y, f(x, y))
			}
		}
		return m
	}
	gray := func(n int) color.Palette {
		p := make(color.Palette, n)
		for i := range p {
			p[i] = color.Gray{uint8(i * 255 / max(n-1, 1))}
		}
		return p
	}
	tests := []struct {
		name      string
		m         *image.Paletted
		sameIndex bool
	}{
		{"1x1", image.NewPaletted(image.Rect(0, 0, 1, 1), gray(2)), true},
		{"random 256 colours (stored blocks, several blocks)",
			fill(image.NewPaletted(image.Rect(0, 0, 400, 300), pal256), func(x, y int) uint8 { return uint8(rng.IntN(256)) }), true},
		{"random 3 colours", fill(image.NewPaletted(image.Rect(0, 0, 123, 77), gray(3)), func(x, y int) uint8 { return uint8(rng.IntN(3)) }), true},
		{"gradient", fill(image.NewPaletted(image.Rect(0, 0, 256, 64), pal256), func(x, y int) uint8 { return uint8(x + y) }), true},
		{"checkerboard", fill(image.NewPaletted(image.Rect(0, 0, 61, 61), gray(2)), func(x, y int) uint8 { return uint8((x + y) % 2) }), true},
		{"offset bounds", fill(image.NewPaletted(image.Rect(-5, 7, 30, 19), gray(16)), func(x, y int) uint8 { return uint8((x*x + y) & 15) }), true},
		{"sub-image with stride", fill(image.NewPaletted(image.Rect(0, 0, 50, 50), gray(5)), func(x, y int) uint8 { return uint8((x/7 + y/5) % 5) }).SubImage(image.Rect(3, 4, 29, 44)).(*image.Paletted), false},
		{"unused entries dropped", fill(image.NewPaletted(image.Rect(0, 0, 20, 20), gray(200)), func(x, y int) uint8 { return uint8(150 + x%2) }), false},
		{"duplicate entries merged", fill(image.NewPaletted(image.Rect(0, 0, 20, 20), color.Palette{color.White, color.Black, color.White, color.Gray{0}}), func(x, y int) uint8 { return uint8((x + y) % 4) }), false},
		{"unused nil entry", fill(image.NewPaletted(image.Rect(0, 0, 9, 9), color.Palette{color.White, nil, color.Black}), func(x, y int) uint8 { return uint8(x%2) * 2 }), false},
		{"transparent and translucent", fill(image.NewPaletted(image.Rect(0, 0, 33, 9), color.Palette{color.Black, color.Transparent, color.NRGBA{9, 8, 7, 0x80}, color.White}), func(x, y int) uint8 { return uint8(x % 4) }), true},
		{"wide rows beyond the window", fill(image.NewPaletted(image.Rect(0, 0, 40000, 3), pal256), func(x, y int) uint8 { return uint8(x / 1000) }), true},
		{"tall", fill(image.NewPaletted(image.Rect(0, 0, 3, 5000), gray(4)), func(x, y int) uint8 { return uint8(y / 1000 % 4) }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]uint8(nil), tt.m.Pix...)
			checkEncode(t, tt.m, tt.sameIndex)
			if !bytes.Equal(before, tt.m.Pix) {
				t.Error("Encode modified the image")
			}
		})
	}
}

func TestEncodeTRNSTrimmed(t *testing.T) {
	m, err := Swatch([]color.Color{red, color.NRGBA{1, 2, 3, 0x40}, blue, green}, 40)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parsePNG(checkEncode(t, m, true))
	if err != nil {
		t.Fatal(err)
	}
	if f.trns != 2 {
		t.Errorf("tRNS has %d entries, want 2 (up to the last translucent colour)", f.trns)
	}
	if got := fmt.Sprint(f.chunks); got != "[IHDR PLTE tRNS IDAT IEND]" {
		t.Errorf("chunks %s", got)
	}
}

func TestEncodeErrors(t *testing.T) {
	short := image.NewPaletted(image.Rect(0, 0, 10, 10), color.Palette{color.Black})
	short.Pix = short.Pix[:50]
	tests := []struct {
		name string
		m    *image.Paletted
	}{
		{"nil", nil},
		{"empty", image.NewPaletted(image.Rect(0, 0, 0, 5), color.Palette{color.Black})},
		{"no palette", image.NewPaletted(image.Rect(0, 0, 2, 2), nil)},
		{"index out of range", &image.Paletted{Pix: []uint8{0, 3}, Stride: 2, Rect: image.Rect(0, 0, 2, 1), Palette: color.Palette{color.Black, color.White}}},
		{"used nil entry", image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{nil})},
		{"short Pix", short},
		{"stride below width", &image.Paletted{Pix: make([]uint8, 100), Stride: 5, Rect: image.Rect(0, 0, 10, 10), Palette: color.Palette{color.Black}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tt.m)
			if !errors.Is(err, ErrInvalidImage) {
				t.Errorf("got %v, want ErrInvalidImage", err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "render: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestEncodeWriteError(t *testing.T) {
	m, _ := Swatch(rgb9[:2], 40)
	if err := Encode(failWriter{}, m); !errors.Is(err, errWrite) {
		t.Errorf("got %v, want the writer's error", err)
	}
}

func TestSmallest(t *testing.T) {
	b, err := PNG([]color.Color{red}, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	// 8 signature + 25 IHDR + 15 PLTE + 12+11 IDAT + 12 IEND = 83: a 40x40
	// one-colour PNG cannot be smaller (its DEFLATE stream is a literal and
	// one match in a fixed-Huffman block, 36 bits).
	if len(b) > 91 {
		t.Errorf("40x40 one-colour swatch is %d bytes, want at most 91 (83 is the smallest valid)", len(b))
	}
	if len(b) != 83 {
		t.Errorf("40x40 one-colour swatch is %d bytes; this encoder made 83", len(b))
	}
	f, err := parsePNG(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.chunks); got != "[IHDR PLTE IDAT IEND]" {
		t.Errorf("chunks %s, want [IHDR PLTE IDAT IEND]", got)
	}
	for n := 1; n <= 8; n++ {
		b, err := PNG(rgb9[:n], DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parsePNG(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(f.chunks); got != "[IHDR PLTE IDAT IEND]" {
			t.Errorf("%d colours: chunks %s, want [IHDR PLTE IDAT IEND]", n, got)
		}
	}
}

// refFilter filters the packed rows raw (h rows of rowLen bytes) with one
// filter type for every row; written independently of the encoder's.
func refFilter(raw []byte, rowLen, h int, ft byte) []byte {
	out := make([]byte, 0, h*(rowLen+1))
	prev := make([]byte, rowLen)
	for y := range h {
		cur := raw[y*rowLen : (y+1)*rowLen]
		out = append(out, ft)
		for i := range cur {
			var a, b, c int
			if i > 0 {
				a, c = int(cur[i-1]), int(prev[i-1])
			}
			b = int(prev[i])
			var p int
			switch ft {
			case 1:
				p = a
			case 2:
				p = b
			case 3:
				p = (a + b) / 2
			case 4:
				est := a + b - c
				pa, pb, pc := abs(est-a), abs(est-b), abs(est-c)
				switch {
				case pa <= pb && pa <= pc:
					p = a
				case pb <= pc:
					p = b
				default:
					p = c
				}
			}
			out = append(out, cur[i]-byte(p))
		}
		prev = cur
	}
	return out
}

// unfilter reverses the filters of a PNG's image data (1 byte per pixel).
func unfilter(data []byte, rowLen, h int) []byte {
	raw := make([]byte, h*rowLen)
	prev := make([]byte, rowLen)
	for y := range h {
		ft := data[y*(rowLen+1)]
		in := data[y*(rowLen+1)+1 : (y+1)*(rowLen+1)]
		cur := raw[y*rowLen : (y+1)*rowLen]
		for i := range in {
			var a, b, c int
			if i > 0 {
				a, c = int(cur[i-1]), int(prev[i-1])
			}
			b = int(prev[i])
			var p int
			switch ft {
			case 1:
				p = a
			case 2:
				p = b
			case 3:
				p = (a + b) / 2
			case 4:
				est := a + b - c
				pa, pb, pc := abs(est-a), abs(est-b), abs(est-c)
				switch {
				case pa <= pb && pa <= pc:
					p = a
				case pb <= pc:
					p = b
				default:
					p = c
				}
			}
			cur[i] = in[i] + byte(p)
		}
		prev = cur
	}
	return raw
}

// searchLevels are the compress/flate levels searchMin tries.
var searchLevels = []int{zlib.HuffmanOnly, zlib.DefaultCompression, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// searchMin returns the size of the smallest PNG found for m's pixels by
// an exhaustive search with the standard library: every filter type on all
// rows × every compress/flate level (HuffmanOnly, default, 0 to 9), with
// the chunks Encode writes (ours gives the overhead); and image/png's
// BestCompression encoder.
func searchMin(t *testing.T, m *image.Paletted, ours []byte) (best int, how string) {
	t.Helper()
	f, err := parsePNG(ours)
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(ours) - len(f.idat)
	rowLen := (f.w*f.depth + 7) / 8
	raw := unfilter(f.data, rowLen, f.h)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression, BufferPool: &pngPool{}}
	if err := enc.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	best, how = buf.Len(), "image/png BestCompression"
	for ft := range byte(5) {
		data := refFilter(raw, rowLen, f.h, ft)
		for i, level := range searchLevels {
			buf.Reset()
			zw := zlibWriters[i]
			if zw == nil {
				zw, err = zlib.NewWriterLevel(&buf, level)
				if err != nil {
					t.Fatal(err)
				}
				zlibWriters[i] = zw
			}
			zw.Reset(&buf)
			zw.Write(data)
			zw.Close()
			if n := overhead + buf.Len(); n < best {
				best, how = n, fmt.Sprintf("filter %d, flate level %d", ft, level)
			}
		}
	}
	return best, how
}

// zlibWriters holds searchMin's writers, reused: making one allocates and
// clears about a megabyte, which dominated the test's time under -race.
var zlibWriters = make([]*zlib.Writer, len(searchLevels))

// pngPool keeps one image/png encoder buffer.
type pngPool struct{ b *png.EncoderBuffer }

func (p *pngPool) Get() *png.EncoderBuffer  { return p.b }
func (p *pngPool) Put(b *png.EncoderBuffer) { p.b = b }

// TestNearSmallest compares Encode with an exhaustive search over the
// standard library's encoders for many layouts: Encode must be within 10%
// of the smallest.
func TestNearSmallest(t *testing.T) {
	type layout struct {
		size, n int
		alpha   bool
	}
	var layouts []layout
	for _, size := range []int{8, 16, 40, 41, 64, 100, 256} {
		for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 12, 17, 33} {
			if n <= size {
				layouts = append(layouts, layout{size, n, n%3 == 2})
			}
		}
	}
	if !testing.Short() {
		// The largest swatches, fewer of them: the search takes long.
		layouts = append(layouts, layout{1024, 1, false}, layout{1024, 5, true})
	}
	worst, smaller, equal := 0.0, 0, 0
	for _, l := range layouts {
		m, err := Swatch(testColors(l.n, l.alpha), l.size)
		if err != nil {
			t.Fatal(err)
		}
		ours := checkEncode(t, m, true)
		ref, how := searchMin(t, m, ours)
		worst = max(worst, float64(len(ours))/float64(ref))
		switch {
		case len(ours) < ref:
			smaller++
		case len(ours) == ref:
			equal++
		}
		if float64(len(ours)) > 1.10*float64(ref) {
			t.Errorf("%dx%d, %d colours (translucent %v): %d bytes, but %s gives %d", l.size, l.size, l.n, l.alpha, len(ours), how, ref)
		}
	}
	t.Logf("%d swatches: %d smaller than the best standard library encoding, %d equal; worst ratio %.3f",
		len(layouts), smaller, equal, worst)
}

// goldenSizes are the swatches whose sizes testdata/sizes.golden records.
var goldenSizes = []struct{ size, n int }{
	{40, 1}, {40, 2}, {40, 3}, {40, 4}, {40, 5},
	{1024, 1}, {1024, 2}, {1024, 3}, {1024, 4}, {1024, 5},
}

// goldenColors are the colours of the golden swatches.
var goldenColors = []color.Color{
	color.RGBA{0x1f, 0x2a, 0x44, 0xff}, // navy
	color.RGBA{0xc8, 0x1e, 0x3c, 0xff}, // red
	color.RGBA{0x8a, 0x8d, 0x91, 0xff}, // grey
	color.RGBA{0xf4, 0xc2, 0xc2, 0xff}, // pink
	color.RGBA{0x2e, 0x8b, 0x57, 0xff}, // green
}

// TestGoldenSizes records the PNG sizes of swatches of 1 to 5 colours, so
// that a change in size shows in a diff. Regenerate with -update.
func TestGoldenSizes(t *testing.T) {
	var b strings.Builder
	b.WriteString("# PNG bytes of render.PNG(colours, size); go test ./render -run TestGoldenSizes -update rewrites it\n")
	b.WriteString("# size colours bytes\n")
	for _, g := range goldenSizes {
		p, err := PNG(goldenColors[:g.n], g.size)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %d\n", g.size, g.n, len(p))
	}
	golden(t, "sizes.golden", []byte(b.String()))
}

// TestGoldenBytes checks that the bytes are the same as recorded: the
// encoding is deterministic across runs and platforms.
func TestGoldenBytes(t *testing.T) {
	for n := 1; n <= 5; n++ {
		p, err := PNG(goldenColors[:n], DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, fmt.Sprintf("swatch-40-%d.png", n), p)
	}
}

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		if strings.HasSuffix(name, ".golden") {
			t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
		} else {
			t.Errorf("%s differs: got %d bytes, want %d", path, len(got), len(want))
		}
	}
}

// TestDeterministic encodes the same swatches repeatedly, also from
// several goroutines at once (the encoders share a pool), and compares the
// bytes.
func TestDeterministic(t *testing.T) {
	var want [][]byte
	var images []*image.Paletted
	for _, size := range []int{8, 40, 97} {
		for n := 1; n <= 8; n++ {
			m, err := Swatch(testColors(n, n%2 == 0), size)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Encode(&buf, m); err != nil {
				t.Fatal(err)
			}
			images = append(images, m)
			want = append(want, buf.Bytes())
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				for k := range images {
					i := (k + g + round) % len(images)
					var buf bytes.Buffer
					if err := Encode(&buf, images[i]); err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(buf.Bytes(), want[i]) {
						errs <- fmt.Errorf("image %d: bytes differ between encodings", i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
