package quantize_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/palette-dev/palette/quantize"
)

func ExampleQuantizer_Histogram() {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 1))
	m.SetNRGBA(0, 0, color.NRGBA{200, 20, 40, 255})
	m.SetNRGBA(1, 0, color.NRGBA{20, 30, 80, 255})
	m.SetNRGBA(2, 0, color.NRGBA{20, 30, 80, 255})
	m.SetNRGBA(3, 0, color.NRGBA{}) // transparent: not counted

	r := (&quantize.Quantizer{Colors: 16}).Histogram(m)
	for i, c := range r.Colors {
		fmt.Printf("%v %d %.2f\n", c.Color, c.Count, r.Share(i))
	}
	// Output:
	// {20 30 80 255} 2 0.67
	// {200 20 40 255} 1 0.33
}
