package match_test

import (
	"fmt"
	"image/color"

	"github.com/palette-dev/palette/match"
)

func Example() {
	grey := match.ToLab(color.NRGBA{128, 128, 128, 255})
	names := []match.Name{{Name: "Grey", Shades: []match.Lab{grey}}}
	cands := []match.Candidate{
		{Lab: match.ToLab(color.NRGBA{120, 122, 125, 255}), Share: 0.7},
		{Lab: match.ToLab(color.NRGBA{129, 128, 128, 255}), Share: 0.01}, // a speck
		{Lab: match.ToLab(color.White), Share: 0.6, Background: true},
	}
	p := (&match.Matcher{}).Match(names, cands)[0]
	fmt.Printf("%s → candidate %d, ΔE2000 %.1f\n", p.Name, p.Candidate, p.DeltaE)
	// Output:
	// Grey → candidate 0, ΔE2000 3.0
}
