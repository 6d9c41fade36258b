package match

import (
	"cmp"
	"image/color"
	"math"
	"slices"
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
}

// Name is one catalog colour name with the prototype shades it stands for.
type Name struct {
	Name   string
	Shades []Lab
}

// Pick is the candidate chosen for one name.
type Pick struct {
	Name      string
	Candidate int     // index into the candidates
	DeltaE    float64 // from the candidate to the nearest prototype shade
	// Confidence, in [0, 1], says how well the pick is supported: high when
	// the candidate is close to the name and clearly the best.
	Confidence float64
	// LowConfidence is set when DeltaE exceeds the matcher's threshold: the
	// catalog name probably does not describe the photo.
	LowConfidence bool
	// Distances is the standard CIEDE2000 from the name to every candidate.
	Distances []float64
}

// Defaults of the zero Matcher.
const (
	// DefaultLowConfidence is the ΔE00 beyond which a pick is flagged.
	DefaultLowConfidence = 20.0
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
	// nil means CIEDE2000Textile. Reported ΔE values (Pick.DeltaE, the
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
		return CIEDE2000Textile
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
	cost := m.costs(d, cands)
	choice := m.assign(cost)
	std := Distances(names, cands, CIEDE2000)
	picks := make([]Pick, len(names))
	for i, n := range names {
		j := choice[i]
		picks[i] = Pick{
			Name:          n.Name,
			Candidate:     j,
			DeltaE:        std[i][j],
			Confidence:    confidence(cost[i], j, std[i][j]),
			LowConfidence: std[i][j] > orDefault(m.lowConf(), DefaultLowConfidence),
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
func (m *Matcher) costs(d [][]float64, cands []Candidate) [][]float64 {
	var sw, slack float64 = DefaultShareWeight, DefaultBackgroundSlack
	if m != nil {
		sw = orDefault(m.ShareWeight, DefaultShareWeight)
		slack = orDefault(m.BackgroundSlack, DefaultBackgroundSlack)
	}
	plausible := orDefault(m.lowConf(), DefaultLowConfidence)
	cost := make([][]float64, len(d))
	for i := range d {
		// A candidate's share counts relative to the largest share among
		// the product colours that could be this name (within the low
		// confidence threshold), so a small accent colour named in the
		// catalog is not crushed by the product's main colour.
		top, anyTop := 0.0, 0.0
		for j, c := range cands {
			if c.Background {
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
			case c.Background && x > slack:
				x = math.Inf(1)
			case c.Background:
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
// sharing penalty. The search is exact (branch and bound over candidates in
// order of cost, bounded by the sum of the remaining rows' minima) for up to
// maxExact names, and greedy beyond.
func (m *Matcher) assign(cost [][]float64) []int {
	pen := DefaultSharePenalty
	if m != nil {
		pen = orDefault(m.SharePenalty, DefaultSharePenalty)
	}
	n := len(cost)
	best := make([]int, n)
	for i := range cost {
		best[i] = argmin(cost[i])
	}
	if n == 1 {
		return best
	}
	if n > maxExact {
		// Greedy: names in order, each avoiding candidates already taken
		// unless that costs more than the penalty.
		used := map[int]bool{}
		for i := range cost {
			j := best[i]
			if used[j] {
				alt, altCost := -1, math.Inf(1)
				for jj, c := range cost[i] {
					if !used[jj] && c < altCost {
						alt, altCost = jj, c
					}
				}
				if alt >= 0 && altCost <= cost[i][j]+pen {
					j = alt
				}
			}
			best[i] = j
			used[j] = true
		}
		return best
	}
	// rest[i] is a lower bound of the cost of rows i and after.
	rest := make([]float64, n+1)
	order := make([][]int, n)
	for i := n - 1; i >= 0; i-- {
		rest[i] = rest[i+1] + cost[i][best[i]]
		order[i] = make([]int, len(cost[i]))
		for j := range order[i] {
			order[i][j] = j
		}
		row := cost[i]
		slices.SortStableFunc(order[i], func(a, b int) int { return cmp.Compare(row[a], row[b]) })
	}
	bestTotal := math.Inf(1)
	cur := make([]int, n)
	var rec func(i int, total float64)
	rec = func(i int, total float64) {
		if i == n {
			if total < bestTotal {
				bestTotal = total
				copy(best, cur)
			}
			return
		}
		for _, j := range order[i] {
			c := cost[i][j]
			if math.IsInf(c, 1) || total+c+rest[i+1] >= bestTotal {
				break // the rest of the row costs more still
			}
			if slices.Contains(cur[:i], j) {
				c += pen
			}
			if total+c+rest[i+1] >= bestTotal {
				continue
			}
			cur[i] = j
			rec(i+1, total+c)
		}
	}
	rec(0, 0)
	return best
}

// maxExact is the largest number of names assigned by exhaustive search.
const maxExact = 8

func argmin(xs []float64) int {
	b := 0
	for i, x := range xs {
		if x < xs[b] {
			b = i
		}
	}
	return b
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
