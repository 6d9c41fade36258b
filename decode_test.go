package palette

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// sample is a 6×4 image: left half red, right half blue.
func sample() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 6, 4))
	for y := range 4 {
		for x := range 6 {
			c := color.NRGBA{200, 30, 40, 255}
			if x >= 3 {
				c = color.NRGBA{30, 40, 200, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encoded(t testing.TB, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFormats(t *testing.T) {
	src := sample()
	gray := image.NewGray(src.Rect)
	pal := image.NewPaletted(src.Rect, color.Palette{color.NRGBA{200, 30, 40, 255}, color.NRGBA{30, 40, 200, 255}})
	deep := image.NewNRGBA64(src.Rect)
	for y := range 4 {
		for x := range 6 {
			gray.Set(x, y, src.At(x, y))
			pal.Set(x, y, src.At(x, y))
			deep.Set(x, y, src.At(x, y))
		}
	}
	tests := []struct {
		name   string
		data   []byte
		format string
		w, h   int
	}{
		{"png 8-bit", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, src) }), "png", 6, 4},
		{"png 16-bit", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, deep) }), "png", 6, 4},
		{"png grey", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, gray) }), "png", 6, 4},
		{"png paletted", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, pal) }), "png", 6, 4},
		{"gif", encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) }), "gif", 6, 4},
		{"jpeg baseline", encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, nil) }), "jpeg", 6, 4},
		{"bmp", encoded(t, func(b *bytes.Buffer) error { return bmp.Encode(b, src) }), "bmp", 6, 4},
		{"tiff", encoded(t, func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) }), "tiff", 6, 4},
		{"jpeg progressive", readTestdata(t, "formats/progressive.jpg"), "jpeg", 224, 224},
		{"jpeg cmyk", readTestdata(t, "formats/cmyk.jpg"), "jpeg", 224, 224},
		{"webp lossy", readTestdata(t, "formats/lossy.webp"), "webp", 224, 224},
		{"webp lossless", readTestdata(t, "formats/lossless.webp"), "webp", 224, 224},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, format, err := DecodeBytes(tt.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if format != tt.format {
				t.Errorf("format %q, want %q", format, tt.format)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("size %v, want %d×%d", b, tt.w, tt.h)
			}
			// Decode from a reader gives the same.
			img2, _, err := Decode(bytes.NewReader(tt.data), nil)
			if err != nil || img2.Bounds() != img.Bounds() {
				t.Errorf("Decode: %v, %v", img2.Bounds(), err)
			}
		})
	}
}

