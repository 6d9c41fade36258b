package preview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/disintegration/imaging"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/internal/textdist"
	"github.com/palette-dev/palette/match"
	"github.com/palette-dev/palette/render"
)

// Response is the JSON answer of POST /v1/preview. Image, Colors,
// Candidates and Bytes are the JSON contract of palettecli -json (each
// colour also gives the index of its candidate); the rest is for the pages.
type Response struct {
	// Image is the uploaded file's name or the image reference.
	Image      string              `json:"image"`
	Colors     []Color             `json:"colors"`
	Candidates []palette.Candidate `json:"candidates"`
	// Bytes is the size of the swatch PNG.
	Bytes int `json:"bytes"`
	// Size is the swatch's side in pixels.
	Size int `json:"size"`
	// Swatch is the swatch PNG, base64.
	Swatch string `json:"swatch"`
	// Quantized is the analysis image in its quantized colours, a PNG in
	// base64.
	Quantized string `json:"quantized"`
	// Regions is what palette took as the product, a PNG in base64 of
	// Quantized's size (from palette.Result.Regions): the product in its
	// quantized colours, the person (a model's skin and hair) tinted
	// magenta, the background flat light grey.
	Regions string `json:"regions"`
	// Photo is the photo reduced to fit 480×480, a JPEG in base64; only for
	// an image given by reference (an uploader has the photo already).
	Photo string `json:"photo,omitempty"`
	// Warnings say what a person should check before trusting the swatch.
	Warnings []Warning `json:"warnings"`
	// Colormap is "live" (the map in use) or "draft" (the request's own).
	Colormap string `json:"colormap"`
}

// Color is one pick: palette.Pick's JSON plus the index of the chosen
// candidate in Response.Candidates.
type Color struct {
	palette.Pick
	Candidate int `json:"candidate"`
}

// Warning is something about a preview that a person should check.
type Warning struct {
	// Kind is one of:
	//
	//   - "modifier": a name not in the map, its shades worked out from
	//     the colour words in it ("Dusty Red");
	//   - "head": a name not in the map, read as a colour word it
	//     contains, other words left out ("Iron Grey" as "Grey");
	//   - "vocabulary": a name not in the map, its shades taken from a
	//     public colour-name list (palette.Pick.Source);
	//   - "unknown": a name nothing knows, given the product's main colour
	//     that no other name took (its pick is low_confidence, with no
	//     "low_confidence" warning of its own);
	//   - "low_confidence": one per pick flagged low_confidence for a
	//     reason no other warning gives: far from every shade of its name,
	//     a tiny share of the product, the model's skin or hair, another
	//     product colour as good, or (within a name listing colours)
	//     another part on the same colour;
	//   - "same_colour": two names picked one colour;
	//   - "background": a name picked the background.
	//
	// The first four come first, once per name given (once per colour
	// for a name that lists colours, "Navy & Blorp").
	Kind string `json:"kind"`
	// Names are the colour names concerned, as given.
	Names   []string `json:"names"`
	Message string   `json:"message"`
	// Reasons are the review reasons of the picks (palette.Pick's
	// review_reasons) that this warning explains: for "low_confidence"
	// those its message says ("far_from_name", "tiny_share",
	// "person_region", "ambiguous", "shared_colour"); "unknown_name" for
	// "unknown", "shared_colour" for "same_colour", "background" for
	// "background". Every reason of every pick is explained by one
	// warning naming it; absent for the kinds about how a name was read.
	Reasons []string `json:"reasons,omitempty"`
	// Add is the colour-map entry that would make the name known, for
	// "modifier", "head", "vocabulary" and "unknown" warnings; absent
	// for the other kinds, and for a name that lists several colours
	// ("Navy & Blorp"), where the part to add has its own name.
	Add *Addition `json:"add,omitempty"`
	// Suggestions are the names of the colour map the request used (the
	// live map or the draft) that Mistyped was probably meant to be,
	// closest first, at most MaxSuggestions (colormap.Map.Suggest): for
	// an "unknown" name, any; for a "head" or "vocabulary" read, only a
	// name that fixes a word left out by a single typing mistake and
	// keeps the others ("Navvy Blue", read as Blue, suggests "Navy Blue";
	// "Pewter", a colour of a public list, suggests nothing). The message
	// asks "Did you mean …?". Absent for the other kinds.
	Suggestions []string `json:"suggestions,omitempty"`
	// Mistyped is the text a suggestion replaces, as given: the name, or
	// in a name listing colours the part concerned ("Lavendar" of "Navy &
	// Lavendar"). Set with Suggestions.
	Mistyped string `json:"mistyped,omitempty"`
}

