package render

import (
	"cmp"
	"math/bits"
	"slices"
)

// huffman builds length-limited Huffman codes. Its buffers are reused
// between calls; the zero value is ready to use.
type huffman struct {
	syms  []int    // symbols with a non-zero frequency, by (frequency, symbol)
	leafW []uint64 // their frequencies, in the same order
	prevW []uint64 // item weights of the previous level
	curW  []uint64 // item weights of the level being built
	leaf  [][]bool // leaf[l][i]: item i of level l is a leaf (not a package)
	nodeW []uint64 // Huffman tree: weights of the internal nodes
	up    []int32  // Huffman tree: parent of each node
	depth []uint8  // Huffman tree: depth of each node
}

// lengths sets out[s] to the length in bits of the code for symbol s, an
// optimal prefix code for freq with no code longer than maxBits: a Huffman
// code when its longest code fits, else one built with the package-merge
// algorithm. Symbols of frequency 0 get length 0. When only one symbol has
// a non-zero frequency, a second symbol (0, or 1 if the used one is 0) also
// gets length 1, so that the code is complete: some decoders reject an
// incomplete code. Ties are broken by symbol value, so the result is
// deterministic. len(out) must be at least len(freq), and 1<<maxBits at
// least the number of used symbols.
func (h *huffman) lengths(freq []uint32, maxBits int, out []uint8) {
	clear(out)
	h.syms = h.syms[:0]
	for s, f := range freq {
		if f > 0 {
			h.syms = append(h.syms, s)
		}
	}
	n := len(h.syms)
	switch n {
	case 0:
		return
	case 1:
		out[h.syms[0]] = 1
		if h.syms[0] == 0 {
			out[1] = 1
		} else {
			out[0] = 1
		}
		return
	}
	slices.SortFunc(h.syms, func(a, b int) int {
		if c := cmp.Compare(freq[a], freq[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	h.leafW = h.leafW[:0]
	for _, s := range h.syms {
		h.leafW = append(h.leafW, uint64(freq[s]))
	}
	if h.huffman(maxBits, out) {
		return
	}
	for len(h.leaf) < maxBits {
		h.leaf = append(h.leaf, nil)
	}

	// Level 0 holds the leaves alone; level l merges the leaves with the
	// packages (pairs) of level l-1's items, lightest first.
	h.prevW = append(h.prevW[:0], h.leafW...)
	h.leaf[0] = h.leaf[0][:0]
	for range n {
		h.leaf[0] = append(h.leaf[0], true)
	}
	for l := 1; l < maxBits; l++ {
		np := len(h.prevW) / 2
		flags := h.leaf[l][:0]
		h.curW = h.curW[:0]
		i, j := 0, 0
		for i < n || j < np {
			if i < n && (j >= np || h.leafW[i] <= h.prevW[2*j]+h.prevW[2*j+1]) {
				h.curW = append(h.curW, h.leafW[i])
				flags = append(flags, true)
				i++
			} else {
				h.curW = append(h.curW, h.prevW[2*j]+h.prevW[2*j+1])
				flags = append(flags, false)
				j++
			}
		}
		h.leaf[l] = flags
		h.prevW, h.curW = h.curW, h.prevW
	}

	// Take the 2n-2 lightest items of the top level; every leaf counted in
	// them, or in the items of the packages taken, adds one bit to its code.
	// The items taken at each level are a prefix of that level, and the
	// leaves among them a prefix of the sorted leaves.
	m := 2*n - 2
	for l := maxBits - 1; l >= 0; l-- {
		leaves := 0
		for _, isLeaf := range h.leaf[l][:m] {
			if isLeaf {
				leaves++
			}
		}
		for _, s := range h.syms[:leaves] {
			out[s]++
		}
		m = 2 * (m - leaves)
	}
}

// huffman sets out to the code lengths of a Huffman code for the sorted
// leaves h.syms with weights h.leafW and reports whether the longest is at
// most maxBits. Leaves and internal nodes are merged in two queues, both in
// nondecreasing order of weight; a leaf goes first on ties.
func (h *huffman) huffman(maxBits int, out []uint8) bool {
	n := len(h.leafW)
	nodes := 2*n - 1
	if cap(h.up) < nodes {
		h.up = make([]int32, nodes)
		h.depth = make([]uint8, nodes)
	}
	h.up, h.depth = h.up[:nodes], h.depth[:nodes]
	h.nodeW = h.nodeW[:0]
	leaf, inner := 0, 0 // next unmerged leaf and internal node
	pick := func() int {
		if leaf < n && (inner >= len(h.nodeW) || h.leafW[leaf] <= h.nodeW[inner]) {
			leaf++
			return leaf - 1
		}
		inner++
		return n + inner - 1
	}
	weight := func(k int) uint64 {
		if k < n {
			return h.leafW[k]
		}
		return h.nodeW[k-n]
	}
	for k := n; k < nodes; k++ {
		a, b := pick(), pick()
		h.up[a], h.up[b] = int32(k), int32(k)
		h.nodeW = append(h.nodeW, weight(a)+weight(b))
	}
	h.depth[nodes-1] = 0
	for k := nodes - 2; k >= 0; k-- {
		d := h.depth[h.up[k]] + 1
		if int(d) > maxBits {
			return false
		}
		h.depth[k] = d
	}
	for i, s := range h.syms {
		out[s] = h.depth[i]
	}
	return true
}

// canonical sets codes[s] to the canonical Huffman code (RFC 1951 section
// 3.2.2) of symbol s for the code lengths in lengths, bit-reversed so that
// it can be written least significant bit first.
func canonical(lengths []uint8, codes []uint16) {
	var count [maxCodeBits + 1]int
	for _, l := range lengths {
		if l != 0 {
			count[l]++
		}
	}
	var next [maxCodeBits + 1]int
	code := 0
	for b := 1; b <= maxCodeBits; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	for s, l := range lengths {
		if l == 0 {
			codes[s] = 0
			continue
		}
		codes[s] = bits.Reverse16(uint16(next[l])) >> (16 - l)
		next[l]++
	}
}
