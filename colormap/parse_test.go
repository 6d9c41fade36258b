package colormap

import (
	"bytes"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const sample = `# palette colour map. Lines starting with # are comments; blank lines are kept.
# Name: one or more prototype shades as #RRGGBB, then optionally "also:" and comma-separated aliases.

Navy Blue: #1F2A44 #000080 #2B3A67  also: Navy, Dark Navy   # a trailing comment is allowed
Multi: multi  also: Multicolor, Multicolour, Assorted, Multi Colour
	 # an indented comment
Red:#f00 #C8102E
Light Blue: #ADD8E6 ALSO: Baby Blue,Powder   #
Off White: #FAF9F6# comment right after a shade
`

func TestParseGood(t *testing.T) {
	src := sample
	m, err := Parse(strings.NewReader(src), "colors.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: "Navy Blue", Aliases: []string{"Navy", "Dark Navy"}, Shades: []color.NRGBA{{0x1F, 0x2A, 0x44, 255}, {0, 0, 0x80, 255}, {0x2B, 0x3A, 0x67, 255}}, Line: 4},
		{Name: "Multi", Aliases: []string{"Multicolor", "Multicolour", "Assorted", "Multi Colour"}, Kind: Multi, Line: 5},
		{Name: "Red", Shades: []color.NRGBA{{255, 0, 0, 255}, {0xC8, 0x10, 0x2E, 255}}, Line: 7},
		{Name: "Light Blue", Aliases: []string{"Baby Blue", "Powder"}, Shades: []color.NRGBA{{0xAD, 0xD8, 0xE6, 255}}, Line: 8},
		{Name: "Off White", Shades: []color.NRGBA{{0xFA, 0xF9, 0xF6, 255}}, Line: 9},
	}
	if got := m.Entries(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entries:\n got %+v\nwant %+v", got, want)
	}
	if m.Len() != len(want) {
		t.Errorf("Len = %d, want %d", m.Len(), len(want))
	}
	if got := string(m.Bytes()); got != src {
		t.Errorf("Bytes differ from the input:\n%s", got)
	}
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	if err != nil || n != int64(len(src)) || b.String() != src {
		t.Errorf("WriteTo = %d, %v; text equal %v", n, err, b.String() == src)
	}
}

func TestParseErrors(t *testing.T) {
	long := "Long: #FFFFFF  also: " + strings.Repeat("x", MaxLineBytes)
	tests := []struct {
		name, src string
		want      []string
	}{
		{"bad shade", "# c\n\nNavy Blue: #1F2A44 #12345G\n", []string{
			`colors.txt:3: bad shade "#12345G" for "Navy Blue"`}},
		{"short shade", "Red: #FF00\n", []string{`colors.txt:1: bad shade "#FF00" for "Red"`}},
		{"comment without space", "Red: #FF0000 #comment\n", []string{`colors.txt:1: bad shade "#comment" for "Red"`}},
		{"missing colon", "Navy Blue #000080\n", []string{`colors.txt:1: missing ':' after the name in "Navy Blue #000080"`}},
		{"empty name", ": #000080\n", []string{`colors.txt:1: empty name`}},
		{"name of punctuation", "--: #000080\n", []string{`colors.txt:1: empty name "--" (nothing left after normalising)`}},
		{"hash in name", "A#B: #000080\n", []string{`colors.txt:1: name "A#B" contains '#'`}},
		{"pipe in name", "Grey|Pink: #000080\n", []string{`colors.txt:1: name "Grey|Pink" contains '|'`}},
		{"no shades", "Navy:\nBlue:   # nothing\n", []string{
			`colors.txt:1: no shades for "Navy"`,
			`colors.txt:2: no shades for "Blue"`}},
		{"unknown special", "Navy: navy\n", []string{
			`colors.txt:1: unknown special "navy" for "Navy" (want #RRGGBB shades or "multi")`}},
		{"multi with shades", "Multi: multi #FFFFFF\n", []string{`colors.txt:1: "multi" mixed with shades for "Multi"`}},
		{"multi twice", "Multi: multi MULTI\n", []string{`colors.txt:1: "multi" given twice for "Multi"`}},
		{"also without aliases", "Red: #F00 also:\n", []string{`colors.txt:1: "also:" without aliases for "Red"`}},
		{"empty alias", "Red: #F00 also: Scarlet,, Rouge\n", []string{`colors.txt:1: empty alias for "Red"`}},
		{"colon in aliases", "Red: #F00 also: a: b\n", []string{`colors.txt:1: alias "a: b" contains ':' for "Red"`}},
		{"stray colon", "Red: #F00 too: x\n", []string{
			`colors.txt:1: unexpected ':' in "#F00 too: x" for "Red" (only "also:" may follow the shades)`}},
		{"duplicate name", "Navy Blue: #000080\nRed: #F00\nnavy-blue: #000080\n", []string{
			`colors.txt:3: duplicate name "navy-blue": line 1 already has "Navy Blue"`}},
		{"duplicate alias", "Navy Blue: #000080 also: Navy\nDark Blue: #00008B also: NAVY\n", []string{
			`colors.txt:2: duplicate alias "NAVY": line 1 already has "Navy"`}},
		{"duplicate ignoring spaces", "Off White: #FAF9F6\nOffwhite: #FFFFFF\n", []string{
			`colors.txt:2: duplicate name "Offwhite": line 1 already has "Off White"`}},
		{"alias equal to another name", "Grey: #808080\nSilver: #C0C0C0 also: Gray\n", []string{
			`colors.txt:2: duplicate alias "Gray": line 1 already has "Grey"`}},
		{"byte-order mark in a name", "Red: #F00\n\uFEFFBlue: #00F\n", []string{`colors.txt:2: name "\ufeffBlue" contains an invisible character U+FEFF`}},
		{"invalid utf8", "R\xffd: #F00\n", []string{`colors.txt:1: invalid UTF-8`}},
		{"overlong line", "Red: #F00\n" + long + "\nBlue: #00F #1\n", []string{
			`colors.txt:2: line too long (max 4096 bytes)`,
			`colors.txt:3: bad shade "#1" for "Blue"`}},
		{"overlong last line", long, []string{`colors.txt:1: line too long (max 4096 bytes)`}},
		{"several on one line", "Bad#Name: #XYZ foo also: ok\n", []string{
			`colors.txt:1: name "Bad#Name" contains '#'`,
			`colors.txt:1: bad shade "#XYZ" for "Bad#Name"`,
			`colors.txt:1: unknown special "foo" for "Bad#Name" (want #RRGGBB shades or "multi")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tt.src), "colors.txt")
			if m != nil {
				t.Errorf("Parse returned a map with an error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T) is not Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
			var le *LineError
			if !errors.As(err, &le) || le != errs[0] {
				t.Errorf("errors.As(*LineError) did not find the first error")
			}
		})
	}
}

func TestParseTooManyEntries(t *testing.T) {
	var b strings.Builder
	for i := range MaxEntries + 5 {
		b.WriteString("Name " + strconv.Itoa(i) + ": #FFFFFF\n")
	}
	_, err := Parse(strings.NewReader(b.String()), "big.txt")
	want := "big.txt:10001: too many entries (max 10000)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestParseTooManyErrors(t *testing.T) {
	src := strings.Repeat("no colon here\n", 150)
	_, err := Parse(strings.NewReader(src), "f")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatal(err)
	}
	if len(errs) != 101 || errs[100].Msg != "too many errors; stopping" || errs[100].Line != 101 {
		t.Errorf("got %d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestParseFileTooLarge(t *testing.T) {
	line := "# " + strings.Repeat("c", 1000) + "\n"
	src := strings.Repeat(line, MaxFileBytes/len(line)+2)
	_, err := Parse(strings.NewReader(src), "f")
	if err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("err = %v", err)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(errReader{boom}, "f")
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap boom", err)
	}
	var errs Errors
	if errors.As(err, &errs) {
		t.Errorf("a read error must not be Errors")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestParseLineEndingsAndBOM(t *testing.T) {
	for _, src := range []string{
		"\uFEFFRed: #F00\r\n# c\r\n\r\nBlue: #00F",
		"Red: #F00\n\n",
		"",
		"\n",
		"# only a comment",
	} {
		m, err := Parse(strings.NewReader(src), "f")
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if got := string(m.Bytes()); got != src {
			t.Errorf("round trip %q -> %q", src, got)
		}
	}
	m, _ := Parse(strings.NewReader("\uFEFFRed: #F00\r\nBlue: #00F\r\n"), "f")
	if e, ok := m.Lookup("red"); !ok || e.Name != "Red" {
		t.Errorf("BOM not stripped from the first name: %+v", e)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "colors.txt")
	if err := os.WriteFile(path, []byte("Red: #F00\nBlue: #GGG\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+`:2: bad shade "#GGG" for "Blue"` {
		t.Errorf("Load error = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.txt")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("Red: #F00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := Load(path); err != nil || m.Len() != 1 {
		t.Errorf("Load = %v, %v", m, err)
	}
}

func TestLineErrorFormats(t *testing.T) {
	for _, tt := range []struct {
		e    LineError
		want string
	}{
		{LineError{File: "a.txt", Line: 3, Msg: "m"}, "a.txt:3: m"},
		{LineError{Line: 3, Msg: "m"}, "line 3: m"},
		{LineError{Msg: "m"}, "colormap: m"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}
