package catalog

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any body, at any path, gives either names within the limits
// or an error of one of the package's kinds; never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ body, path string }{
		{`["Navy Blue","Grey"]`, ""},
		{`{"colors":["Red"]}`, "colors"},
		{`{"attributes":{"color":[" Olive ",""]}}`, "attributes.color"},
		{`{"data":[{"colors":["Pink"]}]}`, "data.0.colors"},
		{`{"colors":null}`, "colors"},
		{`{"colors":[1,true,{}]}`, "colors"},
		{`[[[[`, ""},
	} {
		f.Add([]byte(s.body), s.path)
	}
	f.Fuzz(func(t *testing.T, body []byte, p string) {
		path, err := parsePath(p)
		if err != nil {
			return
		}
		names, err := parse(body, path)
		if err != nil {
			var pe *parseError
			if !errors.As(err, &pe) || (pe.kind != ErrUnavailable && pe.kind != ErrNoColors && pe.kind != ErrBadColors) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if len(names) == 0 || len(names) > MaxColors {
			t.Fatalf("%d names", len(names))
		}
		for _, n := range names {
			if n == "" || len(n) > MaxColorBytes || strings.TrimSpace(n) != n {
				t.Fatalf("name %q", n)
			}
		}
	})
}
