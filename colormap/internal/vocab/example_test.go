package vocab_test

import (
	"fmt"

	"github.com/palette-dev/palette/colormap/internal/vocab"
)

func ExampleLookup() {
	// The key is the normalised name without spaces: "Periwinkle" -> "periwinkle".
	e, ok := vocab.Lookup("periwinkle")
	if !ok {
		return
	}
	c := e.Shades[0]
	fmt.Printf("%s #%02X%02X%02X from %s\n", e.Name, c.R, c.G, c.B, e.Sources[0])

	e, _ = vocab.Lookup("navyblue")
	for i, c := range e.Shades {
		fmt.Printf("%s #%02X%02X%02X from %s\n", e.Name, c.R, c.G, c.B, e.Sources[i])
	}
	// Output:
	// Periwinkle #8E82FE from xkcd
	// Navy Blue #001146 from xkcd
	// Navy Blue #000080 from color-name-list
}
