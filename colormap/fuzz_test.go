package colormap

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(editSrc))
	f.Add([]byte(small))
	f.Add([]byte("Red: #F00\r\nBlue: #12345G also: x,,y\n"))
	f.Add([]byte("\uFEFFMulti: multi also: Multicolor, Multicolour\n# c\n\n"))
	f.Add([]byte("A: #FFF also: b\nB: #000 also: a\n"))
	f.Add([]byte("X also: #fff also: also\n"))
	f.Add([]byte(defaultText[:2000]))
	f.Add([]byte("A: #FFF\n\uFEFF: multi\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not a non-empty Errors", err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.File != "fuzz.txt" || e.Msg == "" {
					t.Fatalf("bad LineError %+v", e)
				}
			}
			return
		}
		// Parse → WriteTo is byte-identical.
		var b bytes.Buffer
		if n, err := m.WriteTo(&b); err != nil || n != int64(len(data)) || !bytes.Equal(b.Bytes(), data) {
			t.Fatalf("round trip changed the text: %q -> %q", data, b.Bytes())
		}
		m2, err := Parse(bytes.NewReader(b.Bytes()), "again")
		if err != nil || !reflect.DeepEqual(m2.Entries(), m.Entries()) {
			t.Fatalf("reparse: %v", err)
		}
		if m.Len() > 300 {
			return // the edits below are quadratic; small maps find the same bugs
		}
		// Rebuilding the map entry by entry with With writes text that parses
		// back to the same entries.
		var rebuilt *Map
		for _, e := range m.Entries() {
			if rebuilt, err = rebuilt.With(e); err != nil {
				t.Fatalf("With(%+v): %v", e, err)
			}
		}
		m3, err := Parse(bytes.NewReader(rebuilt.Bytes()), "rebuilt")
		if err != nil {
			t.Fatalf("rebuilt text does not parse: %v\n%s", err, rebuilt.Bytes())
		}
		got, want := m3.Entries(), m.Entries()
		if len(got) != len(want) {
			t.Fatalf("rebuilt %d entries, want %d", len(got), len(want))
		}
		for i := range got {
			if !sameEntry(got[i], want[i]) {
				t.Fatalf("rebuilt entry %+v, want %+v", got[i], want[i])
			}
		}
		// Every name resolves, and deleting each entry works.
		for _, e := range want {
			if _, err := m.Resolve(e.Name); err != nil {
				t.Fatalf("Resolve(%q): %v", e.Name, err)
			}
			if _, err := m.Without(e.Name); err != nil {
				t.Fatalf("Without(%q): %v", e.Name, err)
			}
		}
	})
}
