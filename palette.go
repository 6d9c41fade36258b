// Package palette turns a product photo and the catalog's colour names for
// the product ("Navy Blue", "Grey|Pink") into a small square swatch whose
// colours are real shades taken from the product in the photo.
//
// The pipeline, one job:
//
//	Decode       bytes → image, with byte and pixel limits, EXIF orientation
//	             (large JPEGs: straight to 1/8 scale from DC coefficients)
//	Shrink       → analysis image within a pixel budget (area averaging)
//	quantize     → 16 colours with their pixel counts
//	background   → which of those colours are the photo's background
//	person       → which are a model's skin and hair
//	colormap     → each name's prototype shades (map, head words,
//	               open vocabulary, "Multi"; unknown names flagged)
//	match        → one candidate per name by ΔE2000, with confidence and
//	               the reasons a person should check it
//	render       → the swatch PNG
//
// Generate runs everything after Decode; Process runs it all from bytes and
// ProcessReader from a stream. All are safe for concurrent use and
// deterministic: the same input gives the same swatch bytes.
package palette

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"slices"
	"strings"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/match"
	"github.com/palette-dev/palette/quantize"
	"github.com/palette-dev/palette/render"
)

// Options configure Generate and Process. A nil *Options, and every zero
// field, means the documented default.
type Options struct {
	// Map resolves colour names; nil means colormap.Default().
	Map *colormap.Map
	// Size is the swatch's side in pixels, render.MinSize to
	// render.MaxSize; 0 means render.DefaultSize (40).
	Size int
	// Colors is the number of colours the photo is quantized to; 0 means 16.
	Colors int
	// Candidates is how many of the most frequent product colours are
	// offered to the names (background colours come on top), 1 to
	// MaxCandidates; 0 means 10, larger values are clamped.
	Candidates int
	// AnalysisPixels is the pixel budget of the analysis image; 0 means
	// DefaultAnalysisPixels. Process decodes a JPEG of DCMinPixels or more
	// at 1/8 scale unless an explicit budget asks for more pixels than
	// that gives, and reduces the 1/8-scale image only when it is more than
	// twice the budget.
	AnalysisPixels int
	// Matcher chooses the candidates; nil means the zero match.Matcher
	// (match.CIEDE2000Garment for choosing, and its defaults).
	Matcher *match.Matcher
	// Limits bound the input of Process; nil means the defaults.
	Limits *Limits
	// UnknownNames says what a name that no tier of the colour map knows
	// does: UnknownFlag (the default) gives it the product's main colour
	// not taken by another name, flagged low_confidence with Via
	// "unknown"; UnknownFail fails the job with an error wrapping
	// colormap.ErrUnknownName that lists every such name.
	UnknownNames UnknownNames
}

// UnknownNames is the policy for colour names no tier of the map knows.
type UnknownNames int

const (
	// UnknownFlag makes a swatch anyway: the unknown name takes the
	// product's main colour, and its pick is flagged.
	UnknownFlag UnknownNames = iota
	// UnknownFail fails the job (strict mode).
	UnknownFail
)

// String returns "flag" or "fail", or "UnknownNames(N)".
func (u UnknownNames) String() string {
	switch u {
	case UnknownFlag:
		return "flag"
	case UnknownFail:
		return "fail"
	}
	return fmt.Sprintf("UnknownNames(%d)", int(u))
}

// ParseUnknownNames parses "flag" or "fail" (the flag value of the
// commands).
func ParseUnknownNames(s string) (UnknownNames, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "flag", "":
		return UnknownFlag, nil
	case "fail":
		return UnknownFail, nil
	}
	return 0, fmt.Errorf("%w: unknown-names %q is neither \"flag\" nor \"fail\"", ErrOptions, s)
}

// Default option values.
const (
	DefaultColors     = 16
	DefaultCandidates = 10
	MaxCandidates     = 32
	// multiMax is the largest number of colours "Multi" yields, and
	// multiMinShare the smallest product share a colour needs to count.
	multiMax      = 4
	multiMinShare = 0.06
	// multiDistinct is the ΔE00 a further "Multi" colour must keep from the
	// ones already chosen.
	multiDistinct = 10.0
)

