package palette

import (
	"image"

	"github.com/palette-dev/palette/match"
)

// Background estimation. A catalog photo's background is the region that
// touches the edges of the frame in one dominant colour (with its shading):
// we take the most frequent palette colour on the border, widen it to the
// palette colours close to it, and flood-fill from the border through pixels
// of those colours. A palette colour most of whose pixels fall in that region
// is background.
const (
	// bgBorderShare is the share of the border pixels the dominant border
	// colour must cover to be taken as a background at all.
	bgBorderShare = 0.3
	// bgSimilar is the ΔE00 within which another palette colour counts as a
	// shade of the background (shadows, gradients, JPEG noise).
	bgSimilar = 8.0
	// bgMajority is the share of a palette colour's pixels that must lie in
	// the background region for that colour to be background.
	bgMajority = 0.5
	// bgMinProduct is the share of the pixels that must remain outside the
	// background; with less, the whole frame is taken as the product.
	bgMinProduct = 0.02
)

// background returns, for each palette index of q, the number of its pixels
// in the background region, and the region itself (row-major, width
// q.Rect.Dx(); nil when there is none).
func background(q *image.Paletted, labs []match.Lab) ([]int, []bool) {
	k := len(labs)
	inBg := make([]int, k)
	b := q.Rect
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 || k == 0 {
		return inBg, nil
	}
	border := make([]int, k)
	total := 0
	edge := func(fn func(i int)) {
		for x := range w {
			fn(x)
			if h > 1 {
				fn((h-1)*q.Stride + x)
			}
		}
		for y := 1; y < h-1; y++ {
			fn(y * q.Stride)
			if w > 1 {
				fn(y*q.Stride + w - 1)
			}
		}
	}
	edge(func(i int) {
		if c := int(q.Pix[i]); c < k {
			border[c]++
			total++
		}
	})
	if total == 0 {
		return inBg, nil // transparent border: the alpha channel already cut the product out
	}
	dom := 0
	for c, n := range border {
		if n > border[dom] {
			dom = c
		}
	}
	if float64(border[dom]) < bgBorderShare*float64(total) {
		return inBg, nil // no dominant border colour: the product fills the frame
	}
	isBg := make([]bool, k)
	for c := range k {
		isBg[c] = match.CIEDE2000(labs[dom], labs[c]) <= bgSimilar
	}

	seen := make([]bool, w*h)
	stack := make([]int, 0, 2*(w+h))
	push := func(x, y int) {
		p := y*w + x
		if seen[p] {
			return
		}
		c := int(q.Pix[y*q.Stride+x])
		if c >= k || !isBg[c] {
			return
		}
		seen[p] = true
		inBg[c]++
		stack = append(stack, p)
	}
	for x := range w {
		push(x, 0)
		push(x, h-1)
	}
	for y := range h {
		push(0, y)
		push(w-1, y)
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := p%w, p/w
		if x > 0 {
			push(x-1, y)
		}
		if x < w-1 {
			push(x+1, y)
		}
		if y > 0 {
			push(x, y-1)
		}
		if y < h-1 {
			push(x, y+1)
		}
	}
	return inBg, seen
}
