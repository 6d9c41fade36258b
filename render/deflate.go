package render

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// This file codes LZ77 tokens (see lz77.go) as a DEFLATE (RFC 1951)
// stream, choosing for each block whichever of stored, fixed Huffman and
// dynamic Huffman is smallest. Dynamic codes have optimal lengths
// (package-merge when the Huffman code would be too deep) and the cheapest
// run-length coding of their code lengths among the repeat codes tried.
// compress/flate is not used: it cannot be told to use a fixed-Huffman
// block, which is what the smallest swatches need, and its output may
// change between Go releases.

const (
	minMatch    = 3
	maxMatch    = 258
	maxDistance = 32768
	numLitLen   = 286 // literal/length symbols used in a stream: 0..285
	numDist     = 30  // distance symbols used in a stream: 0..29
	numCodeLen  = 19  // code length symbols: 0..18
	endOfBlock  = 256
	maxCodeBits = 15 // longest literal/length or distance code
	maxCLBits   = 7  // longest code length code
	maxStored   = 65535

	// blockTokens is the most tokens put in one block. Swatches need far
	// fewer; the limit only bounds the work and memory for large images.
	blockTokens = 1 << 16

	// farMatch: a match of minMatch bytes further back than this costs
	// about as much as three literals and is not taken (as in zlib).
	farMatch = 4096
)

// Block types (the BTYPE field).
const (
	blockStored  = 0
	blockFixed   = 1
	blockDynamic = 2
)

// codeLenOrder is the order in which the code length code lengths are sent.
var codeLenOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// Length and distance code tables, built by init from RFC 1951 section
// 3.2.5.
var (
	lenCode   [256]uint8 // length-3 → length code 0..28 (symbol 257+code)
	lenBase   [29]uint16
	lenExtra  [29]uint8
	distBase  [numDist]uint16
	distExtra [numDist]uint8

	fixedLitLen  [288]uint8
	fixedLitCode [288]uint16
	fixedDistLen [numDist]uint8
	fixedDist    [numDist]uint16
)

func init() {
	base := 3
	for c := range 28 {
		e := 0
		if c >= 8 {
			e = (c - 4) / 4
		}
		lenBase[c], lenExtra[c] = uint16(base), uint8(e)
		for l := base; l < base+1<<e && l < maxMatch; l++ {
			lenCode[l-minMatch] = uint8(c)
		}
		base += 1 << e
	}
	lenBase[28], lenExtra[28] = maxMatch, 0
	lenCode[maxMatch-minMatch] = 28

	base = 1
	for c := range numDist {
		e := 0
		if c >= 4 {
			e = (c - 2) / 2
		}
		distBase[c], distExtra[c] = uint16(base), uint8(e)
		base += 1 << e
	}

	for s := range fixedLitLen {
		switch {
		case s < 144:
			fixedLitLen[s] = 8
		case s < 256:
			fixedLitLen[s] = 9
		case s < 280:
			fixedLitLen[s] = 7
		default:
			fixedLitLen[s] = 8
		}
	}
	canonical(fixedLitLen[:], fixedLitCode[:])
	for s := range fixedDistLen {
		fixedDistLen[s] = 5
	}
	canonical(fixedDistLen[:], fixedDist[:])
}

// distCode returns the distance code (0..29) of distance d (1..32768).
func distCode(d int) int {
	x := d - 1
	if x < 4 {
		return x
	}
	n := bits.Len(uint(x))
	return 2*(n-1) + (x>>(n-2))&1
}

// A token is a literal byte or a match (length, distance).
type token uint32

const matchFlag token = 1 << 31

func literal(b byte) token { return token(b) }

func match(length, dist int) token {
	return matchFlag | token(length-minMatch)<<15 | token(dist-1)
}

func (t token) isMatch() bool { return t&matchFlag != 0 }
func (t token) length() int   { return int(t>>15&0xff) + minMatch }
func (t token) dist() int     { return int(t&0x7fff) + 1 }

