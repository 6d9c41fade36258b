package review

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/palette-dev/palette/preview"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/render"
	"github.com/palette-dev/palette/store"
)

// Objects reads and writes swatch objects by reference ("s3://…",
// "file:///…"); *store.Router is one.
type Objects interface {
	Get(ctx context.Context, ref string, maxBytes int64) ([]byte, error)
	Put(ctx context.Context, ref string, data []byte, o store.PutOptions) error
	Stat(ctx context.Context, ref string) (store.Info, error)
}

// Config is what a Handler needs. Only Index is required: without
// AdminToken, Objects, CheckOutput and Publish the fix endpoints answer 403
// or 501, without Redrive "send again" answers 501.
type Config struct {
	// Index is the list GET /v1/review serves.
	Index *Index
	// AdminToken is the bearer token fixes, unpins and redrives need;
	// empty means they are refused (403 read_only).
	AdminToken string
	// Objects is where swatches are written.
	Objects Objects
	// CheckOutput says why a swatch may not be written to output (for a
	// job of image), or nil: the worker's output policy
	// (store.CheckOutput with its allow list).
	CheckOutput func(output, image string) error
	// Publish publishes a result event (queue.Publisher.Publish).
	Publish func(ctx context.Context, r queue.Result) error
	// Redrive sends the dead letter at partition/offset of the
	// dead-letter topic back to the jobs topic (queue.RedriveOne).
	Redrive func(ctx context.Context, partition int, offset int64) (queue.Letter, error)
	// Size is the swatch side in pixels, as the worker's; 0 means
	// render.DefaultSize.
	Size int
	// MaxImageBytes bounds a photo read for the page (GET
	// /v1/review/{id}/image); 0 means DefaultMaxImageBytes.
	MaxImageBytes int64
	// CacheControl is set on fixed swatches, as the worker's.
	CacheControl string
	// Timeout bounds each request; 0 means 30s.
	Timeout time.Duration
	// Logger receives failures that are not the client's; nil discards
	// them.
	Logger *slog.Logger
}

// Handler serves the review API (see the README, "Review and fix"):
//
//	GET    /v1/review            the list: ?reason=R&q=TEXT&limit=N&cursor=C
//	GET    /v1/review/{id}/image the photo of an item on the list
//	GET    /v1/review/{id}/swatch the swatch of an item on the list (no-store)
//	POST   /v1/fix               write a swatch of chosen colours, pinned (admin)
//	POST   /v1/fix/preview       the PNG a fix of these colours would write
//	GET    /v1/fix?output=REF    whether the swatch at REF is pinned, and its fix
//	DELETE /v1/fix?output=REF    unpin: the next job regenerates it (admin)
//	POST   /v1/review/redrive    send a dead letter again (admin)
//
// Answers are JSON; errors are preview.Error. It is safe for concurrent
// use.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	reads chan struct{} // photos and swatches being read (maxObjectReads)
}

// Paths are the paths a Handler serves, for mounting it.
var Paths = []string{"/v1/review", "/v1/review/", "/v1/fix", "/v1/fix/"}

// allowed are the methods of each path the Handler serves, for a 405's
// Allow.
var allowed = map[string]string{"/v1/review": "GET, HEAD", "/v1/fix": "GET, HEAD, POST, DELETE", "/v1/review/redrive": "POST", "/v1/fix/preview": "POST"}

// NewHandler returns the Handler of cfg.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Index == nil {
		return nil, errors.New("review: no index")
	}
	if cfg.Size != 0 && (cfg.Size < render.MinSize || cfg.Size > render.MaxSize) {
		return nil, fmt.Errorf("review: size %d is outside %d to %d", cfg.Size, render.MinSize, render.MaxSize)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	h := &Handler{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), reads: make(chan struct{}, maxObjectReads)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.mux.Handle("GET /v1/review", h.api(h.list))
	h.mux.Handle("GET /v1/review/{id}/image", h.api(h.itemObject(false)))
	h.mux.Handle("GET /v1/review/{id}/swatch", h.api(h.itemObject(true)))
	h.mux.Handle("POST /v1/fix", h.api(h.admin(h.fix)))
	h.mux.Handle("POST /v1/fix/preview", h.api(h.fixPreview))
	h.mux.Handle("GET /v1/fix", h.api(h.pin))
	h.mux.Handle("DELETE /v1/fix", h.api(h.admin(h.unpin)))
	h.mux.Handle("POST /v1/review/redrive", h.api(h.admin(h.redrive)))
	h.mux.Handle("/", h.api(func(w http.ResponseWriter, r *http.Request) error {
		allow, ok := allowed[r.URL.Path]
		if ok {
			w.Header().Set("Allow", allow)
			return &preview.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "This endpoint takes " + allow + " only."}
		}
		return &preview.Error{Status: http.StatusNotFound, Code: "not_found", Message: "There is no such API endpoint."}
	}))
	return h, nil
}

