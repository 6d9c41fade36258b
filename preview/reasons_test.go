package preview

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/match"
)

// explained checks the rule between picks and warnings: every review
// reason of every pick is given by one warning that names the pick (by
// one per pick: the parts of a name listing colours share its name), and
// a low_confidence warning gives no reason its pick lacks.
func explained(t *testing.T, what string, picks []palette.Pick, ws []Warning) {
	t.Helper()
	type key struct{ name, reason string }
	has := map[key]int{}
	for _, p := range picks {
		for _, r := range p.ReviewReasons {
			has[key{p.Name, r}]++
		}
	}
	for k, picks := range has {
		n := 0
		for _, w := range ws {
			if slices.Contains(w.Names, k.name) && slices.Contains(w.Reasons, k.reason) {
				n++
			}
		}
		if n < 1 || n > picks {
			t.Errorf("%s: %q's reason %s is given by %d warnings, want 1 (per pick): %+v", what, k.name, k.reason, n, ws)
		}
	}
	for _, w := range ws {
		if w.Kind != "low_confidence" {
			continue
		}
		for _, r := range w.Reasons {
			ok := false
			for _, p := range picks {
				ok = ok || slices.Contains(w.Names, p.Name) && slices.Contains(p.ReviewReasons, r)
			}
			if !ok {
				t.Errorf("%s: warning %+v gives %s, which no pick of its names has", what, w, r)
			}
		}
	}
}

// looksRight is the rule of the page's "Looks right": no warning and no
// flagged pick.
func looksRight(r Response) bool {
	for _, c := range r.Colors {
		if c.LowConfidence {
			return false
		}
	}
	return len(r.Warnings) == 0
}

