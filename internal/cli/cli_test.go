package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/palette-dev/palette/internal/testinfra"
)

const images = "../../testdata/images"

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func decodeLines(t *testing.T, s string) []Output {
	t.Helper()
	var outs []Output
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var o Output
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		outs = append(outs, o)
	}
	return outs
}

func TestOneImage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "s.png")
	code, stdout, stderr := run(t, "-colors", "Red,Blue", "-o", out, "-json", filepath.Join(images, "myntra_14064.jpg"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	outs := decodeLines(t, stdout)
	if len(outs) != 1 {
		t.Fatalf("got %d lines", len(outs))
	}
	o := outs[0]
	if o.Output != out || o.Error != "" || len(o.Colors) != 2 || o.Colors[0].Name != "Red" || o.Colors[1].Name != "Blue" {
		t.Errorf("unexpected output %+v", o)
	}
	if len(o.Candidates) == 0 || o.Bytes == 0 {
		t.Errorf("no candidates or bytes: %+v", o)
	}
	data, err := os.ReadFile(out)
	if err != nil || len(data) != o.Bytes {
		t.Fatalf("swatch file: %v (%d bytes, JSON says %d)", err, len(data), o.Bytes)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 40 {
		t.Errorf("swatch: %v %v", cfg, err)
	}
	// The JSON keys of the contract.
	var raw map[string]any
	json.Unmarshal([]byte(strings.Split(stdout, "\n")[0]), &raw)
	for _, k := range []string{"image", "output", "colors", "candidates", "bytes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, stdout)
		}
	}
	c := raw["colors"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "hex", "delta_e", "share", "confidence", "low_confidence"} {
		if _, ok := c[k]; !ok {
			t.Errorf("colour lacks %q: %v", k, c)
		}
	}
}

func pngBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	binary.BigEndian.PutUint32(ihdr[8:], 100000)
	ihdr[12], ihdr[13] = 8, 2
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// A batch with bad images: each gets a clear error, the others are done,
// the exit status is 1.
func TestBatchWithBadImages(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(filepath.Join(images, "myntra_14064.jpg"))
	files := map[string][]byte{
		"a_good.jpg":      good,
		"b_empty.jpg":     {},
		"c_truncated.jpg": good[:len(good)/3],
		"d_text.png":      []byte("hello, I am not a picture"),
		"e_bomb.png":      pngBomb(),
		"f_good.jpg":      good,
	}
	var args []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
	}
	for _, name := range []string{"a_good.jpg", "b_empty.jpg", "c_truncated.jpg", "d_text.png", "e_bomb.png", "f_good.jpg", "g_missing.jpg"} {
		args = append(args, filepath.Join(dir, name))
	}
	outDir := filepath.Join(dir, "out")
	code, stdout, _ := run(t, append([]string{"-colors", "Grey|Pink", "-json", "-j", "3", "-o", outDir}, args...)...)
	if code != ExitFailed {
		t.Errorf("exit %d, want %d", code, ExitFailed)
	}
	outs := decodeLines(t, stdout)
	want := []string{"", "empty image", "corrupt or truncated", "unsupported image format", "exceeds max pixels", "", "no such file"}
	if len(outs) != len(want) {
		t.Fatalf("%d lines for %d images", len(outs), len(want))
	}
	for i, o := range outs {
		if !strings.HasSuffix(args[i], o.Image) {
			t.Errorf("line %d is %s, want input order", i, o.Image)
		}
		if want[i] == "" && o.Error != "" || !strings.Contains(o.Error, want[i]) {
			t.Errorf("%s: error %q, want it to say %q", o.Image, o.Error, want[i])
		}
	}
	for _, name := range []string{"a_good.png", "f_good.png"} {
		if _, err := os.Stat(filepath.Join(outDir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestManifestDeterministicAcrossJ(t *testing.T) {
	var first map[string][]byte
	for _, j := range []string{"1", "2", "4"} {
		dir := t.TempDir()
		code, _, stderr := run(t, "-manifest", filepath.Join(images, "manifest.csv"), "-o", dir, "-j", j)
		if code != ExitOK {
			t.Fatalf("-j %s: exit %d: %s", j, code, stderr)
		}
		got := map[string][]byte{}
		files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, f := range files {
			got[filepath.Base(f)], _ = os.ReadFile(f)
		}
		if len(got) != 43 {
			t.Fatalf("-j %s: %d swatches, want 43", j, len(got))
		}
		if first == nil {
			first = got
			continue
		}
		for name, b := range got {
			if !bytes.Equal(b, first[name]) {
				t.Errorf("-j %s: %s differs from -j 1", j, name)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	img := filepath.Join(images, "myntra_14064.jpg")
	for _, args := range [][]string{
		{},
		{img},                                 // no -colors
		{"-colors", "Red", "-size", "4", img}, // size out of range
		{"-colors", "Red", "-j", "0", img},
		{"-colors", "Red", "-metric", "cie2020", img},
		{"-manifest", filepath.Join(images, "manifest.csv")}, // no -o
		{"-nosuchflag"},
		{"-colors", "Red", "-colormap", "/nonexistent/map.txt", img},
		{"explain", img},
		{"eval"},
		{"colormap"},
	} {
		if code, _, _ := run(t, args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestUnknownColourName(t *testing.T) {
	// By default an unknown name still gets a swatch, flagged, in order.
	out := filepath.Join(t.TempDir(), "x.png")
	code, stdout, stderr := run(t, "-colors", "Red|Blorange|Blue", "-json", "-o", out, filepath.Join(images, "myntra_14064.jpg"))
	outs := decodeLines(t, stdout)
	if code != ExitOK || len(outs) != 1 || outs[0].Error != "" || len(outs[0].Colors) != 3 {
		t.Fatalf("exit %d, %+v", code, outs)
	}
	for i, want := range []string{"Red", "Blorange", "Blue"} {
		p := outs[0].Colors[i]
		if p.Name != want || (want == "Blorange") != (p.Via == "unknown" && p.LowConfidence) {
			t.Errorf("pick %d = %+v", i, p)
		}
	}
	if !strings.Contains(stderr, `unknown colour name "Blorange"`) {
		t.Errorf("stderr lacks the unknown name: %s", stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
	// Strict mode fails the image and names it.
	code, stdout, _ = run(t, "-unknown-names=fail", "-colors", "Red,Blorange", "-json", "-o", filepath.Join(t.TempDir(), "x.png"), filepath.Join(images, "myntra_14064.jpg"))
	outs = decodeLines(t, stdout)
	if code != ExitFailed || len(outs) != 1 || !strings.Contains(outs[0].Error, `"Blorange"`) {
		t.Errorf("strict: exit %d, %+v", code, outs)
	}
	// A typing mistake gets the name it was probably meant to be.
	_, _, stderr = run(t, "-colors", "Lavendar", "-o", filepath.Join(t.TempDir(), "x.png"), filepath.Join(images, "myntra_14064.jpg"))
	if !strings.Contains(stderr, `unknown colour name "Lavendar" (did you mean "Lavender"?)`) {
		t.Errorf("no suggestion: %s", stderr)
	}
	_, stdout, _ = run(t, "-unknown-names=fail", "-colors", "Fuschia", "-json", "-o", filepath.Join(t.TempDir(), "x.png"), filepath.Join(images, "myntra_14064.jpg"))
	if outs = decodeLines(t, stdout); len(outs) != 1 || !strings.Contains(outs[0].Error, `"Fuschia" (did you mean "Fuchsia"?)`) {
		t.Errorf("strict, no suggestion: %+v", outs)
	}
	if code, _, stderr := run(t, "-unknown-names=maybe", "-colors", "Red", filepath.Join(images, "myntra_14064.jpg")); code != ExitUsage || !strings.Contains(stderr, "want flag or fail") {
		t.Errorf("bad -unknown-names: exit %d, %s", code, stderr)
	}
}

// explain says how names the map lacks were read, and flags unknown ones.
func TestExplainGuessedNames(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, _, stderr := run(t, "explain", "-colors", "Iron Grey|Blorptastic", "-o", out, filepath.Join(images, "myntra_14064.jpg"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, _ := os.ReadFile(out)
	for _, want := range []string{"read as Grey, left out: iron", "unknown name: neither the colour map nor the public colour-name lists know it"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestExplain(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, _, stderr := run(t, "explain", "-colors", "Red|Blue", "-o", out, filepath.Join(images, "myntra_14064.jpg"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, _ := os.ReadFile(out)
	for _, want := range []string{"<html", "Red", "Blue", "data:image/png;base64,", "ΔE2000", "background"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestEval(t *testing.T) {
	code, stdout, stderr := run(t, "eval", filepath.Join(images, "labels.csv"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "hit rate") {
		t.Errorf("no summary: %s", stdout)
	}
}

func TestColormapCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(good, []byte("# ok\nNavy Blue: #1F2A44 also: Navy\n"), 0o644)
	os.WriteFile(bad, []byte("# bad\nNavy Blue: #1F2A4G\n"), 0o644)
	if code, out, _ := run(t, "colormap", "check", good); code != ExitOK || !strings.Contains(out, "ok") {
		t.Errorf("good map: exit %d %q", code, out)
	}
	code, _, stderr := run(t, "colormap", "check", bad)
	if code != ExitFailed || !strings.Contains(stderr, "bad.txt:2") {
		t.Errorf("bad map: exit %d, stderr %q (want file:line)", code, stderr)
	}
}

func TestOutputIntoExistingDirectory(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "-colors", "Red", "-o", dir, filepath.Join(images, "myntra_14064.jpg"))
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "myntra_14064.png")); err != nil {
		t.Error(err)
	}
}

// A swatch never overwrites an input photo.
func TestRefusesToOverwriteInput(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(filepath.Join(images, "myntra_14064.jpg"))
	var pngBuf bytes.Buffer
	img, _ := jpegDecode(src)
	png.Encode(&pngBuf, img)
	photo := filepath.Join(dir, "c.png")
	os.WriteFile(photo, pngBuf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "manifest.csv"), []byte("image,colors\nc.png,Grey\n"), 0o644)
	for _, args := range [][]string{
		{"-manifest", filepath.Join(dir, "manifest.csv"), "-o", dir},
		{"-colors", "Grey", "-o", dir, photo},
		{"-colors", "Grey", "-o", photo, photo},
	} {
		code, _, stderr := run(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, "overwrite") {
			t.Errorf("%q: exit %d, %s", args, code, stderr)
		}
	}
	if after, _ := os.ReadFile(photo); !bytes.Equal(after, pngBuf.Bytes()) {
		t.Error("the input photo changed")
	}
}

// A huge input is refused after reading the byte limit, not all of it.
func TestHugeInputStopsAtLimit(t *testing.T) {
	f := filepath.Join(t.TempDir(), "huge.jpg")
	fh, _ := os.Create(f)
	fh.Truncate(60 << 20) // sparse: 60 MiB of zeros
	fh.Close()
	code, stdout, _ := run(t, "-colors", "Red", "-json", "-o", filepath.Join(t.TempDir(), "x.png"), f)
	outs := decodeLines(t, stdout)
	if code != ExitFailed || len(outs) != 1 || !strings.Contains(outs[0].Error, "exceeds max bytes") {
		t.Errorf("exit %d, %+v", code, outs)
	}
}

func jpegDecode(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }

func TestExplainRefusesToOverwriteInput(t *testing.T) {
	photo := filepath.Join(t.TempDir(), "p.jpg")
	orig, _ := os.ReadFile(filepath.Join(images, "myntra_14064.jpg"))
	os.WriteFile(photo, orig, 0o644)
	if code, _, _ := run(t, "explain", "-colors", "Red", "-o", photo, photo); code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if after, _ := os.ReadFile(photo); !bytes.Equal(after, orig) {
		t.Error("the photo was overwritten")
	}
}

// Flags may come anywhere among the images, as people type them.
func TestFlagsAnywhere(t *testing.T) {
	img := filepath.Join(images, "myntra_14064.jpg")
	dir := t.TempDir()
	out := filepath.Join(dir, "red.png")
	code, stdout, stderr := run(t, "-colors", "Red", img, "-o", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err != nil || !strings.Contains(stdout, out) {
		t.Errorf("-o after the image was not used: %v, %s", err, stdout)
	}
	out2 := filepath.Join(dir, "red2.png")
	if code, _, stderr := run(t, img, "-colors=Red", "-json", "-o", out2); code != ExitOK {
		t.Errorf("flags after the image: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out2); err != nil {
		t.Error(err)
	}
	// "--" ends the flags: a file named like a flag is an image.
	if code, _, stderr := run(t, "-colors", "Red", "-o", dir, "--", "-o"); code != ExitFailed || !strings.Contains(stderr, "-o") {
		t.Errorf("after --: exit %d: %s", code, stderr)
	}
}

// An unknown flag is one line with the nearest flag, not the whole usage;
// a bad value points to -h.
func TestUnknownFlag(t *testing.T) {
	code, _, stderr := run(t, "-colours", "Red", filepath.Join(images, "myntra_14064.jpg"))
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != ExitUsage || len(lines) != 1 || !strings.Contains(stderr, "unknown flag -colours (did you mean -colors?)") || !strings.Contains(stderr, "palettecli -h") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "explain", "-colrs", "Red", "x.jpg")
	if code != ExitUsage || !strings.Contains(stderr, "did you mean -colors?") || !strings.Contains(stderr, "palettecli explain -h") {
		t.Errorf("explain: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "-size", "big", "-colors", "Red", "x.jpg")
	if code != ExitUsage || strings.Count(stderr, "\n") > 2 || !strings.Contains(stderr, `invalid value "big" for flag -size`) {
		t.Errorf("bad value: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run(t, "-h"); code != ExitOK || !strings.Contains(stderr, "-colors") {
		t.Errorf("-h: exit %d, %q", code, stderr)
	}
}

// A manifest row with more fields than the header is an error naming the
// line; images may be anywhere.
func TestManifestRows(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "batch")
	os.MkdirAll(sub, 0o755)
	photo, err := os.ReadFile(filepath.Join(images, "myntra_14064.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "outside.jpg"), photo, 0o644)
	os.WriteFile(filepath.Join(sub, "inside.jpg"), photo, 0o644)
	abs := filepath.Join(dir, "abs.jpg")
	os.WriteFile(abs, photo, 0o644)

	bad := filepath.Join(sub, "bad.csv")
	os.WriteFile(bad, []byte("image,colors\ninside.jpg,Red|Blue\ninside.jpg,Red,Blue\n"), 0o644)
	code, _, stderr := run(t, "-manifest", bad, "-o", filepath.Join(dir, "out"))
	if code != ExitUsage || !strings.Contains(stderr, "bad.csv:3: 3 fields, but the header names 2 columns") || !strings.Contains(stderr, `"|"`) {
		t.Errorf("extra field: exit %d, %s", code, stderr)
	}

	good := filepath.Join(sub, "good.csv")
	os.WriteFile(good, []byte("image,colors\ninside.jpg,Red\n../outside.jpg,Blue\n"+abs+",\"Red,Blue\"\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := run(t, "-manifest", good, "-o", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"inside.png", "outside.png", "abs.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// A batch ends with a summary on stderr, also when every image succeeded.
func TestBatchSummary(t *testing.T) {
	imgs := []string{filepath.Join(images, "myntra_14064.jpg"), filepath.Join(images, "myntra_5231.jpg")}
	code, _, stderr := run(t, append([]string{"-colors", "Red", "-o", t.TempDir()}, imgs...)...)
	if code != ExitOK || !regexp.MustCompile(`palettecli: 2 swatches, 0 failed \(\d`).MatchString(stderr) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, append([]string{"-colors", "Red", "-json", "-o", t.TempDir(), filepath.Join(images, "nope.jpg")}, imgs...)...)
	if code != ExitFailed || !strings.Contains(stderr, "palettecli: 2 swatches, 1 failed") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// The README documents every flag palettecli -h lists, and no other.
func TestREADMEFlags(t *testing.T) {
	_, _, usage := run(t, "-h")
	testinfra.CheckREADMEFlags(t, "../../README.md", "## palettecli", usage)
}
