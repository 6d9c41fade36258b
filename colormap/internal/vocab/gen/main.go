// Command gen regenerates the vocab package's data, vocab.tsv.gz and
// LICENSES.md, from pinned npm packages. Run it from the vocab package
// directory ("go generate" does):
//
//	go run ./gen          # write vocab.tsv.gz and LICENSES.md
//	go run ./gen -check   # exit 1 if the committed files are stale
//
// It needs the npm command and the npm registry. "npm pack" downloads each
// tarball into a temporary directory (nothing is installed); the tarball's
// sha512 must equal the integrity pinned below, or gen fails. The files it
// needs are read with archive/tar and compress/gzip.
//
// To move to a new version: change the version and its integrity (from
// "npm view NAME@VERSION dist.integrity"), run go generate, and review the
// diff of LICENSES.md and of the table (zcat vocab.tsv.gz).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"log"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lucasb-eyer/go-colorful"
	"github.com/palette-dev/palette/colormap"
)

// The pinned packages. The integrity is the registry's dist.integrity: the
// sha512 of the tarball, base64.
const (
	namesPkg       = "color-name-list"
	namesVersion   = "14.51.0"
	namesIntegrity = "sha512-z+1f72qycJijBEmd88ee836dGeZV8ztePIlPAhk/iavlmfPRG6BrWsJyZGvKkHC32ZW+5dpHbWEEP4y+jjVZIQ=="

	listsPkg       = "color-name-lists"
	listsVersion   = "3.33.2"
	listsIntegrity = "sha512-iCR4RP2idX+OnXWFqv2wOklV/Kk1qSYBo1zO4GdkScnhWRN5WQrX/VH8GcRCd5fNYNAMNsEq+dhGTndi4upP+Q=="
)

// The files used, inside the tarballs (whose paths all start "package/").
const (
	namesCSV     = "dist/colornames.csv"
	xkcdJSON     = "lib/colors/xkcd.json"
	isccJSON     = "lib/colors/nbs-iscc.json"
	descriptions = "lib/descriptions.json"
)

// Merging rule (see the package documentation).
const (
	maxDisagree = 25 // CIEDE2000 (0–100) from the first shade, at most
	minDistinct = 3  // CIEDE2000 from every kept shade, more than
)

// Output files, in the current directory.
const (
	tableFile   = "vocab.tsv.gz"
	licenseFile = "LICENSES.md"
)

var (
	check   = flag.Bool("check", false, "compare with the committed files instead of writing them; exit 1 if they differ")
	verbose = flag.Bool("v", false, "log the shades dropped because they disagree with a more trusted list")
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("vocab/gen: ")
	flag.Parse()
	if _, err := os.Stat("vocab.go"); err != nil {
		log.Fatal("run in colormap/internal/vocab, as go generate does: ", err)
	}

	table, licenses, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	gz, err := compress(table)
	if err != nil {
		log.Fatal(err)
	}
	if !*check {
		for name, data := range map[string][]byte{tableFile: gz, licenseFile: licenses} {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	stale := false
	// The table is compared uncompressed: a Go release whose compress/flate
	// writes other bytes for the same table must not make the data stale.
	if got, err := readGzip(tableFile); err != nil || !bytes.Equal(got, table) {
		log.Printf("%s is stale (run go generate in colormap/internal/vocab)", tableFile)
		stale = true
	}
	if got, err := os.ReadFile(licenseFile); err != nil || !bytes.Equal(got, licenses) {
		log.Printf("%s is stale (run go generate in colormap/internal/vocab)", licenseFile)
		stale = true
	}
	if stale {
		os.Exit(1)
	}
}

// generate downloads the sources and returns the uncompressed table and
// LICENSES.md.
func generate() (table, licenses []byte, err error) {
	dir, err := os.MkdirTemp("", "vocab-gen-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)

	names, err := fetch(dir, namesPkg, namesVersion, namesIntegrity, namesCSV)
	if err != nil {
		return nil, nil, err
	}
	lists, err := fetch(dir, listsPkg, listsVersion, listsIntegrity, xkcdJSON, isccJSON, descriptions)
	if err != nil {
		return nil, nil, err
	}

	xkcd, err := parseJSON(lists.files[xkcdJSON])
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", listsPkg, xkcdJSON, err)
	}
	// The xkcd list runs from the least to the most common name: read it
	// most common first, so a key spelt two ways ("light blue",
	// "lightblue") keeps the spelling people use most.
	slices.Reverse(xkcd)
	for i := range xkcd {
		xkcd[i].name = titleCase(xkcd[i].name)
	}
	iscc, err := parseJSON(lists.files[isccJSON])
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", listsPkg, isccJSON, err)
	}
	cnl, err := parseCSV(names.files[namesCSV])
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", namesPkg, namesCSV, err)
	}

	entries := merge([]source{{"x", xkcd}, {"i", iscc}, {"c", cnl}})
	var buf bytes.Buffer
	for _, e := range entries {
		key := e.key
		if plainKey(e.name) == key {
			key = "" // the decoder derives it from the name
		}
		buf.WriteString(key + "\t" + e.name + "\t")
		for i, c := range e.shades {
			if i > 0 {
				buf.WriteByte(' ')
			}
			buf.WriteString(hex(c))
		}
		buf.WriteString("\t" + e.codes + "\n")
	}
	licenses, err = licenseText(names, lists)
	return buf.Bytes(), licenses, err
}

