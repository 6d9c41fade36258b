package jpegdc

import "bytes"

func indexFF(b []byte) int { return bytes.IndexByte(b, 0xFF) }

// scanMode says what a scan contributes to the DC coefficients.
type scanMode int

const (
	sequential scanMode = iota // DC difference then 63 AC coefficients to skip
	dcFirst                    // progressive DC first scan: DC difference << Al
	dcRefine                   // progressive DC refinement: one bit at Al
)

// scanComp is one component of a scan with its tables.
type scanComp struct {
	c      *component
	dc, ac *huffTable
	pred   int32
}

// sos reads a scan header (B.2.3) and decodes the scan's entropy-coded data,
// which starts at pos; it returns the position just after that data.
func (d *decoder) sos(seg []byte, pos int) (int, error) {
	if !d.frame {
		return 0, formatError("SOS before SOF")
	}
	if len(seg) < 1 {
		return 0, formatError("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.nComp || len(seg) != 4+2*ns {
		return 0, formatError("bad SOS segment")
	}
	ss, se, ah, al := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]>>4, seg[3+2*ns]&15
	var mode scanMode
	switch {
	case !d.progressive:
		if ss != 0 || se != 63 || ah != 0 || al != 0 {
			return 0, formatError("bad spectral selection in a sequential scan")
		}
		mode = sequential
	case ss != 0:
		// A progressive AC scan: nothing in it changes a DC coefficient, so
		// skip its data without decoding it.
		if se < ss || se > 63 || ns != 1 {
			return 0, formatError("bad progressive AC scan")
		}
		d.scans++
		p, _, ok := nextMarker(d.data, pos)
		if !ok {
			return 0, errEOF
		}
		return p, nil
	case se != 0:
		return 0, formatError("progressive DC scan with AC coefficients")
	case al > 13:
		return 0, formatError("bad successive approximation")
	case ah == 0:
		mode = dcFirst
	default:
		mode = dcRefine
	}

	var comps [4]scanComp
	blocksPerMCU := 0
	for i := 0; i < ns; i++ {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *component
		for j := 0; j < d.nComp; j++ {
			if d.comp[j].id == id {
				c = &d.comp[j]
			}
		}
		if c == nil {
			return 0, formatError("scan component not in the frame")
		}
		for j := 0; j < i; j++ {
			if comps[j].c == c {
				return 0, formatError("repeated scan component")
			}
		}
		td, ta := tables>>4, tables&15
		if td > 3 || ta > 3 {
			return 0, formatError("bad Huffman table selector")
		}
		if mode != dcRefine && !d.hValid[0][td] || mode == sequential && !d.hValid[1][ta] {
			return 0, formatError("scan uses an undefined Huffman table")
		}
		if !c.hasQ {
			if !d.qValid[c.tq] {
				return 0, formatError("component uses an undefined quantisation table")
			}
			c.q0, c.hasQ = d.q0[c.tq], true
		}
		if c.dc == nil {
			c.dc = make([]int32, c.stride*c.rows)
		}
		comps[i] = scanComp{c: c, dc: &d.huff[0][td], ac: &d.huff[1][ta]}
		blocksPerMCU += c.h * c.v
	}
	if ns > 1 && blocksPerMCU > 10 {
		return 0, formatError("too many blocks in an MCU")
	}
	d.scans++

	br := bitReader{data: d.data, pos: pos}
	var err error
	if ns == 1 {
		err = d.scanOne(&br, &comps[0], mode, al)
	} else {
		err = d.scanInterleaved(&br, comps[:ns], mode, al)
	}
	if err != nil {
		return 0, err
	}
	return br.pos, nil
}

// block decodes one block's contribution to the DC coefficient *dst.
func (br *bitReader) block(sc *scanComp, dst *int32, mode scanMode, al uint8) error {
	switch mode {
	case dcRefine:
		*dst |= int32(br.bit()) << al
		return nil
	}
	diff, err := br.decodeDC(sc.dc)
	if err != nil {
		return err
	}
	sc.pred += diff
	if mode == sequential {
		*dst = sc.pred
		return br.skipAC(sc.ac)
	}
	*dst = sc.pred << al
	return nil
}

// scanOne decodes a non-interleaved scan: one block per MCU, over the
// blocks that hold the component's samples (A.2.2).
func (d *decoder) scanOne(br *bitReader, sc *scanComp, mode scanMode, al uint8) error {
	c := sc.c
	mcu, ri := 0, d.restartInterval
	for by := 0; by < c.bh; by++ {
		row := c.dc[by*c.stride : by*c.stride+c.bw]
		for bx := range row {
			if ri > 0 && mcu > 0 && mcu%ri == 0 {
				if err := br.restart(); err != nil {
					return err
				}
				sc.pred = 0
			}
			mcu++
			if err := br.block(sc, &row[bx], mode, al); err != nil {
				return err
			}
			if br.short() {
				return shortScan(br)
			}
		}
	}
	return nil
}

// scanInterleaved decodes an interleaved scan (A.2.3).
func (d *decoder) scanInterleaved(br *bitReader, comps []scanComp, mode scanMode, al uint8) error {
	mcu, ri := 0, d.restartInterval
	for my := 0; my < d.mcusY; my++ {
		for mx := 0; mx < d.mcusX; mx++ {
			if ri > 0 && mcu > 0 && mcu%ri == 0 {
				if err := br.restart(); err != nil {
					return err
				}
				for i := range comps {
					comps[i].pred = 0
				}
			}
			mcu++
			for i := range comps {
				sc := &comps[i]
				c := sc.c
				for y := 0; y < c.v; y++ {
					base := (my*c.v+y)*c.stride + mx*c.h
					for x := 0; x < c.h; x++ {
						if err := br.block(sc, &c.dc[base+x], mode, al); err != nil {
							return err
						}
					}
				}
			}
			if br.short() {
				return shortScan(br)
			}
		}
	}
	return nil
}

func shortScan(br *bitReader) error {
	if br.pos >= len(br.data)-1 {
		return errEOF
	}
	return formatError("scan data ends early")
}

// restart moves past the RSTn marker that ends a restart interval (B.2.1),
// dropping the interval's padding bits.
func (br *bitReader) restart() error {
	br.acc, br.n, br.pad = 0, 0, 0
	p, m, ok := nextRST(br.data, br.pos)
	if !ok {
		if p >= len(br.data) {
			return errEOF
		}
		return formatError("missing RST marker")
	}
	_ = m
	br.pos = p + 2
	return nil
}

// nextRST finds the next marker at or after pos, skipping stuffed and fill
// bytes; ok reports whether it is a restart marker.
func nextRST(data []byte, pos int) (int, byte, bool) {
	for pos < len(data) {
		i := indexFF(data[pos:])
		if i < 0 || pos+i+1 >= len(data) {
			return len(data), 0, false
		}
		pos += i
		m := data[pos+1]
		if m == 0 || m == 0xFF {
			pos++
			continue
		}
		return pos, m, m >= mRST0 && m <= mRST7
	}
	return len(data), 0, false
}
