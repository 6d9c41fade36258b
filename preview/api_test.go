package preview

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/store"
)

func decodePNG(t testing.TB, b64 string) image.Image {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// TestPreviewUpload: a multipart upload answers the CLI's JSON contract
// (the same picks, candidates and swatch bytes as palette.Process), plus
// the swatch and the quantized photo as PNGs, and warnings.
func TestPreviewUpload(t *testing.T) {
	s := newServer(t, Config{})
	data := readPhoto(t, testPhoto)
	rec := postForm(t, s, form{file: testPhoto, data: data, values: [][2]string{{"colors", "Red|Blue"}}})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	r := decode[Response](t, rec)
	want, err := palette.Process(context.Background(), data, []string{"Red", "Blue"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Image != testPhoto || r.Colormap != "live" || r.Size != 40 {
		t.Errorf("image %q colormap %q size %d", r.Image, r.Colormap, r.Size)
	}
	if len(r.Colors) != 2 || r.Colors[0].Name != "Red" || r.Colors[1].Name != "Blue" {
		t.Fatalf("colors %+v", r.Colors)
	}
	for i, c := range r.Colors {
		w := want.Picks[i]
		if c.Hex != w.Hex || c.DeltaE != w.DeltaE || c.Confidence != w.Confidence || c.Via != w.Via || c.Candidate != w.Candidate {
			t.Errorf("color %d = %+v, want %+v", i, c, w)
		}
		if r.Candidates[c.Candidate].Hex != c.Hex {
			t.Errorf("color %d: candidate %d is %s, pick %s", i, c.Candidate, r.Candidates[c.Candidate].Hex, c.Hex)
		}
	}
	if len(r.Candidates) != len(want.Candidates) {
		t.Errorf("%d candidates, want %d", len(r.Candidates), len(want.Candidates))
	}
	sw, _ := base64.StdEncoding.DecodeString(r.Swatch)
	if !bytes.Equal(sw, want.Swatch) || r.Bytes != len(want.Swatch) {
		t.Errorf("swatch differs from palette.Process (%d bytes, field %d, want %d)", len(sw), r.Bytes, len(want.Swatch))
	}
	if b := decodePNG(t, r.Swatch).Bounds(); b.Dx() != 40 || b.Dy() != 40 {
		t.Errorf("swatch %v", b)
	}
	if q := decodePNG(t, r.Quantized).Bounds(); q != want.Quantized.Bounds() {
		t.Errorf("quantized %v, want %v", q, want.Quantized.Bounds())
	}
	if r.Photo != "" {
		t.Error("an upload got the photo back")
	}
	if r.Warnings == nil {
		t.Error("warnings is null, want a list")
	}
	// The contract's field names.
	for _, f := range []string{`"image"`, `"colors"`, `"candidates"`, `"bytes"`, `"delta_e"`, `"low_confidence"`, `"resolved"`, `"via"`, `"swatch"`, `"quantized"`} {
		if !strings.Contains(rec.Body.String(), f) {
			t.Errorf("JSON lacks %s", f)
		}
	}
}

// TestPreviewAcceptPNG: Accept: image/png answers the swatch itself.
func TestPreviewAcceptPNG(t *testing.T) {
	s := newServer(t, Config{})
	data := readPhoto(t, testPhoto)
	rec := postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red"}, {"colors", "Blue"}, {"size", "64"}}}, "Accept", "image/png")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("status %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	want, _ := palette.Process(context.Background(), data, []string{"Red", "Blue"}, &palette.Options{Size: 64})
	if !bytes.Equal(rec.Body.Bytes(), want.Swatch) {
		t.Error("PNG differs from palette.Process at size 64")
	}
	if rec.Header().Get("ETag") == "" {
		t.Error("no ETag")
	}
}

// TestPreviewBadRequests: every bad upload or parameter is a 4xx with a
// clear message and no internal detail.
func TestPreviewBadRequests(t *testing.T) {
	data := readPhoto(t, testPhoto)
	names := [][2]string{{"colors", "Red|Blue"}}
	s := newServer(t, Config{})
	big := make([]byte, 3<<20)
	copy(big, data)
	small := newServer(t, Config{Limits: &palette.Limits{MaxBytes: 1 << 20, MaxPixels: 10_000}})
	for _, tc := range []struct {
		name   string
		srv    *Server
		f      form
		status int
		code   string
	}{
		{"truncated JPEG", s, form{file: "half.jpg", data: data[:len(data)/2], values: names}, 422, "corrupt_image"},
		{"corrupt JPEG", s, form{file: "bad.jpg", data: append(append([]byte{}, data[:600]...), bytes.Repeat([]byte{0xff, 0x00, 0x13}, 500)...), values: names}, 422, "corrupt_image"},
		{"not an image", s, form{file: "notes.txt", data: []byte("hello, this is not a photo at all"), values: names}, 415, "unsupported_format"},
		{"HTML as image", s, form{file: "x.jpg", data: []byte("<html><script>alert(1)</script></html>"), values: names}, 415, "unsupported_format"},
		{"empty file", s, form{file: "empty.jpg", data: nil, values: names}, 400, "empty_image"},
		{"over the byte limit", small, form{file: "big.jpg", data: big, values: names}, 413, "too_large"},
		{"too many pixels", small, form{file: "p.jpg", data: data, values: names}, 413, "too_many_pixels"},
		{"no names", s, form{file: "p.jpg", data: data}, 400, "no_names"},
		{"blank names", s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", " | , "}}}, 400, "no_names"},
		{"too many names", s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", strings.Repeat("Red|", 17)}}}, 400, "too_many_names"},
		{"size too small", s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red"}, {"size", "4"}}}, 400, "bad_size"},
		{"size not a number", s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red"}, {"size", "big"}}}, 400, "bad_size"},
		{"no image", s, form{values: names}, 400, "no_image"},
		{"reference without Fetch", s, form{values: [][2]string{{"image", "s3://b/k.jpg"}, {"colors", "Red"}}}, 400, "no_references"},
		{"bad draft map", s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red"}, {"colormap", "Red: #GG0000\n"}}}, 422, "invalid_colormap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, postForm(t, tc.srv, tc.f), tc.status, tc.code)
		})
	}

	t.Run("body over the limit", func(t *testing.T) {
		// The request body itself is cut by http.MaxBytesReader.
		huge := bytes.Repeat([]byte{0xff}, int(small.limits.MaxBytes)+colormapMax()+2<<20)
		rec := postForm(t, small, form{file: "huge.jpg", data: huge, values: names})
		wantError(t, rec, 413, "too_large")
	})
	t.Run("malformed multipart", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/preview", strings.NewReader("--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nabc"))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
		wantError(t, serve(s, req), 400, "bad_form")
	})
	t.Run("no boundary", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/preview", strings.NewReader("x"))
		req.Header.Set("Content-Type", "multipart/form-data")
		wantError(t, serve(s, req), 400, "bad_form")
	})
	t.Run("wrong content type", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/preview", bytes.NewReader(data))
		req.Header.Set("Content-Type", "image/jpeg")
		wantError(t, serve(s, req), 415, "bad_content_type")
	})
	t.Run("bad JSON", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/preview", strings.NewReader(`{"image": `))
		req.Header.Set("Content-Type", "application/json")
		wantError(t, serve(s, req), 400, "bad_json")
	})
	t.Run("JSON colors not a list", func(t *testing.T) {
		wantError(t, postJSON(t, s, map[string]any{"image": "s3://b/k", "colors": 7}), 400, "bad_json")
	})
	t.Run("JSON size out of range", func(t *testing.T) {
		wantError(t, postJSON(t, s, map[string]any{"image": "s3://b/k", "colors": []string{"Red"}, "size": 5000}), 400, "bad_size")
	})
}

func colormapMax() int { return colormap.MaxFileBytes }

// TestPreviewReference: JSON with an image reference is fetched with the
// engine's byte limit, answers the photo too, and maps fetch errors to
// clear statuses; an internal error is logged and answered with a generic
// 500.
func TestPreviewReference(t *testing.T) {
	data := readPhoto(t, testPhoto)
	f := &fetchMap{objects: map[string][]byte{"s3://catalog/p/1.jpg": data}}
	var logs bytes.Buffer
	s := newServer(t, Config{Fetch: f.fetch, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	rec := postJSON(t, s, map[string]any{"image": "s3://catalog/p/1.jpg", "colors": []string{"Red", "Blue"}, "size": 48})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	r := decode[Response](t, rec)
	if r.Image != "s3://catalog/p/1.jpg" || len(r.Colors) != 2 || r.Size != 48 {
		t.Errorf("response %+v", r)
	}
	if f.maxSeen != palette.DefaultMaxBytes {
		t.Errorf("fetched with maxBytes %d, want %d", f.maxSeen, palette.DefaultMaxBytes)
	}
	b, _ := base64.StdEncoding.DecodeString(r.Photo)
	if len(b) < 3 || b[0] != 0xff || b[1] != 0xd8 {
		t.Error("no JPEG photo for a reference")
	}
	// "colors" as one catalog string.
	if rec := postJSON(t, s, map[string]any{"image": "s3://catalog/p/1.jpg", "colors": "Red|Blue"}); rec.Code != 200 {
		t.Errorf("colors as a string: status %d", rec.Code)
	}
	// A multipart text field "image" is a reference too.
	if rec := postForm(t, s, form{values: [][2]string{{"image", "s3://catalog/p/1.jpg"}, {"colors", "Red"}}}); rec.Code != 200 {
		t.Errorf("multipart reference: status %d %s", rec.Code, rec.Body)
	}

	wantError(t, postJSON(t, s, map[string]any{"image": "s3://catalog/missing.jpg", "colors": []string{"Red"}}), 404, "image_not_found")
	wantError(t, postJSON(t, s, map[string]any{"image": strings.Repeat("x", 3000), "colors": []string{"Red"}}), 400, "bad_reference")

	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{store.ErrForbidden, 403, "forbidden_address"},
		{store.ErrBadRef, 400, "bad_reference"},
		{store.ErrTooLarge, 413, "too_large"},
		{&store.StatusError{Code: 503}, 502, "fetch_failed"},
		// The image host refuses, or its certificate does not verify: the
		// address's fault, said as such, not "something went wrong".
		{fmt.Errorf("get: %w", &store.StatusError{Code: 403}), 502, "fetch_failed"},
		{fmt.Errorf("get: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), 502, "fetch_failed"},
		{context.DeadlineExceeded, 504, "timeout"},
		{errors.New("s3: secret-bucket: dial tcp 10.0.0.5:9000: kaboom"), 500, "internal"},
	} {
		f.err = tc.err
		e := wantError(t, postJSON(t, s, map[string]any{"image": "s3://catalog/p/1.jpg", "colors": []string{"Red"}}), tc.status, tc.code)
		if strings.Contains(e.Message, "secret") || strings.Contains(e.Message, "kaboom") {
			t.Errorf("%v: message %q leaks the error", tc.err, e.Message)
		}
		var se *store.StatusError
		if errors.As(tc.err, &se) && se.Code == 403 && !strings.Contains(e.Message, "HTTP status 403") {
			t.Errorf("%v: message %q does not say what the host answered", tc.err, e.Message)
		}
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the internal error was not logged")
	}
}

// TestPreviewReferenceTransparent: the photo copy of a transparent PNG
// fetched by address is a JPEG; what was see-through shows white, not
// black.
func TestPreviewReferenceTransparent(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 64, 64)) // transparent black
	for y := 16; y < 48; y++ {
		for x := 16; x < 48; x++ {
			m.SetNRGBA(x, y, color.NRGBA{R: 0xd0, G: 0x10, B: 0x20, A: 0xff})
		}
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, m); err != nil {
		t.Fatal(err)
	}
	f := &fetchMap{objects: map[string][]byte{"s3://catalog/cut-out.png": pngData.Bytes()}}
	s := newServer(t, Config{Fetch: f.fetch})
	rec := postJSON(t, s, map[string]any{"image": "s3://catalog/cut-out.png", "colors": []string{"Red"}})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b, err := base64.StdEncoding.DecodeString(decode[Response](t, rec).Photo)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the photo is not a JPEG: %v", err)
	}
	if photo.Bounds().Dx() != 64 {
		t.Errorf("photo %v, want 64 px wide", photo.Bounds())
	}
	for _, p := range []image.Point{{2, 2}, {61, 61}, {32, 4}} {
		r, g, bl, _ := photo.At(p.X, p.Y).RGBA()
		if r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
			t.Errorf("formerly transparent pixel %v is #%02X%02X%02X, want white", p, r>>8, g>>8, bl>>8)
		}
	}
	if r, g, _, _ := photo.At(32, 32).RGBA(); r>>8 < 160 || g>>8 > 80 {
		t.Errorf("the opaque red is #%02X%02X..", r>>8, g>>8)
	}
}

// TestGetPreview: GET answers the swatch PNG of a reference, cacheable
// with a strong ETag; If-None-Match gives 304; an unknown name still gives
// the swatch; too many names are refused before any fetch.
func TestGetPreview(t *testing.T) {
	data := readPhoto(t, testPhoto)
	f := &fetchMap{objects: map[string][]byte{"s3://catalog/p/1.jpg": data}}
	s := newServer(t, Config{Fetch: f.fetch})
	url := "/v1/preview?image=s3://catalog/p/1.jpg&colors=Red,Blue&size=40"
	rec := get(s, url)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("status %d type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	want, _ := palette.Process(context.Background(), data, []string{"Red", "Blue"}, nil)
	if !bytes.Equal(rec.Body.Bytes(), want.Swatch) {
		t.Error("swatch differs from palette.Process")
	}
	tag := rec.Header().Get("ETag")
	if !strings.HasPrefix(tag, `"`) || strings.HasPrefix(tag, "W/") || tag != etag(want.Swatch) {
		t.Errorf("ETag %q, want the strong tag of the bytes", tag)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	rec = get(s, url, "If-None-Match", `"other", `+tag)
	if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("ETag") != tag {
		t.Errorf("If-None-Match: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := get(s, url, "If-None-Match", `"stale"`); rec.Code != 200 {
		t.Errorf("stale If-None-Match: status %d", rec.Code)
	}
	if other := get(s, "/v1/preview?image=s3://catalog/p/1.jpg&colors=Blue"); other.Header().Get("ETag") == tag {
		t.Error("another swatch has the same ETag")
	}

	// An unknown name is flagged, as the worker does: the swatch is made.
	rec = get(s, "/v1/preview?image=s3://catalog/p/1.jpg&colors=Red,Nosuchcolour")
	unknown, _ := palette.Process(context.Background(), data, []string{"Red", "Nosuchcolour"}, nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), unknown.Swatch) {
		t.Errorf("an unknown name: status %d, %d bytes, want the swatch of palette.Process", rec.Code, rec.Body.Len())
	}
	// Too many names are refused before any fetch.
	calls := f.calls
	wantError(t, get(s, "/v1/preview?image=s3://catalog/p/1.jpg&colors="+strings.Repeat("Red,", palette.MaxNames+1)), 400, "too_many_names")
	if f.calls != calls {
		t.Error("fetched the image for a request with too many names")
	}
	wantError(t, get(s, "/v1/preview?colors=Red"), 400, "no_image")
	wantError(t, get(s, "/v1/preview?image=s3://catalog/p/1.jpg"), 400, "no_names")
	wantError(t, get(s, "/v1/preview?image=s3://catalog/p/1.jpg&colors=Red&size=2000"), 400, "bad_size")
}

// TestDraftColormap: a draft map given with the preview is used instead of
// the live map, and never saved.
func TestDraftColormap(t *testing.T) {
	data := readPhoto(t, testPhoto)
	path := mapFile(t, defaultText())
	s := newServer(t, Config{ColormapFile: path, AdminToken: "t"})
	live := decode[Response](t, postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red|Blue"}}}))
	rec := postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red|Blue"}, {"colormap", redAs(t, "#00A000")}}})
	draft := decode[Response](t, rec)
	if draft.Colormap != "draft" || live.Colormap != "live" {
		t.Errorf("colormap %q / %q", draft.Colormap, live.Colormap)
	}
	if draft.Colors[0].Hex == live.Colors[0].Hex {
		t.Errorf("a green Red still picks %s", live.Colors[0].Hex)
	}
	if draft.Colors[1].Hex != live.Colors[1].Hex {
		t.Errorf("Blue moved from %s to %s", live.Colors[1].Hex, draft.Colors[1].Hex)
	}
	if got := string(s.currentMap().Bytes()); got != defaultText() {
		t.Error("the draft changed the live map")
	}
	e := wantError(t, postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Red"}, {"colormap", "# ok\nRed: #FF0000\nBlue #0000FF\nGreen: #00FF00 also: Red\n"}}}), 422, "invalid_colormap")
	if len(e.Problems) != 2 || e.Problems[0].Line != 3 || e.Problems[1].Line != 4 {
		t.Errorf("problems %+v, want lines 3 and 4", e.Problems)
	}
	// JSON drafts too.
	f := &fetchMap{objects: map[string][]byte{"s3://b/p.jpg": data}}
	s2 := newServer(t, Config{Fetch: f.fetch})
	r := decode[Response](t, postJSON(t, s2, map[string]any{"image": "s3://b/p.jpg", "colors": []string{"Red"}, "colormap": redAs(t, "#00A000")}))
	if r.Colormap != "draft" || r.Colors[0].Hex != draft.Colors[0].Hex {
		t.Errorf("JSON draft: %s %s, want %s", r.Colormap, r.Colors[0].Hex, draft.Colors[0].Hex)
	}
}

// TestWarnings: a name worked out by modifier, two names on one colour, a
// name far from every colour, and the background are each reported, once
// per pick and reason; there is no "uncertain" warning any more.
func TestWarnings(t *testing.T) {
	s := newServer(t, Config{})
	data := readPhoto(t, testPhoto)
	r := decode[Response](t, postForm(t, s, form{file: "p.jpg", data: data, values: [][2]string{{"colors", "Dusty Red|Red|Crimson|Lime Green"}}}))
	kinds := map[string][]string{}
	for _, w := range r.Warnings {
		kinds[w.Kind] = append(kinds[w.Kind], strings.Join(w.Names, "+"))
		if w.Message == "" {
			t.Errorf("warning %+v has no message", w)
		}
	}
	if got := kinds["modifier"]; len(got) != 1 || got[0] != "Dusty Red" {
		t.Errorf("modifier warnings %v (picks %+v)", got, r.Colors)
	}
	if len(kinds["same_colour"]) == 0 {
		t.Errorf("no same_colour warning for Dusty Red/Red/Crimson: %+v", r.Warnings)
	}
	if len(kinds["low_confidence"]) == 0 {
		t.Errorf("no low_confidence warning for Lime Green on a red and blue photo: %+v", r.Colors)
	}
	if len(kinds["uncertain"]) != 0 {
		t.Errorf("an uncertain warning: %v", kinds["uncertain"])
	}

	// Unit check of the rules on a literal result: a colour two names
	// share and the background have their own warnings, so Black and Jet
	// get no low_confidence warning, and Snow's says only that it is far.
	res := &palette.Result{
		Candidates: []palette.Candidate{{Hex: "#111111", Share: 0.6}, {Hex: "#fefefe", Share: 0.5, Region: palette.RegionBackground, Background: true}},
		Picks: []palette.Pick{
			{Name: "Black", Hex: "#111111", Confidence: 0.6, LowConfidence: true, ReviewReasons: []string{"shared_colour"}, Via: "exact", Index: 0, Candidate: 0},
			{Name: "Jet", Hex: "#111111", Confidence: 0.3, LowConfidence: true, ReviewReasons: []string{"shared_colour"}, Via: "alias", Index: 1, Candidate: 0},
			{Name: "Snow", Hex: "#fefefe", Confidence: 0.2, DeltaE: 25, LowConfidence: true, ReviewReasons: []string{"far_from_name", "background"}, Via: "exact", Index: 2, Candidate: 1},
		},
	}
	got := map[string]string{}
	reasons := map[string]string{}
	for _, w := range warnings(res, nil) {
		if _, dup := got[w.Kind]; dup {
			t.Errorf("two %s warnings", w.Kind)
		}
		got[w.Kind] = strings.Join(w.Names, "+")
		reasons[w.Kind] = strings.Join(w.Reasons, "+")
	}
	want := map[string]string{"low_confidence": "Snow", "same_colour": "Black+Jet", "background": "Snow"}
	wantReasons := map[string]string{"low_confidence": "far_from_name", "same_colour": "shared_colour", "background": "background"}
	for k, v := range want {
		if got[k] != v || reasons[k] != wantReasons[k] {
			t.Errorf("warning %s: %q for %q, want %q for %q (all %v)", k, got[k], reasons[k], v, wantReasons[k], got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("warnings %v, want %v", got, want)
	}
	if _, ok := got["modifier"]; ok {
		t.Error("modifier warning without a modifier")
	}
}

// TestNameWarnings: through the whole handler, a name read from a colour
// word it contains ("head") and a name nothing knows ("unknown") each get a
// warning saying so, with the entry that would add the name to the map:
// the resolved shades, or the colour the photo shows.
func TestNameWarnings(t *testing.T) {
	s := newServer(t, Config{})
	const photo = "myntra_14657.jpg" // a grey top
	rec := postForm(t, s, form{file: photo, data: readPhoto(t, photo), values: [][2]string{{"colors", "Iron Grey|Blorptastic"}}})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	r := decode[Response](t, rec)
	if len(r.Colors) != 2 {
		t.Fatalf("colors %+v", r.Colors)
	}
	iron, blorp := r.Colors[0], r.Colors[1]
	if iron.Via != "head" || iron.Resolved != "Grey" || strings.Join(iron.Dropped, ",") != "iron" {
		t.Errorf("Iron Grey: via %q resolved %q dropped %v", iron.Via, iron.Resolved, iron.Dropped)
	}
	if blorp.Via != "unknown" || blorp.Resolved != "" || !blorp.LowConfidence || blorp.Confidence != 0 || blorp.Hex == "" {
		t.Errorf("Blorptastic: %+v", blorp.Pick)
	}

	byKind := map[string]Warning{}
	for _, w := range r.Warnings {
		if _, dup := byKind[w.Kind]; dup && (w.Kind == "head" || w.Kind == "unknown") {
			t.Errorf("two %s warnings: %+v", w.Kind, r.Warnings)
		}
		byKind[w.Kind] = w
		if w.Kind != "head" && w.Kind != "unknown" && slices.Contains(w.Names, "Blorptastic") && w.Kind != "same_colour" && w.Kind != "background" {
			t.Errorf("a %s warning for the unknown name too: %q", w.Kind, w.Message)
		}
		if w.Add != nil && w.Kind != "head" && w.Kind != "unknown" {
			t.Errorf("a %s warning offers to add %+v", w.Kind, w.Add)
		}
	}
	grey, _ := colormap.Default().Lookup("Grey")
	var greyHex []string
	for _, c := range grey.Shades {
		greyHex = append(greyHex, palette.Hex(c))
	}
	head := byKind["head"]
	if want := `"Iron Grey" is not in the colour map; it was read as "Grey" (left out: "iron"). Check the swatch colour, or add "Iron Grey" to the colour map.`; head.Message != want {
		t.Errorf("head warning %q,\nwant %q", head.Message, want)
	}
	if head.Add == nil || head.Add.Name != "Iron Grey" || !slices.Equal(head.Add.Shades, greyHex) {
		t.Errorf("head warning adds %+v, want Iron Grey with Grey's shades %v", head.Add, greyHex)
	}
	unknown := byKind["unknown"]
	if !strings.HasPrefix(unknown.Message, `Nothing knows "Blorptastic": not the colour map, not the public colour-name lists.`) ||
		!strings.Contains(unknown.Message, blorp.Hex) || !strings.HasSuffix(unknown.Message, "Add it to the colour map.") {
		t.Errorf("unknown warning %q", unknown.Message)
	}
	if unknown.Add == nil || unknown.Add.Name != "Blorptastic" || !slices.Equal(unknown.Add.Shades, []string{blorp.Hex}) {
		t.Errorf("unknown warning adds %+v, want Blorptastic with the picked %s", unknown.Add, blorp.Hex)
	}
	// The JSON, as the page reads it.
	for _, f := range []string{
		`"kind":"unknown","names":["Blorptastic"]`,
		fmt.Sprintf(`"add":{"name":"Blorptastic","shades":[%q]}`, blorp.Hex),
		fmt.Sprintf(`"add":{"name":"Iron Grey","shades":["%s"]}`, strings.Join(greyHex, `","`)),
		`"via":"head","dropped":["iron"]`,
	} {
		if !strings.Contains(rec.Body.String(), f) {
			t.Errorf("JSON lacks %s", f)
		}
	}
	if strings.Count(rec.Body.String(), `"add":`) != 2 {
		t.Errorf("%d warnings with add, want 2", strings.Count(rec.Body.String(), `"add":`))
	}

	// A name listing colours, one of them unknown: the warning names the
	// part, and offers it as the entry to add.
	r = decode[Response](t, postForm(t, s, form{file: photo, data: readPhoto(t, photo), values: [][2]string{{"colors", "Navy & Blorptastic"}}}))
	var got []Warning
	for _, w := range r.Warnings {
		if w.Kind == "unknown" {
			got = append(got, w)
		}
	}
	if len(r.Colors) != 2 || len(got) != 1 || got[0].Add == nil || got[0].Add.Name != "Blorptastic" ||
		!strings.Contains(got[0].Message, `In "Navy & Blorptastic": Nothing knows "Blorptastic"`) {
		t.Errorf("Navy & Blorptastic: colors %+v, unknown warnings %+v", r.Colors, got)
	}
}

// TestNameWarningRules: the warnings about names the map lacks, on
// literal results: a name from a public list ("vocabulary"), one worked out
// by modifier, one read from its head word inside a list of colours, and an
// unknown name that cannot be an entry of the map.
func TestNameWarningRules(t *testing.T) {
	shades := func(n int) []color.NRGBA {
		out := make([]color.NRGBA, n)
		for i := range out {
			out[i] = color.NRGBA{R: uint8(0x10 * i), G: 0x80, B: 0x40, A: 0xff}
		}
		return out
	}
	res := &palette.Result{
		Candidates: []palette.Candidate{{Hex: "#d8cbb0", Share: 0.5}, {Hex: "#223355", Share: 0.3}, {Hex: "#fefefe", Share: 0.4, Background: true}},
		Picks: []palette.Pick{
			{Name: "Oatmeal", Hex: "#d8cbb0", Confidence: 0.7, Resolved: "Oatmeal", Via: "vocabulary", Source: "xkcd", Prototypes: shades(1), Index: 0, Candidate: 0},
			{Name: "Oatmeal Marl", Hex: "#d8cbb0", Confidence: 0.7, Resolved: "Oatmeal", Via: "vocabulary", Source: "color-name-list", Dropped: []string{"marl"}, Prototypes: shades(8), Index: 1, Candidate: 0},
			{Name: "Dusty Navy", Hex: "#223355", Confidence: 0.8, Resolved: "Dusty Navy Blue", Via: "modifier", Prototypes: shades(2), Index: 2, Candidate: 1},
			{Name: "Iron Grey & Navy", Hex: "#223355", Confidence: 0.6, Resolved: "Grey", Via: "head", Dropped: []string{"iron"}, Prototypes: shades(3), Index: 3, Candidate: 1},
			{Name: "Iron Grey & Navy", Hex: "#223355", Confidence: 0.9, Resolved: "Navy Blue", Via: "alias", Prototypes: shades(3), Index: 3, Candidate: 1},
			{Name: "Blorp: X", Hex: "#fefefe", LowConfidence: true, Via: "unknown", Index: 4, Candidate: 2},
		},
	}
	ws := warnings(res, nil)
	find := func(kind, name string) *Warning {
		for i, w := range ws {
			if w.Kind == kind && slices.Contains(w.Names, name) {
				return &ws[i]
			}
		}
		t.Errorf("no %s warning for %q in %+v", kind, name, ws)
		return &Warning{}
	}

	w := find("vocabulary", "Oatmeal")
	if want := `"Oatmeal" is not in the colour map; its shade comes from a public colour-name list (xkcd). Such a list may mean another shade than the catalog: check the swatch colour, or add "Oatmeal" to the colour map.`; w.Message != want {
		t.Errorf("vocabulary warning %q,\nwant %q", w.Message, want)
	}
	if w.Add == nil || w.Add.Name != "Oatmeal" || !slices.Equal(w.Add.Shades, []string{"#008040"}) {
		t.Errorf("vocabulary adds %+v", w.Add)
	}
	w = find("vocabulary", "Oatmeal Marl")
	if !strings.Contains(w.Message, `(color-name-list), read as "Oatmeal" (left out: "marl")`) {
		t.Errorf("vocabulary warning %q does not say how the name was read", w.Message)
	}
	if w.Add == nil || len(w.Add.Shades) != MaxAddShades || w.Add.Shades[5] != "#508040" {
		t.Errorf("vocabulary of 8 shades adds %+v, want the first %d", w.Add, MaxAddShades)
	}
	w = find("modifier", "Dusty Navy")
	if !strings.Contains(w.Message, `(as "Dusty Navy Blue")`) || w.Add == nil || w.Add.Name != "Dusty Navy" || len(w.Add.Shades) != 2 {
		t.Errorf("modifier warning %q adds %+v", w.Message, w.Add)
	}
	w = find("head", "Iron Grey & Navy")
	if !strings.Contains(w.Message, `one of its colours was read as "Grey" (left out: "iron")`) || w.Add != nil {
		t.Errorf("head warning in a list %q adds %+v, want nothing to add", w.Message, w.Add)
	}
	w = find("unknown", "Blorp: X")
	if w.Add != nil {
		t.Errorf("offers to add %+v, a name the map cannot have", w.Add)
	}
	if !strings.Contains(w.Message, "The swatch gives it the product's main colour that no other name took (#fefefe).") {
		t.Errorf("unknown warning %q", w.Message)
	}
	for _, w := range ws {
		if slices.Contains(w.Names, "Blorp: X") && w.Kind == "low_confidence" {
			t.Errorf("a %s warning for the unknown name", w.Kind)
		}
	}
	// Once per name; the name warnings come first.
	n := 0
	for i, w := range ws {
		switch w.Kind {
		case "modifier", "head", "vocabulary", "unknown":
			n++
			if i >= 5 {
				t.Errorf("name warning %d of %d: %+v", i, len(ws), w)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d name warnings, want 5: %+v", n, ws)
	}
}

// TestTimeoutAndBusy: a fetch that outlasts Timeout gives 504; with every
// slot taken a preview waits, then gives 503.
func TestTimeoutAndBusy(t *testing.T) {
	slow := func(ctx context.Context, ref string, max int64) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s := newServer(t, Config{Fetch: slow, Timeout: 50 * time.Millisecond})
	start := time.Now()
	wantError(t, postJSON(t, s, map[string]any{"image": "s3://b/k.jpg", "colors": []string{"Red"}}), 504, "timeout")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	up := form{file: "p.jpg", data: readPhoto(t, testPhoto), values: [][2]string{{"colors", "Red"}}}
	s = newServer(t, Config{MaxInFlight: 1, Timeout: 50 * time.Millisecond})
	s.slots <- struct{}{} // the one slot is busy
	wantError(t, postForm(t, s, up), 503, "busy")

	// Requests holding bodies in memory are bounded too: with every body
	// slot taken, the next request is refused before its body is read.
	s = newServer(t, Config{MaxInFlight: 1, Timeout: 50 * time.Millisecond})
	for range cap(s.bodies) {
		s.bodies <- struct{}{}
	}
	body := &countingReader{r: strings.NewReader(`{"image":"s3://b/k.jpg","colors":["Red"]}`)}
	req := httptest.NewRequest("POST", "/v1/preview", body)
	req.Header.Set("Content-Type", "application/json")
	wantError(t, serve(s, req), 503, "busy")
	if body.n != 0 {
		t.Errorf("%d bytes of the body read while the server was full", body.n)
	}

	// A request waits for a slot to free up.
	s = newServer(t, Config{MaxInFlight: 1})
	s.slots <- struct{}{}
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.release()
	}()
	start = time.Now()
	if rec := postForm(t, s, up); rec.Code != 200 || time.Since(start) < 100*time.Millisecond {
		t.Errorf("waiting for a slot: %d after %v", rec.Code, time.Since(start))
	}
}

// TestRoutes: unknown API paths are JSON 404s, wrong methods 405, and
// every response carries the security headers.
func TestRoutes(t *testing.T) {
	s := newServer(t, Config{})
	wantError(t, get(s, "/v1/nothing"), 404, "not_found")
	for _, tc := range []struct{ method, path string }{
		{"DELETE", "/v1/colormap"}, {"PATCH", "/v1/preview"}, {"GET", "/v1/colormap/check"}, {"POST", "/"},
	} {
		rec := serve(s, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", tc.method, tc.path, rec.Code)
		}
	}
	for _, path := range []string{"/", "/colormap", "/v1/colormap", "/assets/app.css", "/v1/nothing", "/nothing"} {
		h := get(s, path).Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

// TestConfig: bad configurations are refused by New.
func TestConfig(t *testing.T) {
	m := func() *colormap.Map { return colormap.Default() }
	for _, c := range []Config{
		{Size: 4}, {Size: 5000}, {Timeout: -1}, {MaxInFlight: -1},
		{Limits: &palette.Limits{MaxBytes: -1}},
		{Map: m, ColormapFile: "x.txt"}, // saves would not take effect
	} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{ColormapFile: "/nonexistent/colours.txt"}); err == nil {
		t.Error("a missing map file was accepted")
	}
	var le colormap.Errors
	if _, err := New(Config{ColormapFile: mapFile(t, "Red #F00\n")}); !errors.As(err, &le) || le[0].Line != 1 {
		t.Errorf("an invalid map file: %v", err)
	}
	if _, err := New(Config{Map: m, ColormapFile: "x.txt", OnSave: func(*colormap.Map) {}}); err != nil {
		t.Error(err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