// pkg is a downloaded tarball: its files (by path inside "package/") that
// were asked for, its package.json "license" and any licence files.
type pkg struct {
	name, version, integrity string
	license                  string
	licenseFiles             map[string][]byte
	files                    map[string][]byte
}

// fetch runs npm pack for name@version in dir, verifies the tarball against
// integrity and returns the wanted files, which must all be present.
func fetch(dir, name, version, integrity string, want ...string) (*pkg, error) {
	spec := name + "@" + version
	cmd := exec.Command("npm", "pack", "--json", "--pack-destination", dir, spec)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s: %v\n%s", spec, err, stderr.Bytes())
	}
	var packed []struct{ Filename string }
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		return nil, fmt.Errorf("npm pack %s: unexpected output %.200q", spec, out)
	}
	tgz, err := os.ReadFile(filepath.Join(dir, filepath.Base(packed[0].Filename)))
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != integrity {
		return nil, fmt.Errorf("npm pack %s: tarball integrity %s, pinned %s", spec, got, integrity)
	}

	p := &pkg{name: name, version: version, integrity: integrity,
		licenseFiles: map[string][]byte{}, files: map[string][]byte{}}
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		rel, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		upper := strings.ToUpper(rel)
		isLicense := !strings.Contains(rel, "/") && (strings.HasPrefix(upper, "LICENSE") ||
			strings.HasPrefix(upper, "LICENCE") || strings.HasPrefix(upper, "COPYING"))
		if !isLicense && !slices.Contains(want, rel) && rel != "package.json" {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", spec, rel, err)
		}
		switch {
		case isLicense:
			p.licenseFiles[rel] = data
		case rel == "package.json":
			var meta struct{ License string }
			if err := json.Unmarshal(data, &meta); err != nil {
				return nil, fmt.Errorf("%s package.json: %w", spec, err)
			}
			p.license = meta.License
		default:
			p.files[rel] = data
		}
	}
	for _, w := range want {
		if _, ok := p.files[w]; !ok {
			return nil, fmt.Errorf("%s: no file %s in the tarball", spec, w)
		}
	}
	return p, nil
}

// item is one line of a source list.
type item struct {
	name  string
	shade color.NRGBA
}

