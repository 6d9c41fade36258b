package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Dir is a Store in a local directory: object (bucket, key) is the file
// Root/bucket/key. Keys use '/' as separator and are cleaned; a key that is
// empty, absolute, or has a ".." element is refused with ErrBadRef, and all
// access goes through an os.Root, so symlinks cannot escape Root either.
// Writes are atomic: a temporary file in the target directory is synced and
// renamed over the object, so readers see the old or the new bytes, never a
// part. PutOptions.ContentType and CacheControl are ignored.
//
// Metadata lives in a sidecar file beside the object, "<key>.meta.json" (a
// JSON object of strings), written atomically after the object and removed
// by a Put without metadata; keys ending in ".meta.json" are refused. The
// ETag is a hash of the bytes and the metadata. Conditional Puts and Stat
// are atomic against each other within this process (one lock per Dir),
// not against other processes writing the same directory; a crash between
// the object's write and its sidecar's leaves the new bytes with the old
// metadata. Dir is safe for concurrent use.
type Dir struct {
	Root string // absolute, cleaned directory

	mu sync.Mutex // serialises Put and Stat
}

// metaSuffix names an object's metadata sidecar.
const metaSuffix = ".meta.json"

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
func (d *Dir) Put(ctx context.Context, bucket, key string, data []byte, o PutOptions) (err error) {
	p, err := objectPath(bucket, key)
	if err != nil {
		return err
	}
	if strings.HasSuffix(p, metaSuffix) {
		return fmt.Errorf("%w: key %q: names a metadata sidecar", ErrBadRef, key)
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
	if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.IfMatch != "" || o.IfNoneMatch != "" {
		info, err := d.stat(root, name)
		switch {
		case errors.Is(err, ErrNotFound):
			if o.IfMatch != "" {
				return fmt.Errorf("%w: %s/%s does not exist", ErrPreconditionFailed, bucket, key)
			}
		case err != nil:
			return fmt.Errorf("store: put %s: %w", p, err)
		case o.IfNoneMatch == "*", o.IfMatch != "" && o.IfMatch != info.ETag:
			return fmt.Errorf("%w: %s/%s", ErrPreconditionFailed, bucket, key)
		}
	}
	if err := writeFile(root, name, data); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	if len(o.Metadata) == 0 {
		if err := root.Remove(name + metaSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: put %s: %w", p, err)
		}
		return nil
	}
	meta, err := json.Marshal(o.Metadata)
	if err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	if err := writeFile(root, name+metaSuffix, meta); err != nil {
		return fmt.Errorf("store: put %s: %w", p, err)
	}
	return nil
}

// Stat implements Store: the ETag hashes the bytes and the metadata.
func (d *Dir) Stat(ctx context.Context, bucket, key string) (Info, error) {
	p, err := objectPath(bucket, key)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	root, err := os.OpenRoot(d.Root)
	if err != nil {
		return Info{}, fmt.Errorf("store: dir: %w", err)
	}
	defer root.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	info, err := d.stat(root, filepath.FromSlash(p))
	if errors.Is(err, ErrNotFound) {
		return Info{}, fmt.Errorf("%w: %s/%s", ErrNotFound, bucket, key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("store: stat %s: %w", p, err)
	}
	return info, nil
}

// stat reads the object name and its sidecar; the caller holds d.mu.
func (d *Dir) stat(root *os.Root, name string) (Info, error) {
	data, err := root.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || errors.Is(err, syscall.EISDIR) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, err
	}
	meta, err := root.ReadFile(name + metaSuffix)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Info{}, err
	}
	info := Info{Size: int64(len(data))}
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &info.Metadata); err != nil {
			return Info{}, fmt.Errorf("metadata sidecar %s: %w", name+metaSuffix, err)
		}
	}
	h := sha256.New()
	h.Write(data)
	h.Write([]byte{0})
	h.Write(meta)
	info.ETag = `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
	return info, nil
}

// writeFile writes data to name atomically: a temporary file in the same
// directory, synced, then renamed over name.
func writeFile(root *os.Root, name string, data []byte) (err error) {
	dir := filepath.Dir(name)
	tmp := filepath.Join(dir, ".tmp-"+rand.Text())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return root.Rename(tmp, name)
}
