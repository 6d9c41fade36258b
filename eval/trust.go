package eval

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/lucasb-eyer/go-colorful"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/match"
)

// How much a person can trust a pick is measured on three kinds of trial,
// each a photo and one catalog name:
//
//   - "label": a labelled colour of the set; the pick is right when it is
//     within HitDeltaE of the reference shade.
//   - "wrong": the photo again under a catalog name that none of its
//     product colours is near (no product colour of at least minShare
//     within WrongDeltaE of the name); every pick is wrong, as the name is.
//   - "accent": the photo under the name of a colour only a tiny part of it
//     (less than accentShare of the product) or the model's skin or hair
//     carries: a name at least WrongDeltaE from every labelled shade and
//     accentFar from every larger product colour; the pick is wrong for
//     the product, whatever it lands on.
//
// A trustworthy confidence ranks right picks above wrong ones (the area
// under the ROC curve, AUROC, is the chance that a random right pick has
// the higher confidence, ties counting half), and low_confidence flags the
// wrong picks and spares the right ones.
const (
	// WrongDeltaE is how far (CIEDE2000) a "wrong" or "accent" name stays
	// from the product's colours and the labelled shades.
	WrongDeltaE = 25.0
	// minShare is the product share from which a colour counts as the
	// product's for choosing a wrong name.
	minShare = 0.03
	// accentShare is the largest product share an accent colour has.
	accentShare = 0.05
	// accentDeltaE is how close an accent name's shades must be to the
	// accent colour, and accentFar how far from every product colour that
	// is not an accent.
	accentDeltaE = 12.0
	accentFar    = 20.0
)

// trialNames are the catalog names wrong and accent trials are drawn from,
// in this order: common names of the catalog vocabulary.
var trialNames = []string{
	"Red", "Green", "Blue", "Yellow", "Purple", "Orange", "Pink", "Black", "White", "Brown",
	"Grey", "Navy Blue", "Teal", "Maroon", "Olive", "Beige", "Peach", "Magenta", "Lavender",
	"Mustard", "Turquoise Blue", "Lime Green", "Gold", "Cream", "Charcoal", "Rust",
}