func parseJSON(data []byte) ([]item, error) {
	var raw []struct{ Name, Hex string }
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	items := make([]item, 0, len(raw))
	for _, r := range raw {
		it, err := newItem(r.Name, r.Hex)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

func parseCSV(data []byte) ([]item, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || !slices.Equal(rows[0], []string{"name", "hex"}) {
		return nil, errors.New(`the header is not "name,hex"`)
	}
	items := make([]item, 0, len(rows)-1)
	for _, r := range rows[1:] {
		it, err := newItem(r[0], r[1])
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// newItem checks a name and parses its "#RRGGBB" or "#RGB" shade.
func newItem(name, shade string) (item, error) {
	if !utf8.ValidString(name) || strings.ContainsAny(name, "\t\r\n") {
		return item{}, fmt.Errorf("name %q: invalid UTF-8 or a tab or line break", name)
	}
	h, ok := strings.CutPrefix(shade, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if !ok || len(h) != 6 || err != nil {
		return item{}, fmt.Errorf("name %q: shade %q is not #RRGGBB or #RGB", name, shade)
	}
	return item{name, color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}}, nil
}

// titleCase upper-cases the first letter of every word of a lower-case
// xkcd name: "robin's egg blue" -> "Robin's Egg Blue", "blue/grey" ->
// "Blue/Grey".
func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		up := prev == ' ' || prev == '/' || prev == '-'
		prev = r
		if up {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// source is one list, in trust order; code names it in the table.
type source struct {
	code  string
	items []item
}

// entry is one line of the table.
type entry struct {
	key, name string
	shades    []color.NRGBA
	codes     string // one source code per shade
}

// merge combines the sources, most trusted first, into entries sorted by
// key (see the package documentation for the rule).
func merge(sources []source) []entry {
	byKey := map[string]*entry{}
	for _, src := range sources {
		seen := map[string]bool{}
		for _, it := range src.items {
			k := strings.ReplaceAll(colormap.Normalize(it.name), " ", "")
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			e := byKey[k]
			if e == nil {
				byKey[k] = &entry{key: k, name: it.name, shades: []color.NRGBA{it.shade}, codes: src.code}
				continue
			}
			if d := deltaE(e.shades[0], it.shade); d > maxDisagree {
				if *verbose {
					log.Printf("%s: %s's %s dropped: ΔE %.1f from %s's %s", k, src.code, hex(it.shade), d, e.codes[:1], hex(e.shades[0]))
				}
				continue
			}
			if slices.ContainsFunc(e.shades, func(c color.NRGBA) bool { return deltaE(c, it.shade) <= minDistinct }) {
				continue
			}
			e.shades = append(e.shades, it.shade)
			e.codes += src.code
		}
	}
	entries := make([]entry, 0, len(byKey))
	for _, e := range byKey {
		entries = append(entries, *e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return entries
}

// plainKey is the key of a name made only of ASCII letters, digits and
// spaces: the name lower-cased, without spaces; "" for any other name. The
// table leaves out the keys that equal their name's plain key (the vocab
// package's appendPlainKey is the same function).
func plainKey(name string) string {
	var b strings.Builder
	for i := range len(name) {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c != ' ':
			return ""
		}
	}
	return b.String()
}

// hex writes c as "rrggbb".
func hex(c color.NRGBA) string { return fmt.Sprintf("%02x%02x%02x", c.R, c.G, c.B) }

// deltaE is the CIEDE2000 difference on the usual 0–100 scale.
func deltaE(a, b color.NRGBA) float64 {
	ca, _ := colorful.MakeColor(a)
	cb, _ := colorful.MakeColor(b)
	return 100 * ca.DistanceCIEDE2000(cb)
}

// compress gzips data deterministically: best compression, no name or
// modification time in the header.
func compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readGzip(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// licenseText writes LICENSES.md: what the table is derived from and under
// which terms, with the licence texts and statements copied verbatim.
func licenseText(names, lists *pkg) ([]byte, error) {
	var descs map[string]json.RawMessage
	if err := json.Unmarshal(lists.files[descriptions], &descs); err != nil {
		return nil, fmt.Errorf("%s %s: %w", listsPkg, descriptions, err)
	}
	var b strings.Builder
	b.WriteString("# Licences of the colour-name vocabulary\n\n")
	b.WriteString("Generated by gen/main.go from the npm tarballs below; do not edit. ")
	b.WriteString(tableFile + " is derived from these files:\n\n")
	b.WriteString("| source code | package | file |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| x (xkcd) | %s@%s | %s |\n", listsPkg, listsVersion, xkcdJSON)
	fmt.Fprintf(&b, "| i (iscc-nbs) | %s@%s | %s |\n", listsPkg, listsVersion, isccJSON)
	fmt.Fprintf(&b, "| c (color-name-list) | %s@%s | %s |\n", namesPkg, namesVersion, namesCSV)
	for _, p := range []*pkg{names, lists} {
		fmt.Fprintf(&b, "\n## %s@%s\n\n", p.name, p.version)
		fmt.Fprintf(&b, "- integrity: `%s`\n", p.integrity)
		fmt.Fprintf(&b, "- package.json \"license\": `%s`\n", p.license)
		if len(p.licenseFiles) == 0 {
			b.WriteString("- the tarball has no licence file\n")
		}
		for _, name := range slices.Sorted(maps.Keys(p.licenseFiles)) {
			fmt.Fprintf(&b, "\n### %s (verbatim)\n\n```text\n%s", name, p.licenseFiles[name])
			if !bytes.HasSuffix(p.licenseFiles[name], []byte("\n")) {
				b.WriteString("\n")
			}
			b.WriteString("```\n")
		}
		if p != lists {
			continue
		}
		for _, key := range []string{"xkcd", "nbs-iscc"} {
			raw, ok := descs[key]
			if !ok {
				return nil, fmt.Errorf("%s %s: no entry %q", listsPkg, descriptions, key)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, raw, "", "  "); err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "\n### %s entry %q (verbatim, re-indented)\n\n```json\n%s\n```\n", path.Base(descriptions), key, indented.Bytes())
		}
	}
	return []byte(b.String()), nil
}
