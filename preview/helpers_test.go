package preview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/store"
)

const images = "../testdata/images"

// testPhoto is the photo most tests use, with the names "Red|Blue".
const testPhoto = "myntra_14064.jpg"

func readPhoto(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(images, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// form is a multipart form: files (field → name, bytes) and values.
type form struct {
	file     string // file name of the image part; "" for none
	data     []byte
	values   [][2]string
	boundary string
}

func (f form) encode(t testing.TB) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if f.boundary != "" {
		if err := mw.SetBoundary(f.boundary); err != nil {
			t.Fatal(err)
		}
	}
	if f.file != "" {
		w, err := mw.CreateFormFile("image", f.file)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	for _, kv := range f.values {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func postForm(t testing.TB, h http.Handler, f form, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := f.encode(t)
	req := httptest.NewRequest("POST", "/v1/preview", body)
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return serve(h, req)
}

func postJSON(t testing.TB, h http.Handler, v any) *httptest.ResponseRecorder {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/preview", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return serve(h, req)
}

func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return serve(h, req)
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; status %d, body %.300s", ct, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("bad JSON %.300q: %v", rec.Body.String(), err)
	}
	return v
}

// wantError checks an error response: status, code, a message for people,
// and no internal detail.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) *Error {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %.400s", rec.Code, status, rec.Body.String())
	}
	e := decode[Error](t, rec)
	if e.Code != code {
		t.Errorf("code %q, want %q (message %q)", e.Code, code, e.Message)
	}
	if e.Message == "" {
		t.Error("no message")
	}
	for _, leak := range []string{"palette:", "store:", "colormap:", "jpeg:", "png:", "dial tcp", "127.0.0.1", "169.254", "goroutine", ".go:"} {
		if strings.Contains(e.Message, leak) {
			t.Errorf("message %q shows internal detail %q", e.Message, leak)
		}
	}
	return &e
}

// fetchMap is a Fetch that serves fixed references and counts calls.
type fetchMap struct {
	objects map[string][]byte
	err     error
	calls   int
	maxSeen int64
}

func (f *fetchMap) fetch(ctx context.Context, ref string, maxBytes int64) ([]byte, error) {
	f.calls++
	f.maxSeen = maxBytes
	if f.err != nil {
		return nil, f.err
	}
	if b, ok := f.objects[ref]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s", store.ErrNotFound, ref)
}

// mapFile writes text to a colour-map file in a new folder.
func mapFile(t testing.TB, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "colours.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func defaultText() string { return string(colormap.Default().Bytes()) }

// redAs returns the default map text with Red's shades replaced.
func redAs(t testing.TB, shades string) string {
	t.Helper()
	text := defaultText()
	old := "Red: #FF0000 #E32636 #DC143C #C8102E #B22222 #FF6347"
	if !strings.Contains(text, old) {
		t.Fatal("the default map's Red line changed; update the test")
	}
	return strings.Replace(text, old, "Red: "+shades, 1)
}
