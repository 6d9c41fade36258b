package palette

import (
	"bytes"
	"fmt"
	"image"
	"image/color"

	"github.com/palette-dev/palette/internal/jpegdc"
)

// MemoryNeeded estimates, from the image header alone, the most memory
// Process holds for the photo data: the encoded bytes themselves plus the
// pixels its decoder allocates (bytes per pixel of the decoder's output:
// 1 for grey and paletted images, 4 for 8-bit RGBA, 8 for 16-bit RGBA;
// for a JPEG decoded in full its Y′CbCr planes and the copy turned by its
// EXIF orientation; for a large JPEG decoded at 1/8 scale a sixty-fourth
// of that). A server bounds its memory by reserving this much before it
// calls Process (palette-worker's -memory). The errors are those of
// Decode for a header that is unreadable or over opts.Limits.
func MemoryNeeded(data []byte, opts *Options) (int64, error) {
	o := opts.get()
	if len(data) == 0 {
		return 0, ErrEmpty
	}
	if max := o.Limits.maxBytes(); int64(len(data)) > max {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), max)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, classify(format, err)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, fmt.Errorf("%w: %s header gives %d×%d pixels", ErrCorrupt, format, cfg.Width, cfg.Height)
	}
	if max := o.Limits.maxPixels(); px > max {
		return 0, fmt.Errorf("%w: %s of %d×%d is %d pixels, limit %d", ErrTooManyPx, format, cfg.Width, cfg.Height, px, max)
	}
	analysis := int64(max(o.AnalysisPixels, DefaultAnalysisPixels)) * 2 * 4 // the analysis image, and its copy
	var pixels int64
	switch {
	case format != "jpeg":
		pixels = px * bytesPerPixel(cfg.ColorModel)
	case dcEligible(data, px, &o):
		// jpegdc: per 8×8 block, a few bytes of DC coefficients per
		// component and the 1/8-scale image, maybe turned once.
		pixels = px / 64 * 16
	default:
		// image/jpeg's planes, and imaging's turned NRGBA copy when the
		// EXIF orientation asks for one (or cannot be read).
		pixels = px * bytesPerPixel(cfg.ColorModel)
		if _, _, orientation, err := jpegdc.Header(data); err != nil || orientation > 1 {
			pixels += px * 4
		}
	}
	return int64(len(data)) + pixels + analysis, nil
}

// dcEligible reports whether analysisImage will decode data at 1/8 scale.
func dcEligible(data []byte, px int64, o *Options) bool {
	if px < DCMinPixels || int64(o.AnalysisPixels) > px/64 {
		return false
	}
	_, _, _, err := jpegdc.Header(data)
	return err == nil
}

// bytesPerPixel is the size of a pixel of the image a decoder returns for
// a header with model m; unknown models count as 8 (16-bit RGBA).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}
