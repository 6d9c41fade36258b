package palette

import (
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
	cfg, format, err := header(data, o.Limits)
	if err != nil {
		return 0, err
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	analysis := int64(max(o.AnalysisPixels, DefaultAnalysisPixels)) * 2 * 4 // the analysis image, and its copy
	pixels := px * bytesPerPixel(cfg.ColorModel)
	if format == "jpeg" {
		_, _, orientation, herr := jpegdc.Header(data)
		switch {
		case herr == nil && dcScale(px, &o):
			// jpegdc: per 8×8 block, a few bytes of DC coefficients per
			// component and the 1/8-scale image, maybe turned once.
			pixels = px / 64 * 16
		case herr != nil || orientation > 1:
			// Decoded in full: image/jpeg's planes, and imaging's turned
			// NRGBA copy when the EXIF orientation asks for one (or
			// cannot be read).
			pixels += px * 4
		}
	}
	return int64(len(data)) + pixels + analysis, nil
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
