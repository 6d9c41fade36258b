package match

import (
	"image/color"
	"math"
	"testing"

	colorful "github.com/lucasb-eyer/go-colorful"
)

// The CIEDE2000 test data of Sharma, Wu and Dalal (2005), "The CIEDE2000
// color-difference formula: implementation notes, supplementary test data,
// and mathematical observations".
var sharma = []struct {
	a, b Lab
	de   float64
}{
	{Lab{50, 2.6772, -79.7751}, Lab{50, 0, -82.7485}, 2.0425},
	{Lab{50, 3.1571, -77.2803}, Lab{50, 0, -82.7485}, 2.8615},
	{Lab{50, 2.8361, -74.0200}, Lab{50, 0, -82.7485}, 3.4412},
	{Lab{50, -1.3802, -84.2814}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, -1.1848, -84.8006}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, -0.9009, -85.5211}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, 0, 0}, Lab{50, -1, 2}, 2.3669},
	{Lab{50, -1, 2}, Lab{50, 0, 0}, 2.3669},
	{Lab{50, 2.49, -0.001}, Lab{50, -2.49, 0.0009}, 7.1792},
	{Lab{50, 2.49, -0.001}, Lab{50, -2.49, 0.0010}, 7.1792},
	{Lab{50, 2.49, -0.001}, Lab{50, -2.49, 0.0011}, 7.2195},
	{Lab{50, 2.49, -0.001}, Lab{50, -2.49, 0.0012}, 7.2195},
	{Lab{50, -0.001, 2.49}, Lab{50, 0.0009, -2.49}, 4.8045},
	{Lab{50, -0.001, 2.49}, Lab{50, 0.0010, -2.49}, 4.8045},
	{Lab{50, -0.001, 2.49}, Lab{50, 0.0011, -2.49}, 4.7461},
	{Lab{50, 2.5, 0}, Lab{50, 0, -2.5}, 4.3065},
	{Lab{50, 2.5, 0}, Lab{73, 25, -18}, 27.1492},
	{Lab{50, 2.5, 0}, Lab{61, -5, 29}, 22.8977},
	{Lab{50, 2.5, 0}, Lab{56, -27, -3}, 31.9030},
	{Lab{50, 2.5, 0}, Lab{58, 24, 15}, 19.4535},
	{Lab{50, 2.5, 0}, Lab{50, 3.1736, 0.5854}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 3.2972, 0}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 1.8634, 0.5757}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 3.2592, 0.3350}, 1.0000},
	{Lab{60.2574, -34.0099, 36.2677}, Lab{60.4626, -34.1751, 39.4387}, 1.2644},
	{Lab{63.0109, -31.0961, -5.8663}, Lab{62.8187, -29.7946, -4.0864}, 1.2630},
	{Lab{61.2901, 3.7196, -5.3901}, Lab{61.4292, 2.2480, -4.9620}, 1.8731},
	{Lab{35.0831, -44.1164, 3.7933}, Lab{35.0232, -40.0716, 1.5901}, 1.8645},
	{Lab{22.7233, 20.0904, -46.6940}, Lab{23.0331, 14.9730, -42.5619}, 2.0373},
	{Lab{36.4612, 47.8580, 18.3852}, Lab{36.2715, 50.5065, 21.2231}, 1.4146},
	{Lab{90.8027, -2.0831, 1.4410}, Lab{91.1528, -1.6435, 0.0447}, 1.4441},
	{Lab{90.9257, -0.5406, -0.9208}, Lab{88.6381, -0.8985, -0.7239}, 1.5381},
	{Lab{6.7747, -0.2908, -2.4247}, Lab{5.8714, -0.0985, -2.2286}, 0.6377},
	{Lab{2.0776, 0.0795, -1.1350}, Lab{0.9033, -0.0636, -0.5514}, 0.9082},
}

func TestCIEDE2000Sharma(t *testing.T) {
	for i, c := range sharma {
		if got := CIEDE2000(c.a, c.b); math.Abs(got-c.de) > 5e-5 {
			t.Errorf("pair %d: CIEDE2000(%v, %v) = %.4f, want %.4f", i+1, c.a, c.b, got, c.de)
		}
		if got := CIEDE2000(c.b, c.a); math.Abs(got-c.de) > 5e-5 {
			t.Errorf("pair %d reversed: got %.4f, want %.4f", i+1, got, c.de)
		}
	}
}

