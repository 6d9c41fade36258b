package render

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"
)

// pngFile is a PNG file taken apart by parsePNG.
type pngFile struct {
	chunks  []string // chunk types in order
	w, h    int
	depth   int
	palette []color.NRGBA // PLTE entries with the tRNS alphas applied
	trns    int           // number of tRNS entries, or -1 without tRNS
	idat    []byte        // the zlib stream
	data    []byte        // the decompressed, still filtered, image data
}

// parsePNG checks b as a paletted PNG of the kind Encode writes and returns
// its parts. It checks, independently of image/png: the signature; each
// chunk's length and CRC; the chunk order; IHDR's fields; PLTE and tRNS
// sizes; the zlib header, the DEFLATE stream (with compress/flate), the
// Adler-32 trailer and that nothing follows it; the decompressed length and
// filter types. (Pixel colours are checked by decoding, in checkEncode.)
func parsePNG(b []byte) (*pngFile, error) {
	sig := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}
	if !bytes.HasPrefix(b, sig) {
		return nil, fmt.Errorf("bad signature % x", b[:min(8, len(b))])
	}
	f := &pngFile{trns: -1}
	rest := b[8:]
	var plte, trns []byte
	for len(rest) > 0 {
		if len(rest) < 12 {
			return nil, fmt.Errorf("truncated chunk header: %d bytes left", len(rest))
		}
		n := int(binary.BigEndian.Uint32(rest))
		if n > len(rest)-12 {
			return nil, fmt.Errorf("chunk length %d exceeds the %d bytes left", n, len(rest)-12)
		}
		typ := string(rest[4:8])
		data := rest[8 : 8+n]
		if got, want := binary.BigEndian.Uint32(rest[8+n:]), crc32.ChecksumIEEE(rest[4:8+n]); got != want {
			return nil, fmt.Errorf("chunk %s: CRC %08x, want %08x", typ, got, want)
		}
		f.chunks = append(f.chunks, typ)
		switch typ {
		case "IHDR":
			if n != 13 {
				return nil, fmt.Errorf("IHDR length %d", n)
			}
			f.w = int(binary.BigEndian.Uint32(data))
			f.h = int(binary.BigEndian.Uint32(data[4:]))
			f.depth = int(data[8])
			if data[9] != 3 || data[10] != 0 || data[11] != 0 || data[12] != 0 {
				return nil, fmt.Errorf("IHDR colour type %d, compression %d, filter %d, interlace %d; want 3 0 0 0", data[9], data[10], data[11], data[12])
			}
			if f.depth != 1 && f.depth != 2 && f.depth != 4 && f.depth != 8 {
				return nil, fmt.Errorf("bit depth %d", f.depth)
			}
		case "PLTE":
			plte = data
		case "tRNS":
			trns = data
		case "IDAT":
			f.idat = append(f.idat, data...)
		}
		rest = rest[12+n:]
	}
	var order []string
	order = append(order, "IHDR", "PLTE")
	if trns != nil {
		order = append(order, "tRNS")
	}
	order = append(order, "IDAT", "IEND")
	if fmt.Sprint(f.chunks) != fmt.Sprint(order) {
		return nil, fmt.Errorf("chunks %v, want %v", f.chunks, order)
	}
	if len(plte) == 0 || len(plte)%3 != 0 || len(plte)/3 > 1<<f.depth {
		return nil, fmt.Errorf("PLTE of %d bytes at depth %d", len(plte), f.depth)
	}
	np := len(plte) / 3
	if f.depth > 1 && np <= 1<<(f.depth/2) {
		return nil, fmt.Errorf("%d palette entries need less than depth %d", np, f.depth)
	}
	if trns != nil {
		if len(trns) == 0 || len(trns) > np || trns[len(trns)-1] == 0xff {
			return nil, fmt.Errorf("tRNS of %d entries (palette %d) ending in %d: not trimmed", len(trns), np, trns[len(trns)-1])
		}
		f.trns = len(trns)
	}
	for i := range np {
		c := color.NRGBA{plte[3*i], plte[3*i+1], plte[3*i+2], 0xff}
		if i < len(trns) {
			c.A = trns[i]
		}
		f.palette = append(f.palette, c)
	}

	// zlib: header, DEFLATE stream, Adler-32 of the data, nothing after.
	z := f.idat
	if len(z) < 6 {
		return nil, fmt.Errorf("IDAT of %d bytes", len(z))
	}
	if z[0]&0x0f != 8 || z[0]>>4 > 7 || (int(z[0])<<8|int(z[1]))%31 != 0 || z[1]&0x20 != 0 {
		return nil, fmt.Errorf("bad zlib header % x", z[:2])
	}
	r := bytes.NewReader(z[2:])
	fr := flate.NewReader(r)
	data, err := io.ReadAll(fr)
	if err != nil {
		return nil, fmt.Errorf("inflate: %v", err)
	}
	f.data = data
	tail, _ := io.ReadAll(r)
	if len(tail) != 4 {
		return nil, fmt.Errorf("%d bytes after the DEFLATE stream, want 4 (Adler-32)", len(tail))
	}
	if got, want := binary.BigEndian.Uint32(tail), adler32.Checksum(data); got != want {
		return nil, fmt.Errorf("Adler-32 %08x, want %08x", got, want)
	}
	rowLen := (f.w*f.depth + 7) / 8
	if len(data) != f.h*(rowLen+1) {
		return nil, fmt.Errorf("image data is %d bytes, want %d", len(data), f.h*(rowLen+1))
	}
	for y := range f.h {
		if ft := data[y*(rowLen+1)]; ft > 4 {
			return nil, fmt.Errorf("row %d: filter type %d", y, ft)
		}
	}
	return f, nil
}

