package queue_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/palette-dev/palette/queue"
)

// A worker: a handler that makes the swatch, and a Consumer that runs it
// until SIGTERM.
func ExampleConsumer() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	c, err := queue.NewConsumer(queue.Config{Brokers: []string{"localhost:9092"}},
		func(ctx context.Context, job queue.Job) (queue.Result, error) {
			if len(job.Colors) == 0 {
				return queue.Result{}, queue.Permanent(errNoColors)
			}
			// ... fetch job.Image, generate, store the swatch ...
			return queue.Result{Output: job.Output}, nil
		})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

var errNoColors = errorString("no colour names")

type errorString string

func (e errorString) Error() string { return string(e) }
