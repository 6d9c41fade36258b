package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/preview"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/render"
	"github.com/palette-dev/palette/review"
	"github.com/palette-dev/palette/store"
)

// runServe runs the preview page, the colour-map editor and the review
// page (package preview; the review list, package review, with -brokers)
// until ctx is done.
func runServe(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("palettecli serve", env)
	addr := fs.String("http", "127.0.0.1:8080", "address to listen on (host:port; :PORT listens on every interface)")
	mapFile := fs.String("colormap", "", "colour-map file: used for previews, and where the editor saves (default: the embedded map, read-only)")
	token := fs.String("admin-token", "", "token the editor needs to save the colour map (default: $PALETTE_ADMIN_TOKEN; none: the editor is read-only)")
	allow := fs.String("allow-hosts", "", "hosts https:// image addresses may come from, comma-separated (*.example.com allowed); none: uploads only")
	size := fs.Int("size", render.DefaultSize, fmt.Sprintf("default swatch side in pixels (%d to %d)", render.MinSize, render.MaxSize))
	brokers := fs.String("brokers", "", "Kafka brokers (host:port, comma-separated): serve the review list (/v1/review) from the palette.results and palette.jobs.dlq topics, and send dead letters again with the admin token; none: no review list")
	revWindow := fs.Duration("review-window", review.DefaultWindow, "how far back the review list reads the topics")
	revMax := fs.Int("review-max", review.DefaultMax, "most items the review list keeps")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: palettecli serve [-http ADDR] [-colormap FILE] [-admin-token TOKEN] [-allow-hosts HOSTS] [-brokers ADDR]")
		fmt.Fprintln(env.Stderr, "Serves the swatch preview page (/), the colour-map editor (/colormap) and the review page (/review: its list needs -brokers) in a browser. Saving needs -colormap and an admin token.")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return usageError(env, "serve takes no arguments, got %q", fs.Args())
	}
	*token = cmp.Or(*token, getenv(env, "PALETTE_ADMIN_TOKEN"))
	// A token read from a file or a secret often ends in a newline, and
	// the editor and the API trim the token typed: trim it here too, else
	// no token ever matches (a token of blanks is none: read-only).
	*token = strings.TrimSpace(*token)
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	cfg := preview.Config{ColormapFile: *mapFile, AdminToken: *token, Size: *size, Logger: log}
	if *size < render.MinSize || *size > render.MaxSize {
		return usageError(env, "-size %d is out of range %d to %d", *size, render.MinSize, render.MaxSize)
	}
	if hosts := splitList(*allow); len(hosts) > 0 {
		h, err := store.NewHTTP(store.HTTPConfig{AllowHosts: hosts})
		if err != nil {
			return usageError(env, "-allow-hosts: %v", err)
		}
		cfg.Fetch = (&store.Router{HTTP: h}).Get
	}
	srv, err := preview.New(cfg)
	if err != nil {
		var le colormap.Errors
		switch {
		case errors.Is(err, os.ErrNotExist):
			return usageError(env, "-colormap %s: no such file", *mapFile)
		case errors.As(err, &le):
			for _, e := range le {
				fmt.Fprintln(env.Stderr, e)
			}
		default:
			fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		}
		return ExitUsage
	}
	var handler http.Handler = srv
	if bs := splitList(*brokers); len(bs) > 0 {
		h, err := followReview(ctx, bs, *token, *revWindow, *revMax, log)
		if err != nil {
			return usageError(env, "%v", err)
		}
		mux := http.NewServeMux()
		review.Mount(mux, h)
		mux.Handle("/", srv)
		handler = mux
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitFailed
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	editing := "read-only (no -colormap file)"
	switch {
	case *mapFile != "" && *token != "":
		editing = "on, saves to " + *mapFile
	case *mapFile != "":
		editing = "read-only (no admin token)"
	}
	fmt.Fprintf(env.Stdout, "palettecli: serving on http://%s/  (colour-map editor: http://%s/colormap, editing %s; Ctrl-C stops)\n",
		browseAddr(ln.Addr()), browseAddr(ln.Addr()), editing)

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(env.Stderr, "palettecli: %v\n", err)
		return ExitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return ExitOK
}

// followReview serves the review list of the default topics on brokers,
// followed until ctx is done: read-only (no store to write fixes to), but
// dead letters can be sent again with the admin token.
func followReview(ctx context.Context, brokers []string, token string, window time.Duration, max int, log *slog.Logger) (*review.Handler, error) {
	if window <= 0 || max <= 0 {
		return nil, fmt.Errorf("-review-window %v and -review-max %d must be positive", window, max)
	}
	topics := review.TopicsOf(queue.Config{Brokers: brokers})
	idx := topics.NewIndex(max, window)
	h, err := review.NewHandler(review.Config{Index: idx, AdminToken: token, Logger: log, Redrive: topics.Redrive})
	if err != nil {
		return nil, err
	}
	go topics.Follow(ctx, idx, time.Now().Add(-window), log)
	return h, nil
}

// browseAddr is a listening address as one would type it in a browser.
func browseAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return fmt.Sprintf("localhost:%d", ta.Port)
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