// MaxSuggestions is the most names a Warning suggests for a mistyped name.
const MaxSuggestions = 2

// Addition is a suggested colour-map entry: the name as the catalog has
// it, with shades to start from. The editor opens it with
// /colormap?add=NAME&shades=HEX,HEX.
type Addition struct {
	Name string `json:"name"`
	// Shades are "#rrggbb", 1 to MaxAddShades of them: the shades the
	// name was resolved to (the first MaxAddShades), or, for an
	// "unknown" name, the colour picked in the photo.
	Shades []string `json:"shades"`
}

// MaxAddShades is the most shades an Addition suggests.
const MaxAddShades = 6

// previewRequest is a parsed POST or GET /v1/preview.
type previewRequest struct {
	data     []byte // uploaded image
	ref      string // or its reference
	label    string
	names    []string
	size     int
	draft    string
	hasDraft bool
}

const (
	maxRefBytes   = 2048
	maxFieldBytes = 16 << 10
)

// postPreview handles POST /v1/preview.
func (s *Server) postPreview(w http.ResponseWriter, r *http.Request) error {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var req previewRequest
	var err error
	switch mt {
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, s.limits.MaxBytes+colormap.MaxFileBytes+1<<20)
		req, err = s.parseMultipart(r, params["boundary"])
	case "application/json":
		r.Body = http.MaxBytesReader(w, r.Body, colormap.MaxFileBytes+64<<10)
		req, err = parseJSON(r.Body)
	default:
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "bad_content_type",
			Message: "Send the photo as multipart/form-data (field \"image\"), or JSON with an image address."}
	}
	if err != nil {
		return err
	}
	png := wantsPNG(r.Header.Get("Accept"))
	res, resp, err := s.run(r.Context(), &req, !png)
	if err != nil {
		return err
	}
	if png {
		writePNG(w, r, res.Swatch, "no-store")
		return nil
	}
	WriteJSON(w, http.StatusOK, resp)
	return nil
}

// getPreview handles GET /v1/preview: the swatch of an image reference.
func (s *Server) getPreview(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := previewRequest{ref: strings.TrimSpace(q.Get("image"))}
	req.label = req.ref
	for _, c := range q["colors"] {
		req.names = append(req.names, colormap.SplitNames(c)...)
	}
	var err error
	if req.size, err = parseSize(q.Get("size")); err != nil {
		return err
	}
	if req.ref == "" {
		return &Error{Status: http.StatusBadRequest, Code: "no_image",
			Message: "Give the image address as ?image=s3://bucket/key or ?image=https://…"}
	}
	res, _, err := s.run(r.Context(), &req, false)
	if err != nil {
		return err
	}
	writePNG(w, r, res.Swatch, "no-cache")
	return nil
}