// ErrOptions is wrapped by the errors of Options.Validate.
var ErrOptions = errors.New("palette: invalid options")

// Validate reports the first out-of-range option; a nil *Options is
// valid. Generate and Process call it.
func (o *Options) Validate() error {
	if o == nil {
		return nil
	}
	switch {
	case o.Size != 0 && (o.Size < render.MinSize || o.Size > render.MaxSize):
		return fmt.Errorf("%w: Size %d is outside %d to %d: %w", ErrOptions, o.Size, render.MinSize, render.MaxSize, render.ErrSize)
	case o.Colors < 0 || o.Colors > quantize.MaxColors:
		return fmt.Errorf("%w: Colors %d is outside 1 to %d", ErrOptions, o.Colors, quantize.MaxColors)
	case o.Candidates < 0:
		return fmt.Errorf("%w: Candidates %d is negative", ErrOptions, o.Candidates)
	case o.AnalysisPixels < 0:
		return fmt.Errorf("%w: AnalysisPixels %d is negative", ErrOptions, o.AnalysisPixels)
	case o.Limits != nil && (o.Limits.MaxBytes < 0 || o.Limits.MaxPixels < 0):
		return fmt.Errorf("%w: negative Limits", ErrOptions)
	case o.UnknownNames != UnknownFlag && o.UnknownNames != UnknownFail:
		return fmt.Errorf("%w: UnknownNames %d is neither UnknownFlag nor UnknownFail", ErrOptions, int(o.UnknownNames))
	}
	return nil
}

func (o *Options) get() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.Map == nil {
		v.Map = colormap.Default()
	}
	if v.Size == 0 {
		v.Size = render.DefaultSize
	}
	if v.Colors <= 0 {
		v.Colors = DefaultColors
	}
	if v.Candidates <= 0 {
		v.Candidates = DefaultCandidates
	}
	v.Candidates = min(v.Candidates, MaxCandidates)
	return v
}

// Result is the outcome of one job.
type Result struct {
	// Picks has one entry per name, in the order of the names; "Multi"
	// yields one entry per chosen colour, and a name listing colours
	// ("Navy & White") one per colour, all with the name as given.
	Picks []Pick
	// Candidates are the photo's colours offered to the names: product
	// colours by share, then background colours.
	Candidates []Candidate
	// Swatch is the swatch PNG.
	Swatch []byte
	// Quantized is the analysis image in its 16 colours (for reports).
	Quantized *image.Paletted
	// Regions is the region of each pixel of Quantized, row by row (for
	// reports: explain draws the person and background over the photo).
	Regions []Region
}

// Pick is the colour chosen for one catalog name.
type Pick struct {
	Name          string      `json:"name"`
	Color         color.NRGBA `json:"-"`
	Hex           string      `json:"hex"`
	DeltaE        float64     `json:"delta_e"`
	Share         float64     `json:"share"`
	Confidence    float64     `json:"confidence"`
	LowConfidence bool        `json:"low_confidence"`
	// ReviewReasons say why LowConfidence is set: "far_from_name",
	// "tiny_share", "person_region", "background", "ambiguous",
	// "shared_colour", "unknown_name" (see match.ReasonFar and after).
	ReviewReasons []string `json:"review_reasons,omitempty"`
	// Resolved is the map entry, composed or vocabulary name the name
	// resolved to ("" for an unknown name), and Via how: "exact", "alias",
	// "modifier", "head", "vocabulary", "unknown" or "multi" (see
	// colormap.Via). Dropped are the words of the name that were left out
	// ("iron" of "Iron Grey"), Source the public list a vocabulary name
	// comes from.
	Resolved string   `json:"resolved"`
	Via      string   `json:"via"`
	Dropped  []string `json:"dropped,omitempty"`
	Source   string   `json:"source,omitempty"`
	// Part is the part of a name listing colours this pick was read from
	// ("White" of "Navy & White"); empty otherwise.
	Part string `json:"part,omitempty"`
	// Prototypes are the shades the name resolved to (none for "multi"
	// and "unknown"): what an editor would write into the colour map.
	Prototypes []color.NRGBA `json:"-"`
	// Index is the position of the name in the names given to Generate,
	// Candidate the index of the chosen candidate, and Distances the
	// standard ΔE2000 from the name to every candidate (nil for "Multi"
	// and unknown names).
	Index     int       `json:"-"`
	Candidate int       `json:"-"`
	Distances []float64 `json:"-"`
}

