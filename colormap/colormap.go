package colormap

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"
)

// ErrUnknownName is wrapped by the errors of [Map.Resolve] and
// [Map.Without] when a name is not in the map and cannot be composed.
var ErrUnknownName = errors.New("colormap: unknown colour name")

// Kind says what an entry stands for.
type Kind int

const (
	// Shades is an ordinary entry with one or more prototype shades.
	Shades Kind = iota
	// Multi stands for "the product's main distinct colours" (not the
	// background); it has no shades. Written "multi" in the file.
	Multi
)

// String returns "shades" or "multi" (the file token), or "Kind(N)".
func (k Kind) String() string {
	switch k {
	case Shades:
		return "shades"
	case Multi:
		return "multi"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Entry is one line of a colour map.
type Entry struct {
	// Name is the display name as written in the file, e.g. "Navy Blue",
	// without surrounding white space.
	Name string
	// Aliases are the other names of the entry, as written.
	Aliases []string
	// Shades are the prototype shades, opaque (A is 255); at least one when
	// Kind is Shades, none when Kind is Multi.
	Shades []color.NRGBA
	// Kind is Shades for an ordinary entry.
	Kind Kind
	// Line is the 1-based line the entry was parsed from, or 0 for an entry
	// added or replaced by [Map.With]. It is not renumbered when lines
	// before it are added or removed; parse [Map.Bytes] to renumber.
	Line int
}

// clone returns a deep copy of e.
func (e Entry) clone() Entry {
	e.Aliases = slices.Clone(e.Aliases)
	e.Shades = slices.Clone(e.Shades)
	return e
}

// Map is a parsed colour map: entries in file order plus the text they came
// from. The zero value and a nil *Map are empty maps. A Map is never changed
// after it is made ([Map.With] and [Map.Without] return new maps), so it is
// safe for concurrent use.
type Map struct {
	lines   []srcLine
	entries []*Entry         // in file order; each also referenced by one line
	index   map[string]entry // key(name or alias) → entry
	nl      string           // line ending for new lines
}

// srcLine is one line of the source text.
type srcLine struct {
	text  string   // exactly as read, line ending included
	entry *Entry   // nil for comments and blank lines; never modified
	keys  []string // keys of the entry's name and aliases, in that order
}

// entryLine makes the line for an entry, computing its keys.
func entryLine(text string, e *Entry) srcLine {
	keys := make([]string, 0, 1+len(e.Aliases))
	keys = append(keys, key(e.Name))
	for _, a := range e.Aliases {
		keys = append(keys, key(a))
	}
	return srcLine{text: text, entry: e, keys: keys}
}

// entry is an index slot.
type entry struct {
	e     *Entry
	alias bool // the key came from an alias, not the name
}

// build makes a Map from its lines, indexing names and aliases. The lines
// must already be free of duplicates between entries.
func build(lines []srcLine) *Map {
	nkeys := 0
	for _, l := range lines {
		nkeys += len(l.keys)
	}
	m := &Map{lines: lines, index: make(map[string]entry, nkeys), nl: "\n"}
	for _, l := range lines {
		if strings.HasSuffix(l.text, "\n") {
			if strings.HasSuffix(l.text, "\r\n") {
				m.nl = "\r\n"
			}
			break
		}
	}
	for _, l := range lines {
		if l.entry == nil {
			continue
		}
		m.entries = append(m.entries, l.entry)
		for i, k := range l.keys {
			if m.index[k].e == nil {
				m.index[k] = entry{e: l.entry, alias: i > 0}
			}
		}
	}
	return m
}

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// Entries returns deep copies of all entries in file order.
func (m *Map) Entries() []Entry {
	if m == nil {
		return nil
	}
	out := make([]Entry, len(m.entries))
	for i, e := range m.entries {
		out[i] = e.clone()
	}
	return out
}

// Lookup returns a copy of the entry whose name or alias equals name after
// [Normalize], spaces ignored. It does not compose modifiers; see
// [Map.Resolve].
func (m *Map) Lookup(name string) (Entry, bool) {
	s, ok := m.find(name)
	if !ok {
		return Entry{}, false
	}
	return s.e.clone(), true
}

func (m *Map) find(name string) (entry, bool) {
	if m == nil {
		return entry{}, false
	}
	s, ok := m.index[key(name)]
	return s, ok
}

// WriteTo writes the map's text to w: the parsed text byte for byte, with
// only the lines changed by [Map.With] and [Map.Without] differing.
func (m *Map) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(m.Bytes())
	return int64(n), err
}

// Bytes returns the map's text, as written by [Map.WriteTo].
func (m *Map) Bytes() []byte {
	if m == nil {
		return nil
	}
	var b bytes.Buffer
	for _, l := range m.lines {
		b.WriteString(l.text)
	}
	return b.Bytes()
}

// With returns a new map with e added or replaced; m is not changed. An
// entry whose name equals e.Name (after [Normalize], spaces ignored) is
// replaced in place and keeps its trailing comment; otherwise e is appended
// at the end. Name and aliases are trimmed, shades are made opaque, and
// e.Line is ignored (the stored entry has Line 0). If e is invalid (empty or
// malformed names, no shades for Shades, shades for Multi, an unknown Kind,
// a name or alias used by another entry, a line over [MaxLineBytes], more
// than [MaxEntries] entries) the error is an [Errors] listing every problem
// with Line 0.
func (m *Map) With(e Entry) (*Map, error) {
	if m == nil {
		m = &Map{}
	}
	e = e.clone()
	e.Line = 0
	e.Name = strings.TrimSpace(e.Name)
	for i, a := range e.Aliases {
		e.Aliases[i] = strings.TrimSpace(a)
	}
	for i := range e.Shades {
		e.Shades[i].A = 255
	}

	var errs Errors
	fail := func(format string, args ...any) {
		errs = append(errs, &LineError{Msg: fmt.Sprintf(format, args...)})
	}
	if msg := checkName("name", e.Name); msg != "" {
		fail("%s", msg)
	}
	for _, a := range e.Aliases {
		if msg := checkName("alias", a); msg != "" {
			fail("%s for %q", msg, e.Name)
		}
	}
	switch e.Kind {
	case Shades:
		if len(e.Shades) == 0 {
			fail("no shades for %q", e.Name)
		}
	case Multi:
		if len(e.Shades) != 0 {
			fail("%q is multi and cannot have shades", e.Name)
		}
	default:
		fail("unknown kind %v for %q", e.Kind, e.Name)
	}
	if len(errs) > 0 {
		return nil, errs
	}

	// Find the entry to replace: one whose name (not alias) matches.
	pos := -1
	if s, ok := m.find(e.Name); ok {
		if s.alias {
			fail("name %q is already an alias of %q", e.Name, s.e.Name)
			return nil, errs
		}
		for i, l := range m.lines {
			if l.entry == s.e {
				pos = i
				break
			}
		}
	}
	var old *Entry
	if pos >= 0 {
		old = m.lines[pos].entry
	}
	for _, a := range e.Aliases {
		if s, ok := m.find(a); ok && s.e != old {
			fail("duplicate alias %q: already used by %q", a, s.e.Name)
		}
	}
	if pos < 0 && len(m.entries) >= MaxEntries {
		fail("too many entries (max %d)", MaxEntries)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if old != nil && sameEntry(*old, e) {
		return m, nil // nothing changes: keep the line byte for byte
	}

	comment := ""
	if pos >= 0 {
		_, comment = splitComment(trimEOL(m.lines[pos].text))
	}
	text := formatEntry(e, comment)
	if len(text) > MaxLineBytes {
		fail("entry %q is too long for one line (%d bytes, max %d)", e.Name, len(text), MaxLineBytes)
		return nil, errs
	}
	// The written line must read back as the same entry.
	if got, msgs := parseLine(text); len(msgs) > 0 || got == nil || !sameEntry(*got, e) {
		fail("entry %q cannot be written as one line", e.Name)
		return nil, errs
	}

	lines := slices.Clone(m.lines)
	stored := &e
	if pos >= 0 {
		if pos == 0 && strings.HasPrefix(m.lines[0].text, "\uFEFF") {
			text = "\uFEFF" + text // keep the file's byte-order mark
		}
		lines[pos] = entryLine(text+lineEnding(m.lines[pos].text), stored)
	} else {
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1].text, "\n") {
			lines[n-1].text += m.newline()
		}
		lines = append(lines, entryLine(text+m.newline(), stored))
	}
	return build(lines), nil
}

