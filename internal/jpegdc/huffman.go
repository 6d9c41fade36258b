package jpegdc

import "encoding/binary"

// lutBits is the number of bits looked up at once when decoding a Huffman
// symbol; longer codes (rare in real tables) take the canonical-code path.
const lutBits = 10

// huffTable is one Huffman table (section C and F.2.2.3 of T.81) with two
// lookup tables indexed by the next lutBits bits of the stream.
type huffTable struct {
	// lut holds codeLength<<8 | symbol; 0 when the code is longer than lutBits
	// (or the bits are not a code).
	lut [1 << lutBits]uint16
	// skip holds, for AC tables, advance<<8 | bits: the bits taken by the
	// code and its extra bits, and how far the zig-zag index moves (the run
	// plus one, 16 for ZRL, 64 for end of block); 0 as in lut.
	skip [1 << lutBits]uint16
	// maxCode[l] is the largest code of length l, -1 when there is none;
	// valOff[l] turns such a code into an index of vals.
	maxCode [17]int32
	valOff  [17]int32
	vals    [256]uint8
}

// build fills t from the 16 code-length counts and the symbols of a DHT
// table, rejecting tables whose codes do not fit their lengths.
func (t *huffTable) build(counts []byte, symbols []byte) error {
	t.lut = [1 << lutBits]uint16{}
	t.skip = [1 << lutBits]uint16{}
	copy(t.vals[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.maxCode[l] = -1
		t.valOff[l] = k - code
		for i := int32(0); i < n; i++ {
			// Codes of length l must fit in l bits.
			if code >= 1<<l {
				return formatError("bad Huffman table")
			}
			if l <= lutBits {
				sym := symbols[k]
				e := uint16(l)<<8 | uint16(sym)
				s := skipEntry(sym, l)
				first := code << (lutBits - l)
				for j := first; j < first+1<<(lutBits-l); j++ {
					t.lut[j] = e
					t.skip[j] = s
				}
			}
			code++
			k++
		}
		if n > 0 {
			t.maxCode[l] = code - 1
		}
		code <<= 1
	}
	return nil
}

// skipEntry is the skip-table entry for AC symbol rs with code length l.
func skipEntry(rs uint8, l int) uint16 {
	r, s := int(rs>>4), int(rs&15)
	switch {
	case s != 0:
		return uint16(r+1)<<8 | uint16(l+s)
	case r == 15: // ZRL: sixteen zeros
		return 16<<8 | uint16(l)
	default: // EOB (EOBn has no meaning in a sequential scan)
		return 64<<8 | uint16(l)
	}
}

// slow decodes a code longer than lutBits from the top of acc, returning the
// symbol and code length, or ok false when the bits are not a code.
func (t *huffTable) slow(acc uint64) (sym uint8, l int, ok bool) {
	for l = lutBits + 1; l <= 16; l++ {
		code := int32(acc >> (64 - l))
		if code <= t.maxCode[l] {
			return t.vals[t.valOff[l]+code], l, true
		}
	}
	return 0, 0, false
}

// bitReader reads entropy-coded bits, removing byte stuffing. At a marker or
// the end of the data it stops reading and appends zero bits, counting them
// in pad, so decoding never runs off the data; a scan that has used any of
// them (pad > n) is short.
type bitReader struct {
	data []byte
	pos  int    // next byte to read
	acc  uint64 // bits, most significant first
	n    int    // valid bits in acc
	pad  int    // zero bits appended in acc after a marker or the end
}

// fill tops acc up to at least 57 bits.
func (r *bitReader) fill() {
	if r.pad == 0 && r.pos+8 <= len(r.data) {
		v := binary.BigEndian.Uint64(r.data[r.pos:])
		// Take whole bytes at once when none of the next 8 is 0xFF.
		if y := ^v; (y-0x0101010101010101)&^y&0x8080808080808080 == 0 {
			k := (64 - r.n) >> 3
			r.acc |= (v &^ (1<<(64-8*k) - 1)) >> r.n
			r.n += 8 * k
			r.pos += k
			return
		}
	}
	for r.n <= 56 {
		var b byte
		if r.pad == 0 && r.pos < len(r.data) {
			b = r.data[r.pos]
			if b != 0xFF {
				r.pos++
			} else if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0 {
				r.pos += 2
			} else {
				// A marker (or a lone 0xFF at the end): stop before it.
				b = 0
				r.pad += 8
			}
		} else {
			r.pad += 8
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// short reports whether decoding has used bits past the scan's data.
func (r *bitReader) short() bool { return r.pad > r.n }

// decodeDC decodes one DC difference (F.2.2.1) with table t.
func (r *bitReader) decodeDC(t *huffTable) (int32, error) {
	if r.n < 32 {
		r.fill()
	}
	acc := r.acc
	var s, l uint
	if e := t.lut[acc>>(64-lutBits)]; e != 0 {
		s, l = uint(e&0xff), uint(e>>8)
	} else {
		sym, ll, ok := t.slow(acc)
		if !ok {
			return 0, formatError("bad Huffman code")
		}
		s, l = uint(sym), uint(ll)
	}
	if s > 11 {
		return 0, formatError("bad DC difference size")
	}
	acc <<= l
	var diff int32
	if s != 0 {
		diff = extend(int32(acc>>(64-s)), s)
		acc <<= s
	}
	r.acc = acc
	r.n -= int(l + s)
	return diff, nil
}

// extend turns the s extra bits v into a signed value (F.2.2.1, EXTEND).
func extend(v int32, s uint) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// skipAC decodes and discards the 63 AC coefficients of a sequential block:
// only the code lengths and extra-bit counts matter. It is the hot loop.
func (r *bitReader) skipAC(t *huffTable) error {
	acc, n := r.acc, r.n
	for k := 1; k < 64; {
		if n < 32 {
			r.acc, r.n = acc, n
			r.fill()
			acc, n = r.acc, r.n
		}
		e := t.skip[acc>>(64-lutBits)]
		if e == 0 {
			sym, l, ok := t.slow(acc)
			if !ok {
				return formatError("bad Huffman code")
			}
			e = skipEntry(sym, l)
		}
		nb := uint(e & 0xff)
		acc <<= nb
		n -= int(nb)
		k += int(e >> 8)
	}
	r.acc, r.n = acc, n
	return nil
}

// bit reads one bit (a DC refinement bit, G.1.2.1).
func (r *bitReader) bit() uint32 {
	if r.n < 32 {
		r.fill()
	}
	b := uint32(r.acc >> 63)
	r.acc <<= 1
	r.n--
	return b
}
