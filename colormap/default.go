package colormap

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed default.txt
var defaultText string

var defaultMap = sync.OnceValue(func() *Map {
	m, err := Parse(strings.NewReader(defaultText), "default.txt")
	if err != nil {
		return &Map{} // unreachable: TestDefaultParses guarantees it parses
	}
	return m
})

// Default returns the embedded default colour map (default.txt in this
// package), parsed once. It covers the 148 CSS colour names, the catalog
// vocabulary (Navy Blue, Grey Melange, Skin, Multi, ...) and common catalog
// names CSS lacks. Where catalogs use a CSS word differently, the catalog
// meaning wins: "Dark Grey" is darker than "Grey", "Khaki" is a greyish tan
// and "Lavender" a light purple. The returned map is shared by all callers;
// like every Map it never changes ([Map.With] returns a new one).
func Default() *Map {
	return defaultMap()
}
