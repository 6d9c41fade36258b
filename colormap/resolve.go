package colormap

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lucasb-eyer/go-colorful"
)

// Amounts used to compose names the map lacks. Composition works in OKLab,
// a Lab space in which, unlike CIELAB, hue stays put as lightness changes
// (in CIELAB a lightened navy turns purple); L is lightness from 0 (black)
// to 1 (white) and chroma is √(a²+b²). Lightness amounts are fractions of
// the distance to white or black rather than fixed steps, so they never
// overshoot and matter less for colours already near the end.
// Each modifier applies to every shade of the base name; results are
// brought into the sRGB gamut by lowering chroma at constant L and hue.
const (
	// LightAmount is how far "Light X" (also "Lt X") moves lightness
	// towards white: 0.3 turns L 0.5 into 0.65.
	LightAmount = 0.3
	// DarkAmount is how far "Dark X" (also "Dk X") moves lightness towards
	// black: 0.3 turns L 0.5 into 0.35.
	DarkAmount = 0.3
	// PaleAmount is how far "Pale X" (also "Pastel X", "Ice X", "Icy X")
	// moves lightness towards white; PaleChroma multiplies its chroma.
	PaleAmount = 0.25
	PaleChroma = 0.6
	// DeepAmount is how far "Deep X" (also "Rich X") moves lightness
	// towards black; DeepChroma multiplies its chroma ("deep" is darker and
	// richer).
	DeepAmount = 0.15
	DeepChroma = 1.2
	// BrightChroma multiplies the chroma of "Bright X" (also "Vivid X",
	// "Neon X", "Electric X", "Fluo X"); lightness is kept.
	BrightChroma = 1.3
	// MutedChroma multiplies the chroma of "Muted X" (also "Dusty X");
	// lightness is kept. "Medium X" and "Mid X" are X unchanged.
	MutedChroma = 0.6
	// SoftAmount is how far "Soft X" moves lightness towards white;
	// SoftChroma multiplies its chroma: softer than the colour, less so
	// than "Pale X".
	SoftAmount = 0.15
	SoftChroma = 0.75
	// IshBlend is how far "Xish Y" ("Greenish Khaki", "Bluish Grey",
	// "Reddish Brown", also written "X-ish Y") moves each shade of Y,
	// along a straight line in OKLab, towards the shade of X nearest to it
	// (CIEDE2000).
	IshBlend = 0.3
	// CompoundBlend is how far "X Y" ("Blue Grey"), where X is an entry and
	// Y resolves, moves each shade of Y towards the nearest shade of X, as
	// for IshBlend. Y is the head colour, so it stays below one half.
	CompoundBlend = 0.4
	// MaxModifiers is how many modifier, -ish and compound steps one name
	// may take: "Light Greenish Khaki" takes two.
	MaxModifiers = 2
	// maxWords bounds the words of a name that is composed, keeping the
	// work for any input small; longer names resolve only exactly.
	maxWords = 8
)

// Via says how [Map.Resolve] found a name.
type Via int

const (
	// Exact means the name of an entry.
	Exact Via = iota
	// Alias means an alias of an entry.
	Alias
	// Modifier means composed from other names ("Light X", "Xish Y", "X Y").
	Modifier
	// Head means words the map does not know were dropped around colour
	// words it does know ("Iron Grey" is Grey, "Navy Heather" a heathered
	// Navy); see [Resolved.Dropped].
	Head
	// Vocabulary means found in the open vocabulary of public colour-name
	// lists behind the map ("Oatmeal", "Periwinkle"); see [Resolved.Source].
	// It is a weaker source than the map.
	Vocabulary
	// Unknown means no tier knows the name; only [Map.ResolveAll] returns
	// it, with no shades.
	Unknown
)

