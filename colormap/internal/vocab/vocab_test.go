package vocab

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"image/color"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/palette-dev/palette/internal/testinfra"
)

func TestTable(t *testing.T) {
	tab, err := decode(tableGz)
	if err != nil {
		t.Fatal(err)
	}
	if n := Len(); n < 30000 || n != len(tab.entries) {
		t.Fatalf("Len() = %d, decode has %d entries; want ≥ 30000 and equal", n, len(tab.entries))
	}
	if len(tab.index) != len(tab.entries) {
		t.Fatalf("%d keys for %d entries", len(tab.index), len(tab.entries))
	}
	valid := []string{"xkcd", "iscc-nbs", "color-name-list"}
	counts := map[string]int{}
	for key, i := range tab.index {
		e := tab.entry(i)
		if key == "" || strings.ContainsAny(key, " \t\n") || key != strings.ToLower(key) {
			t.Errorf("bad key %q", key)
		}
		if e.Name == "" {
			t.Errorf("%s: no name", key)
		}
		if len(e.Shades) == 0 || len(e.Shades) != len(e.Sources) {
			t.Errorf("%s: %d shades, %d sources", key, len(e.Shades), len(e.Sources))
		}
		for _, c := range e.Shades {
			if c.A != 255 {
				t.Errorf("%s: shade %v is not opaque", key, c)
			}
		}
		for j, s := range e.Sources {
			if !slices.Contains(valid, s) || slices.Index(e.Sources, s) != j {
				t.Errorf("%s: bad sources %q", key, e.Sources)
			}
			counts[s]++
		}
		// Sources come in trust order.
		if !slices.IsSortedFunc(e.Sources, func(a, b string) int { return slices.Index(valid, a) - slices.Index(valid, b) }) {
			t.Errorf("%s: sources %q not in trust order", key, e.Sources)
		}
	}
	if counts["xkcd"] < 900 || counts["iscc-nbs"] < 200 || counts["color-name-list"] < 29000 {
		t.Errorf("shades by source: %v", counts)
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		key, name, first, source string
	}{
		{"periwinkle", "Periwinkle", "8e82fe", "xkcd"},
		{"oatmeal", "Oatmeal", "c9c1b1", "color-name-list"},
		{"cognac", "Cognac", "d48c46", "color-name-list"},
		{"espresso", "Espresso", "4e312d", "color-name-list"},
		{"walnut", "Walnut", "773f1a", "color-name-list"},
		{"stone", "Stone", "ada587", "xkcd"},
		{"berry", "Berry", "990f4b", "xkcd"},
		{"irongrey", "Iron Grey", "7c7f7c", "color-name-list"},
		{"offwhite", "Off White", "ffffe4", "xkcd"},             // xkcd "off white"
		{"dustyrose", "Dusty Rose", "c0737a", "xkcd"},           // title-cased
		{"robinseggblue", "Robin's Egg Blue", "98eff9", "xkcd"}, // apostrophe dropped from the key
		{"pinkishgrey", "Pinkish Grey", "c8aca9", "xkcd"},       // ISCC-NBS "Pinkish Gray" is the same key
		{"moderateyellowishpink", "Moderate Yellowish Pink", "d9a6a9", "iscc-nbs"},
		{"topaz", "Topaz", "13bbaf", "xkcd"}, // color-name-list's orange disagrees and is dropped
	} {
		e, ok := Lookup(tc.key)
		if !ok {
			t.Errorf("Lookup(%q) not found", tc.key)
			continue
		}
		if e.Name != tc.name || hex(e.Shades[0]) != tc.first || e.Sources[0] != tc.source {
			t.Errorf("Lookup(%q) = %q %s %s, want %q %s %s", tc.key, e.Name, hex(e.Shades[0]), e.Sources[0], tc.name, tc.first, tc.source)
		}
	}
	if e, _ := Lookup("topaz"); len(e.Shades) != 1 {
		t.Errorf("topaz: %d shades, want only xkcd's", len(e.Shades))
	}
	for _, key := range []string{"", "Periwinkle", "off white", "grey ", "gray", "notacolourname"} {
		if e, ok := Lookup(key); ok {
			t.Errorf("Lookup(%q) = %v, want not found (keys are normalised, without spaces)", key, e)
		}
	}
}

func TestLookupCopies(t *testing.T) {
	e, _ := Lookup("grey")
	if len(e.Shades) < 2 {
		t.Fatalf("grey: %v, want more than one shade", e)
	}
	want := slices.Clone(e.Shades)
	e.Shades[0] = color.NRGBA{1, 2, 3, 255}
	e.Sources[0] = "mutated"
	_ = append(e.Shades[:1], color.NRGBA{4, 5, 6, 255})
	again, _ := Lookup("grey")
	if !slices.Equal(again.Shades, want) || again.Sources[0] != "xkcd" {
		t.Fatalf("the table changed through a returned entry: %v", again)
	}
}

func TestConcurrentLookup(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, k := range []string{"oatmeal", "cognac", "nope"} {
				Lookup(k)
			}
		})
	}
	wg.Wait()
}

func TestDecodeErrors(t *testing.T) {
	for _, text := range []string{
		"a\tA\tzzzzzz\tx\n",
		"a\tA\t112233\tq\n",
		"a\tA\t112233 445566\tx\n",
		"a\tA\t112233\tx\na\tA\t112233\tx\n",
		"\t\t112233\tx\n",
		"\tOff-White\t112233\tx\n",
		"\tÉcru\t112233\tx\n",
		"a\tA\t112233\tx\n\tA\t112233\tx\n",
		"a\tA\t112233\n",
	} {
		if _, err := decode(gz(t, text)); err == nil {
			t.Errorf("decode(%q): no error", text)
		}
	}
	if _, err := decode([]byte("not gzip")); err == nil {
		t.Error("decode of non-gzip data: no error")
	}
	tab, err := decode(gz(t, "ab\tA B\t112233 aabbcc\txc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := tab.entry(tab.index["ab"]); len(tab.entries) != 1 || e.Name != "A B" || e.Shades[1] != (color.NRGBA{0xaa, 0xbb, 0xcc, 255}) ||
		!slices.Equal(e.Sources, []string{"xkcd", "color-name-list"}) {
		t.Fatalf("decode: %+v", e)
	}
	// A key left out is the name's plain key; a key given is used as it is.
	tab, err = decode(gz(t, "\tOff White 2\t112233\tc\nirongrey\tIron Gray\t445566\tc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.index["offwhite2"]; !ok || len(tab.index) != 2 {
		t.Fatalf("keys %v, want offwhite2 and irongrey", tab.index)
	}
}

// TestGeneratedUpToDate regenerates the data in memory from the pinned npm
// packages and compares it with the committed files.
func TestGeneratedUpToDate(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		testinfra.Missing(t, "npm is not on PATH (make npm installs it): cannot check that vocab.tsv.gz and LICENSES.md are up to date (go run ./gen -check)")
	}
	out, err := exec.Command("go", "run", "./gen", "-check").CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./gen -check: %v\n%s", err, out)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(tableGz); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	Len()
	for _, key := range []string{"periwinkle", "notacolourname"} {
		b.Run(key, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Lookup(key)
			}
		})
	}
}

func hex(c color.NRGBA) string { return fmt.Sprintf("%02x%02x%02x", c.R, c.G, c.B) }

func gz(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
