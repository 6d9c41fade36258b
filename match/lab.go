// Package match chooses, for each catalog colour name, the photo colour that
// shows it: CIELAB conversion, ΔE metrics, the assignment of candidate colours
// to names, and a confidence for every pick.
//
// All ΔE values are on the standard CIE scale (L* from 0 to 100). The sRGB to
// Lab conversion comes from go-colorful, whose Lab has L in 0–1; this package
// rescales at the boundary so nothing else has to. The ΔE formulas work on Lab
// values directly (go-colorful's take sRGB colours), and are checked against
// the published CIEDE2000 reference data.
package match

import (
	"image/color"
	"math"

	colorful "github.com/lucasb-eyer/go-colorful"
)

// Lab is a CIELAB colour (D65 white) on the standard scale: L from 0 to 100,
// a and b roughly -128 to 127.
type Lab struct {
	L, A, B float64
}

// ToLab converts an sRGB colour to Lab. The alpha channel is ignored: the
// colour is taken at full opacity.
func ToLab(c color.Color) Lab {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return LabOf(n.R, n.G, n.B)
}

// LabOf converts 8-bit sRGB components to Lab.
func LabOf(r, g, b uint8) Lab {
	l, a, bb := colorful.Color{
		R: float64(r) / 255,
		G: float64(g) / 255,
		B: float64(b) / 255,
	}.Lab()
	return Lab{L: l * 100, A: a * 100, B: bb * 100}
}

// RGB converts l back to an opaque sRGB colour, clamped to the gamut.
func (l Lab) RGB() color.NRGBA {
	c := colorful.Lab(l.L/100, l.A/100, l.B/100).Clamped()
	r, g, b := c.RGB255()
	return color.NRGBA{R: r, G: g, B: b, A: 255}
}

// Chroma is the colourfulness of l: its distance from the grey axis.
func (l Lab) Chroma() float64 {
	return math.Hypot(l.A, l.B)
}

// Metric is a colour difference on the standard ΔE scale, taking a as the
// reference. Metrics are pure functions, safe for concurrent use.
type Metric func(a, b Lab) float64

// CIE76 is the Euclidean distance in Lab (ΔE*ab, 1976).
func CIE76(a, b Lab) float64 {
	dl, da, db := a.L-b.L, a.A-b.A, a.B-b.B
	return math.Sqrt(dl*dl + da*da + db*db)
}

// CIE94 is ΔE*94 with the graphic-arts weights (kL=1, K1=0.045, K2=0.015),
// taking a as the reference colour.
func CIE94(a, b Lab) float64 {
	c1, c2 := a.Chroma(), b.Chroma()
	dl, dc := a.L-b.L, c1-c2
	da, db := a.A-b.A, a.B-b.B
	dh2 := da*da + db*db - dc*dc
	if dh2 < 0 {
		dh2 = 0
	}
	sc := 1 + 0.045*c1
	sh := 1 + 0.015*c1
	return math.Sqrt(dl*dl + (dc/sc)*(dc/sc) + dh2/(sh*sh))
}

// CIEDE2000 is ΔE00 (kL = kC = kH = 1), the default metric: of the three,
// the closest to how people judge the difference between similar colours.
// It is symmetric.
func CIEDE2000(x, y Lab) float64 { return ciede2000(x, y, 1) }

// CIEDE2000Textile is ΔE00 with the lightness weight of the textile
// industry (kL = 2): a difference in lightness counts half, as shading and
// texture change the lightness of a fabric far more than its hue.
func CIEDE2000Textile(x, y Lab) float64 { return ciede2000(x, y, 2) }

// Where the garment metric counts lightness fully: a name's prototype
// shade of chroma C* at most NeutralChroma and lightness L* between
// DarkLightness+GarmentRamp and LightLightness is compared with kL = 1; one
// of C* at least NeutralChroma+GarmentRamp, of L* at most DarkLightness or
// at least LightLightness+GarmentRamp with kL = 2; in between kL moves
// smoothly (a smoothstep over GarmentRamp).
const (
	NeutralChroma  = 8.0
	DarkLightness  = 25.0
	LightLightness = 80.0
	GarmentRamp    = 12.0
)

