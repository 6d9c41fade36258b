package review

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/palette-dev/palette/queue"
)

// DefaultWindow is how far back a server reads the topics by default.
const DefaultWindow = 7 * 24 * time.Hour

// Topics are where the list comes from (the results and dead-letter
// topics) and where a dead letter is sent back to (the jobs topic): what
// palette-worker and palettecli serve both wire a Handler to.
type Topics struct {
	Brokers            []string
	Jobs, Results, DLQ string
}

// TopicsOf are the topics of a worker's queue configuration.
func TopicsOf(c queue.Config) Topics {
	jobs, results, dlq := c.Topics()
	return Topics{Brokers: c.Brokers, Jobs: jobs, Results: results, DLQ: dlq}
}

// NewIndex is an empty list of records of t, at most max items no older
// than window.
func (t Topics) NewIndex(max int, window time.Duration) *Index {
	return NewIndex(IndexConfig{ResultsTopic: t.Results, DLQTopic: t.DLQ, Max: max, Window: window})
}

// Redrive sends the dead letter at partition/offset back to the jobs
// topic (queue.RedriveOne): Config.Redrive.
func (t Topics) Redrive(ctx context.Context, partition int, offset int64) (queue.Letter, error) {
	return queue.RedriveOne(ctx, t.Brokers, t.DLQ, partition, offset, t.Jobs)
}

// Follow feeds idx with the records of the results and dead-letter topics
// from since on, until ctx is done (queue.Follow).
func (t Topics) Follow(ctx context.Context, idx *Index, since time.Time, log *slog.Logger) error {
	return queue.Follow(ctx, queue.FollowConfig{Brokers: t.Brokers, Topics: []string{t.Results, t.DLQ}, Since: since, Logger: log}, idx.Apply)
}

// Mount serves h on mux at every path of the review API (Paths).
func Mount(mux *http.ServeMux, h http.Handler) {
	for _, p := range Paths {
		mux.Handle(p, h)
	}
}
