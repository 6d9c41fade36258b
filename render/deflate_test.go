package render

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// The length and distance tables of RFC 1951, section 3.2.5.
var (
	rfcLenBase = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
		35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	rfcLenExtra  = [29]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	rfcDistBase  = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	rfcDistExtra = [30]int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

func TestTables(t *testing.T) {
	for c := range 29 {
		if int(lenBase[c]) != rfcLenBase[c] || int(lenExtra[c]) != rfcLenExtra[c] {
			t.Errorf("length code %d: base %d extra %d, want %d %d", c, lenBase[c], lenExtra[c], rfcLenBase[c], rfcLenExtra[c])
		}
	}
	for l := minMatch; l <= maxMatch; l++ {
		c := int(lenCode[l-minMatch])
		if l < rfcLenBase[c] || l >= rfcLenBase[c]+1<<rfcLenExtra[c] && l != 258 || l == 258 && c != 28 {
			t.Errorf("length %d: code %d", l, c)
		}
	}
	for c := range 30 {
		if int(distBase[c]) != rfcDistBase[c] || int(distExtra[c]) != rfcDistExtra[c] {
			t.Errorf("distance code %d: base %d extra %d, want %d %d", c, distBase[c], distExtra[c], rfcDistBase[c], rfcDistExtra[c])
		}
	}
	for d := 1; d <= maxDistance; d++ {
		c := distCode(d)
		if d < rfcDistBase[c] || d >= rfcDistBase[c]+1<<rfcDistExtra[c] {
			t.Fatalf("distance %d: code %d", d, c)
		}
	}
	// Fixed codes: 0-143 8 bits from 00110000, 144-255 9 bits from
	// 110010000, 256-279 7 bits from 0000000, 280-287 8 bits from 11000000.
	for _, k := range []struct {
		sym  int
		code uint16
		bits int
	}{{0, 0x30, 8}, {143, 0xbf, 8}, {144, 0x190, 9}, {255, 0x1ff, 9}, {256, 0, 7}, {279, 0x17, 7}, {280, 0xc0, 8}, {287, 0xc7, 8}} {
		if int(fixedLitLen[k.sym]) != k.bits || fixedLitCode[k.sym] != reverse(k.code, k.bits) {
			t.Errorf("fixed code of %d: %0*b (%d bits)", k.sym, k.bits, reverse(fixedLitCode[k.sym], k.bits), fixedLitLen[k.sym])
		}
	}
}

func reverse(v uint16, n int) uint16 {
	var r uint16
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// kraft returns the Kraft sum of lengths times 2^limit, and the cost of
// coding freq with them.
func kraft(lengths []uint8, freq []uint32, limit int) (sum, cost int) {
	for s, l := range lengths {
		if l > 0 {
			sum += 1 << (limit - int(l))
			cost += int(freq[s]) * int(l)
		}
	}
	return sum, cost
}

// bruteForce returns the cheapest cost of a complete prefix code for freq
// (all non-zero) with lengths at most limit, by trying every assignment.
func bruteForce(freq []uint32, limit int) int {
	best := -1
	lengths := make([]int, len(freq))
	var rec func(i, kraftSum int)
	rec = func(i, kraftSum int) {
		if kraftSum > 1<<limit {
			return
		}
		if i == len(freq) {
			if kraftSum != 1<<limit {
				return
			}
			cost := 0
			for s, l := range lengths {
				cost += int(freq[s]) * l
			}
			if best < 0 || cost < best {
				best = cost
			}
			return
		}
		for l := 1; l <= limit; l++ {
			lengths[i] = l
			rec(i+1, kraftSum+1<<(limit-l))
		}
	}
	rec(0, 0)
	return best
}

func TestHuffmanLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h huffman
	// Small alphabets against brute force, with tight limits that force
	// the package-merge path.
	for trial := range 300 {
		n := 2 + rng.IntN(6)
		limit := 3 + rng.IntN(2)
		if 1<<limit < n {
			limit = 3
		}
		freq := make([]uint32, n)
		for i := range freq {
			freq[i] = 1 + uint32(rng.IntN(1<<(rng.IntN(12)+1)))
		}
		out := make([]uint8, n)
		h.lengths(freq, limit, out)
		sum, cost := kraft(out, freq, limit)
		if sum != 1<<limit {
			t.Fatalf("trial %d: freq %v limit %d: lengths %v not complete", trial, freq, limit, out)
		}
		if want := bruteForce(freq, limit); cost != want {
			t.Fatalf("trial %d: freq %v limit %d: lengths %v cost %d, want %d", trial, freq, limit, out, cost, want)
		}
	}
	// Large alphabets, with zeros, and frequencies (Fibonacci) whose
	// Huffman code is far deeper than 15 bits.
	fib := make([]uint32, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	cases := [][]uint32{fib}
	for range 50 {
		freq := make([]uint32, 286)
		for i := range freq {
			if rng.IntN(3) > 0 {
				freq[i] = uint32(rng.ExpFloat64() * 1000)
			}
		}
		cases = append(cases, freq)
	}
	for i, freq := range cases {
		out := make([]uint8, len(freq))
		h.lengths(freq, maxCodeBits, out)
		used := 0
		for s, f := range freq {
			if f > 0 {
				used++
				if out[s] == 0 || out[s] > maxCodeBits {
					t.Fatalf("case %d: symbol %d (freq %d) has length %d", i, s, f, out[s])
				}
			} else if out[s] != 0 {
				t.Fatalf("case %d: unused symbol %d has length %d", i, s, out[s])
			}
		}
		if sum, _ := kraft(out, freq, maxCodeBits); used >= 2 && sum != 1<<maxCodeBits {
			t.Fatalf("case %d: code not complete (Kraft sum %d/%d)", i, sum, 1<<maxCodeBits)
		}
	}
	// One used symbol: a second gets a code too, so the code is complete.
	for _, sym := range []int{0, 5} {
		freq := make([]uint32, 30)
		freq[sym] = 7
		out := make([]uint8, 30)
		h.lengths(freq, maxCodeBits, out)
		if sum, _ := kraft(out, freq, maxCodeBits); sum != 1<<maxCodeBits || out[sym] != 1 {
			t.Errorf("one symbol %d: lengths %v", sym, out[:8])
		}
	}
}

// deflateBytes compresses data with a parse made by parse.
func deflateBytes(data []byte, stride int, optimalParse bool) []byte {
	var mt matcher
	var z deflater
	toks := mt.lazyParse(data, stride, nil)
	if optimalParse {
		var o optimal
		var m costModel
		m.setFixed()
		toks = o.parse(&mt, data, stride, &m, nil)
	}
	w := bitWriter{}
	z.write(&w, toks, data)
	return w.out
}

func TestDeflateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n, alphabet int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(alphabet))
		}
		return b
	}
	text := bytes.Repeat([]byte("the catalog shows thousands of swatches; each byte counts. "), 900)
	periodic := make([]byte, 150000)
	for i := range periodic {
		periodic[i] = byte(i % 40001 % 251)
	}
	inputs := map[string][]byte{
		"one byte":       {42},
		"two bytes":      {1, 2},
		"zeros":          make([]byte, 100000),
		"random":         random(100000, 256),
		"random 4":       random(70000, 4),
		"text":           text,
		"period > 32768": periodic,
		"short":          []byte("abcabcabcabcabcX"),
	}
	for name, data := range inputs {
		for _, opt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/optimal=%v", name, opt), func(t *testing.T) {
				c := deflateBytes(data, 41, opt)
				got, err := io.ReadAll(flate.NewReader(bytes.NewReader(c)))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("round trip differs: %d bytes back, want %d", len(got), len(data))
				}
				// Never much larger than compress/flate at its best.
				var ref bytes.Buffer
				fw, _ := flate.NewWriter(&ref, flate.BestCompression)
				fw.Write(data)
				fw.Close()
				t.Logf("%d bytes, compress/flate %d", len(c), ref.Len())
				if len(c) > ref.Len()+ref.Len()/10+8 {
					t.Errorf("%d bytes, compress/flate %d", len(c), ref.Len())
				}
			})
		}
	}
}

