package render

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"io"
	"math/bits"
	"sync"
)

// ErrInvalidImage is returned, wrapped with the reason, by Encode for an
// image it cannot encode: nil, empty, too large for PNG, with a Pix slice
// too short for its bounds, or with a pixel whose palette index has no
// (non-nil) palette colour.
var ErrInvalidImage = errors.New("render: invalid image")

// PNG scanline filter types (PNG specification, section 9.2).
const (
	ftNone = iota
	ftSub
	ftUp
	ftAverage
	ftPaeth
	numFilters

	// ftAdaptive is not a filter type but a strategy: per row, the filter
	// whose output has the smallest sum of absolute (signed) byte values.
	ftAdaptive = numFilters
)

// maxIDAT bounds the filtered image data so that the IDAT chunk length,
// a 31-bit number, cannot overflow even for stored blocks.
const maxIDAT = 1<<31 - 1<<20

// Encode writes m to w as the smallest PNG this encoder can produce:
//
//   - colour type 3 (paletted), non-interlaced;
//   - a PLTE chunk with only the colours that pixels use: unused entries
//     are dropped and entries that encode to the same 8-bit NRGBA colour are
//     merged, keeping the order of first index, so an image whose palette
//     has no unused or duplicate entries keeps its pixel indices;
//   - the smallest bit depth (1, 2, 4 or 8) that holds that palette;
//   - a tRNS chunk only when some used colour is not opaque, trimmed after
//     the last such colour; no other ancillary chunks;
//   - one IDAT chunk holding the smallest zlib stream found by trying each
//     scanline filter type on every row, and the per-row choice of the PNG
//     specification's heuristic, each compressed with this package's
//     DEFLATE encoder (see the package documentation).
//
// Palette colours are converted as color.NRGBAModel does, like image/png.
// The output is deterministic: the same image gives the same bytes. m may
// be any *image.Paletted, with any bounds; m is not modified. A bad image
// returns an error wrapping ErrInvalidImage; a write error is returned as
// is. Encode is safe for concurrent use.
func Encode(w io.Writer, m *image.Paletted) error {
	e := getEncoder()
	defer putEncoder(e)
	b, err := e.encode(m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// encoder holds the buffers of one encoding; they are reused through a
// pool.
type encoder struct {
	raw      []byte  // packed pixel rows, without filter bytes
	same     []bool  // same[y]: raw row y equals row y-1
	zero     []byte  // a row of zeros: the row above the first
	cand     []byte  // filtered rows of the strategy being tried
	best     []byte  // filtered rows of the smallest strategy so far
	toks     []token // parse of cand
	bestToks []token // parse of best
	tryToks  []token
	mt       matcher
	opt      optimal
	model    costModel
	z        deflater
	pal      [256]color.NRGBA
	npal     int
	out      []byte
}

var encoders = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder { return encoders.Get().(*encoder) }

// maxPooled is the most filtered image data, in bytes, of an encoder put
// back in the pool; the buffers of larger images (which grow with the data,
// to about 30 bytes per byte) are left to the garbage collector.
const maxPooled = 1 << 17

// putEncoder returns e to the pool unless it holds large buffers.
func putEncoder(e *encoder) {
	if cap(e.best) > maxPooled || cap(e.cand) > maxPooled {
		return
	}
	e.out = e.out[:0]
	encoders.Put(e)
}

// encode returns the PNG encoding of m in e.out.
func (e *encoder) encode(m *image.Paletted) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalidImage)
	}
	r := m.Rect
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: empty bounds %v", ErrInvalidImage, r)
	}
	if uint64(w) >= 1<<31 || uint64(h) >= 1<<31 || uint64(h)*(uint64(w)+1) > maxIDAT {
		return nil, fmt.Errorf("%w: %dx%d is too large for PNG", ErrInvalidImage, w, h)
	}
	if m.Stride < w || len(m.Pix) < (h-1)*m.Stride+w {
		return nil, fmt.Errorf("%w: Pix too short for bounds %v and stride %d", ErrInvalidImage, r, m.Stride)
	}
	remap, depth, err := e.palette(m)
	if err != nil {
		return nil, err
	}
	rowLen := (w*depth + 7) / 8
	e.pack(m, &remap, depth, rowLen)

	e.zero = grow(e.zero, rowLen)
	clear(e.zero)

	// Try each filter strategy with the lazy parse; keep the smallest
	// (the first one on ties). A size the search cut short is a lower
	// bound, at least the best size at the time.
	var lazyBits [ftAdaptive + 1]int
	bestBits, bestStrategy := -1, 0
	stride := rowLen + 1
	for s := ftNone; s <= ftAdaptive; s++ {
		var same bool
		e.cand, same = e.filter(s, rowLen, h, e.cand[:0])
		lazyBits[s] = -1
		if s == ftAdaptive && same {
			continue // every row chose one filter: already tried
		}
		e.toks = e.mt.lazyParse(e.cand, stride, e.toks[:0])
		n := e.z.size(e.toks, e.cand, bestBits)
		lazyBits[s] = n
		if bestBits < 0 || n < bestBits {
			bestBits, bestStrategy = n, s
			e.cand, e.best = e.best, e.cand
			e.toks, e.bestToks = e.bestToks, e.toks
		}
	}

	// Refine the best strategy with the optimal parse, and any other
	// whose lazy parse came within 1/refineMargin of it.
	if n := h * stride; n >= minOptimal && n <= maxOptimal {
		bestBits = e.refine(e.best, stride, &e.bestToks, bestBits)
		cut := lazyBits[bestStrategy] + lazyBits[bestStrategy]/refineMargin
		for s, n := range lazyBits {
			if s == bestStrategy || n < 0 || n > cut {
				continue
			}
			e.cand, _ = e.filter(s, rowLen, h, e.cand[:0])
			e.toks = e.mt.lazyParse(e.cand, stride, e.toks[:0])
			// The exact size: whether a size was cut short, and the bound
			// then, may depend on floating-point rounding; the choice of
			// what to refine must not.
			if n = e.z.size(e.toks, e.cand, -1); n > cut {
				continue
			}
			if n := e.refine(e.cand, stride, &e.toks, n); n < bestBits {
				bestBits = n
				e.cand, e.best = e.best, e.cand
				e.toks, e.bestToks = e.bestToks, e.toks
			}
		}
	}

	e.writePNG(w, h, depth)
	return e.out, nil
}

