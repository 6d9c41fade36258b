package match

import (
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func lab(r, g, b uint8) Lab { return LabOf(r, g, b) }

func name(n string, shades ...Lab) Name { return Name{Name: n, Shades: shades} }

var (
	black     = lab(0, 0, 0)
	grey      = lab(128, 128, 128)
	white     = lab(255, 255, 255)
	beige     = lab(214, 196, 160)
	red       = lab(200, 30, 40)
	darkGrey  = lab(84, 83, 88)
	nearBlack = lab(24, 23, 24)
)

func cand(l Lab, share float64, bg bool) Candidate {
	return Candidate{Color: l.RGB(), Lab: l, Share: share, Background: bg}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name  string
		names []Name
		cands []Candidate
		want  []int
	}{
		{"nearest", []Name{name("Red", red)}, []Candidate{cand(grey, 0.5, false), cand(red, 0.5, false)}, []int{1}},
		{"a speck on the prototype does not beat the product's main shade",
			[]Name{name("Black", black)},
			[]Candidate{cand(darkGrey, 0.6, false), cand(nearBlack, 0.02, false)}, []int{0}},
		{"background far from the name is never picked",
			[]Name{name("Beige", beige)},
			[]Candidate{cand(lab(242, 238, 228), 0.8, true), cand(lab(170, 150, 120), 0.2, false)}, []int{1}},
		{"background close to the name may be picked",
			[]Name{name("White", white)},
			[]Candidate{cand(white, 0.8, true), cand(lab(40, 40, 90), 1, false)}, []int{0}},
		{"two names get two candidates",
			[]Name{name("Grey", grey), name("Charcoal", lab(70, 70, 70))},
			[]Candidate{cand(lab(120, 120, 120), 0.5, false), cand(lab(90, 90, 90), 0.5, false)}, []int{0, 1}},
		{"a name shares a candidate rather than take a bad one",
			[]Name{name("Red", red), name("Crimson", lab(220, 20, 60))},
			[]Candidate{cand(red, 0.9, false), cand(lab(20, 120, 40), 0.1, false)}, []int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			picks := (&Matcher{}).Match(tt.names, tt.cands)
			for i, p := range picks {
				if p.Candidate != tt.want[i] {
					t.Errorf("%s picked %d, want %d (picks %+v)", p.Name, p.Candidate, tt.want[i], picks)
				}
				if p.Confidence < 0 || p.Confidence > 1 {
					t.Errorf("confidence %v out of [0,1]", p.Confidence)
				}
				if len(p.Distances) != len(tt.cands) {
					t.Errorf("%d distances for %d candidates", len(p.Distances), len(tt.cands))
				}
			}
		})
	}
}

func TestLowConfidence(t *testing.T) {
	p := (&Matcher{}).Match([]Name{name("Red", red)}, []Candidate{cand(lab(20, 40, 160), 1, false)})[0]
	if !p.LowConfidence || p.Confidence > 0.3 {
		t.Errorf("red on a blue product: %+v", p)
	}
	p = (&Matcher{}).Match([]Name{name("Red", red)}, []Candidate{cand(red, 1, false)})[0]
	if p.LowConfidence || p.Confidence < 0.9 || p.DeltaE != 0 {
		t.Errorf("exact red: %+v", p)
	}
}

// The exact assignment stays fast for many names and candidates: this would
// not finish with a plain exhaustive search (128^8 combinations).
func TestAssignManyCandidates(t *testing.T) {
	var cands []Candidate
	for i := range 128 {
		cands = append(cands, cand(lab(uint8(i*2), uint8(255-i*2), uint8(i)), 1/128.0, false))
	}
	var names []Name
	for i := range 16 {
		names = append(names, name("n", lab(uint8(i*30), 100, 100)))
	}
	picks := (&Matcher{}).Match(names, cands)
	seen := map[int]bool{}
	for _, p := range picks {
		if seen[p.Candidate] {
			t.Errorf("candidate %d picked twice though many are near", p.Candidate)
		}
		seen[p.Candidate] = true
	}
}

func TestMatchEmpty(t *testing.T) {
	if p := (&Matcher{}).Match(nil, []Candidate{cand(red, 1, false)}); p != nil {
		t.Error(p)
	}
	if p := (&Matcher{}).Match([]Name{name("Red", red)}, nil); p != nil {
		t.Error(p)
	}
	var nilMatcher *Matcher
	if p := nilMatcher.Match([]Name{name("Red", red)}, []Candidate{cand(red, 1, false)}); len(p) != 1 {
		t.Error("a nil Matcher uses the defaults")
	}
	_ = color.White
}

