package jpegdc

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/bits"
	"testing"
)

// This file builds JPEGs whose blocks hold only DC coefficients, with known
// values, to cover what the available encoders do not write: non-interleaved
// baseline scans, 4:1:1, RGB, YCCK, 16-bit quantisation tables, SOF1, and
// progressive files with several restart intervals and AC scans to skip.

type synthComp struct {
	id   byte
	h, v int
	tq   int
}

type synth struct {
	w, h        int
	marker      byte // 0xC0, 0xC1 or 0xC2
	comps       []synthComp
	q0          [4]int // DC quantiser per table (0: table absent)
	q16         [4]bool
	interleaved bool
	restart     int
	adobe       int // transform+1; 0 for no APP14 marker
	jfif        bool
}

// dcValue is the DC coefficient of block (bx, by) of component c: spread
// over the range, with some beyond it to exercise clamping.
func dcValue(c, bx, by int) int {
	v := (bx*37+by*91+c*53)%121 - 60
	if (bx+by*3+c)%17 == 0 {
		v *= 4
	}
	return v
}

type bitWriter struct {
	out  []byte
	acc  uint32
	nacc int
}

func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>i)&1
		w.nacc++
		if w.nacc == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xFF {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

// putDC writes a DC difference with the table of 12 four-bit codes.
func (w *bitWriter) putDC(diff int) {
	a := diff
	if a < 0 {
		a = -a
	}
	s := bits.Len(uint(a))
	w.put(uint32(s), 4)
	if diff < 0 {
		diff += 1<<s - 1
	}
	w.put(uint32(diff), s)
}

func seg(out []byte, marker byte, payload []byte) []byte {
	n := len(payload) + 2
	out = append(out, 0xFF, marker, byte(n>>8), byte(n))
	return append(out, payload...)
}

func (s synth) encode() []byte {
	out := []byte{0xFF, 0xD8}
	if s.jfif {
		out = seg(out, 0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	}
	if s.adobe > 0 {
		out = seg(out, 0xEE, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(s.adobe - 1)})
	}
	for t, q := range s.q0 {
		if q == 0 {
			continue
		}
		var p []byte
		if s.q16[t] {
			p = append([]byte{0x10 | byte(t), byte(q >> 8), byte(q)}, make([]byte, 126)...)
			for i := 3; i < len(p); i += 2 {
				p[i] = 1
			}
		} else {
			p = append([]byte{byte(t), byte(q)}, bytes.Repeat([]byte{1}, 63)...)
		}
		out = seg(out, 0xDB, p)
	}
	sof := []byte{8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(s.comps))}
	hmax, vmax := 1, 1
	for _, c := range s.comps {
		sof = append(sof, c.id, byte(c.h<<4|c.v), byte(c.tq))
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	if len(s.comps) == 1 {
		hmax, vmax = s.comps[0].h, s.comps[0].v
	}
	out = seg(out, s.marker, sof)
	// DC table 0: categories 0–11 as four-bit codes; AC table 0: EOB as "0".
	dht := []byte{0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	dht = append(dht, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00)
	out = seg(out, 0xC4, dht)
	if s.restart > 0 {
		out = seg(out, 0xDD, []byte{byte(s.restart >> 8), byte(s.restart)})
	}
	mcusX, mcusY := (s.w+8*hmax-1)/(8*hmax), (s.h+8*vmax-1)/(8*vmax)

	// scan writes one scan over comps; per block, f writes the block's bits.
	scan := func(comps []int, ss, se, ah, al int, f func(w *bitWriter, c, bx, by int, pred *int)) {
		hdr := []byte{byte(len(comps))}
		for _, ci := range comps {
			hdr = append(hdr, s.comps[ci].id, 0x00)
		}
		hdr = append(hdr, byte(ss), byte(se), byte(ah<<4|al))
		out = seg(out, 0xDA, hdr)
		w := &bitWriter{}
		preds := make([]int, len(s.comps))
		mcu, rst := 0, 0
		next := func() {
			if s.restart > 0 && mcu > 0 && mcu%s.restart == 0 {
				w.flush()
				w.out = append(w.out, 0xFF, byte(0xD0+rst%8))
				rst++
				clear(preds)
			}
			mcu++
		}
		if len(comps) == 1 {
			c := s.comps[comps[0]]
			cw := (s.w*c.h + hmax - 1) / hmax
			ch := (s.h*c.v + vmax - 1) / vmax
			if len(s.comps) == 1 {
				cw, ch = s.w, s.h
			}
			for by := 0; by < (ch+7)/8; by++ {
				for bx := 0; bx < (cw+7)/8; bx++ {
					next()
					f(w, comps[0], bx, by, &preds[comps[0]])
				}
			}
		} else {
			for my := 0; my < mcusY; my++ {
				for mx := 0; mx < mcusX; mx++ {
					next()
					for _, ci := range comps {
						c := s.comps[ci]
						for y := 0; y < c.v; y++ {
							for x := 0; x < c.h; x++ {
								f(w, ci, mx*c.h+x, my*c.v+y, &preds[ci])
							}
						}
					}
				}
			}
		}
		w.flush()
		out = append(out, w.out...)
	}
	var groups [][]int
	if s.interleaved {
		var all []int
		for i := range s.comps {
			all = append(all, i)
		}
		groups = [][]int{all}
	} else {
		for i := range s.comps {
			groups = append(groups, []int{i})
		}
	}
	if s.marker != 0xC2 {
		for _, g := range groups {
			scan(g, 0, 63, 0, 0, func(w *bitWriter, c, bx, by int, pred *int) {
				v := dcValue(c, bx, by)
				w.putDC(v - *pred)
				*pred = v
				w.put(0, 1) // EOB
			})
		}
	} else {
		for _, g := range groups {
			scan(g, 0, 0, 0, 1, func(w *bitWriter, c, bx, by int, pred *int) {
				v := dcValue(c, bx, by) >> 1
				w.putDC(v - *pred)
				*pred = v
			})
		}
		for i := range s.comps { // an AC scan per component, all EOB
			scan([]int{i}, 1, 63, 0, 0, func(w *bitWriter, c, bx, by int, pred *int) { w.put(0, 1) })
		}
		for _, g := range groups {
			scan(g, 0, 0, 1, 0, func(w *bitWriter, c, bx, by int, pred *int) {
				w.put(uint32(dcValue(c, bx, by)&1), 1)
			})
		}
	}
	return append(out, 0xFF, 0xD9)
}

func TestSynthetic(t *testing.T) {
	ycc := func(h, v int) []synthComp {
		return []synthComp{{1, h, v, 0}, {2, 1, 1, 1}, {3, 1, 1, 1}}
	}
	cases := map[string]synth{
		"grey baseline":                 {w: 37, h: 19, marker: 0xC0, comps: []synthComp{{1, 1, 1, 0}}, q0: [4]int{8}},
		"grey 2x2 factors":              {w: 37, h: 19, marker: 0xC0, comps: []synthComp{{1, 2, 2, 0}}, q0: [4]int{8}},
		"420 non-interleaved SOF1 q16":  {w: 45, h: 29, marker: 0xC1, comps: ycc(2, 2), q0: [4]int{6, 300}, q16: [4]bool{false, true}, restart: 3, jfif: true},
		"420 interleaved restart":       {w: 45, h: 29, marker: 0xC0, comps: ycc(2, 2), q0: [4]int{6, 9}, interleaved: true, restart: 1},
		"422 non-interleaved":           {w: 45, h: 29, marker: 0xC0, comps: ycc(2, 1), q0: [4]int{6, 9}},
		"440 interleaved":               {w: 45, h: 29, marker: 0xC0, comps: ycc(1, 2), q0: [4]int{6, 9}, interleaved: true},
		"411 interleaved":               {w: 75, h: 21, marker: 0xC0, comps: ycc(4, 1), q0: [4]int{6, 9}, interleaved: true, restart: 2},
		"RGB Adobe":                     {w: 30, h: 20, marker: 0xC0, comps: []synthComp{{1, 1, 1, 0}, {2, 1, 1, 0}, {3, 1, 1, 0}}, q0: [4]int{7}, interleaved: true, adobe: 1},
		"RGB ids":                       {w: 30, h: 20, marker: 0xC0, comps: []synthComp{{'R', 1, 1, 0}, {'G', 1, 1, 0}, {'B', 1, 1, 0}}, q0: [4]int{7}, interleaved: true},
		"CMYK Adobe":                    {w: 30, h: 20, marker: 0xC0, comps: []synthComp{{1, 1, 1, 0}, {2, 1, 1, 0}, {3, 1, 1, 0}, {4, 1, 1, 0}}, q0: [4]int{7}, interleaved: true, adobe: 1},
		"YCCK Adobe":                    {w: 30, h: 20, marker: 0xC0, comps: []synthComp{{1, 2, 2, 0}, {2, 1, 1, 1}, {3, 1, 1, 1}, {4, 2, 2, 0}}, q0: [4]int{7, 5}, adobe: 3},
		"progressive 420 interleaved":   {w: 45, h: 29, marker: 0xC2, comps: ycc(2, 2), q0: [4]int{6, 9}, interleaved: true, restart: 2},
		"progressive 420 separate":      {w: 45, h: 29, marker: 0xC2, comps: ycc(2, 2), q0: [4]int{6, 9}, restart: 5},
		"progressive grey restart":      {w: 17, h: 40, marker: 0xC2, comps: []synthComp{{1, 1, 1, 0}}, q0: [4]int{3}, restart: 1},
		"progressive 444 no restart q1": {w: 9, h: 9, marker: 0xC2, comps: ycc(1, 1), q0: [4]int{1, 1}, interleaved: true},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			data := s.encode()
			got, err := Decode(data, 1e6)
			if err != nil {
				t.Fatal(err)
			}
			// Exact: each DC pixel is the formula applied to the known DC
			// coefficient (before colour conversion).
			checkLevels(t, s, got)
			// And image/jpeg agrees (its flat blocks hold the same levels up
			// to its IDCT's rounding), except where it counts restart
			// intervals in non-interleaved scans of a subsampled frame by
			// whole-frame MCUs rather than by blocks as A.2.2 and B.2.1 say.
			if s.restart > 0 && (!s.interleaved || s.marker == 0xC2) && len(s.comps) > 1 && (s.comps[0].h > 1 || s.comps[0].v > 1) {
				return
			}
			ref, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("image/jpeg: %v", err)
			}
			native := make([]stats, 6)
			compareNative(t, ref, got.Img, native)
			for c := range native {
				if native[c].n > 0 && native[c].max > 1 {
					t.Errorf("channel %d differs from image/jpeg by up to %.1f (%s)", c, native[c].max, native[c].maxN)
				}
			}
		})
	}
}

