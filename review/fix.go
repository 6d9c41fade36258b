package review

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image/color"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/render"
)

// Fix is a swatch a person chose: its colours, who and when. It is kept
// in the swatch object's metadata (see Metadata), which is what pins the
// swatch: the worker does not overwrite an object whose metadata holds a
// Fix.
type Fix struct {
	Colors  []FixColor `json:"colors"`
	FixedBy string     `json:"fixed_by"`
	At      time.Time  `json:"fixed_at"`
}

// FixColor is one colour of a Fix: the catalog name and the shade chosen.
type FixColor struct {
	Name string `json:"name"`
	Hex  string `json:"hex"` // "#rrggbb", lower case
}

// Metadata keys of a pinned swatch. Values are ASCII: fixed_by and the
// colours are URL-query-escaped.
const (
	MetaSource  = "palette-source"   // "manual"
	MetaFixedAt = "palette-fixed-at" // RFC 3339, nanoseconds
	MetaFixedBy = "palette-fixed-by" // escaped text
	MetaColors  = "palette-colors"   // escaped JSON [{"name","hex"}]
)

// Limits of a fix.
const (
	MaxFixedByBytes = 256
	// MaxMetadataBytes bounds the metadata of a fix, keys and values: S3
	// allows 2 KiB of user metadata.
	MaxMetadataBytes = 2000
)

// ErrFix is wrapped by the errors of Fix.Check.
var ErrFix = errors.New("review: bad fix")

// Check says what is wrong with f, or nil: 1 to queue.MaxColors colours,
// each with a name (non-blank, at most queue.MaxColorBytes bytes of UTF-8
// without control characters) and a hex "#rrggbb"; fixed_by non-blank, at
// most MaxFixedByBytes, no control characters; and the whole metadata at
// most MaxMetadataBytes. It lower-cases the hex codes.
func (f *Fix) Check() error {
	bad := func(format string, a ...any) error { return fmt.Errorf("%w: "+format, append([]any{ErrFix}, a...)...) }
	switch {
	case len(f.Colors) == 0:
		return bad("colors: at least one colour")
	case len(f.Colors) > queue.MaxColors:
		return bad("colors: at most %d colours", queue.MaxColors)
	}
	for i := range f.Colors {
		c := &f.Colors[i]
		if err := checkText(c.Name, queue.MaxColorBytes); err != "" {
			return bad("colors[%d].name %s", i, err)
		}
		if _, ok := parseHex(c.Hex); !ok {
			return bad("colors[%d].hex %q is not a colour like #1a2b3c", i, c.Hex)
		}
		c.Hex = strings.ToLower(c.Hex)
	}
	if err := checkText(f.FixedBy, MaxFixedByBytes); err != "" {
		return bad("fixed_by %s", err)
	}
	n := 0
	for k, v := range f.Metadata() {
		n += len(k) + len(v)
	}
	if n > MaxMetadataBytes {
		return bad("the colour names and fixed_by take %d bytes of object metadata, more than the %d allowed: use shorter names", n, MaxMetadataBytes)
	}
	return nil
}

func checkText(s string, max int) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "is empty"
	case len(s) > max:
		return fmt.Sprintf("is %d bytes, at most %d", len(s), max)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "holds a control character"
	}
	return ""
}

// parseHex parses "#rrggbb", in either case.
func parseHex(s string) (color.NRGBA, bool) {
	if len(s) != 7 || s[0] != '#' {
		return color.NRGBA{}, false
	}
	b, err := hex.DecodeString(s[1:])
	if err != nil {
		return color.NRGBA{}, false
	}
	return color.NRGBA{R: b[0], G: b[1], B: b[2], A: 255}, true
}

// Metadata is f as object metadata (see the Meta keys).
func (f Fix) Metadata() map[string]string {
	cs, _ := json.Marshal(f.Colors)
	return map[string]string{
		MetaSource:  queue.SourceManual,
		MetaFixedAt: f.At.UTC().Format(time.RFC3339Nano),
		MetaFixedBy: url.QueryEscape(f.FixedBy),
		MetaColors:  url.QueryEscape(string(cs)),
	}
}

// FixOf reads a Fix back from object metadata; ok is false unless the
// metadata marks the object manual. Unreadable fields are left empty: the
// mark alone pins the swatch.
func FixOf(meta map[string]string) (f Fix, ok bool) {
	if meta[MetaSource] != queue.SourceManual {
		return Fix{}, false
	}
	f.At, _ = time.Parse(time.RFC3339Nano, meta[MetaFixedAt])
	f.FixedBy, _ = url.QueryUnescape(meta[MetaFixedBy])
	if cs, err := url.QueryUnescape(meta[MetaColors]); err == nil {
		json.Unmarshal([]byte(cs), &f.Colors)
	}
	return f, true
}

// PNG is the swatch of f's colours at size (0: render.DefaultSize): the
// pipeline's layouts and encoder (render.PNG), plus one tEXt chunk
// "palette-fix" holding f's time and a random nonce, before IEND.
//
// The chunk makes every fix's bytes unique, which the pin needs: an S3
// ETag is a hash of the bytes only, so a fix choosing exactly the colours
// of the automatic swatch would otherwise keep its ETag, and a job that
// read that ETag just before the fix would overwrite the fix with its
// If-Match write. Readers ignore the chunk; the pixels are the colours.
func (f Fix) PNG(size int) ([]byte, error) {
	cs := make([]color.Color, len(f.Colors))
	for i, c := range f.Colors {
		n, ok := parseHex(c.Hex)
		if !ok {
			return nil, fmt.Errorf("%w: colors[%d].hex %q", ErrFix, i, c.Hex)
		}
		cs[i] = n
	}
	png, err := render.PNG(cs, size)
	if err != nil {
		return nil, err
	}
	const iend = 12 // length, "IEND", CRC
	if len(png) < iend || string(png[len(png)-8:len(png)-4]) != "IEND" {
		return nil, errors.New("review: render.PNG did not end with IEND")
	}
	text := "palette-fix\x00" + f.At.UTC().Format(time.RFC3339Nano) + " " + rand.Text()
	out := make([]byte, 0, len(png)+len(text)+12) // + length, "tEXt", CRC
	out = append(out, png[:len(png)-iend]...)
	start := len(out)
	out = binary.BigEndian.AppendUint32(out, uint32(len(text)))
	out = append(out, "tEXt"...)
	out = append(out, text...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start+4:]))
	return append(out, png[len(png)-iend:]...), nil
}

// Result is the result event of f for a swatch of n bytes.
func (f Fix) Result(productID, image, output string, n int) queue.Result {
	r := queue.Result{ProductID: productID, Image: image, Output: output, Bytes: n, Source: queue.SourceManual, FixedBy: f.FixedBy}
	for _, c := range f.Colors {
		r.Colors = append(r.Colors, queue.Color{Name: c.Name, Hex: c.Hex, Confidence: 1})
	}
	return r
}