// assign finds the optimum of its objective: checked against exhaustive
// search on random cost matrices.
func TestAssignOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	m := &Matcher{}
	total := func(cost [][]float64, ch []int) float64 {
		s := 0.0
		for i, j := range ch {
			s += cost[i][j]
			for _, j2 := range ch[:i] {
				if j2 == j {
					s += DefaultSharePenalty
					break
				}
			}
		}
		return s
	}
	for trial := range 300 {
		n, k := 1+rng.IntN(4), 1+rng.IntN(6)
		cost := make([][]float64, n)
		for i := range cost {
			cost[i] = make([]float64, k)
			for j := range cost[i] {
				cost[i][j] = rng.Float64() * 40
			}
		}
		best := math.Inf(1)
		ch := make([]int, n)
		var rec func(i int)
		rec = func(i int) {
			if i == n {
				best = min(best, total(cost, ch))
				return
			}
			for j := range k {
				ch[i] = j
				rec(i + 1)
			}
		}
		rec(0)
		if got := total(cost, m.assign(cost)); math.Abs(got-best) > 1e-9 {
			t.Fatalf("trial %d (%d×%d): total %.4f, optimum %.4f", trial, n, k, got, best)
		}
	}
}

// Each review reason, and how it weighs on the confidence.
func TestReviewReasons(t *testing.T) {
	skin := lab(224, 172, 140)
	blue := lab(40, 80, 180)
	person := Candidate{Color: skin.RGB(), Lab: skin, Share: 0.05, Person: true}
	tests := []struct {
		name  string
		names []Name
		cands []Candidate
		want  [][]string // per name
	}{
		{"a clear pick", []Name{name("Red", red)}, []Candidate{cand(red, 0.6, false), cand(white, 0.4, true)}, [][]string{nil}},
		{"far from the name", []Name{name("Blue", blue)}, []Candidate{cand(red, 0.6, false), cand(white, 0.4, true)}, [][]string{{ReasonFar}}},
		{"a tiny share", []Name{name("Blue", blue)}, []Candidate{cand(red, 0.98, false), cand(blue, 0.02, false)}, [][]string{{ReasonTiny}}},
		{"the background", []Name{name("White", white)}, []Candidate{cand(red, 0.6, false), cand(white, 0.4, true)}, [][]string{{ReasonBackground}}},
		{"a person, for a skin name", []Name{{Name: "Peach", Shades: []Lab{skin}, Skin: true}}, []Candidate{cand(blue, 0.9, false), person}, [][]string{{ReasonPerson}}},
		{"ambiguous", []Name{name("Grey", Lab{L: 53})}, []Candidate{cand(Lab{L: 43}, 0.45, false), cand(Lab{L: 63}, 0.45, false), cand(white, 0.1, true)}, [][]string{{ReasonAmbiguous}}},
		{"shared", []Name{name("Red", red), name("Crimson", red)}, []Candidate{cand(red, 0.9, false), cand(white, 0.1, true)}, [][]string{{ReasonShared}, {ReasonShared}}},
	}
	for _, tt := range tests {
		picks := (&Matcher{}).Match(tt.names, tt.cands)
		for i, p := range picks {
			var want []string
			if tt.want != nil {
				want = tt.want[i]
			}
			if !slices.Equal(p.Reasons, want) || p.LowConfidence != (len(want) > 0) {
				t.Errorf("%s: pick %d reasons %v (low %v), want %v", tt.name, p.Candidate, p.Reasons, p.LowConfidence, want)
			}
		}
	}
	// A name that is not skin-like never takes a person's colour.
	p := (&Matcher{}).Match([]Name{name("Tan", skin)}, []Candidate{cand(blue, 0.9, false), person})
	if p[0].Candidate != 0 {
		t.Errorf("a name without Skin took the person: %+v", p[0])
	}
	// Confidence: a clear, large pick beats a tiny one and a person's.
	clear := (&Matcher{}).Match([]Name{name("Red", red)}, []Candidate{cand(red, 0.6, false), cand(white, 0.4, true)})[0]
	tiny := (&Matcher{}).Match([]Name{name("Blue", blue)}, []Candidate{cand(red, 0.98, false), cand(blue, 0.02, false)})[0]
	onSkin := (&Matcher{}).Match([]Name{{Name: "Peach", Shades: []Lab{skin}, Skin: true}}, []Candidate{cand(blue, 0.9, false), person})[0]
	if !(clear.Confidence > tiny.Confidence && clear.Confidence > onSkin.Confidence && onSkin.Confidence < 0.3) {
		t.Errorf("confidences: clear %.3f, tiny %.3f, on skin %.3f", clear.Confidence, tiny.Confidence, onSkin.Confidence)
	}
}