// run fetches the image if needed, then, in one of the Server's slots,
// computes the preview and, with build, its JSON answer.
func (s *Server) run(ctx context.Context, req *previewRequest, build bool) (*palette.Result, *Response, error) {
	if len(req.names) == 0 {
		return nil, nil, palette.ErrNoNames
	}
	if req.size == 0 {
		req.size = s.size
	}
	m := s.currentMap()
	if req.hasDraft {
		dm, err := colormap.Parse(strings.NewReader(req.draft), "")
		if err != nil {
			return nil, nil, err
		}
		m = dm
	}
	if req.data == nil {
		data, err := s.fetch(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		req.data = data
	}
	if err := s.acquire(ctx); err != nil {
		return nil, nil, err
	}
	defer s.release()
	// An unknown name is flagged, never an error: the page shows how each
	// name was read and offers to add it to the map.
	res, err := palette.Process(ctx, req.data, req.names, &palette.Options{
		Map: m, Size: req.size, Limits: &s.limits, UnknownNames: palette.UnknownFlag})
	if err != nil || !build {
		return res, nil, err
	}
	resp, err := s.response(req, res, m)
	return res, resp, err
}

// fetch reads the image a request refers to, once the request is known to
// be worth it. Names no tier of the map knows do not stop it: the preview
// flags them (palette.UnknownFlag) as the worker does by default.
func (s *Server) fetch(ctx context.Context, req *previewRequest) ([]byte, error) {
	switch {
	case req.ref == "":
		return nil, &Error{Status: http.StatusBadRequest, Code: "no_image",
			Message: "Choose a photo to upload, or type an image address."}
	case s.cfg.Fetch == nil:
		return nil, &Error{Status: http.StatusBadRequest, Code: "no_references",
			Message: "This server does not fetch images by address. Upload the photo instead."}
	case len(req.ref) > maxRefBytes:
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_reference",
			Message: "The image address is too long."}
	case len(req.names) > palette.MaxNames:
		return nil, fmt.Errorf("%w: more than %d", palette.ErrTooManyNames, palette.MaxNames)
	}
	return s.cfg.Fetch(ctx, req.ref, s.limits.MaxBytes)
}

// response builds the JSON answer; m is the map the request used.
func (s *Server) response(req *previewRequest, res *palette.Result, m *colormap.Map) (*Response, error) {
	resp := &Response{
		Image:      req.label,
		Candidates: res.Candidates,
		Bytes:      len(res.Swatch),
		Size:       req.size,
		Swatch:     base64.StdEncoding.EncodeToString(res.Swatch),
		Warnings:   warnings(res, m),
		Colormap:   "live",
	}
	if req.hasDraft {
		resp.Colormap = "draft"
	}
	if resp.Candidates == nil {
		resp.Candidates = []palette.Candidate{}
	}
	resp.Colors = make([]Color, len(res.Picks))
	for i, p := range res.Picks {
		resp.Colors[i] = Color{Pick: p, Candidate: p.Candidate}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers}
	if err := enc.Encode(&buf, res.Quantized); err != nil {
		return nil, fmt.Errorf("preview: encoding the quantized image: %w", err)
	}
	resp.Quantized = base64.StdEncoding.EncodeToString(buf.Bytes())
	buf.Reset()
	if err := enc.Encode(&buf, regionsImage(res.Quantized, res.Regions)); err != nil {
		return nil, fmt.Errorf("preview: encoding the regions: %w", err)
	}
	resp.Regions = base64.StdEncoding.EncodeToString(buf.Bytes())
	if req.ref != "" {
		img, _, err := palette.DecodeBytes(req.data, &s.limits)
		if err != nil {
			return nil, err
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, onWhite(imaging.Fit(img, 480, 480, imaging.Box)), &jpeg.Options{Quality: 85}); err != nil {
			return nil, fmt.Errorf("preview: encoding the photo: %w", err)
		}
		resp.Photo = base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	return resp, nil
}

// The colours of the regions image: a person's pixels are their quantized
// colour mixed with regionsPerson (magenta; regionsTint of it), the
// background is flat regionsBackground (light grey).
var (
	regionsPerson     = color.NRGBA{R: 0xe0, G: 0x1e, B: 0xd0, A: 0xff}
	regionsBackground = color.NRGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 0xff}
)

const regionsTint = 0.6

