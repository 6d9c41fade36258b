package palette

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"
)

// DefaultAnalysisPixels is the default pixel budget of the analysis image:
// about 256×256. A palette of 16 colours is as good at this size as at full
// size, and far cheaper.
const DefaultAnalysisPixels = 1 << 16

// Shrink reduces img by an integer factor f, the smallest that brings it
// within budget pixels (0 means DefaultAnalysisPixels), averaging each f×f
// block of source pixels (area averaging, weighted by alpha so the colour of
// transparent pixels does not bleed in). The result is a new *image.NRGBA
// whose bounds start at (0, 0); img is not modified. An image already
// within the budget is converted without averaging.
//
// JPEG's *image.YCbCr is averaged in YCbCr and converted once per output
// pixel (the conversion is affine, so this is averaging in RGB up to
// clipping; chroma samples that straddle two blocks count in both). Other
// types are converted a row at a time.
func Shrink(img image.Image, budget int) *image.NRGBA {
	if budget <= 0 {
		budget = DefaultAnalysisPixels
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	f := max(1, int(math.Sqrt(float64(w)*float64(h)/float64(budget))))
	for (w+f-1)/f*((h+f-1)/f) > budget {
		f++
	}
	dst := image.NewNRGBA(image.Rect(0, 0, (w+f-1)/f, (h+f-1)/f))
	switch src := img.(type) {
	case *image.YCbCr:
		shrinkYCbCr(dst, src, f)
	case *image.Gray:
		shrinkGray(dst, src, f)
	default:
		shrinkRows(dst, img, f)
	}
	return dst
}

// shrinkYCbCr averages luma and chroma separately over each block.
func shrinkYCbCr(dst *image.NRGBA, src *image.YCbCr, f int) {
	b := src.Bounds()
	// Chroma subsampling factors; chroma coordinates follow
	// image.YCbCr.COffset exactly (integer division, also for negative
	// bounds).
	sx, sy := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 2
	case image.YCbCrSubsampleRatio420:
		sx, sy = 2, 2
	case image.YCbCrSubsampleRatio440:
		sy = 2
	case image.YCbCrSubsampleRatio411:
		sx = 4
	case image.YCbCrSubsampleRatio410:
		sx, sy = 4, 2
	}
	cx := func(x int) int { return x/sx - src.Rect.Min.X/sx }
	cy := func(y int) int { return y/sy - src.Rect.Min.Y/sy }
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	w := b.Dx()
	cw0, cw1 := cx(b.Min.X), cx(b.Max.X-1)+1
	// Per output column: its span of luma columns and of chroma columns.
	type span struct{ x0, x1, c0, c1 int }
	spans := make([]span, dw)
	for dx := range spans {
		x0, x1 := b.Min.X+dx*f, min(b.Min.X+(dx+1)*f, b.Max.X)
		spans[dx] = span{x0 - b.Min.X, x1 - b.Min.X, cx(x0) - cw0, cx(x1-1) + 1 - cw0}
	}
	// The block's rows summed per column, for luma and both chroma planes.
	lanes := newLaneSums(w)
	cbLanes, crLanes := newLaneSums(cw1-cw0), newLaneSums(cw1-cw0)
	for dy := range dh {
		y0, y1 := b.Min.Y+dy*f, min(b.Min.Y+(dy+1)*f, b.Max.Y)
		lanes.reset()
		for y := y0; y < y1; y++ {
			off := (y-src.Rect.Min.Y)*src.YStride + b.Min.X - src.Rect.Min.X
			lanes.add(src.Y[off : off+w])
		}
		col := lanes.sums()
		cy0, cy1 := cy(y0), cy(y1-1)+1
		cbLanes.reset()
		crLanes.reset()
		for c := cy0; c < cy1; c++ {
			off := c*src.CStride + cw0
			cbLanes.add(src.Cb[off : off+cw1-cw0])
			crLanes.add(src.Cr[off : off+cw1-cw0])
		}
		ccb, ccr := cbLanes.sums(), crLanes.sums()
		rows, crows := y1-y0, cy1-cy0
		out := dst.Pix[dy*dst.Stride:]
		var ry, rc uint64
		lastY, lastC := -1, -1
		for dx, sp := range spans {
			var ys, cb, cr uint64
			for _, v := range col[sp.x0:sp.x1] {
				ys += uint64(v)
			}
			for i := sp.c0; i < sp.c1; i++ {
				cb += uint64(ccb[i])
				cr += uint64(ccr[i])
			}
			if n := sp.x1 - sp.x0; n != lastY {
				ry, lastY = recip(n*rows), n
			}
			if n := sp.c1 - sp.c0; n != lastC {
				rc, lastC = recip(n*crows), n
			}
			r, g, bl := color.YCbCrToRGB(avg(ys, ry), avg(cb, rc), avg(cr, rc))
			o := out[dx*4 : dx*4+4 : dx*4+4]
			o[0], o[1], o[2], o[3] = r, g, bl, 255
		}
	}
}

