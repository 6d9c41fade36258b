package preview

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// outside matches a reference to another host in HTML, CSS or JS.
var outside = regexp.MustCompile(`(?i)((src|href|action|poster)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import|fetch\(\s*["'](https?:)?//|@font-face)`)

// TestPages: the ops page and the editor are served as HTML, show the
// read-only state, and load nothing from another host.
func TestPages(t *testing.T) {
	nofetch := func(context.Context, string, int64) ([]byte, error) { return nil, nil }
	ro := newServer(t, Config{})
	rw := newServer(t, Config{ColormapFile: mapFile(t, defaultText()), AdminToken: "t", Fetch: nofetch})

	page := func(s *Server, path string) string {
		t.Helper()
		rec := get(s, path)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		body := rec.Body.String()
		if m := outside.FindString(body); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
		return body
	}
	idx := page(ro, "/")
	for _, want := range []string{`id="file"`, `id="names"`, `<datalist id="color-names">`, `assets/app.css`, `assets/preview.js`, `id="sw4"`} {
		if !strings.Contains(idx, want) {
			t.Errorf("/ lacks %s", want)
		}
	}
	if strings.Contains(idx, `id="ref"`) {
		t.Error("/ offers image addresses without Fetch")
	}
	if !strings.Contains(page(rw, "/"), `id="ref"`) {
		t.Error("/ does not offer image addresses with Fetch")
	}

	ed := page(ro, "/colormap")
	if !strings.Contains(ed, "Read-only") || !strings.Contains(ed, "no colour-map file") || strings.Contains(ed, `id="save"`) || strings.Contains(ed, `id="token"`) {
		t.Error("/colormap does not show the read-only state")
	}
	// The list of 200 names is re-drawn as one searches and edits: as a
	// live region a screen reader would read it all out each time. The
	// count says what changed.
	if !strings.Contains(ed, `<div id="entries" class="entries">`) || !strings.Contains(ed, `id="count" role="status"`) {
		t.Error("/colormap: the entry list is a live region, or the count is not")
	}
	ed = page(rw, "/colormap")
	if strings.Contains(ed, "Read-only") || !strings.Contains(ed, `id="save"`) || !strings.Contains(ed, `id="token"`) {
		t.Error("/colormap is not editable with a file and a token")
	}

	// The review page: its script, the nav link on every page, and the
	// token box only where fixes can be made.
	rv := page(ro, "/review")
	for _, want := range []string{`assets/review.js`, `id="items"`, `id="d-photo"`, `id="publish"`, `aria-current="page">Review`, `Fixing is turned off`} {
		if !strings.Contains(rv, want) {
			t.Errorf("/review lacks %s", want)
		}
	}
	if strings.Contains(rv, `id="token"`) || !strings.Contains(page(rw, "/review"), `id="token"`) || !strings.Contains(idx, `href="review"`) {
		t.Error("/review: the token box shows without an admin token, or not with one; or / has no link to it")
	}

	for name, a := range assets {
		path := "/assets/" + name
		rec := get(ro, path)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != a.ctype || rec.Header().Get("ETag") != a.etag {
			t.Errorf("%s: %d %q %q", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("ETag"))
		}
		if m := outside.FindString(rec.Body.String()); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
		if rec := get(ro, path, "If-None-Match", a.etag); rec.Code != 304 {
			t.Errorf("%s If-None-Match: %d", path, rec.Code)
		}
	}
	for _, want := range []string{"app.css", "common.js", "preview.js", "colormap.js", "review.js", "icon.svg"} {
		if _, ok := assets[want]; !ok {
			t.Errorf("asset %s missing", want)
		}
	}
	if a := assets["app.css"]; !strings.Contains(string(a.data), "image-rendering: pixelated") {
		t.Error("swatches are not drawn pixelated")
	}
	for _, path := range []string{"/assets/nope.js", "/assets/../preview.go", "/assets/", "/nothing"} {
		if rec := get(ro, path); rec.Code != 404 && rec.Code != 307 { // 307: the mux cleans ".."
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
}
