package colormap

import "github.com/palette-dev/palette/colormap/internal/vocab"

// The open vocabulary tier: the generated table of package vocab (public
// colour-name lists: xkcd, ISCC-NBS, color-name-list), loaded on first use.
func init() {
	vocabLookup = func(key string) (vocabEntry, bool) {
		e, ok := vocab.Lookup(key)
		if !ok {
			return vocabEntry{}, false
		}
		return vocabEntry{name: e.Name, shades: e.Shades, source: e.Sources[0]}, true
	}
}