// checkLevels compares the DC image with round(DC·Q0/8)+128 for the known
// coefficients, for the formats whose pixels are the levels themselves.
func checkLevels(t *testing.T, s synth, got *Image) {
	var planes []plane
	switch m := got.Img.(type) {
	case *image.Gray, *image.YCbCr, *image.NRGBA:
		planes = gotPlanes(t, m)
	case *image.CMYK:
		if s.adobe != 1 {
			return // YCCK is colour-converted; covered by image/jpeg
		}
		planes = gotPlanes(t, m)
	default:
		t.Fatalf("unexpected %T", m)
	}
	hmax, vmax := 1, 1
	for _, c := range s.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	bad := 0
	for ci, p := range planes {
		c := s.comps[ci]
		fx, fy := hmax/c.h, vmax/c.v
		if len(s.comps) == 1 {
			fx, fy = 1, 1
		}
		for y := 0; y < p.h; y++ {
			for x := 0; x < p.w; x++ {
				dc := dcValue(ci, x/fx, y/fy)
				want := min(max((dc*s.q0[c.tq]+4)>>3+128, 0), 255)
				if s.adobe == 1 && len(s.comps) == 4 {
					want = 255 - want
				}
				if g := int(p.pix[y*p.stride+x*p.step]); g != want && bad < 5 {
					bad++
					t.Errorf("channel %d pixel (%d,%d): %d, want %d", ci, x, y, g, want)
				}
			}
		}
	}
}

// TestSyntheticTruncated cuts every synthetic file at every byte.
func TestSyntheticTruncated(t *testing.T) {
	s := synth{w: 45, h: 29, marker: 0xC2, comps: []synthComp{{1, 2, 2, 0}, {2, 1, 1, 1}, {3, 1, 1, 1}}, q0: [4]int{6, 9}, restart: 2}
	for _, m := range []byte{0xC0, 0xC2} {
		s.marker = m
		data := s.encode()
		for n := range len(data) - 1 {
			if _, err := Decode(data[:n], 1e6); err == nil {
				t.Errorf("marker %X cut at %d of %d: no error", m, n, len(data))
			}
		}
	}
}
