package colormap

import (
	"errors"
	"image/color"
	"math"
	"strings"
	"sync"
	"testing"
)

const small = `Blue: #0047AB #4169E1 #6A9BD1
Grey: #9E9E9E #808080 #6B6B6B
Green: #008000 #228B22
Khaki: #C3B091 #BDB38F
Brown: #8B5A2B #5C4033
Red: #FF0000 #C8102E
Yellow: #FFFF00 #FADA5E
Navy Blue: #000080 #1F2A44  also: Navy
Light Grey: #D3D3D3
Multi: multi  also: Multicolor
`

func smallMap(t testing.TB) *Map {
	t.Helper()
	m, err := Parse(strings.NewReader(small), "small.txt")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cieL is the CIE L* (0–100) of c.
func cieL(c color.NRGBA) float64 {
	l, _, _ := colorfulOf(c).Lab()
	return l * 100
}

func chroma(c color.NRGBA) float64 {
	_, a, b := colorfulOf(c).Lab()
	return math.Hypot(a, b) * 100
}

func meanL(cs []color.NRGBA) float64 {
	s := 0.0
	for _, c := range cs {
		s += cieL(c)
	}
	return s / float64(len(cs))
}

func mustResolve(t *testing.T, m *Map, name string) Resolved {
	t.Helper()
	r, err := m.Resolve(name)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", name, err)
	}
	return r
}

func TestResolveExactAndAlias(t *testing.T) {
	m := smallMap(t)
	tests := []struct {
		q, name string
		via     Via
		kind    Kind
	}{
		{"Blue", "Blue", Exact, Shades},
		{"  BLUE ", "Blue", Exact, Shades},
		{"navy-blue", "Navy Blue", Exact, Shades},
		{"NavyBlue", "Navy Blue", Exact, Shades},
		{"navy", "Navy Blue", Alias, Shades},
		{"Light Gray", "Light Grey", Exact, Shades}, // the entry wins over the modifier
		{"lightgray", "Light Grey", Exact, Shades},
		{"Red Colour", "Red", Exact, Shades},
		{"Navy Colored", "Navy Blue", Alias, Shades},
		{"Multicolour", "Multi", Alias, Multi},
		{"multi", "Multi", Exact, Multi},
	}
	for _, tt := range tests {
		r := mustResolve(t, m, tt.q)
		if r.Query != tt.q || r.Name != tt.name || r.Via != tt.via || r.Kind != tt.kind {
			t.Errorf("Resolve(%q) = %+v, want name %q via %v kind %v", tt.q, r, tt.name, tt.via, tt.kind)
		}
		if tt.kind == Multi && len(r.Shades) != 0 {
			t.Errorf("Resolve(%q): Multi with shades %v", tt.q, r.Shades)
		}
	}
	e, _ := m.Lookup("Blue")
	r := mustResolve(t, m, "Blue")
	if len(r.Shades) != len(e.Shades) || r.Shades[0] != e.Shades[0] {
		t.Errorf("exact shades %v, want %v", r.Shades, e.Shades)
	}
	r.Shades[0] = color.NRGBA{} // the caller's copy
	if again := mustResolve(t, m, "Blue"); again.Shades[0] != e.Shades[0] {
		t.Errorf("Resolve returned the map's own slice")
	}
}