// Candidate is one colour of the photo.
type Candidate struct {
	Color color.NRGBA `json:"-"`
	Hex   string      `json:"hex"`
	// Share is the fraction of the product's pixels (for person and
	// background colours: of all pixels).
	Share float64 `json:"share"`
	// Region is where the colour is: RegionProduct, RegionPerson (a
	// model's skin or hair) or RegionBackground; Background is Region ==
	// RegionBackground.
	Region     Region `json:"region"`
	Background bool   `json:"background,omitempty"`
}

// Region is a part of a photo: the product, a person (a model's skin and
// hair) or the background.
type Region uint8

// The regions, written "product", "person" and "background".
const (
	RegionProduct Region = iota
	RegionPerson
	RegionBackground
)

// String returns "product", "person" or "background".
func (r Region) String() string {
	switch r {
	case RegionProduct:
		return "product"
	case RegionPerson:
		return "person"
	case RegionBackground:
		return "background"
	}
	return fmt.Sprintf("Region(%d)", int(r))
}

// MarshalText writes the region's name.
func (r Region) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a region's name.
func (r *Region) UnmarshalText(b []byte) error {
	for _, v := range []Region{RegionProduct, RegionPerson, RegionBackground} {
		if string(b) == v.String() {
			*r = v
			return nil
		}
	}
	return fmt.Errorf("palette: unknown region %q", b)
}

// Hex formats c as #rrggbb.
func Hex(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02x%02x%02x", n.R, n.G, n.B)
}

// Process makes the swatch for an encoded photo: it decodes data within
// opts.Limits (large JPEGs at 1/8 scale, see DCMinPixels) and runs the rest
// of the pipeline as Generate does. Names are resolved first, so a job
// with too many names (or, with UnknownFail, an unknown one) fails before
// any decoding.
func Process(ctx context.Context, data []byte, names []string, opts *Options) (*Result, error) {
	return processWith(ctx, names, opts, func(*Options) ([]byte, error) { return data, nil })
}

// ProcessReader is Process for a photo read from r with ReadImage. The
// options and names are checked before anything is read.
func ProcessReader(ctx context.Context, r io.Reader, names []string, opts *Options) (*Result, error) {
	return processWith(ctx, names, opts, func(o *Options) ([]byte, error) { return ReadImage(r, o.Limits) })
}

// processWith checks the options, resolves the names (once), then reads
// the photo with read and runs the pipeline on it.
func processWith(ctx context.Context, names []string, opts *Options, read func(*Options) ([]byte, error)) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.get()
	resolved, err := resolve(o.Map, names, o.UnknownNames)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := read(&o)
	if err != nil {
		return nil, err
	}
	small, err := analysisImage(data, &o)
	if err != nil {
		return nil, err
	}
	return runPipeline(ctx, small, resolved, &o)
}

// Generate makes the swatch for img and the catalog colour names. img is not
// modified. A name no tier of the map knows gets the product's main colour
// left over, flagged (Via "unknown"); with opts.UnknownNames UnknownFail
// such names are an error wrapping colormap.ErrUnknownName that lists
// them. When names is empty (or all blank) the error is ErrNoNames; more
// than MaxNames colours (names, and the parts of names that list colours)
// give ErrTooManyNames. A photo with no opaque pixel gives
// ErrNoOpaque, one beyond opts.Limits.MaxPixels ErrTooManyPx.
func Generate(ctx context.Context, img image.Image, names []string, opts *Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.get()
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > o.Limits.maxPixels() {
		return nil, fmt.Errorf("%w: %d×%d, limit %d pixels", ErrTooManyPx, b.Dx(), b.Dy(), o.Limits.maxPixels())
	}
	resolved, err := resolve(o.Map, names, o.UnknownNames)
	if err != nil {
		return nil, err
	}
	return runPipeline(ctx, Shrink(img, o.AnalysisPixels), resolved, &o)
}