const (
	// optIters is the most optimal parses tried per refined strategy.
	optIters = 4
	// refineMargin: strategies whose lazy parse is within 1/refineMargin
	// of the best one's are refined too.
	refineMargin = 50
)

// refine tries optimal parses of data (rows of stride bytes), whose best
// parse so far is *toks of size best bits: first under the fixed codes'
// costs, then under the costs of the best parse so far while that
// improves. It keeps the smallest parse in *toks and returns its size.
func (e *encoder) refine(data []byte, stride int, toks *[]token, best int) int {
	for it := range optIters {
		if it == 0 {
			e.model.setFixed()
		} else {
			e.z.count(*toks)
			e.z.huff.lengths(e.z.lit[:], maxCodeBits, e.z.dyn.litLen[:])
			e.z.huff.lengths(e.z.dist[:], maxCodeBits, e.z.dyn.dist[:])
			e.model.set(e.z.dyn.litLen[:], e.z.dyn.dist[:])
		}
		e.tryToks = e.opt.parse(&e.mt, data, stride, &e.model, e.tryToks[:0])
		n := e.z.size(e.tryToks, data, best)
		if n < best {
			best = n
			*toks, e.tryToks = e.tryToks, *toks
		} else if it > 0 {
			break
		}
	}
	return best
}

