package colormap

import (
	"image/color"
	"slices"
	"strings"
	"unicode"
)

// Finish and texture words. On a garment some words describe how the fabric
// was made or treated rather than its dye, and they change how the colour
// looks in a predictable direction; [Map.Resolve] takes them off a name it
// does not know, resolves the rest, and shifts the shades as below (in
// OKLab, as for the modifiers).
const (
	// HeatherAmount is how far a heathered knit ("Heather", "Melange",
	// "Marl", "Tri-blend", "Slub", "Space-dyed", "Mottled") moves lightness
	// towards white, and HeatherChroma multiplies its chroma: dyed fibres
	// are spun with undyed or grey ones, so a heather is lighter and greyer
	// than the solid dye ("Navy Heather" is a greyed, lighter navy, "Black
	// Heather" a dark charcoal).
	HeatherAmount = 0.08
	HeatherChroma = 0.8
	// WashedAmount and WashedChroma are the same for washed and faded
	// finishes ("Washed", "Vintage", "Faded", "Stonewashed", "Acid Wash",
	// "Mineral Wash", "Enzyme Washed", "Distressed"): washing strips dye,
	// so the colour is lighter and duller ("Washed Black" is a soft
	// charcoal).
	WashedAmount = 0.12
	WashedChroma = 0.8
	// DyedAmount and DyedChroma are the same for garment and pigment dyeing
	// ("Garment Dyed", "Pigment Dyed"): a slightly chalky, softer shade.
	DyedAmount = 0.05
	DyedChroma = 0.85
	// AntiqueAmount is how far "Antique X" moves lightness towards black,
	// and AntiqueChroma multiplies its chroma: apparel makers' "antique"
	// shades are deeper, slightly softer versions of the colour ("Antique
	// Sapphire", "Antique Cherry Red").
	AntiqueAmount = 0.15
	AntiqueChroma = 0.9
)

// finishes maps a finish word (normalised, spaces removed for two-word
// forms such as "acid wash") to its shift. Words that say nothing about the
// shade ("True Navy", "Solid Black", "Classic Red") are listed with a nil
// modifier: they are dropped, not counted as unknown words.
var finishes = map[string]modifier{
	"heather":      adjust(1, HeatherAmount, HeatherChroma),
	"heathered":    adjust(1, HeatherAmount, HeatherChroma),
	"melange":      adjust(1, HeatherAmount, HeatherChroma),
	"mélange":      adjust(1, HeatherAmount, HeatherChroma),
	"marl":         adjust(1, HeatherAmount, HeatherChroma),
	"marled":       adjust(1, HeatherAmount, HeatherChroma),
	"triblend":     adjust(1, HeatherAmount, HeatherChroma),
	"slub":         adjust(1, HeatherAmount, HeatherChroma),
	"spacedyed":    adjust(1, HeatherAmount, HeatherChroma),
	"mottled":      adjust(1, HeatherAmount, HeatherChroma),
	"speckled":     adjust(1, HeatherAmount, HeatherChroma),
	"washed":       adjust(1, WashedAmount, WashedChroma),
	"wash":         adjust(1, WashedAmount, WashedChroma),
	"vintage":      adjust(1, WashedAmount, WashedChroma),
	"faded":        adjust(1, WashedAmount, WashedChroma),
	"stonewash":    adjust(1, WashedAmount, WashedChroma),
	"stonewashed":  adjust(1, WashedAmount, WashedChroma),
	"acidwash":     adjust(1, WashedAmount, WashedChroma),
	"mineralwash":  adjust(1, WashedAmount, WashedChroma),
	"enzymewashed": adjust(1, WashedAmount, WashedChroma),
	"distressed":   adjust(1, WashedAmount, WashedChroma),
	"sunfaded":     adjust(1, WashedAmount, WashedChroma),
	"garmentdyed":  adjust(1, DyedAmount, DyedChroma),
	"antique":      adjust(0, AntiqueAmount, AntiqueChroma),
	"antiqued":     adjust(0, AntiqueAmount, AntiqueChroma),
	"pigmentdyed":  adjust(1, DyedAmount, DyedChroma),
	"true":         nil,
	"solid":        nil,
	"classic":      nil,
	"plain":        nil,
	"basic":        nil,
	"core":         nil,
	"heritage":     nil,
	"premium":      nil,
	"original":     nil,
	"tonal":        nil,
}

