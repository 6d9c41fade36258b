package palette

import (
	"image"

	"github.com/palette-dev/palette/match"
)

// Person estimation. Most fashion photos show the product on a model, and
// the model's skin and hair are not the product's colours. On the analysis
// image in its palette colours, with the background set apart:
//
//   - a figure much wider than tall (figureMinAspect) shows no person;
//   - a photo shows a person only when a face shows: a small skin region in
//     the top part of the figure (faceTop) that is an upright oval, not a
//     strap (faceMinAspect); a belt, a bag or a shoe on its own has none;
//   - skin is a palette colour in the region of CIELAB where photographed
//     human skin falls, from light to dark skin (match.SkinLike); its pixels form
//     connected regions, and a region no larger than personMaxRegion of the
//     figure (the pixels that are not background) is part of a person: a
//     face, a neck, hands, arms or legs are each a small part of a catalog
//     shot, while a skin-toned garment is one large region;
//   - hair is a dark, weakly coloured region that touches a face (a skin
//     region in the top part of the figure) and lies mostly at or above the
//     face's middle, no larger than personMaxRegion either.
//
// A palette colour most of whose figure pixels are in person regions is a
// person colour: it is kept out of the product's shares and is offered to
// a name only as a last resort (see match.Candidate.Person).
const (
	// personMaxRegion is the largest share of the figure a connected skin
	// or hair region may cover to count as part of a person.
	personMaxRegion = 0.12
	// personMinRegion is the fewest pixels a skin region needs to count:
	// a few skin-toned pixels are as likely noise or a print.
	personMinRegion = 6
	// faceTop is the part of the figure's height, from its top, in which a
	// skin region starts to count as a face (for hair).
	faceTop = 0.4
	// hairMaxL and hairMaxC bound the CIELAB lightness and chroma of hair.
	hairMaxL = 38.0
	hairMaxC = 25.0
	// figureMinAspect is the least height over width of a figure that may
	// show a person: one or two people standing or sitting are not much
	// wider than tall.
	figureMinAspect = 0.8
	// faceMinAspect and faceMaxAspect bound the height over width of a
	// face (with its neck): an upright oval, not a strap or a belt.
	faceMinAspect = 0.7
	faceMaxAspect = 3.0
	// personMajority is the share of a palette colour's figure pixels that
	// must lie in person regions for the colour to be a person colour.
	personMajority = 0.5
	// regionJoin is the ΔE2000 within which two neighbouring pixels'
	// palette colours belong to one region: a face meets a salmon sweater
	// at the neck, and both may be skin-toned, but they are different
	// colours.
	regionJoin = 10.0
)

