package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRouterResolve checks that any reference either is refused with
// ErrBadRef or resolves to a bucket and key that Dir accepts and that stay
// under Root.
func FuzzRouterResolve(f *testing.F) {
	root := "/srv/store"
	for _, s := range []string{"s3://b/k", "s3://b", "file:///srv/store/b/k", "file:///srv/store/../x",
		"file:///srv/store/b/%2e%2e/%2e%2e/x", "file://localhost/srv/store/b/k", "https://h/x", ""} {
		f.Add(s)
	}
	r := &Router{S3: &Dir{Root: root}, Dir: &Dir{Root: root}}
	f.Fuzz(func(t *testing.T, ref string) {
		s, bucket, key, err := r.resolve(ref)
		if err != nil {
			if !errors.Is(err, ErrBadRef) {
				t.Fatalf("resolve(%q): %v, not ErrBadRef", ref, err)
			}
			return
		}
		if s == nil || bucket == "" || key == "" {
			t.Fatalf("resolve(%q) = %v, %q, %q", ref, s, bucket, key)
		}
		if strings.HasPrefix(ref, "file://") {
			p, err := objectPath(bucket, key)
			if err != nil {
				return // Dir refuses it itself
			}
			full := filepath.Join(root, filepath.FromSlash(p))
			if !strings.HasPrefix(full, root+"/") {
				t.Fatalf("resolve(%q) escapes root: %s", ref, full)
			}
		}
	})
}

func FuzzOutputKey(f *testing.F) {
	f.Add("sku-1", "s3://b/k")
	f.Add("../..", "")
	f.Fuzz(func(t *testing.T, id, image string) {
		k := OutputKey(id, image)
		if k != OutputKey(id, image) || strings.Count(k, "/") != 1 || strings.Contains(k, "..") || k[0] == '.' {
			t.Fatalf("OutputKey(%q, %q) = %q", id, image, k)
		}
		if _, err := objectPath("b", k); err != nil {
			t.Fatalf("OutputKey(%q, %q) = %q refused by Dir: %v", id, image, k, err)
		}
	})
}
