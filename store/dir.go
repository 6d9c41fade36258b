package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Dir is a Store in a local directory: object (bucket, key) is the file
// Root/bucket/key. Keys use '/' as separator and are cleaned; a key that is
// empty, absolute, or has a ".." element is refused with ErrBadRef, and all
// access goes through an os.Root, so symlinks cannot escape Root either.
// Writes are atomic: a temporary file in the target directory is synced and
// renamed over the object, so readers see the old or the new bytes, never a
// part. PutOptions are ignored (no metadata is stored). Dir is safe for
// concurrent use.
type Dir struct {
	Root string // absolute, cleaned directory
}

// NewDir returns a Dir on root, which must be an existing directory.
func NewDir(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store: dir %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("store: dir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("store: dir %q is not a directory", root)
	}
	return &Dir{Root: abs}, nil
}

// objectPath returns the slash-separated path of (bucket, key) under Root.
func objectPath(bucket, key string) (string, error) {
	if bucket == "" || bucket == "." || bucket == ".." || strings.ContainsAny(bucket, `/\`) {
		return "", fmt.Errorf("%w: bucket %q", ErrBadRef, bucket)
	}
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, `\`) {
		return "", fmt.Errorf("%w: key %q", ErrBadRef, key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: key %q", ErrBadRef, key)
		}
	}
	clean := path.Clean(key)
	if clean == "." {
		return "", fmt.Errorf("%w: key %q", ErrBadRef, key)
	}
	return bucket + "/" + clean, nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, bucket, key string, maxBytes int64) ([]byte, error) {
	p, err := objectPath(bucket, key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	maxBytes = limit(maxBytes)
	root, err := os.OpenRoot(d.Root)
	if err != nil {
		return nil, fmt.Errorf("store: dir: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, bucket, key)
		}
		return nil, fmt.Errorf("store: get %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s/%s is not a file", ErrNotFound, bucket, key)
	}
	if fi.Size() > maxBytes {
		return nil, fmt.Errorf("%w: %s/%s is %d bytes, limit %d", ErrTooLarge, bucket, key, fi.Size(), maxBytes)
	}
	data, err := readLimited(f, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", bucket, key, err)
	}
	return data, nil
}

// Put implements Store, creating the bucket and key directories as needed.
func (d *Dir) Put(ctx context.Context, bucket, key string, data []byte, _ PutOptions) (err error) {
	p, err := objectPath(bucket, key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	root, err := os.OpenRoot(d.Root)
	if err != nil {
		return fmt.Errorf("store: dir: %w", err)
	}
	defer root.Close()
	name := filepath.FromSlash(p)
	dir := filepath.Dir(name)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	tmp := filepath.Join(dir, ".tmp-"+rand.Text())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	if err = root.Rename(tmp, name); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	return nil
}