// laneSums sums rows of bytes per column, eight columns per step: each
// uint64 holds four 16-bit lanes, the even columns of a group of eight in
// one word and the odd ones in another. Lanes are spilled into 32-bit sums
// every 256 rows, before they can overflow.
type laneSums struct {
	even, odd []uint64
	rows      int
	sum       []uint32
}

func newLaneSums(w int) *laneSums {
	return &laneSums{even: make([]uint64, w/8), odd: make([]uint64, w/8), sum: make([]uint32, w)}
}

func (l *laneSums) reset() {
	clear(l.even)
	clear(l.odd)
	clear(l.sum)
	l.rows = 0
}

const evenBytes = 0x00FF00FF00FF00FF

func (l *laneSums) add(row []uint8) {
	if l.rows == 256 {
		l.spill()
	}
	l.rows++
	n := len(l.even)
	even, odd := l.even[:n], l.odd[:n]
	for i := range n {
		x := binary.LittleEndian.Uint64(row[8*i:])
		even[i] += x & evenBytes
		odd[i] += (x >> 8) & evenBytes
	}
	addRow(l.sum[8*n:], row[8*n:])
}

// spill moves the lanes into the 32-bit sums.
func (l *laneSums) spill() {
	for i := range l.even {
		e, o := l.even[i], l.odd[i]
		c := l.sum[8*i : 8*i+8 : 8*i+8]
		c[0] += uint32(e & 0xFFFF)
		c[1] += uint32(o & 0xFFFF)
		c[2] += uint32(e >> 16 & 0xFFFF)
		c[3] += uint32(o >> 16 & 0xFFFF)
		c[4] += uint32(e >> 32 & 0xFFFF)
		c[5] += uint32(o >> 32 & 0xFFFF)
		c[6] += uint32(e >> 48)
		c[7] += uint32(o >> 48)
	}
	clear(l.even)
	clear(l.odd)
	l.rows = 0
}

// sums returns the per-column sums of the rows added since reset.
func (l *laneSums) sums() []uint32 {
	l.spill()
	return l.sum
}

// shrinkGray averages a grey image (greyscale JPEGs and PNGs).
func shrinkGray(dst *image.NRGBA, src *image.Gray, f int) {
	b := src.Bounds()
	w := b.Dx()
	lanes := newLaneSums(w)
	for dy := range dst.Rect.Dy() {
		y0, y1 := b.Min.Y+dy*f, min(b.Min.Y+(dy+1)*f, b.Max.Y)
		lanes.reset()
		for y := y0; y < y1; y++ {
			off := src.PixOffset(b.Min.X, y)
			lanes.add(src.Pix[off : off+w])
		}
		col := lanes.sums()
		out := dst.Pix[dy*dst.Stride:]
		var r uint64
		last := -1
		for dx := range dst.Rect.Dx() {
			x0, x1 := dx*f, min((dx+1)*f, w)
			var s uint64
			for _, v := range col[x0:x1] {
				s += uint64(v)
			}
			if n := x1 - x0; n != last {
				r, last = recip(n*(y1-y0)), n
			}
			v := avg(s, r)
			o := out[dx*4 : dx*4+4 : dx*4+4]
			o[0], o[1], o[2], o[3] = v, v, v, 255
		}
	}
}

// addRow adds a row of samples to per-column sums.
func addRow(sums []uint32, row []uint8) {
	sums = sums[:len(row)]
	for i, v := range row {
		sums[i] += uint32(v)
	}
}

// recip and avg divide by multiplying, since a division per channel per
// output pixel costs more than all the additions: recip(n) is 2^32/n
// rounded up, and avg(sum, recip(n)) is sum/n rounded (off by one at most
// for blocks of millions of pixels), clamped to 255.
func recip(n int) uint64 { return (1<<32 + uint64(n) - 1) / uint64(n) }

