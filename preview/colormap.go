package preview

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
)

// MapDoc is the JSON of GET and PUT /v1/colormap.
type MapDoc struct {
	// ETag is the version, also sent as the ETag header; give it back in
	// If-Match to save.
	ETag string `json:"etag"`
	// Editable says whether this server saves edits; ReadOnlyReason says
	// why not, for a person.
	Editable       bool   `json:"editable"`
	ReadOnlyReason string `json:"read_only_reason,omitempty"`
	// File is the base name of the colour-map file saves go to.
	File    string     `json:"file,omitempty"`
	Count   int        `json:"count"`
	Entries []MapEntry `json:"entries"`
	// Text is the map's text as saved, comments included.
	Text string `json:"text"`
}

// MapEntry is one entry of a colour map.
type MapEntry struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	// Prototypes are the entry's shades as "#rrggbb"; empty for "multi".
	Prototypes []string `json:"prototypes"`
	// Kind is "shades", or "multi" for the product's main colours.
	Kind string `json:"kind"`
	// Line is the entry's 1-based line in Text.
	Line int `json:"line"`
}

// CheckResult is the JSON of POST /v1/colormap/check.
type CheckResult struct {
	OK       bool       `json:"ok"`
	Count    int        `json:"count"`
	Problems []Problem  `json:"problems"`
	Entries  []MapEntry `json:"entries"`
}

func entries(m *colormap.Map) []MapEntry {
	es := m.Entries()
	out := make([]MapEntry, len(es))
	for i, e := range es {
		me := MapEntry{Name: e.Name, Aliases: e.Aliases, Prototypes: []string{}, Kind: e.Kind.String(), Line: e.Line}
		if me.Aliases == nil {
			me.Aliases = []string{}
		}
		for _, c := range e.Shades {
			me.Prototypes = append(me.Prototypes, palette.Hex(c))
		}
		out[i] = me
	}
	return out
}

// mapETag is the version of m: a strong ETag of its text. The last one is
// cached (a Map never changes, so its pointer identifies the version).
func (s *Server) mapETag(m *colormap.Map) string {
	s.tagMu.Lock()
	defer s.tagMu.Unlock()
	if s.tagMap != m || s.tag == "" {
		s.tagMap, s.tag = m, etag(m.Bytes())
	}
	return s.tag
}

func (s *Server) mapDoc(m *colormap.Map) *MapDoc {
	ok, why := s.editable()
	es := entries(m)
	return &MapDoc{ETag: s.mapETag(m), Editable: ok, ReadOnlyReason: why, File: s.fileLabel(),
		Count: len(es), Entries: es, Text: string(m.Bytes())}
}

