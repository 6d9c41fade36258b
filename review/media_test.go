package review

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
)

// TestItemObjects: GET /v1/review/{id}/image and /swatch serve the photo
// and swatch of an item on the list, typed by their bytes, and nothing
// else: not an unknown id, not a reference the request names, not a
// swatch outside the worker's outputs, not a file that is no image.
func TestItemObjects(t *testing.T) {
	h, dir := testHandler(t, "tok")
	root := strings.TrimPrefix(strings.TrimSuffix(dir, "swatches/"), "file://")
	write := func(rel string, data []byte) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + filepath.ToSlash(p)
	}
	photo, err := os.ReadFile("../testdata/images/myntra_14064.jpg")
	if err != nil {
		t.Fatal(err)
	}
	f := Fix{Colors: []FixColor{{"Red", "#c0392b"}}, FixedBy: "test", At: t0}
	swatch, _ := f.PNG(40)
	img := write("photos/a.jpg", photo)
	out := write("swatches/a.png", swatch)
	secret := write("photos/secret.png", swatch) // on the list nowhere
	text := write("photos/notes.txt", []byte("<svg onload=alert(1)>"))
	outside := write("other/b.png", swatch) // not where swatches go

	x := h.cfg.Index
	x.Apply(result(1, queue.Result{ProductID: "A", Image: img, Output: out, Colors: low}))
	x.Apply(result(2, queue.Result{ProductID: "B", Image: text, Output: outside, Colors: low}))
	x.Apply(letter(3, `{"product_id":"C","image":"`+img+`","colors":["Red"]}`))
	id := map[string]string{}
	p, _ := x.List(Query{})
	for _, it := range p.Items {
		id[it.ProductID] = it.ID
	}

	for _, tc := range []struct {
		path   string
		status int
		code   string
		ctype  string
		body   []byte
	}{
		{"/v1/review/" + id["A"] + "/image", 200, "", "image/jpeg", photo},
		{"/v1/review/" + id["A"] + "/swatch", 200, "", "image/png", swatch},
		{"/v1/review/" + id["A"] + "/image?image=" + secret, 200, "", "image/jpeg", photo},
		{"/v1/review/nope/image", 404, "no_item", "", nil},
		{"/v1/review/" + id["A"] + "x/image", 404, "no_item", "", nil},
		{"/v1/review/" + id["A"][:len(id["A"])-4] + "/swatch", 404, "no_item", "", nil},
		{"/v1/review/" + id["B"] + "/image", 415, "not_an_image", "", nil},
		{"/v1/review/" + id["B"] + "/swatch", 404, "not_found", "", nil},
		{"/v1/review/" + id["C"] + "/image", 200, "", "image/jpeg", photo},
		{"/v1/review/" + id["C"] + "/swatch", 404, "not_found", "", nil}, // a dead letter without output
		{"/v1/review/" + id["A"] + "/output", 404, "not_found", "", nil},
	} {
		rec := do(h, "GET", tc.path, "", "")
		var e struct{ Code string }
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != tc.status || e.Code != tc.code {
			t.Errorf("GET %s: %d %.80s, want %d %s", tc.path, rec.Code, rec.Body, tc.status, tc.code)
			continue
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: security headers %v", tc.path, rec.Header())
		}
		if tc.status != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != tc.ctype || !bytes.Equal(rec.Body.Bytes(), tc.body) {
			t.Errorf("GET %s: %s, %d bytes; want %s, %d bytes", tc.path, ct, rec.Body.Len(), tc.ctype, len(tc.body))
		}
		cc := rec.Header().Get("Cache-Control")
		if strings.HasSuffix(tc.path, "/swatch") != (cc == "no-store") {
			t.Errorf("GET %s: Cache-Control %q", tc.path, cc)
		}
	}

	// A photo over the limit is refused, not read whole.
	h2, err := NewHandler(Config{Index: x, Objects: h.cfg.Objects, MaxImageBytes: int64(len(photo) - 1)})
	if err != nil {
		t.Fatal(err)
	}
	if rec := do(h2, "GET", "/v1/review/"+id["A"]+"/image", "", ""); rec.Code != 413 {
		t.Errorf("photo over the limit: %d %s", rec.Code, rec.Body)
	}
	// Without an object store (palettecli serve): 501.
	h3, _ := NewHandler(Config{Index: x})
	if rec := do(h3, "GET", "/v1/review/"+id["A"]+"/image", "", ""); rec.Code != 501 {
		t.Errorf("no store: %d %s", rec.Code, rec.Body)
	}
}

// TestFixPreview: POST /v1/fix/preview answers the PNG a fix of the
// colours writes (the pixels of the pipeline's layouts), needs no token,
// writes nothing, and refuses what POST /v1/fix refuses.
func TestFixPreview(t *testing.T) {
	h, _ := testHandler(t, "tok")
	rec := do(h, "POST", "/v1/fix/preview", "", `{"colors":[{"name":"Navy","hex":"#1A2B3C"},{"name":"Sky","hex":"#aaccee"}]}`)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("preview: %d %v %.100s", rec.Code, rec.Header(), rec.Body)
	}
	img, err := png.Decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 40 || palette.Hex(img.At(0, 0)) != "#1a2b3c" || palette.Hex(img.At(39, 39)) != "#aaccee" {
		t.Fatalf("preview %v: %s %s", b, palette.Hex(img.At(0, 0)), palette.Hex(img.At(39, 39)))
	}
	for _, tc := range []struct {
		method, body string
		status       int
		code         string
	}{
		{"POST", `{"colors":[{"name":"Navy","hex":"#1a2b3"}]}`, 400, "bad_fix"},
		{"POST", `{"colors":[]}`, 400, "bad_fix"},
		{"POST", `{"colors":[{"name":"Navy","hex":"#1a2b3c"}],"output":"x"}`, 400, "bad_request"},
		{"POST", `{"colors":[{"name":"Navy","hex":"#1a2b3c"}],"fixed_by":"` + strings.Repeat("x", 300) + `"}`, 400, "bad_fix"},
		{"GET", "", 405, "method_not_allowed"},
	} {
		rec := do(h, tc.method, "/v1/fix/preview", "", tc.body)
		var e struct{ Code string }
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != tc.status || e.Code != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.body, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
}
