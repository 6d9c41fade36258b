package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palette-dev/palette/colormap"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingRE = regexp.MustCompile(`serving on (http://[^/ ]+)/`)

// startServe runs "palettecli serve args..." until the test ends and
// returns its base URL.
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "-http", "127.0.0.1:0"}, args...),
			Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != ExitOK {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %q %q", out.String(), errb.String())
	return ""
}

func mapDoc(t *testing.T, base string) (doc struct {
	ETag     string `json:"etag"`
	Editable bool   `json:"editable"`
	Text     string `json:"text"`
}) {
	t.Helper()
	resp, err := http.Get(base + "/v1/colormap")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestServe: palettecli serve answers the pages and the API, saves the
// colour map with the token from PALETTE_ADMIN_TOKEN, and stops cleanly
// when its context ends.
func TestServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "colours.txt")
	orig := colormap.Default().Bytes()
	os.WriteFile(path, orig, 0o644)
	// The token as read from a secret file, with its newline.
	base := startServe(t, map[string]string{"PALETTE_ADMIN_TOKEN": "tok\n"}, "-colormap", path)

	for _, p := range []string{"/", "/colormap", "/assets/app.css"} {
		resp, err := http.Get(base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}

	// A preview of an upload.
	photo, _ := os.ReadFile(filepath.Join(images, "myntra_14064.jpg"))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "p.jpg")
	fw.Write(photo)
	mw.WriteField("colors", "Red|Blue")
	mw.Close()
	resp, err := http.Post(base+"/v1/preview", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	var out Output
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(out.Colors) != 2 || out.Colors[0].Name != "Red" || out.Bytes == 0 {
		t.Errorf("preview: %d %+v", resp.StatusCode, out)
	}

	// Save an edit.
	doc := mapDoc(t, base)
	if !doc.Editable {
		t.Fatal("not editable with -colormap and PALETTE_ADMIN_TOKEN")
	}
	newText := strings.Replace(doc.Text, "Red: #FF0000 #E32636", "Red: #00A000 #E32636", 1)
	req, _ := http.NewRequest("PUT", base+"/v1/colormap", strings.NewReader(newText))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("If-Match", doc.ETag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT: %v %v", err, resp)
	}
	resp.Body.Close()
	if b, _ := os.ReadFile(path); string(b) != newText {
		t.Error("the file was not saved")
	}
	if b, _ := os.ReadFile(path + ".bak"); !bytes.Equal(b, orig) {
		t.Error("no backup")
	}
	if mapDoc(t, base).Text != newText {
		t.Error("the saved map is not served")
	}
}

// TestServeReadOnly: without a token the editor is read-only, and with
// -allow-hosts image addresses go through the store's guard.
func TestServeReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "colours.txt")
	os.WriteFile(path, colormap.Default().Bytes(), 0o644)
	// A blank token is no token.
	base := startServe(t, map[string]string{"PALETTE_ADMIN_TOKEN": " \n"}, "-colormap", path, "-allow-hosts", "127.0.0.1")
	doc := mapDoc(t, base)
	if doc.Editable {
		t.Error("editable without a token")
	}
	req, _ := http.NewRequest("PUT", base+"/v1/colormap", strings.NewReader(doc.Text))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("If-Match", doc.ETag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 403 {
		t.Errorf("PUT without a token configured: %v %v", err, resp)
	}
	resp.Body.Close()

	resp, err = http.Post(base+"/v1/preview", "application/json",
		strings.NewReader(`{"image":"https://127.0.0.1:9/p.jpg","colors":["Red"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "forbidden_address") {
		t.Errorf("loopback reference: %d %s", resp.StatusCode, b)
	}
}

// TestServeUsage: bad flags and files are usage errors; a busy port is a
// failure.
func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("Red #F00\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-colormap", filepath.Join(dir, "none.txt")}, ExitUsage, "no such file"},
		{[]string{"-colormap", bad}, ExitUsage, "bad.txt:1:"},
		{[]string{"-size", "3"}, ExitUsage, "-size"},
		{[]string{"-allow-hosts", "*"}, ExitUsage, "-allow-hosts"},
		{[]string{"extra"}, ExitUsage, "no arguments"},
		{[]string{"-http", "127.0.0.1:notaport"}, ExitFailed, "palettecli:"},
		{[]string{"-h"}, ExitOK, "Usage: palettecli serve"},
	} {
		code, _, stderr := run(t, append([]string{"serve"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("serve %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}
