// Package preview serves the swatch preview, the colour-map editor and the
// review page that catalog ops use in a browser: an HTTP API (/v1/...),
// three pages (/, /colormap and /review) and their embedded assets
// (/assets/...).
//
// Routes:
//
//	GET  /                      the ops page: a photo and colour names → swatch, picks, warnings
//	GET  /colormap              the colour-map editor
//	GET  /review                the review page: flagged swatches and dead letters, fixed by hand (its API is package review's)
//	POST /v1/preview            multipart (image, colors, size, colormap) or JSON → result JSON, or the PNG with Accept: image/png
//	GET  /v1/preview            ?image=REF&colors=Grey,Pink&size=40 → the swatch PNG (ETag, If-None-Match)
//	GET  /v1/colormap           the map as JSON (entries and raw text), with an ETag
//	PUT  /v1/colormap           replace the map (Authorization: Bearer TOKEN, If-Match: ETAG)
//	POST /v1/colormap/check     validate a map text without saving it
//	GET  /assets/...            the pages' CSS and scripts
//
// The pages make no request to any other host. A [Server] is safe for
// concurrent use; it bounds the previews it computes at once (see
// [Config.MaxInFlight]).
package preview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/render"
)

// Config configures a Server. The zero value serves previews on the
// embedded default colour map, uploads only, with the editor read-only.
type Config struct {
	// Map returns the colour map in use now (the worker's current map). Nil
	// means the Server keeps the map itself: loaded from ColormapFile when
	// set (and reloaded when that file changes on disk), else
	// colormap.Default().
	Map func() *colormap.Map
	// ColormapFile is where saves from the editor go. Empty means the
	// editor is read-only.
	ColormapFile string
	// OnSave is called, while no other save can run, with the map just
	// written to ColormapFile, so that a running worker uses it at once.
	// Required when Map and ColormapFile are both set: Map must return the
	// saved map once OnSave has returned.
	OnSave func(*colormap.Map)
	// AdminToken is the bearer token that saving the map requires. Empty
	// means the editor is read-only (PUT /v1/colormap answers 403).
	AdminToken string
	// Fetch reads an image reference ("s3://…", "https://…") within
	// maxBytes, typically store.Router.Get, whose HTTP reader enforces the
	// host allow-list and refuses private addresses. Nil means previews
	// take uploads only.
	Fetch func(ctx context.Context, ref string, maxBytes int64) ([]byte, error)
	// Size is the default swatch side in pixels; 0 means render.DefaultSize
	// (40). A request may ask for render.MinSize to render.MaxSize.
	Size int
	// Limits bound uploaded and fetched images; nil means the engine's
	// defaults (palette.DefaultMaxBytes, palette.DefaultMaxPixels).
	Limits *palette.Limits
	// Timeout bounds each API request: reading the body, fetching the
	// image and computing the preview; 0 means 30s.
	Timeout time.Duration
	// MaxInFlight is how many previews are computed at once; further
	// requests wait (within Timeout, then 503). 0 means GOMAXPROCS.
	MaxInFlight int
	// Logger receives errors that are not the client's fault; nil discards
	// them.
	Logger *slog.Logger
}

// Defaults of the zero Config.
const (
	DefaultTimeout = 30 * time.Second
)

// ErrConfig is wrapped by the errors of Config.Validate.
var ErrConfig = errors.New("preview: invalid config")

// Validate reports the first problem of the configuration.
func (c Config) Validate() error {
	switch {
	case c.Size != 0 && (c.Size < render.MinSize || c.Size > render.MaxSize):
		return fmt.Errorf("%w: Size %d is outside %d to %d", ErrConfig, c.Size, render.MinSize, render.MaxSize)
	case c.Timeout < 0:
		return fmt.Errorf("%w: negative Timeout", ErrConfig)
	case c.MaxInFlight < 0:
		return fmt.Errorf("%w: negative MaxInFlight", ErrConfig)
	case c.Limits != nil && (c.Limits.MaxBytes < 0 || c.Limits.MaxPixels < 0):
		return fmt.Errorf("%w: negative Limits", ErrConfig)
	case c.Map != nil && c.ColormapFile != "" && c.OnSave == nil:
		return fmt.Errorf("%w: with Map and ColormapFile, OnSave is needed so that saves take effect", ErrConfig)
	}
	return nil
}

// Server is the preview and editor handler. It is safe for concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	slots chan struct{}
	// bodies bounds the requests holding a body or a fetched image in
	// memory (twice the slots), so that memory stays bounded however many
	// requests arrive at once.
	bodies  chan struct{}
	limits  palette.Limits
	timeout time.Duration
	size    int

	// saveMu serialises saves, so that of two saves made from the same
	// version exactly one wins.
	saveMu sync.Mutex
	// own is the map when Config.Map is nil.
	ownMu   sync.Mutex
	own     *colormap.Map
	ownStat fileStamp
	// tagMu guards the cached ETag of the last map served.
	tagMu  sync.Mutex
	tagMap *colormap.Map
	tag    string
}

// fileStamp identifies a version of a file on disk.
type fileStamp struct {
	mod  time.Time
	size int64
}

