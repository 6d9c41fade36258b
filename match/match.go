package match

import (
	"image/color"
	"math"
)

// Candidate is one colour of the photo that a name may pick.
type Candidate struct {
	Color color.NRGBA
	Lab   Lab
	// Share is the candidate's fraction of the product's pixels (the
	// background left out), 0 to 1. A background candidate's share is its
	// fraction of all pixels.
	Share float64
	// Background marks a colour of the photo's background.
	Background bool
	// Person marks a colour of a person in the photo (a model's skin or
	// hair): it is picked only by a name that may mean skin (Name.Skin),
	// when no product colour is as close.
	Person bool
}

// Name is one catalog colour name with the prototype shades it stands for.
type Name struct {
	Name   string
	Shades []Lab
	// Skin says the name may mean a skin colour ("Nude", "Skin", "Peach",
	// "Tan"): one of its shades is SkinLike. Only such a name may pick a
	// Person candidate.
	Skin bool
}

// Pick is the candidate chosen for one name.
type Pick struct {
	Name      string
	Candidate int     // index into the candidates
	DeltaE    float64 // from the candidate to the nearest prototype shade
	// Confidence, in [0, 1], says how well the pick is supported: high when
	// the candidate is close to the name and clearly the best.
	Confidence float64
	// LowConfidence says a person should look at the pick; Reasons say
	// why (ReasonFar, ReasonTiny, ReasonPerson, ReasonBackground,
	// ReasonAmbiguous, ReasonShared), in that order.
	LowConfidence bool
	Reasons       []string
	// Distances is the standard CIEDE2000 from the name to every candidate.
	Distances []float64
}

// Defaults of the zero Matcher.
const (
	// DefaultLowConfidence is the ΔE00 from the name beyond which a pick
	// is flagged far_from_name. On the labelled dev photos right picks
	// stay within 16 of their catalog name but for two loosely named
	// products, and a wrong catalog name lands 17 or more from its pick.
	DefaultLowConfidence = 16.0
	// plausibleDeltaE bounds the candidates that could be a name when its
	// share weighting is computed (see costs).
	plausibleDeltaE = 20.0
	// DefaultShareWeight is the ΔE00 a candidate must give up for each
	// halving of its share relative to the product's main colour, so a
	// small shadow or stitching cluster that happens to sit on a prototype
	// does not beat the product's main colour for the same name.
	DefaultShareWeight = 4.0
	// DefaultBackgroundSlack is how close (ΔE00) a background colour must be
	// to a name to be picked at all: a white shirt on white may pick the
	// white, a beige bag on off-white must not.
	DefaultBackgroundSlack = 15.0
	// DefaultSharePenalty is the cost added when two names pick the same
	// candidate, so each name gets its own candidate when a fair one exists.
	DefaultSharePenalty = 15.0
)

// Matcher assigns candidates to names. The zero value uses the defaults
// above. A Matcher is safe for concurrent use.
type Matcher struct {
	// Metric measures how far a candidate is from a name when choosing;
	// nil means CIEDE2000Garment. Reported ΔE values (Pick.DeltaE, the
	// low-confidence flag) are always standard CIEDE2000, so they compare
	// across metrics.
	Metric          Metric
	LowConfidence   float64 // 0 means DefaultLowConfidence
	ShareWeight     float64 // 0 means DefaultShareWeight; negative means 0
	BackgroundSlack float64 // 0 means DefaultBackgroundSlack
	SharePenalty    float64 // 0 means DefaultSharePenalty
}

func (m *Matcher) metric() Metric {
	if m == nil || m.Metric == nil {
		return CIEDE2000Garment
	}
	return m.Metric
}