func TestResolveModifiers(t *testing.T) {
	m := smallMap(t)
	blue := mustResolve(t, m, "Blue").Shades
	grey := mustResolve(t, m, "Grey").Shades
	tests := []struct {
		q, name string
		base    []color.NRGBA
		check   func(got, base color.NRGBA) bool
		what    string
	}{
		{"Light Blue", "Light Blue", blue, func(g, b color.NRGBA) bool { return cieL(g) > cieL(b)+5 }, "lighter"},
		{"lt blue", "Lt Blue", blue, func(g, b color.NRGBA) bool { return cieL(g) > cieL(b)+5 }, "lighter"},
		{"Dark Grey", "Dark Grey", grey, func(g, b color.NRGBA) bool { return cieL(g) < cieL(b)-5 }, "darker"},
		{"Dark Blue", "Dark Blue", blue, func(g, b color.NRGBA) bool { return cieL(g) < cieL(b)-5 }, "darker"},
		{"Pale Blue", "Pale Blue", blue, func(g, b color.NRGBA) bool { return cieL(g) > cieL(b) && chroma(g) < chroma(b) }, "lighter and greyer"},
		{"Deep Blue", "Deep Blue", blue, func(g, b color.NRGBA) bool { return cieL(g) < cieL(b) }, "darker"},
		{"Muted Blue", "Muted Blue", blue, func(g, b color.NRGBA) bool { return chroma(g) < chroma(b)-5 }, "greyer"},
		{"Dusty Blue", "Dusty Blue", blue, func(g, b color.NRGBA) bool { return chroma(g) < chroma(b)-5 }, "greyer"},
		{"Bright Blue", "Bright Blue", blue, func(g, b color.NRGBA) bool { return chroma(g) >= chroma(b)-1 }, "not greyer"},
		{"Medium Blue", "Medium Blue", blue, func(g, b color.NRGBA) bool { return deltaE(g, b) < 1 }, "unchanged"},
	}
	for _, tt := range tests {
		r := mustResolve(t, m, tt.q)
		if r.Name != tt.name || r.Via != Modifier || r.Kind != Shades || len(r.Shades) != len(tt.base) {
			t.Errorf("Resolve(%q) = %+v", tt.q, r)
			continue
		}
		for i := range r.Shades {
			if r.Shades[i].A != 255 || !tt.check(r.Shades[i], tt.base[i]) {
				t.Errorf("Resolve(%q) shade %d = %v from %v: not %s", tt.q, i, r.Shades[i], tt.base[i], tt.what)
			}
		}
	}
	// Light Navy stays blue: hue is kept in OKLab, not CIELAB (where it turns purple).
	r := mustResolve(t, m, "Light Navy")
	if c := r.Shades[0]; !(c.B > c.R+60 && c.B > c.G+40) {
		t.Errorf("Light Navy %v is not a blue", c)
	}
	// Bright on a colour at the gamut edge keeps it, rather than greying it.
	r = mustResolve(t, m, "Bright Yellow")
	if deltaE(r.Shades[0], color.NRGBA{255, 255, 0, 255}) > 3 {
		t.Errorf("Bright Yellow first shade %v, want about #FFFF00", r.Shades[0])
	}
	// Extremes clamp instead of overflowing.
	for _, q := range []string{"Light Light Grey", "Dark Dark Navy", "Bright Bright Red"} {
		r := mustResolve(t, m, q)
		for _, c := range r.Shades {
			if c.A != 255 {
				t.Errorf("%s: %v not opaque", q, c)
			}
		}
	}
}

func TestResolveIshAndCompound(t *testing.T) {
	m := smallMap(t)
	khaki := mustResolve(t, m, "Khaki").Shades
	green := mustResolve(t, m, "Green").Shades
	for _, q := range []string{"Greenish Khaki", "Green-ish Khaki", "green ish khaki", "GREENISH-KHAKI"} {
		r := mustResolve(t, m, q)
		if r.Name != "Greenish Khaki" || r.Via != Modifier || len(r.Shades) != len(khaki) {
			t.Fatalf("Resolve(%q) = %+v", q, r)
		}
		for i, c := range r.Shades {
			k := khaki[i]
			g := nearest(k, green)
			// Between khaki and green: closer to each than they are to each other.
			if !(deltaE(c, k) < deltaE(k, g) && deltaE(c, g) < deltaE(k, g)) || deltaE(c, k) < 2 {
				t.Errorf("%s shade %d = %v is not between khaki %v and green %v", q, i, c, k, g)
			}
			// Still more khaki than green.
			if deltaE(c, k) > deltaE(c, g) {
				t.Errorf("%s shade %d = %v is nearer green than khaki", q, i, c)
			}
		}
	}
	for _, tt := range []struct{ q, name string }{
		{"Bluish Grey", "Bluish Grey"},
		{"Blueish Grey", "Blueish Grey"},
		{"Reddish Brown", "Reddish Brown"},
		{"Yellowish Green", "Yellowish Green"},
		{"Blue Grey", "Blue Grey"},
		{"Navy Grey", "Navy Blue Grey"},
		{"Navy Blue Grey", "Navy Blue Grey"},
		{"Light Greenish Khaki", "Light Greenish Khaki"},
		{"Dark Blue Grey", "Dark Blue Grey"},
		{"Khaki Green Colour", "Khaki Green"},
		{"Red Multi", "Red Multi"},
	} {
		r := mustResolve(t, m, tt.q)
		if r.Name != tt.name || r.Via != Modifier {
			t.Errorf("Resolve(%q) = %q via %v, want %q via modifier", tt.q, r.Name, r.Via, tt.name)
		}
	}
	// Blue Grey is a grey tinted blue: bluer than grey, and (in OKLab,
	// where the blend is a straight line) nearer the grey than the blue.
	bg := mustResolve(t, m, "Blue Grey")
	grey := mustResolve(t, m, "Grey").Shades
	blue := mustResolve(t, m, "Blue").Shades
	for i, c := range bg.Shades {
		b := nearest(grey[i], blue)
		if !(c.B > c.R+10) || okDist(c, grey[i]) > okDist(c, b) {
			t.Errorf("Blue Grey shade %d = %v from grey %v and blue %v", i, c, grey[i], b)
		}
	}
	if r := mustResolve(t, m, "Dark Multi"); r.Kind != Multi || len(r.Shades) != 0 {
		t.Errorf("Dark Multi = %+v, want Multi", r)
	}
	if r := mustResolve(t, m, "Multicolor Blue"); r.Kind != Multi {
		t.Errorf("Multicolor Blue = %+v, want Multi", r)
	}
}

