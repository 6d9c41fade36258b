package jpegdc

import (
	"encoding/binary"
	"image"
	"image/color"
)

// image builds the 1/8-scale image from the DC coefficients.
func (d *decoder) image() image.Image {
	w, h := (d.width+7)/8, (d.height+7)/8
	r := image.Rect(0, 0, w, h)
	switch d.nComp {
	case 1:
		img := image.NewGray(r)
		d.plane(img.Pix, 0, 1, img.Stride, 0)
		return img
	case 3:
		if d.isRGB() {
			img := image.NewNRGBA(r)
			for i := 0; i < 3; i++ {
				d.plane(img.Pix, i, 4, img.Stride, i)
			}
			for i := 3; i < len(img.Pix); i += 4 {
				img.Pix[i] = 0xFF
			}
			return img
		}
		img := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
		d.plane(img.Y, 0, 1, img.YStride, 0)
		d.plane(img.Cb, 0, 1, img.CStride, 1)
		d.plane(img.Cr, 0, 1, img.CStride, 2)
		return img
	}
	img := image.NewCMYK(r)
	for i := 0; i < 4; i++ {
		d.plane(img.Pix, i, 4, img.Stride, i)
	}
	p := img.Pix
	if d.adobe && d.adobeTransform != 0 {
		// YCCK: convert YCbCr to RGB, which is CMY after undoing Adobe's
		// inversion; only K stays inverted.
		for i := 0; i+3 < len(p); i += 4 {
			p[i], p[i+1], p[i+2] = color.YCbCrToRGB(p[i], p[i+1], p[i+2])
			p[i+3] = 255 - p[i+3]
		}
	} else {
		// Adobe writes CMYK inverted: 255 is no ink.
		for i := range p {
			p[i] = 255 - p[i]
		}
	}
	return img
}

// isRGB reports whether a three-component JPEG holds RGB rather than YCbCr,
// using the same signals as image/jpeg: no JFIF marker and either an Adobe
// marker with transform 0 or the component ids 'R', 'G', 'B'.
func (d *decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobe && d.adobeTransform == 0 {
		return true
	}
	return d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B'
}

// plane writes component ci's samples, one per output pixel, to
// dst[off + y*stride + x*step]: level = round(DC·Q0/8) + 128, clamped. A
// subsampled component's block covers hmax/h × vmax/v output pixels.
func (d *decoder) plane(dst []byte, off, step, stride, ci int) {
	c := &d.comp[ci]
	w, h := (d.width+7)/8, (d.height+7)/8
	if c.dc == nil { // never in a scan: mid-grey
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst[off+y*stride+x*step] = 128
			}
		}
		return
	}
	fx, fy := d.hmax/c.h, d.vmax/c.v
	q := int64(c.q0)
	var row [8192]byte // ceil(65535/8) levels of one block row
	for y := 0; y < h; y++ {
		src := c.dc[(y/fy)*c.stride:]
		n := (w + fx - 1) / fx
		for i := 0; i < n; i++ {
			v := (int64(src[i])*q+4)>>3 + 128
			row[i] = uint8(min(max(v, 0), 255))
		}
		o := off + y*stride
		if fx == 1 && step == 1 {
			copy(dst[o:o+w], row[:w])
			continue
		}
		for x := 0; x < w; x++ {
			dst[o+x*step] = row[x/fx]
		}
	}
}

// exifOrientation returns the orientation tag (0x0112) of an APP1 Exif
// segment, or 0 when the segment is not Exif or has no valid one.
func exifOrientation(seg []byte) int {
	if len(seg) < 14 || string(seg[:6]) != "Exif\x00\x00" {
		return 0
	}
	t := seg[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd+2 > uint64(len(t)) {
		return 0
	}
	n := int(bo.Uint16(t[ifd:]))
	p := int(ifd) + 2
	for i := 0; i < n && p+12 <= len(t); i, p = i+1, p+12 {
		if bo.Uint16(t[p:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ, count := bo.Uint16(t[p+2:]), bo.Uint32(t[p+4:]); {
		case typ == 3 && count >= 1: // SHORT
			v = uint32(bo.Uint16(t[p+8:]))
		case typ == 4 && count >= 1: // LONG
			v = bo.Uint32(t[p+8:])
		}
		if v >= 1 && v <= 8 {
			return int(v)
		}
		return 0
	}
	return 0
}
