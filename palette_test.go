package palette

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	colorful "github.com/lucasb-eyer/go-colorful"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/match"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// scene draws rectangles of colour on a background.
func scene(w, h int, bg color.NRGBA, rects ...any) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	for i := 0; i+1 < len(rects); i += 2 {
		r := rects[i].(image.Rectangle)
		c := rects[i+1].(color.NRGBA)
		draw.Draw(m, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	return m
}

var (
	white    = color.NRGBA{255, 255, 255, 255}
	offWhite = color.NRGBA{242, 238, 228, 255}
	red      = color.NRGBA{200, 24, 36, 255}
	navy     = color.NRGBA{24, 34, 80, 255}
	beige    = color.NRGBA{214, 196, 160, 255}
	grey     = color.NRGBA{128, 128, 128, 255}
)

func hexes(picks []Pick) []string {
	var s []string
	for _, p := range picks {
		s = append(s, p.Name+"="+p.Hex)
	}
	return s
}

func TestGenerateScenes(t *testing.T) {
	tests := []struct {
		name  string
		img   image.Image
		names []string
		want  []string
	}{
		{
			"two colours on white",
			scene(60, 60, white, image.Rect(10, 10, 30, 50), red, image.Rect(30, 10, 50, 50), navy),
			[]string{"Red", "Navy Blue"},
			[]string{"Red=" + Hex(red), "Navy Blue=" + Hex(navy)},
		},
		{
			"beige bag on off-white: not the background",
			scene(60, 60, offWhite, image.Rect(20, 20, 40, 40), beige),
			[]string{"Beige"},
			[]string{"Beige=" + Hex(beige)},
		},
		{
			"white shirt on white: the background may be picked",
			scene(60, 60, white, image.Rect(20, 20, 40, 40), navy),
			[]string{"White"},
			[]string{"White=" + Hex(white)},
		},
		{
			"two names, one candidate each",
			scene(60, 60, white, image.Rect(10, 10, 50, 30), grey, image.Rect(10, 30, 50, 50), color.NRGBA{90, 90, 90, 255}),
			[]string{"Grey", "Charcoal"},
			[]string{"Grey=" + Hex(grey), "Charcoal=#5a5a5a"},
		},
		{
			"name order is kept",
			scene(60, 60, white, image.Rect(10, 10, 30, 50), red, image.Rect(30, 10, 50, 50), navy),
			[]string{"navy", "RED"},
			[]string{"navy=" + Hex(navy), "RED=" + Hex(red)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Generate(context.Background(), tt.img, tt.names, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(hexes(res.Picks), " "); got != strings.Join(tt.want, " ") {
				t.Errorf("picks %s, want %s", got, strings.Join(tt.want, " "))
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(res.Swatch))
			if err != nil || cfg.Width != 40 || cfg.Height != 40 {
				t.Errorf("swatch: %v %v", cfg, err)
			}
		})
	}
}

func TestGenerateMulti(t *testing.T) {
	img := scene(80, 80, white,
		image.Rect(10, 10, 40, 40), red, image.Rect(40, 10, 70, 40), navy,
		image.Rect(10, 40, 70, 70), color.NRGBA{30, 150, 60, 255})
	res, err := Generate(context.Background(), img, []string{"Multi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Picks) != 3 {
		t.Fatalf("Multi gave %v, want the three product colours", hexes(res.Picks))
	}
	for _, p := range res.Picks {
		if p.Name != "Multi" || p.Hex == Hex(white) {
			t.Errorf("pick %+v", p)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	ok := scene(20, 20, white, image.Rect(5, 5, 15, 15), red)
	clear := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	tests := []struct {
		name  string
		img   image.Image
		names []string
		opts  *Options
		want  error
		text  string
	}{
		{"no names", ok, nil, nil, ErrNoNames, ""},
		{"blank names", ok, []string{" ", ""}, nil, ErrNoNames, ""},
		{"unknown name, strict", ok, []string{"Red", "Blorange", "Zzz"}, &Options{UnknownNames: UnknownFail}, colormap.ErrUnknownName, `"Blorange" (did you mean "Orange"?), "Zzz"`},
		{"bad unknown-names policy", ok, []string{"Red"}, &Options{UnknownNames: 7}, ErrOptions, "UnknownNames"},
		{"transparent image", clear, []string{"Red"}, nil, ErrNoOpaque, ""},
		{"size too small", ok, []string{"Red"}, &Options{Size: 4}, ErrOptions, "Size"},
		{"too many colours", ok, []string{"Red"}, &Options{Colors: 300}, ErrOptions, "Colors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tt.img, tt.names, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q, want it to mention %s", err, tt.text)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, ok, []string{"Red"}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// Transparent pixels are not part of the product, whatever colour they
// carry.
func TestGenerateIgnoresTransparent(t *testing.T) {
	m := scene(40, 40, color.NRGBA{255, 0, 0, 0}, image.Rect(10, 10, 30, 30), navy)
	res, err := Generate(context.Background(), m, []string{"Red"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Candidates {
		if c.Hex != Hex(navy) {
			t.Errorf("candidate %s: transparent pixels were counted", c.Hex)
		}
	}
	if !res.Picks[0].LowConfidence {
		t.Errorf("Red on a navy-only product should be low confidence: %+v", res.Picks[0])
	}
}

// The same bytes give the same swatch, sequentially and concurrently.
func TestProcessDeterministic(t *testing.T) {
	files, _ := filepath.Glob("testdata/images/*.jpg")
	for _, f := range files[:8] {
		data, _ := os.ReadFile(f)
		first, err := Process(context.Background(), data, []string{"Blue", "Grey"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				res, err := Process(context.Background(), data, []string{"Blue", "Grey"}, nil)
				if err != nil || !bytes.Equal(res.Swatch, first.Swatch) {
					t.Errorf("%s: a second run differs (%v)", f, err)
				}
			})
		}
		wg.Wait()
	}
}

// goldenLine is one photo's entry in testdata/golden/picks.jsonl.
type goldenLine struct {
	File  string `json:"file"`
	Picks []Pick `json:"picks"`
}

// TestGolden pins the picks for the sample photos, so a change in the
// method shows up as a diff of testdata/golden/picks.jsonl (regenerate with
// go test -run TestGolden -update, and review the diff). Shades may move by
// ΔE2000 0.5 before the test fails.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/images/manifest.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got []goldenLine
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		file, colors, _ := strings.Cut(line, ",")
		img, err := os.ReadFile(filepath.Join("testdata/images", file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Process(context.Background(), img, strings.Split(colors, "|"), nil)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got = append(got, goldenLine{file, res.Picks})
	}
	golden := "testdata/golden/picks.jsonl"
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, g := range got {
			enc.Encode(g)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	var want []goldenLine
	dec := json.NewDecoder(bytes.NewReader(f))
	for dec.More() {
		var g goldenLine
		if err := dec.Decode(&g); err != nil {
			t.Fatal(err)
		}
		want = append(want, g)
	}
	if len(want) != len(got) {
		t.Fatalf("%d photos, golden has %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if len(g.Picks) != len(w.Picks) {
			t.Errorf("%s: %d picks, golden %d", w.File, len(g.Picks), len(w.Picks))
			continue
		}
		for k, wp := range w.Picks {
			gp := g.Picks[k]
			wl, _ := colorful.Hex(wp.Hex)
			gl, _ := colorful.Hex(gp.Hex)
			if de := match.CIEDE2000(match.ToLab(wl), match.ToLab(gl)); de > 0.5 || gp.Name != wp.Name || gp.LowConfidence != wp.LowConfidence {
				t.Errorf("%s: pick %s %s (low confidence %v), golden %s %s (%v): ΔE2000 %.2f",
					w.File, gp.Name, gp.Hex, gp.LowConfidence, wp.Name, wp.Hex, wp.LowConfidence, de)
			}
		}
	}
}

// A photo that is all one colour is the product filling the frame, not a
// background with nothing on it.
func TestGenerateFullFrame(t *testing.T) {
	m := scene(50, 50, grey)
	res, err := Generate(context.Background(), m, []string{"Multi", "Navy Blue"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Candidates {
		if c.Background {
			t.Errorf("candidate %s marked background", c.Hex)
		}
	}
	if p := res.Picks[0]; p.Hex != Hex(grey) || p.LowConfidence {
		t.Errorf("Multi pick %+v", p)
	}
	if p := res.Picks[1]; !p.LowConfidence {
		t.Errorf("Navy Blue on a grey frame should be low confidence: %+v", p)
	}
}

func TestGenerateLimits(t *testing.T) {
	huge := image.NewUniform(red) // bounds: practically infinite
	if _, err := Generate(context.Background(), huge, []string{"Red"}, nil); !errors.Is(err, ErrTooManyPx) {
		t.Errorf("image.Uniform: err = %v", err)
	}
	names := make([]string, MaxNames+1)
	for i := range names {
		names[i] = "Red"
	}
	img := scene(10, 10, red)
	if _, err := Generate(context.Background(), img, names, nil); !errors.Is(err, ErrTooManyNames) {
		t.Errorf("%d names: err = %v", len(names), err)
	}
	// Names that list colours count each colour.
	lists := []string{"Red/Navy/Grey/White", "Red/Navy/Grey/White", "Red/Navy/Grey/White", "Red/Navy/Grey/White", "Blue"}
	if _, err := Generate(context.Background(), img, lists, nil); !errors.Is(err, ErrTooManyNames) {
		t.Errorf("17 colours in 5 names: err = %v", err)
	}
	long := strings.Repeat("Blorange ", 1000)
	_, err := Generate(context.Background(), img, []string{long}, &Options{UnknownNames: UnknownFail})
	if !errors.Is(err, colormap.ErrUnknownName) || len(err.Error()) > 200 {
		t.Errorf("a long unknown name: err = %.300v", err)
	}
}

// An unknown name gets the product's main colour that no other name took,
// flagged, in its place among the names; the other picks are as without it.
func TestGenerateUnknownName(t *testing.T) {
	img := scene(60, 60, white, image.Rect(10, 10, 30, 50), red, image.Rect(30, 10, 50, 50), navy)
	res, err := Generate(context.Background(), img, []string{"Red", "Blorptastic"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Picks) != 2 {
		t.Fatalf("picks %+v", res.Picks)
	}
	u := res.Picks[1]
	if u.Name != "Blorptastic" || u.Via != "unknown" || !u.LowConfidence || u.Confidence != 0 || u.Hex != Hex(navy) || u.Index != 1 {
		t.Errorf("unknown pick %+v, want navy (the colour Red left), flagged", u)
	}
	alone, err := Generate(context.Background(), img, []string{"Blorptastic"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := alone.Picks[0]; p.Via != "unknown" || p.Candidate != 0 || p.Hex == Hex(white) {
		t.Errorf("alone: %+v, want the main product colour", p)
	}
	// The unknown part of a list is named as the part.
	part, err := Generate(context.Background(), img, []string{"Red & Blorptastic"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := part.Picks[1]; len(part.Picks) != 2 || p.Via != "unknown" || p.Part != "Blorptastic" || p.Name != "Red & Blorptastic" {
		t.Errorf("Red & Blorptastic: %+v", part.Picks)
	}
	// Names that list colours give a pick per colour, under the name given.
	both, err := Generate(context.Background(), img, []string{"Navy & Red"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(both.Picks) != 2 || both.Picks[0].Hex != Hex(navy) || both.Picks[1].Hex != Hex(red) || both.Picks[0].Name != "Navy & Red" {
		t.Errorf("Navy & Red: %+v", both.Picks)
	}
}

// A grey shirt with a large near-white print: under the textile lightness
// weight the print's white passes for Grey (and it is the larger colour);
// the default garment metric counts lightness fully for a neutral name
// and picks the grey.
func TestNeutralNameLightness(t *testing.T) {
	light, grey := color.NRGBA{0xEE, 0xEE, 0xEE, 255}, color.NRGBA{0x7A, 0x7A, 0x7A, 255}
	img := scene(100, 100, white, image.Rect(15, 10, 85, 90), grey, image.Rect(18, 13, 82, 85), light)
	for _, tt := range []struct {
		metric match.Metric
		want   color.NRGBA
	}{
		{match.CIEDE2000Textile, light},
		{nil, grey}, // the default, CIEDE2000Garment
	} {
		res, err := Generate(context.Background(), img, []string{"Grey"}, &Options{Matcher: &match.Matcher{Metric: tt.metric}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Picks[0].Hex; got != Hex(tt.want) {
			t.Errorf("metric %p: Grey picked %s, want %s (candidates %+v)", tt.metric, got, Hex(tt.want), res.Candidates)
		}
	}
}

// Picks carry the position of their name, also around Multi and blanks.
func TestPickIndex(t *testing.T) {
	img := scene(60, 60, white, image.Rect(10, 10, 30, 50), red, image.Rect(30, 10, 50, 50), navy)
	res, err := Generate(context.Background(), img, []string{"Multi", "", "Red", "Navy"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range res.Picks {
		got = append(got, p.Index)
	}
	if len(got) != 4 || got[0] != 0 || got[1] != 0 || got[2] != 2 || got[3] != 3 {
		t.Errorf("indices %v, want [0 0 2 3]", got)
	}
}

// The regions of labelled photos (testdata/regions.csv: a point of the
// photo, as fractions of its width and height, and the region it is in):
// models' faces and hair are the person, garments the product, and an
// object on its own has no person at all.
func TestRegions(t *testing.T) {
	f, err := os.Open("testdata/regions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]*Result{}
	for _, row := range rows[1:] {
		res := results[row[0]]
		if res == nil {
			data, err := os.ReadFile(filepath.Join("testdata/images", row[0]))
			if err != nil {
				t.Fatal(err)
			}
			if res, err = Process(context.Background(), data, []string{"Red"}, nil); err != nil {
				t.Fatal(err)
			}
			results[row[0]] = res
		}
		fx, _ := strconv.ParseFloat(row[1], 64)
		fy, _ := strconv.ParseFloat(row[2], 64)
		b := res.Quantized.Bounds()
		x, y := int(fx*float64(b.Dx())), int(fy*float64(b.Dy()))
		var want Region
		if err := want.UnmarshalText([]byte(row[3])); err != nil {
			t.Fatal(err)
		}
		if got := res.Regions[y*b.Dx()+x]; got != want {
			t.Errorf("%s at (%s, %s), %s: %v, want %v", row[0], row[1], row[2], row[4], got, want)
		}
	}
	// A person's colours are candidates of their own, out of the
	// product's shares.
	people := 0
	for _, c := range results["myntra_14064.jpg"].Candidates {
		if c.Region == RegionPerson {
			people++
			if !match.SkinLike(match.ToLab(c.Color)) && match.ToLab(c.Color).L > 40 {
				t.Errorf("14064's person colour %+v is neither skin nor dark hair", c)
			}
		}
	}
	if people < 2 {
		t.Errorf("14064 has %d person colours, want its skin and hair: %+v", people, results["myntra_14064.jpg"].Candidates)
	}
	for _, c := range results["myntra_18806.jpg"].Candidates {
		if c.Region == RegionPerson {
			t.Errorf("the belt has a person colour: %+v", c)
		}
	}
}
