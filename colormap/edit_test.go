package colormap

import (
	"errors"
	"image/color"
	"reflect"
	"strings"
	"testing"
)

const editSrc = `# ops colour map
Navy Blue: #1F2A44   #000080  also: Navy   # keep this comment

# reds
Red:#F00
Multi: multi
Blue: #0047AB`

func editMap(t *testing.T) *Map {
	t.Helper()
	m, err := Parse(strings.NewReader(editSrc), "edit.txt")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWithReplaceKeepsPositionAndOtherLines(t *testing.T) {
	m := editMap(t)
	m2, err := m.With(Entry{Name: "navy-blue", Aliases: []string{"Navy", " Dark Navy "}, Shades: []color.NRGBA{{0x1F, 0x2A, 0x44, 0}}, Line: 99})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(editSrc, "Navy Blue: #1F2A44   #000080  also: Navy   # keep this comment",
		"navy-blue: #1F2A44  also: Navy, Dark Navy  # keep this comment", 1)
	if got := string(m2.Bytes()); got != want {
		t.Errorf("after replace:\n%s\nwant:\n%s", got, want)
	}
	if got := string(m.Bytes()); got != editSrc {
		t.Errorf("receiver changed:\n%s", got)
	}
	e, ok := m2.Lookup("Dark Navy")
	if !ok || e.Name != "navy-blue" || e.Line != 0 || e.Shades[0].A != 255 || !reflect.DeepEqual(e.Aliases, []string{"Navy", "Dark Navy"}) {
		t.Errorf("replaced entry = %+v, %v", e, ok)
	}
	if e, _ := m2.Lookup("Red"); e.Line != 5 {
		t.Errorf("untouched entry Line = %d, want 5", e.Line)
	}
	var names []string
	for _, e := range m2.Entries() {
		names = append(names, e.Name)
	}
	if want := []string{"navy-blue", "Red", "Multi", "Blue"}; !reflect.DeepEqual(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
	// The result parses back to the same entries.
	back, err := Parse(strings.NewReader(string(m2.Bytes())), "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Entries()) != 4 {
		t.Errorf("reparsed %d entries", len(back.Entries()))
	}
}

func TestWithAppend(t *testing.T) {
	m := editMap(t)
	m2, err := m.With(Entry{Name: "Mustard", Shades: []color.NRGBA{{0xE1, 0xAD, 0x01, 255}, {0xD4, 0xA0, 0x17, 255}}, Aliases: []string{"Mustard Yellow"}})
	if err != nil {
		t.Fatal(err)
	}
	want := editSrc + "\nMustard: #E1AD01 #D4A017  also: Mustard Yellow\n"
	if got := string(m2.Bytes()); got != want {
		t.Errorf("after append:\n%q\nwant\n%q", got, want)
	}
	m3, err := m2.With(Entry{Name: "Assorted", Kind: Multi})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m3.Bytes()); got != want+"Assorted: multi\n" {
		t.Errorf("after second append:\n%q", got)
	}
	if r, err := m3.Resolve("mustard-yellow"); err != nil || r.Name != "Mustard" || r.Via != Alias {
		t.Errorf("Resolve new alias = %+v, %v", r, err)
	}
	// CRLF files get CRLF lines.
	crlf, err := Parse(strings.NewReader("Red: #F00\r\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	crlf, err = crlf.With(Entry{Name: "Blue", Shades: []color.NRGBA{{0, 0, 255, 255}}})
	if err != nil || string(crlf.Bytes()) != "Red: #F00\r\nBlue: #0000FF\r\n" {
		t.Errorf("CRLF append = %q, %v", crlf.Bytes(), err)
	}
}

func TestWithUnchangedEntryKeepsBytes(t *testing.T) {
	m := editMap(t)
	e, _ := m.Lookup("Navy Blue")
	m2, err := m.With(e)
	if err != nil {
		t.Fatal(err)
	}
	if string(m2.Bytes()) != editSrc {
		t.Errorf("re-adding an unchanged entry changed the text:\n%s", m2.Bytes())
	}
}

func TestWithErrors(t *testing.T) {
	m := editMap(t)
	white := []color.NRGBA{{255, 255, 255, 255}}
	tests := []struct {
		e    Entry
		want string
	}{
		{Entry{Name: "", Shades: white}, "colormap: empty name"},
		{Entry{Name: "A:B", Shades: white}, `colormap: name "A:B" contains ':'`},
		{Entry{Name: "A\nB", Shades: white}, `colormap: name "A\nB" contains a control character`},
		{Entry{Name: "Teal"}, `colormap: no shades for "Teal"`},
		{Entry{Name: "Teal", Kind: Multi, Shades: white}, `colormap: "Teal" is multi and cannot have shades`},
		{Entry{Name: "Teal", Kind: Kind(5), Shades: white}, `colormap: unknown kind Kind(5) for "Teal"`},
		{Entry{Name: "Teal", Shades: white, Aliases: []string{"ok", ""}}, `colormap: empty alias for "Teal"`},
		{Entry{Name: "Teal", Shades: white, Aliases: []string{"a,b"}}, `colormap: alias "a,b" contains ',' for "Teal"`},
		{Entry{Name: "Navy", Shades: white}, `colormap: name "Navy" is already an alias of "Navy Blue"`},
		{Entry{Name: "Teal", Shades: white, Aliases: []string{"red"}}, `colormap: duplicate alias "red": already used by "Red"`},
		{Entry{Name: "Teal", Shades: white, Aliases: []string{"Dark Navy", "navy"}}, `colormap: duplicate alias "navy": already used by "Navy Blue"`},
		{Entry{Name: "Teal", Shades: white, Aliases: []string{strings.Repeat("x", MaxLineBytes)}}, `colormap: entry "Teal" is too long for one line (4117 bytes, max 4096)`},
	}
	for _, tt := range tests {
		_, err := m.With(tt.e)
		var errs Errors
		if !errors.As(err, &errs) {
			t.Errorf("With(%+v) error %v is not Errors", tt.e, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("With(%q) error:\n got %q\nwant %q", tt.e.Name, err.Error(), tt.want)
		}
	}
	if string(m.Bytes()) != editSrc {
		t.Errorf("failed With changed the receiver")
	}
}

func TestWithout(t *testing.T) {
	m := editMap(t)
	m2, err := m.Without("RED")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(editSrc, "Red:#F00\n", "", 1)
	if got := string(m2.Bytes()); got != want {
		t.Errorf("after Without:\n%s\nwant\n%s", got, want)
	}
	if _, ok := m2.Lookup("Red"); ok {
		t.Errorf("Red still there")
	}
	if _, ok := m.Lookup("Red"); !ok {
		t.Errorf("receiver changed")
	}
	if _, err := m.Without("Purple"); !errors.Is(err, ErrUnknownName) || err.Error() != `colormap: unknown colour name "Purple"` {
		t.Errorf("Without(absent) = %v", err)
	}
	if _, err := m.Without("navy"); !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), `alias of "Navy Blue"`) {
		t.Errorf("Without(alias) = %v", err)
	}
	// Deleting the last line keeps the rest byte for byte.
	m3, err := m.Without("Blue")
	if err != nil || string(m3.Bytes()) != strings.TrimSuffix(editSrc, "Blue: #0047AB") {
		t.Errorf("Without(last) = %q, %v", m3.Bytes(), err)
	}
	// Add then delete gives the original text back, apart from the newline
	// With had to add to the old last line.
	m4, _ := m.With(Entry{Name: "Teal", Shades: []color.NRGBA{{0, 128, 128, 255}}})
	m4, err = m4.Without("teal")
	if err != nil || string(m4.Bytes()) != editSrc+"\n" {
		t.Errorf("With+Without = %q, %v", m4.Bytes(), err)
	}
}

func TestWithKeepsByteOrderMark(t *testing.T) {
	m, err := Parse(strings.NewReader("\uFEFFRed: #F00 # first\nBlue: #00F\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	m, err = m.With(Entry{Name: "Red", Shades: []color.NRGBA{{200, 0, 0, 255}}})
	if err != nil || string(m.Bytes()) != "\uFEFFRed: #C80000  # first\nBlue: #00F\n" {
		t.Errorf("With on a BOM file = %q, %v", m.Bytes(), err)
	}
}

func TestNilAndEmptyMap(t *testing.T) {
	var m *Map
	if m.Len() != 0 || m.Entries() != nil || m.Bytes() != nil {
		t.Errorf("nil map not empty")
	}
	if _, ok := m.Lookup("x"); ok {
		t.Errorf("nil map Lookup found something")
	}
	if _, err := m.Without("x"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("nil Without: %v", err)
	}
	m2, err := m.With(Entry{Name: "Red", Shades: []color.NRGBA{{255, 0, 0, 255}}})
	if err != nil || string(m2.Bytes()) != "Red: #FF0000\n" {
		t.Errorf("nil With = %q, %v", m2.Bytes(), err)
	}
	withVocabulary(t, nil) // an empty map with no vocabulary behind it
	var zero Map
	if _, err := zero.Resolve("Red"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("zero map Resolve: %v", err)
	}
	if m3, err := zero.With(Entry{Name: "Red", Kind: Multi}); err != nil || m3.Len() != 1 {
		t.Errorf("zero With = %v, %v", m3, err)
	}
}