func orDefault(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Distances returns, for each name, the ΔE from each candidate to the
// nearest of the name's shades under metric (+Inf when the name has no
// shades).
func Distances(names []Name, cands []Candidate, metric Metric) [][]float64 {
	d := make([][]float64, len(names))
	for i, n := range names {
		d[i] = make([]float64, len(cands))
		for j, c := range cands {
			best := math.Inf(1)
			for _, s := range n.Shades {
				best = min(best, metric(s, c.Lab))
			}
			d[i][j] = best
		}
	}
	return d
}

// Match picks one candidate for each name, in the order of names. Each name
// gets a distinct candidate when a fair one exists (distinctness costs at
// most SharePenalty of ΔE). With no candidates it returns nil.
func (m *Matcher) Match(names []Name, cands []Candidate) []Pick {
	if len(names) == 0 || len(cands) == 0 {
		return nil
	}
	d := Distances(names, cands, m.metric())
	cost := m.costs(names, d, cands)
	choice := m.assign(cost)
	std := Distances(names, cands, CIEDE2000)
	users := make([]int, len(cands))
	for _, j := range choice {
		users[j]++
	}
	picks := make([]Pick, len(names))
	for i, n := range names {
		j := choice[i]
		conf, reasons := m.judge(cands, std[i], cost[i], j, users[j])
		picks[i] = Pick{
			Name:          n.Name,
			Candidate:     j,
			DeltaE:        std[i][j],
			Confidence:    conf,
			LowConfidence: len(reasons) > 0,
			Reasons:       reasons,
			Distances:     std[i],
		}
	}
	return picks
}

func (m *Matcher) lowConf() float64 {
	if m == nil {
		return 0
	}
	return m.LowConfidence
}

// costs combines distance with the candidate's weight in the product.
func (m *Matcher) costs(names []Name, d [][]float64, cands []Candidate) [][]float64 {
	var sw, slack float64 = DefaultShareWeight, DefaultBackgroundSlack
	if m != nil {
		sw = orDefault(m.ShareWeight, DefaultShareWeight)
		slack = orDefault(m.BackgroundSlack, DefaultBackgroundSlack)
	}
	plausible := plausibleDeltaE
	cost := make([][]float64, len(d))
	for i := range d {
		// A candidate's share counts relative to the largest share among
		// the product colours that could be this name (within the low
		// confidence threshold), so a small accent colour named in the
		// catalog is not crushed by the product's main colour.
		top, anyTop := 0.0, 0.0
		for j, c := range cands {
			if c.Background || c.Person {
				continue
			}
			anyTop = max(anyTop, c.Share)
			if d[i][j] <= plausible {
				top = max(top, c.Share)
			}
		}
		if top == 0 {
			top = anyTop
		}
		cost[i] = make([]float64, len(cands))
		for j, c := range cands {
			x := d[i][j]
			switch {
			case (c.Background || c.Person) && x > slack, c.Person && !names[i].Skin:
				x = math.Inf(1)
			case c.Background || c.Person:
				// allowed, but a product colour as close wins
				x += slack
			case c.Share > 0 && top > c.Share:
				x += sw * math.Log2(top/c.Share)
			}
			cost[i][j] = x
		}
	}
	return cost
}

// assign chooses a candidate per name minimising the total cost plus the
// sharing penalty: every name after the first on a candidate adds
// SharePenalty. It is solved exactly as a minimum-cost assignment of the
// names to n copies of every candidate, the first copy at the name's cost
// and the others at the cost plus the penalty (polynomial time: at most 16
// names × 16·42 columns in practice).
func (m *Matcher) assign(cost [][]float64) []int {
	pen := DefaultSharePenalty
	if m != nil {
		pen = orDefault(m.SharePenalty, DefaultSharePenalty)
	}
	n, k := len(cost), len(cost[0])
	if n == 1 {
		return []int{argmin(cost[0])}
	}
	const never = 1e9 // stands for +Inf: a background far from the name
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n*k)
		for c := range n {
			for j := range k {
				x := cost[i][j]
				if math.IsInf(x, 1) {
					x = never
				} else if c > 0 {
					x += pen
				}
				a[i][c*k+j] = x
			}
		}
	}
	cols := minCostAssignment(a)
	for i := range cols {
		cols[i] %= k
	}
	return cols
}

// minCostAssignment assigns each row of a (n rows, m ≥ n columns) a distinct
// column minimising the total, by the Hungarian method with potentials in
// O(n²·m). Ties go to the lower column.
func minCostAssignment(a [][]float64) []int {
	n, m := len(a), len(a[0])
	inf := math.Inf(1)
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1) // p[j]: the row (1-based) on column j, 0 for none
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j], used[j] = inf, false
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], inf, 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if cur := a[i0-1][j-1] - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	cols := make([]int, n)
	for j := 1; j <= m; j++ {
		if p[j] != 0 {
			cols[p[j]-1] = j - 1
		}
	}
	return cols
}

func argmin(xs []float64) int {
	b := 0
	for i, x := range xs {
		if x < xs[b] {
			b = i
		}
	}
	return b
}

