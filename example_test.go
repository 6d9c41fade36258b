package palette_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/palette-dev/palette"
)

func Example() {
	// A navy product with a red panel, on a white background.
	img := image.NewNRGBA(image.Rect(0, 0, 60, 60))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(10, 10, 50, 50), image.NewUniform(color.NRGBA{24, 34, 80, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(20, 20, 40, 30), image.NewUniform(color.NRGBA{200, 24, 36, 255}), image.Point{}, draw.Src)

	res, err := palette.Generate(context.Background(), img, []string{"Navy Blue", "Red"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Picks {
		fmt.Printf("%s %s share %.2f low confidence %v\n", p.Name, p.Hex, p.Share, p.LowConfidence)
	}
	fmt.Println(len(res.Swatch) < 100, "bytes of PNG")
	// Output:
	// Navy Blue #182250 share 0.88 low confidence false
	// Red #c81824 share 0.12 low confidence false
	// true bytes of PNG
}
