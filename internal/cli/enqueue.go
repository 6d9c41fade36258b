package cli

import (
	"bufio"
	"bytes"
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
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/palette-dev/palette/queue"
)

// runEnqueue sends the jobs of a JSON Lines or CSV file to the jobs topic,
// for backfills.
func runEnqueue(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli enqueue", env)
	brokers := fs.String("brokers", "", "Kafka bootstrap brokers, comma-separated (default: $PALETTE_BROKERS)")
	topic := fs.String("topic", "palette.jobs", "jobs topic")
	perSec := fs.Float64("rate", 0, "jobs sent per second at most (0: no limit)")
	format := fs.String("format", "auto", `FILE's format: "jsonl", "csv", or "auto" (.csv is CSV, .jsonl/.ndjson/.json JSON Lines; otherwise JSON Lines if the first line starts with "{")`)
	partial := fs.Bool("partial", false, "send the good lines even when some are bad (the exit status is still 1)")
	dryRun := fs.Bool("dry-run", false, "check FILE and write the job messages that would be sent to stdout; send nothing")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: palettecli enqueue -brokers ADDR [-topic palette.jobs] [-rate N] [-partial] [-dry-run] FILE|-")
		fmt.Fprintln(env.Stderr, `Sends jobs to the worker's jobs topic (a backfill). FILE is JSON Lines of job messages, or CSV with the header "product_id,image,colors[,output]" (colours separated by "|"); "-" reads standard input. Every line is checked with the worker's own job parser first; bad lines are reported as FILE:LINE and nothing is sent (unless -partial). The Kafka key is the product id.`)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() != 1 {
		return usageError(env, "enqueue takes one FILE (or - for standard input)")
	}
	if *perSec < 0 {
		return usageError(env, "-rate must be 0 (no limit) or more")
	}
	switch *format {
	case "auto", "jsonl", "csv":
	default:
		return usageError(env, `-format %q: want jsonl, csv or auto`, *format)
	}
	addrs := splitList(cmp.Or(*brokers, getenv(env, "PALETTE_BROKERS")))
	if len(addrs) == 0 && !*dryRun {
		return usageError(env, "-brokers (or PALETTE_BROKERS) is required")
	}

	name := fs.Arg(0)
	var in io.Reader = env.Stdin
	if name == "-" {
		name = "stdin"
		if in == nil {
			in = strings.NewReader("")
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(env.Stderr, "palettecli: %s\n", fileError(err))
			return ExitUsage
		}
		defer f.Close()
		in = f
	}
	jobs, bad, err := readJobs(name, in, *format)
	for _, b := range bad {
		fmt.Fprintln(env.Stderr, b)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitFailed
	}
	status := ExitOK
	if len(bad) > 0 {
		status = ExitFailed
		if !*partial {
			fmt.Fprintf(env.Stderr, "palettecli: %s: %d bad %s, nothing sent (-partial sends the good ones)\n", name, len(bad), plural(len(bad), "line"))
			return status
		}
	}
	if len(jobs) == 0 {
		fmt.Fprintf(env.Stderr, "palettecli: %s: no jobs\n", name)
		return ExitFailed
	}
	left := ""
	if len(bad) > 0 {
		left = fmt.Sprintf("; %d bad %s left out", len(bad), plural(len(bad), "line"))
	}

	if *dryRun {
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		for _, j := range jobs {
			enc.Encode(j)
		}
		fmt.Fprintf(env.Stderr, "palettecli: would enqueue %d %s to %s%s\n", len(jobs), plural(len(jobs), "job"), *topic, left)
		return status
	}

	start := time.Now()
	bar := newBar(env, len(jobs), "jobs", "job")
	cfg := queue.ProducerConfig{Brokers: addrs, Topic: *topic, Rate: *perSec}
	if bar != nil {
		cfg.OnSent = func(n int) { bar.Add(n) }
	}
	p, err := queue.NewProducer(cfg)
	if err != nil {
		return usageError(env, "%v", err)
	}
	n, err := p.Send(ctx, jobs)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if bar != nil {
		bar.Finish()
	}
	took := time.Since(start)
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: enqueued %d of %d jobs to %s, then: %v\n", n, len(jobs), *topic, err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stderr, "palettecli: enqueued %d %s to %s in %s (%.0f jobs/s)%s\n",
		n, plural(n, "job"), *topic, took.Round(time.Millisecond), float64(n)/took.Seconds(), left)
	return status
}

