package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/match"
)

// explainPage renders the report of one photo as a self-contained HTML page
// (images inlined, no outside requests).
func explainPage(ctx context.Context, name string, names []string, opts *palette.Options) ([]byte, error) {
	// Read once; the same path as the swatches (Process), and a full
	// decode to show the photo.
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	data, err := palette.ReadImage(f, opts.Limits)
	f.Close()
	if err != nil {
		return nil, err
	}
	res, err := palette.Process(ctx, data, names, opts)
	if err != nil {
		return nil, err
	}
	img, format, err := palette.DecodeBytes(data, opts.Limits)
	if err != nil {
		return nil, err
	}
	size := len(data)
	photo := imaging.Fit(img, 480, 480, imaging.Box)
	quant := imaging.Resize(res.Quantized, photo.Bounds().Dx(), photo.Bounds().Dy(), imaging.NearestNeighbor)
	regions := imaging.Resize(regionImage(res), photo.Bounds().Dx(), photo.Bounds().Dy(), imaging.NearestNeighbor)

	type cell struct {
		DeltaE float64
		Picked bool
	}
	type row struct {
		palette.Pick
		Cells []cell
	}
	var rows []row
	for _, p := range res.Picks {
		r := row{Pick: p}
		for j, d := range p.Distances {
			r.Cells = append(r.Cells, cell{DeltaE: d, Picked: j == p.Candidate})
		}
		rows = append(rows, r)
	}
	b := img.Bounds()
	v := map[string]any{
		"Name":       name,
		"Info":       fmt.Sprintf("%s, %d×%d, %d bytes", format, b.Dx(), b.Dy(), size),
		"Names":      names,
		"Photo":      dataURI(photo),
		"Quantized":  dataURI(quant),
		"Regions":    dataURI(regions),
		"Candidates": res.Candidates,
		"Rows":       rows,
		"Swatch":     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(res.Swatch)),
		"SwatchSize": len(res.Swatch),
		"Size":       swatchSide(res.Swatch),
	}
	var buf bytes.Buffer
	if err := explainTmpl.Execute(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func dataURI(m image.Image) template.URL {
	var buf bytes.Buffer
	png.Encode(&buf, m)
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func swatchSide(p []byte) int {
	cfg, err := png.DecodeConfig(bytes.NewReader(p))
	if err != nil {
		return 0
	}
	return cfg.Width
}

var explainTmpl = template.Must(template.New("explain").Funcs(template.FuncMap{
	"pct":    func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"de":     func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"join":   strings.Join,
	"reason": reasonText,
	"x4":     func(n int) int { return 4 * n },
	"barw":   func(f float64) string { return fmt.Sprintf("%.0f", 300*f) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>palette: {{.Name}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
h1{font-size:1.3rem;margin:0 0 .2rem;overflow-wrap:anywhere}
.scroll{overflow-x:auto} h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
.muted{color:#666} .row{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0} figcaption{font-size:.85rem;color:#555;margin-top:.3rem}
img.photo{max-width:100%;border:1px solid #ddd}
.chip{display:inline-block;width:1.1rem;height:1.1rem;border:1px solid #0003;vertical-align:middle;border-radius:3px}
table{border-collapse:collapse} td,th{padding:.3rem .6rem;border-bottom:1px solid #eee;text-align:left;font-variant-numeric:tabular-nums}
th{font-weight:600;font-size:.85rem;color:#444}
.bar{height:.8rem;background:#888;display:inline-block;vertical-align:middle}
td.picked{background:#fff3c4;font-weight:700}
.warn{color:#a40;font-weight:600}
img.swatch{image-rendering:pixelated;border:1px solid #ccc}
code{background:#f4f4f4;padding:0 .2rem}
</style></head><body>
<h1>{{.Name}}</h1>
<div class="muted">{{.Info}} · colours: {{range $i, $n := .Names}}{{if $i}}, {{end}}<code>{{$n}}</code>{{end}}</div>

<h2>Swatch</h2>
<div class="row">
<figure><img class="swatch" src="{{.Swatch}}" width="{{.Size}}" height="{{.Size}}" alt="swatch"><figcaption>1× ({{.SwatchSize}} bytes)</figcaption></figure>
<figure><img class="swatch" src="{{.Swatch}}" width="{{x4 .Size}}" height="{{x4 .Size}}" alt="swatch at 4×"><figcaption>4×</figcaption></figure>
</div>

<h2>Picks</h2>
<div class="scroll"><table><tr><th>name</th><th>resolved as</th><th>colour</th><th>ΔE2000</th><th>share</th><th>confidence</th><th></th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.Resolved}} <span class="muted">({{.Via}})</span></td>
<td><span class="chip" style="background:{{.Hex}}"></span> {{.Hex}}</td><td>{{if or (eq .Via "multi") (eq .Via "unknown")}}–{{else}}{{de .DeltaE}}{{end}}</td><td>{{pct .Share}}</td><td>{{printf "%.2f" .Confidence}}</td>
<td>{{if eq .Via "unknown"}}<span class="warn">unknown name: neither the colour map nor the public colour-name lists know it, so the swatch uses the product's main colour; add it to the colour map</span>
{{else}}{{if eq .Via "head"}}<span class="warn">not in the colour map: read as {{.Resolved}}{{if .Dropped}}, left out: {{join .Dropped ", "}}{{end}}</span><br>{{end}}{{if eq .Via "vocabulary"}}<span class="warn">not in the colour map: its shade comes from the public list {{.Source}}{{if .Dropped}} (left out: {{join .Dropped ", "}}){{end}}</span><br>{{end}}{{if .LowConfidence}}<span class="warn">check this pick:{{range .ReviewReasons}} {{reason .}}.{{end}}</span>{{end}}{{end}}</td></tr>
{{end}}</table></div>

<h2>Photo and its quantized colours</h2>
<div class="row">
<figure><img class="photo" src="{{.Photo}}" alt="photo"><figcaption>photo</figcaption></figure>
<figure><img class="photo" src="{{.Quantized}}" alt="quantized photo"><figcaption>quantized (analysis image)</figcaption></figure>
<figure><img class="photo" src="{{.Regions}}" alt="regions"><figcaption>regions: <span style="color:#c0208a">person</span> (skin, hair), <span class="muted">background</span>, product in its colours</figcaption></figure>
</div>

<h2>Candidates and ΔE2000 from each name</h2>
<div class="scroll"><table><tr><th>#</th><th>colour</th><th>share</th><th></th>{{range .Rows}}<th>{{.Name}}</th>{{end}}</tr>
{{$rows := .Rows}}{{range $j, $c := .Candidates}}<tr><td>{{$j}}</td>
<td><span class="chip" style="background:{{$c.Hex}}"></span> {{$c.Hex}}{{if $c.Background}} <span class="muted">background</span>{{end}}</td>
<td>{{pct $c.Share}}</td><td><span class="bar" style="width:{{barw $c.Share}}px;background:{{$c.Hex}}"></span></td>
{{range $rows}}{{if .Cells}}{{with index .Cells $j}}<td{{if .Picked}} class="picked"{{end}}>{{de .DeltaE}}</td>{{end}}{{else}}<td>{{if eq .Candidate $j}}✓{{end}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
<p class="muted">Share: of the product's pixels (background colours: of all pixels). The highlighted cell is each name's pick; a pick weighs ΔE against share, so a tiny cluster does not beat the product's main colour.</p>
</body></html>
`))

// regionImage is the quantized analysis image with the regions drawn over
// it: the person in magenta, the background in light grey, the product in
// its colours.
func regionImage(res *palette.Result) image.Image {
	q := res.Quantized
	b := q.Bounds()
	out := image.NewNRGBA(b)
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(q.At(x, y)).(color.NRGBA)
			switch res.Regions[(y-b.Min.Y)*w+(x-b.Min.X)] {
			case palette.RegionPerson:
				c = color.NRGBA{R: 0xC0, G: 0x20, B: 0x8A, A: 255}
			case palette.RegionBackground:
				c = color.NRGBA{R: 0xE8, G: 0xE8, B: 0xE8, A: 255}
			}
			out.SetNRGBA(x, y, c)
		}
	}
	return out
}

// reasonText says a review reason in words.
func reasonText(r string) string {
	switch r {
	case match.ReasonFar:
		return "far from every shade of the name (the catalog name may be wrong)"
	case match.ReasonTiny:
		return "a tiny part of the product (a trim, a print or a shadow)"
	case match.ReasonPerson:
		return "the model's skin or hair"
	case match.ReasonBackground:
		return "the background"
	case match.ReasonAmbiguous:
		return "a larger product colour is nearly as close"
	case match.ReasonShared:
		return "another name picked the same colour"
	case match.ReasonUnknownName:
		return "nothing knows the name"
	}
	return r
}
