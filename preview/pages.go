package preview

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The pages and their assets, embedded: nothing is loaded from another
// host (no CDN, no web fonts).
//
//go:embed assets
var assetFS embed.FS

// pages are the page templates (assets/*.html) with what they share, the
// head and the top bar (assets/layout.tmpl).
var pages = template.Must(template.ParseFS(assetFS, "assets/*.html", "assets/layout.tmpl"))

// asset is one static file with its precomputed ETag.
type asset struct {
	data  []byte
	etag  string
	ctype string
}

var assets = func() map[string]asset {
	out := map[string]asset{}
	files, _ := fs.Sub(assetFS, "assets/static")
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) { // not every system's MIME table knows these
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		out[p] = asset{data: data, etag: etag(data), ctype: ct}
		return nil
	})
	return out
}()

// serveAsset serves /assets/NAME (the prefix already stripped).
func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache") // revalidate: a new release changes them
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// pageData is what the page templates see.
type pageData struct {
	Page           string // "preview", "colormap" or "review": the page's script is assets/PAGE.js
	Title          string
	References     bool
	Editable       bool
	Admin          bool // an admin token is set: fixes, unpins and redrives can be made
	ReadOnlyReason string
	File           string
	Size           int
	MaxMB          int64
}

func (s *Server) pageData(page, title string) pageData {
	ok, why := s.editable()
	return pageData{
		Page: page, Title: title,
		References: s.cfg.Fetch != nil, Editable: ok, ReadOnlyReason: why, Admin: s.cfg.AdminToken != "",
		File: s.fileLabel(), Size: s.size, MaxMB: s.limits.MaxBytes >> 20,
	}
}

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	s.page(w, "index.html", s.pageData("preview", "Swatch preview"))
}

func (s *Server) pageColormap(w http.ResponseWriter, r *http.Request) {
	s.page(w, "colormap.html", s.pageData("colormap", "Colour names"))
}

// pageReview is the review page; its API (/v1/review, /v1/fix) is package
// review's, mounted beside the Server by the worker and palettecli serve
// -brokers. Without it the page says the list needs the brokers.
func (s *Server) pageReview(w http.ResponseWriter, r *http.Request) {
	s.page(w, "review.html", s.pageData("review", "Review swatches"))
}

func (s *Server) page(w http.ResponseWriter, name string, data pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("preview: page", "page", name, "err", err)
		http.Error(w, "Something went wrong on the server.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}
