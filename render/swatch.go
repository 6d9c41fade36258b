// Package render draws colour swatches and encodes them as minimal PNGs.
//
// A swatch is a square image that shows one to N colours side by side (see
// Swatch for the layouts). Encode writes any paletted image as the smallest
// PNG its search finds: colour type 3 at the smallest bit depth, a palette
// of only the colours used, no ancillary chunk but a trimmed tRNS when a
// colour is translucent, and one IDAT chunk.
//
// The image data is compressed by this package's own DEFLATE encoder. For
// each filter strategy (each of the five PNG filter types on every row, and
// the PNG specification's per-row heuristic) it makes an LZ77 parse that
// always tries distance 1 (runs) and the row stride (repeated rows) besides
// hash chains, and codes it in the cheapest of stored, fixed-Huffman and
// optimal dynamic-Huffman blocks; the smallest result wins. On inputs of
// 2 KiB or more the best strategies are then re-parsed by dynamic
// programming under the costs of their codes. A 40×40 swatch of one colour
// is 83 bytes, the smallest PNG of it there is.
//
// Output is deterministic: the same image gives the same bytes on every run
// and platform. Nothing depends on map order, time or floating-point
// rounding, and compress/flate, whose output may change between Go
// releases, is not used.
package render

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// Swatch sizes, in pixels per side.
const (
	DefaultSize = 40   // size used when Swatch or PNG is given size 0
	MinSize     = 8    // smallest accepted size
	MaxSize     = 1024 // largest accepted size
)

// MaxColors is the most colours a swatch can show. A swatch also never shows
// more colours than it is pixels wide, so that every stripe is at least one
// pixel wide.
const MaxColors = 256

// Errors returned by Swatch and PNG. They are wrapped with the offending
// value; test for them with errors.Is.
var (
	ErrSize          = errors.New("render: size out of range")
	ErrNoColors      = errors.New("render: no colours")
	ErrTooManyColors = errors.New("render: too many colours")
	ErrNilColor      = errors.New("render: nil colour")
)

// Swatch returns a size×size paletted image showing colors in the layout for
// len(colors):
//
//   - 1: one solid square;
//   - 2: left and right halves (a vertical split);
//   - 3: three vertical thirds, left to right;
//   - 4: 2×2 quadrants in reading order (top left, top right, bottom left,
//     bottom right);
//   - 5 or more: vertical stripes of (near) equal width, left to right.
//
// Size is in pixels per side, from MinSize to MaxSize; 0 means DefaultSize.
// Other sizes return an error wrapping ErrSize.
//
// When size does not divide evenly, boundary i (of n parts along an axis)
// is at pixel floor(i*size/n): part widths differ by at most one pixel and
// the wider parts fall in a fixed pattern that always includes the last part
// (40 px in thirds is 13, 13, 14; 41 px in halves is 20, 21). Quadrants use
// the same rule on both axes.
//
// The palette is the distinct colours in order of first appearance in
// colors, as given; equal colours (equal RGBA values) share one palette
// index: {red, blue, red} gives the palette {red, blue} and thirds of
// indices 0, 1, 0. colors must hold 1 to min(MaxColors, size) non-nil
// colours: none returns ErrNoColors, too many ErrTooManyColors, a nil one
// ErrNilColor.
//
// Swatch does not modify colors and is safe for concurrent use.
func Swatch(colors []color.Color, size int) (*image.Paletted, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("%w: %d (want %d to %d)", ErrSize, size, MinSize, MaxSize)
	}
	n := len(colors)
	if n == 0 {
		return nil, ErrNoColors
	}
	if n > MaxColors || n > size {
		return nil, fmt.Errorf("%w: %d (at most %d for size %d)", ErrTooManyColors, n, min(MaxColors, size), size)
	}

	// index[i] is the palette index of colors[i].
	pal := make(color.Palette, 0, n)
	type rgba struct{ r, g, b, a uint32 }
	keys := make([]rgba, 0, n)
	index := make([]uint8, n)
	for i, c := range colors {
		if c == nil {
			return nil, fmt.Errorf("%w: colors[%d]", ErrNilColor, i)
		}
		var k rgba
		k.r, k.g, k.b, k.a = c.RGBA()
		j := 0
		for j < len(keys) && keys[j] != k {
			j++
		}
		if j == len(keys) {
			keys = append(keys, k)
			pal = append(pal, c)
		}
		index[i] = uint8(j)
	}

	m := image.NewPaletted(image.Rect(0, 0, size, size), pal)
	switch n {
	case 4:
		half := size / 2
		fillRow(m.Pix[:size], []uint8{index[0], index[1]})
		fillRow(m.Pix[half*size:(half+1)*size], []uint8{index[2], index[3]})
		copyRows(m.Pix[:half*size], size)
		copyRows(m.Pix[half*size:], size)
	default: // 1, 2, 3 and stripes: every row is the same.
		fillRow(m.Pix[:size], index)
		copyRows(m.Pix, size)
	}
	return m, nil
}

// fillRow splits row into len(idx) parts, part i running from pixel
// floor(i*len(row)/len(idx)) up to the next boundary, and fills part i with
// idx[i].
func fillRow(row []uint8, idx []uint8) {
	w, n := len(row), len(idx)
	for i, v := range idx {
		lo, hi := i*w/n, (i+1)*w/n
		for x := lo; x < hi; x++ {
			row[x] = v
		}
	}
}

// copyRows copies the first row of pix (rows of width w) into every other
// row.
func copyRows(pix []uint8, w int) {
	for off := w; off < len(pix); off += w {
		copy(pix[off:off+w], pix[:w])
	}
}

// PNG returns the PNG encoding (see Encode) of Swatch(colors, size). It
// returns the same errors as Swatch. It is safe for concurrent use.
func PNG(colors []color.Color, size int) ([]byte, error) {
	m, err := Swatch(colors, size)
	if err != nil {
		return nil, err
	}
	e := getEncoder()
	defer putEncoder(e)
	b, err := e.encode(m)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}
