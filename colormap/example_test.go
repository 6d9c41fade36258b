package colormap_test

import (
	"fmt"
	"image/color"
	"os"
	"strings"

	"github.com/palette-dev/palette/colormap"
)

func Example() {
	m, err := colormap.Parse(strings.NewReader(`# ops colour map
Navy Blue: #1F2A44 #000080  also: Navy   # dark blues
Khaki: #C3B091
Green: #008000
Multi: multi  also: Multicolour, Assorted
`), "colors.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"navy", "Greenish Khaki", "Iron Grey Heather", "Navy Storm", "Periwinkle", "Assorted", "Blorptastic"} {
		r, err := m.Resolve(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s -> %s (%v, %v, %d shades)\n", name, r.Name, r.Via, r.Kind, len(r.Shades))
	}

	// Editing returns a new map; other lines stay as they were.
	m, err = m.With(colormap.Entry{Name: "Mustard", Shades: []color.NRGBA{{0xE1, 0xAD, 0x01, 255}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ = m.Without("Green")
	m.WriteTo(os.Stdout)

	_, err = colormap.Parse(strings.NewReader("Red: #FF0000\nNavy Blue: #12345G\n"), "colors.txt")
	fmt.Println(err)
	// Output:
	// navy -> Navy Blue (alias, shades, 2 shades)
	// Greenish Khaki -> Greenish Khaki (modifier, shades, 1 shades)
	// Iron Grey Heather -> Heather Iron Grey (vocabulary, shades, 1 shades)
	// Navy Storm -> Navy Blue (head, shades, 2 shades)
	// Periwinkle -> Periwinkle (vocabulary, shades, 1 shades)
	// Assorted -> Multi (alias, multi, 0 shades)
	// colormap: unknown colour name "Blorptastic"
	// # ops colour map
	// Navy Blue: #1F2A44 #000080  also: Navy   # dark blues
	// Khaki: #C3B091
	// Multi: multi  also: Multicolour, Assorted
	// Mustard: #E1AD01
	// colors.txt:2: bad shade "#12345G" for "Navy Blue"
}

func ExampleDefault() {
	m := colormap.Default()
	for _, name := range []string{"Navy Blue", "Light Navy", "Grey Melange", "Multicolour"} {
		r, err := m.Resolve(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-12s -> %-15s %v\n", name, r.Name, r.Via)
	}
	// Output:
	// Navy Blue    -> Navy Blue       exact
	// Light Navy   -> Light Navy Blue modifier
	// Grey Melange -> Grey Melange    exact
	// Multicolour  -> Multi           alias
}