// TestBlockTypes checks that each block type is chosen where it is the
// smallest, and decodes.
func TestBlockTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	skewed := make([]byte, 3000)
	for i := range skewed {
		skewed[i] = byte(rng.IntN(3) * rng.IntN(2))
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"stored", random, blockStored},
		{"fixed", make([]byte, 240), blockFixed},
		{"dynamic", skewed, blockDynamic},
	}
	for _, tt := range tests {
		var mt matcher
		var z deflater
		toks := mt.lazyParse(tt.data, 0, nil)
		btype, nbits := z.block(toks, tt.data, 0, -1)
		if btype != tt.want {
			t.Errorf("%s: block type %d, want %d", tt.name, btype, tt.want)
		}
		c := deflateBytes(tt.data, 0, false)
		if (nbits+7)/8 != len(c) {
			t.Errorf("%s: size %d bits, but wrote %d bytes", tt.name, nbits, len(c))
		}
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(c)))
		if err != nil || !bytes.Equal(got, tt.data) {
			t.Errorf("%s: round trip failed: %v", tt.name, err)
		}
	}
}

// TestRLECount checks that rleCount counts the symbols rleRuns makes, and
// that rleRuns' symbols expand back to the runs.
func TestRLECount(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 2000 {
		var runs []lengthRun
		for range 1 + rng.IntN(8) {
			v := uint8(0)
			if rng.IntN(2) == 0 {
				v = uint8(1 + rng.IntN(15))
			}
			if len(runs) > 0 && runs[len(runs)-1].len == v {
				continue
			}
			runs = append(runs, lengthRun{v, 1 + rng.IntN(300)})
		}
		for opt := range 8 {
			var want, got [numCodeLen]uint32
			syms := rleRuns(runs, opt, &want, nil)
			rleCount(runs, opt, &got)
			if got != want {
				t.Fatalf("trial %d, runs %v, option %d: counted %v, made %v", trial, runs, opt, got, want)
			}
			var lens []uint8
			for _, v := range syms {
				switch s, e := int(v&31), int(v>>5); s {
				case 16:
					for range 3 + e {
						lens = append(lens, lens[len(lens)-1])
					}
				case 17:
					lens = append(lens, make([]uint8, 3+e)...)
				case 18:
					lens = append(lens, make([]uint8, 11+e)...)
				default:
					lens = append(lens, uint8(s))
				}
			}
			var back []uint8
			for _, r := range runs {
				for range r.n {
					back = append(back, r.len)
				}
			}
			if !bytes.Equal(lens, back) {
				t.Fatalf("trial %d, option %d: symbols expand to %d lengths, want %d", trial, opt, len(lens), len(back))
			}
		}
	}
}

// TestDynamicLowerBound checks that the bound used to skip building
// dynamic codes is below the true size, on parses of varied data.
func TestDynamicLowerBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 400 {
		n := 1 + rng.IntN(5000)
		alphabet := 1 + rng.IntN(256)
		data := make([]byte, n)
		for i := range data {
			if rng.IntN(4) == 0 || i == 0 {
				data[i] = byte(rng.IntN(alphabet))
			} else {
				data[i] = data[i-1]
			}
		}
		var mt matcher
		var z deflater
		toks := mt.lazyParse(data, 1+rng.IntN(100), nil)
		z.count(toks)
		lb := z.dynamicLowerBound()
		if d := z.dynamicBits(); lb >= d {
			t.Fatalf("trial %d: lower bound %d, dynamic block %d bits", trial, lb, d)
		}
	}
}
