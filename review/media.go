package review

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/preview"
	"github.com/palette-dev/palette/store"
)

// Limits of the bytes the review page reads through the Handler.
const (
	// DefaultMaxImageBytes is Config.MaxImageBytes' default: the
	// engine's limit on a photo.
	DefaultMaxImageBytes = palette.DefaultMaxBytes
	// MaxSwatchBytes bounds a swatch read for the page; swatches are a
	// few hundred bytes.
	MaxSwatchBytes = 1 << 20
	// maxObjectReads is how many photos or swatches are read at once;
	// further requests wait (within the timeout, then 503), so that
	// memory stays bounded however many thumbnails a page asks for.
	maxObjectReads = 4
)

// pageTypes are the types the page is served: what a browser shows in an
// <img>, sniffed by http.DetectContentType (never SVG, which can hold
// script, nor what the object's own metadata claims).
var pageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true}

// itemObject serves GET /v1/review/{id}/image (the item's photo) and
// /v1/review/{id}/swatch (its swatch): only these two references of an
// item on the list, never one the request names, since the server's
// credentials may read far more than the pages should show.
func (h *Handler) itemObject(swatch bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.cfg.Objects == nil {
			return &preview.Error{Status: http.StatusNotImplemented, Code: "not_available",
				Message: "This server has no object store to read photos and swatches from."}
		}
		it, ok := h.cfg.Index.Get(r.PathValue("id"))
		if !ok {
			return &preview.Error{Status: http.StatusNotFound, Code: "no_item", Message: "No item on the list has this id (it may have been fixed since)."}
		}
		ref, limit, what := it.Image, h.cfg.MaxImageBytes, "photo"
		if swatch {
			ref, limit, what = it.Output, MaxSwatchBytes, "swatch"
			if ref != "" && h.cfg.CheckOutput != nil && h.cfg.CheckOutput(ref, "") != nil {
				ref = "" // not where the worker writes swatches: not read
			}
		}
		if ref == "" {
			return &preview.Error{Status: http.StatusNotFound, Code: "not_found", Message: "This item has no " + what + " to show."}
		}
		select {
		case h.reads <- struct{}{}:
		case <-r.Context().Done():
			return &preview.Error{Status: http.StatusServiceUnavailable, Code: "busy", Message: "The server is busy. Try again in a moment."}
		}
		data, err := h.cfg.Objects.Get(r.Context(), ref, limit)
		<-h.reads
		badRef := "This server cannot read the " + what + "'s address."
		if e := storeFailure(err, "The "+what+" is not in the store.", "bad_reference", badRef); e != nil {
			return e
		}
		switch {
		case errors.Is(err, store.ErrTooLarge):
			return &preview.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The " + what + " is too large to show."}
		case errors.Is(err, store.ErrForbidden):
			return &preview.Error{Status: http.StatusUnprocessableEntity, Code: "bad_reference", Message: badRef}
		case err != nil:
			return err
		}
		ct := http.DetectContentType(data)
		if !pageTypes[ct] {
			return &preview.Error{Status: http.StatusUnsupportedMediaType, Code: "not_an_image", Message: "The " + what + " is not an image a browser can show."}
		}
		hd := w.Header()
		hd.Set("Content-Type", ct)
		hd.Set("Content-Disposition", "inline")
		if swatch {
			hd.Set("Cache-Control", "no-store") // a fix changes it
		} else {
			hd.Set("Cache-Control", "private, max-age=300")
		}
		hd.Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method != http.MethodHead {
			w.Write(data)
		}
		return nil
	}
}