// String returns "exact", "alias", "modifier", "head", "vocabulary" or
// "unknown", or "Via(N)".
func (v Via) String() string {
	switch v {
	case Exact:
		return "exact"
	case Alias:
		return "alias"
	case Modifier:
		return "modifier"
	case Head:
		return "head"
	case Vocabulary:
		return "vocabulary"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Via(%d)", int(v))
}

// Resolved is a colour name resolved to prototype shades.
type Resolved struct {
	// Query is the name as asked.
	Query string
	// Name is the entry's display name, or the composed name, e.g.
	// "Light Blue" or "Greenish Khaki".
	Name string
	// Shades are the prototypes to match against; empty when Kind is Multi.
	Shades []color.NRGBA
	// Kind is Shades, or Multi for "the product's main distinct colours".
	Kind Kind
	// Via says how the name was found.
	Via Via
	// Dropped are the words of the name that were left out (Via Head, or
	// a partial Vocabulary match), e.g. ["iron"] for "Iron Grey".
	Dropped []string
	// Source is the list a Vocabulary name comes from ("xkcd",
	// "iscc-nbs", "color-name-list").
	Source string
	// Part is the part of a name listing several colours that this
	// colour was read from ("White" of "Navy & White"); empty otherwise.
	Part string
}

// Resolve returns the prototype shades for one catalog colour name. The
// tiers, first hit wins ([Resolved.Via] says which):
//
//  1. exact and alias: the entry with that name or alias (after
//     [Normalize], spaces ignored);
//  2. modifier: a composition of entries as described in the package
//     documentation (names of at most 8 words), also after dropping a
//     trailing "color"/"colored" word;
//  3. head: unknown words around known colour words are dropped, finish
//     words such as "Heather" or "Washed" shift the shades;
//  4. vocabulary: the open vocabulary of public colour-name lists;
//  5. a one-word name as a compound whose head is its end ("Crunchberry" is
//     a berry; via head or vocabulary).
//
// Before tiers 2 to 4 the name is cleaned: "Blue (Light)" reads "Light
// Blue", stray punctuation, words with digits ("Red 040") and trailing sizes
// ("Red XL") are dropped. Exact entries always win. A name that lists
// several colours ("Navy & White") is an error here; [Map.ResolveAll]
// splits it. If no tier knows the name the error wraps [ErrUnknownName] and
// quotes name.
func (m *Map) Resolve(name string) (Resolved, error) {
	rs := m.ResolveAll(name)
	switch {
	case len(rs) > 1:
		return Resolved{}, fmt.Errorf("%w %q: it names %d colours", ErrUnknownName, name, len(rs))
	case len(rs) == 0 || rs[0].Via == Unknown:
		return Resolved{}, fmt.Errorf("%w %q", ErrUnknownName, name)
	}
	return rs[0], nil
}

// MaxParts is the most colours [Map.ResolveAll] reads from one name.
const MaxParts = 4

// ResolveAll resolves a catalog colour name that may list several colours
// ("Navy & White", "Black/White", "Red and Black", "Red + Blue") into one
// Resolved per colour, in order, each resolved as [Map.Resolve] does; a name
// of one colour gives one. A name the map has as written is never split
// ("Salt & Pepper" once ops add it), nor is one of more than [MaxParts]
// parts; when a part is unknown and the whole name is in the open
// vocabulary as written, the whole is used. ResolveAll does not fail: a part
// no tier knows has Via [Unknown] and no shades. Every Resolved has Query
// set to name. A blank name gives none.
func (m *Map) ResolveAll(name string) []Resolved {
	if strings.TrimSpace(name) == "" {
		return nil
	}
	set := func(rs []Resolved) []Resolved {
		for i := range rs {
			rs[i].Query = name
		}
		return rs
	}
	if _, ok := m.find(Normalize(name)); ok {
		r, _ := m.resolve(Normalize(name), 0)
		return set([]Resolved{r})
	}
	if parts := splitList(name); len(parts) > 1 && len(parts) <= MaxParts {
		rs := make([]Resolved, len(parts))
		all, weak := true, false
		for i, p := range parts {
			r, ok := m.resolveOne(p)
			switch {
			case !ok:
				r, all = Resolved{Via: Unknown}, false
			case isModifier(Normalize(p)):
				all = false // "Light/Dark Grey": one colour, not two
			}
			weak = weak || r.Via >= Head
			r.Part = p
			rs[i] = r
		}
		if weak {
			// A name the lists know whole: "Peaches and Cream",
			// "Cookies & Cream" (but "Black & White" is two colours).
			if r, ok := m.vocabularyExact(andForm(name)); ok {
				return set([]Resolved{r})
			}
		}
		if !all {
			// The whole name, when it reads as one colour without
			// dropping words: "Light/Dark Grey", "Peaches and Cream".
			if r, ok := m.resolveOne(strings.Join(strings.FieldsFunc(name, isListSep), " ")); ok && len(r.Dropped) == 0 && r.Via != Head {
				return set([]Resolved{r})
			}
			for i := range rs {
				if rs[i].Via != Unknown && isModifier(Normalize(rs[i].Part)) {
					rs[i] = Resolved{Via: Unknown, Part: rs[i].Part}
				}
			}
		}
		return set(rs)
	}
	r, ok := m.resolveOne(name)
	if !ok {
		r = Resolved{Via: Unknown}
	}
	return set([]Resolved{r})
}

// andForm writes the separators of a list as "and": "Cookies & Cream" is
// "Cookies and Cream".
func andForm(name string) string {
	var words []string
	for _, w := range strings.Fields(strings.NewReplacer("&", " and ", "+", " and ").Replace(name)) {
		if strings.EqualFold(w, "n") {
			w = "and"
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// isListSep reports whether r separates the colours of a name that lists
// several.
func isListSep(r rune) bool {
	return r == '/' || r == '&' || r == '+' || r == ',' || r == '|' || r == '\\'
}

// maxNameBytes bounds the names the tiers after the map work on; a longer
// name resolves only exactly.
const maxNameBytes = 200

// resolveOne resolves a name of one colour through the tiers of Resolve.
func (m *Map) resolveOne(name string) (Resolved, bool) {
	n := Normalize(name)
	if r, ok := m.resolve(n, MaxModifiers); ok {
		return r, true
	}
	if len(name) > maxNameBytes {
		return Resolved{}, false
	}
	clean := cleanName(name)
	if clean != n {
		if r, ok := m.resolve(clean, MaxModifiers); ok {
			return r, true
		}
	}
	words := strings.Fields(clean)
	if len(words) == 0 || len(words) > maxWords {
		return Resolved{}, false
	}
	if r, ok := m.head(words); ok {
		return r, true
	}
	if r, ok := m.vocabulary(name, words); ok {
		return r, true
	}
	if len(words) == 1 && len(m.Suggest(words[0], 1)) == 0 {
		// A word a typing mistake away from a map name is a typo
		// ("Fuschia"), not a compound: it stays unknown, with a
		// suggestion.
		return m.compound(words[0])
	}
	return Resolved{}, false
}

// modifier changes one shade in OKLab.
type modifier func(oklab) oklab

var modifiers = map[string]modifier{
	"light":    adjust(1, LightAmount, 1),
	"lt":       adjust(1, LightAmount, 1),
	"pale":     adjust(1, PaleAmount, PaleChroma),
	"pastel":   adjust(1, PaleAmount, PaleChroma),
	"dark":     adjust(0, DarkAmount, 1),
	"dk":       adjust(0, DarkAmount, 1),
	"deep":     adjust(0, DeepAmount, DeepChroma),
	"bright":   adjust(0, 0, BrightChroma),
	"vivid":    adjust(0, 0, BrightChroma),
	"neon":     adjust(0, 0, BrightChroma),
	"electric": adjust(0, 0, BrightChroma),
	"fluo":     adjust(0, 0, BrightChroma),
	"rich":     adjust(0, DeepAmount, DeepChroma),
	"soft":     adjust(1, SoftAmount, SoftChroma),
	"ice":      adjust(1, PaleAmount, PaleChroma),
	"icy":      adjust(1, PaleAmount, PaleChroma),
	"muted":    adjust(0, 0, MutedChroma),
	"dusty":    adjust(0, 0, MutedChroma),
	"medium":   adjust(0, 0, 1),
	"mid":      adjust(0, 0, 1),
}

// adjust returns a modifier that moves lightness the fraction amount of the
// way towards the lightness towards (0 or 1) and multiplies chroma by
// chroma.
func adjust(towards, amount, chroma float64) modifier {
	return func(p oklab) oklab {
		return oklab{L: p.L + amount*(towards-p.L), A: p.A * chroma, B: p.B * chroma}
	}
}

// resolve resolves a normalised name with at most depth composition steps.
func (m *Map) resolve(n string, depth int) (Resolved, bool) {
	if n == "" {
		return Resolved{}, false
	}
	if s, ok := m.find(n); ok {
		via := Exact
		if s.alias {
			via = Alias
		}
		return Resolved{Name: s.e.Name, Shades: slices.Clone(s.e.Shades), Kind: s.e.Kind, Via: via}, true
	}
	words := strings.Fields(n)
	if len(words) < 2 || len(words) > maxWords {
		return Resolved{}, false
	}
	if last := words[len(words)-1]; last == "color" || last == "colored" {
		return m.resolve(strings.Join(words[:len(words)-1], " "), depth)
	}
	if depth == 0 {
		return Resolved{}, false
	}

	// "Light X" and friends.
	if mod, ok := modifiers[words[0]]; ok {
		if base, ok := m.resolve(strings.Join(words[1:], " "), depth-1); ok {
			out := Resolved{Name: title(words[0]) + " " + base.Name, Kind: base.Kind, Via: Modifier}
			for _, c := range base.Shades {
				out.Shades = append(out.Shades, mod(toOKLab(c)).nrgba())
			}
			return out, true
		}
	}

	// "Xish Y" and "X ish Y".
	ish, rest := "", words[1:]
	switch {
	case words[1] == "ish" && len(words) > 2:
		ish, rest = words[0], words[2:]
	case len(words[0]) > 3 && strings.HasSuffix(words[0], "ish"):
		ish = strings.TrimSuffix(words[0], "ish")
	}
	if ish != "" {
		for _, stem := range ishStems(ish) {
			x, ok := m.find(stem)
			if !ok || x.e.Kind != Shades {
				continue
			}
			if y, ok := m.resolve(strings.Join(rest, " "), depth-1); ok {
				return blend(title(ish)+"ish", x.e.Shades, y, IshBlend), true
			}
			break
		}
	}

	// "X Y": X an entry, Y anything that resolves. Y, the head colour, is
	// the last word(s): the longest X is tried first ("Navy Blue Grey" is a
	// grey tinted navy blue). A finish word is not a colour to blend
	// ("Heather Red" is a heathered red, not red tinted heather grey): such
	// names go to the head tier.
	if slices.ContainsFunc(words, hasFinish) {
		return Resolved{}, false
	}
	for i := len(words) - 1; i >= 1; i-- {
		x, ok := m.find(strings.Join(words[:i], " "))
		if !ok {
			continue
		}
		y, ok := m.resolve(strings.Join(words[i:], " "), depth-1)
		if !ok {
			continue
		}
		if x.e.Kind == Multi {
			y.Kind, y.Shades = Multi, nil
		}
		return blend(x.e.Name, x.e.Shades, y, CompoundBlend), true
	}
	return Resolved{}, false
}

// ishStems returns the colour words an "-ish" stem may come from:
// "green" → green; "blu" → blue; "redd" → red; "purpl" → purple.
func ishStems(s string) []string {
	out := []string{s, s + "e"}
	if n := len(s); n >= 2 && s[n-1] == s[n-2] {
		out = append(out, s[:n-1])
	}
	return out
}

// blend moves every shade of y part of the way (t) towards the nearest of
// the shades xs, and names the result "prefix Y". A Multi y stays Multi.
func blend(prefix string, xs []color.NRGBA, y Resolved, t float64) Resolved {
	out := Resolved{Name: prefix + " " + y.Name, Kind: y.Kind, Via: Modifier}
	if y.Kind == Multi || len(xs) == 0 {
		out.Shades = y.Shades
		return out
	}
	for _, c := range y.Shades {
		p := toOKLab(c)
		best, bestD := xs[0], math.Inf(1)
		for _, x := range xs {
			if d := deltaE(c, x); d < bestD {
				best, bestD = x, d
			}
		}
		q := toOKLab(best)
		out.Shades = append(out.Shades, oklab{
			L: p.L + t*(q.L-p.L),
			A: p.A + t*(q.A-p.A),
			B: p.B + t*(q.B-p.B),
		}.nrgba())
	}
	return out
}

// title upper-cases the first letter of each word of s.
func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	return strings.Join(words, " ")
}

// oklab is an OKLab colour: L from 0 (black) to 1 (white).
type oklab struct{ L, A, B float64 }

func colorfulOf(c color.NRGBA) colorful.Color {
	return colorful.Color{R: float64(c.R) / 255, G: float64(c.G) / 255, B: float64(c.B) / 255}
}

func toOKLab(c color.NRGBA) oklab {
	l, a, b := colorfulOf(c).OkLab()
	return oklab{L: l, A: a, B: b}
}

// deltaE is the CIEDE2000 difference on the CIE scale (L* 0–100).
func deltaE(a, b color.NRGBA) float64 {
	return colorfulOf(a).DistanceCIEDE2000(colorfulOf(b)) * 100
}

// nrgba converts p to an opaque sRGB colour. Lightness is clamped to 0–1;
// a colour outside the gamut keeps its lightness and hue and gets the
// largest chroma up to its own that fits (found by scanning down in steps
// of 1/128, then bisecting: the gamut is not convex along chroma near the
// yellow cusp, so plain bisection from zero can stop far too low).
func (p oklab) nrgba() color.NRGBA {
	l := math.Max(0, math.Min(1, p.L))
	at := func(s float64) colorful.Color { return colorful.OkLab(l, p.A*s, p.B*s) }
	const step = 1.0 / 128
	s := 1.0
	if !inGamut(at(s)) {
		for s = 1 - step; s > 0 && !inGamut(at(s)); s -= step {
		}
		s = math.Max(s, 0)
		lo, hi := s, math.Min(1, s+step)
		for range 12 {
			if mid := (lo + hi) / 2; inGamut(at(mid)) {
				lo = mid
			} else {
				hi = mid
			}
		}
		s = lo
	}
	r, g, b := at(s).Clamped().RGB255()
	return color.NRGBA{R: r, G: g, B: b, A: 255}
}

// inGamut reports whether c is sRGB within half a code value.
func inGamut(c colorful.Color) bool {
	const eps = 0.5 / 255
	return c.R >= -eps && c.R <= 1+eps && c.G >= -eps && c.G <= 1+eps && c.B >= -eps && c.B <= 1+eps
}
