package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/review"
	"github.com/palette-dev/palette/store"
)

// Review defaults.
const (
	DefaultReviewWindow = review.DefaultWindow
	DefaultReviewMax    = review.DefaultMax
)

// writeSwatch writes a job's swatch to out, unless a person fixed the
// swatch there: then it leaves it and returns the result to publish
// instead (source manual, the fix's colours read back from the object's
// metadata). The write is conditional on the object seen: If-Match its
// ETag, or If-None-Match "*" when there was none, so a fix written
// between the look and the write is never overwritten: the write is
// refused (412) and the object looked at again. Errors come classified
// for the queue (transient or queue.Permanent).
func (w *Worker) writeSwatch(ctx context.Context, job queue.Job, out string, png []byte) (kept *queue.Result, err error) {
	o := store.PutOptions{ContentType: "image/png", CacheControl: w.cfg.CacheControl}
	for range 5 {
		info, err := w.router.Stat(ctx, out)
		switch {
		case errors.Is(err, store.ErrNotFound):
			o.IfMatch, o.IfNoneMatch = "", "*"
		case err != nil:
			return nil, w.storeError(ctx, out, true, fmt.Errorf("writing %s: %w", out, err))
		default:
			if f, ok := review.FixOf(info.Metadata); ok {
				r := f.Result(job.ProductID, job.Image, out, int(info.Size))
				w.log.Info("swatch fixed by hand: kept", "output", out, "product_id", job.ProductID, "fixed_by", f.FixedBy)
				return &r, nil
			}
			o.IfMatch, o.IfNoneMatch = info.ETag, ""
		}
		err = w.router.Put(ctx, out, png, o)
		switch {
		case errors.Is(err, store.ErrPreconditionFailed), o.IfMatch != "" && errors.Is(err, store.ErrNotFound):
			continue // written (or deleted) since we looked: look again
		case err != nil:
			return nil, w.storeError(ctx, out, true, fmt.Errorf("writing %s: %w", out, err))
		}
		return nil, nil
	}
	return nil, fmt.Errorf("writing %s: the object kept changing; will retry", out) // transient
}

// reviewer is the review list and its API on the worker's HTTP server.
type reviewer struct {
	handler *review.Handler
	index   *review.Index
	pub     *queue.Publisher
	topics  review.Topics
	since   time.Time
	log     *slog.Logger
}

// newReviewer builds the review API on the worker's stores, output
// policy, admin token and topics.
func newReviewer(w *Worker) (*reviewer, error) {
	cfg := w.cfg
	if cfg.ReviewWindow == 0 {
		cfg.ReviewWindow = DefaultReviewWindow
	}
	if cfg.ReviewWindow < 0 || cfg.ReviewMax < 0 {
		return nil, fmt.Errorf("worker: review window %v and max %d must not be negative", cfg.ReviewWindow, cfg.ReviewMax)
	}
	topics := review.TopicsOf(cfg.Queue)
	idx := topics.NewIndex(cfg.ReviewMax, cfg.ReviewWindow)
	pub, err := queue.NewPublisher(topics.Brokers, topics.Results)
	if err != nil {
		return nil, err
	}
	h, err := review.NewHandler(review.Config{
		Index:        idx,
		AdminToken:   cfg.AdminToken,
		Objects:      w.router,
		CheckOutput:  func(out, image string) error { return store.CheckOutput(out, image, cfg.OutputAllow) },
		Publish:      pub.Publish,
		Redrive:      topics.Redrive,
		Size:         cfg.Size,
		CacheControl: cfg.CacheControl,
		Logger:       w.log,
	})
	if err != nil {
		return nil, err
	}
	return &reviewer{handler: h, index: idx, pub: pub, topics: topics, since: time.Now().Add(-cfg.ReviewWindow), log: w.log}, nil
}

// mount serves the review API on mux.
func (rv *reviewer) mount(mux *http.ServeMux) { review.Mount(mux, rv.handler) }

// start follows the results and dead-letter topics into the list until
// ctx is done; stop waits for that and closes the producer.
func (rv *reviewer) start(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		rv.topics.Follow(ctx, rv.index, rv.since, rv.log)
	}()
	return func() {
		<-done
		rv.pub.Close()
	}
}
