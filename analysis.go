package palette

import (
	"image"
	"image/color"
)

// DefaultAnalysisPixels is the default pixel budget of the analysis image:
// about 256×256. A palette of 16 colours is as good at this size as at full
// size, and far cheaper.
const DefaultAnalysisPixels = 1 << 16

// Shrink reduces img by an integer factor to at most budget pixels (0 means
// DefaultAnalysisPixels), averaging each block of source pixels (area
// averaging, alpha-weighted). The result is a new *image.NRGBA whose bounds
// start at (0, 0); img is not modified. Images already within the budget are
// converted without averaging.
func Shrink(img image.Image, budget int) *image.NRGBA {
	if budget <= 0 {
		budget = DefaultAnalysisPixels
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	f := 1
	for (w+f-1)/f*((h+f-1)/f) > budget {
		f++
	}
	dst := image.NewNRGBA(image.Rect(0, 0, (w+f-1)/f, (h+f-1)/f))
	switch src := img.(type) {
	case *image.YCbCr:
		shrinkYCbCr(dst, src, f)
	case *image.Gray:
		shrinkGray(dst, src, f)
	case *image.NRGBA:
		shrinkNRGBA(dst, src, f)
	default:
		shrinkAny(dst, img, f)
	}
	return dst
}

// shrinkYCbCr averages luma and chroma separately over each block, then
// converts once per output pixel: the conversion is affine, so this equals
// averaging in RGB up to clipping, at a fraction of the cost.
func shrinkYCbCr(dst *image.NRGBA, src *image.YCbCr, f int) {
	b := src.Bounds()
	// Chroma subsampling, as shifts.
	var sx, sy uint
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		sx = 1
	case image.YCbCrSubsampleRatio420:
		sx, sy = 1, 1
	case image.YCbCrSubsampleRatio440:
		sy = 1
	case image.YCbCrSubsampleRatio411:
		sx = 2
	case image.YCbCrSubsampleRatio410:
		sx, sy = 2, 1
	}
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	w := b.Dx()
	ysum := make([]uint32, dw)
	col := make([]uint32, w) // the block rows summed per column
	for dy := range dh {
		y0, y1 := b.Min.Y+dy*f, min(b.Min.Y+(dy+1)*f, b.Max.Y)
		clear(col)
		for y := y0; y < y1; y++ {
			off := (y - src.Rect.Min.Y) * src.YStride
			row := src.Y[off : off+w]
			col := col[:len(row)]
			for i, v := range row {
				col[i] += uint32(v)
			}
		}
		for dx := range dw {
			var s uint32
			for _, v := range col[dx*f : min((dx+1)*f, w)] {
				s += v
			}
			ysum[dx] = s
		}
		// Chroma rows covering [y0, y1).
		cy0 := y0>>sy - b.Min.Y>>sy
		cy1 := (y1-1)>>sy - b.Min.Y>>sy + 1
		out := dst.Pix[dy*dst.Stride:]
		rows := y1 - y0
		ry, rc := recip(f*rows), recip(1)
		lastC := -1
		for dx := range dw {
			x0, x1 := b.Min.X+dx*f, min(b.Min.X+(dx+1)*f, b.Max.X)
			if x1-x0 != f {
				ry = recip((x1 - x0) * rows)
			}
			cx0 := x0>>sx - b.Min.X>>sx
			cx1 := (x1-1)>>sx - b.Min.X>>sx + 1
			var cb, cr uint32
			for cy := cy0; cy < cy1; cy++ {
				off := cy * src.CStride
				for _, v := range src.Cb[off+cx0 : off+cx1] {
					cb += v32(v)
				}
				for _, v := range src.Cr[off+cx0 : off+cx1] {
					cr += v32(v)
				}
			}
			if nc := (cx1 - cx0) * (cy1 - cy0); nc != lastC {
				rc, lastC = recip(nc), nc
			}
			r, g, bl := color.YCbCrToRGB(avg(ysum[dx], ry), avg(cb, rc), avg(cr, rc))
			o := out[dx*4 : dx*4+4 : dx*4+4]
			o[0], o[1], o[2], o[3] = r, g, bl, 255
		}
	}
}