// The metrics agree with go-colorful's (scaled to L 0–100) on sRGB colours.
func TestMetricsMatchColorful(t *testing.T) {
	colors := []color.NRGBA{
		{0, 0, 0, 255}, {255, 255, 255, 255}, {128, 0, 0, 255}, {0, 0, 128, 255},
		{250, 128, 114, 255}, {34, 139, 34, 255}, {210, 180, 140, 255}, {75, 0, 130, 255},
		{192, 192, 192, 255}, {255, 215, 0, 255},
	}
	for _, x := range colors {
		for _, y := range colors {
			cx, _ := colorful.MakeColor(x)
			cy, _ := colorful.MakeColor(y)
			lx, ly := ToLab(x), ToLab(y)
			for _, m := range []struct {
				name string
				ours Metric
				want float64
			}{
				{"CIE76", CIE76, 100 * cx.DistanceCIE76(cy)},
				{"CIE94", CIE94, 100 * cx.DistanceCIE94(cy)},
				{"CIEDE2000", CIEDE2000, 100 * cx.DistanceCIEDE2000(cy)},
			} {
				if got := m.ours(lx, ly); math.Abs(got-m.want) > 1e-6 {
					t.Errorf("%s(%v, %v) = %.6f, go-colorful says %.6f", m.name, x, y, got, m.want)
				}
			}
		}
	}
}

func TestLabRoundTrip(t *testing.T) {
	for _, c := range []color.NRGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {18, 52, 86, 255}, {200, 30, 60, 255}} {
		l := ToLab(c)
		if got := l.RGB(); got != c {
			t.Errorf("ToLab(%v).RGB() = %v", c, got)
		}
	}
	if l := ToLab(color.White); math.Abs(l.L-100) > 1e-3 || math.Abs(l.A) > 0.02 || math.Abs(l.B) > 0.02 {
		t.Errorf("white = %v, want L=100 a=b=0 on the standard scale", l)
	}
}

func TestCIEDE2000Garment(t *testing.T) {
	grey, steel := LabOf(0x9E, 0x9E, 0x9E), LabOf(0xA0, 0xA7, 0xAD)
	black, lavender, navy := LabOf(0x1C, 0x1C, 0x1C), LabOf(0xBF, 0xA6, 0xD9), LabOf(0x1F, 0x2A, 0x44)
	white, lightGrey, darkGrey := LabOf(0xF2, 0xF2, 0xF2), LabOf(0xC8, 0xC8, 0xC8), LabOf(0x50, 0x50, 0x50)
	tests := []struct {
		name       string
		proto, col Lab
		want       Metric
	}{
		// Neutral prototypes: lightness counts fully.
		{"grey to white", grey, white, CIEDE2000},
		{"grey to dark grey", grey, darkGrey, CIEDE2000},
		{"steel to white", steel, white, CIEDE2000},
		// Chromatic and the darkest prototypes: the textile weight.
		{"lavender to white", lavender, white, CIEDE2000Textile},
		{"navy to a lighter navy", navy, LabOf(0x3B, 0x46, 0x60), CIEDE2000Textile},
		{"black to dark grey", black, darkGrey, CIEDE2000Textile},
		{"white to light grey", white, lightGrey, CIEDE2000Textile},
		// The photo's colour does not change the weight.
		{"lavender to light grey", lavender, lightGrey, CIEDE2000Textile},
	}
	for _, tt := range tests {
		got, want := CIEDE2000Garment(tt.proto, tt.col), tt.want(tt.proto, tt.col)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: %.3f, want %.3f", tt.name, got, want)
		}
	}
	// In between, kL moves smoothly: no jump as chroma crosses the ramp.
	prev := -1.0
	for c := 0.0; c <= 30; c += 0.25 {
		x := Lab{L: 60, A: c, B: 0}
		d := CIEDE2000Garment(x, Lab{L: 90, A: c, B: 0})
		if prev >= 0 && (d > prev+1e-9 || prev-d > 0.5) {
			t.Fatalf("C*=%.2f: %.3f after %.3f (not smooth and falling)", c, d, prev)
		}
		prev = d
	}
}
