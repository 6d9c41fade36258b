// Package textdist measures how many typing mistakes apart two strings are,
// for "did you mean" suggestions (colour names, command-line flags). It is
// a few lines, bounded by a limit so a long input costs little; no module
// of the standard library does it.
package textdist

// Distance is the optimal-string-alignment distance between as and bs in
// characters (insertions, deletions, substitutions and swaps of
// neighbours), or limit+1 as soon as it must exceed limit.
func Distance(as, bs string, limit int) int {
	if as == bs {
		return 0
	}
	a, b := []rune(as), []rune(bs)
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