// runPipeline is the pipeline from the analysis image on.
func runPipeline(ctx context.Context, small *image.NRGBA, resolved []named, o *Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := (&quantize.Quantizer{Colors: o.Colors}).Histogram(small)
	if q.Total == 0 {
		return nil, ErrNoOpaque
	}
	cands, labs, regions := candidates(q, o.Candidates)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	picks := pick(o.Matcher, resolved, cands, labs)
	colors := make([]color.Color, len(picks))
	for i, p := range picks {
		colors[i] = p.Color
	}
	png, err := render.PNG(colors, o.Size)
	if err != nil {
		return nil, err
	}
	return &Result{Picks: picks, Candidates: cands, Swatch: png, Quantized: q.Image, Regions: regions}, nil
}

// MaxNames is the most colours one job may name: names, with a name that
// lists colours ("Navy & White") counting each.
const MaxNames = 16

// named is a resolved name and its position in the names given.
type named struct {
	colormap.Resolved
	index int
}

// resolve looks every name up in the map; a name that lists several
// colours ("Navy & White") gives one named per colour. Blank names are
// skipped. With UnknownFail, every name no tier knows is reported at once.
func resolve(m *colormap.Map, names []string, policy UnknownNames) ([]named, error) {
	var rs []named
	var unknown []string
	count := 0
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			continue
		}
		if count == MaxNames {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyNames, MaxNames)
		}
		parts := m.ResolveAll(n)
		if count += len(parts); count > MaxNames {
			return nil, fmt.Errorf("%w: more than %d colours", ErrTooManyNames, MaxNames)
		}
		for _, r := range parts {
			if r.Via == colormap.Unknown && policy == UnknownFail {
				u := quoteShort(cmp.Or(r.Part, n))
				if sug := m.Suggest(cmp.Or(r.Part, n), 1); len(sug) > 0 {
					u += fmt.Sprintf(" (did you mean %q?)", sug[0])
				}
				unknown = append(unknown, u)
				continue
			}
			rs = append(rs, named{r, i})
		}
	}
	switch {
	case len(unknown) > 0:
		return nil, fmt.Errorf("%w: %s", colormap.ErrUnknownName, strings.Join(unknown, ", "))
	case len(rs) == 0:
		return nil, ErrNoNames
	}
	return rs, nil
}

// quoteShort quotes a name for an error message, cut to 40 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprintf("%q…", string(r[:40]))
	}
	return fmt.Sprintf("%q", s)
}