// New returns a Server for cfg. With Config.Map nil and ColormapFile set,
// the file must exist and parse.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, timeout: cfg.Timeout, size: cfg.Size}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.size == 0 {
		s.size = render.DefaultSize
	}
	if cfg.Limits != nil {
		s.limits = *cfg.Limits
	}
	if s.limits.MaxBytes == 0 {
		s.limits.MaxBytes = palette.DefaultMaxBytes
	}
	if s.limits.MaxPixels == 0 {
		s.limits.MaxPixels = palette.DefaultMaxPixels
	}
	n := cfg.MaxInFlight
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	s.slots = make(chan struct{}, n)
	s.bodies = make(chan struct{}, 2*n)
	if cfg.Map == nil {
		s.own = colormap.Default()
		if cfg.ColormapFile != "" {
			m, st, err := loadStamped(cfg.ColormapFile)
			if err != nil {
				return nil, fmt.Errorf("preview: %w", err)
			}
			s.own, s.ownStat = m, st
		}
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.pageIndex)
	mux.HandleFunc("GET /colormap", s.pageColormap)
	mux.HandleFunc("GET /review", s.pageReview)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(serveAsset)))
	mux.Handle("POST /v1/preview", s.api(s.bounded(s.postPreview)))
	mux.Handle("GET /v1/preview", s.api(s.bounded(s.getPreview)))
	mux.Handle("GET /v1/colormap", s.api(s.getColormap))
	mux.Handle("PUT /v1/colormap", s.api(s.bounded(s.putColormap)))
	mux.Handle("POST /v1/colormap/check", s.api(s.bounded(s.checkColormap)))
	mux.Handle("/v1/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		if allow, ok := apiMethods[r.URL.Path]; ok {
			w.Header().Set("Allow", allow)
			return &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "This endpoint takes " + allow + " only."}
		}
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "There is no such API endpoint."}
	}))
	s.mux = mux
}

// apiMethods are the methods of each API path, for 405 answers.
var apiMethods = map[string]string{
	"/v1/preview":        "GET, HEAD, POST",
	"/v1/colormap":       "GET, HEAD, PUT",
	"/v1/colormap/check": "POST",
}

// ServeHTTP serves the routes listed in the package documentation, with
// security headers on every response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SecurityHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// SecurityHeaders sets the headers every answer of the pages and the API
// carries: a Content-Security-Policy allowing this origin only, nosniff,
// no framing, no referrer.
func SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// api adapts a handler that returns an error: the request gets the
// Server's timeout (context, body read and response write deadlines), and
// an error becomes a JSON error response.
func (s *Server) api(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(s.timeout))                  // not supported by every ResponseWriter
		_ = rc.SetWriteDeadline(time.Now().Add(s.timeout + 5*time.Second)) // leave time to report a timeout
		if err := fn(w, r.WithContext(ctx)); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// bounded runs fn once fewer than cap(s.bodies) requests hold a body or an
// image in memory, waiting within the request's timeout (then 503).
func (s *Server) bounded(fn func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		select {
		case s.bodies <- struct{}{}:
		case <-r.Context().Done():
			return errBusy
		}
		defer func() { <-s.bodies }()
		return fn(w, r)
	}
}

// acquire waits for a preview slot within ctx; release frees it.
func (s *Server) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errBusy
	}
}

func (s *Server) release() { <-s.slots }

// currentMap is the map in use now.
func (s *Server) currentMap() *colormap.Map {
	if s.cfg.Map != nil {
		if m := s.cfg.Map(); m != nil {
			return m
		}
		return colormap.Default()
	}
	s.ownMu.Lock()
	defer s.ownMu.Unlock()
	if s.cfg.ColormapFile != "" {
		// Pick up edits made to the file by other means, as the worker
		// does; an invalid file keeps the previous map.
		if st, err := stamp(s.cfg.ColormapFile); err == nil && st != s.ownStat {
			if m, st2, err := loadStamped(s.cfg.ColormapFile); err == nil {
				s.own, s.ownStat = m, st2
			} else {
				s.log.Warn("colour map file changed but does not load; keeping the previous map", "file", s.cfg.ColormapFile, "err", err)
				s.ownStat = st
			}
		}
	}
	return s.own
}

// setOwn records a map just saved (when the Server keeps the map).
func (s *Server) setOwn(m *colormap.Map) {
	if s.cfg.Map != nil {
		return
	}
	st, _ := stamp(s.cfg.ColormapFile)
	s.ownMu.Lock()
	s.own, s.ownStat = m, st
	s.ownMu.Unlock()
}

func stamp(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

func loadStamped(path string) (*colormap.Map, fileStamp, error) {
	st, err := stamp(path)
	if err != nil {
		return nil, st, err
	}
	m, err := colormap.Load(path)
	return m, st, err
}

// editable reports whether saves are possible, and if not, why (for the
// pages and the 403 message).
func (s *Server) editable() (bool, string) {
	switch {
	case s.cfg.ColormapFile == "":
		return false, "This server has no colour-map file to save to, so changes cannot be saved here."
	case s.cfg.AdminToken == "":
		return false, "Saving is turned off: this server was started without an admin token."
	}
	return true, ""
}

// backupPath is where the previous version of the colour-map file is kept.
func backupPath(file string) string { return file + ".bak" }

// fileLabel is the colour-map file as shown to a person: its base name.
func (s *Server) fileLabel() string {
	if s.cfg.ColormapFile == "" {
		return ""
	}
	return filepath.Base(s.cfg.ColormapFile)
}