// person returns, for each palette index of q, the number of its pixels in
// person regions, and those pixels (row-major, width q.Rect.Dx(); nil when
// there are none). bgMask marks the background pixels the same way; nil
// means none.
func person(q *image.Paletted, labs []match.Lab, bgMask []bool) ([]int, []bool) {
	k := len(labs)
	inPerson := make([]int, k)
	w, h := q.Rect.Dx(), q.Rect.Dy()
	if w == 0 || h == 0 || k == 0 {
		return inPerson, nil
	}
	skin := make([]bool, k)
	dark := make([]bool, k)
	anySkin := false
	for c, l := range labs {
		skin[c] = match.SkinLike(l)
		dark[c] = !skin[c] && l.L <= hairMaxL && l.Chroma() <= hairMaxC
		anySkin = anySkin || skin[c]
	}
	if !anySkin {
		return inPerson, nil
	}
	near := make([]bool, k*k)
	for c, l := range labs {
		for d, m := range labs {
			near[c*k+d] = (skin[c] || dark[c]) && match.CIEDE2000(l, m) <= regionJoin
		}
	}
	// px is the palette index of each pixel, k for background and
	// transparent pixels: one flat array, so the loops below neither
	// divide nor ask the mask.
	px := make([]uint8, w*h)
	for y := range h {
		row := q.Pix[y*q.Stride : y*q.Stride+w]
		for x, c := range row {
			p := y*w + x
			if int(c) >= k || bgMask != nil && bgMask[p] {
				c = uint8(k)
			}
			px[p] = c
		}
	}
	idx := func(p int) int { return int(px[p]) }

	// The figure: every pixel that is not background, and its extent. A
	// figure much wider than tall is an object on its own (a belt, a bag,
	// a pair of shoes), not a person.
	figure, top, bottom, left, right := 0, h, -1, w, -1
	for y := range h {
		for x, c := range px[y*w : y*w+w] {
			if int(c) < k {
				figure++
				top, bottom = min(top, y), max(bottom, y)
				left, right = min(left, x), max(right, x)
			}
		}
	}
	if figure == 0 || float64(bottom-top+1) < figureMinAspect*float64(right-left+1) {
		return inPerson, nil
	}
	maxRegion := int(personMaxRegion * float64(figure))
	faceLimit := top + int(faceTop*float64(bottom-top+1))

	// Connected regions of skin pixels, then of dark pixels.
	region := make([]int32, w*h) // 0: none; >0: region id
	type info struct {
		n, minY, maxY, minX, maxX, sumY int
		skin                            bool
	}
	infos := []info{{}}
	stack := []int{}
	grow := func(start int, want []bool, id int32) info {
		in := info{minY: h, minX: w, maxY: -1, maxX: -1}
		stack = append(stack[:0], start)
		region[start] = id
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			y := p / w
			in.n++
			in.sumY += y
			x, cp := p%w, idx(p)
			in.minY, in.maxY = min(in.minY, y), max(in.maxY, y)
			in.minX, in.maxX = min(in.minX, x), max(in.maxX, x)
			for _, nb := range [4]int{p - 1, p + 1, p - w, p + w} {
				switch {
				case nb < 0 || nb >= w*h, region[nb] != 0:
					continue
				case (nb == p-1 && x == 0) || (nb == p+1 && x == w-1):
					continue
				}
				if c := idx(nb); c < k && want[c] && near[cp*k+c] {
					region[nb] = id
					stack = append(stack, nb)
				}
			}
		}
		return in
	}
	regions := func(want []bool, isSkin bool) {
		for p := range w * h {
			if c := idx(p); c < k && region[p] == 0 && want[c] {
				in := grow(p, want, int32(len(infos)))
				in.skin = isSkin
				infos = append(infos, in)
			}
		}
	}

	// Which regions are a person's: small skin regions, once a face shows
	// there is a person at all (a small skin region in the top part).
	regions(skin, true)
	isPerson := make([]bool, len(infos))
	face := false
	for id, in := range infos[1:] {
		isPerson[id+1] = in.skin && in.n >= personMinRegion && in.n <= maxRegion
		face = face || isPerson[id+1] && in.minY <= faceLimit && faceShaped(in.maxY-in.minY+1, in.maxX-in.minX+1)
	}
	if !face {
		return inPerson, nil
	}
	regions(dark, false)
	isPerson = append(isPerson, make([]bool, len(infos)-len(isPerson))...)
	// Hair: a dark region touching a face, mostly at or above its middle.
	touches := map[[2]int32]bool{}
	for p := range w * h {
		a := region[p]
		if a == 0 {
			continue
		}
		if x := p % w; x+1 < w {
			if b := region[p+1]; b != 0 && b != a {
				touches[[2]int32{min(a, b), max(a, b)}] = true
			}
		}
		if p+w < w*h {
			if b := region[p+w]; b != 0 && b != a {
				touches[[2]int32{min(a, b), max(a, b)}] = true
			}
		}
	}
	for pair := range touches {
		for _, ab := range [2][2]int32{pair, {pair[1], pair[0]}} {
			face, hair := infos[ab[0]], infos[ab[1]]
			if !isPerson[ab[0]] || !face.skin || face.minY > faceLimit || hair.skin || hair.n > maxRegion {
				continue
			}
			if hair.sumY/hair.n <= face.sumY/face.n {
				isPerson[ab[1]] = true
			}
		}
	}

	var mask []bool
	for p := range w * h {
		if id := region[p]; id != 0 && isPerson[id] {
			if mask == nil {
				mask = make([]bool, w*h)
			}
			mask[p] = true
			inPerson[idx(p)]++
		}
	}
	return inPerson, mask
}

// faceShaped reports whether a region of h×w pixels has the proportions of
// a face.
func faceShaped(h, w int) bool {
	r := float64(h) / float64(w)
	return r >= faceMinAspect && r <= faceMaxAspect
}
