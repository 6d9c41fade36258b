// Package cli is palettecli: swatches for local photos, one by one or in
// batches from a manifest, and the explain, eval, colormap and serve
// subcommands; enqueue (backfills) and redrive (dead letters) put jobs on
// the worker's Kafka topics.
// Run is the whole program; main only wires the process to it.
package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/internal/textdist"
	"github.com/palette-dev/palette/match"
	"github.com/palette-dev/palette/render"
)

// Exit statuses.
const (
	ExitOK     = 0 // every image succeeded
	ExitFailed = 1 // some image failed (the rest were still processed)
	ExitUsage  = 2 // bad flags or arguments
)

// Env is what the program sees of its process.
type Env struct {
	// Stdin is read by "enqueue -"; nil reads as empty.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// TTY says whether Stderr is a terminal (for the progress bar).
	TTY bool
	// Getenv reads the environment (serve's PALETTE_ADMIN_TOKEN, enqueue's
	// and redrive's PALETTE_BROKERS); nil
	// means an empty environment.
	Getenv func(string) string
}

// OSEnv is the Env of the running process.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, TTY: term.IsTerminal(int(os.Stderr.Fd())), Getenv: os.Getenv}
}

const usage = `palettecli makes colour swatches from product photos.

Usage:
  palettecli -colors "Grey,Pink" [-o OUT] [flags] IMAGE...
  palettecli -manifest FILE.csv -o DIR [flags]
  palettecli explain -colors "Grey,Pink" [-o REPORT.html] IMAGE
  palettecli eval [-json] LABELS.csv
  palettecli colormap check FILE
  palettecli serve [-http ADDR] [-colormap FILE] [-admin-token TOKEN]
  palettecli enqueue -brokers ADDR [-topic palette.jobs] [-rate N] [-dry-run] FILE|-
  palettecli redrive -brokers ADDR [-from palette.jobs.dlq] [-to palette.jobs] [-class C] [-reason TEXT] [-dry-run]

-o is a file for one image and a directory for several (default: the current
directory, as NAME.swatch.png). A manifest is a CSV with the header
"image,colors"; colours are separated by "|" (or the field is quoted), image
paths are relative to the manifest's folder, or absolute. Flags may come before
or after the images; "--" ends them.

Exit status: 0 all images succeeded, 1 some failed (the others were still
processed), 2 usage error.

Flags:
`

// Run runs palettecli with args (without the program name) and returns the
// exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 {
		switch args[0] {
		case "explain":
			return runExplain(ctx, args[1:], env)
		case "eval":
			return runEval(ctx, args[1:], env)
		case "colormap":
			return runColormap(args[1:], env)
		case "serve":
			return runServe(ctx, args[1:], env)
		case "enqueue":
			return runEnqueue(ctx, args[1:], env)
		case "redrive":
			return runRedrive(ctx, args[1:], env)
		}
	}
	return runSwatches(ctx, args, env)
}

// common holds the flags shared by the swatch and explain commands.
type common struct {
	colors   string
	size     int
	colormap string
	metric   string
	unknown  string
}

// metrics are the ΔE metrics -metric can choose.
var metrics = map[string]match.Metric{
	"ciede2000-garment": match.CIEDE2000Garment,
	"ciede2000-textile": match.CIEDE2000Textile,
	"ciede2000":         match.CIEDE2000,
	"cie94":             match.CIE94,
	"cie76":             match.CIE76,
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.colors, "colors", "", `catalog colour names, separated by "," or "|"`)
	fs.IntVar(&c.size, "size", render.DefaultSize, fmt.Sprintf("swatch side in pixels (%d to %d)", render.MinSize, render.MaxSize))
	c.registerMap(fs)
}

// registerMap registers the flags that choose how names are matched.
func (c *common) registerMap(fs *flag.FlagSet) {
	if c.size == 0 {
		c.size = render.DefaultSize
	}
	fs.StringVar(&c.colormap, "colormap", "", "colour-map file (default: the embedded map)")
	fs.StringVar(&c.metric, "metric", "ciede2000-garment", "ΔE metric for choosing colours: ciede2000-garment (kL=2, but 1 for the shades of middle greys), ciede2000-textile (kL=2), ciede2000, cie94 or cie76; reported ΔE is always CIEDE2000")
	fs.StringVar(&c.unknown, "unknown-names", "flag", `a colour name no tier of the map knows: "flag" gives it the product's main colour, flagged low_confidence; "fail" fails the image`)
}