// Why a person should look at a pick.
const (
	// ReasonFar: the pick is more than Matcher.LowConfidence (ΔE2000) from
	// every shade of the name: the catalog name probably does not
	// describe the product.
	ReasonFar = "far_from_name"
	// ReasonTiny: the pick covers less than TinyShare of the product: a
	// trim, a print or a shadow, rarely the colour a catalog names.
	ReasonTiny = "tiny_share"
	// ReasonPerson: the pick is a colour of the model's skin or hair.
	ReasonPerson = "person_region"
	// ReasonBackground: the pick is the photo's background.
	ReasonBackground = "background"
	// ReasonAmbiguous: another product colour, clearly different (ΔE2000
	// 10 or more) and at least as large, is as good a pick (its cost, which
	// weighs distance against share, within AmbiguousDeltaE of the
	// pick's): the name does not say which is meant.
	ReasonAmbiguous = "ambiguous"
	// ReasonShared: another name picked the same colour.
	ReasonShared = "shared_colour"
	// ReasonUnknownName: no tier of the colour map knew the name (set by
	// package palette, which gives such a name the main colour left over).
	ReasonUnknownName = "unknown_name"
)

// Thresholds of the review reasons and weights of the confidence.
const (
	// TinyShare is the product share below which a pick is tiny_share.
	TinyShare = 0.03
	// AmbiguousDeltaE is how much better (in cost) than any other clearly
	// different product colour, at least as large, a pick must be not to
	// be ambiguous: 1, about the smallest ΔE2000 a person notices, so
	// within it the two are tied.
	AmbiguousDeltaE = 1.0
	// SupportShare is the product share from which a pick has full
	// support; below it the confidence falls with the square root of the
	// share (a tenth of that share gives about a third).
	SupportShare = 0.10
	// PersonWeight, BackgroundWeight, AmbiguousWeight and SharedWeight
	// multiply the confidence of a pick on a person, on the background,
	// ambiguous, or shared with another name.
	PersonWeight     = 0.25
	BackgroundWeight = 0.5
	AmbiguousWeight  = 0.7
	SharedWeight     = 0.7
)

// judge weighs the evidence for the pick of candidate j by a name (std:
// the name's standard ΔE2000 to every candidate; cost: its costs; users:
// how many names picked j) into a confidence in [0, 1] and the reasons a
// person should look at it. The confidence is the product of
//
//   - closeness: 1/(1+(ΔE/12)²), one half at ΔE2000 12 from the name;
//   - margin: how clearly the pick beats the next candidate in cost,
//     0.5 to 1 (0.5 + 0.25·(1+tanh(gap/5)));
//   - support: √(share/SupportShare), at most 1, for a product colour;
//     PersonWeight for a person's colour, BackgroundWeight for the
//     background;
//   - AmbiguousWeight when ambiguous, SharedWeight when shared.
//
// Each factor is evidence a colour scientist would weigh: how near the
// colour is to the name, whether another colour would do as well, and how
// much of the product it is.
func (m *Matcher) judge(cands []Candidate, std, cost []float64, j, users int) (float64, []string) {
	c, de := cands[j], std[j]
	far := orDefault(m.lowConf(), DefaultLowConfidence)
	var reasons []string
	if de > far {
		reasons = append(reasons, ReasonFar)
	}
	if !c.Background && !c.Person && c.Share < TinyShare {
		reasons = append(reasons, ReasonTiny)
	}
	if c.Person {
		reasons = append(reasons, ReasonPerson)
	}
	if c.Background {
		reasons = append(reasons, ReasonBackground)
	}
	ambiguous := false
	for k, o := range cands {
		if k != j && !o.Background && !o.Person && o.Share >= max(TinyShare, c.Share) &&
			cost[k]-cost[j] <= AmbiguousDeltaE && CIEDE2000(o.Lab, c.Lab) >= 10 {
			ambiguous = true
			break
		}
	}
	if ambiguous {
		reasons = append(reasons, ReasonAmbiguous)
	}
	if users > 1 {
		reasons = append(reasons, ReasonShared)
	}
	f := 1.0
	switch {
	case c.Person:
		f = PersonWeight
	case c.Background:
		f = BackgroundWeight
	default:
		f = math.Sqrt(min(1, c.Share/SupportShare))
	}
	if ambiguous {
		f *= AmbiguousWeight
	}
	if users > 1 {
		f *= SharedWeight
	}
	return math.Round(confidence(cost, j, de)*f*1000) / 1000, reasons
}

// confidence maps a pick to [0, 1]: closeness to the name (1 at ΔE 0,
// one half at ΔE 12) times how clearly it beats the runner-up.
func confidence(cost []float64, j int, de float64) float64 {
	close := 1 / (1 + (de/12)*(de/12))
	second := math.Inf(1)
	for jj, c := range cost {
		if jj != j && c < second {
			second = c
		}
	}
	margin := 1.0
	if !math.IsInf(second, 1) {
		gap := second - cost[j]
		margin = 0.5 + 0.5*math.Tanh(max(gap, -10)/5)
		margin = 0.5 + 0.5*margin // never below 0.5 from the margin alone
	}
	return math.Round(close*margin*1000) / 1000
}
