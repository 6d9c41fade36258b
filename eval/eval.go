// Package eval scores the pipeline on a labelled set of photos: for every
// labelled colour with a reference shade, the ΔE2000 between the chosen shade
// and the reference; the hit rate at ΔE2000 ≤ HitDeltaE and the median.
//
// The labels file is a CSV with a header naming at least the columns file,
// colours and ref_hex; colours and ref_hex hold one entry per colour,
// separated by "|"; an empty ref_hex entry (e.g. for "Multi") is not scored.
package eval

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lucasb-eyer/go-colorful"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/match"
)

// HitDeltaE is the ΔE2000 at or below which a pick counts as a hit.
const HitDeltaE = 10.0

// Row is one labelled photo.
type Row struct {
	File   string   // path relative to the labels file's folder
	Colors []string // catalog colour names, in order
	Refs   []string // reference hex per colour; "" when not labelled
	Line   int
}

// ReadLabels parses a labels CSV.
func ReadLabels(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("eval: reading header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "colors" {
			h = "colours"
		}
		col[h] = i
	}
	for _, need := range []string{"file", "colours", "ref_hex"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("eval: labels header has no %q column", need)
		}
	}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := Row{File: get("file"), Colors: split(get("colours")), Refs: split(get("ref_hex")), Line: line}
		if len(row.Refs) > len(row.Colors) {
			return nil, fmt.Errorf("eval: line %d: %d reference shades for %d colours", line, len(row.Refs), len(row.Colors))
		}
		for len(row.Refs) < len(row.Colors) {
			row.Refs = append(row.Refs, "")
		}
		rows = append(rows, row)
	}
}

// split splits a "|" list, keeping positions (an empty entry stays empty).
func split(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := strings.Split(s, "|")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// Score is the outcome for one labelled colour.
type Score struct {
	File       string  `json:"file"`
	Name       string  `json:"name"`
	Ref        string  `json:"ref_hex"`
	Got        string  `json:"hex"`
	DeltaE     float64 `json:"delta_e"`
	Hit        bool    `json:"hit"`
	Background bool    `json:"background"` // the pick is a background colour
	// BadBackground is a pick on the background where the reference is
	// not background-like (ΔE2000 > HitDeltaE from the background pick).
	BadBackground bool   `json:"bad_background"`
	Error         string `json:"error,omitempty"`
}

// Report sums up a run.
type Report struct {
	Scores        []Score `json:"scores"`
	Scored        int     `json:"scored"`
	Hits          int     `json:"hits"`
	HitRate       float64 `json:"hit_rate"`
	MedianDeltaE  float64 `json:"median_delta_e"`
	MeanDeltaE    float64 `json:"mean_delta_e"`
	BadBackground int     `json:"bad_background"`
	Failed        int     `json:"failed"` // photos that gave an error
	// Trust measures the confidence: see Trial.
	Trust Trust `json:"trust"`
}

// Run scores every row, reading photos relative to dir.
func Run(ctx context.Context, rows []Row, dir string, opts *palette.Options) (*Report, error) {
	rep := &Report{}
	var des []float64
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := process(ctx, dir, row, opts)
		if err != nil {
			rep.Failed++
		}
		for i, name := range row.Colors {
			if row.Refs[i] == "" {
				continue
			}
			s := Score{File: row.File, Name: name, Ref: row.Refs[i]}
			ref, perr := colorful.Hex(row.Refs[i])
			switch {
			case perr != nil:
				return nil, fmt.Errorf("eval: line %d: bad ref_hex %q", row.Line, row.Refs[i])
			case err != nil:
				s.Error = err.Error()
				s.DeltaE = 100
			default:
				p, ok := pickFor(res, i)
				if !ok {
					return nil, fmt.Errorf("eval: line %d: no pick for colour %d (%q)", row.Line, i+1, name)
				}
				s.Got = p.Hex
				s.DeltaE = round2(match.CIEDE2000(match.ToLab(ref), match.ToLab(p.Color)))
				s.Background = res.Candidates[p.Candidate].Background
				s.BadBackground = s.Background && s.DeltaE > HitDeltaE
				rep.Trust.Trials = append(rep.Trust.Trials, Trial{File: row.File, Name: name, Kind: "label",
					Right: s.DeltaE <= HitDeltaE, Hex: p.Hex, DeltaE: p.DeltaE, Share: p.Share, Confidence: p.Confidence, Flagged: p.LowConfidence, Reasons: p.ReviewReasons})
			}
			s.Hit = s.DeltaE <= HitDeltaE
			if s.Hit {
				rep.Hits++
			}
			if s.BadBackground {
				rep.BadBackground++
			}
			rep.Scored++
			des = append(des, s.DeltaE)
			rep.Scores = append(rep.Scores, s)
		}
		if err == nil {
			ts, err := trials(ctx, dir, row, res, opts)
			if err != nil {
				return nil, fmt.Errorf("eval: %s: %w", row.File, err)
			}
			rep.Trust.Trials = append(rep.Trust.Trials, ts...)
		}
	}
	rep.Trust.sum()
	if rep.Scored > 0 {
		rep.HitRate = round2(100 * float64(rep.Hits) / float64(rep.Scored))
		slices.Sort(des)
		m := len(des) / 2
		rep.MedianDeltaE = des[m]
		if len(des)%2 == 0 {
			rep.MedianDeltaE = round2((des[m-1] + des[m]) / 2)
		}
		sum := 0.0
		for _, d := range des {
			sum += d
		}
		rep.MeanDeltaE = round2(sum / float64(len(des)))
	}
	return rep, nil
}

// process runs the pipeline on a labelled photo, found beside the labels
// file or, as in the layout of the shared eval set, in its images/ folder.
func process(ctx context.Context, dir string, row Row, opts *palette.Options) (*palette.Result, error) {
	f, err := os.Open(filepath.Join(dir, row.File))
	if errors.Is(err, os.ErrNotExist) {
		if f2, err2 := os.Open(filepath.Join(dir, "images", row.File)); err2 == nil {
			f, err = f2, nil
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return palette.ProcessReader(ctx, f, row.Colors, opts)
}

// pickFor finds the (first) pick of the i-th name.
func pickFor(res *palette.Result, i int) (palette.Pick, bool) {
	for _, p := range res.Picks {
		if p.Index == i {
			return p, true
		}
	}
	return palette.Pick{}, false
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// WriteText writes a human-readable report: one line per scored colour,
// then the summary.
func (r *Report) WriteText(w io.Writer) error {
	for _, s := range r.Scores {
		mark := "ok  "
		if !s.Hit {
			mark = "MISS"
		}
		extra := ""
		if s.Background {
			extra = " (background)"
		}
		if s.Error != "" {
			extra = " error: " + s.Error
		}
		if _, err := fmt.Fprintf(w, "%s %-20s %-16s ref %s got %s ΔE %6.2f%s\n",
			mark, s.File, s.Name, s.Ref, s.Got, s.DeltaE, extra); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	if err := r.Trust.writeText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "scored %d colours: hit rate %.1f%% at ΔE2000 ≤ %g, median ΔE2000 %.2f, mean %.2f; background picks where the reference is not background: %d; failed photos: %d\n",
		r.Scored, r.HitRate, HitDeltaE, r.MedianDeltaE, r.MeanDeltaE, r.BadBackground, r.Failed)
	return err
}