// ServeHTTP serves the routes of Handler, with the preview's security
// headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	preview.SecurityHeaders(w.Header())
	h.mux.ServeHTTP(w, r)
}

// api adapts a handler returning an error: a timeout, and the error as
// JSON (*preview.Error as is; anything else logged, preview.ErrInternal).
func (h *Handler) api(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.Timeout)
		defer cancel()
		err := fn(w, r.WithContext(ctx))
		if err == nil {
			return
		}
		var e *preview.Error
		if !errors.As(err, &e) {
			h.log.Error("review: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			e = preview.ErrInternal
		}
		preview.WriteError(w, e)
	})
}

// admin checks the admin token before fn.
func (h *Handler) admin(fn func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.cfg.AdminToken == "" {
			return &preview.Error{Status: http.StatusForbidden, Code: "read_only",
				Message: "Fixing is turned off: this server was started without an admin token."}
		}
		if err := preview.Authorize(r, h.cfg.AdminToken); err != nil {
			return err
		}
		return fn(w, r)
	}
}

func badRequest(code, format string, a ...any) *preview.Error {
	return &preview.Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, a...)}
}

var errNoStore = &preview.Error{Status: http.StatusNotImplemented, Code: "not_available",
	Message: "This server cannot write swatches (it has no object store or no producer): fix them on a palette-worker."}

// list serves GET /v1/review.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := Query{Reason: v.Get("reason"), Q: v.Get("q"), Cursor: v.Get("cursor")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return badRequest("bad_query", "limit must be a number from 1 to %d.", MaxLimit)
		}
		q.Limit = n
	}
	p, err := h.cfg.Index.List(q)
	if err != nil {
		return badRequest("bad_query", "%s.", strings.TrimPrefix(err.Error(), ErrQuery.Error()+"\n"))
	}
	preview.WriteJSON(w, http.StatusOK, p)
	return nil
}

// FixRequest is the body of POST /v1/fix.
type FixRequest struct {
	ProductID string     `json:"product_id"`
	Image     string     `json:"image"`
	Output    string     `json:"output"`
	Colors    []FixColor `json:"colors"`
	FixedBy   string     `json:"fixed_by"`
}

// FixResponse is the answer of POST /v1/fix, and of GET and DELETE
// /v1/fix (Pinned, and Fix when pinned or when DELETE unpinned it).
type FixResponse struct {
	ProductID string `json:"product_id,omitempty"`
	Image     string `json:"image,omitempty"`
	Output    string `json:"output"`
	Pinned    bool   `json:"pinned"`
	Fix       *Fix   `json:"fix,omitempty"`
	Bytes     int    `json:"bytes,omitempty"`
}

const maxFixBody = 64 << 10

// fix serves POST /v1/fix: check, render, write pinned, publish.
func (h *Handler) fix(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Objects == nil || h.cfg.Publish == nil || h.cfg.CheckOutput == nil {
		return errNoStore
	}
	var req FixRequest
	if err := decodeFix(w, r, &req, `{"product_id","image","output","colors":[{"name","hex"}],"fixed_by"}`); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(req.ProductID) == "" || len(req.ProductID) > queue.MaxProductIDBytes:
		return badRequest("bad_fix", "product_id is required, at most %d bytes.", queue.MaxProductIDBytes)
	case strings.TrimSpace(req.Image) == "" || len(req.Image) > queue.MaxImageBytes:
		return badRequest("bad_fix", "image is required, at most %d bytes.", queue.MaxImageBytes)
	case req.Output == "" || len(req.Output) > queue.MaxOutputBytes:
		return badRequest("bad_fix", "output is required, at most %d bytes.", queue.MaxOutputBytes)
	}
	if err := h.cfg.CheckOutput(req.Output, req.Image); err != nil {
		return &preview.Error{Status: http.StatusUnprocessableEntity, Code: "output_refused",
			Message: "This output cannot be written: " + strings.TrimPrefix(err.Error(), store.ErrOutputRefused.Error()+": ") + "."}
	}
	f := Fix{Colors: req.Colors, FixedBy: req.FixedBy, At: time.Now().UTC()}
	png, err := h.render(&f)
	if err != nil {
		return err
	}
	// Unconditional: a person's choice wins over whatever is there.
	o := store.PutOptions{ContentType: "image/png", CacheControl: h.cfg.CacheControl, Metadata: f.Metadata()}
	if err := h.cfg.Objects.Put(r.Context(), req.Output, png, o); err != nil {
		return storeError("writing", req.Output, err)
	}
	h.log.Info("review: swatch fixed by hand", "output", req.Output, "product_id", req.ProductID, "fixed_by", f.FixedBy, "colors", len(f.Colors))
	if err := h.cfg.Publish(r.Context(), f.Result(req.ProductID, req.Image, req.Output, len(png))); err != nil {
		h.log.Error("review: publishing a fix's result", "output", req.Output, "err", err)
		return &preview.Error{Status: http.StatusBadGateway, Code: "publish_failed",
			Message: "The swatch was written and pinned, but its result event could not be published. Save the fix again (it is safe to repeat)."}
	}
	preview.WriteJSON(w, http.StatusOK, FixResponse{ProductID: req.ProductID, Image: req.Image, Output: req.Output, Pinned: true, Fix: &f, Bytes: len(png)})
	return nil
}

