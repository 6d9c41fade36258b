package palette

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"

	// Decoders for the formats Decode accepts.
	_ "image/gif"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Limits bound what Decode accepts. The zero value (or a nil *Limits) means
// the defaults.
type Limits struct {
	// MaxBytes is the largest encoded image accepted, in bytes; 0 means
	// DefaultMaxBytes.
	MaxBytes int64
	// MaxPixels is the largest width×height accepted, checked from the
	// image header before any pixel buffer is allocated; 0 means
	// DefaultMaxPixels.
	MaxPixels int64
}

// Default limits.
const (
	DefaultMaxBytes  = 50 << 20   // 50 MiB
	DefaultMaxPixels = 50_000_000 // 50 MP
)

func (l *Limits) maxBytes() int64 {
	if l == nil || l.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return l.MaxBytes
}

func (l *Limits) maxPixels() int64 {
	if l == nil || l.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// Errors of Decode (the first five) and Generate, wrapped with the detail of
// what was wrong. Test them with errors.Is. Generate also returns errors
// wrapping colormap.ErrUnknownName.
var (
	ErrEmpty        = errors.New("palette: empty image")
	ErrTooLarge     = errors.New("palette: image exceeds max bytes")
	ErrTooManyPx    = errors.New("palette: image exceeds max pixels")
	ErrFormat       = errors.New("palette: unsupported image format")
	ErrCorrupt      = errors.New("palette: corrupt or truncated image")
	ErrNoOpaque     = errors.New("palette: image has no opaque pixel")
	ErrNoNames      = errors.New("palette: no colour names")
	ErrTooManyNames = errors.New("palette: too many colour names")
)

// Decode reads one image from r within lim: JPEG (baseline, progressive,
// CMYK/YCCK), PNG (any bit depth, grey, paletted, alpha), GIF (first frame),
// WebP, BMP and TIFF, told apart by their bytes, never by a file name. It
// reads at most lim.MaxBytes, checks the header's width×height against
// lim.MaxPixels before decoding, and applies the EXIF orientation of JPEGs.
// Every failure of the image wraps one of ErrEmpty, ErrTooLarge,
// ErrTooManyPx, ErrFormat or ErrCorrupt (a decoder panic on hostile input is
// returned as ErrCorrupt); a failure to read r is returned as it is.
func Decode(r io.Reader, lim *Limits) (image.Image, string, error) {
	data, err := ReadImage(r, lim)
	if err != nil {
		return nil, "", err
	}
	return DecodeBytes(data, lim)
}

// ReadImage reads an encoded image from r to the end, failing with
// ErrTooLarge as soon as it passes lim.MaxBytes. A file's size (when r
// has a Stat method) sizes the buffer once; other streams are read in
// chunks, so at worst about twice the limit is held.
func ReadImage(r io.Reader, lim *Limits) ([]byte, error) {
	max := lim.maxBytes()
	if st, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > max {
			return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, fi.Size(), max)
		} else if err == nil && fi.Mode().IsRegular() {
			buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+1))
			if _, err := buf.ReadFrom(io.LimitReader(r, max+1)); err != nil {
				return nil, fmt.Errorf("palette: reading image: %w", err)
			}
			if int64(buf.Len()) > max {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
			}
			return buf.Bytes(), nil
		}
	}
	const chunk = 1 << 20
	var chunks [][]byte
	var n int64
	for {
		c := make([]byte, chunk)
		k, err := io.ReadFull(r, c)
		n += int64(k)
		if n > max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
		}
		chunks = append(chunks, c[:k])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("palette: reading image: %w", err)
		}
	}
	return bytes.Join(chunks, nil), nil
}

// DecodeBytes is Decode for an image already in memory; lim.MaxBytes is
// checked against len(data).
func DecodeBytes(data []byte, lim *Limits) (img image.Image, format string, err error) {
	cfg, format, err := header(data, lim)
	if err != nil {
		return nil, format, err
	}
	defer func() {
		if recover() != nil {
			img, err = nil, fmt.Errorf("%w: the %s decoder failed on malformed data", ErrCorrupt, formatName(format))
		}
	}()
	if format == "jpeg" {
		// imaging reads the EXIF orientation while the JPEG decodes.
		img, err = imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	} else {
		img, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, format, classify(format, err)
	}
	if !consistent(format, cfg, img.Bounds()) {
		b := img.Bounds()
		return nil, format, fmt.Errorf("%w: %s header says %d×%d, pixels are %d×%d",
			ErrCorrupt, format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	return img, format, nil
}

// header reads data's image header and checks it against lim: not empty,
// within lim's bytes and pixels, a positive size. A decoder that panics on
// a malformed header is ErrCorrupt.
func header(data []byte, lim *Limits) (cfg image.Config, format string, err error) {
	if len(data) == 0 {
		return cfg, "", ErrEmpty
	}
	if max := lim.maxBytes(); int64(len(data)) > max {
		return cfg, "", fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), max)
	}
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%w: the %s decoder failed on a malformed header", ErrCorrupt, formatName(format))
		}
	}()
	cfg, format, err = image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return cfg, format, classify(format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, format, fmt.Errorf("%w: %s header gives %d×%d pixels", ErrCorrupt, format, cfg.Width, cfg.Height)
	}
	if px, max := int64(cfg.Width)*int64(cfg.Height), lim.maxPixels(); px > max {
		return cfg, format, fmt.Errorf("%w: %s of %d×%d is %d pixels, limit %d",
			ErrTooManyPx, format, cfg.Width, cfg.Height, px, max)
	}
	return cfg, format, nil
}

// consistent checks the decoded bounds against the header: the same size,
// or for a JPEG the size turned by its EXIF orientation, or for a GIF a
// first frame inside the logical screen.
func consistent(format string, cfg image.Config, b image.Rectangle) bool {
	switch {
	case b.Dx() == cfg.Width && b.Dy() == cfg.Height:
		return true
	case format == "jpeg":
		return b.Dx() == cfg.Height && b.Dy() == cfg.Width
	case format == "gif":
		return !b.Empty() && b.In(image.Rect(0, 0, cfg.Width, cfg.Height))
	}
	return false
}

func formatName(format string) string {
	if format == "" {
		return "image"
	}
	return format
}

// classify turns a decoder error into one of the package's errors.
func classify(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("%w: %s", ErrFormat, sniffed(format))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s data ends early", ErrCorrupt, format)
	}
	var (
		jerr jpeg.UnsupportedError
		perr png.UnsupportedError
		terr tiff.UnsupportedError
	)
	if errors.As(err, &jerr) || errors.As(err, &perr) || errors.As(err, &terr) {
		return fmt.Errorf("%w: %s variant: %v", ErrFormat, format, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, format+":") {
		msg = formatName(format) + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, msg)
}

func sniffed(format string) string {
	if format == "" {
		return "the bytes match none of JPEG, PNG, GIF, WebP, BMP, TIFF"
	}
	return format
}
