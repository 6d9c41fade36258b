package store

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckOutput(t *testing.T) {
	allow := []string{"s3://palettes/", "file:///srv/out"}
	img := "s3://catalog/P1/1.jpg"
	for _, tt := range []struct {
		out, why string // why: "" means allowed
	}{
		{"s3://palettes/P1/abc.png", ""},
		{"file:///srv/out/P1/abc.png", ""},
		{"s3://catalog/P1/1.jpg", "own image"},
		{"s3://palettes/../catalog/x.png", `".." path segment`},
		{"s3://palettes/./x.png", `"." path segment`},
		{"s3://palettes//x.png", "empty path segment"},
		{"s3://palettes/x\n.png", "control character"},
		{"s3://other/x.png", "outside the allowed"},
		{"s3://palettesX/x.png", "outside the allowed"},
		{"file:///srv/output/x.png", "outside the allowed"},
		{"https://example.com/x.png", "not an s3:// or file://"},
	} {
		err := CheckOutput(tt.out, img, allow)
		switch {
		case tt.why == "" && err != nil:
			t.Errorf("%q: %v", tt.out, err)
		case tt.why != "" && (err == nil || !errors.Is(err, ErrOutputRefused) || !strings.Contains(err.Error(), tt.why)):
			t.Errorf("%q: %v, want %q", tt.out, err, tt.why)
		}
	}
	// The job's own image, even inside the allowed prefix.
	if err := CheckOutput("s3://palettes/P1.png", "s3://palettes/P1.png", allow); err == nil || !strings.Contains(err.Error(), "own image") {
		t.Errorf("own image: %v", err)
	}
	if err := CheckOutput("s3://palettes/P1.png/x", "s3://palettes/P1.png", allow); err == nil || !strings.Contains(err.Error(), "own image") {
		t.Errorf("under own image: %v", err)
	}
	for tmpl, want := range map[string]string{"s3://palettes/{key}": "s3://palettes/", "s3://p/x/{product_id}/s.png": "s3://p/x/", "file:///a/out/{key}": "file:///a/out/"} {
		if got := OutputPrefix(tmpl); got != want {
			t.Errorf("OutputPrefix(%q) = %q, want %q", tmpl, got, want)
		}
	}
}
