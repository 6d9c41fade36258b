package preview

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palette-dev/palette/colormap"
)

func put(h *Server, text string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("PUT", "/v1/colormap", strings.NewReader(text))
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return serve(h, req)
}

func check(h *Server, text string) *httptest.ResponseRecorder {
	return serve(h, httptest.NewRequest("POST", "/v1/colormap/check", strings.NewReader(text)))
}

// TestGetColormap: the map as JSON (entries with aliases and prototypes,
// the raw text) with an ETag; If-None-Match gives 304; the read-only
// state and its reason are given.
func TestGetColormap(t *testing.T) {
	s := newServer(t, Config{})
	rec := get(s, "/v1/colormap")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	d := decode[MapDoc](t, rec)
	m := colormap.Default()
	if d.Count != m.Len() || len(d.Entries) != m.Len() || d.Text != string(m.Bytes()) {
		t.Errorf("count %d entries %d, want %d; text equal %v", d.Count, len(d.Entries), m.Len(), d.Text == string(m.Bytes()))
	}
	if rec.Header().Get("ETag") != d.ETag || d.ETag != etag(m.Bytes()) {
		t.Errorf("ETag header %q, doc %q", rec.Header().Get("ETag"), d.ETag)
	}
	var navy, multi *MapEntry
	for i := range d.Entries {
		switch d.Entries[i].Name {
		case "Navy Blue":
			navy = &d.Entries[i]
		case "Multi":
			multi = &d.Entries[i]
		}
	}
	if navy == nil || strings.Join(navy.Aliases, ",") != "Navy,Dark Navy" || len(navy.Prototypes) != 5 || navy.Prototypes[0] != "#000080" || navy.Kind != "shades" || navy.Line == 0 {
		t.Errorf("Navy Blue: %+v", navy)
	}
	if multi == nil || multi.Kind != "multi" || len(multi.Prototypes) != 0 {
		t.Errorf("Multi: %+v", multi)
	}
	if d.Editable || !strings.Contains(d.ReadOnlyReason, "colour-map file") {
		t.Errorf("editable %v, reason %q", d.Editable, d.ReadOnlyReason)
	}
	if rec := get(s, "/v1/colormap", "If-None-Match", d.ETag); rec.Code != 304 {
		t.Errorf("If-None-Match: %d", rec.Code)
	}

	s = newServer(t, Config{ColormapFile: mapFile(t, defaultText())})
	if d := decode[MapDoc](t, get(s, "/v1/colormap")); d.Editable || !strings.Contains(d.ReadOnlyReason, "admin token") || d.File != "colours.txt" {
		t.Errorf("no token: editable %v, reason %q, file %q", d.Editable, d.ReadOnlyReason, d.File)
	}
	s = newServer(t, Config{ColormapFile: mapFile(t, defaultText()), AdminToken: "t"})
	if d := decode[MapDoc](t, get(s, "/v1/colormap")); !d.Editable || d.ReadOnlyReason != "" {
		t.Errorf("editable %v, reason %q", d.Editable, d.ReadOnlyReason)
	}
}

// TestCheckColormap: check validates without saving; problems carry line
// numbers.
func TestCheckColormap(t *testing.T) {
	path := mapFile(t, defaultText())
	s := newServer(t, Config{ColormapFile: path, AdminToken: "t"})
	r := decode[CheckResult](t, check(s, "# mine\nRed: #F00 #C00  also: Scarlet\nMulti: multi\n"))
	if !r.OK || r.Count != 2 || len(r.Problems) != 0 || r.Entries[0].Name != "Red" || r.Entries[0].Line != 2 || r.Entries[0].Prototypes[1] != "#cc0000" {
		t.Errorf("valid text: %+v", r)
	}
	r = decode[CheckResult](t, check(s, "Red: #F00\nBlue #00F\nGreen: #0F0\nLime: #GG0000\nTeal: #088  also: red\n"))
	var lines []int
	for _, p := range r.Problems {
		lines = append(lines, p.Line)
		if p.Message == "" {
			t.Error("problem without a message")
		}
	}
	if r.OK || len(lines) != 3 || lines[0] != 2 || lines[1] != 4 || lines[2] != 5 {
		t.Errorf("problems %+v, want lines 2, 4, 5", r.Problems)
	}
	if r := decode[CheckResult](t, check(s, "# only a comment\n")); r.OK || len(r.Problems) != 1 {
		t.Errorf("empty map: %+v", r)
	}
	rec := check(s, strings.Repeat("# long comment line of padding\n", colormap.MaxFileBytes/31+10))
	wantError(t, rec, 413, "too_large")
	if b, _ := os.ReadFile(path); string(b) != defaultText() {
		t.Error("check changed the file")
	}
}

