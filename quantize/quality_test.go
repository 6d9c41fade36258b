package quantize

import (
	"image"
	"math"

	"github.com/palette-dev/palette/match"
)

// MeanDeltaE is the fidelity of a palette to the image it was built from:
// the mean ΔE2000 between each opaque pixel and the palette colour nearest
// to it in Lab.
func MeanDeltaE(m *image.NRGBA, r *Result) float64 {
	pal := make([]match.Lab, len(r.Colors))
	for i, c := range r.Colors {
		pal[i] = match.ToLab(c.Color)
	}
	memo := map[[3]uint8]float64{}
	sum, n := 0.0, 0
	for i := 0; i+3 < len(m.Pix); i += 4 {
		if m.Pix[i+3] < OpaqueAlpha {
			continue
		}
		k := [3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]}
		d, ok := memo[k]
		if !ok {
			l := match.LabOf(k[0], k[1], k[2])
			best, bd := 0, math.Inf(1)
			for j, p := range pal {
				if x := match.CIE76(l, p); x < bd {
					best, bd = j, x
				}
			}
			d = match.CIEDE2000(l, pal[best])
			memo[k] = d
		}
		sum += d
		n++
	}
	return sum / float64(n)
}
