package colormap

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// vocabulary is every catalog colour name in shared/eval/vocabulary.txt.
var vocabulary = []string{
	"Black", "White", "Blue", "Brown", "Grey", "Red", "Pink", "Green", "Navy Blue",
	"Purple", "Silver", "Beige", "Yellow", "Maroon", "Gold", "Orange", "Multi", "Cream",
	"Olive", "Charcoal", "Off White", "Peach", "Steel", "Grey Melange", "Lavender",
	"Skin", "Teal", "Copper", "Magenta", "Bronze", "Tan", "Khaki", "Rust", "Burgundy",
	"Coffee Brown", "Mauve", "Rose", "Metallic", "Mushroom Brown", "Turquoise Blue",
	"Mustard", "Nude", "Sea Green", "Lime Green", "Taupe",
}

// catalogExtras are names catalogs use that CSS lacks, or spells differently.
var catalogExtras = []string{
	"Peacock", "Peacock Blue", "Navy", "Dark Navy", "Fuchsia", "Wine", "Mustard", "Rust",
	"Teal", "Turquoise", "Indigo", "Camel", "Coral", "Mint", "Mint Green", "Cream",
	"Off White", "Off-White", "Offwhite", "OFF WHITE", "Charcoal", "Charcoal Grey",
	"Burgundy", "Mauve", "Rose", "Nude", "Skin", "Skin Tone", "Multi", "Multicolor",
	"Multicolour", "Multi Colour", "Multi-Coloured", "Assorted", "Metallic", "Steel",
	"Steel Grey", "Copper", "Bronze", "Champagne", "Rose Gold", "Gunmetal", "Denim",
	"Sky Blue", "Lemon", "Bottle Green", "Emerald", "Emerald Green", "Grey Melange",
	"Gray Melange", "Heather Grey", "Grey Marl", "Coffee", "Mushroom", "Olive Green",
	"Burnt Orange", "Mustard Yellow", "Baby Pink", "Baby Blue", "Hot Pink", "Light Pink",
	"Dark Green", "Light Green", "Dark Brown", "Light Brown", "Dark Grey", "Dark Gray",
	"Light Grey", "Aubergine", "Eggplant", "Cobalt", "Sapphire", "Lilac", "Plum", "Sand",
	"Ecru", "Ivory", "Blush", "Apricot", "Terracotta", "Brass", "Pistachio", "Sage",
	"Wine Red", "Jet Black", "Golden", "Silver Grey", "Light Yellow", "Dark Orange",
	"Fluorescent Green", "Neon Green", "Army Green", "Dark Purple", "Light Purple",
	"Chocolate Brown", "Camel Brown", "Tan Brown", "Red Colour", "Black Color",
}

// cssOverrides are the CSS names whose entry follows catalog use instead of
// the CSS value; every other CSS name's entry includes its CSS value.
var cssOverrides = []string{
	"beige", "blue", "brown", "chocolate", "darkgray", "darkgrey", "darkkhaki",
	"darkorange", "darkseagreen", "gold", "khaki", "lavender", "lightyellow", "plum",
	"violet",
}

func TestDefaultParses(t *testing.T) {
	m, err := Parse(strings.NewReader(defaultText), "default.txt")
	if err != nil {
		t.Fatalf("default.txt does not parse:\n%v", err)
	}
	d := Default()
	if d != Default() {
		t.Errorf("Default is not parsed once")
	}
	if d.Len() != m.Len() || d.Len() < 200 {
		t.Errorf("Default has %d entries, Parse %d", d.Len(), m.Len())
	}
	if string(d.Bytes()) != defaultText {
		t.Errorf("Default does not round-trip")
	}
	for _, e := range d.Entries() {
		switch {
		case e.Kind == Multi && len(e.Shades) != 0,
			e.Kind == Shades && (len(e.Shades) == 0 || len(e.Shades) > 8):
			t.Errorf("%s (line %d): %d shades", e.Name, e.Line, len(e.Shades))
		}
	}
	if !strings.Contains(strings.SplitN(defaultText, "\nMulti", 2)[0], "Never from the") {
		t.Errorf("default.txt must say at the top where its shades come from")
	}
}

func TestDefaultVocabulary(t *testing.T) {
	if len(vocabulary) != 45 {
		t.Fatalf("vocabulary has %d names, want 45", len(vocabulary))
	}
	checkResolvesExactly(t, vocabulary)
	if r, _ := Default().Resolve("Multi"); r.Kind != Multi {
		t.Errorf("Multi is %v", r.Kind)
	}
}

func TestDefaultCatalogExtras(t *testing.T) {
	checkResolvesExactly(t, catalogExtras)
	for _, n := range []string{"Multicolor", "Multicolour", "Multi Colour", "Assorted", "multi-coloured"} {
		if r, _ := Default().Resolve(n); r.Kind != Multi || r.Name != "Multi" {
			t.Errorf("%s = %+v, want Multi", n, r)
		}
	}
}