// CIEDE2000Garment is ΔE00 from a name's prototype shade x to a photo's
// colour y, with the textile lightness weight (kL = 2) except where
// lightness is what tells a colour from its neighbours. Shading changes the
// lightness of a fabric far more than its hue, so for a chromatic colour a
// lightness difference counts half, as in the textile industry. But greys
// differ from each other and from white and black in nothing but
// lightness, and have neighbours on both sides: a region much lighter or
// darker than a grey is as likely another material (a white print, a black
// trim) as shading. For a near-neutral prototype of middle lightness (grey,
// silver, steel, charcoal greys) lightness counts fully (kL = 1), and a
// large near-white region no longer passes for a grey or steel product.
// The ends of the scale keep kL = 2: a white or off-white fabric can only
// read darker than its dye, in its shadows, and a black one only lighter,
// from sheen and exposure. It is not symmetric: x must be the prototype. It
// is the default metric for choosing.
func CIEDE2000Garment(x, y Lab) float64 {
	neutral := (1 - ramp(x.Chroma(), NeutralChroma)) * ramp(x.L, DarkLightness) * (1 - ramp(x.L, LightLightness))
	return ciede2000(x, y, 2-neutral)
}

// ramp is 0 at or below lo, 1 at or above lo+GarmentRamp, and smooth (a
// cubic smoothstep) in between.
func ramp(v, lo float64) float64 {
	t := (v - lo) / GarmentRamp
	switch {
	case t <= 0:
		return 0
	case t >= 1:
		return 1
	}
	return t * t * (3 - 2*t)
}

func ciede2000(x, y Lab, kl float64) float64 {
	const deg = math.Pi / 180
	c1, c2 := x.Chroma(), y.Chroma()
	cm := (c1 + c2) / 2
	cm7 := math.Pow(cm, 7)
	g := 0.5 * (1 - math.Sqrt(cm7/(cm7+6103515625))) // 25^7
	a1, a2 := (1+g)*x.A, (1+g)*y.A
	c1p, c2p := math.Hypot(a1, x.B), math.Hypot(a2, y.B)
	h1p, h2p := hueAngle(x.B, a1), hueAngle(y.B, a2)

	dlp := y.L - x.L
	dcp := c2p - c1p
	var dhp float64
	if c1p*c2p != 0 {
		dhp = h2p - h1p
		switch {
		case dhp > 180:
			dhp -= 360
		case dhp < -180:
			dhp += 360
		}
	}
	dHp := 2 * math.Sqrt(c1p*c2p) * math.Sin(dhp/2*deg)

	lm := (x.L + y.L) / 2
	cmp := (c1p + c2p) / 2
	hm := h1p + h2p
	if c1p*c2p != 0 {
		switch {
		case math.Abs(h1p-h2p) <= 180:
			hm /= 2
		case h1p+h2p < 360:
			hm = (hm + 360) / 2
		default:
			hm = (hm - 360) / 2
		}
	}
	t := 1 - 0.17*math.Cos((hm-30)*deg) + 0.24*math.Cos(2*hm*deg) +
		0.32*math.Cos((3*hm+6)*deg) - 0.20*math.Cos((4*hm-63)*deg)
	dTheta := 30 * math.Exp(-((hm-275)/25)*((hm-275)/25))
	cmp7 := math.Pow(cmp, 7)
	rc := 2 * math.Sqrt(cmp7/(cmp7+6103515625))
	l50 := (lm - 50) * (lm - 50)
	sl := 1 + 0.015*l50/math.Sqrt(20+l50)
	sc := 1 + 0.045*cmp
	sh := 1 + 0.015*cmp*t
	rt := -math.Sin(2*dTheta*deg) * rc

	vl, vc, vh := dlp/(kl*sl), dcp/sc, dHp/sh
	return math.Sqrt(vl*vl + vc*vc + vh*vh + rt*vc*vh)
}

// hueAngle is atan2(b, a) in degrees within [0, 360).
func hueAngle(b, a float64) float64 {
	if a == 0 && b == 0 {
		return 0
	}
	h := math.Atan2(b, a) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h
}

// SkinLike reports whether l lies in the region of CIELAB where
// photographed human skin falls, light to dark: hue angle 30°–80°, chroma
// 8 to 50, L* 25 to 92. Tan, camel, peach and some browns fall there too,
// so it only ever says "could be skin".
func SkinLike(l Lab) bool {
	h := math.Atan2(l.B, l.A) * 180 / math.Pi
	c := l.Chroma()
	return h >= 30 && h <= 80 && c >= 8 && c <= 50 && l.L >= 25 && l.L <= 92
}