// grow returns b resized to n bytes, reallocating only when needed.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// palette fills e.pal with the used, distinct colours of m and returns the
// map from m's indices to e.pal's and the bit depth.
func (e *encoder) palette(m *image.Paletted) (remap [256]uint8, depth int, err error) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	var used [256]bool
	for y := range h {
		for _, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
			used[v] = true
		}
	}
	e.npal = 0
	for i, u := range used {
		if !u {
			continue
		}
		if i >= len(m.Palette) {
			return remap, 0, fmt.Errorf("%w: palette index %d used but palette has %d colours", ErrInvalidImage, i, len(m.Palette))
		}
		if m.Palette[i] == nil {
			return remap, 0, fmt.Errorf("%w: palette index %d used but its colour is nil", ErrInvalidImage, i)
		}
		c := color.NRGBAModel.Convert(m.Palette[i]).(color.NRGBA)
		j := 0
		for j < e.npal && e.pal[j] != c {
			j++
		}
		if j == e.npal {
			e.pal[j] = c
			e.npal++
		}
		remap[i] = uint8(j)
	}
	switch {
	case e.npal <= 2:
		depth = 1
	case e.npal <= 4:
		depth = 2
	case e.npal <= 16:
		depth = 4
	default:
		depth = 8
	}
	return remap, depth, nil
}

// pack fills e.raw with m's rows of indices mapped by remap, packed at
// depth bits per pixel, most significant bits first, each row padded with
// zero bits to rowLen bytes; and e.same[y] with whether row y equals row
// y-1.
func (e *encoder) pack(m *image.Paletted, remap *[256]uint8, depth, rowLen int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	e.raw = grow(e.raw, h*rowLen)
	e.same = growBool(e.same, h)
	shift := uint(bits.TrailingZeros(uint(8 / depth))) // log2(pixels per byte)
	mask := 1<<shift - 1
	for y := range h {
		src := m.Pix[y*m.Stride : y*m.Stride+w]
		dst := e.raw[y*rowLen : (y+1)*rowLen]
		if depth == 8 {
			for x, v := range src {
				dst[x] = remap[v]
			}
		} else {
			clear(dst)
			for x, v := range src {
				dst[x>>shift] |= remap[v] << (8 - uint(depth)*uint(x&mask+1))
			}
		}
		e.same[y] = y > 0 && bytes.Equal(dst, e.raw[(y-1)*rowLen:y*rowLen])
	}
}

func growBool(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	return b[:n]
}

// filter returns dst filled with the filtered rows (each a filter type byte
// and the filtered row) of e.raw for strategy s: a filter type, or
// ftAdaptive. For ftAdaptive, same reports whether every row chose the same
// filter type. Paletted pixels are at most one byte, so the filters'
// bytes-per-pixel is 1. A row equal to the two rows above it filters to the
// same bytes as the row above, which are copied.
func (e *encoder) filter(s, rowLen, h int, dst []byte) (out []byte, same bool) {
	stride := rowLen + 1
	dst = grow(dst, h*stride)
	same = true
	first := -1
	prev := e.zero
	for y := range h {
		cur := e.raw[y*rowLen : (y+1)*rowLen]
		out := dst[y*stride : (y+1)*stride]
		if y >= 2 && e.same[y] && e.same[y-1] {
			copy(out, dst[(y-1)*stride:y*stride])
			prev = cur
			continue
		}
		ft := s
		if s == ftAdaptive {
			ft = adaptiveFilter(cur, prev)
			if first < 0 {
				first = ft
			}
			same = same && ft == first
		}
		out[0] = byte(ft)
		filterRow(out[1:], ft, cur, prev)
		prev = cur
	}
	return dst, same
}

