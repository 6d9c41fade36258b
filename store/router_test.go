package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRouterRefs(t *testing.T) {
	ctx := context.Background()
	dir, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir.Root, "photos", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir.Root, "photos", "a", "p.jpg"), []byte("file"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A second Dir stands in for S3: any Store works, and it shows where a
	// ref went. (The real S3 path is in TestS3Versitygw.)
	s3dir, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s3dir.Put(ctx, "bucket", "key.jpg", []byte("s3"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s3dir.Put(ctx, "bucket", "a/b c%20?.jpg", []byte("s3 odd"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	r := &Router{S3: s3dir, Dir: dir, HTTP: newHTTP(t, HTTPConfig{AllowHosts: []string{"img.example.com"}})}
	root := filepath.ToSlash(dir.Root)

	for ref, want := range map[string]string{"s3://bucket/key.jpg": "s3", "s3://bucket/a/b c%20?.jpg": "s3 odd"} {
		if got, err := r.Get(ctx, ref, 10); err != nil || string(got) != want {
			t.Errorf("Get(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	for _, ref := range []string{"file://" + root + "/photos/a/p.jpg", "file://localhost" + root + "/photos/a/p.jpg"} {
		if got, err := r.Get(ctx, ref, 10); err != nil || string(got) != "file" {
			t.Errorf("Get(%q) = %q, %v", ref, got, err)
		}
	}
	if err := r.Put(ctx, "file://"+root+"/out/sku/x.png", []byte("png"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir.Root, "out", "sku", "x.png")); string(b) != "png" {
		t.Errorf("Put via file:// wrote %q", b)
	}
	if err := r.Put(ctx, "s3://out/sku/x.png", []byte("s3 png"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s3dir.Get(ctx, "out", "sku/x.png", 10); err != nil || string(got) != "s3 png" {
		t.Errorf("Put via s3:// stored %q, %v", got, err)
	}
	// https goes to HTTP, which refuses this host without any network access.
	if _, err := r.Get(ctx, "https://other.example.com/p.jpg", 10); !errors.Is(err, ErrForbidden) {
		t.Errorf("https ref to a host not allowed: %v, want ErrForbidden", err)
	}

	for _, ref := range []string{
		"", "bucket/key", "s3://", "s3://bucket", "s3://bucket/", "s3:///key", "S3:/bucket/key",
		"ftp://host/x", "gs://bucket/key", "data:image/png;base64,AAAA",
		"file://relative/path", "file://otherhost" + root + "/photos/a/p.jpg",
		"file:///etc/passwd", "file://" + root, "file://" + root + "/photos",
		"file://" + root + "/../x/y", "file://" + root + "/photos/../../x",
		"file://" + root + "/photos/a/p.jpg?x=1",
	} {
		if _, err := r.Get(ctx, ref, 10); !errors.Is(err, ErrBadRef) {
			t.Errorf("Get(%q): %v, want ErrBadRef", ref, err)
		}
		if err := r.Put(ctx, ref, nil, PutOptions{}); !errors.Is(err, ErrBadRef) {
			t.Errorf("Put(%q): %v, want ErrBadRef", ref, err)
		}
	}
	if err := r.Put(ctx, "https://img.example.com/x.png", nil, PutOptions{}); !errors.Is(err, ErrBadRef) {
		t.Errorf("Put to https: %v, want ErrBadRef", err)
	}
	empty := &Router{}
	for _, ref := range []string{"s3://b/k", "file:///tmp/b/k", "https://img.example.com/x"} {
		if _, err := empty.Get(ctx, ref, 10); !errors.Is(err, ErrBadRef) {
			t.Errorf("Get(%q) with no stores: %v, want ErrBadRef", ref, err)
		}
	}
}