// regionsImage draws what palette took as the product: q's pixels in their
// colours where regions says product, tinted magenta on a person, light
// grey on the background and where q is transparent. regions is row-major
// over q; one of another length (a Result without regions) counts as all
// product.
func regionsImage(q *image.Paletted, regions []palette.Region) image.Image {
	b := q.Bounds()
	w, h := b.Dx(), b.Dy()
	n := len(q.Palette)
	// The palette: product colours 0..n-1, the person's n..2n-1, the
	// background 2n.
	pal := make(color.Palette, 2*n+1)
	clear := make([]bool, n)
	mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-regionsTint) + float64(b)*regionsTint + 0.5) }
	for i, c := range q.Palette {
		o := color.NRGBAModel.Convert(c).(color.NRGBA)
		clear[i] = o.A == 0
		o.A = 0xff
		pal[i] = o
		pal[n+i] = color.NRGBA{R: mix(o.R, regionsPerson.R), G: mix(o.G, regionsPerson.G), B: mix(o.B, regionsPerson.B), A: 0xff}
	}
	pal[2*n] = regionsBackground
	fits := len(regions) == w*h
	index := func(x, y int) int {
		i := int(q.Pix[y*q.Stride+x])
		r := palette.RegionProduct
		if fits {
			r = regions[y*w+x]
		}
		switch {
		case i >= n || clear[i] || r == palette.RegionBackground:
			return 2 * n
		case r == palette.RegionPerson:
			return n + i
		}
		return i
	}
	if len(pal) > 256 { // more colours than the preview's quantizer makes
		out := image.NewNRGBA(b)
		for y := range h {
			for x := range w {
				out.Set(b.Min.X+x, b.Min.Y+y, pal[index(x, y)])
			}
		}
		return out
	}
	out := image.NewPaletted(b, pal)
	for y := range h {
		for x := range w {
			out.Pix[y*out.Stride+x] = uint8(index(x, y))
		}
	}
	return out
}

// pngBuffers keeps the PNG encoders' buffers (a deflate writer is about
// 1 MB) from one image to the next.
var pngBuffers pngPool

type pngPool struct{ pool sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// onWhite composites img onto white. JPEG has no alpha: encoded as is, a
// transparent PNG's see-through parts would show black.
func onWhite(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, image.White, image.Point{}, draw.Src)
	draw.Draw(out, b, img, b.Min, draw.Over)
	return out
}