// render checks f (lower-casing its hex codes) and renders its swatch at
// the Handler's size; a fix that does not check is a 400 bad_fix.
func (h *Handler) render(f *Fix) ([]byte, error) {
	if err := f.Check(); err != nil {
		return nil, badRequest("bad_fix", "%s.", strings.TrimPrefix(err.Error(), ErrFix.Error()+": "))
	}
	png, err := f.PNG(h.cfg.Size)
	if err != nil {
		return nil, badRequest("bad_fix", "%v.", err)
	}
	return png, nil
}

// decodeFix reads the body as exactly one JSON object into v (no
// unknown fields, at most maxFixBody bytes); like says what it should
// look like.
func decodeFix(w http.ResponseWriter, r *http.Request, v any, like string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFixBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &preview.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The request is too large."}
		}
		return badRequest("bad_request", "The body must be JSON like %s: %v.", like, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("bad_request", "The body must hold one JSON object.")
	}
	return nil
}

// FixPreviewRequest is the body of POST /v1/fix/preview: the colours of a
// fix not made yet, and optionally who makes it (checked as a fix's,
// since it counts towards the metadata limit).
type FixPreviewRequest struct {
	Colors  []FixColor `json:"colors"`
	FixedBy string     `json:"fixed_by,omitempty"`
}

// fixPreview serves POST /v1/fix/preview: the swatch PNG a fix of these
// colours writes, from the same code (Fix.PNG at the Handler's size), so
// that the page previews exactly what Publish writes. It writes nothing
// and needs no token; 400 bad_fix as POST /v1/fix.
func (h *Handler) fixPreview(w http.ResponseWriter, r *http.Request) error {
	var req FixPreviewRequest
	if err := decodeFix(w, r, &req, `{"colors":[{"name","hex"}]}`); err != nil {
		return err
	}
	f := Fix{Colors: req.Colors, FixedBy: cmp.Or(req.FixedBy, "preview"), At: time.Now().UTC()}
	png, err := h.render(&f)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("Content-Length", strconv.Itoa(len(png)))
	hd.Set("Cache-Control", "no-store")
	w.Write(png)
	return nil
}

// outputParam reads and checks ?output=.
func (h *Handler) outputParam(r *http.Request) (string, error) {
	if h.cfg.Objects == nil || h.cfg.CheckOutput == nil {
		return "", errNoStore
	}
	out := r.URL.Query().Get("output")
	if out == "" || len(out) > queue.MaxOutputBytes {
		return "", badRequest("bad_request", "Give the swatch as ?output=s3://bucket/key.")
	}
	if err := h.cfg.CheckOutput(out, ""); err != nil {
		return "", &preview.Error{Status: http.StatusUnprocessableEntity, Code: "output_refused",
			Message: "This output is not one the worker writes: " + strings.TrimPrefix(err.Error(), store.ErrOutputRefused.Error()+": ") + "."}
	}
	return out, nil
}

