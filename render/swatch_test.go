package render

import (
	"errors"
	"image/color"
	"strings"
	"testing"
)

var (
	red    = color.RGBA{0xd0, 0x20, 0x20, 0xff}
	green  = color.RGBA{0x20, 0xa0, 0x40, 0xff}
	blue   = color.RGBA{0x20, 0x40, 0xc0, 0xff}
	yellow = color.RGBA{0xf0, 0xd0, 0x30, 0xff}
	black  = color.RGBA{0x10, 0x10, 0x10, 0xff}
	white  = color.RGBA{0xfa, 0xfa, 0xf8, 0xff}
	pink   = color.RGBA{0xf4, 0xc2, 0xc2, 0xff}
	grey   = color.RGBA{0x8a, 0x8d, 0x91, 0xff}
	rgb9   = []color.Color{red, green, blue, yellow, black, white, pink, grey, color.RGBA{0x70, 0x30, 0x10, 0xff}}
)

// rows renders m's pixel indices as one string of digits per row.
func rows(m interface {
	ColorIndexAt(x, y int) uint8
}, size int) []string {
	var out []string
	for y := range size {
		var b strings.Builder
		for x := range size {
			b.WriteByte("0123456789abcdefghijklmnopqrstuvwxyz"[m.ColorIndexAt(x, y)%36])
		}
		out = append(out, b.String())
	}
	return out
}

func TestSwatchLayout(t *testing.T) {
	tests := []struct {
		name   string
		colors []color.Color
		size   int
		want   []string // rows; a single row stands for every row
	}{
		{"1 solid", rgb9[:1], 8, []string{"00000000"}},
		{"2 halves", rgb9[:2], 8, []string{"00001111"}},
		{"2 halves odd", rgb9[:2], 9, []string{"000011111"}},
		{"3 thirds", rgb9[:3], 8, []string{"00111222"}},
		{"3 thirds 9", rgb9[:3], 9, []string{"000111222"}},
		{"4 quadrants", rgb9[:4], 8, []string{
			"00001111", "00001111", "00001111", "00001111",
			"22223333", "22223333", "22223333", "22223333",
		}},
		{"4 quadrants odd", rgb9[:4], 9, []string{
			"000011111", "000011111", "000011111", "000011111",
			"222233333", "222233333", "222233333", "222233333", "222233333",
		}},
		{"5 stripes", rgb9[:5], 8, []string{"01123344"}},
		{"6 stripes", rgb9[:6], 8, []string{"01223455"}},
		{"8 stripes", rgb9[:8], 8, []string{"01234567"}},
		{"duplicates share an index", []color.Color{red, blue, red}, 8, []string{"00111000"}},
		{"duplicate quadrants", []color.Color{red, blue, blue, red}, 8, []string{
			"00001111", "00001111", "00001111", "00001111",
			"11110000", "11110000", "11110000", "11110000",
		}},
		{"equal colours of different types", []color.Color{red, color.NRGBA{0xd0, 0x20, 0x20, 0xff}}, 8, []string{"00000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Swatch(tt.colors, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Bounds(); got.Min.X != 0 || got.Min.Y != 0 || got.Dx() != tt.size || got.Dy() != tt.size {
				t.Fatalf("bounds %v, want %dx%d at the origin", got, tt.size, tt.size)
			}
			got := rows(m, tt.size)
			for y := range tt.size {
				want := tt.want[0]
				if len(tt.want) > 1 {
					want = tt.want[y]
				}
				if got[y] != want {
					t.Errorf("row %d = %s, want %s", y, got[y], want)
				}
			}
		})
	}
}