func (c *common) options() (*palette.Options, error) {
	if c.size < render.MinSize || c.size > render.MaxSize {
		return nil, fmt.Errorf("-size %d is out of range %d to %d", c.size, render.MinSize, render.MaxSize)
	}
	o := &palette.Options{Size: c.size}
	metric, ok := metrics[c.metric]
	if !ok {
		return nil, fmt.Errorf("-metric %q: want ciede2000-garment, ciede2000-textile, ciede2000, cie94 or cie76", c.metric)
	}
	o.Matcher = &match.Matcher{Metric: metric}
	u, err := palette.ParseUnknownNames(c.unknown)
	if err != nil {
		return nil, fmt.Errorf("-unknown-names %q: want flag or fail", c.unknown)
	}
	o.UnknownNames = u
	if c.colormap != "" {
		m, err := colormap.Load(c.colormap)
		if err != nil {
			return nil, err
		}
		o.Map = m
	}
	return o, nil
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseArgs parses flags given anywhere among the arguments, as people
// type them ("palettecli photo.jpg -colors Red -o red.png"): the standard
// library's flag package stops at the first argument that is not a flag,
// and would take "-o" for an image. A "--" ends the flags. An unknown flag
// is one line naming the nearest known flag, not the whole usage. The
// error is flag.ErrHelp for -h, errUsage (already reported) otherwise.
func parseArgs(fs *flag.FlagSet, args []string, env Env) error {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		switch {
		case (name == "h" || name == "help") && f == nil:
			if fs.Usage != nil {
				fs.Usage()
			} else {
				fs.PrintDefaults()
			}
			return flag.ErrHelp
		case f == nil:
			fmt.Fprintf(env.Stderr, "palettecli: unknown flag %s%s; run '%s -h' for usage\n", a, nearestFlag(fs, name), fs.Name())
			return errUsage
		case !hasValue && !isBool(f) && i+1 < len(args):
			flags = append(flags, a, args[i+1])
			i++
			continue
		}
		flags = append(flags, a)
	}
	// A bad value gets its one line from the flag package and a pointer to
	// -h, not the whole usage.
	usage := fs.Usage
	fs.Usage = func() { fmt.Fprintf(env.Stderr, "run '%s -h' for usage\n", fs.Name()) }
	err := fs.Parse(append(append(flags, "--"), rest...))
	fs.Usage = usage
	return err
}

// errUsage is a usage error already reported to the user.
var errUsage = errors.New("usage")

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// nearestFlag is " (did you mean -colors?)" for the flag of fs nearest to
// name, or "".
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := textdist.Distance(name, f.Name, 2); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean -%s?)", best)
}

func usageError(env Env, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "palettecli: "+format+"\n", a...)
	fmt.Fprintln(env.Stderr, "run 'palettecli -h' for usage")
	return ExitUsage
}

// job is one image to process.
type job struct {
	image  string // as given (manifest: relative to the manifest)
	path   string // path to read
	names  []string
	output string
}

// Output is the JSON line written per image with -json.
type Output struct {
	Image      string              `json:"image"`
	Output     string              `json:"output,omitempty"`
	Colors     []palette.Pick      `json:"colors"`
	Candidates []palette.Candidate `json:"candidates"`
	Bytes      int                 `json:"bytes"`
	Error      string              `json:"error,omitempty"`
}

func runSwatches(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli", env)
	var c common
	c.register(fs)
	out := fs.String("o", "", "output file (one image) or directory (several images, -manifest, or an existing directory)")
	manifest := fs.String("manifest", "", `CSV with header "image,colors" (colours separated by "|")`)
	jsonOut := fs.Bool("json", false, "write one JSON object per image to stdout (JSON Lines)")
	workers := fs.Int("j", runtime.NumCPU(), "images processed in parallel")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, usage)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if *workers < 1 {
		return usageError(env, "-j must be at least 1")
	}
	opts, err := c.options()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || strings.HasPrefix(err.Error(), "colormap") {
			fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
			return ExitUsage
		}
		return usageError(env, "%v", err)
	}

	var jobs []job
	switch {
	case *manifest != "" && fs.NArg() > 0:
		return usageError(env, "give either -manifest or images, not both")
	case *manifest != "":
		if *out == "" {
			return usageError(env, "-manifest needs -o DIR")
		}
		if c.colors != "" {
			return usageError(env, "-colors does not apply to -manifest: the manifest gives each image's colours")
		}
		jobs, err = readManifest(*manifest, *out)
		if err != nil {
			return usageError(env, "%v", err)
		}
	case fs.NArg() == 0:
		fs.Usage()
		return ExitUsage
	default:
		names := colormap.SplitNames(c.colors)
		if len(names) == 0 {
			return usageError(env, "-colors is required: the catalog colour names of the product")
		}
		jobs, err = imageJobs(fs.Args(), names, *out)
		if err != nil {
			return usageError(env, "%v", err)
		}
	}
	if err := checkOutputs(jobs); err != nil {
		return usageError(env, "%v", err)
	}
	return process(ctx, jobs, opts, *workers, *jsonOut, env)
}