// bitWriter writes bits least significant first, as DEFLATE requires.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// writeBits writes the low nb bits of v; nb is at most 32.
func (w *bitWriter) writeBits(v uint32, nb uint) {
	w.acc |= uint64(v) << w.nacc
	w.nacc += nb
	if w.nacc >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.nacc -= 32
	}
}

// flush writes the pending bits, padding the last byte with zeros.
func (w *bitWriter) flush() {
	for w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc = w.nacc - min(w.nacc, 8)
	}
	w.acc, w.nacc = 0, 0
}

// bitLen returns the number of bits written so far.
func (w *bitWriter) bitLen() int { return len(w.out)*8 + int(w.nacc) }

// dynamicCode is the code and header of a dynamic-Huffman block.
type dynamicCode struct {
	litLen   [numLitLen]uint8
	dist     [numDist]uint8
	litCode  [numLitLen]uint16
	distCode [numDist]uint16
	nlit     int // HLIT+257
	ndist    int // HDIST+1
	cl       [numCodeLen]uint8
	clCode   [numCodeLen]uint16
	ncl      int      // HCLEN+4
	rle      []uint16 // code length symbols: symbol | extra<<5
}

// deflater chooses and writes blocks. Its buffers are reused.
type deflater struct {
	huff    huffman
	lit     [numLitLen]uint32
	dist    [numDist]uint32
	extra   int // extra bits of the counted block's lengths and distances
	dyn     dynamicCode
	runs    []lengthRun
	clFreq  [numCodeLen]uint32
	clTry   [numCodeLen]uint8
	lengths [numLitLen + numDist]uint8
}

// lengthRun is a run of equal code lengths.
type lengthRun struct {
	len uint8
	n   int
}

// count sets the symbol frequencies and extra-bit total for toks.
func (z *deflater) count(toks []token) {
	clear(z.lit[:])
	clear(z.dist[:])
	extra := 0
	for _, t := range toks {
		if !t.isMatch() {
			z.lit[t]++
			continue
		}
		lc := lenCode[t.length()-minMatch]
		z.lit[257+int(lc)]++
		dc := distCode(t.dist())
		z.dist[dc]++
		extra += int(lenExtra[lc]) + int(distExtra[dc])
	}
	z.lit[endOfBlock]++
	z.extra = extra
}

// fixedBits is the size of the counted block with fixed codes, headers
// included.
func (z *deflater) fixedBits() int {
	n := 3 + z.extra
	for s, f := range z.lit {
		n += int(f) * int(fixedLitLen[s])
	}
	for _, f := range z.dist {
		n += int(f) * 5
	}
	return n
}

// storedBits is the size of a stored coding of n bytes starting at bit
// position pos, headers included.
func storedBits(pos, n int) int {
	total := 0
	for {
		chunk := min(n, maxStored)
		pad := (8 - (pos+3)%8) % 8
		b := 3 + pad + 32 + 8*chunk
		total += b
		pos += b
		n -= chunk
		if n == 0 {
			return total
		}
	}
}

// dynamicLowerBound is a lower bound on the size of the counted block with
// dynamic codes, headers included: the fixed part of the header plus the
// entropy of the symbols, which no prefix code beats. It lets the search
// skip building codes for blocks and candidates that cannot win. It is
// computed in floating point, which may round differently on different
// platforms; it is less than the true size by at least a bit more than
// any such difference, so no choice that shapes the output depends on it
// (see block and encode).
func (z *deflater) dynamicLowerBound() int {
	// The header: 3 bits of block header, HLIT, HDIST, HCLEN, at least
	// four code length code lengths; then the literal/length code lengths
	// up to the last used symbol. Each run of used symbols takes at least
	// one code length symbol of at least one bit; each run of g unused
	// ones at least min(g, 4) bits (a zero is at least 1 bit, a repeat
	// code at least 1 plus 2 or more extra bits).
	n := 3 + 5 + 5 + 4 + 3*4
	last := numLitLen - 1
	for z.lit[last] == 0 {
		last--
	}
	for i := 0; i <= last; {
		j := i
		for j <= last && (z.lit[j] == 0) == (z.lit[i] == 0) {
			j++
		}
		if z.lit[i] == 0 {
			n += min(j-i, 4)
		} else {
			n++
		}
		i = j
	}
	// The symbols: their entropy, less one bit for rounding (the bound is
	// compared against whole bit counts).
	return n + z.extra + int(entropy(z.lit[:])+entropy(z.dist[:])) - 1
}

