package review

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/store"
)

// testHandler is a Handler on a local directory store (file://) and a
// kfake results topic.
func testHandler(t *testing.T, token string) (*Handler, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "palette.results"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	pub, err := queue.NewPublisher(c.ListenAddrs(), "palette.results")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "swatches"), 0o755)
	d, err := store.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	allow := []string{"file://" + filepath.ToSlash(root) + "/swatches/"}
	h, err := NewHandler(Config{Index: NewIndex(IndexConfig{}), AdminToken: token, Objects: &store.Router{Dir: d},
		CheckOutput: func(out, image string) error { return store.CheckOutput(out, image, allow) }, Publish: pub.Publish})
	if err != nil {
		t.Fatal(err)
	}
	return h, allow[0]
}

func do(h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestFixValidation: every way a fix is refused, with its status and
// code, and nothing written.
func TestFixValidation(t *testing.T) {
	h, dir := testHandler(t, "tok")
	out := dir + "p1/a.png"
	good := map[string]any{"product_id": "P1", "image": "s3://img/a.jpg", "output": out,
		"colors": []map[string]string{{"name": "Red", "hex": "#C0392B"}}, "fixed_by": "ana"}
	with := func(k string, v any) string {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	goodBody := with("x", nil)
	color := func(name, hex string) []map[string]string { return []map[string]string{{"name": name, "hex": hex}} }
	for _, tc := range []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"no token", "", goodBody, 401, "token_required"},
		{"wrong token", "nope", goodBody, 401, "bad_token"},
		{"not JSON", "tok", "{", 400, "bad_request"},
		{"unknown field", "tok", with("colours", "Red"), 400, "bad_request"},
		{"two objects", "tok", goodBody + "{}", 400, "bad_request"},
		{"no product", "tok", with("product_id", ""), 400, "bad_fix"},
		{"no image", "tok", with("image", nil), 400, "bad_fix"},
		{"no output", "tok", with("output", ""), 400, "bad_fix"},
		{"output elsewhere", "tok", with("output", "file:///etc/passwd"), 422, "output_refused"},
		{"output with ..", "tok", with("output", dir+"../x.png"), 422, "output_refused"},
		{"no colours", "tok", with("colors", []any{}), 400, "bad_fix"},
		{"short hex", "tok", with("colors", color("Red", "#abc")), 400, "bad_fix"},
		{"not hex", "tok", with("colors", color("Red", "#abcdeg")), 400, "bad_fix"},
		{"no hash", "tok", with("colors", color("Red", "abcdef0")), 400, "bad_fix"},
		{"blank name", "tok", with("colors", color("  ", "#abcdef")), 400, "bad_fix"},
		{"long name", "tok", with("colors", color(strings.Repeat("x", 65), "#abcdef")), 400, "bad_fix"},
		{"control character", "tok", with("colors", color("Re\nd", "#abcdef")), 400, "bad_fix"},
		{"17 colours", "tok", with("colors", make([]map[string]string, 17)), 400, "bad_fix"},
		{"no fixed_by", "tok", with("fixed_by", ""), 400, "bad_fix"},
		{"metadata too large", "tok", with("colors", func() (cs []map[string]string) {
			for range 16 {
				cs = append(cs, map[string]string{"name": strings.Repeat("é", 32), "hex": "#abcdef"})
			}
			return cs
		}()), 400, "bad_fix"},
		{"too large", "tok", with("fixed_by", strings.Repeat("x", 70<<10)), 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, "POST", "/v1/fix", tc.token, tc.body)
			var e struct{ Code, Error string }
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tc.status || e.Code != tc.code || e.Error == "" {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.code)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("no CSP header")
			}
		})
	}
	if rec := do(h, "GET", "/v1/fix?output="+out, "", ""); rec.Code != 404 {
		t.Fatalf("a refused fix wrote the swatch: %d %s", rec.Code, rec.Body)
	}
	// The good one; then the swatch is pinned, and unpinning works once.
	rec := do(h, "POST", "/v1/fix", "tok", goodBody)
	if rec.Code != 200 {
		t.Fatalf("fix: %d %s", rec.Code, rec.Body)
	}
	var fr FixResponse
	json.Unmarshal(rec.Body.Bytes(), &fr)
	if !fr.Pinned || fr.Fix.Colors[0].Hex != "#c0392b" || fr.Fix.FixedBy != "ana" || fr.Bytes == 0 {
		t.Fatalf("fix answer %s", rec.Body)
	}
	if rec := do(h, "GET", "/v1/fix?output="+out, "", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"pinned":true`) {
		t.Fatalf("GET /v1/fix: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "DELETE", "/v1/fix?output="+out, "", ""); rec.Code != 401 {
		t.Fatalf("unpin without token: %d", rec.Code)
	}
	if rec := do(h, "DELETE", "/v1/fix?output="+out, "tok", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"fixed_by":"ana"`) {
		t.Fatalf("unpin: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "DELETE", "/v1/fix?output="+out, "tok", ""); rec.Code != 200 || strings.Contains(rec.Body.String(), `"fix"`) {
		t.Fatalf("unpin again: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h, "GET", "/v1/fix?output=s3://elsewhere/x.png", "", ""); rec.Code != 422 {
		t.Fatalf("GET /v1/fix elsewhere: %d", rec.Code)
	}
}

func TestHandlerRoutes(t *testing.T) {
	h, _ := testHandler(t, "")
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/review", 200, ""},
		{"GET", "/v1/review?reason=nope", 400, "bad_query"},
		{"GET", "/v1/review?limit=x", 400, "bad_query"},
		{"GET", "/v1/review?cursor=zz", 400, "bad_query"},
		{"PUT", "/v1/review", 405, "method_not_allowed"},
		{"POST", "/v1/fix", 403, "read_only"},
		{"DELETE", "/v1/fix?output=x", 403, "read_only"},
		{"POST", "/v1/review/redrive", 403, "read_only"},
		{"GET", "/v1/review/redrive", 405, "method_not_allowed"},
		{"GET", "/v1/review/nope", 404, "not_found"},
	} {
		rec := do(h, tc.method, tc.path, "", "")
		var e struct{ Code string }
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != tc.status || e.Code != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
	if rec := do(h, "GET", "/v1/review", "", ""); rec.Body.String() != "{\"items\":[],\"next\":\"\",\"total\":0}\n" {
		t.Errorf("empty list: %s", rec.Body)
	}
}

// TestFixPNG: the pixels are the colours, in the pipeline's layouts; each
// fix's bytes differ; the metadata reads back.
func TestFixPNG(t *testing.T) {
	f := Fix{Colors: []FixColor{{"Navy & Sky", "#1a2b3c"}, {"Grün", "#ffeedd"}}, FixedBy: "Ana Müller <ana@example.com>", At: t0}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	a, err := f.PNG(40)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.PNG(40)
	if bytes.Equal(a, b) {
		t.Fatal("two fixes have the same bytes")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if l, r := palette.Hex(img.At(0, 0)), palette.Hex(img.At(39, 39)); l != "#1a2b3c" || r != "#ffeedd" {
		t.Fatalf("halves %s %s", l, r)
	}
	meta := f.Metadata()
	for k, v := range meta {
		for _, c := range []byte(k + v) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("metadata %s=%q is not printable ASCII", k, v)
			}
		}
	}
	got, ok := FixOf(meta)
	if !ok || got.FixedBy != f.FixedBy || !got.At.Equal(t0) || len(got.Colors) != 2 || got.Colors[1] != f.Colors[1] {
		t.Fatalf("FixOf = %+v, %v", got, ok)
	}
	if _, ok := FixOf(map[string]string{MetaSource: "auto"}); ok {
		t.Fatal("an auto object read as a fix")
	}
}