// checkEncode encodes m, checks the file with parsePNG and image/png, and
// that the decoded image shows the same colours at every pixel as m; when
// sameIndex is set, also the same palette indices. It returns the bytes.
func checkEncode(t testing.TB, m *image.Paletted, sameIndex bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, m); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	b := buf.Bytes()
	f, err := parsePNG(b)
	if err != nil {
		t.Fatalf("invalid PNG: %v", err)
	}
	r := m.Bounds()
	if f.w != r.Dx() || f.h != r.Dy() {
		t.Fatalf("IHDR says %dx%d, image is %dx%d", f.w, f.h, r.Dx(), r.Dy())
	}
	// The palette holds exactly the distinct colours used, the depth is
	// the smallest for it, and tRNS appears only when needed.
	var usedIndex [256]bool
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			usedIndex[m.ColorIndexAt(x, y)] = true
		}
	}
	var srcColor [256]color.NRGBA
	used := map[color.NRGBA]bool{}
	anyTranslucent := false
	for i, u := range usedIndex {
		if u {
			c := color.NRGBAModel.Convert(m.Palette[i]).(color.NRGBA)
			srcColor[i] = c
			used[c] = true
			anyTranslucent = anyTranslucent || c.A != 0xff
		}
	}
	if len(f.palette) != len(used) {
		t.Errorf("PLTE has %d entries, image uses %d colours", len(f.palette), len(used))
	}
	wantDepth := 8
	switch n := len(used); {
	case n <= 2:
		wantDepth = 1
	case n <= 4:
		wantDepth = 2
	case n <= 16:
		wantDepth = 4
	}
	if f.depth != wantDepth {
		t.Errorf("bit depth %d, want %d", f.depth, wantDepth)
	}
	if (f.trns >= 0) != anyTranslucent {
		t.Errorf("tRNS present: %v; translucent colours: %v", f.trns >= 0, anyTranslucent)
	}

	d, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/png: %v", err)
	}
	dp, ok := d.(*image.Paletted)
	if !ok {
		t.Fatalf("image/png decoded a %T, want *image.Paletted", d)
	}
	if dp.Bounds().Dx() != r.Dx() || dp.Bounds().Dy() != r.Dy() {
		t.Fatalf("decoded bounds %v, want size of %v", dp.Bounds(), r)
	}
	dstColor := make([]color.NRGBA, len(dp.Palette))
	for i, c := range dp.Palette {
		dstColor[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	for y := range r.Dy() {
		for x := range r.Dx() {
			si := m.ColorIndexAt(r.Min.X+x, r.Min.Y+y)
			di := dp.ColorIndexAt(x, y)
			if int(di) >= len(dstColor) {
				t.Fatalf("pixel (%d,%d) has index %d, beyond the palette of %d", x, y, di, len(dstColor))
			}
			if got, want := dstColor[di], srcColor[si]; got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
			if sameIndex && di != si {
				t.Fatalf("pixel (%d,%d) has index %d, want %d", x, y, di, si)
			}
		}
	}
	return b
}