// filterRow sets dst to cur filtered with type ft, given the row above,
// prev. All three have the same length.
func filterRow(dst []byte, ft int, cur, prev []byte) {
	switch ft {
	case ftNone:
		copy(dst, cur)
	case ftSub:
		var a byte
		for i, x := range cur {
			dst[i] = x - a
			a = x
		}
	case ftUp:
		for i, x := range cur {
			dst[i] = x - prev[i]
		}
	case ftAverage:
		var a byte
		for i, x := range cur {
			dst[i] = x - byte((int(a)+int(prev[i]))/2)
			a = x
		}
	case ftPaeth:
		var a, c byte
		for i, x := range cur {
			b := prev[i]
			dst[i] = x - paeth(a, b, c)
			a, c = x, b
		}
	}
}

// paeth is the Paeth predictor of the PNG specification.
func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// adaptiveFilter returns the filter type for cur whose output has the
// smallest sum of absolute values of its bytes taken as signed, the
// heuristic of the PNG specification; the lowest type wins ties.
func adaptiveFilter(cur, prev []byte) int {
	best, bestSum := ftNone, 0
	for _, x := range cur {
		bestSum += absByte(x)
	}
	try := func(ft, sum int) {
		if sum < bestSum {
			best, bestSum = ft, sum
		}
	}
	var sum int
	var a byte
	for _, x := range cur {
		sum += absByte(x - a)
		a = x
	}
	try(ftSub, sum)
	sum = 0
	for i, x := range cur {
		sum += absByte(x - prev[i])
	}
	try(ftUp, sum)
	sum, a = 0, 0
	for i, x := range cur {
		sum += absByte(x - byte((int(a)+int(prev[i]))/2))
		a = x
	}
	try(ftAverage, sum)
	sum, a = 0, 0
	var c byte
	for i, x := range cur {
		b := prev[i]
		sum += absByte(x - paeth(a, b, c))
		a, c = x, b
	}
	try(ftPaeth, sum)
	return best
}

// absByte returns |int8(b)|.
func absByte(b byte) int {
	v := int(int8(b))
	if v < 0 {
		return -v
	}
	return v
}

// pngSignature starts every PNG file.
var pngSignature = [8]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// writePNG writes the PNG file to e.out: the chunks for the palette in
// e.pal and the zlib stream of e.bestToks (which decode to e.best).
func (e *encoder) writePNG(w, h, depth int) {
	out := append(e.out[:0], pngSignature[:]...)

	start := beginChunk(&out, "IHDR")
	out = binary.BigEndian.AppendUint32(out, uint32(w))
	out = binary.BigEndian.AppendUint32(out, uint32(h))
	out = append(out, byte(depth), 3, 0, 0, 0) // paletted; deflate; adaptive filtering; no interlace
	endChunk(&out, start)

	start = beginChunk(&out, "PLTE")
	lastTranslucent := -1
	for i, c := range e.pal[:e.npal] {
		out = append(out, c.R, c.G, c.B)
		if c.A != 0xff {
			lastTranslucent = i
		}
	}
	endChunk(&out, start)

	if lastTranslucent >= 0 {
		start = beginChunk(&out, "tRNS")
		for _, c := range e.pal[:lastTranslucent+1] {
			out = append(out, c.A)
		}
		endChunk(&out, start)
	}

	start = beginChunk(&out, "IDAT")
	out = append(out, 0x78, 0xda) // deflate, 32 KiB window, maximum compression
	bw := bitWriter{out: out}
	e.z.write(&bw, e.bestToks, e.best)
	out = binary.BigEndian.AppendUint32(bw.out, adler32.Checksum(e.best))
	endChunk(&out, start)

	start = beginChunk(&out, "IEND")
	endChunk(&out, start)
	e.out = out
}

// beginChunk appends a chunk's length placeholder and type to *out and
// returns the offset of the chunk.
func beginChunk(out *[]byte, typ string) int {
	start := len(*out)
	*out = append(*out, 0, 0, 0, 0)
	*out = append(*out, typ...)
	return start
}

// endChunk fills in the length of the chunk at start and appends its CRC.
func endChunk(out *[]byte, start int) {
	b := *out
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-8))
	*out = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start+4:]))
}
