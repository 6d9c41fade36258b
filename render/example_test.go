package render_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"log"

	"github.com/palette-dev/palette/render"
)

func ExamplePNG() {
	navy := color.RGBA{0x1f, 0x2a, 0x44, 0xff}
	pink := color.RGBA{0xf4, 0xc2, 0xc2, 0xff}
	for _, colors := range [][]color.Color{{navy}, {navy, pink}} {
		b, err := render.PNG(colors, render.DefaultSize)
		if err != nil {
			log.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			log.Fatal(err)
		}
		r, g, bl, _ := m.At(0, 0).RGBA()
		fmt.Printf("%d colour(s): %d bytes, %dx%d, first pixel #%02x%02x%02x\n",
			len(colors), len(b), m.Bounds().Dx(), m.Bounds().Dy(), r>>8, g>>8, bl>>8)
	}
	// Output:
	// 1 colour(s): 83 bytes, 40x40, first pixel #1f2a44
	// 2 colour(s): 91 bytes, 40x40, first pixel #1f2a44
}

func ExampleSwatch() {
	red := color.RGBA{0xc8, 0x1e, 0x3c, 0xff}
	grey := color.RGBA{0x8a, 0x8d, 0x91, 0xff}
	m, err := render.Swatch([]color.Color{red, grey, red}, 8)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m.Palette), "palette colours")
	for x := range 8 {
		fmt.Print(m.ColorIndexAt(x, 0))
	}
	fmt.Println()
	// Output:
	// 2 palette colours
	// 00111000
}