// getColormap handles GET /v1/colormap.
func (s *Server) getColormap(w http.ResponseWriter, r *http.Request) error {
	m := s.currentMap()
	tag := s.mapETag(m)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if matchNone(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	WriteJSON(w, http.StatusOK, s.mapDoc(m))
	return nil
}

// checkColormap handles POST /v1/colormap/check: the body is a map text.
func (s *Server) checkColormap(w http.ResponseWriter, r *http.Request) error {
	text, err := readMapBody(w, r)
	if err != nil {
		return err
	}
	res := CheckResult{Problems: []Problem{}, Entries: []MapEntry{}}
	m, err := colormap.Parse(bytes.NewReader(text), "")
	var le colormap.Errors
	switch {
	case errors.As(err, &le):
		res.Problems = problems(le)
	case err != nil:
		return err
	case m.Len() == 0:
		res.Problems = []Problem{{Message: emptyMap}}
	default:
		res.OK, res.Count, res.Entries = true, m.Len(), entries(m)
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}

const emptyMap = "the colour map has no entries; every colour name would be unknown"

// putColormap handles PUT /v1/colormap: the body is the new map text.
// It needs the admin token and an If-Match naming the current version
// ("*" is refused: an editor must say which version it changed).
func (s *Server) putColormap(w http.ResponseWriter, r *http.Request) error {
	if ok, why := s.editable(); !ok {
		return &Error{Status: http.StatusForbidden, Code: "read_only", Message: why}
	}
	if err := s.authorize(r); err != nil {
		return err
	}
	ifMatch := strings.TrimSpace(r.Header.Get("If-Match"))
	if ifMatch == "" || ifMatch == "*" {
		return &Error{Status: http.StatusPreconditionRequired, Code: "if_match_required",
			Message: "Saving needs the version you edited: send If-Match with the ETag from GET /v1/colormap."}
	}
	text, err := readMapBody(w, r)
	if err != nil {
		return err
	}

	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	cur := s.currentMap()
	curTag := s.mapETag(cur)
	if !matchStrong(ifMatch, curTag) {
		w.Header().Set("ETag", curTag)
		return &Error{Status: http.StatusPreconditionFailed, Code: "stale",
			Message: "Someone else saved the colour map after you opened it, so your changes were not saved. Reload to see their version, then make your change again."}
	}
	m, err := colormap.Parse(bytes.NewReader(text), "")
	if err != nil {
		return err
	}
	if m.Len() == 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_colormap",
			Message: "Not saved: " + emptyMap + ".", Problems: []Problem{{Message: emptyMap}}}
	}
	if !bytes.Equal(text, cur.Bytes()) {
		if err := writeAtomic(s.cfg.ColormapFile, text); err != nil {
			s.log.Error("preview: saving the colour map", "file", s.cfg.ColormapFile, "err", err)
			return &Error{Status: http.StatusInternalServerError, Code: "save_failed",
				Message: "Not saved: the server could not write the colour-map file. Your changes are still on this page. Try again; if it keeps failing, tell the team that runs palette."}
		}
		s.setOwn(m)
		if s.cfg.OnSave != nil {
			s.cfg.OnSave(m)
		}
		s.log.Info("colour map saved from the editor", "file", s.cfg.ColormapFile, "entries", m.Len(),
			"etag", s.mapETag(m), "previous", curTag, "remote", r.RemoteAddr)
	} else {
		m = cur
	}
	w.Header().Set("ETag", s.mapETag(m))
	WriteJSON(w, http.StatusOK, s.mapDoc(m))
	return nil
}

// authorize checks the admin token of a save.
func (s *Server) authorize(r *http.Request) error { return Authorize(r, s.cfg.AdminToken) }

// Authorize checks "Authorization: Bearer TOKEN" against token in constant
// time: nil if it matches, else a 401 *Error (code "token_required" or
// "bad_token"). The caller makes sure token is not empty. Package review
// guards its fixes with it.
func Authorize(r *http.Request, token string) error {
	auth := r.Header.Get("Authorization")
	scheme, got, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return &Error{Status: http.StatusUnauthorized, Code: "token_required",
			Message: "This needs the admin token. Type it in the admin token field."}
	}
	// Hash both sides so the comparison takes the same time whatever
	// the lengths.
	g := sha256.Sum256([]byte(strings.TrimSpace(got)))
	w := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return &Error{Status: http.StatusUnauthorized, Code: "bad_token",
			Message: "The admin token is wrong. Check it and try again."}
	}
	return nil
}

// readMapBody reads a colour-map text of at most colormap.MaxFileBytes.
func readMapBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, colormap.MaxFileBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
				Message: fmt.Sprintf("The colour map is too large (at most %d MiB).", colormap.MaxFileBytes>>20)}
		}
		return nil, badForm(err)
	}
	return b, nil
}

// writeAtomic replaces the file at path with data: a temporary file in the
// same folder, synced, then renamed over it, so a reader sees either the
// old or the new text, never a mix, and a crash leaves one of them. The
// previous text is kept in path.bak (written the same way). A symbolic
// link is followed: its target is replaced.
func writeAtomic(path string, data []byte) error {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := replaceFile(backupPath(path), old, mode); err != nil {
			return fmt.Errorf("keeping the previous version: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return replaceFile(path, data, mode)
}

// replaceFile writes data to a temporary file beside path, syncs it, and
// renames it over path, then syncs the folder.
func replaceFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs folders
		d.Close()
	}
	return nil
}
