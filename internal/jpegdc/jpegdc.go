// Package jpegdc decodes a JPEG at 1/8 scale from the DC coefficients alone:
// the DC coefficient of an 8×8 DCT block is the block's mean, so one pixel per
// block needs no inverse DCT and no upsampling, and the AC scans of a
// progressive JPEG are skipped without entropy decoding.
//
// It reads 8-bit Huffman-coded baseline, extended and progressive JPEGs (ITU
// T.81) with one, three or four components. Anything else gives
// ErrUnsupported so that the caller can fall back to image/jpeg.
package jpegdc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
)

// Image is a JPEG decoded at 1/8 scale.
type Image struct {
	// Img is the 1/8-scale image: one pixel per 8×8 block of the full image,
	// i.e. ceil(Width/8)×ceil(Height/8) pixels. It is an *image.YCbCr with
	// 4:4:4 sampling for YCbCr JPEGs (a subsampled chroma block's mean is
	// repeated over the pixels it covers), an *image.Gray for greyscale, an
	// *image.CMYK for Adobe CMYK and YCCK JPEGs (matching image/jpeg) and an
	// *image.NRGBA for RGB JPEGs.
	Img image.Image
	// Width and Height are the full-size dimensions from the frame header.
	Width, Height int
	// Orientation is the EXIF orientation, 1–8, or 0 when absent.
	Orientation int
}

// ErrUnsupported reports a valid JPEG that this package does not decode:
// arithmetic coding, lossless or hierarchical processes, 12-bit samples,
// two components, sampling factors that are not multiples of each other, or
// a height given only by a DNL marker. Errors wrap it; test with errors.Is.
var ErrUnsupported = errors.New("jpegdc: unsupported JPEG")

func unsupported(what string) error { return fmt.Errorf("%w: %s", ErrUnsupported, what) }

func formatError(what string) error { return errors.New("jpegdc: invalid JPEG: " + what) }

var errEOF = fmt.Errorf("jpegdc: invalid JPEG: %w", io.ErrUnexpectedEOF)

// Markers (table B.1 of T.81).
const (
	mSOF0 = 0xC0 // baseline
	mSOF1 = 0xC1 // extended sequential, Huffman
	mSOF2 = 0xC2 // progressive, Huffman
	mDHT  = 0xC4
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
	mDHP  = 0xDE
	mEXP  = 0xDF
	mAPP0 = 0xE0
	mAPP1 = 0xE1
	mAPPE = 0xEE
	mAPPF = 0xEF
	mJPG0 = 0xF0
	mCOM  = 0xFE
	mTEM  = 0x01
)

// component is one frame component and its DC coefficients, one per block,
// stored row by row with stride blocks per row (the MCU-padded width).
type component struct {
	id     uint8
	h, v   int   // sampling factors
	tq     uint8 // quantisation table selector
	q0     int32 // DC quantiser, latched at the component's first scan
	hasQ   bool
	bw, bh int // blocks covering the component's samples
	stride int // blocks per row including MCU padding
	rows   int // block rows including MCU padding
	dc     []int32
}

// decoder holds the state of one Decode call.
type decoder struct {
	data      []byte
	maxPixels int64

	width, height int
	nComp         int
	comp          [4]component
	hmax, vmax    int
	mcusX, mcusY  int
	progressive   bool
	frame         bool
	scans         int

	q0     [4]int32
	qValid [4]bool
	huff   [2][4]huffTable // [class][id]: class 0 DC, 1 AC
	hValid [2][4]bool

	restartInterval int
	headerOnly      bool // stop after the frame header (Header)
	jfif            bool
	adobe           bool
	adobeTransform  uint8
	orientation     int
}

// Decode reads one JPEG from data and returns its DC image. maxPixels bounds
// the full-size width×height, checked from the frame header before anything
// is allocated for the image; maxPixels <= 0 means no bound beyond the
// format's own 65535×65535. Malformed or truncated data gives an error.
func Decode(data []byte, maxPixels int64) (*Image, error) {
	d := &decoder{data: data, maxPixels: maxPixels}
	if err := d.decode(); err != nil {
		return nil, err
	}
	if d.nComp == 4 && !d.adobe {
		// image/jpeg refuses these too: without Adobe's marker the colour
		// model of four components is unknown.
		return nil, unsupported("4-component JPEG without Adobe APP14 marker")
	}
	return &Image{Img: d.image(), Width: d.width, Height: d.height, Orientation: d.orientation}, nil
}

// Header reads data's markers up to the frame header and returns the
// image's width and height and its EXIF orientation (0 when none came
// before the frame header), or ErrUnsupported for a JPEG that Decode would
// refuse for its coding (arithmetic, lossless, hierarchical, not 8-bit, an
// unusual number of components), or another error for malformed data. It
// lets a caller size the decode before it happens.
func Header(data []byte) (width, height, orientation int, err error) {
	d := &decoder{data: data, headerOnly: true}
	if err := d.decode(); err != nil {
		return 0, 0, 0, err
	}
	return d.width, d.height, d.orientation, nil
}

// nextMarker finds the next marker at or after pos, skipping stuffed bytes
// (0xFF00), fill bytes and restart markers, and returns the position of its
// 0xFF and its code.
func nextMarker(data []byte, pos int) (int, byte, bool) {
	for pos < len(data) {
		i := indexFF(data[pos:])
		if i < 0 {
			break
		}
		pos += i
		if pos+1 >= len(data) {
			break
		}
		m := data[pos+1]
		if m == 0 || m == 0xFF || (m >= mRST0 && m <= mRST7) {
			pos++
			continue
		}
		return pos, m, true
	}
	return 0, 0, false
}

