package render

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// This file holds the LZ77 stage: a matcher over hash chains, a greedy parse
// with lazy evaluation, and a cost-based ("optimal") parse that finds the
// cheapest sequence of literals and matches under a model of symbol costs.
//
// Image rows repeat, and runs of one byte are common, so besides the hash
// chains the matcher always tries two distances: 1 (a run) and the stride
// (the same bytes one row up), which a bounded chain walk may not reach.

// Chain limits: how many hash chain links a search follows at most. Small
// inputs (all default-size swatches) can afford long chains.
const (
	chainSmall = 4096
	chainLarge = 256
	chainOpt   = 32 // for the optimal parse, which searches every position
	smallInput = 1 << 16
	longMatch  = 32 // see insertMatch

	// maxOptimal is the largest input given to the optimal parse; larger
	// ones keep the lazy parse. It bounds the parse's memory (about 12
	// bytes per input byte); the largest swatch, 1024×1024 at 8 bits per
	// pixel, is 1,049,600 bytes.
	maxOptimal = 1<<20 + 1<<16

	// minOptimal is the smallest input given to the optimal parse. On
	// smaller ones (a default-size swatch is at most 1,640 bytes) it made
	// no swatch we measured smaller than the lazy parse with its two fixed
	// distances, and took most of the encoding time.
	minOptimal = 2048

	// shortLengths: when no match at a position is longer than this, the
	// optimal parse tries every length from minMatch up; otherwise only the
	// longest length of each candidate distance.
	shortLengths = 32
)

// matcher finds LZ77 matches in data with hash chains over 3-byte prefixes.
type matcher struct {
	data   []byte
	stride int     // a distance always tried, if > 1 and in range
	head   []int32 // hash → most recent position, or -1
	prev   []int32 // position&mask → previous position with the same hash
	hbits  uint
	mask   int
	chain  int // most chain links followed per search
}

// reset prepares mt for a parse of data with row stride stride.
func (mt *matcher) reset(data []byte, stride, chain int) {
	n := len(data)
	mt.data, mt.stride, mt.chain = data, stride, chain
	mt.hbits = uint(min(max(bits.Len(uint(n)), 8), 15))
	hs := 1 << mt.hbits
	if cap(mt.head) < hs {
		mt.head = make([]int32, hs)
	}
	mt.head = mt.head[:hs]
	for i := range mt.head {
		mt.head[i] = -1
	}
	// A ring of positions at least as long as the window (or the data):
	// every position within reach of a search is still in it.
	r := 1 << bits.Len(uint(min(n, maxDistance)-1))
	if cap(mt.prev) < r {
		mt.prev = make([]int32, r)
	}
	mt.prev = mt.prev[:r]
	mt.mask = r - 1
}

func (mt *matcher) hash(p int) int {
	d := mt.data[p : p+3]
	v := uint32(d[0])<<16 | uint32(d[1])<<8 | uint32(d[2])
	return int((v * 0x9e3779b1) >> (32 - mt.hbits))
}

// insert adds position p to the hash chains.
func (mt *matcher) insert(p int) {
	if p+minMatch > len(mt.data) {
		return
	}
	h := mt.hash(p)
	mt.prev[p&mt.mask] = mt.head[h]
	mt.head[h] = int32(p)
}

// insertMatch inserts the positions from lo up to hi, the rest of a match
// at distance dist. Of a long match at distance 1 or the stride it inserts
// only the last longMatch positions: searches still find runs and repeated
// rows through those two fixed distances, and inserting every position of
// a long repeat made up most of the parse's time without making swatches
// smaller.
func (mt *matcher) insertMatch(lo, hi, dist int) {
	if dist == 1 || dist == mt.stride {
		lo = max(lo, hi-longMatch)
	}
	for p := lo; p < hi; p++ {
		mt.insert(p)
	}
}

// find returns the longest match for the bytes at p, at distance 1, the
// stride, or a position on p's hash chain, preferring the nearest on ties;
// or length 0. Positions before p must have been inserted.
func (mt *matcher) find(p int) (length, dist int) {
	d := mt.data
	limit := min(maxMatch, len(d)-p)
	if limit < minMatch {
		return 0, 0
	}
	best, bestDist := minMatch-1, 0
	if p >= 1 {
		if l := matchLen(d, p-1, p, limit); l > best {
			best, bestDist = l, 1
		}
	}
	if s := mt.stride; s > 1 && s <= maxDistance && p >= s && best < limit {
		if l := matchLen(d, p-s, p, limit); l > best {
			best, bestDist = l, s
		}
	}
	c := int(mt.head[mt.hash(p)])
	for chain := mt.chain; best < limit && c >= 0 && p-c <= maxDistance && chain > 0; chain-- {
		if d[c+best] == d[p+best] || p-c < bestDist {
			l := matchLen(d, c, p, limit)
			if l > best || l == best && p-c < bestDist {
				best, bestDist = l, p-c
			}
		}
		next := int(mt.prev[c&mt.mask])
		if next >= c {
			break
		}
		c = next
	}
	if best < minMatch || best == minMatch && bestDist > farMatch {
		return 0, 0
	}
	return best, bestDist
}

