package preview

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/store"
)

// Error is an API error: an HTTP status and a message meant for the person
// using the page. It is the JSON body of every error response:
//
//	{"error": "…", "code": "invalid_colormap", "problems": [{"line": 3, "message": "…"}]}
//
// A colour name no tier of the map knows is not an error: the preview
// flags it (see Warning).
type Error struct {
	Status int `json:"-"`
	// Code is a stable machine-readable name of the condition.
	Code string `json:"code"`
	// Message says what is wrong and what to do, in plain words.
	Message string `json:"error"`
	// Problems lists the lines of a colour-map text that do not parse.
	Problems []Problem `json:"problems,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Problem is one problem of a colour-map text.
type Problem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

var errBusy = &Error{Status: http.StatusServiceUnavailable, Code: "busy",
	Message: "The server is busy making other previews. Try again in a moment."}

// apiError maps an error of the engine, the store or the request to an
// Error. Anything not recognised is internal: the caller logs it and the
// client gets a generic 500.
func apiError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var (
		mbe *http.MaxBytesError
		le  colormap.Errors
		sc  statusCoder
		cve *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "The upload is too large."}, true
	case errors.Is(err, palette.ErrEmpty):
		return &Error{Status: http.StatusBadRequest, Code: "empty_image",
			Message: "The image is empty (0 bytes). Choose the photo again."}, true
	case errors.Is(err, palette.ErrTooLarge), errors.Is(err, store.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "The image file is too large."}, true
	case errors.Is(err, palette.ErrTooManyPx):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_many_pixels",
			Message: "The image has too many pixels. Use a smaller version of the photo."}, true
	case errors.Is(err, palette.ErrFormat):
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_format",
			Message: "This file is not an image this service can read. Use a JPEG, PNG, GIF, WebP, BMP or TIFF photo."}, true
	case errors.Is(err, palette.ErrCorrupt):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "corrupt_image",
			Message: "The image is damaged or cut short, so it cannot be read. Export or download the photo again."}, true
	case errors.Is(err, palette.ErrNoOpaque):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "no_opaque_pixel",
			Message: "The image is fully transparent: there is no colour to take."}, true
	case errors.Is(err, palette.ErrNoNames):
		return &Error{Status: http.StatusBadRequest, Code: "no_names",
			Message: "Type at least one catalog colour name, for example Navy Blue."}, true
	case errors.Is(err, palette.ErrTooManyNames):
		return &Error{Status: http.StatusBadRequest, Code: "too_many_names",
			Message: fmt.Sprintf("Too many colour names: at most %d.", palette.MaxNames)}, true
	case errors.Is(err, palette.ErrOptions):
		return &Error{Status: http.StatusBadRequest, Code: "bad_option",
			Message: "A setting of the request is out of range."}, true
	case errors.As(err, &le):
		return mapError(le), true
	case errors.Is(err, store.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden_address",
			Message: "This image address is not allowed. Only https addresses on the server's list of allowed hosts are fetched, never private or internal network addresses."}, true
	case errors.Is(err, store.ErrBadRef):
		return &Error{Status: http.StatusBadRequest, Code: "bad_reference",
			Message: "This image address cannot be used here. Give an s3://bucket/key or https:// address the server is set up to read, or upload the photo."}, true
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "image_not_found",
			Message: "No image was found at this address."}, true
	case errors.Is(err, errBusy):
		return errBusy, true
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: "timeout",
			Message: "This took too long and was stopped. Try again, or use a smaller photo."}, true
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: "canceled", Message: "The request was cancelled."}, true
	case store.IsTransient(err):
		return &Error{Status: http.StatusBadGateway, Code: "fetch_failed",
			Message: "The image could not be fetched just now. Try again in a moment."}, true
	case errors.As(err, &sc) && sc.HTTPStatusCode() >= 400:
		return &Error{Status: http.StatusBadGateway, Code: "fetch_failed", Message: fmt.Sprintf(
			"The image address answered with HTTP status %d, so the image could not be fetched. Check the address, or upload the photo instead.",
			sc.HTTPStatusCode())}, true
	case errors.As(err, &cve):
		return &Error{Status: http.StatusBadGateway, Code: "fetch_failed",
			Message: "The image host's security certificate is not valid, so the image was not fetched. Check the address, or upload the photo instead."}, true
	}
	return nil, false
}

// statusCoder is an error of the image host's answer with its HTTP status
// (store.StatusError, the S3 client's errors).
type statusCoder interface{ HTTPStatusCode() int }

// mapError turns the problems of a colour-map text into a 422.
func mapError(le colormap.Errors) *Error {
	e := &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_colormap",
		Message: "The colour map has problems; nothing was changed."}
	e.Problems = problems(le)
	return e
}

func problems(le colormap.Errors) []Problem {
	ps := make([]Problem, len(le))
	for i, l := range le {
		ps[i] = Problem{Line: l.Line, Message: l.Msg}
	}
	return ps
}

// ErrInternal is the answer to an error that is not the client's (the
// caller logs the error itself): a generic 500.
var ErrInternal = &Error{Status: http.StatusInternalServerError, Code: "internal",
	Message: "Something went wrong on the server. Try again; if it keeps happening, tell the team that runs palette."}

// writeError writes err as JSON; errors that are not the client's are
// logged and answered with ErrInternal.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := apiError(err)
	if !ok {
		s.log.Error("preview: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = ErrInternal
	} else if e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
		s.log.Warn("preview: request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	WriteError(w, e)
}

// WriteError writes e as the JSON answer, with its status (and, for a
// 401, the WWW-Authenticate challenge). Package review answers the same
// way.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="palette"`)
	}
	WriteJSON(w, e.Status, e)
}

// WriteJSON writes v as a JSON response with status (and Cache-Control:
// no-store unless set): the form of every API answer, errors included
// (an *Error as v). Package review answers the same way.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // unreachable for the types written here
		status, b = http.StatusInternalServerError, []byte(`{"code":"internal","error":"Something went wrong on the server."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}
