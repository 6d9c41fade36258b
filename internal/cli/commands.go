package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/eval"
)

// runExplain writes the HTML report of one image.
func runExplain(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli explain", env)
	var c common
	c.register(fs)
	out := fs.String("o", "", "report file (default: IMAGE's base name + .explain.html in the current directory)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: palettecli explain -colors \"Grey,Pink\" [-o REPORT.html] IMAGE")
		fmt.Fprintln(env.Stderr, "Writes an HTML page: the photo, its quantized version, the candidates and their shares, each name's ΔE to each candidate, the picks and the swatch.")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() != 1 {
		return usageError(env, "explain takes exactly one image")
	}
	names := colormap.SplitNames(c.colors)
	if len(names) == 0 {
		return usageError(env, "-colors is required")
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitUsage
	}
	img := fs.Arg(0)
	path := *out
	if path == "" {
		path = swatchName(img, false)
		path = path[:len(path)-len(".png")] + ".explain.html"
	}
	if err := checkOutputs([]job{{image: img, path: img, output: path}}); err != nil {
		return usageError(env, "%v", err)
	}
	page, err := explainPage(ctx, img, names, opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %s: %s\n", img, fileError(err))
		return ExitFailed
	}
	if err := writeFile(path, page); err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %s\n", fileError(err))
		return ExitFailed
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", path)
	return ExitOK
}

// runEval scores a labelled set.
func runEval(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli eval", env)
	var c common
	c.registerMap(fs)
	jsonOut := fs.Bool("json", false, "write the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: palettecli eval [-json] LABELS.csv")
		fmt.Fprintln(env.Stderr, "Scores the swatch colours against the reference shades of a labelled set (columns file, colours, ref_hex; images relative to the CSV).")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() != 1 {
		return usageError(env, "eval takes one labels file")
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitUsage
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %s\n", fileError(err))
		return ExitUsage
	}
	rows, err := eval.ReadLabels(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %s: %v\n", fs.Arg(0), err)
		return ExitUsage
	}
	rep, err := eval.Run(ctx, rows, filepath.Dir(fs.Arg(0)), opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitFailed
	}
	if *jsonOut {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.WriteText(env.Stdout)
	}
	if rep.Failed > 0 {
		return ExitFailed
	}
	return ExitOK
}

// runColormap handles "colormap check FILE...".
func runColormap(args []string, env Env) int {
	if len(args) < 2 || args[0] != "check" {
		return usageError(env, "usage: palettecli colormap check FILE...")
	}
	status := ExitOK
	for _, path := range args[1:] {
		m, err := colormap.Load(path)
		if err != nil {
			var le colormap.Errors
			if errors.As(err, &le) {
				for _, e := range le {
					fmt.Fprintln(env.Stderr, e)
				}
			} else {
				fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
			}
			status = ExitFailed
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: ok, %d entries\n", path, len(m.Entries()))
	}
	return status
}