// entropy returns the Shannon information content, in bits, of a message
// with the symbol frequencies freq.
func entropy(freq []uint32) float64 {
	total := 0.0
	for _, f := range freq {
		total += float64(f)
	}
	h := 0.0
	for _, f := range freq {
		if f > 0 {
			h += float64(f) * math.Log2(total/float64(f))
		}
	}
	return h
}

// dynamicBits builds z.dyn for the counted block and returns its size,
// headers included.
func (z *deflater) dynamicBits() int {
	c := &z.dyn
	z.huff.lengths(z.lit[:], maxCodeBits, c.litLen[:])
	z.huff.lengths(z.dist[:], maxCodeBits, c.dist[:])
	c.nlit = numLitLen
	for c.nlit > 257 && c.litLen[c.nlit-1] == 0 {
		c.nlit--
	}
	c.ndist = numDist
	for c.ndist > 1 && c.dist[c.ndist-1] == 0 {
		c.ndist--
	}

	// The literal/length and distance code lengths are sent as one
	// sequence, run-length coded; runs may cross from one to the other.
	z.runs = z.runs[:0]
	var has16, has17, has18 bool
	addRun := func(v uint8) {
		if k := len(z.runs) - 1; k >= 0 && z.runs[k].len == v {
			z.runs[k].n++
			return
		}
		z.runs = append(z.runs, lengthRun{v, 1})
	}
	for _, v := range c.litLen[:c.nlit] {
		addRun(v)
	}
	for _, v := range c.dist[:c.ndist] {
		addRun(v)
	}
	for _, r := range z.runs {
		has16 = has16 || r.len != 0 && r.n >= 4
		has17 = has17 || r.len == 0 && r.n >= 3
		has18 = has18 || r.len == 0 && r.n >= 11
	}

	// Try every subset of the repeat codes 16, 17 and 18 that the runs can
	// use, and keep the cheapest coding.
	best, bestOpt := -1, 0
	for opt := range 8 {
		if opt&rle16 != 0 && !has16 || opt&rle17 != 0 && !has17 || opt&rle18 != 0 && !has18 {
			continue // same as the option without that code
		}
		clear(z.clFreq[:])
		rleCount(z.runs, opt, &z.clFreq)
		z.huff.lengths(z.clFreq[:], maxCLBits, z.clTry[:])
		ncl := numCodeLen
		for ncl > 4 && z.clTry[codeLenOrder[ncl-1]] == 0 {
			ncl--
		}
		n := 5 + 5 + 4 + 3*ncl
		for s, f := range z.clFreq {
			n += int(f) * (int(z.clTry[s]) + rleExtraBits(uint16(s)))
		}
		if best < 0 || n < best {
			best, bestOpt = n, opt
			c.cl = z.clTry
			c.ncl = ncl
		}
	}
	c.rle = rleRuns(z.runs, bestOpt, &z.clFreq, c.rle[:0])

	n := 3 + best + z.extra
	for s, f := range z.lit {
		n += int(f) * int(c.litLen[s])
	}
	for s, f := range z.dist {
		n += int(f) * int(c.dist[s])
	}
	return n
}

// rleExtraBits returns the number of extra bits of code length symbol v.
func rleExtraBits(v uint16) int {
	switch v & 31 {
	case 16:
		return 2
	case 17:
		return 3
	case 18:
		return 7
	}
	return 0
}