// Without returns a new map without the entry named name (after
// [Normalize], spaces ignored); m is not changed. The entry's line is
// removed, all other lines are kept. Deleting by an alias is refused: the
// error, like the one for an absent name, wraps [ErrUnknownName].
func (m *Map) Without(name string) (*Map, error) {
	s, ok := m.find(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownName, name)
	}
	if s.alias {
		return nil, fmt.Errorf("%w %q: it is an alias of %q; remove the alias or delete %q", ErrUnknownName, name, s.e.Name, s.e.Name)
	}
	lines := make([]srcLine, 0, len(m.lines)-1)
	for _, l := range m.lines {
		if l.entry != s.e {
			lines = append(lines, l)
		}
	}
	return build(lines), nil
}

// newline is the line ending for appended lines: the first line ending of
// the text, or "\n".
func (m *Map) newline() string {
	if m.nl == "" {
		return "\n"
	}
	return m.nl
}

// lineEnding returns the line ending of text: "\r\n", "\n", or "" for the
// last line of a file without a final newline.
func lineEnding(text string) string {
	switch {
	case strings.HasSuffix(text, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(text, "\n"):
		return "\n"
	}
	return ""
}

// formatEntry writes e in the canonical form, with an optional trailing
// comment (which starts with '#').
func formatEntry(e Entry, comment string) string {
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteString(":")
	if e.Kind == Multi {
		b.WriteString(" multi")
	}
	for _, c := range e.Shades {
		fmt.Fprintf(&b, " #%02X%02X%02X", c.R, c.G, c.B)
	}
	if len(e.Aliases) > 0 {
		b.WriteString("  also: ")
		b.WriteString(strings.Join(e.Aliases, ", "))
	}
	if comment != "" {
		b.WriteString("  ")
		b.WriteString(comment)
	}
	return b.String()
}

// sameEntry reports whether a and b have the same content (Line ignored).
func sameEntry(a, b Entry) bool {
	return a.Name == b.Name && a.Kind == b.Kind &&
		slices.Equal(a.Aliases, b.Aliases) && slices.Equal(a.Shades, b.Shades)
}