// warnings lists what a person should check about res: first how each
// name the map lacks was read (once per name given), with the names of m
// it was probably meant to be (nil m: none), then each pick's doubts, then
// colours two names share and names on the background.
func warnings(res *palette.Result, m *colormap.Map) []Warning {
	ws := []Warning{}
	// A name that lists colours ("Navy & White") has one pick per colour
	// with the same Index; "Multi" has several too, all via "multi".
	picks, multis := map[int]int{}, map[int]int{}
	for _, p := range res.Picks {
		picks[p.Index]++
		if p.Via == "multi" {
			multis[p.Index]++
		}
	}
	type said struct {
		index         int
		via, resolved string
	}
	seen := map[said]bool{}
	for _, p := range res.Picks {
		k := said{p.Index, p.Via, p.Resolved}
		if seen[k] {
			continue
		}
		list := picks[p.Index] > 1 && multis[p.Index] < picks[p.Index]
		if w, ok := nameWarning(res, m, p, list); ok {
			seen[k] = true
			ws = append(ws, w)
		}
	}
	// Colours two names share, and the background, have warnings of
	// their own (below): a pick's own warning leaves those reasons out.
	byCand := map[int][]palette.Pick{}
	var order []int
	for _, p := range res.Picks {
		if _, ok := byCand[p.Candidate]; !ok {
			order = append(order, p.Candidate)
		}
		byCand[p.Candidate] = append(byCand[p.Candidate], p)
	}
	sameColour := func(c int) []string {
		var names []string
		idx := map[int]bool{}
		for _, p := range byCand[c] {
			if !idx[p.Index] {
				idx[p.Index] = true
				names = append(names, p.Name)
			}
		}
		return names
	}
	for _, p := range res.Picks {
		said := map[string]bool{
			match.ReasonUnknownName: p.Via == "unknown",
			match.ReasonShared:      len(sameColour(p.Candidate)) > 1,
			match.ReasonBackground:  p.Candidate >= 0 && p.Candidate < len(res.Candidates) && res.Candidates[p.Candidate].Background,
		}
		if w, ok := pickWarning(p, said); ok {
			ws = append(ws, w)
		}
	}
	// Two different names on one candidate.
	for _, c := range order {
		names := sameColour(c)
		if len(names) < 2 {
			continue
		}
		ws = append(ws, Warning{Kind: "same_colour", Names: names, Reasons: []string{match.ReasonShared}, Message: fmt.Sprintf(
			"%s picked the same colour %s, so the swatch shows it more than once. The photo may not show each colour, or one of the names is wrong.",
			joinQuoted(names), byCand[c][0].Hex)})
	}
	for _, c := range order {
		if c < 0 || c >= len(res.Candidates) || !res.Candidates[c].Background {
			continue
		}
		var names []string
		for _, p := range byCand[c] {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
		ws = append(ws, Warning{Kind: "background", Names: names, Reasons: []string{match.ReasonBackground}, Message: fmt.Sprintf(
			"%s took the colour of the photo's background (%s). If the product is not this colour, check the name.",
			joinQuoted(names), res.Candidates[c].Hex)})
	}
	return ws
}

// pickWarning is the "low_confidence" warning of a pick: each of its
// review reasons in plain words, but for those another warning gives
// (said: the "unknown", "same_colour" and "background" warnings). ok is
// false when there is nothing left to say.
func pickWarning(p palette.Pick, said map[string]bool) (w Warning, ok bool) {
	if p.Via == "multi" {
		if !p.LowConfidence {
			return Warning{}, false
		}
		return Warning{Kind: "low_confidence", Names: []string{p.Name}, Reasons: p.ReviewReasons, Message: fmt.Sprintf(
			"%q found no clear product colour in this photo.", p.Name)}, true
	}
	var say []string
	for _, r := range p.ReviewReasons {
		if !said[r] {
			say = append(say, r)
		}
	}
	if len(say) == 0 {
		return Warning{}, false
	}
	who := strconv.Quote(p.Name)
	if p.Part != "" && !sameName(p.Part, p.Name) {
		who = fmt.Sprintf("%q (in %q)", p.Part, p.Name)
	}
	var b strings.Builder
	if slices.Contains(say, match.ReasonPerson) {
		fmt.Fprintf(&b, "%s picked the model's skin or hair (%s), not the product.", who, p.Hex)
	} else {
		fmt.Fprintf(&b, "%s picked %s.", who, p.Hex)
	}
	for _, r := range say {
		switch r {
		case match.ReasonFar:
			fmt.Fprintf(&b, " It is far from every shade of the name (ΔE %.1f): the catalog name may be wrong.", p.DeltaE)
		case match.ReasonTiny:
			fmt.Fprintf(&b, " It covers %s of the product: a trim, a print or a shadow.", sharePercent(p.Share))
		case match.ReasonAmbiguous:
			b.WriteString(" Another product colour is as good a match: check which one the catalog means.")
		case match.ReasonShared:
			b.WriteString(" Another colour this name lists picked it too.")
		case match.ReasonPerson:
		default: // a reason this page does not know yet
			fmt.Fprintf(&b, " Check it (%s).", strings.ReplaceAll(r, "_", " "))
		}
	}
	return Warning{Kind: "low_confidence", Names: []string{p.Name}, Reasons: say, Message: b.String()}, true
}

// sharePercent says how small a share is, in whole percent rounded down
// so it stays under the threshold it was flagged by: "only 2%", "less
// than 1%".
func sharePercent(share float64) string {
	if share < 0.01 {
		return "less than 1%"
	}
	return "only " + strconv.Itoa(int(share*100)) + "%"
}

// nameWarning is the warning about how p's name was read, for a name the
// map lacks (Via "modifier", "head", "vocabulary" or "unknown"), with the
// names of m it was probably meant to be; ok is false for the others. list
// says the name lists several colours, p being one of them.
func nameWarning(res *palette.Result, m *colormap.Map, p palette.Pick, list bool) (w Warning, ok bool) {
	if list && p.Part != "" {
		// The part of the list that was guessed is the name to add.
		part := p
		part.Name = p.Part
		if w, ok = nameWarning(res, m, part, false); ok {
			w.Names = []string{p.Name}
			w.Message = fmt.Sprintf("In %q: %s", p.Name, w.Message)
		}
		return w, ok
	}
	w = Warning{Kind: p.Via, Names: []string{p.Name}}
	addName := fmt.Sprintf("add %q to the colour map", p.Name)
	if list {
		addName = "add the name of that colour to the colour map"
	}
	// lead says how the name was read, advice what to do about it.
	var lead, advice string
	switch p.Via {
	case "modifier":
		advice = fmt.Sprintf("Check that the swatch colour looks right, or %s.", addName)
		if list {
			lead = fmt.Sprintf("%q is not in the colour map as written, so the shades of one of its colours were worked out from the colour words in it (as %q).",
				p.Name, p.Resolved)
			break
		}
		as := ""
		if !sameName(p.Resolved, p.Name) {
			as = fmt.Sprintf(" (as %q)", p.Resolved)
		}
		lead = fmt.Sprintf("%q is not in the colour map, so its shades were worked out from the colour words in it%s.", p.Name, as)
	case "head":
		what := "it was read"
		if list {
			what = "one of its colours was read"
		}
		lead = fmt.Sprintf("%q is not in the colour map; %s as %q%s.", p.Name, what, p.Resolved, leftOut(p.Dropped))
		advice = fmt.Sprintf("Check the swatch colour, or %s.", addName)
	case "vocabulary":
		as := ""
		if !sameName(p.Resolved, p.Name) {
			as = fmt.Sprintf(", read as %q%s", p.Resolved, leftOut(p.Dropped))
		}
		whose := "its shade comes"
		if list {
			whose = "the shade of one of its colours comes"
		}
		src := ""
		if p.Source != "" {
			src = " (" + p.Source + ")"
		}
		lead = fmt.Sprintf("%q is not in the colour map; %s from a public colour-name list%s%s.", p.Name, whose, src, as)
		advice = fmt.Sprintf("Such a list may mean another shade than the catalog: check the swatch colour, or %s.", addName)
	case "unknown":
		w.Reasons = []string{match.ReasonUnknownName}
		colour := "the product's main colour"
		if len(res.Picks) > 1 && !sharesCandidate(res, p) {
			colour += " that no other name took"
		}
		if list {
			lead = fmt.Sprintf("%q names several colours, and nothing knows one of them: not the colour map, not the public colour-name lists. The swatch gives it %s (%s).",
				p.Name, colour, p.Hex)
			advice = "Add the name of that colour to the colour map."
			break
		}
		lead = fmt.Sprintf("Nothing knows %q: not the colour map, not the public colour-name lists. The swatch gives it %s (%s).",
			p.Name, colour, p.Hex)
		advice = "Add it to the colour map."
	default:
		return Warning{}, false
	}
	w.Message = lead + " " + advice
	if !list {
		w.Add = addition(p)
		if w.Suggestions = suggestions(m, p); len(w.Suggestions) > 0 {
			w.Mistyped = p.Name
			w.Message = lead + " " + didYouMean(w.Suggestions) + " Otherwise, " + strings.ToLower(advice[:1]) + advice[1:]
		}
	}
	return w, true
}

// suggestions are the names of m that p's name was probably meant to be
// (see Warning.Suggestions): for an unknown name those m.Suggest gives;
// for a name read from some of its words ("head", "vocabulary") only those
// that fix a word left out by one typing mistake, since a name a public
// list knows as written ("Pewter", not "Pepper") or read whole ("Navy
// Heather") is no typo; nothing for the other tiers or a nil m.
func suggestions(m *colormap.Map, p palette.Pick) []string {
	if m == nil {
		return nil
	}
	switch p.Via {
	case "unknown":
		return m.Suggest(p.Name, MaxSuggestions)
	case "head", "vocabulary":
		if len(p.Dropped) == 0 {
			return nil
		}
		var out []string
		for _, s := range m.Suggest(p.Name, 4*MaxSuggestions) {
			if len(out) < MaxSuggestions && fixesTypo(p.Name, p.Dropped, s) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// fixesTypo reports whether the map name s is name with a word that was
// left out (one of dropped) corrected: every word of s is a word of name
// or one typing mistake away from a dropped word of at least 3 letters,
// and at least one is the latter. "Navy Blue" fixes "Navvy Blue" (dropped
// "navvy"); "Baby Blue" does not, nor "Sport Grey" "Storm Grey".
func fixesTypo(name string, dropped []string, s string) bool {
	have := map[string]bool{}
	for _, w := range words(name) {
		have[w] = true
	}
	fixed := false
	for _, w := range words(s) {
		if have[w] {
			continue
		}
		ok := false
		for _, d := range dropped {
			for _, d := range words(d) {
				ok = ok || utf8.RuneCountInString(d) >= 3 && oneEdit(d, w)
			}
		}
		if !ok {
			return false
		}
		fixed = true
	}
	return fixed
}

// words are the words of a colour name as the map compares them
// (colormap.Normalize).
func words(name string) []string { return strings.Fields(colormap.Normalize(name)) }

// oneEdit reports whether a and b differ by exactly one typing mistake:
// a letter changed, added or left out, or two neighbours swapped.
func oneEdit(a, b string) bool { return textdist.Distance(a, b, 1) == 1 }

// didYouMean asks about the names a mistyped name was probably meant to
// be: "Did you mean “Lavender”?", "Did you mean “Dark Green” or “Dark
// Grey”?".
func didYouMean(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	if len(q) == 1 {
		return "Did you mean " + q[0] + "?"
	}
	return "Did you mean " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1] + "?"
}

// addition is the colour-map entry that would make p's name known: its
// resolved shades, or the colour picked for an unknown name. It is nil
// when the name cannot be an entry of the map.
func addition(p palette.Pick) *Addition {
	if !entryName(p.Name) {
		return nil
	}
	a := &Addition{Name: p.Name}
	for _, c := range p.Prototypes {
		if len(a.Shades) == MaxAddShades {
			break
		}
		a.Shades = append(a.Shades, palette.Hex(c))
	}
	if len(a.Shades) == 0 {
		a.Shades = []string{p.Hex}
	}
	return a
}

// maxAddName is the longest name, in bytes, an Addition is offered for.
const maxAddName = 200

// entryName reports whether name can be the name of a colour-map entry as
// it is, by the map's own rules.
func entryName(name string) bool {
	if len(name) > maxAddName || strings.ContainsAny(name, "#:\r\n") {
		return false
	}
	m, err := colormap.Parse(strings.NewReader(name+": #000000\n"), "")
	if err != nil {
		return false
	}
	es := m.Entries()
	return len(es) == 1 && es[0].Name == name
}

// leftOut says which words were left out of a name: ` (left out: "iron")`,
// or "" for none.
func leftOut(words []string) string {
	if len(words) == 0 {
		return ""
	}
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return " (left out: " + strings.Join(q, ", ") + ")"
}

// sameName reports whether two names differ only in case and spacing.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// sharesCandidate reports whether another pick took p's colour too.
func sharesCandidate(res *palette.Result, p palette.Pick) bool {
	n := 0
	for _, q := range res.Picks {
		if q.Candidate == p.Candidate {
			n++
		}
	}
	return n > 1
}

func joinQuoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// parseMultipart reads the form parts: image (a file, or text: a
// reference), colors (repeatable; "," or "|" separated), size, colormap.
func (s *Server) parseMultipart(r *http.Request, boundary string) (previewRequest, error) {
	var req previewRequest
	if boundary == "" {
		return req, &Error{Status: http.StatusBadRequest, Code: "bad_form", Message: "The form is malformed (no multipart boundary)."}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return req, badForm(err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF { // the end; a wrapped EOF is a cut-off form
			break
		}
		if err != nil {
			return req, badForm(err)
		}
		switch p.FormName() {
		case "image":
			if p.FileName() != "" {
				// Not palette.ReadImage: it takes a stream that ends
				// early for the whole image, and a cut-off upload must
				// be refused.
				data, err := io.ReadAll(io.LimitReader(p, s.limits.MaxBytes+1))
				if err != nil {
					return req, badForm(err)
				}
				if int64(len(data)) > s.limits.MaxBytes {
					return req, fmt.Errorf("%w: more than %d bytes", palette.ErrTooLarge, s.limits.MaxBytes)
				}
				if len(data) == 0 {
					return req, palette.ErrEmpty
				}
				req.data, req.label = data, p.FileName()
				if r := []rune(req.label); len(r) > 200 {
					req.label = string(r[:200])
				}
				break
			}
			v, err := readField(p, maxRefBytes)
			if err != nil {
				return req, err
			}
			if v = strings.TrimSpace(v); v != "" && req.data == nil {
				req.ref, req.label = v, v
			}
		case "colors":
			v, err := readField(p, maxFieldBytes)
			if err != nil {
				return req, err
			}
			req.names = append(req.names, colormap.SplitNames(v)...)
		case "size":
			v, err := readField(p, 16)
			if err != nil {
				return req, err
			}
			if req.size, err = parseSize(v); err != nil {
				return req, err
			}
		case "colormap":
			v, err := readField(p, colormap.MaxFileBytes)
			if err != nil {
				return req, err
			}
			req.draft, req.hasDraft = v, true
		}
		p.Close()
	}
	if req.data != nil {
		req.ref = ""
	}
	return req, nil
}

// badForm classifies an error reading the form: too large stays too
// large, anything else is a malformed form.
func badForm(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, palette.ErrTooLarge):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return context.DeadlineExceeded
	}
	return &Error{Status: http.StatusBadRequest, Code: "bad_form", Message: "The upload is malformed or was cut short. Try again."}
}

// readField reads a form value of at most max bytes.
func readField(r io.Reader, max int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return "", badForm(err)
	}
	if len(b) > max {
		return "", &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "A form field is too long."}
	}
	return string(b), nil
}

