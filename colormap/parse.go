package colormap

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// MaxLineBytes is the longest line [Parse] accepts, in bytes without the
	// line ending.
	MaxLineBytes = 4096
	// MaxEntries is the most entries a map may have.
	MaxEntries = 10000
	// MaxFileBytes is the largest text [Parse] reads, in bytes.
	MaxFileBytes = 8 << 20
	// maxErrors is how many problems Parse reports before it stops.
	maxErrors = 100
)

// LineError is one problem in a colour-map file.
type LineError struct {
	// File is the file name given to Parse; it may be empty.
	File string
	// Line is the 1-based line of the problem, or 0 for a problem that is
	// not on a line (an entry given to [Map.With]).
	Line int
	// Msg says what is wrong, e.g. `bad shade "#12345G" for "Navy Blue"`.
	Msg string
}

// Error returns "file:line: message" ("line N: message" without a file
// name; "colormap: message" for Line 0).
func (e *LineError) Error() string {
	switch {
	case e.Line <= 0:
		return "colormap: " + e.Msg
	case e.File == "":
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errors lists every problem [Parse] or [Map.With] found, in line order.
// Use errors.As to get it from an error.
type Errors []*LineError

// Error returns the problems one per line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the individual *LineError values.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Load reads and parses the colour-map file at path; errors name the file
// by path.
func Load(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("colormap: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a colour map in the format described in the package
// documentation; filename is used only in error messages. If the text has
// problems, Parse returns a nil map and an [Errors] listing all of them: it
// skips a line longer than [MaxLineBytes] and goes on, and it stops after
// 100 problems, at the entry after [MaxEntries] or past [MaxFileBytes]
// bytes. A read error from r is returned wrapped, not as Errors.
func Parse(r io.Reader, filename string) (*Map, error) {
	type seenName struct {
		line int
		text string
		e    *Entry
	}
	var (
		br       = bufio.NewReaderSize(r, MaxLineBytes+2)
		lines    []srcLine
		errs     Errors
		seen     = make(map[string]seenName)
		total    int
		nEntries int
		stop     bool
	)
	add := func(line int, format string, args ...any) {
		if len(errs) == maxErrors {
			errs = append(errs, &LineError{File: filename, Line: line, Msg: "too many errors; stopping"})
			stop = true
			return
		}
		errs = append(errs, &LineError{File: filename, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	for n := 1; !stop; n++ {
		chunk, err := br.ReadSlice('\n')
		overlong := errors.Is(err, bufio.ErrBufferFull)
		if overlong {
			size := len(chunk)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				size += len(chunk)
			}
			if total += size; total > MaxFileBytes {
				add(n, "file too large (max %d bytes)", MaxFileBytes)
				break
			}
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("colormap: reading %s: %w", filename, err)
		}
		if overlong {
			add(n, "line too long (max %d bytes)", MaxLineBytes)
			if err == io.EOF {
				break
			}
			continue
		}
		if len(chunk) == 0 {
			break // end of input right after a line ending
		}
		text := string(chunk)
		if total += len(text); total > MaxFileBytes {
			add(n, "file too large (max %d bytes)", MaxFileBytes)
			break
		}
		content := trimEOL(text)
		if n == 1 {
			content = strings.TrimPrefix(content, "\uFEFF")
		}
		if len(content) > MaxLineBytes {
			add(n, "line too long (max %d bytes)", MaxLineBytes)
		} else {
			e, msgs := parseLine(content)
			for _, msg := range msgs {
				add(n, "%s", msg)
			}
			if e != nil {
				if nEntries++; nEntries > MaxEntries {
					add(n, "too many entries (max %d)", MaxEntries)
					break
				}
				e.Line = n
				l := entryLine(text, e)
				for i, k := range l.keys {
					name := e.Name
					if i > 0 {
						name = e.Aliases[i-1]
					}
					prev, ok := seen[k]
					if !ok {
						seen[k] = seenName{line: n, text: name, e: e}
						continue
					}
					if prev.e == e {
						continue // repeated inside one entry: harmless
					}
					what := "name"
					if i > 0 {
						what = "alias"
					}
					add(n, "duplicate %s %q: line %d already has %q", what, name, prev.line, prev.text)
				}
				lines = append(lines, l)
			} else {
				lines = append(lines, srcLine{text: text})
			}
		}
		if err == io.EOF {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return build(lines), nil
}

// trimEOL removes a trailing "\n" or "\r\n".
func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// splitComment splits an entry line at its trailing comment: the first '#'
// followed by white space or the end of the line. The comment keeps its
// '#' and loses trailing white space.
func splitComment(s string) (body, comment string) {
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		next, _ := utf8.DecodeRuneInString(s[i+1:])
		if i+1 == len(s) || unicode.IsSpace(next) {
			return s[:i], strings.TrimRightFunc(s[i:], unicode.IsSpace)
		}
	}
	return s, ""
}

// parseLine parses one line without its line ending. It returns nil and no
// messages for comments and blank lines, the entry for a valid entry line,
// and nil with at least one message otherwise. The entry's Line is 0.
func parseLine(s string) (*Entry, []string) {
	if !utf8.ValidString(s) {
		return nil, []string{"invalid UTF-8"}
	}
	if t := strings.TrimSpace(s); t == "" || t[0] == '#' {
		return nil, nil
	}
	body, _ := splitComment(s)
	colon := strings.IndexByte(body, ':')
	if colon < 0 {
		return nil, []string{fmt.Sprintf("missing ':' after the name in %q", clip(strings.TrimSpace(body)))}
	}
	e := &Entry{Name: strings.TrimSpace(body[:colon])}
	var msgs []string
	if msg := checkName("name", e.Name); msg != "" {
		msgs = append(msgs, msg)
	}

	spec, also, hasAlso := body[colon+1:], "", false
	if i := strings.IndexByte(spec, ':'); i >= 0 {
		before := strings.TrimRightFunc(spec[:i], unicode.IsSpace)
		word := len(before) - len("also")
		if word >= 0 && strings.EqualFold(before[word:], "also") && spaceBefore(before, word) {
			spec, also, hasAlso = before[:word], spec[i+1:], true
		} else {
			msgs = append(msgs, fmt.Sprintf("unexpected ':' in %q for %q (only \"also:\" may follow the shades)", clip(strings.TrimSpace(spec)), e.Name))
			spec = ""
		}
	}

	multi := false
	tokens := strings.Fields(spec)
	for _, tok := range tokens {
		switch {
		case tok[0] == '#':
			c, ok := parseHex(tok)
			if !ok {
				msgs = append(msgs, fmt.Sprintf("bad shade %q for %q", clip(tok), e.Name))
				continue
			}
			e.Shades = append(e.Shades, c)
		case strings.EqualFold(tok, "multi"):
			if multi {
				msgs = append(msgs, fmt.Sprintf("\"multi\" given twice for %q", e.Name))
			}
			multi = true
		default:
			msgs = append(msgs, fmt.Sprintf("unknown special %q for %q (want #RRGGBB shades or \"multi\")", clip(tok), e.Name))
		}
	}
	switch {
	case multi:
		e.Kind = Multi
		if len(e.Shades) > 0 {
			msgs = append(msgs, fmt.Sprintf("\"multi\" mixed with shades for %q", e.Name))
		}
	case len(tokens) == 0 && len(msgs) == 0:
		msgs = append(msgs, fmt.Sprintf("no shades for %q", e.Name))
	}

	if hasAlso {
		if strings.TrimSpace(strings.ReplaceAll(also, ",", "")) == "" {
			msgs = append(msgs, fmt.Sprintf("\"also:\" without aliases for %q", e.Name))
		} else {
			for _, a := range strings.Split(also, ",") {
				a = strings.TrimSpace(a)
				if msg := checkName("alias", a); msg != "" {
					msgs = append(msgs, fmt.Sprintf("%s for %q", msg, e.Name))
					continue
				}
				e.Aliases = append(e.Aliases, a)
			}
		}
	}
	if len(msgs) > 0 {
		return nil, msgs
	}
	return e, nil
}

// checkName returns why s (already trimmed) cannot be a name or alias
// ("" if it can); what is "name" or "alias".
func checkName(what, s string) string {
	if !utf8.ValidString(s) {
		return what + " is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case r == '#' || r == ':' || r == ',' || r == '|':
			return fmt.Sprintf("%s %q contains %q", what, clip(s), r)
		case unicode.IsControl(r):
			return fmt.Sprintf("%s %q contains a control character", what, clip(s))
		case unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("%s %q contains an invisible character %U", what, clip(s), r)
		}
	}
	if Normalize(s) == "" {
		if s == "" {
			return "empty " + what
		}
		return fmt.Sprintf("empty %s %q (nothing left after normalising)", what, s)
	}
	return ""
}

// spaceBefore reports whether s[:i] is empty or ends in white space.
func spaceBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r)
}

// parseHex parses "#RGB" or "#RRGGBB" into an opaque colour.
func parseHex(s string) (color.NRGBA, bool) {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return color.NRGBA{}, false
	}
	var v [6]uint8
	digits := s[1:]
	for i := 0; i < len(digits); i++ {
		d, ok := hexDigit(digits[i])
		if !ok {
			return color.NRGBA{}, false
		}
		v[i] = d
	}
	if len(digits) == 3 {
		return color.NRGBA{R: v[0] * 17, G: v[1] * 17, B: v[2] * 17, A: 255}, true
	}
	return color.NRGBA{R: v[0]<<4 | v[1], G: v[2]<<4 | v[3], B: v[4]<<4 | v[5], A: 255}, true
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