// candidates ranks the palette: up to n product colours by their share of
// the product, then the person colours (a model's skin and hair), then the
// background colours.
func candidates(q *quantize.Result, n int) ([]Candidate, []match.Lab, []Region) {
	labs := make([]match.Lab, len(q.Colors))
	for i, c := range q.Colors {
		labs[i] = match.ToLab(c.Color)
	}
	inBg, bgMask := background(q.Image, labs)
	fgTotal := 0
	for i, c := range q.Colors {
		if !isBackground(c.Count, inBg[i]) {
			fgTotal += c.Count - inBg[i]
		}
	}
	if float64(fgTotal) < bgMinProduct*float64(q.Total) {
		// Next to nothing is left: the "background" is the product,
		// filling the frame (a fabric close-up, a flat colour).
		clear(inBg)
		bgMask = nil
	}
	inPerson, personMask := person(q.Image, labs, bgMask)
	region := make([]Region, len(q.Colors))
	productTotal := 0
	for i, c := range q.Colors {
		fig := c.Count - inBg[i]
		switch {
		case isBackground(c.Count, inBg[i]):
			region[i] = RegionBackground
		case inPerson[i] > 0 && float64(inPerson[i]) >= personMajority*float64(fig):
			region[i] = RegionPerson
		default:
			region[i] = RegionProduct
			productTotal += fig - inPerson[i]
		}
	}
	if float64(productTotal) < bgMinProduct*float64(q.Total) {
		// Nothing but a person: then the person is the product (a
		// skin-toned bodysuit) and shares are of the figure.
		productTotal = 0
		for i, c := range q.Colors {
			if region[i] == RegionPerson {
				region[i] = RegionProduct
			}
			if region[i] == RegionProduct {
				inPerson[i] = 0
				productTotal += c.Count - inBg[i]
			}
		}
		personMask = nil
	}
	type ranked struct {
		i     int
		share float64
	}
	var fg, people, bg []ranked
	for i, c := range q.Colors {
		switch region[i] {
		case RegionBackground:
			bg = append(bg, ranked{i, float64(c.Count) / float64(q.Total)})
		case RegionPerson:
			people = append(people, ranked{i, float64(c.Count) / float64(q.Total)})
		default:
			fg = append(fg, ranked{i, float64(c.Count-inBg[i]-inPerson[i]) / float64(max(productTotal, 1))})
		}
	}
	byShare := func(a, b ranked) int { return cmp.Compare(b.share, a.share) }
	slices.SortStableFunc(fg, byShare)
	slices.SortStableFunc(people, byShare)
	if len(fg) > n {
		fg = fg[:n]
	}
	all := append(append(fg, people...), bg...)
	cands := make([]Candidate, len(all))
	clabs := make([]match.Lab, len(all))
	for k, r := range all {
		c := q.Colors[r.i].Color
		reg := region[r.i]
		cands[k] = Candidate{Color: c, Hex: Hex(c), Share: round(r.share, 4), Region: reg, Background: reg == RegionBackground}
		clabs[k] = labs[r.i]
	}
	w, h := q.Image.Rect.Dx(), q.Image.Rect.Dy()
	regions := make([]Region, w*h)
	for p := range regions {
		switch {
		case int(q.Image.Pix[(p/w)*q.Image.Stride+p%w]) >= len(q.Colors): // transparent
			regions[p] = RegionBackground
		case bgMask != nil && bgMask[p]:
			regions[p] = RegionBackground
		case personMask != nil && personMask[p]:
			regions[p] = RegionPerson
		}
	}
	return cands, clabs, regions
}

func isBackground(count, inBg int) bool {
	return float64(inBg) >= bgMajority*float64(count) && inBg > 0
}

// Trust in a name's source: the confidence of a pick is multiplied by it.
// The curated map is the authority; a name found by dropping words or in a
// public list is weaker evidence of what the catalog means.
const (
	headTrust       = 0.9
	vocabularyTrust = 0.8
)