// finishTitle is how a finish is written in a resolved name.
func finishTitle(k string) string {
	switch k {
	case "triblend":
		return "Tri-blend"
	case "spacedyed":
		return "Space-dyed"
	case "acidwash":
		return "Acid Wash"
	case "mineralwash":
		return "Mineral Wash"
	case "enzymewashed":
		return "Enzyme Washed"
	case "sunfaded":
		return "Sun-faded"
	case "garmentdyed":
		return "Garment-dyed"
	case "pigmentdyed":
		return "Pigment-dyed"
	}
	return title(k)
}

// sizes are clothing sizes a catalog sometimes appends to a colour ("Red
// XL"); they are dropped from the end of a name.
var sizes = map[string]bool{
	"xxs": true, "xs": true, "s": true, "m": true, "l": true, "xl": true, "xxl": true,
	"xxxl": true, "os": true, "onesize": true,
}

// cleanName turns a catalog name as written into plain normalised words:
// a parenthesised or bracketed modifier or finish is read first ("Blue
// (Light)" is "light blue"), another parenthesised note is dropped,
// punctuation other than the word separators of [Normalize]
// becomes a space, words with digits ("Red 040", "C12") and trailing sizes
// ("Red XL") are dropped, as long as a word remains.
func cleanName(name string) string {
	var front, rest strings.Builder
	depth := 0
	for _, r := range name {
		switch r {
		case '(', '[', '{':
			depth++
			front.WriteByte(' ')
			continue
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
			front.WriteByte(' ')
			continue
		}
		out := &rest
		if depth > 0 {
			out = &front
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			out.WriteRune(r)
		case r == '-' || r == '_' || r == '/' || r == '\\' || r == '.' || r == '\'' || r == '\u2019':
			out.WriteRune(r) // Normalize's separators and apostrophes
		default:
			out.WriteByte(' ')
		}
	}
	// A parenthesised size says nothing about colour ("Red (S)"); a
	// parenthesised modifier or finish belongs to the colour ("Blue
	// (Light)", "Grey (Heather)"); anything else is a note about another
	// part ("Black (Navy Trim)") unless it is all there is.
	var inner []string
	qualifiers := true
	for _, w := range strings.Fields(Normalize(front.String())) {
		if sizes[w] || strings.ContainsFunc(w, unicode.IsDigit) {
			continue
		}
		inner = append(inner, w)
		qualifiers = qualifiers && (isModifier(w) || hasFinish(w))
	}
	outer := strings.Fields(Normalize(rest.String()))
	if !qualifiers && len(outer) > 0 {
		inner = nil
	}
	words := append(inner, outer...)
	kept := words[:0:0]
	for _, w := range words {
		if !strings.ContainsFunc(w, unicode.IsDigit) {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return strings.Join(words, " ")
	}
	for len(kept) > 1 && sizes[kept[len(kept)-1]] {
		kept = kept[:len(kept)-1]
	}
	return strings.Join(kept, " ")
}

// maxSpan is the most words of a map name the head tier looks for in a
// longer name.
const maxSpan = 4

// scan splits the words of a cleaned name into the spans the map knows
// (entry names and aliases, longest first, and modifier words), finish
// words, and unknown words, in order.
type scanned struct {
	known    []string // known spans, in order, each one or more words
	finishes []string // finish keys, in order
	dropped  []string // unknown words
}

func (m *Map) scan(words []string) scanned {
	var s scanned
	for i := 0; i < len(words); {
		n := 0
		// A map name of two or more words wins over a finish word in it
		// ("Heather Grey" is an entry), a finish of two words over a
		// one-word name ("Acid Wash").
		for l := min(maxSpan, len(words)-i); l >= 2 && n == 0; l-- {
			if _, ok := m.find(strings.Join(words[i:i+l], " ")); ok {
				s.known = append(s.known, strings.Join(words[i:i+l], " "))
				n = l
			}
		}
		if n == 0 && i+1 < len(words) {
			if f := words[i] + words[i+1]; hasFinish(f) {
				s.finishes = append(s.finishes, f)
				n = 2
			}
		}
		if n == 0 {
			w := words[i]
			_, isMod := modifiers[w]
			_, isEntry := m.find(w)
			switch {
			case hasFinish(w):
				s.finishes = append(s.finishes, w)
			case isEntry || isMod:
				s.known = append(s.known, w)
			default:
				s.dropped = append(s.dropped, w)
			}
			n = 1
		}
		i += n
	}
	return s
}

func hasFinish(k string) bool {
	_, ok := finishes[k]
	return ok
}

// applyFinishes shifts r's shades by every finish in fs and writes them in
// front of its name ("Heather Navy Blue").
func applyFinishes(r Resolved, fs []string) Resolved {
	var names []string
	for i, f := range fs {
		mod := finishes[f]
		if mod == nil || slices.Contains(fs[:i], f) {
			continue // a finish said twice counts once
		}
		names = append(names, finishTitle(f))
		shades := make([]color.NRGBA, len(r.Shades))
		for i, c := range r.Shades {
			shades[i] = mod(toOKLab(c)).nrgba()
		}
		r.Shades = shades
	}
	if len(names) > 0 {
		r.Name = strings.Join(names, " ") + " " + r.Name
	}
	return r
}

// head resolves a name with words the map does not know around colour words
// it does know: the unknown words are dropped, finish words shift the
// shades, and what is left is resolved as a whole ("Light Storm Blue" is
// "Light Blue"), or failing that its last known span, the head of an English
// noun phrase ("Storm Cloud Navy" is Navy), then the ones before it.
func (m *Map) head(words []string) (Resolved, bool) {
	s := m.scan(words)
	if len(s.known) == 0 || len(s.dropped)+len(s.finishes) == 0 {
		return Resolved{}, false
	}
	// When the last word, the head of the phrase, is the one the map does
	// not know ("Black Cherry" is a cherry, not a black), a name the lists
	// have whole is the better reading.
	if n := len(s.dropped); n > 0 && s.dropped[n-1] == words[len(words)-1] {
		if r, ok := m.vocabularyExact(strings.Join(words, " ")); ok {
			return r, true
		}
	}
	try := []string{strings.Join(s.known, " ")}
	for i := len(s.known) - 1; i >= 0 && len(s.known) > 1; i-- {
		try = append(try, s.known[i])
	}
	for _, q := range try {
		if r, ok := m.resolve(q, MaxModifiers); ok {
			r = applyFinishes(r, s.finishes)
			r.Via = Head
			r.Dropped = s.dropped
			return r, true
		}
	}
	return Resolved{}, false
}

// vocabulary looks a name up in the open vocabulary: the name as written,
// then cleaned, then without finish words (which then shift the shades),
// then its longest run of trailing words that the vocabulary has, then of
// leading words.
func (m *Map) vocabulary(raw string, words []string) (Resolved, bool) {
	if vocabLookup == nil {
		return Resolved{}, false
	}
	hit := func(k string, fs, dropped []string) (Resolved, bool) {
		e, ok := vocabLookup(strings.ReplaceAll(k, " ", ""))
		if !ok {
			return Resolved{}, false
		}
		r := Resolved{Name: e.name, Shades: e.shades, Kind: Shades, Via: Vocabulary, Source: e.source, Dropped: dropped}
		return applyFinishes(r, fs), true
	}
	if r, ok := hit(Normalize(raw), nil, nil); ok {
		return r, true
	}
	if len(words) == 0 {
		return Resolved{}, false
	}
	if r, ok := hit(strings.Join(words, " "), nil, nil); ok {
		return r, true
	}
	var fs, plain []string
	for i := 0; i < len(words); i++ {
		if i+1 < len(words) && hasFinish(words[i]+words[i+1]) {
			fs = append(fs, words[i]+words[i+1])
			i++
			continue
		}
		if hasFinish(words[i]) {
			fs = append(fs, words[i])
			continue
		}
		plain = append(plain, words[i])
	}
	if len(plain) == 0 || len(plain) == 1 && isModifier(plain[0]) {
		return Resolved{}, false // "Dark Wash": a modifier is not a colour
	}
	if len(fs) > 0 {
		if r, ok := hit(strings.Join(plain, " "), fs, nil); ok {
			return r, true
		}
	}
	// A partial match never drops a word the map knows: "Red Blue Khaki"
	// is not the lists' Khaki.
	known := func(ws []string) bool {
		for _, w := range ws {
			if _, ok := m.find(w); ok || isModifier(w) {
				return true
			}
		}
		return false
	}
	for l := len(plain) - 1; l >= 1; l-- {
		if tail, rest := plain[len(plain)-l:], plain[:len(plain)-l]; !(l == 1 && isModifier(tail[0])) && !known(rest) {
			if r, ok := hit(strings.Join(tail, " "), fs, slices.Clone(rest)); ok {
				return r, true
			}
		}
		if front, rest := plain[:l], plain[l:]; !(l == 1 && isModifier(front[0])) && !known(rest) {
			if r, ok := hit(strings.Join(front, " "), fs, slices.Clone(rest)); ok {
				return r, true
			}
		}
	}
	return Resolved{}, false
}

func isModifier(w string) bool {
	_, ok := modifiers[w]
	return ok
}

// minPart is the fewest bytes the dropped part of a compound word must
// have, minColour the fewest its colour part must have ("Hundred" is not
// red, "Spartan" not tan), and maxCompound the longest word read as a
// compound.
const (
	minPart     = 3
	minColour   = 4
	maxCompound = 32
)

// compound reads a one-word name no tier knows as an English compound,
// whose head is its last part ("Crunchberry" is a berry, "Stormblue" a
// blue): the longest ending of the word that the map knows, else that the
// vocabulary knows, else the longest beginning the map knows ("Bluebird");
// the rest is dropped. Both parts have at least minPart letters.
func (m *Map) compound(word string) (Resolved, bool) {
	n := len(word)
	if n < minPart+minColour || n > maxCompound || strings.Contains(word, " ") {
		return Resolved{}, false
	}
	for i := minPart; i <= n-minColour; i++ { // longest ending first
		if r, ok := m.resolve(word[i:], 0); ok {
			r.Via, r.Dropped = Head, []string{word[:i]}
			return r, true
		}
	}
	if vocabLookup != nil {
		for i := minPart; i <= n-minColour; i++ {
			if e, ok := vocabLookup(word[i:]); ok {
				return Resolved{Name: e.name, Shades: e.shades, Kind: Shades, Via: Vocabulary, Source: e.source, Dropped: []string{word[:i]}}, true
			}
		}
	}
	for i := n - minPart; i >= minColour; i-- {
		if r, ok := m.resolve(word[:i], 0); ok {
			r.Via, r.Dropped = Head, []string{word[i:]}
			return r, true
		}
	}
	return Resolved{}, false
}

// vocabularyExact looks the whole name up in the open vocabulary, as
// written and cleaned, nothing dropped.
func (m *Map) vocabularyExact(name string) (Resolved, bool) {
	if vocabLookup == nil {
		return Resolved{}, false
	}
	for _, k := range []string{Normalize(name), cleanName(name)} {
		if e, ok := vocabLookup(strings.ReplaceAll(k, " ", "")); ok {
			return Resolved{Name: e.name, Shades: e.shades, Kind: Shades, Via: Vocabulary, Source: e.source}, true
		}
	}
	return Resolved{}, false
}

// vocabEntry is what the open vocabulary knows of a name.
type vocabEntry struct {
	name   string
	shades []color.NRGBA
	source string
}

// vocabLookup finds a key (a normalised name without spaces) in the open
// vocabulary; nil means no vocabulary.
var vocabLookup func(key string) (vocabEntry, bool)

// listSeparators split a name that lists several colours ("Navy & White",
// "Black/White", "Red and Black", "Red + Blue", "Navy with White").
func splitList(name string) []string {
	parts := strings.FieldsFunc(name, isListSep)
	var out []string
	for _, p := range parts {
		words := strings.Fields(p)
		start := 0
		for i, w := range words {
			if lw := strings.ToLower(w); lw == "and" || lw == "with" || lw == "n" {
				if i > start {
					out = append(out, strings.Join(words[start:i], " "))
				}
				start = i + 1
			}
		}
		if start < len(words) {
			out = append(out, strings.Join(words[start:], " "))
		}
	}
	return out
}