func okDist(x, y color.NRGBA) float64 {
	p, q := toOKLab(x), toOKLab(y)
	return math.Sqrt((p.L-q.L)*(p.L-q.L) + (p.A-q.A)*(p.A-q.A) + (p.B-q.B)*(p.B-q.B))
}

func nearest(c color.NRGBA, cs []color.NRGBA) color.NRGBA {
	best, bestD := cs[0], math.Inf(1)
	for _, x := range cs {
		if d := deltaE(c, x); d < bestD {
			best, bestD = x, d
		}
	}
	return best
}

func TestResolveUnknown(t *testing.T) {
	withVocabulary(t, nil) // the tiers of the map alone
	m := smallMap(t)
	for _, q := range []string{
		"", "   ", "Foo", "Light Foo", "Greenish Foo",
		"Light Dark Pale Blue", // three steps: over MaxModifiers
		"Light", "ish", "Colour", "Heather", "Washed", "Dark Wash", "040", "Spam",
	} {
		_, err := m.Resolve(q)
		if !errors.Is(err, ErrUnknownName) {
			t.Errorf("Resolve(%q) error = %v, want ErrUnknownName", q, err)
			continue
		}
		if want := `colormap: unknown colour name "` + q + `"`; err.Error() != want {
			t.Errorf("Resolve(%q) error = %q, want %q", q, err, want)
		}
	}
	// A list of colours is not one colour: ResolveAll splits it.
	if _, err := m.Resolve("Grey|Pink"); !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), "names 2 colours") {
		t.Errorf("Resolve(Grey|Pink) error = %v", err)
	}
	var nilMap *Map
	if _, err := nilMap.Resolve("Blue"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("nil map: %v", err)
	}
}

func TestViaKindString(t *testing.T) {
	for v, want := range map[Via]string{Exact: "exact", Alias: "alias", Modifier: "modifier", Head: "head",
		Vocabulary: "vocabulary", Unknown: "unknown", Via(9): "Via(9)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q", int(v), v.String())
		}
	}
	for k, want := range map[Kind]string{Shades: "shades", Multi: "multi", Kind(7): "Kind(7)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
}

func TestGamutMapping(t *testing.T) {
	// Every point of a coarse OKLab grid maps to an opaque colour whose
	// lightness is kept, whatever its chroma (within 8-bit rounding, which
	// is coarse near black).
	for l := 0.0; l <= 1.0; l += 0.1 {
		for a := -0.4; a <= 0.4; a += 0.1 {
			for b := -0.4; b <= 0.4; b += 0.1 {
				c := oklab{L: l, A: a, B: b}.nrgba()
				got := toOKLab(c)
				tol := 0.02
				if l < 0.05 {
					tol = 0.06
				}
				if c.A != 255 || math.Abs(got.L-l) > tol {
					t.Errorf("oklab(%.1f %.1f %.1f) -> %v with L %.3f", l, a, b, c, got.L)
				}
			}
		}
	}
}

func TestResolveConcurrent(t *testing.T) {
	m := Default()
	names := []string{"Navy Blue", "Light Blue", "Greenish Khaki", "Multi", "Grey Melange", "Blue Grey", "Skin", "Unknown Thing"}
	want := make([]Resolved, len(names))
	for i, n := range names {
		want[i], _ = m.Resolve(n)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g + i) % len(names)
				r, _ := m.Resolve(names[k])
				if r.Name != want[k].Name || len(r.Shades) != len(want[k].Shades) {
					t.Errorf("concurrent Resolve(%q) = %+v", names[k], r)
					return
				}
				if len(r.Shades) > 0 {
					r.Shades[0] = color.NRGBA{} // must not touch the map
				}
				m.Lookup(names[k])
				m.Entries()
			}
		}()
	}
	wg.Wait()
	if r, _ := m.Resolve("Navy Blue"); r.Shades[0] != want[0].Shades[0] {
		t.Errorf("map changed by a caller")
	}
}