// pick matches the resolved names to the candidates; "Multi" names take the
// product's main distinct colours, unknown names the main product colour
// left over.
func pick(m *match.Matcher, rs []named, cands []Candidate, labs []match.Lab) []Pick {
	mc := make([]match.Candidate, len(cands))
	for i, c := range cands {
		mc[i] = match.Candidate{Color: c.Color, Lab: labs[i], Share: c.Share, Background: c.Background, Person: c.Region == RegionPerson}
	}
	var names []match.Name
	for _, r := range rs {
		if r.Kind == colormap.Multi || r.Via == colormap.Unknown {
			continue
		}
		n := match.Name{Name: r.Query}
		for _, s := range r.Shades {
			l := match.ToLab(s)
			n.Shades = append(n.Shades, l)
			n.Skin = n.Skin || match.SkinLike(l)
		}
		names = append(names, n)
	}
	matched := m.Match(names, mc)
	taken := map[int]bool{}
	for _, p := range matched {
		taken[p.Candidate] = true
	}
	var multiChosen []int
	for _, r := range rs {
		if r.Kind == colormap.Multi {
			multiChosen = multi(mc)
			for _, j := range multiChosen {
				taken[j] = true
			}
			break
		}
	}

	var picks []Pick
	next := 0
	for _, r := range rs {
		switch {
		case r.Kind == colormap.Multi:
			chosen := multiChosen
			// Confidence: how much of the product the chosen colours
			// cover, full from half of it.
			covered := 0.0
			for _, j := range chosen {
				if !cands[j].Background {
					covered += cands[j].Share
				}
			}
			conf := round(min(1, 2*covered), 3)
			var reasons []string
			if covered == 0 {
				reasons = []string{match.ReasonTiny} // no product colour large enough
			}
			for _, j := range chosen {
				picks = append(picks, Pick{
					Name: r.Query, Color: cands[j].Color, Hex: cands[j].Hex,
					Share: cands[j].Share, Confidence: conf, LowConfidence: covered == 0, ReviewReasons: reasons,
					Resolved: r.Name, Via: "multi", Part: r.Part, Index: r.index, Candidate: j,
				})
			}
			continue
		case r.Via == colormap.Unknown:
			j := leftover(mc, taken)
			taken[j] = true
			picks = append(picks, Pick{
				Name: r.Query, Color: cands[j].Color, Hex: cands[j].Hex,
				Share: cands[j].Share, LowConfidence: true, ReviewReasons: []string{match.ReasonUnknownName},
				Via: r.Via.String(), Part: r.Part, Index: r.index, Candidate: j,
			})
			continue
		}
		p := matched[next]
		next++
		c := cands[p.Candidate]
		conf := p.Confidence
		switch r.Via {
		case colormap.Head:
			conf = round(conf*headTrust, 3)
		case colormap.Vocabulary:
			conf = round(conf*vocabularyTrust, 3)
		}
		picks = append(picks, Pick{
			Name: r.Query, Color: c.Color, Hex: c.Hex,
			DeltaE: round(p.DeltaE, 2), Share: c.Share,
			Confidence: conf, LowConfidence: p.LowConfidence, ReviewReasons: p.Reasons,
			Resolved: r.Name, Via: r.Via.String(), Dropped: r.Dropped, Source: r.Source, Part: r.Part,
			Prototypes: r.Shades, Index: r.index, Candidate: p.Candidate,
			Distances: p.Distances,
		})
	}
	return picks
}

// leftover chooses the colour for a name no tier knows: the product's
// largest colour that no other name took and that is distinct from those
// (as for "Multi": at least multiMinShare of the product, not skin-like,
// ΔE2000 multiDistinct from every taken colour); failing that the
// product's main colour. A photo that is all background gives its first
// candidate.
func leftover(cands []match.Candidate, taken map[int]bool) int {
	var others []int
	for k := range taken {
		others = append(others, k)
	}
	main := -1
	for j, c := range cands {
		if c.Background || c.Person {
			continue
		}
		if main < 0 {
			main = j
		}
		if !taken[j] && multiColour(c, false) && distinct(cands, c, others) {
			return j
		}
	}
	return max(main, 0)
}

// multiColour reports whether c may be one of the product's main colours:
// product, at least multiMinShare of it, and not skin-like unless skin.
func multiColour(c match.Candidate, skin bool) bool {
	return !c.Background && !c.Person && c.Share >= multiMinShare && (skin || !match.SkinLike(c.Lab))
}

// distinct reports whether c is at least multiDistinct (ΔE2000) from every
// candidate in set.
func distinct(cands []match.Candidate, c match.Candidate, set []int) bool {
	for _, k := range set {
		if match.CIEDE2000(cands[k].Lab, c.Lab) < multiDistinct {
			return false
		}
	}
	return true
}

// multi chooses the product's main distinct colours: by share, skipping
// colours close to one already chosen, at most multiMax. Skin-like colours
// (the model wearing the product) are left out unless nothing else
// qualifies.
func multi(cands []match.Candidate) []int {
	if out := multiPass(cands, false); len(out) > 0 {
		return out
	}
	return multiPass(cands, true)
}

func multiPass(cands []match.Candidate, skin bool) []int {
	var out []int
	for j, c := range cands {
		if multiColour(c, skin) && distinct(cands, c, out) {
			out = append(out, j)
		}
		if len(out) == multiMax {
			break
		}
	}
	if skin && len(out) == 0 && len(cands) > 0 {
		out = append(out, 0)
	}
	return out
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}
