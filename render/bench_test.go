package render

import (
	"fmt"
	"image/color"
	"testing"
)

// benchColors are five catalog-like shades.
var benchColors = []color.Color{
	color.RGBA{0x1f, 0x3a, 0x93, 0xff},
	color.RGBA{0xc8, 0x1e, 0x3c, 0xff},
	color.RGBA{0x8a, 0x8d, 0x91, 0xff},
	color.RGBA{0xf4, 0xc2, 0xc2, 0xff},
	color.RGBA{0x2e, 0x8b, 0x57, 0xff},
}

// BenchmarkPNG measures PNG for default-size swatches of 1 to 5 colours.
func BenchmarkPNG(b *testing.B) {
	for n := 1; n <= len(benchColors); n++ {
		b.Run(string(rune('0'+n)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PNG(benchColors[:n], DefaultSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPNG1024 measures PNG for the largest swatch, 1024×1024 px, of
// 5 colours (4 bits per pixel) and of 17 colours (8 bits per pixel).
func BenchmarkPNG1024(b *testing.B) {
	for _, n := range []int{5, 17} {
		cols := make([]color.Color, n)
		for i := range cols {
			cols[i] = color.RGBA{uint8(i * 15), uint8(255 - i*9), uint8(i * 40), 0xff}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PNG(cols, MaxSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