// The CMYK JPEG decodes to the same colours as the RGB original.
func TestDecodeCMYKColours(t *testing.T) {
	rgb, _, err := DecodeBytes(readTestdata(t, "images/myntra_14064.jpg"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmyk, _, err := DecodeBytes(readTestdata(t, "formats/cmyk.jpg"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := Shrink(rgb, 64), Shrink(cmyk, 64)
	diff := 0
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		diff += d * d
	}
	if rms := float64(diff) / float64(len(a.Pix)); rms > 15*15 {
		t.Errorf("CMYK decode differs from RGB: mean squared difference %.0f", rms)
	}
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// right after the JPEG's SOI marker.
func withOrientation(jpg []byte, o uint16) []byte {
	var tiffHdr bytes.Buffer
	tiffHdr.WriteString("MM\x00\x2a")
	binary.Write(&tiffHdr, binary.BigEndian, uint32(8)) // IFD offset
	binary.Write(&tiffHdr, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiffHdr, binary.BigEndian, []uint16{0x0112, 3})
	binary.Write(&tiffHdr, binary.BigEndian, uint32(1))
	binary.Write(&tiffHdr, binary.BigEndian, []uint16{o, 0})
	binary.Write(&tiffHdr, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiffHdr.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestDecodeEXIFOrientation(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 64, 32)) // wide: red left, blue right
	for y := range 32 {
		for x := range 64 {
			c := color.NRGBA{220, 20, 20, 255}
			if x >= 32 {
				c = color.NRGBA{20, 20, 220, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	jpg := encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 95}) })
	img, _, err := DecodeBytes(withOrientation(jpg, 6), nil) // rotate 90° clockwise
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 64 {
		t.Fatalf("rotated size %v, want 32×64", b)
	}
	// Red (the left) is now on top.
	if r, _, bl, _ := img.At(16, 5).RGBA(); r < bl {
		t.Errorf("top pixel is not red after rotation: %v", img.At(16, 5))
	}
}

// pngHeader is a valid PNG signature + IHDR claiming w×h, with no data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// jpegHeader is SOI + a JFIF APP0 + a baseline SOF0 claiming w×h.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	return append(b, 0xff, 0xc0, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
}

// gifHeader is a GIF89a header with a logical screen of w×h.
func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0)
}

func TestDecodeErrors(t *testing.T) {
	big := sample()
	bigPNG := encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, big) })
	jpg := readTestdata(t, "images/myntra_14064.jpg")
	tests := []struct {
		name string
		data []byte
		lim  *Limits
		want error
	}{
		{"empty", nil, nil, ErrEmpty},
		{"text", []byte("this is not an image, it is a sentence"), nil, ErrFormat},
		{"random bytes", bytes.Repeat([]byte{0x13, 0x77, 0xa9, 0x02}, 300), nil, ErrFormat},
		{"truncated jpeg", jpg[:len(jpg)/2], nil, ErrCorrupt},
		{"truncated png", bigPNG[:len(bigPNG)-20], nil, ErrCorrupt},
		{"jpeg header only", jpg[:200], nil, ErrCorrupt},
		{"png bomb 100000²", pngHeader(100000, 100000), nil, ErrTooManyPx},
		{"png bomb 65535²", pngHeader(65535, 65535), nil, ErrTooManyPx},
		{"jpeg bomb 65535²", jpegHeader(65535, 65535), nil, ErrTooManyPx},
		{"gif bomb 65535²", gifHeader(65535, 65535), nil, ErrTooManyPx},
		{"over max pixels", bigPNG, &Limits{MaxPixels: 10}, ErrTooManyPx},
		{"over max bytes", bigPNG, &Limits{MaxBytes: 10}, ErrTooLarge},
		{"webp garbage", append([]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{0xff}, 40)...), nil, ErrCorrupt},
		{"png zero width", pngHeader(0, 10), nil, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := DecodeBytes(tt.data, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if img != nil {
				t.Error("image returned with an error")
			}
			_, _, err = Decode(bytes.NewReader(tt.data), tt.lim)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode: err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A bomb header is refused before any pixel buffer is allocated.
func TestDecodeBombAllocatesLittle(t *testing.T) {
	for _, data := range [][]byte{pngHeader(100000, 100000), jpegHeader(65535, 65535), gifHeader(65535, 65535)} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := DecodeBytes(data, nil)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooManyPx) {
			t.Fatalf("err = %v", err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("refusing a bomb header allocated %d bytes", n)
		}
	}
}

func TestReadImage(t *testing.T) {
	lim := &Limits{MaxBytes: 3 << 20}
	for _, n := range []int{0, 1, 3 << 20, 3<<20 + 1, 5 << 20} {
		data := bytes.Repeat([]byte{7}, n)
		f := filepath.Join(t.TempDir(), "x")
		os.WriteFile(f, data, 0o644)
		fh, _ := os.Open(f)
		fromFile, errFile := ReadImage(fh, lim)
		fh.Close()
		fromStream, errStream := ReadImage(bytes.NewBuffer(data), lim) // no Stat: chunked
		for _, c := range []struct {
			got []byte
			err error
		}{{fromFile, errFile}, {fromStream, errStream}} {
			if n > 3<<20 {
				if !errors.Is(c.err, ErrTooLarge) {
					t.Errorf("%d bytes: err = %v, want ErrTooLarge", n, c.err)
				}
				continue
			}
			if c.err != nil || !bytes.Equal(c.got, data) {
				t.Errorf("%d bytes: got %d bytes, %v", n, len(c.got), c.err)
			}
		}
	}
}
