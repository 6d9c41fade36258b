package store

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Router reads and writes by reference:
//
//	s3://bucket/key     the S3 store (key as written, not URL-decoded)
//	file:///abs/path    Dir; the path must lie under Dir.Root, and its first
//	                    element below Root is the bucket
//	https://host/path   HTTP (read only; http:// only with AllowPrivate)
//
// A reference with another scheme, an empty bucket or key, or a scheme
// whose store is nil is ErrBadRef. Router is safe for concurrent use if its
// stores are.
type Router struct {
	S3   Store
	Dir  *Dir
	HTTP *HTTP
}

// Get returns the bytes of the object ref names, at most maxBytes of them
// (<= 0 means DefaultMaxBytes).
func (r *Router) Get(ctx context.Context, ref string, maxBytes int64) ([]byte, error) {
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		if r.HTTP == nil {
			return nil, fmt.Errorf("%w: no http reader for %q", ErrBadRef, ref)
		}
		return r.HTTP.Get(ctx, ref, maxBytes)
	}
	s, bucket, key, err := r.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, bucket, key, maxBytes)
}

// Put writes data to the s3:// or file:// object ref names.
func (r *Router) Put(ctx context.Context, ref string, data []byte, o PutOptions) error {
	s, bucket, key, err := r.resolve(ref)
	if err != nil {
		return err
	}
	return s.Put(ctx, bucket, key, data, o)
}

// Stat returns the ETag, metadata and size of the s3:// or file:// object
// ref names, or ErrNotFound.
func (r *Router) Stat(ctx context.Context, ref string) (Info, error) {
	s, bucket, key, err := r.resolve(ref)
	if err != nil {
		return Info{}, err
	}
	return s.Stat(ctx, bucket, key)
}

// resolve maps an s3:// or file:// reference to a store, bucket and key.
func (r *Router) resolve(ref string) (Store, string, string, error) {
	switch {
	case strings.HasPrefix(ref, "s3://"):
		bucket, key, ok := strings.Cut(strings.TrimPrefix(ref, "s3://"), "/")
		if !ok || bucket == "" || key == "" {
			return nil, "", "", fmt.Errorf("%w: %q: want s3://bucket/key", ErrBadRef, ref)
		}
		if r.S3 == nil {
			return nil, "", "", fmt.Errorf("%w: no s3 store for %q", ErrBadRef, ref)
		}
		return r.S3, bucket, key, nil
	case strings.HasPrefix(ref, "file://"):
		bucket, key, err := r.filePath(ref)
		if err != nil {
			return nil, "", "", err
		}
		return r.Dir, bucket, key, nil
	}
	return nil, "", "", fmt.Errorf("%w: %q: want s3://, file:// or https://", ErrBadRef, ref)
}

func (r *Router) filePath(ref string) (bucket, key string, err error) {
	u, err := url.Parse(ref)
	if err != nil || (u.Host != "" && u.Host != "localhost") || u.RawQuery != "" || u.Fragment != "" ||
		!strings.HasPrefix(u.Path, "/") {
		return "", "", fmt.Errorf("%w: %q: want file:///absolute/path", ErrBadRef, ref)
	}
	if r.Dir == nil {
		return "", "", fmt.Errorf("%w: no directory store for %q", ErrBadRef, ref)
	}
	for _, el := range strings.Split(u.Path, "/") {
		if el == ".." {
			return "", "", fmt.Errorf("%w: %q: \"..\" in path", ErrBadRef, ref)
		}
	}
	rel, err := filepath.Rel(r.Dir.Root, filepath.FromSlash(u.Path))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%w: %q is not under %s", ErrBadRef, ref, r.Dir.Root)
	}
	bucket, key, ok := strings.Cut(filepath.ToSlash(rel), "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("%w: %q: want file://%s/bucket/key", ErrBadRef, ref, filepath.ToSlash(r.Dir.Root))
	}
	return bucket, key, nil
}