// TestPutColormap: saving needs a map file, the token, and an If-Match
// naming the current version; a good save replaces the file atomically,
// keeps a backup, calls OnSave and serves the new version.
func TestPutColormap(t *testing.T) {
	orig := defaultText()
	newText := redAs(t, "#00A000 #008800")
	tag := etag([]byte(orig))

	t.Run("read-only without a token", func(t *testing.T) {
		path := mapFile(t, orig)
		s := newServer(t, Config{ColormapFile: path})
		e := wantError(t, put(s, newText, "Authorization", "Bearer x", "If-Match", tag), 403, "read_only")
		if !strings.Contains(e.Message, "admin token") {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("read-only without a file", func(t *testing.T) {
		s := newServer(t, Config{AdminToken: "secret"})
		wantError(t, put(s, newText, "Authorization", "Bearer secret", "If-Match", tag), 403, "read_only")
	})

	path := mapFile(t, orig)
	var saved []*colormap.Map
	var cur atomic.Pointer[colormap.Map]
	m0, _ := colormap.Load(path)
	cur.Store(m0)
	s := newServer(t, Config{
		Map: cur.Load, ColormapFile: path, AdminToken: "s3cret-token",
		OnSave: func(m *colormap.Map) { saved = append(saved, m); cur.Store(m) },
	})
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		code   string
	}{
		{"no token", newText, []string{"If-Match", tag}, 401, "token_required"},
		{"wrong token", newText, []string{"Authorization", "Bearer s3cret-tokem", "If-Match", tag}, 401, "bad_token"},
		{"token prefix", newText, []string{"Authorization", "Bearer s3cret", "If-Match", tag}, 401, "bad_token"},
		{"basic auth", newText, []string{"Authorization", "Basic czNjcmV0LXRva2Vu", "If-Match", tag}, 401, "token_required"},
		{"no If-Match", newText, []string{"Authorization", "Bearer s3cret-token"}, 428, "if_match_required"},
		{"If-Match *", newText, []string{"Authorization", "Bearer s3cret-token", "If-Match", "*"}, 428, "if_match_required"},
		{"stale ETag", newText, []string{"Authorization", "Bearer s3cret-token", "If-Match", `"0123456789abcdef0123456789abcdef"`}, 412, "stale"},
		{"weak ETag", newText, []string{"Authorization", "Bearer s3cret-token", "If-Match", "W/" + tag}, 412, "stale"},
		{"invalid map", "Red: #F00\nBlue #00F\n", []string{"Authorization", "Bearer s3cret-token", "If-Match", tag}, 422, "invalid_colormap"},
		{"empty map", "# nothing\n", []string{"Authorization", "Bearer s3cret-token", "If-Match", tag}, 422, "invalid_colormap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := put(s, tc.body, tc.header...)
			e := wantError(t, rec, tc.status, tc.code)
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.status == 412 && rec.Header().Get("ETag") != tag {
				t.Errorf("412 should give the current ETag, got %q", rec.Header().Get("ETag"))
			}
			if tc.name == "invalid map" && (len(e.Problems) != 1 || e.Problems[0].Line != 2) {
				t.Errorf("problems %+v", e.Problems)
			}
			if b, _ := os.ReadFile(path); string(b) != orig {
				t.Fatal("a refused save changed the file")
			}
			if _, err := os.Stat(backupPath(path)); err == nil {
				t.Fatal("a refused save wrote a backup")
			}
		})
	}
	if len(saved) != 0 {
		t.Fatal("OnSave called for a refused save")
	}

	rec := put(s, newText, "Authorization", "Bearer s3cret-token", "If-Match", `"other", `+tag)
	if rec.Code != 200 {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	d := decode[MapDoc](t, rec)
	newTag := etag([]byte(newText))
	if d.ETag != newTag || rec.Header().Get("ETag") != newTag || d.Text != newText {
		t.Errorf("after save: ETag %q (header %q), want %q", d.ETag, rec.Header().Get("ETag"), newTag)
	}
	if b, _ := os.ReadFile(path); string(b) != newText {
		t.Error("file not replaced")
	}
	if b, _ := os.ReadFile(backupPath(path)); string(b) != orig {
		t.Error("backup is not the previous version")
	}
	if len(saved) != 1 || string(saved[0].Bytes()) != newText {
		t.Fatalf("OnSave: %d calls", len(saved))
	}
	if e, _ := saved[0].Lookup("Red"); len(e.Shades) != 2 || e.Shades[0].G != 0xA0 {
		t.Errorf("saved Red %+v", e)
	}
	if g := decode[MapDoc](t, get(s, "/v1/colormap")); g.ETag != newTag {
		t.Errorf("GET after save: %q", g.ETag)
	}
	// The old version is stale now.
	wantError(t, put(s, orig, "Authorization", "Bearer s3cret-token", "If-Match", tag), 412, "stale")
	// Saving the same text again changes nothing.
	if rec := put(s, newText, "Authorization", "Bearer s3cret-token", "If-Match", newTag); rec.Code != 200 || len(saved) != 1 {
		t.Errorf("same text: %d, %d OnSave calls", rec.Code, len(saved))
	}
	if entries, _ := os.ReadDir(dirOf(path)); len(entries) != 2 {
		t.Errorf("left files behind: %v", entries)
	}
}

func dirOf(p string) string { return p[:strings.LastIndexByte(p, '/')] }

// TestSaveConcurrent: editors saving at once from the same version:
// exactly one wins, the others get 412, and the file holds the winner's
// text.
func TestSaveConcurrent(t *testing.T) {
	orig := defaultText()
	path := mapFile(t, orig)
	var onSave atomic.Int32
	var cur atomic.Pointer[colormap.Map]
	m0, _ := colormap.Load(path)
	cur.Store(m0)
	s := newServer(t, Config{Map: cur.Load, ColormapFile: path, AdminToken: "t",
		OnSave: func(m *colormap.Map) { onSave.Add(1); cur.Store(m) }})
	tag := etag([]byte(orig))
	shades := []string{"#00A000", "#0000A0", "#A0A000", "#00A0A0", "#A000A0", "#101010", "#202020", "#303030"}
	codes := make([]int, len(shades))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, sh := range shades {
		text := redAs(t, sh)
		wg.Go(func() {
			<-start
			codes[i] = put(s, text, "Authorization", "Bearer t", "If-Match", tag).Code
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, c := range codes {
		switch c {
		case 200:
			if winner >= 0 {
				t.Fatalf("two saves won: %v", codes)
			}
			winner = i
		case 412:
		default:
			t.Errorf("save %d: status %d", i, c)
		}
	}
	if winner < 0 {
		t.Fatalf("no save won: %v", codes)
	}
	if b, _ := os.ReadFile(path); string(b) != redAs(t, shades[winner]) {
		t.Error("the file does not hold the winner's text")
	}
	if onSave.Load() != 1 {
		t.Errorf("OnSave called %d times", onSave.Load())
	}
}

// TestSaveOwnMap: with no Config.Map the Server keeps the map: a save is
// served at once, and an edit of the file by other means is picked up (an
// invalid one is not).
func TestSaveOwnMap(t *testing.T) {
	orig := defaultText()
	path := mapFile(t, orig)
	s := newServer(t, Config{ColormapFile: path, AdminToken: "t"})
	newText := redAs(t, "#00A000")
	if rec := put(s, newText, "Authorization", "Bearer t", "If-Match", etag([]byte(orig))); rec.Code != 200 {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	if d := decode[MapDoc](t, get(s, "/v1/colormap")); d.Text != newText {
		t.Error("the save is not served")
	}
	// Another program edits the file.
	hand := strings.Replace(newText, "Red: #00A000", "Red: #0000A0", 1)
	writeLater(t, path, hand)
	if d := decode[MapDoc](t, get(s, "/v1/colormap")); d.Text != hand {
		t.Error("an edit of the file was not picked up")
	}
	writeLater(t, path, "Red #broken\n")
	if d := decode[MapDoc](t, get(s, "/v1/colormap")); d.Text != hand {
		t.Error("an invalid edit replaced the map")
	}
}

// writeLater writes the file with a modification time that differs from
// the previous one even on coarse file-system clocks.
func writeLater(t *testing.T, path, text string) {
	t.Helper()
	fi, _ := os.Stat(path)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	later := fi.ModTime().Add(2 * time.Second)
	os.Chtimes(path, later, later)
}

// TestWriteAtomic: the file is replaced whole, the previous version kept,
// the mode kept, no temporary file left; a symbolic link's target is
// replaced.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/m.txt"
	if err := writeAtomic(p, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(backupPath(p)); err == nil {
		t.Error("backup of a file that did not exist")
	}
	os.Chmod(p, 0o600)
	if err := writeAtomic(p, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	bak, _ := os.ReadFile(backupPath(p))
	fi, _ := os.Stat(p)
	if string(b) != "two\n" || string(bak) != "one\n" || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q backup %q mode %v", b, bak, fi.Mode())
	}
	link := dir + "/link.txt"
	os.Symlink(p, link)
	if err := writeAtomic(link, []byte("three\n")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(p); string(b) != "three\n" {
		t.Errorf("target %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // m.txt, m.txt.bak, link.txt
		t.Errorf("files: %v", entries)
	}
}

// TestSaveFails: when the file cannot be written the editor is told
// plainly that nothing was saved (not a generic "something went wrong"),
// without the path or the system's error, which are logged.
func TestSaveFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "maps")
	path := filepath.Join(dir, "colours.txt")
	os.Mkdir(dir, 0o755)
	os.WriteFile(path, []byte(defaultText()), 0o644)
	var logs bytes.Buffer
	s := newServer(t, Config{ColormapFile: path, AdminToken: "t", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	os.RemoveAll(dir) // works as root too, unlike a read-only folder
	e := wantError(t, put(s, redAs(t, "#00A000"), "Authorization", "Bearer t", "If-Match", etag([]byte(defaultText()))), 500, "save_failed")
	if !strings.HasPrefix(e.Message, "Not saved") || strings.Contains(e.Message, dir) {
		t.Errorf("message %q", e.Message)
	}
	if !strings.Contains(logs.String(), dir) {
		t.Errorf("the cause was not logged: %s", logs.String())
	}
}