// parseJSON reads {"image": REF, "colors": [...], "size": N, "colormap": TEXT}.
func parseJSON(r io.Reader) (previewRequest, error) {
	var body struct {
		Image    string          `json:"image"`
		Colors   json.RawMessage `json:"colors"`
		Size     int             `json:"size"`
		Colormap *string         `json:"colormap"`
	}
	var req previewRequest
	dec := json.NewDecoder(r)
	if err := dec.Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return req, err
		}
		return req, &Error{Status: http.StatusBadRequest, Code: "bad_json",
			Message: `The request is not valid JSON. Send {"image": "s3://…", "colors": ["Grey", "Pink"], "size": 40}.`}
	}
	// colors: a list of names, or one string "Grey|Pink".
	var list []string
	var one string
	switch {
	case len(body.Colors) == 0 || string(body.Colors) == "null":
	case json.Unmarshal(body.Colors, &list) == nil:
		for _, c := range list {
			req.names = append(req.names, colormap.SplitNames(c)...)
		}
	case json.Unmarshal(body.Colors, &one) == nil:
		req.names = colormap.SplitNames(one)
	default:
		return req, &Error{Status: http.StatusBadRequest, Code: "bad_json",
			Message: `"colors" must be a list of colour names, e.g. ["Grey", "Pink"].`}
	}
	if body.Size != 0 {
		if _, err := parseSize(strconv.Itoa(body.Size)); err != nil {
			return req, err
		}
	}
	req.ref, req.label, req.size = strings.TrimSpace(body.Image), strings.TrimSpace(body.Image), body.Size
	if body.Colormap != nil {
		req.draft, req.hasDraft = *body.Colormap, true
	}
	return req, nil
}

// parseSize parses a swatch size; "" is 0 (the default).
func parseSize(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < render.MinSize || n > render.MaxSize {
		return 0, &Error{Status: http.StatusBadRequest, Code: "bad_size",
			Message: fmt.Sprintf("The swatch size must be a whole number of pixels from %d to %d.", render.MinSize, render.MaxSize)}
	}
	return n, nil
}

// wantsPNG reports whether an Accept header asks for the PNG rather than
// JSON.
func wantsPNG(accept string) bool {
	return strings.Contains(accept, "image/png") && !strings.Contains(accept, "application/json")
}

// etag is a strong ETag of data.
func etag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// writePNG writes a swatch with a strong ETag, answering 304 to a matching
// If-None-Match.
func writePNG(w http.ResponseWriter, r *http.Request, png []byte, cacheControl string) {
	tag := etag(png)
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", cacheControl)
	if r.Method == http.MethodGet && matchNone(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	w.WriteHeader(http.StatusOK)
	w.Write(png)
}

// matchNone reports whether an If-None-Match header matches tag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func matchNone(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// matchStrong reports whether an If-Match header names tag (strong
// comparison); "*" does not count, see putColormap.
func matchStrong(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == tag {
			return true
		}
	}
	return false
}