// checkOutputs refuses a swatch that would overwrite one of the input
// photos.
func checkOutputs(jobs []job) error {
	inputs := map[string]string{}
	var infos []os.FileInfo
	var infoPaths []string
	for _, j := range jobs {
		if abs, err := filepath.Abs(j.path); err == nil {
			inputs[abs] = j.image
		}
		if fi, err := os.Stat(j.path); err == nil {
			infos = append(infos, fi)
			infoPaths = append(infoPaths, j.image)
		}
	}
	for _, j := range jobs {
		abs, err := filepath.Abs(j.output)
		if err != nil {
			continue
		}
		if in, ok := inputs[abs]; ok {
			return fmt.Errorf("the swatch for %s would overwrite the input %s", j.image, in)
		}
		if fo, err := os.Stat(j.output); err == nil {
			for i, fi := range infos {
				if os.SameFile(fi, fo) {
					return fmt.Errorf("the swatch for %s would overwrite the input %s", j.image, infoPaths[i])
				}
			}
		}
	}
	return nil
}

// imageJobs names the outputs of images given on the command line.
func imageJobs(images, names []string, out string) ([]job, error) {
	jobs := make([]job, len(images))
	dir := ""
	switch {
	case out == "":
		dir = "."
	case len(images) > 1 || isDir(out):
		dir = out
	}
	seen := map[string]string{}
	for i, img := range images {
		o := out
		if dir != "" {
			o = filepath.Join(dir, swatchName(img, dir == "."))
			if prev, ok := seen[o]; ok {
				return nil, fmt.Errorf("%s and %s would both write %s", prev, img, o)
			}
			seen[o] = img
		}
		jobs[i] = job{image: img, path: img, names: names, output: o}
	}
	return jobs, nil
}

// isDir reports whether path names a directory: an existing one, or one
// written with a trailing separator.
func isDir(path string) bool {
	if strings.HasSuffix(path, string(filepath.Separator)) || strings.HasSuffix(path, "/") {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// swatchName is the output file name for an image: its base name with .png,
// or .swatch.png when writing beside other files (the current directory).
func swatchName(img string, beside bool) string {
	base := strings.TrimSuffix(filepath.Base(img), filepath.Ext(img))
	if beside {
		return base + ".swatch.png"
	}
	return base + ".png"
}

// readManifest reads the image,colors CSV.
func readManifest(path, outDir string) ([]job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", path, err)
	}
	imgCol, colCol := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "image":
			imgCol = i
		case "colors", "colours":
			colCol = i
		}
	}
	if imgCol < 0 || colCol < 0 {
		return nil, fmt.Errorf(`%s: the header must name the columns "image" and "colors"`, path)
	}
	base := filepath.Dir(path)
	var jobs []job
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) <= max(imgCol, colCol) {
			return nil, fmt.Errorf("%s:%d: want columns image and colors, got %d fields", path, line, len(rec))
		}
		if len(rec) > len(head) {
			return nil, fmt.Errorf(`%s:%d: %d fields, but the header names %d columns: separate colours with "|" (Red|Blue), or quote the field ("Red,Blue")`, path, line, len(rec), len(head))
		}
		img := strings.TrimSpace(rec[imgCol])
		if img == "" {
			return nil, fmt.Errorf("%s:%d: empty image", path, line)
		}
		// The swatch keeps the image's path under -o when the image is in
		// the manifest's folder; an image elsewhere (an absolute path,
		// "../") gets its file name.
		rel := img
		if !filepath.IsLocal(img) {
			rel = filepath.Base(img)
		}
		o := filepath.Join(outDir, strings.TrimSuffix(rel, filepath.Ext(rel))+".png")
		in := img
		if !filepath.IsAbs(img) {
			in = filepath.Join(base, img)
		}
		if prev, ok := seen[o]; ok {
			return nil, fmt.Errorf("%s:%d: output %s is also written by line %d", path, line, o, prev)
		}
		seen[o] = line
		jobs = append(jobs, job{
			image:  img,
			path:   in,
			names:  colormap.SplitNames(rec[colCol]),
			output: o,
		})
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%s: no images", path)
	}
	return jobs, nil
}