// matchLen returns how many bytes, up to limit, d[a:] and d[b:] have in
// common.
func matchLen(d []byte, a, b, limit int) int {
	n := 0
	for n+8 <= limit {
		x := binary.LittleEndian.Uint64(d[a+n:]) ^ binary.LittleEndian.Uint64(d[b+n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < limit && d[a+n] == d[b+n] {
		n++
	}
	return n
}

// lazyParse appends to toks an LZ77 parse of data (rows of stride bytes):
// greedy with one step of lazy evaluation (a match is deferred by a
// literal when the next position has a longer one).
func (mt *matcher) lazyParse(data []byte, stride int, toks []token) []token {
	chain := chainSmall
	if len(data) > smallInput {
		chain = chainLarge
	}
	mt.reset(data, stride, chain)
	n := len(data)
	i := 0
	l, d := mt.find(0)
	mt.insert(0)
	for i < n {
		if l == 0 {
			toks = append(toks, literal(data[i]))
			i++
			if i < n {
				l, d = mt.find(i)
				mt.insert(i)
			}
			continue
		}
		if l < maxMatch && i+1 < n {
			l2, d2 := mt.find(i + 1)
			mt.insert(i + 1)
			if l2 > l {
				toks = append(toks, literal(data[i]))
				i++
				l, d = l2, d2
				continue
			}
			mt.insertMatch(i+2, i+l, d)
		} else {
			mt.insertMatch(i+1, i+l, d)
		}
		toks = append(toks, match(l, d))
		i += l
		if i < n {
			l, d = mt.find(i)
			mt.insert(i)
		}
	}
	mt.data = nil
	return toks
}

// costModel gives the cost in bits of each literal, match length and
// distance code, extra bits included. Costs are integers so that parses
// are the same on every platform.
type costModel struct {
	lit    [256]uint32
	length [maxMatch + 1]uint32
	dist   [numDist]uint32
}

// setFixed sets m to the costs of the fixed Huffman codes.
func (m *costModel) setFixed() {
	m.set(fixedLitLen[:numLitLen], fixedDistLen[:])
}

// set sets m to the costs of the codes with the given lengths. A symbol
// without a code costs one bit more than the longest code of its alphabet,
// so that a parse may still start using it.
func (m *costModel) set(litLen, distLen []uint8) {
	unused := func(lens []uint8) uint32 {
		var mx uint8
		for _, l := range lens {
			mx = max(mx, l)
		}
		return uint32(mx) + 1
	}
	litUnused, distUnused := unused(litLen), unused(distLen)
	cost := func(l uint8, unusedCost uint32) uint32 {
		if l == 0 {
			return unusedCost
		}
		return uint32(l)
	}
	for b := range m.lit {
		m.lit[b] = cost(litLen[b], litUnused)
	}
	for l := minMatch; l <= maxMatch; l++ {
		c := lenCode[l-minMatch]
		m.length[l] = cost(litLen[257+int(c)], litUnused) + uint32(lenExtra[c])
	}
	for c := range m.dist {
		m.dist[c] = cost(distLen[c], distUnused) + uint32(distExtra[c])
	}
}

// optimal finds the cheapest parse of data under a cost model, by dynamic
// programming over positions: the cheapest way to reach position i+1 or
// i+l from position i with a literal or a match of length l. Its buffers
// are reused between calls.
type optimal struct {
	cost  []uint32 // cost[i]: cheapest cost of coding data[:i]
	from  []token  // from[i]: the last token of that coding
	run1  []uint16 // run1[i]: match length at distance 1 from i
	runS  []uint16 // runS[i]: match length at distance stride from i
	cands []candidate
}

type candidate struct {
	dist, length int
	cost         uint32 // cost of the distance
}

// relax offers a match of length l from position i, at the cheapest
// candidate distance that reaches l, at cost c plus that distance's cost.
func (o *optimal) relax(i, l int, c uint32) {
	dc, d := uint32(math.MaxUint32), 0
	for _, k := range o.cands {
		if k.length >= l && k.cost < dc {
			dc, d = k.cost, k.dist
		}
	}
	if c += dc; c < o.cost[i+l] {
		o.cost[i+l], o.from[i+l] = c, match(l, d)
	}
}

// parse appends to toks the cheapest parse of data (rows of stride bytes)
// under m that it finds.
func (o *optimal) parse(mt *matcher, data []byte, stride int, m *costModel, toks []token) []token {
	n := len(data)
	mt.reset(data, stride, chainOpt)
	o.cost = growU32(o.cost, n+1)
	o.from = growTok(o.from, n+1)
	o.run1 = growU16(o.run1, n+1)
	o.runS = growU16(o.runS, n+1)
	if stride <= 1 || stride > maxDistance {
		stride = 0
	}

	// Match lengths at the two fixed distances, from the end backwards.
	o.run1[n], o.runS[n] = 0, 0
	for i := n - 1; i >= 0; i-- {
		o.run1[i] = 0
		if i >= 1 && data[i] == data[i-1] {
			o.run1[i] = min(o.run1[i+1]+1, maxMatch)
		}
		o.runS[i] = 0
		if stride > 0 && i >= stride && data[i] == data[i-stride] {
			o.runS[i] = min(o.runS[i+1]+1, maxMatch)
		}
	}

	cost1, costS := m.dist[0], uint32(0)
	if stride > 0 {
		costS = m.dist[distCode(stride)]
	}
	cost := o.cost
	cost[0] = 0
	for i := 1; i <= n; i++ {
		cost[i] = math.MaxUint32
	}
	for i := range n {
		base := cost[i]
		if c := base + m.lit[data[i]]; c < cost[i+1] {
			cost[i+1], o.from[i+1] = c, literal(data[i])
		}
		limit := min(maxMatch, n-i)
		if limit < minMatch {
			continue
		}

		// Candidate matches: distance 1, the stride, and every
		// position on the hash chain that gives a longer match than
		// those before it.
		cands := o.cands[:0]
		longest := minMatch - 1
		if l := int(o.run1[i]); l > longest {
			cands = append(cands, candidate{1, l, cost1})
			longest = l
		}
		if l := int(o.runS[i]); l >= minMatch {
			cands = append(cands, candidate{stride, l, costS})
			longest = max(longest, l)
		}
		if longest < min(limit, shortLengths) {
			best := max(int(o.run1[i]), minMatch-1)
			c := int(mt.head[mt.hash(i)])
			for chain := mt.chain; c >= 0 && i-c <= maxDistance && chain > 0; chain-- {
				if data[c+best] == data[i+best] {
					if l := matchLen(data, c, i, limit); l > best {
						best = l
						if i-c != stride {
							cands = append(cands, candidate{i - c, l, m.dist[distCode(i-c)]})
						}
						longest = max(longest, l)
						if l == limit {
							break
						}
					}
				}
				next := int(mt.prev[c&mt.mask])
				if next >= c {
					break
				}
				c = next
			}
		}
		// Inside a long run or repeated row the chains are not needed:
		// searches find the same bytes through distance 1 or the stride.
		if o.run1[i] < maxMatch && o.runS[i] < maxMatch {
			mt.insert(i)
		}
		o.cands = cands
		if len(cands) == 0 {
			continue
		}

		// Lengths to try: every length when the matches are short, else
		// the longest length at each candidate distance. A length goes
		// with the cheapest distance that reaches it.
		if longest <= shortLengths {
			for l := minMatch; l <= longest; l++ {
				o.relax(i, l, base+m.length[l])
			}
		} else {
			for _, k := range cands {
				o.relax(i, k.length, base+m.length[k.length])
			}
		}
	}

	// Walk back from the end, then reverse the tokens into place.
	start := len(toks)
	for i := n; i > 0; {
		t := o.from[i]
		toks = append(toks, t)
		if t.isMatch() {
			i -= t.length()
		} else {
			i--
		}
	}
	for a, b := start, len(toks)-1; a < b; a, b = a+1, b-1 {
		toks[a], toks[b] = toks[b], toks[a]
	}
	mt.data = nil
	return toks
}

func growU32(b []uint32, n int) []uint32 {
	if cap(b) < n {
		return make([]uint32, n)
	}
	return b[:n]
}

func growU16(b []uint16, n int) []uint16 {
	if cap(b) < n {
		return make([]uint16, n)
	}
	return b[:n]
}

func growTok(b []token, n int) []token {
	if cap(b) < n {
		return make([]token, n)
	}
	return b[:n]
}
