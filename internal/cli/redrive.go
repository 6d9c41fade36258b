package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/palette-dev/palette/queue"
)

// runRedrive sends dead letters back to the jobs topic, once each.
func runRedrive(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli redrive", env)
	brokers := fs.String("brokers", "", "Kafka bootstrap brokers, comma-separated (default: $PALETTE_BROKERS)")
	from := fs.String("from", "palette.jobs.dlq", "dead-letter topic")
	to := fs.String("to", "palette.jobs", "jobs topic the letters are sent back to")
	group := fs.String("group", "", "consumer group whose offsets on -from say which letters were redriven already (default: palette-redrive; with -class or -reason that filter's own, palette-redrive.CLASS.reason-TEXT)")
	class := fs.String("class", "", `only letters of this error class: "permanent" or "transient-exhausted" (default: any)`)
	reason := fs.String("reason", "", "only letters whose error reason contains TEXT, ignoring case")
	dryRun := fs.Bool("dry-run", false, "list the letters that would be sent; send and commit nothing")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: palettecli redrive -brokers ADDR [-from palette.jobs.dlq] [-to palette.jobs] [-class permanent|transient-exhausted] [-reason TEXT] [-dry-run]")
		fmt.Fprintln(env.Stderr, "Sends the dead letters that match back to the jobs topic (same key and value, a redriven-from header, no error headers), each once per group: the group's committed offset moves past every letter read, matching or not, and a filtered run has its own group. Stops at the end offsets seen at the start.")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return usageError(env, "redrive takes no arguments, got %q", fs.Args())
	}
	addrs := splitList(cmp.Or(*brokers, getenv(env, "PALETTE_BROKERS")))
	if len(addrs) == 0 {
		return usageError(env, "-brokers (or PALETTE_BROKERS) is required")
	}
	cfg := queue.RedriveConfig{
		Brokers: addrs, From: *from, To: *to, Group: *group, Class: *class, Reason: *reason, DryRun: *dryRun,
		Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if err := cfg.Validate(); err != nil {
		return usageError(env, "%v", err)
	}
	verb := "sent"
	if *dryRun {
		verb = "would send"
	}
	cfg.OnLetter = func(l queue.Letter) {
		fmt.Fprintf(env.Stdout, "%s %s key=%q class=%s attempts=%d reason=%q\n", verb, l.Place(), l.Key, l.Class, l.Attempts, l.Reason)
	}
	start := time.Now()
	rep, err := queue.Redrive(ctx, cfg)
	passed := ""
	if n := rep.Read - rep.Sent; n > 0 {
		passed = fmt.Sprintf(", %d passed over by -class/-reason", n)
	}
	switch {
	case err != nil:
		fmt.Fprintf(env.Stderr, "palettecli: redrove %d of %d dead letters read (group %s), then: %v\n", rep.Sent, rep.Read, rep.Group, err)
		return ExitFailed
	case rep.Partitions == 0:
		fmt.Fprintf(env.Stderr, "palettecli: no dead letters on %s left for group %s\n", *from, rep.Group)
	case *dryRun:
		fmt.Fprintf(env.Stderr, "palettecli: would redrive %d of %d dead %s from %s to %s%s (group %s); sent and committed nothing\n",
			rep.Sent, rep.Read, plural(rep.Read, "letter"), *from, *to, passed, rep.Group)
	default:
		fmt.Fprintf(env.Stderr, "palettecli: redrove %d of %d dead %s from %s to %s%s (group %s) in %s\n",
			rep.Sent, rep.Read, plural(rep.Read, "letter"), *from, *to, passed, rep.Group, time.Since(start).Round(time.Millisecond))
	}
	return ExitOK
}
