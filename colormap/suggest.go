package colormap

import (
	"cmp"
	"slices"
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
			d := editDistance(k, lk, limit)
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

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbouring bytes),
// or limit+1 as soon as it must exceed limit.
func editDistance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