// TestReasonWarnings: on a literal result, each flagged pick gets one
// low_confidence warning saying each of its reasons in words, with the
// reasons; what the unknown, same_colour and background warnings say is
// not said again; a pick with no reason to give has none.
func TestReasonWarnings(t *testing.T) {
	res := &palette.Result{
		Candidates: []palette.Candidate{
			{Hex: "#e8a090", Share: 0.55},                               // 0 the sweater
			{Hex: "#3050a0", Share: 0.40},                               // 1
			{Hex: "#d0c040", Share: 0.02},                               // 2 a trim
			{Hex: "#d9b08f", Share: 0.05, Region: palette.RegionPerson}, // 3 skin
			{Hex: "#fefefe", Share: 0.5, Region: palette.RegionBackground, Background: true},
		},
		Picks: []palette.Pick{
			{Name: "Peach", Hex: "#d9b08f", DeltaE: 4, Share: 0.05, Confidence: 0.2, LowConfidence: true,
				ReviewReasons: []string{match.ReasonPerson}, Via: "exact", Index: 0, Candidate: 3},
			{Name: "Mustard", Hex: "#d0c040", DeltaE: 24.2, Share: 0.02, Confidence: 0.05, LowConfidence: true,
				ReviewReasons: []string{match.ReasonFar, match.ReasonTiny}, Via: "exact", Index: 1, Candidate: 2},
			{Name: "Coral", Hex: "#e8a090", DeltaE: 6, Share: 0.55, Confidence: 0.5, LowConfidence: true,
				ReviewReasons: []string{match.ReasonAmbiguous}, Via: "exact", Index: 2, Candidate: 0},
			// A name listing colours, both parts on one colour: no
			// same_colour warning (one name), so its own says it.
			{Name: "Navy & Blue", Part: "Navy", Hex: "#3050a0", DeltaE: 9, Share: 0.4, Confidence: 0.5, LowConfidence: true,
				ReviewReasons: []string{match.ReasonShared}, Via: "exact", Index: 3, Candidate: 1},
			{Name: "Navy & Blue", Part: "Blue", Hex: "#3050a0", DeltaE: 5, Share: 0.4, Confidence: 0.5, LowConfidence: true,
				ReviewReasons: []string{match.ReasonShared}, Via: "exact", Index: 3, Candidate: 1},
			{Name: "Blorp", Hex: "#e8a090", Share: 0.55, LowConfidence: true,
				ReviewReasons: []string{match.ReasonUnknownName}, Via: "unknown", Index: 4, Candidate: 0},
			{Name: "White", Hex: "#fefefe", DeltaE: 1, Share: 0.5, Confidence: 0.4, LowConfidence: true,
				ReviewReasons: []string{match.ReasonBackground}, Via: "exact", Index: 5, Candidate: 4},
		},
	}
	ws := warnings(res, nil)
	explained(t, "literal", res.Picks, ws)
	own := map[string]Warning{}
	for _, w := range ws {
		if w.Kind == "uncertain" {
			t.Errorf("an uncertain warning: %+v", w)
		}
		if w.Kind != "low_confidence" {
			continue
		}
		if len(w.Names) != 1 {
			t.Errorf("low_confidence warning for %v", w.Names)
		}
		if _, dup := own[w.Names[0]]; dup && w.Names[0] != "Navy & Blue" { // one per part
			t.Errorf("two low_confidence warnings for %q", w.Names[0])
		}
		own[w.Names[0]] = w
	}
	for name, want := range map[string]struct {
		reasons string
		message string
	}{
		"Peach":   {"person_region", `"Peach" picked the model's skin or hair (#d9b08f), not the product.`},
		"Mustard": {"far_from_name tiny_share", `"Mustard" picked #d0c040. It is far from every shade of the name (ΔE 24.2): the catalog name may be wrong. It covers only 2% of the product: a trim, a print or a shadow.`},
		"Coral":   {"ambiguous", `"Coral" picked #e8a090. Another product colour is as good a match: check which one the catalog means.`},
	} {
		w, ok := own[name]
		if !ok {
			t.Errorf("no low_confidence warning for %q", name)
			continue
		}
		if strings.Join(w.Reasons, " ") != want.reasons || w.Message != want.message {
			t.Errorf("%s: reasons %v, message\n%q, want %s,\n%q", name, w.Reasons, w.Message, want.reasons, want.message)
		}
		if w.Add != nil {
			t.Errorf("%s: a low_confidence warning offers to add %+v", name, w.Add)
		}
	}
	// The list: one warning per part, each naming its part.
	n := 0
	for _, w := range ws {
		if w.Kind == "low_confidence" && w.Names[0] == "Navy & Blue" {
			n++
			if !strings.HasPrefix(w.Message, `"Navy" (in "Navy & Blue") picked #3050a0.`) && !strings.HasPrefix(w.Message, `"Blue" (in "Navy & Blue") picked #3050a0.`) ||
				!strings.HasSuffix(w.Message, "Another colour this name lists picked it too.") {
				t.Errorf("shared part warning %q", w.Message)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d low_confidence warnings for the parts of Navy & Blue, want 2", n)
	}
	// Said elsewhere: no low_confidence warning of their own.
	for _, name := range []string{"Blorp", "White"} {
		if w, ok := own[name]; ok {
			t.Errorf("%s has a low_confidence warning as well: %q", name, w.Message)
		}
	}
	kinds := map[string]bool{}
	for _, w := range ws {
		kinds[w.Kind] = true
	}
	for _, k := range []string{"unknown", "same_colour", "background"} {
		if !kinds[k] {
			t.Errorf("no %s warning: %+v", k, ws)
		}
	}

	// Shares under 1% and "Multi" with nothing to show.
	w, ok := pickWarning(palette.Pick{Name: "Gold", Hex: "#d0c040", Share: 0.004, ReviewReasons: []string{match.ReasonTiny}, LowConfidence: true}, nil)
	if !ok || !strings.Contains(w.Message, "It covers less than 1% of the product: a trim, a print or a shadow.") {
		t.Errorf("a share under 1%%: %q", w.Message)
	}
	if _, ok := pickWarning(palette.Pick{Name: "Multi", Via: "multi", Confidence: 0.9}, nil); ok {
		t.Error("a warning for a Multi colour with nothing to say")
	}
	if _, ok := pickWarning(palette.Pick{Name: "Red", Via: "exact", Confidence: 0.3}, nil); ok {
		t.Error("a warning for a pick with no reason (a low confidence alone is no warning)")
	}
}

// redOnWhite is a PNG of a plain red product on a white background.
func redOnWhite(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 200, 240))
	for y := range 240 {
		for x := range 200 {
			c := color.NRGBA{R: 0xfe, G: 0xfe, B: 0xfe, A: 0xff}
			if x >= 50 && x < 150 && y >= 40 && y < 200 {
				c = color.NRGBA{R: 0xc8, G: 0x10, B: 0x20, A: 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReasonsHandler: through the whole handler, flagged picks carry
// their review_reasons and each gets a low_confidence warning in words
// with its reasons; a right pick gets nothing, and the page's "Looks
// right" rule holds exactly for those.
func TestReasonsHandler(t *testing.T) {
	s := newServer(t, Config{})
	type want struct {
		name    string   // the pick looked at
		reasons []string // its review_reasons
		says    []string // what its warning says
	}
	for _, c := range []struct {
		what, file string
		data       []byte
		names      string
		want       want
		region     string // the region of the pick's candidate
		looksRight bool
	}{
		{what: "Blue on a red product", file: "red.png", data: redOnWhite(t), names: "Blue",
			want: want{"Blue", []string{match.ReasonFar}, []string{`"Blue" picked #`, "It is far from every shade of the name (ΔE ", "the catalog name may be wrong"}}, region: "product"},
		{what: "Nude on the models' skin", file: testPhoto, names: "Red|Nude",
			want: want{"Nude", []string{match.ReasonPerson}, []string{`"Nude" picked the model's skin or hair (#`, "not the product"}}, region: "person"},
		{what: "Silver on a pendant's tiny highlight", file: "myntra_52222.jpg", names: "Black|Silver|Gold",
			want: want{"Silver", []string{match.ReasonTiny}, []string{"It covers only 2% of the product: a trim, a print or a shadow."}}, region: "product"},
		{what: "Black on a shirt that reads grey", file: "myntra_13885.jpg", names: "Black",
			want: want{"Black", []string{match.ReasonFar, match.ReasonAmbiguous}, []string{"far from every shade of the name (ΔE 17.7)", "Another product colour is as good a match: check which one the catalog means."}}, region: "product"},
		// The peach sweater worn by a model: the sweater, not her skin.
		{what: "Peach on a peach sweater", file: "myntra_14091.jpg", names: "Peach",
			want: want{name: "Peach"}, region: "product", looksRight: true},
		{what: "Red and Blue on the two tees", file: testPhoto, names: "Red|Blue",
			want: want{name: "Blue"}, region: "product", looksRight: true},
	} {
		data := c.data
		if data == nil {
			data = readPhoto(t, c.file)
		}
		rec := postForm(t, s, form{file: c.file, data: data, values: [][2]string{{"colors", c.names}}})
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", c.what, rec.Code, rec.Body)
		}
		r := decode[Response](t, rec)
		var picks []palette.Pick
		var p *Color
		for i := range r.Colors {
			picks = append(picks, r.Colors[i].Pick)
			if r.Colors[i].Name == c.want.name {
				p = &r.Colors[i]
			}
		}
		if p == nil {
			t.Errorf("%s: no pick for %s: %+v", c.what, c.want.name, r.Colors)
			continue
		}
		explained(t, c.what, picks, r.Warnings)
		if !slices.Equal(p.ReviewReasons, c.want.reasons) || p.LowConfidence != (len(c.want.reasons) > 0) {
			t.Errorf("%s: %s flagged %v for %v, want %v", c.what, p.Name, p.LowConfidence, p.ReviewReasons, c.want.reasons)
		}
		if got := r.Candidates[p.Candidate].Region.String(); got != c.region {
			t.Errorf("%s: %s picked a %s colour, want %s", c.what, p.Name, got, c.region)
		}
		var own []Warning
		for _, w := range r.Warnings {
			if w.Kind == "low_confidence" && slices.Contains(w.Names, p.Name) {
				own = append(own, w)
			}
		}
		switch {
		case len(c.want.reasons) == 0 && len(own) != 0:
			t.Errorf("%s: a right pick got %+v", c.what, own)
		case len(c.want.reasons) > 0 && len(own) != 1:
			t.Errorf("%s: %d low_confidence warnings for %s, want 1: %+v", c.what, len(own), p.Name, r.Warnings)
		case len(own) == 1:
			if !slices.Equal(own[0].Reasons, c.want.reasons) {
				t.Errorf("%s: warning reasons %v, want %v", c.what, own[0].Reasons, c.want.reasons)
			}
			for _, say := range c.want.says {
				if !strings.Contains(own[0].Message, say) {
					t.Errorf("%s: warning %q does not say %q", c.what, own[0].Message, say)
				}
			}
			if strings.Contains(own[0].Message, "_") {
				t.Errorf("%s: a raw reason code in %q", c.what, own[0].Message)
			}
		}
		if looksRight(r) != c.looksRight {
			t.Errorf("%s: looks right %v, want %v (warnings %+v)", c.what, looksRight(r), c.looksRight, r.Warnings)
		}
		for _, w := range r.Warnings {
			if w.Kind == "uncertain" {
				t.Errorf("%s: an uncertain warning %q", c.what, w.Message)
			}
		}
		// The JSON, as the page reads it.
		body := rec.Body.String()
		for _, f := range []string{`"region":"product"`, `"regions":"`} {
			if !strings.Contains(body, f) {
				t.Errorf("%s: JSON lacks %s", c.what, f)
			}
		}
		if len(c.want.reasons) > 0 {
			q := `"` + strings.Join(c.want.reasons, `","`) + `"`
			for _, f := range []string{`"review_reasons":[` + q + `]`, `"kind":"low_confidence","names":["` + p.Name + `"]`, `"reasons":[` + q + `]`} {
				if !strings.Contains(body, f) {
					t.Errorf("%s: JSON lacks %s", c.what, f)
				}
			}
		}
	}
}

// TestReasonsOnLabels: on every labelled photo with its catalog names,
// each flagged pick's reasons are explained by exactly one warning, and
// "Looks right" (no warning) holds exactly when no pick is flagged.
func TestReasonsOnLabels(t *testing.T) {
	f, err := os.Open(filepath.Join(images, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	flagged, clean := 0, 0
	for _, row := range rows[1:] {
		for _, names := range []string{row[1], row[1] + "|Nude|Blorptastic"} {
			res, err := palette.Process(context.Background(), readPhoto(t, row[0]), strings.Split(names, "|"), nil)
			if err != nil {
				t.Fatalf("%s: %v", row[0], err)
			}
			ws := warnings(res, colormap.Default())
			explained(t, row[0]+" "+names, res.Picks, ws)
			any := false
			for _, p := range res.Picks {
				if p.LowConfidence != (len(p.ReviewReasons) > 0) && p.Via != "multi" {
					t.Errorf("%s %s: low_confidence %v with reasons %v", row[0], p.Name, p.LowConfidence, p.ReviewReasons)
				}
				any = any || p.LowConfidence
			}
			if any && len(ws) == 0 {
				t.Errorf("%s %s: a flagged pick and no warning", row[0], names)
			}
			if any {
				flagged++
			} else if len(ws) == 0 {
				clean++
			}
		}
	}
	t.Logf("%d previews with a flagged pick, %d that look right", flagged, clean)
	if clean == 0 || flagged == 0 {
		t.Error("the labelled photos should give both")
	}
}

// TestRegionsField: the answer's regions is a PNG of the quantized
// image's size: the product in its quantized colours, the person tinted
// magenta, the background light grey, pixel for pixel as palette.Result
// says.
func TestRegionsField(t *testing.T) {
	s := newServer(t, Config{})
	data := readPhoto(t, testPhoto)
	r := decode[Response](t, postForm(t, s, form{file: testPhoto, data: data, values: [][2]string{{"colors", "Red|Blue"}}}))
	res, err := palette.Process(context.Background(), data, []string{"Red", "Blue"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(r.Regions)
	if err != nil || !bytes.HasPrefix(raw, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("regions is not a base64 PNG (%v)", err)
	}
	img := decodePNG(t, r.Regions)
	q := decodePNG(t, r.Quantized)
	if img.Bounds() != q.Bounds() || img.Bounds() != res.Quantized.Bounds() {
		t.Fatalf("regions %v, quantized %v, want %v", img.Bounds(), q.Bounds(), res.Quantized.Bounds())
	}
	b := img.Bounds()
	count := map[palette.Region]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			reg := res.Regions[(y-b.Min.Y)*b.Dx()+(x-b.Min.X)]
			count[reg]++
			got := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			qc := color.NRGBAModel.Convert(q.At(x, y)).(color.NRGBA)
			var want color.NRGBA
			switch reg {
			case palette.RegionProduct:
				want = qc
			case palette.RegionPerson:
				want = tinted(qc)
			default:
				want = regionsBackground
			}
			if got != want {
				t.Fatalf("pixel %d,%d (%v): %v, want %v", x, y, reg, got, want)
			}
		}
	}
	for _, reg := range []palette.Region{palette.RegionProduct, palette.RegionPerson, palette.RegionBackground} {
		if count[reg] == 0 {
			t.Errorf("no %v pixel in the test photo", reg)
		}
	}
	// The person is told apart by its magenta tint.
	if c := tinted(color.NRGBA{R: 0xd9, G: 0xb0, B: 0x8f, A: 0xff}); !(c.R > c.G+60 && c.B > c.G+60) {
		t.Errorf("skin tinted %v is not magenta", c)
	}
}

func tinted(c color.NRGBA) color.NRGBA {
	mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-regionsTint) + float64(b)*regionsTint + 0.5) }
	return color.NRGBA{R: mix(c.R, regionsPerson.R), G: mix(c.G, regionsPerson.G), B: mix(c.B, regionsPerson.B), A: 0xff}
}

// TestRegionsImage: transparent pixels are background; regions of the
// wrong length (a Result without them) leave everything product.
func TestRegionsImage(t *testing.T) {
	red := color.NRGBA{R: 200, A: 255}
	q := image.NewPaletted(image.Rect(0, 0, 3, 1), color.Palette{red, color.NRGBA{}})
	q.Pix = []uint8{0, 0, 1}
	img := regionsImage(q, []palette.Region{palette.RegionProduct, palette.RegionPerson, palette.RegionProduct})
	want := []color.NRGBA{red, tinted(red), regionsBackground}
	for x, w := range want {
		if got := color.NRGBAModel.Convert(img.At(x, 0)).(color.NRGBA); got != w {
			t.Errorf("pixel %d: %v, want %v", x, got, w)
		}
	}
	img = regionsImage(q, nil)
	want = []color.NRGBA{red, red, regionsBackground}
	for x, w := range want {
		if got := color.NRGBAModel.Convert(img.At(x, 0)).(color.NRGBA); got != w {
			t.Errorf("without regions, pixel %d: %v, want %v", x, got, w)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Error(err)
	}
}
