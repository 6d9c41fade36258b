package quantize

import "math"

// linear maps an 8-bit sRGB component to linear light, at 1/4 steps for
// interpolation of the fractional means of grid cells.
var linear = func() (t [4*255 + 2]float64) {
	for i := range t {
		v := float64(i) / (4 * 255)
		if v <= 0.04045 {
			t[i] = v / 12.92
		} else {
			t[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return t
}()

func lin(v float64) float64 {
	x := v * 4
	i := int(x)
	if i >= len(linear)-1 {
		return linear[len(linear)-1]
	}
	f := x - float64(i)
	return linear[i] + f*(linear[i+1]-linear[i])
}

// lab converts an sRGB colour with components in 0–255 (fractions allowed)
// to CIELAB (D65, L 0–100). It agrees with go-colorful's conversion to
// within 0.01 (tested) and is several times faster.
func lab(r, g, b float64) vec {
	lr, lg, lb := lin(r), lin(g), lin(b)
	// sRGB D65 matrix, as go-colorful uses, then normalised by the white point
	x := (0.41239079926595948*lr + 0.35758433938387796*lg + 0.18048078840183429*lb) / 0.95047
	y := 0.21263900587151036*lr + 0.71516867876775593*lg + 0.072192315360733715*lb
	z := (0.019330818715591851*lr + 0.11919477979462599*lg + 0.95053215224966058*lb) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return vec{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func labF(t float64) float64 {
	if t > 6.0/29*6.0/29*6.0/29 {
		return math.Cbrt(t)
	}
	return t/3*29/6*29/6 + 4.0/29
}