// pin serves GET /v1/fix?output=REF.
func (h *Handler) pin(w http.ResponseWriter, r *http.Request) error {
	out, err := h.outputParam(r)
	if err != nil {
		return err
	}
	info, err := h.cfg.Objects.Stat(r.Context(), out)
	if err != nil {
		return storeError("reading", out, err)
	}
	resp := FixResponse{Output: out, Bytes: int(info.Size)}
	if f, ok := FixOf(info.Metadata); ok {
		resp.Pinned, resp.Fix = true, &f
	}
	preview.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// unpin serves DELETE /v1/fix?output=REF: the object is rewritten with the
// same bytes and no fix metadata, if it is still the version read.
func (h *Handler) unpin(w http.ResponseWriter, r *http.Request) error {
	out, err := h.outputParam(r)
	if err != nil {
		return err
	}
	for range 5 {
		info, err := h.cfg.Objects.Stat(r.Context(), out)
		if err != nil {
			return storeError("reading", out, err)
		}
		f, ok := FixOf(info.Metadata)
		if !ok {
			preview.WriteJSON(w, http.StatusOK, FixResponse{Output: out})
			return nil
		}
		data, err := h.cfg.Objects.Get(r.Context(), out, 0)
		if err != nil {
			return storeError("reading", out, err)
		}
		o := store.PutOptions{ContentType: "image/png", CacheControl: h.cfg.CacheControl, IfMatch: info.ETag}
		err = h.cfg.Objects.Put(r.Context(), out, data, o)
		if errors.Is(err, store.ErrPreconditionFailed) {
			continue // written meanwhile: look again
		}
		if err != nil {
			return storeError("writing", out, err)
		}
		h.log.Info("review: swatch unpinned", "output", out, "was_fixed_by", f.FixedBy)
		preview.WriteJSON(w, http.StatusOK, FixResponse{Output: out, Fix: &f})
		return nil
	}
	return &preview.Error{Status: http.StatusConflict, Code: "busy_object",
		Message: "The swatch kept changing while it was being unpinned. Try again."}
}

// RedriveRequest is the body of POST /v1/review/redrive: a dead letter's
// partition and offset, or the ID of its item.
type RedriveRequest struct {
	ID        string `json:"id,omitempty"`
	Partition *int   `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
}

// RedriveResponse is the answer of POST /v1/review/redrive.
type RedriveResponse struct {
	Redriven  bool   `json:"redriven"`
	ProductID string `json:"product_id"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Class     string `json:"class"`
	Error     string `json:"error"`
}

// redrive serves POST /v1/review/redrive.
func (h *Handler) redrive(w http.ResponseWriter, r *http.Request) error {
	if h.cfg.Redrive == nil {
		return &preview.Error{Status: http.StatusNotImplemented, Code: "not_available", Message: "This server cannot send dead letters again."}
	}
	var req RedriveRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		return badRequest("bad_request", `The body must be JSON: {"partition":N,"offset":M} or {"id":"…"}.`)
	}
	var part int
	var off int64
	switch {
	case req.ID != "":
		it, ok := h.cfg.Index.Get(req.ID)
		if !ok || it.Reason != ReasonDeadLetter {
			return &preview.Error{Status: http.StatusNotFound, Code: "no_letter", Message: "No dead letter on the list has this id (it may have been fixed or redriven since)."}
		}
		part, off = it.Partition, it.Offset
	case req.Partition != nil && req.Offset != nil && *req.Partition >= 0 && *req.Offset >= 0:
		part, off = *req.Partition, *req.Offset
	default:
		return badRequest("bad_request", `Give {"partition":N,"offset":M} (not negative) or {"id":"…"}.`)
	}
	l, err := h.cfg.Redrive(r.Context(), part, off)
	if errors.Is(err, queue.ErrNoLetter) {
		return &preview.Error{Status: http.StatusNotFound, Code: "no_letter", Message: "There is no dead letter at this partition and offset."}
	}
	if err != nil {
		h.log.Error("review: redrive", "partition", part, "offset", off, "err", err)
		return &preview.Error{Status: http.StatusBadGateway, Code: "redrive_failed", Message: "The dead letter could not be sent again just now. Try again in a moment."}
	}
	h.log.Info("review: dead letter sent again", "partition", part, "offset", off, "product_id", string(l.Key))
	preview.WriteJSON(w, http.StatusOK, RedriveResponse{Redriven: true, ProductID: string(l.Key), Partition: l.Partition, Offset: l.Offset, Class: l.Class, Error: l.Reason})
	return nil
}

// storeError maps a store failure to an answer.
func storeError(doing, ref string, err error) error {
	if e := storeFailure(err, "There is no swatch at this output.", "output_refused", "This server cannot write to this output."); e != nil {
		return e
	}
	return fmt.Errorf("review: %s %s: %w", doing, ref, err)
}

// storeFailure answers the store errors every read and write of the
// Handler meets: store.ErrNotFound (404 not_found, saying notFound),
// store.ErrBadRef (422 badRefCode, saying badRef) and a transient failure
// (502 store_failed); nil for any other error.
func storeFailure(err error, notFound, badRefCode, badRef string) *preview.Error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &preview.Error{Status: http.StatusNotFound, Code: "not_found", Message: notFound}
	case errors.Is(err, store.ErrBadRef):
		return &preview.Error{Status: http.StatusUnprocessableEntity, Code: badRefCode, Message: badRef}
	case store.IsTransient(err):
		return &preview.Error{Status: http.StatusBadGateway, Code: "store_failed", Message: "The object store did not answer just now. Try again in a moment."}
	}
	return nil
}
