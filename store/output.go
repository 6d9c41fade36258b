package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrOutputRefused is wrapped by the errors of CheckOutput.
var ErrOutputRefused = errors.New("store: output refused")

// CheckOutput says why a job may not write its swatch to the s3:// or
// file:// reference out, or nil if it may: out must lie under one of the
// prefixes in allow ("s3://palettes/", "s3://palettes" meaning the whole
// bucket), must not be the job's own image nor lie under it, and must have
// no empty, "." or ".." path segment and no control character. A job
// could otherwise overwrite its own product photo, or any key the
// credentials can write.
func CheckOutput(out, image string, allow []string) error {
	refuse := func(why string) error { return fmt.Errorf("%w: %q %s", ErrOutputRefused, out, why) }
	scheme, path, ok := strings.Cut(out, "://")
	if !ok || scheme != "s3" && scheme != "file" {
		return refuse("is not an s3:// or file:// reference")
	}
	if strings.IndexFunc(out, unicode.IsControl) >= 0 {
		return refuse("holds a control character")
	}
	if scheme == "file" {
		path = strings.TrimPrefix(path, "/") // file:///abs/path
	}
	for _, seg := range strings.Split(path, "/") {
		switch seg {
		case "":
			return refuse("has an empty path segment")
		case ".", "..":
			return refuse(fmt.Sprintf("has a %q path segment", seg))
		}
	}
	if out == image || strings.HasPrefix(out, strings.TrimSuffix(image, "/")+"/") {
		return refuse("is the job's own image")
	}
	for _, a := range allow {
		if a == "" {
			continue
		}
		if !strings.HasSuffix(a, "/") {
			a += "/"
		}
		if strings.HasPrefix(out, a) {
			return nil
		}
	}
	return refuse(fmt.Sprintf("is outside the allowed outputs %s", strings.Join(allow, ", ")))
}

// OutputPrefix is the fixed part of an output template up to its last "/"
// before the first placeholder: "s3://palettes/{key}" gives
// "s3://palettes/". It is the default allowed output prefix.
func OutputPrefix(template string) string {
	if i := strings.IndexByte(template, '{'); i >= 0 {
		template = template[:i]
	}
	return template[:strings.LastIndexByte(template, '/')+1]
}