func avg(sum, r uint64) uint8 {
	return uint8(min((sum*r+1<<31)>>32, 255))
}

// shrinkRows averages any other image type: each source row is converted
// to non-premultiplied 8-bit RGBA (fast paths for the types the decoders
// return), then summed alpha-weighted per output pixel.
func shrinkRows(dst *image.NRGBA, src image.Image, f int) {
	b := src.Bounds()
	w := b.Dx()
	read := rowReader(src)
	row := make([]uint8, 4*w)
	acc := make([][4]uint64, dst.Rect.Dx()) // alpha-weighted r, g, b, and alpha
	for dy := range dst.Rect.Dy() {
		y0, y1 := b.Min.Y+dy*f, min(b.Min.Y+(dy+1)*f, b.Max.Y)
		clear(acc)
		for y := y0; y < y1; y++ {
			read(row, y)
			for dx := range acc {
				a := &acc[dx]
				seg := row[4*dx*f : 4*min((dx+1)*f, w)]
				for i := 0; i+3 < len(seg); i += 4 {
					al := uint64(seg[i+3])
					a[0] += uint64(seg[i]) * al
					a[1] += uint64(seg[i+1]) * al
					a[2] += uint64(seg[i+2]) * al
					a[3] += al
				}
			}
		}
		out := dst.Pix[dy*dst.Stride:]
		for dx, a := range acc {
			n := uint64((min((dx+1)*f, w) - dx*f) * (y1 - y0))
			o := out[dx*4 : dx*4+4 : dx*4+4]
			if a[3] == 0 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			o[0] = uint8((a[0] + a[3]/2) / a[3])
			o[1] = uint8((a[1] + a[3]/2) / a[3])
			o[2] = uint8((a[2] + a[3]/2) / a[3])
			o[3] = uint8((a[3] + n/2) / n)
		}
	}
}

// rowReader returns a function that fills row (4 bytes per pixel,
// non-premultiplied RGBA) with source row y.
func rowReader(src image.Image) func(row []uint8, y int) {
	b := src.Bounds()
	w := b.Dx()
	switch m := src.(type) {
	case *image.NRGBA:
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			copy(row, m.Pix[off:off+4*w])
		}
	case *image.RGBA:
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			unpremultiply(row, m.Pix[off:off+4*w])
		}
	case *image.Gray:
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[off : off+w] {
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = v, v, v, 255
			}
		}
	case *image.Paletted:
		pal := make([]color.NRGBA, 256)
		for i := range pal {
			if i < len(m.Palette) {
				pal[i] = color.NRGBAModel.Convert(m.Palette[i]).(color.NRGBA)
			}
		}
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			for x, i := range m.Pix[off : off+w] {
				c := pal[i]
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
			}
		}
	case *image.NRGBA64:
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			p := m.Pix[off : off+8*w]
			for x := range w {
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = p[8*x], p[8*x+2], p[8*x+4], p[8*x+6]
			}
		}
	case *image.CMYK:
		return func(row []uint8, y int) {
			off := m.PixOffset(b.Min.X, y)
			p := m.Pix[off : off+4*w]
			for x := range w {
				r, g, bl := color.CMYKToRGB(p[4*x], p[4*x+1], p[4*x+2], p[4*x+3])
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, bl, 255
			}
		}
	}
	return func(row []uint8, y int) {
		for x := range w {
			c := color.NRGBAModel.Convert(src.At(b.Min.X+x, y)).(color.NRGBA)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
}

// unpremultiply converts premultiplied RGBA bytes to non-premultiplied.
func unpremultiply(dst, src []uint8) {
	for i := 0; i+3 < len(src); i += 4 {
		a := src[i+3]
		switch a {
		case 255:
			dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i], src[i+1], src[i+2], 255
		case 0:
			dst[i], dst[i+1], dst[i+2], dst[i+3] = 0, 0, 0, 0
		default:
			al := uint32(a)
			dst[i] = uint8(uint32(src[i]) * 255 / al)
			dst[i+1] = uint8(uint32(src[i+1]) * 255 / al)
			dst[i+2] = uint8(uint32(src[i+2]) * 255 / al)
			dst[i+3] = a
		}
	}
}