// Options of rleRuns: the repeat codes it may use.
const (
	rle16 = 1 << iota // 16: repeat the previous length 3-6 times
	rle17             // 17: 3-10 zeros
	rle18             // 18: 11-138 zeros
)

// rleCount adds to freq the counts of the code length symbols that
// rleRuns appends for runs and opt, computed without making them.
func rleCount(runs []lengthRun, opt int, freq *[numCodeLen]uint32) {
	// chunks counts the repeat codes of up to most that cover run, taken
	// greedily while at least least remain, and returns the rest.
	chunks := func(sym, run, least, most int) int {
		if run < least {
			return run
		}
		k, rest := run/most, run%most
		if rest >= least {
			k, rest = k+1, 0
		}
		freq[sym] += uint32(k)
		return rest
	}
	for _, r := range runs {
		v, run := int(r.len), r.n
		if v == 0 {
			if opt&rle18 != 0 {
				run = chunks(18, run, 11, 138)
			}
			if opt&rle17 != 0 {
				run = chunks(17, run, 3, 10)
			}
			freq[0] += uint32(run)
			continue
		}
		freq[v]++
		run--
		if opt&rle16 != 0 {
			run = chunks(16, run, 3, 6)
		}
		freq[v] += uint32(run)
	}
}

// rleRuns adds to freq the counts of the code length symbols that code
// runs with the repeat codes enabled in opt, and appends the symbols to
// out, each as symbol | extra<<5. Each run is coded greedily: as many of
// the longest repeats as fit, then a shorter repeat, then single lengths.
func rleRuns(runs []lengthRun, opt int, freq *[numCodeLen]uint32, out []uint16) []uint16 {
	emit := func(sym, extra int) {
		freq[sym]++
		out = append(out, uint16(sym|extra<<5))
	}
	for _, r := range runs {
		v, run := int(r.len), r.n
		if v == 0 {
			for run > 0 {
				switch {
				case opt&rle18 != 0 && run >= 11:
					k := min(run, 138)
					emit(18, k-11)
					run -= k
				case opt&rle17 != 0 && run >= 3:
					k := min(run, 10)
					emit(17, k-3)
					run -= k
				default:
					emit(0, 0)
					run--
				}
			}
			continue
		}
		emit(v, 0)
		run--
		for run > 0 {
			if opt&rle16 != 0 && run >= 3 {
				k := min(run, 6)
				emit(16, k-3)
				run -= k
			} else {
				emit(v, 0)
				run--
			}
		}
	}
	return out
}

// block returns the type and size in bits, headers included, of the
// cheapest coding of toks (which decode to raw) starting at bit position
// pos. When even a lower bound on that size reaches limit, it returns
// early with that bound instead, which is at least limit; limit < 0 means
// no limit. When the result is a dynamic block, z.dyn holds its code.
func (z *deflater) block(toks []token, raw []byte, pos, limit int) (btype, nbits int) {
	z.count(toks)
	btype, nbits = blockFixed, z.fixedBits()
	if s := storedBits(pos, len(raw)); s < nbits {
		btype, nbits = blockStored, s
	}
	lb := z.dynamicLowerBound()
	if lb >= nbits {
		return btype, nbits
	}
	if limit >= 0 && lb >= limit {
		return blockDynamic, lb // cut short: fixed, stored and dynamic are all >= lb
	}
	if d := z.dynamicBits(); d < nbits {
		btype, nbits = blockDynamic, d
	}
	return btype, nbits
}

// size returns the length in bits of the DEFLATE stream for toks, which
// decode to raw; or, if that is at least limit, possibly a lower bound on
// it that is at least limit. limit < 0 means no limit.
func (z *deflater) size(toks []token, raw []byte, limit int) int {
	pos := 0
	for len(toks) > 0 {
		k := min(len(toks), blockTokens)
		n := tokenBytes(toks[:k])
		l := -1
		if limit >= 0 {
			l = limit - pos
		}
		_, b := z.block(toks[:k], raw[:n], pos, l)
		pos += b
		if limit >= 0 && pos >= limit {
			return pos
		}
		toks, raw = toks[k:], raw[n:]
	}
	return pos
}