func v32(v uint8) uint32 { return uint32(v) }

// recip and avg divide by multiplying: a division per channel per output
// pixel would cost more than all the additions. recip(n) is 2^24/n rounded
// up; avg(sum, recip(n)) is sum/n rounded, exact for sums of up to 2^16
// bytes.
func recip(n int) uint64 { return (1<<24 + uint64(n) - 1) / uint64(n) }

func avg(sum uint32, r uint64) uint8 { return uint8((uint64(sum)*r + 1<<23) >> 24) }

func shrinkGray(dst *image.NRGBA, src *image.Gray, f int) {
	b := src.Bounds()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	sum := make([]int, dw)
	for dy := range dh {
		y0, y1 := dy*f, min((dy+1)*f, b.Dy())
		clear(sum)
		for y := y0; y < y1; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+b.Dx()]
			for dx := range dw {
				for _, v := range row[dx*f : min((dx+1)*f, len(row))] {
					sum[dx] += int(v)
				}
			}
		}
		out := dst.Pix[dy*dst.Stride:]
		for dx := range dw {
			np := (min((dx+1)*f, b.Dx()) - dx*f) * (y1 - y0)
			v := uint8((sum[dx] + np/2) / np)
			o := out[dx*4 : dx*4+4 : dx*4+4]
			o[0], o[1], o[2], o[3] = v, v, v, 255
		}
	}
}

// shrinkNRGBA averages with alpha weighting, so the colour of transparent
// pixels (often black or arbitrary) does not bleed into the average.
func shrinkNRGBA(dst *image.NRGBA, src *image.NRGBA, f int) {
	b := src.Bounds()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	acc := make([][4]int, dw) // alpha-weighted r, g, b, and alpha
	for dy := range dh {
		y0, y1 := dy*f, min((dy+1)*f, b.Dy())
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+4*b.Dx()]
			for dx := range dw {
				a := &acc[dx]
				seg := row[4*dx*f : 4*min((dx+1)*f, b.Dx())]
				for i := 0; i+3 < len(seg); i += 4 {
					al := int(seg[i+3])
					a[0] += int(seg[i]) * al
					a[1] += int(seg[i+1]) * al
					a[2] += int(seg[i+2]) * al
					a[3] += al
				}
			}
		}
		put(dst, dy, f, b.Dx(), y1-y0, acc)
	}
}

// shrinkAny is the general path, through color.NRGBA64 per pixel.
func shrinkAny(dst *image.NRGBA, src image.Image, f int) {
	b := src.Bounds()
	dw, dh := dst.Rect.Dx(), dst.Rect.Dy()
	acc := make([][4]int, dw)
	for dy := range dh {
		y0, y1 := dy*f, min((dy+1)*f, b.Dy())
		clear(acc)
		for y := y0; y < y1; y++ {
			for x := 0; x < b.Dx(); x++ {
				c := color.NRGBA64Model.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				al := int(c.A >> 8)
				a := &acc[x/f]
				a[0] += int(c.R>>8) * al
				a[1] += int(c.G>>8) * al
				a[2] += int(c.B>>8) * al
				a[3] += al
			}
		}
		put(dst, dy, f, b.Dx(), y1-y0, acc)
	}
}

// put writes one output row from alpha-weighted sums.
func put(dst *image.NRGBA, dy, f, srcW, rows int, acc [][4]int) {
	out := dst.Pix[dy*dst.Stride:]
	for dx, a := range acc {
		np := (min((dx+1)*f, srcW) - dx*f) * rows
		o := out[dx*4 : dx*4+4 : dx*4+4]
		if a[3] == 0 {
			o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			continue
		}
		o[0] = uint8((a[0] + a[3]/2) / a[3])
		o[1] = uint8((a[1] + a[3]/2) / a[3])
		o[2] = uint8((a[2] + a[3]/2) / a[3])
		o[3] = uint8((a[3] + np/2) / np)
	}
}