// lineError is a bad line of an enqueue file.
type lineError struct {
	file string
	line int
	msg  string
}

func (e lineError) String() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// readJobs reads the jobs of an enqueue file and returns the good ones and
// the bad lines. The error is for a file that cannot be read at all (a
// wrong CSV header, a read error).
func readJobs(name string, r io.Reader, format string) ([]queue.Job, []lineError, error) {
	br := bufio.NewReader(r)
	if format == "auto" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv":
			format = "csv"
		case ".jsonl", ".ndjson", ".json":
			format = "jsonl"
		default:
			format = "csv"
			if firstNonBlank(br) == '{' {
				format = "jsonl"
			}
		}
	}
	if format == "csv" {
		return readJobsCSV(name, br)
	}
	return readJobsJSONL(name, br)
}

// firstNonBlank peeks at the first byte of the input that is not white
// space or a byte order mark (0 if there is none in the first 4 KiB).
func firstNonBlank(br *bufio.Reader) byte {
	b, _ := br.Peek(4096)
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\ufeff")), " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// readJobsJSONL reads one job message per line, each checked by
// queue.ParseJob, as the worker reads it. Blank lines are skipped.
func readJobsJSONL(name string, br *bufio.Reader) ([]queue.Job, []lineError, error) {
	var jobs []queue.Job
	var bad []lineError
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, bad, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			j, perr := queue.ParseJob(t)
			if perr != nil {
				bad = append(bad, lineError{name, line, jobProblem(perr)})
			} else {
				jobs = append(jobs, j)
			}
		}
		if err != nil {
			return jobs, bad, nil
		}
	}
}

// csvHeader is the header enqueue's CSV must have, with or without the
// output column.
var csvHeader = []string{"product_id", "image", "colors", "output"}

// readJobsCSV reads "product_id,image,colors[,output]" rows; colours are
// separated by "|". Each row becomes a job message checked by
// queue.ParseJob.
func readJobsCSV(name string, br *bufio.Reader) ([]queue.Job, []lineError, error) {
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, nil, fmt.Errorf("%s: reading the CSV header: %w", name, err)
	}
	for i := range head {
		head[i] = strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff"))
	}
	if len(head) < 3 || len(head) > 4 || !slices.EqualFunc(head, csvHeader[:len(head)], strings.EqualFold) {
		return nil, nil, fmt.Errorf(`%s:1: the CSV header must be "product_id,image,colors" or "product_id,image,colors,output", not %q`, name, strings.Join(head, ","))
	}
	var jobs []queue.Job
	var bad []lineError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return jobs, bad, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad = append(bad, lineError{name, pe.StartLine, pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, bad, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(head) {
			bad = append(bad, lineError{name, line, fmt.Sprintf(`%d fields, the header names %d (separate colours with "|")`, len(rec), len(head))})
			continue
		}
		j := queue.Job{V: queue.JobVersion, ProductID: strings.TrimSpace(rec[0]), Image: strings.TrimSpace(rec[1])}
		for c := range strings.SplitSeq(rec[2], "|") {
			if c = strings.TrimSpace(c); c != "" {
				j.Colors = append(j.Colors, c)
			}
		}
		if len(rec) == 4 {
			j.Output = strings.TrimSpace(rec[3])
		}
		// The worker's parser judges the message as it will be sent.
		v, err := json.Marshal(j)
		if err == nil {
			j, err = queue.ParseJob(v)
		}
		if err != nil {
			bad = append(bad, lineError{name, line, jobProblem(err)})
			continue
		}
		jobs = append(jobs, j)
	}
}

// jobProblem is a ParseJob error without its "queue: bad job: " prefix.
func jobProblem(err error) string {
	return strings.TrimPrefix(err.Error(), queue.ErrBadJob.Error()+": ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// getenv reads the environment of env (nil Getenv: an empty one).
func getenv(env Env, key string) string {
	if env.Getenv == nil {
		return ""
	}
	return env.Getenv(key)
}

// newBar is a progress bar on stderr for n items when stderr is a
// terminal and there is more than one item; nil otherwise.
func newBar(env Env, n int, desc, unit string) *progressbar.ProgressBar {
	if !env.TTY || n <= 1 {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000))
}