func TestSwatchWidths(t *testing.T) {
	// Part widths along a side of size px: floor(i*size/n) boundaries.
	tests := []struct {
		n, size int
		want    []int
	}{
		{3, 40, []int{13, 13, 14}},
		{2, 41, []int{20, 21}},
		{5, 40, []int{8, 8, 8, 8, 8}},
		{7, 40, []int{5, 6, 6, 5, 6, 6, 6}},
		{6, 1024, []int{170, 171, 171, 170, 171, 171}},
		{1, 1024, []int{1024}},
	}
	cols := make([]color.Color, 0, 256)
	for i := range 256 {
		cols = append(cols, color.NRGBA{uint8(i), uint8(255 - i), 0x80, 0xff})
	}
	for _, tt := range tests {
		m, err := Swatch(cols[:tt.n], tt.size)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for x := 0; x < tt.size; {
			w := 1
			for x+w < tt.size && m.ColorIndexAt(x+w, 0) == m.ColorIndexAt(x, 0) {
				w++
			}
			if int(m.ColorIndexAt(x, 0)) != len(got) {
				t.Fatalf("%d colours at %d: part %d has index %d", tt.n, tt.size, len(got), m.ColorIndexAt(x, 0))
			}
			got = append(got, w)
			x += w
		}
		if !equalInts(got, tt.want) {
			t.Errorf("%d colours at %d: widths %v, want %v", tt.n, tt.size, got, tt.want)
		}
		if tt.n == 1 {
			continue
		}
		// Every row is the same (stripes and halves).
		for y := 1; y < tt.size; y++ {
			if string(m.Pix[y*m.Stride:y*m.Stride+tt.size]) != string(m.Pix[:tt.size]) {
				t.Fatalf("%d colours at %d: row %d differs from row 0", tt.n, tt.size, y)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSwatchPalette(t *testing.T) {
	in := []color.Color{blue, red, blue, green, red}
	m, err := Swatch(in, 16)
	if err != nil {
		t.Fatal(err)
	}
	want := []color.Color{blue, red, green}
	if len(m.Palette) != len(want) {
		t.Fatalf("palette has %d colours, want %d", len(m.Palette), len(want))
	}
	for i, c := range want {
		if m.Palette[i] != c {
			t.Errorf("palette[%d] = %v, want %v", i, m.Palette[i], c)
		}
	}
	if in[0] != blue || in[4] != red || len(in) != 5 {
		t.Error("Swatch modified its argument")
	}
}

func TestSwatchDefaultSize(t *testing.T) {
	m, err := Swatch(rgb9[:1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounds().Dx() != DefaultSize || m.Bounds().Dy() != DefaultSize {
		t.Errorf("size 0 gave %v, want %dx%d", m.Bounds(), DefaultSize, DefaultSize)
	}
}

func TestSwatchErrors(t *testing.T) {
	many := make([]color.Color, 257)
	for i := range many {
		many[i] = color.Gray16{uint16(i * 200)}
	}
	tests := []struct {
		name   string
		colors []color.Color
		size   int
		want   error
	}{
		{"size 7", rgb9[:1], 7, ErrSize},
		{"size 1025", rgb9[:1], 1025, ErrSize},
		{"negative size", rgb9[:1], -40, ErrSize},
		{"no colours", nil, 40, ErrNoColors},
		{"empty colours", []color.Color{}, 40, ErrNoColors},
		{"more colours than pixels", rgb9[:9], 8, ErrTooManyColors},
		{"more than MaxColors", many, 1024, ErrTooManyColors},
		{"nil colour", []color.Color{red, nil}, 40, ErrNilColor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Swatch(tt.colors, tt.size)
			if !errors.Is(err, tt.want) || m != nil {
				t.Errorf("Swatch: %v, %v; want error %v", m, err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "render: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			b, err := PNG(tt.colors, tt.size)
			if !errors.Is(err, tt.want) || b != nil {
				t.Errorf("PNG: %d bytes, %v; want error %v", len(b), err, tt.want)
			}
		})
	}
	// The limits themselves are accepted.
	for _, size := range []int{MinSize, MaxSize} {
		if _, err := Swatch(rgb9[:1], size); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
	}
	if _, err := Swatch(rgb9[:8], 8); err != nil {
		t.Errorf("8 colours at size 8: %v", err)
	}
	if _, err := Swatch(many[:256], 1024); err != nil {
		t.Errorf("256 colours at size 1024: %v", err)
	}
}
