package vocab

//go:generate go run ./gen

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"
	"sync"
)

//go:embed vocab.tsv.gz
var tableGz []byte

// Entry is one name of the vocabulary.
type Entry struct {
	Name    string        // display name as the most trusted list writes it, e.g. "Oatmeal", "Periwinkle"
	Shades  []color.NRGBA // opaque (A=255), one per agreeing source, most trusted source first; at least one
	Sources []string      // the source of each shade, same order: "xkcd", "iscc-nbs", "color-name-list"
}

// Lookup returns the entry whose key equals key. A key is
// colormap.Normalize(name) with all spaces removed ("Iron Grey" ->
// "irongrey", "Off-White" -> "offwhite"). The table is decoded on first use;
// after that Lookup is one map lookup and copies the entry's shades and
// sources. Safe for concurrent use.
func Lookup(key string) (Entry, bool) {
	t := load()
	i, ok := t.index[key]
	if !ok {
		return Entry{}, false
	}
	return t.entry(i), true
}

// Len returns the number of entries (loading the table if needed).
func Len() int { return len(load().entries) }

// table is the decoded vocabulary.
type table struct {
	index   map[string]int32 // key -> index in entries
	entries []entry
	shades  []color.NRGBA // the shades of all entries
	sources [][]string    // the distinct lists of sources
}

type entry struct {
	name  string
	start int32 // the entry's shades are shades[start : start+n]
	n     uint8
	src   uint8 // its sources are sources[src]
}

// entry returns a copy of entry i.
func (t *table) entry(i int32) Entry {
	e := t.entries[i]
	return Entry{
		Name:    e.name,
		Shades:  slices.Clone(t.shades[e.start : e.start+int32(e.n)]),
		Sources: slices.Clone(t.sources[e.src]),
	}
}

// load decodes the embedded table once. The data is generated and tested,
// so a failure is a build defect.
var load = sync.OnceValue(func() *table {
	t, err := decode(tableGz)
	if err != nil {
		panic("vocab: embedded table: " + err.Error())
	}
	return t
})

// sourceNames maps the table's source codes to source names.
var sourceNames = map[byte]string{'x': "xkcd", 'i': "iscc-nbs", 'c': "color-name-list"}

// decode parses a gzip-compressed table (see the package documentation for
// the format).
func decode(data []byte) (*table, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if len(data) >= 4 { // the gzip trailer ends with the size, modulo 2^32
		if size := binary.LittleEndian.Uint32(data[len(data)-4:]); size <= 64<<20 {
			buf.Grow(int(size))
		}
	}
	if _, err := io.Copy(&buf, zr); err != nil {
		return nil, err
	}
	text := buf.String() // names are substrings of this one string

	n := strings.Count(text, "\n")
	t := &table{entries: make([]entry, 0, n), shades: make([]color.NRGBA, 0, n+n/16)}
	keys := make([]byte, 0, len(text)/2) // all keys, one after the other
	keyEnds := make([]int32, 0, n)
	sets := map[string]uint8{} // codes -> index in t.sources
	for line := range strings.Lines(text) {
		key, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		name, rest, _ := strings.Cut(rest, "\t")
		hexes, codes, _ := strings.Cut(rest, "\t")
		if name == "" || codes == "" || len(codes) > 255 || len(hexes) != 7*len(codes)-1 {
			return nil, fmt.Errorf("bad line %q", line)
		}
		before := len(keys)
		if key != "" {
			keys = append(keys, key...)
		} else {
			keys = appendPlainKey(keys, name)
		}
		if len(keys) == before {
			return nil, fmt.Errorf("bad line %q: no key", line)
		}
		keyEnds = append(keyEnds, int32(len(keys)))

		src, ok := sets[codes]
		if !ok {
			var names []string
			for i := range len(codes) {
				s, ok := sourceNames[codes[i]]
				if !ok {
					return nil, fmt.Errorf("bad line %q: unknown source %q", line, codes[i])
				}
				names = append(names, s)
			}
			if len(t.sources) > 255 {
				return nil, errors.New("too many combinations of sources")
			}
			src = uint8(len(t.sources))
			t.sources = append(t.sources, names)
			sets[codes] = src
		}
		e := entry{name: name, start: int32(len(t.shades)), n: uint8(len(codes)), src: src}
		for i := 0; i < len(hexes); i += 7 {
			c, ok := parseHex(hexes[i : i+6])
			if !ok || (i+6 < len(hexes) && hexes[i+6] != ' ') {
				return nil, fmt.Errorf("bad line %q", line)
			}
			t.shades = append(t.shades, c)
		}
		t.entries = append(t.entries, e)
	}

	allKeys := string(keys)
	t.index = make(map[string]int32, len(keyEnds))
	start := int32(0)
	for i, end := range keyEnds {
		t.index[allKeys[start:end]] = int32(i)
		if len(t.index) != i+1 {
			return nil, fmt.Errorf("duplicate key %q", allKeys[start:end])
		}
		start = end
	}
	return t, nil
}

// appendPlainKey appends the plain key of a name made only of ASCII
// letters, digits and spaces: the name lower-cased, without spaces. For any
// other name it appends nothing. The table leaves out the keys that equal
// their name's plain key, most of them (gen/main.go has the same function).
func appendPlainKey(dst []byte, name string) []byte {
	n := len(dst)
	for i := range len(name) {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			dst = append(dst, c)
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case c != ' ':
			return dst[:n]
		}
	}
	return dst
}

// parseHex parses "rrggbb" (lower-case hex) as an opaque colour.
func parseHex(s string) (color.NRGBA, bool) {
	var v [3]uint8
	for i := range 6 {
		d := s[i]
		switch {
		case '0' <= d && d <= '9':
			d -= '0'
		case 'a' <= d && d <= 'f':
			d -= 'a' - 10
		default:
			return color.NRGBA{}, false
		}
		v[i/2] = v[i/2]<<4 | d
	}
	return color.NRGBA{v[0], v[1], v[2], 255}, true
}
