package colormap

import (
	"strings"
	"unicode"
)

// Normalize returns the canonical form of a colour name, used to compare
// names and aliases. In order, it:
//
//  1. lower-cases the name ([strings.ToLower]);
//  2. turns '-', '_', '/', '\' and '.' into spaces and deletes apostrophes
//     (' and ’);
//  3. trims the result and collapses every run of white space into one space;
//  4. spells "gray" as "grey" and "colour" as "color", as words and inside
//     words ("Grayish" → "greyish", "Multicolour" → "multicolor",
//     "darkslategray" → "darkslategrey").
//
// So "  Navy-Blue " becomes "navy blue" and "Off_White" becomes "off white".
// Normalize keeps spaces; names are compared with spaces removed as well, so
// "Offwhite" matches "Off White" (see the package documentation). A trailing
// "color" word is not removed here: [Map.Resolve] drops it only when the name
// with it is unknown.
func Normalize(name string) string {
	name = strings.ToLower(name)
	name = strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '/', '\\', '.':
			return ' '
		case '\'', '\u2019':
			return -1
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.ReplaceAll(name, "gray", "grey")
	name = strings.ReplaceAll(name, "colour", "color")
	return name
}

// key is the identity of a name: its normalised form without spaces.
func key(name string) string {
	return strings.ReplaceAll(Normalize(name), " ", "")
}

// SplitNames splits a catalog's list of colour names on "," or "|"
// ("Grey|Pink", "Navy Blue, White"), trimming each name and dropping
// empty ones.
func SplitNames(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