// Trial is one photo under one catalog name.
type Trial struct {
	File       string   `json:"file"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // "label", "wrong" or "accent"
	Right      bool     `json:"right"`
	Hex        string   `json:"hex"`
	DeltaE     float64  `json:"delta_e"` // from the name
	Share      float64  `json:"share"`
	Confidence float64  `json:"confidence"`
	Flagged    bool     `json:"low_confidence"`
	Reasons    []string `json:"review_reasons,omitempty"`
}

// Trust sums up the trials.
type Trust struct {
	Trials []Trial `json:"trials"`
	Right  int     `json:"right"`
	Wrong  int     `json:"wrong"`
	// AUROC of the confidence for right against wrong picks.
	AUROC float64 `json:"auroc"`
	// FlaggedWrong and FlaggedRight are the shares of wrong and of right
	// picks flagged low_confidence.
	FlaggedWrong float64 `json:"flagged_wrong"`
	FlaggedRight float64 `json:"flagged_right"`
}

// trials adds the wrong and accent trials of one photo, given its result
// for the labelled names.
func trials(ctx context.Context, dir string, row Row, res *palette.Result, opts *palette.Options) ([]Trial, error) {
	m := colormap.Default()
	if opts != nil && opts.Map != nil {
		m = opts.Map
	}
	var refs []match.Lab
	for _, h := range row.Refs {
		if c, err := colorful.Hex(h); err == nil {
			refs = append(refs, match.ToLab(c))
		}
	}
	var product []match.Lab
	for _, c := range res.Candidates {
		if !c.Background && c.Share >= minShare {
			product = append(product, match.ToLab(c.Color))
		}
	}
	shades := func(name string) []match.Lab {
		r, err := m.Resolve(name)
		if err != nil {
			return nil
		}
		var out []match.Lab
		for _, s := range r.Shades {
			out = append(out, match.ToLab(s))
		}
		return out
	}
	nearest := func(ps []match.Lab, to []match.Lab) float64 {
		best := 1e9
		for _, p := range ps {
			for _, t := range to {
				best = min(best, match.CIEDE2000(p, t))
			}
		}
		return best
	}
	var out []Trial
	run := func(kind, name string) error {
		r, err := process(ctx, dir, Row{File: row.File, Colors: []string{name}}, opts)
		if err != nil {
			return err
		}
		p := r.Picks[0]
		out = append(out, Trial{File: row.File, Name: name, Kind: kind, Hex: p.Hex, DeltaE: p.DeltaE, Share: p.Share,
			Confidence: p.Confidence, Flagged: p.LowConfidence, Reasons: p.ReviewReasons})
		return nil
	}
	for _, n := range trialNames {
		if ps := shades(n); len(ps) > 0 && nearest(ps, product) >= WrongDeltaE && nearest(ps, refs) >= WrongDeltaE {
			if err := run("wrong", n); err != nil {
				return nil, err
			}
			break
		}
	}
	// An accent: the smallest product colour (or a skin-like one) that a
	// trial name describes and no labelled shade is near.
	type acc struct {
		name  string
		share float64
	}
	var main []match.Lab // the product's colours that are not accents
	for _, c := range res.Candidates {
		if !c.Background && c.Region != palette.RegionPerson && c.Share >= accentShare {
			main = append(main, match.ToLab(c.Color))
		}
	}
	var accents []acc
	for _, c := range res.Candidates {
		lab := match.ToLab(c.Color)
		if c.Background || c.Share >= accentShare && c.Region != palette.RegionPerson {
			continue
		}
		for _, n := range trialNames {
			if ps := shades(n); len(ps) > 0 && nearest(ps, []match.Lab{lab}) <= accentDeltaE &&
				nearest(ps, refs) >= WrongDeltaE && nearest(ps, main) >= accentFar {
				accents = append(accents, acc{n, c.Share})
				break
			}
		}
	}
	slices.SortStableFunc(accents, func(a, b acc) int { return cmp.Compare(a.share, b.share) })
	if len(accents) > 0 {
		if err := run("accent", accents[0].name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sum computes the AUROC and flag rates of the trials.
func (t *Trust) sum() {
	var right, wrong []float64
	flaggedR, flaggedW := 0, 0
	for _, tr := range t.Trials {
		if tr.Right {
			right = append(right, tr.Confidence)
			if tr.Flagged {
				flaggedR++
			}
		} else {
			wrong = append(wrong, tr.Confidence)
			if tr.Flagged {
				flaggedW++
			}
		}
	}
	t.Right, t.Wrong = len(right), len(wrong)
	if len(right) == 0 || len(wrong) == 0 {
		return
	}
	pairs := 0.0
	for _, r := range right {
		for _, w := range wrong {
			switch {
			case r > w:
				pairs++
			case r == w:
				pairs += 0.5
			}
		}
	}
	t.AUROC = round3(pairs / float64(len(right)*len(wrong)))
	t.FlaggedWrong = round3(float64(flaggedW) / float64(len(wrong)))
	t.FlaggedRight = round3(float64(flaggedR) / float64(len(right)))
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// writeText writes the trials that went wrong for a person (a wrong pick
// not flagged, a right pick flagged) and the summary.
func (t *Trust) writeText(w io.Writer) error {
	for _, tr := range t.Trials {
		if tr.Right == tr.Flagged {
			what := "unflagged wrong"
			if tr.Right {
				what = "flagged right"
			}
			if _, err := fmt.Fprintf(w, "%-15s %-6s %-20s %-16s got %s confidence %.2f %v\n",
				what, tr.Kind, tr.File, tr.Name, tr.Hex, tr.Confidence, tr.Reasons); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintf(w, "confidence: %d right and %d wrong picks (labels, wrong names, accent names): AUROC %.3f; low_confidence flags %.1f%% of wrong picks and %.1f%% of right picks\n",
		t.Right, t.Wrong, t.AUROC, 100*t.FlaggedWrong, 100*t.FlaggedRight)
	return err
}