// process runs the jobs on n workers and reports them in input order.
func process(ctx context.Context, jobs []job, opts *palette.Options, n int, jsonOut bool, env Env) int {
	start := time.Now()
	results := make([]chan Output, len(jobs))
	for i := range results {
		results[i] = make(chan Output, 1)
	}
	// The bar starts before the first job: its rate is swatches over the
	// time since then.
	bar := newBar(env, len(jobs), "swatches", "img")
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(jobs)) {
		wg.Go(func() {
			for i := range work {
				results[i] <- runJob(ctx, jobs[i], opts)
			}
		})
	}
	go func() {
		defer close(work)
		for i := range jobs {
			select {
			case work <- i:
			case <-ctx.Done():
				for ; i < len(jobs); i++ {
					results[i] <- Output{Image: jobs[i].image, Error: "interrupted: " + ctx.Err().Error()}
				}
				return
			}
		}
	}()

	status := ExitOK
	enc := json.NewEncoder(env.Stdout)
	enc.SetEscapeHTML(false)
	failed := 0
	for i := range jobs {
		o := <-results[i]
		if bar != nil {
			bar.Add(1)
		}
		if o.Error != "" {
			status = ExitFailed
			failed++
		}
		for _, p := range o.Colors {
			if p.Via == "unknown" {
				if bar != nil {
					bar.Clear()
				}
				fmt.Fprintf(env.Stderr, "palettecli: %s: unknown colour name %q%s: the swatch uses the product's main colour for it (low_confidence); add it to the colour map, or -unknown-names=fail to fail instead\n",
					o.Image, cmp.Or(p.Part, p.Name), didYouMean(opts.Map, cmp.Or(p.Part, p.Name)))
			}
		}
		if jsonOut {
			if o.Colors == nil {
				o.Colors = []palette.Pick{}
			}
			if o.Candidates == nil {
				o.Candidates = []palette.Candidate{}
			}
			if err := enc.Encode(o); err != nil {
				fmt.Fprintf(env.Stderr, "palettecli: writing output: %v\n", err)
				status = ExitFailed
			}
			continue
		}
		if bar != nil {
			bar.Clear()
		}
		if o.Error != "" {
			fmt.Fprintf(env.Stderr, "%s: %s\n", o.Image, o.Error)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s → %s %s\n", o.Image, o.Output, describe(o.Colors))
	}
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if len(jobs) > 1 || failed > 0 {
		fmt.Fprintf(env.Stderr, "palettecli: %d swatches, %d failed (%s)\n", len(jobs)-failed, failed, time.Since(start).Round(time.Millisecond))
	}
	return status
}

// describe summarises picks for a person: "Grey #8a8a8a (ΔE 3.1), …".
func describe(picks []palette.Pick) string {
	parts := make([]string, len(picks))
	for i, p := range picks {
		s := fmt.Sprintf("%s %s (ΔE %.1f)", p.Name, p.Hex, p.DeltaE)
		switch p.Via {
		case "multi":
			s = fmt.Sprintf("%s %s (%.0f%%)", p.Name, p.Hex, 100*p.Share)
		case "unknown":
			s = fmt.Sprintf("%s %s (unknown name: the main colour)", p.Name, p.Hex)
		case "head", "vocabulary":
			s = fmt.Sprintf("%s %s (as %s, ΔE %.1f)", p.Name, p.Hex, p.Resolved, p.DeltaE)
		}
		if p.LowConfidence {
			s += " LOW CONFIDENCE"
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

// runJob makes and writes one swatch.
func runJob(ctx context.Context, j job, opts *palette.Options) Output {
	o := Output{Image: j.image}
	if len(j.names) == 0 {
		o.Error = palette.ErrNoNames.Error()
		return o
	}
	res, err := generate(ctx, j.path, j.names, opts)
	if err != nil {
		o.Error = fileError(err)
		return o
	}
	if err := writeFile(j.output, res.Swatch); err != nil {
		o.Error = fileError(err)
		return o
	}
	o.Output, o.Colors, o.Candidates, o.Bytes = j.output, res.Picks, res.Candidates, len(res.Swatch)
	return o
}

// generate reads the image file within the byte limit and runs the
// pipeline.
func generate(ctx context.Context, path string, names []string, opts *palette.Options) (*palette.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return palette.ProcessReader(ctx, f, names, opts)
}

func fileError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, pe.Path, pe.Err)
	}
	return err.Error()
}

// writeFile writes data atomically: a temporary file in the same folder,
// renamed over the target.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// didYouMean is " (did you mean "X"?)" for the map names nearest to an
// unknown name, or "".
func didYouMean(m *colormap.Map, name string) string {
	if m == nil {
		m = colormap.Default()
	}
	sug := m.Suggest(name, 2)
	switch len(sug) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (did you mean %q?)", sug[0])
	}
	return fmt.Sprintf(" (did you mean %q or %q?)", sug[0], sug[1])
}
