package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Config configures a [Consumer]. The zero value of every field except
// Brokers is its documented default.
type Config struct {
	// Brokers are the bootstrap addresses (host:port); at least one.
	Brokers []string
	// Topic is the jobs topic; default "palette.jobs".
	Topic string
	// Group is the consumer group id; default "palette-worker".
	Group string
	// ResultsTopic receives one Result per finished job; default "palette.results".
	ResultsTopic string
	// DLQTopic receives jobs that failed for good; default "palette.jobs.dlq".
	DLQTopic string

	// Concurrency is the number of jobs in flight at once; default 4, at most 1024.
	Concurrency int
	// MaxAttempts is how many times a transiently failing job is tried
	// before it is dead-lettered as "transient-exhausted"; default 5.
	MaxAttempts int
	// Backoff is the delay before the first retry, doubled for each
	// further retry up to MaxBackoff, with jitter (a uniform random amount
	// between half and all of the delay); defaults 200ms and 10s. The same
	// schedule paces retries of a failed publish to the results or
	// dead-letter topic.
	Backoff, MaxBackoff time.Duration
	// Rand is the jitter source; nil means a randomly seeded one. The
	// Consumer serialises its use.
	Rand *rand.Rand
	// SessionTimeout is the consumer-group session: a worker that dies
	// without leaving the group (kill -9, a lost machine) keeps its
	// partitions this long before they move to the others. Also the
	// rebalance timeout. Default 10s; brokers refuse values below their
	// group.min.session.timeout.ms (6s by default).
	SessionTimeout time.Duration
	// ShutdownTimeout is how long Run waits for in-flight jobs after its
	// context is cancelled; default 30s. Jobs still running then are
	// abandoned uncommitted and will be redelivered.
	ShutdownTimeout time.Duration

	// Gate, when set, is called before each fetch and before each retry
	// of a job that failed with an [Unavailable] error. It blocks while a
	// dependency the jobs need is down and returns nil once work may go on,
	// or ctx's error. While it blocks the consumer takes no new jobs but
	// stays in its group (kafka-go heartbeats in the background), so a
	// long outage of object storage pauses the backlog instead of
	// dead-lettering it.
	Gate func(ctx context.Context) error

	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// Hooks are optional metric callbacks.
	Hooks Hooks
}

// Hooks are optional callbacks for metrics. Any of them may be nil. They are
// called from several goroutines at once and must be quick.
type Hooks struct {
	// OnOutcome is called once per job with its outcome — "ok",
	// "dead_letter_permanent", "dead_letter_exhausted", "abandoned" or
	// "dropped" — and its wall time.
	OnOutcome func(outcome string, d time.Duration)
	// OnRetry is called before each retry of a handler call.
	OnRetry func()
	// OnInFlight is called with +1 when a job starts and -1 when it ends.
	OnInFlight func(delta int)
	// OnLag is called after each fetch with the partition's lag in
	// messages (high-water mark minus the next offset).
	OnLag func(partition int, lag int64)
	// OnUnpublishable is called when a result or dead letter can never be
	// written to its topic (too large for it, say), with the topic.
	OnUnpublishable func(topic string)
}

// Outcomes passed to Hooks.OnOutcome.
const (
	OutcomeOK        = "ok"
	OutcomePermanent = "dead_letter_permanent"
	OutcomeExhausted = "dead_letter_exhausted"
	OutcomeAbandoned = "abandoned"
	// OutcomeDropped: the job failed for good and not even a cut dead
	// letter could be published (the topic refuses it); it is logged at
	// ERROR and counted, and its partition moves on.
	OutcomeDropped     = "dropped"
	maxConcurrency     = 1024
	defaultShutdown    = 30 * time.Second
	defaultBackoff     = 200 * time.Millisecond
	defaultMaxBackoff  = 10 * time.Second
	defaultConcurrency = 4
	defaultMaxAttempts = 5
)

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Topic, "palette.jobs")
	def(&c.Group, "palette-worker")
	def(&c.ResultsTopic, "palette.results")
	def(&c.DLQTopic, "palette.jobs.dlq")
	if c.Concurrency == 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.Backoff == 0 {
		c.Backoff = defaultBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = defaultMaxBackoff
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = defaultShutdown
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Topics are c's jobs, results and dead-letter topics, defaults applied.
func (c Config) Topics() (jobs, results, dlq string) {
	c = c.withDefaults()
	return c.Topic, c.ResultsTopic, c.DLQTopic
}

// Validate reports whether c, with defaults applied, is usable.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("queue: no brokers"))
	}
	for _, b := range c.Brokers {
		if b == "" {
			errs = append(errs, errors.New("queue: empty broker address"))
		}
	}
	if c.Topic == c.ResultsTopic || c.Topic == c.DLQTopic {
		errs = append(errs, fmt.Errorf("queue: jobs topic %q must differ from the results and dead-letter topics", c.Topic))
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("queue: concurrency %d out of range 1..%d", c.Concurrency, maxConcurrency))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("queue: max attempts %d must be at least 1", c.MaxAttempts))
	}
	if c.Backoff < 0 || c.MaxBackoff < c.Backoff {
		errs = append(errs, fmt.Errorf("queue: backoff %v / max backoff %v: need 0 <= backoff <= max", c.Backoff, c.MaxBackoff))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("queue: negative shutdown timeout %v", c.ShutdownTimeout))
	}
	if c.SessionTimeout != 0 && c.SessionTimeout < time.Second {
		errs = append(errs, fmt.Errorf("queue: session timeout %v is below 1s", c.SessionTimeout))
	}
	return errors.Join(errs...)
}