func (d *decoder) decode() error {
	data := d.data
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return formatError("missing SOI marker")
	}
	pos := 2
	for {
		p, m, ok := nextMarker(data, pos)
		if !ok {
			return errEOF
		}
		pos = p + 2
		switch m {
		case mEOI:
			if !d.frame {
				return formatError("missing SOF marker")
			}
			if d.scans == 0 {
				return formatError("missing SOS marker")
			}
			return nil
		case mSOI:
			return formatError("unexpected SOI marker")
		case mTEM:
			continue
		}
		if pos+2 > len(data) {
			return errEOF
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 {
			return formatError("bad segment length")
		}
		if pos+n > len(data) {
			return errEOF
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch {
		case m == mSOF0 || m == mSOF1 || m == mSOF2:
			err = d.sof(seg, m == mSOF2)
			if err == nil && d.headerOnly {
				return nil
			}
		case m == mDHT:
			err = d.dht(seg)
		case m == mDQT:
			err = d.dqt(seg)
		case m == mDRI:
			if len(seg) != 2 {
				return formatError("bad DRI length")
			}
			d.restartInterval = int(binary.BigEndian.Uint16(seg))
		case m == mSOS:
			pos, err = d.sos(seg, pos)
		case m == mAPP0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case m == mAPP1:
			if d.orientation == 0 {
				d.orientation = exifOrientation(seg)
			}
		case m == mAPPE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe = true
				d.adobeTransform = seg[11]
			}
		case m == mDAC || (m >= 0xC9 && m <= 0xCB) || (m >= 0xCD && m <= 0xCF):
			err = unsupported("arithmetic coding")
		case m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF:
			err = unsupported("lossless JPEG")
		case (m >= 0xC5 && m <= 0xC7) || m == mDHP || m == mEXP:
			err = unsupported("hierarchical JPEG")
		case m == 0xC8 || m == mDNL || m == mCOM || (m >= mAPP0 && m <= mAPPF) || (m >= mJPG0 && m <= 0xFD):
			// Ignored: JPG extension, DNL (its height is never needed, see
			// sof), comments, other application data.
		default:
			err = formatError(fmt.Sprintf("unknown marker 0x%02X", m))
		}
		if err != nil {
			return err
		}
	}
}

// sof reads a frame header (B.2.2).
func (d *decoder) sof(seg []byte, progressive bool) error {
	if d.frame {
		return formatError("multiple SOF markers")
	}
	if len(seg) < 6 {
		return formatError("short SOF segment")
	}
	if seg[0] != 8 {
		return unsupported(fmt.Sprintf("%d-bit samples", seg[0]))
	}
	d.height = int(binary.BigEndian.Uint16(seg[1:]))
	d.width = int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if len(seg) != 6+3*nc {
		return formatError("bad SOF length")
	}
	if nc != 1 && nc != 3 && nc != 4 {
		return unsupported(fmt.Sprintf("%d components", nc))
	}
	if d.height == 0 {
		return unsupported("height defined by DNL")
	}
	if d.width == 0 {
		return formatError("zero width")
	}
	if px := int64(d.width) * int64(d.height); d.maxPixels > 0 && px > d.maxPixels {
		return fmt.Errorf("jpegdc: image is %d×%d = %d pixels, more than the limit of %d", d.width, d.height, px, d.maxPixels)
	}
	d.nComp, d.progressive = nc, progressive
	d.hmax, d.vmax = 1, 1
	for i := 0; i < nc; i++ {
		c := &d.comp[i]
		p := seg[6+3*i:]
		c.id, c.h, c.v, c.tq = p[0], int(p[1]>>4), int(p[1]&15), p[2]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatError("bad sampling factor")
		}
		if c.tq > 3 {
			return formatError("bad quantisation table selector")
		}
		for j := 0; j < i; j++ {
			if d.comp[j].id == c.id {
				return formatError("repeated component identifier")
			}
		}
		if nc == 1 {
			// One component is non-interleaved by definition (A.2): its MCU
			// is one block whatever its sampling factors say.
			c.h, c.v = 1, 1
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := 0; i < nc; i++ {
		c := &d.comp[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return unsupported("sampling factors that do not divide the largest")
		}
		cw := (d.width*c.h + d.hmax - 1) / d.hmax // A.1.1
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		c.bw, c.bh = (cw+7)/8, (ch+7)/8
		c.stride, c.rows = d.mcusX*c.h, d.mcusY*c.v
	}
	d.frame = true
	return nil
}

// dqt reads quantisation tables (B.2.4.1); only the DC quantiser is kept.
func (d *decoder) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 {
			return formatError("bad DQT table id")
		}
		switch {
		case pq == 0 && len(seg) >= 65:
			d.q0[tq] = int32(seg[1])
			seg = seg[65:]
		case pq == 1 && len(seg) >= 129:
			d.q0[tq] = int32(binary.BigEndian.Uint16(seg[1:]))
			seg = seg[129:]
		default:
			return formatError("bad DQT segment")
		}
		d.qValid[tq] = true
	}
	return nil
}

// dht reads Huffman tables (B.2.4.2).
func (d *decoder) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return formatError("short DHT segment")
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return formatError("bad DHT table class or id")
		}
		counts := seg[1:17]
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total > 256 || len(seg) < 17+total {
			return formatError("bad DHT segment")
		}
		if err := d.huff[tc][th].build(counts, seg[17:17+total]); err != nil {
			return err
		}
		d.hValid[tc][th] = true
		seg = seg[17+total:]
	}
	return nil
}