func checkResolvesExactly(t *testing.T, names []string) {
	t.Helper()
	m := Default()
	for _, n := range names {
		r, err := m.Resolve(n)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if r.Via == Modifier {
			t.Errorf("%q resolves only by composition (%s); give it an entry or alias", n, r.Name)
		}
	}
}

func TestDefaultCSSNames(t *testing.T) {
	if len(cssColors) != 148 {
		t.Fatalf("%d CSS names, want 148", len(cssColors))
	}
	m := Default()
	for _, c := range cssColors {
		want, ok := parseHex(c.hex)
		if !ok {
			t.Fatalf("bad test hex %s", c.hex)
		}
		r, err := m.Resolve(c.name)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if r.Via == Modifier {
			t.Errorf("CSS %q resolves only by composition", c.name)
		}
		has := slices.Contains(r.Shades, want)
		overridden := slices.Contains(cssOverrides, c.name)
		if !has && !overridden {
			t.Errorf("CSS %s: entry %q lacks the CSS value %s", c.name, r.Name, c.hex)
		}
		if has && overridden {
			t.Errorf("CSS %s: listed as overridden but %q has the CSS value", c.name, r.Name)
		}
	}
	// The spaced spelling resolves too.
	for _, n := range []string{"Dark Slate Gray", "Dark Slate Grey", "light goldenrod yellow", "Papaya Whip", "Medium Violet-Red"} {
		if _, err := m.Resolve(n); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestDefaultCatalogMeanings(t *testing.T) {
	m := Default()
	shades := func(n string) []string {
		r, err := m.Resolve(n)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range r.Shades {
			out = append(out, hexOf(c))
		}
		return out
	}
	L := func(n string) (lo, mean, hi float64) {
		r, _ := m.Resolve(n)
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, c := range r.Shades {
			l := cieL(c)
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
		return lo, meanL(r.Shades), hi
	}
	// Ordered by lightness: every shade of the darker name below the mean of the lighter.
	for _, pair := range [][2]string{
		{"Dark Grey", "Grey"}, {"darkgray", "gray"}, {"Grey", "Light Grey"}, {"Black", "Charcoal"},
		{"Dark Blue", "Blue"}, {"Blue", "Light Blue"}, {"Navy Blue", "Blue"},
		{"Dark Brown", "Brown"}, {"Brown", "Light Brown"}, {"Dark Green", "Green"},
		{"Green", "Light Green"}, {"Dark Khaki", "Khaki"}, {"Dark Orange", "Orange"},
		{"Dark Sea Green", "Sea Green"}, {"Maroon", "Red"},
	} {
		_, _, darkHi := L(pair[0])
		_, lightMean, _ := L(pair[1])
		if darkHi >= lightMean {
			t.Errorf("%s (up to L* %.1f) is not darker than %s (mean L* %.1f)", pair[0], darkHi, pair[1], lightMean)
		}
	}
	if _, _, hi := L("Black"); hi > 30 {
		t.Errorf("Black reaches L* %.1f", hi)
	}
	if lo, _, _ := L("White"); lo < 90 {
		t.Errorf("White goes down to L* %.1f", lo)
	}
	// Khaki is a greyish tan, not CSS khaki (#F0E68C).
	if s := shades("Khaki"); slices.Contains(s, "#F0E68C") {
		t.Errorf("Khaki has the CSS value: %v", s)
	}
	cssKhaki, _ := parseHex("#F0E68C")
	if _, mean, _ := L("Khaki"); mean > cieL(cssKhaki)-10 {
		t.Errorf("Khaki mean L* %.1f is as light as CSS khaki", mean)
	}
	// Lavender is a light purple, not CSS lavender (#E6E6FA, nearly white).
	if s := shades("Lavender"); slices.Contains(s, "#E6E6FA") {
		t.Errorf("Lavender has the CSS value: %v", s)
	}
	lav, _ := m.Resolve("Lavender")
	for _, c := range lav.Shades {
		if cieL(c) > 80 || chroma(c) < 20 {
			t.Errorf("Lavender shade %s is not a light purple (L* %.1f C* %.1f)", hexOf(c), cieL(c), chroma(c))
		}
	}
	// Broad catalog words span a range: Blue from navy-ish to sky.
	if lo, _, hi := L("Blue"); hi-lo < 35 {
		t.Errorf("Blue spans only L* %.1f–%.1f", lo, hi)
	}
	// Silver, Steel, Grey Melange are near-neutral.
	for _, n := range []string{"Silver", "Steel", "Grey Melange", "Charcoal", "Grey"} {
		r, _ := m.Resolve(n)
		for _, c := range r.Shades {
			if chroma(c) > 12 {
				t.Errorf("%s shade %s has chroma %.1f", n, hexOf(c), chroma(c))
			}
		}
	}
}

func hexOf(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	const digits = "0123456789ABCDEF"
	out := []byte{'#'}
	for _, v := range []uint32{r >> 8, g >> 8, b >> 8} {
		out = append(out, digits[v>>4], digits[v&15])
	}
	return string(out)
}
