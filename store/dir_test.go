package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestDirRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("\x89PNG swatch")
	if err := d.Put(ctx, "swatches", "sku/1.png", data, PutOptions{ContentType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	got, err := d.Get(ctx, "swatches", "sku/1.png", 100)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(d.Root, "swatches", "sku", "1.png")); !bytes.Equal(b, data) {
		t.Errorf("file on disk = %q", b)
	}
	// Overwrite, then a key that cleans to the same file.
	if err := d.Put(ctx, "swatches", "sku//./1.png", []byte("v2"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Get(ctx, "swatches", "sku/1.png", 100); string(got) != "v2" {
		t.Errorf("after overwrite Get = %q", got)
	}
	if _, err := d.Get(ctx, "swatches", "sku/1.png", 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Get over limit: %v, want ErrTooLarge", err)
	}
	for _, key := range []string{"sku/2.png", "sku", "nope/x"} {
		if _, err := d.Get(ctx, "swatches", key, 100); !errors.Is(err, ErrNotFound) || IsTransient(err) {
			t.Errorf("Get(%q): %v, want ErrNotFound", key, err)
		}
	}
	if _, err := d.Get(ctx, "nobucket", "k", 100); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing bucket: %v, want ErrNotFound", err)
	}
	entries, _ := os.ReadDir(filepath.Join(d.Root, "swatches", "sku"))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestDirRefusesTraversal(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	d, err := NewDir(filepath.Join(parent, "root"))
	if err == nil {
		t.Fatal("NewDir on a missing directory succeeded")
	}
	if err := os.Mkdir(filepath.Join(parent, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if d, err = NewDir(filepath.Join(parent, "root")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(parent, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A symlink out of Root must not be followed.
	if err := os.Symlink(parent, filepath.Join(d.Root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, bk := range [][2]string{
		{"b", "../../secret"}, {"b", "x/../../secret"}, {"b", "/etc/passwd"}, {"b", ""}, {"b", "."},
		{"..", "secret"}, {"", "k"}, {"a/b", "k"}, {".", "k"}, {"b", `..\secret`},
	} {
		if _, err := d.Get(ctx, bk[0], bk[1], 100); !errors.Is(err, ErrBadRef) {
			t.Errorf("Get(%q, %q): %v, want ErrBadRef", bk[0], bk[1], err)
		}
		if err := d.Put(ctx, bk[0], bk[1], []byte("x"), PutOptions{}); !errors.Is(err, ErrBadRef) {
			t.Errorf("Put(%q, %q): %v, want ErrBadRef", bk[0], bk[1], err)
		}
	}
	if got, err := d.Get(ctx, "link", "secret", 100); err == nil {
		t.Errorf("Get through symlink escaped Root: %q", got)
	}
	if err := d.Put(ctx, "link", "secret", []byte("overwritten"), PutOptions{}); err == nil {
		t.Error("Put through symlink escaped Root")
	}
	if b, _ := os.ReadFile(filepath.Join(parent, "secret")); string(b) != "s" {
		t.Errorf("file outside Root changed: %q", b)
	}
}

// TestDirAtomicWrite reads while writers replace the object with different
// sizes: every read must see one complete version.
func TestDirAtomicWrite(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	versions := [][]byte{bytes.Repeat([]byte("a"), 1<<20), bytes.Repeat([]byte("b"), 3<<20)}
	if err := d.Put(ctx, "b", "k", versions[0], PutOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 10 {
				if err := d.Put(ctx, "b", "k", versions[(w+i)%2], PutOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			got, err := d.Get(ctx, "b", "k", 4<<20)
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
				t.Errorf("partial read: %d bytes", len(got))
				return
			}
		}
	})
	wg.Wait()
	entries, _ := os.ReadDir(filepath.Join(d.Root, "b"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
