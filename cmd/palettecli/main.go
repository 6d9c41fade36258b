// Command palettecli makes colour swatches from local product photos: one by
// one, in batches from a manifest, with an explain report, and scores the
// method on a labelled set. Run "palettecli -h" for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/palette-dev/palette/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