// tokenBytes returns the number of bytes toks decode to.
func tokenBytes(toks []token) int {
	n := 0
	for _, t := range toks {
		if t.isMatch() {
			n += t.length()
		} else {
			n++
		}
	}
	return n
}

// write writes the DEFLATE stream for toks, which decode to raw, to w.
func (z *deflater) write(w *bitWriter, toks []token, raw []byte) {
	for len(toks) > 0 {
		k := min(len(toks), blockTokens)
		n := tokenBytes(toks[:k])
		final := k == len(toks)
		btype, _ := z.block(toks[:k], raw[:n], w.bitLen(), -1)
		switch btype {
		case blockStored:
			writeStored(w, raw[:n], final)
		case blockFixed:
			w.writeBits(b2u(final)|blockFixed<<1, 3)
			writeTokens(w, toks[:k], fixedLitLen[:], fixedLitCode[:], fixedDistLen[:], fixedDist[:])
		default:
			z.writeDynamic(w, toks[:k], final)
		}
		toks, raw = toks[k:], raw[n:]
	}
	w.flush()
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// writeStored writes raw as stored blocks; final marks the last of them.
func writeStored(w *bitWriter, raw []byte, final bool) {
	for {
		chunk := min(len(raw), maxStored)
		last := final && chunk == len(raw)
		w.writeBits(b2u(last)|blockStored<<1, 3)
		w.flush()
		w.out = binary.LittleEndian.AppendUint16(w.out, uint16(chunk))
		w.out = binary.LittleEndian.AppendUint16(w.out, ^uint16(chunk))
		w.out = append(w.out, raw[:chunk]...)
		raw = raw[chunk:]
		if len(raw) == 0 {
			return
		}
	}
}

// writeDynamic writes toks as a dynamic block with the code in z.dyn.
func (z *deflater) writeDynamic(w *bitWriter, toks []token, final bool) {
	c := &z.dyn
	canonical(c.litLen[:], c.litCode[:])
	canonical(c.dist[:], c.distCode[:])
	canonical(c.cl[:], c.clCode[:])
	w.writeBits(b2u(final)|blockDynamic<<1, 3)
	w.writeBits(uint32(c.nlit-257), 5)
	w.writeBits(uint32(c.ndist-1), 5)
	w.writeBits(uint32(c.ncl-4), 4)
	for _, s := range codeLenOrder[:c.ncl] {
		w.writeBits(uint32(c.cl[s]), 3)
	}
	for _, v := range c.rle {
		s := v & 31
		w.writeBits(uint32(c.clCode[s]), uint(c.cl[s]))
		if e := rleExtraBits(v); e > 0 {
			w.writeBits(uint32(v>>5), uint(e))
		}
	}
	writeTokens(w, toks, c.litLen[:], c.litCode[:], c.dist[:], c.distCode[:])
}

// writeTokens writes toks and the end-of-block symbol with the given codes.
func writeTokens(w *bitWriter, toks []token, litLen []uint8, litCode []uint16, distLen []uint8, distCodes []uint16) {
	for _, t := range toks {
		if !t.isMatch() {
			w.writeBits(uint32(litCode[t]), uint(litLen[t]))
			continue
		}
		l := t.length()
		lc := int(lenCode[l-minMatch])
		w.writeBits(uint32(litCode[257+lc]), uint(litLen[257+lc]))
		if e := lenExtra[lc]; e > 0 {
			w.writeBits(uint32(l-int(lenBase[lc])), uint(e))
		}
		d := t.dist()
		dc := distCode(d)
		w.writeBits(uint32(distCodes[dc]), uint(distLen[dc]))
		if e := distExtra[dc]; e > 0 {
			w.writeBits(uint32(d-int(distBase[dc])), uint(e))
		}
	}
	w.writeBits(uint32(litCode[endOfBlock]), uint(litLen[endOfBlock]))
}
