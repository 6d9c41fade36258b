package colormap

import (
	"cmp"
	"slices"

	"github.com/palette-dev/palette/internal/textdist"
)

// Suggest returns up to n names of the map (entry names, or aliases when
// the alias is the closer spelling, written as in the file) that a name
// the map does not know was probably meant to be: those within a few
// typing mistakes of it (Damerau–Levenshtein distance on the normalised
// name, spaces ignored: at most 1 for names of up to 4 letters, 2 up to 8,
// 3 beyond), closest first, then in file order. "Navvy Blue" suggests
// "Navy Blue". A name the map knows, or a blank one, suggests nothing.
func (m *Map) Suggest(name string, n int) []string {
	k := key(name)
	if m == nil || n <= 0 || k == "" || len(k) > maxNameBytes {
		return nil
	}
	if _, ok := m.index[k]; ok {
		return nil
	}
	limit := 1
	switch {
	case len(k) > 8:
		limit = 3
	case len(k) > 4:
		limit = 2
	}
	type hit struct {
		text  string
		dist  int
		order int
	}
	var hits []hit
	seen := map[*Entry]int{} // entry → index in hits
	order := 0
	for _, l := range m.lines {
		if l.entry == nil {
			continue
		}
		for i, lk := range l.keys {
			order++
			if abs(len(lk)-len(k)) > limit {
				continue
			}
			d := textdist.Distance(k, lk, limit)
			if d > limit {
				continue
			}
			text := l.entry.Name
			if i > 0 {
				text = l.entry.Aliases[i-1]
			}
			if j, ok := seen[l.entry]; ok {
				if d < hits[j].dist {
					hits[j].text, hits[j].dist = text, d
				}
				continue
			}
			seen[l.entry] = len(hits)
			hits = append(hits, hit{text, d, order})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.order, b.order)) })
	var out []string
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.text)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
