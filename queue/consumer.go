// Package queue runs palette jobs from Kafka: it consumes job messages,
// hands each to a Handler, publishes a Result or dead-letters the job, and
// only then commits its offset. Nothing else in the module sees Kafka.
//
// Delivery is at least once. Offsets are committed per partition only up to
// the highest offset below which every fetched job has finished (produced a
// result or a dead-letter message acknowledged by all in-sync replicas), so
// a crash never skips an unfinished job; it may redeliver finished ones,
// which is why outputs use idempotent keys.
//
// Kafka is reached through github.com/segmentio/kafka-go. Its consumer
// groups rebalance on their own: partitions move between workers without
// notice to this package, and after a rebalance a partition restarts from
// its last committed offset, so a job may be processed twice. kafka-go has
// no revoke callback, so a consumer that lost a partition in a rebalance may
// still finish that partition's in-flight jobs and commit their offsets,
// possibly behind the new owner's progress; that causes redelivery, never
// loss.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
)

// Handler does one job. An error marked with [Permanent] dead-letters the job
// at once; any other error is retried with backoff and dead-lettered after
// Config.MaxAttempts. The context is cancelled when the consumer gives up on
// the job at shutdown.
type Handler func(ctx context.Context, job Job) (Result, error)

// Dead-letter headers and their error-class values.
const (
	HeaderErrorClass  = "error-class"
	HeaderErrorReason = "error-reason"
	HeaderAttempts    = "attempts"

	ClassPermanent          = "permanent"
	ClassTransientExhausted = "transient-exhausted"

	maxReasonBytes = 1 << 10
	commitTimeout  = 10 * time.Second
	// commitRetryEvery is how often offsets whose commit failed are
	// committed again.
	commitRetryEvery = 500 * time.Millisecond
	writeTimeout     = 10 * time.Second
	batchTimeout     = time.Millisecond
)

// Consumer reads jobs from a consumer group and runs them through a Handler.
// Create it with [NewConsumer]; call Run once.
type Consumer struct {
	cfg     Config
	handle  Handler
	log     *slog.Logger
	randMu  sync.Mutex
	rand    *rand.Rand
	started atomic.Bool
}

// NewConsumer validates cfg and returns a Consumer that runs h.
func NewConsumer(cfg Config, h Handler) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("queue: nil handler")
	}
	cfg = cfg.withDefaults()
	r := cfg.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &Consumer{cfg: cfg, handle: h, log: cfg.Logger, rand: r}, nil
}

// Run consumes until ctx is cancelled. It then stops fetching, waits up to
// Config.ShutdownTimeout for in-flight jobs (jobs still running are then
// cancelled and left uncommitted), commits what finished, closes the reader
// (leaving the group) and returns. It returns nil after a clean shutdown and
// an error only if the final commit failed or Run was called twice.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("queue: Run called twice")
	}
	cfg := c.cfg
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:          cfg.Brokers,
		GroupID:          cfg.Group,
		Topic:            cfg.Topic,
		StartOffset:      kafka.FirstOffset,
		CommitInterval:   0, // synchronous commits, only through CommitMessages
		SessionTimeout:   cfg.SessionTimeout,
		RebalanceTimeout: cfg.SessionTimeout,
		MinBytes:         1,
		MaxBytes:         10 << 20,
		MaxWait:          500 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Warn("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	writer := &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		Async:        false,
		BatchTimeout: batchTimeout,
		WriteTimeout: writeTimeout,
		MaxAttempts:  3,
	}

	// Jobs run under workCtx, which outlives ctx by up to ShutdownTimeout.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	tr := newTracker()
	kick := make(chan struct{}, 1)
	committerDone := make(chan struct{})
	stopCommitter := make(chan struct{})
	go func() {
		// Commits are kicked when a frontier moves, and retried on a tick:
		// a commit that failed (the broker restarted, the group is
		// rebalancing) must not wait for the next frontier move, which may
		// never come if the partition is redelivered below its frontier.
		defer close(committerDone)
		retry := time.NewTicker(commitRetryEvery)
		defer retry.Stop()
		for {
			select {
			case <-kick:
			case <-retry.C:
			case <-stopCommitter:
				return
			}
			c.commit(reader, tr)
		}
	}()

	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	c.log.Info("queue: consuming", "topic", cfg.Topic, "group", cfg.Group, "in_flight", cfg.Concurrency)
fetch:
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break fetch
		}
		m, err := reader.FetchMessage(ctx)
		if err != nil {
			<-sem
			if ctx.Err() != nil {
				break fetch
			}
			c.log.Warn("queue: fetch failed", "err", err)
			if !sleepCtx(ctx, cfg.Backoff) {
				break fetch
			}
			continue
		}
		if c.cfg.Hooks.OnLag != nil && m.HighWaterMark > 0 {
			c.cfg.Hooks.OnLag(m.Partition, max(0, m.HighWaterMark-m.Offset-1))
		}
		tr.add(m.Partition, m.Offset)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if c.process(workCtx, ctx.Done(), writer, m) && tr.done(m.Partition, m.Offset) {
				select {
				case kick <- struct{}{}:
				default:
				}
			}
		}()
	}

	// Shutdown: wait for in-flight jobs, then give up on the rest.
	c.log.Info("queue: stopping", "shutdown_timeout", cfg.ShutdownTimeout.String())
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	timer := time.NewTimer(cfg.ShutdownTimeout)
	select {
	case <-finished:
		timer.Stop()
	case <-timer.C:
		c.log.Warn("queue: shutdown timeout; abandoning running jobs uncommitted")
	}
	cancelWork()
	close(stopCommitter)
	<-committerDone
	err := c.commit(reader, tr)
	if cerr := reader.Close(); cerr != nil {
		c.log.Warn("queue: closing reader", "err", cerr)
	}
	if werr := writer.Close(); werr != nil {
		c.log.Warn("queue: closing writer", "err", werr)
	}
	if err != nil {
		return fmt.Errorf("queue: final commit: %w", err)
	}
	return nil
}

// commit commits every partition's frontier that moved.
func (c *Consumer) commit(reader *kafka.Reader, tr *tracker) error {
	offsets := tr.committable()
	if len(offsets) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, 0, len(offsets))
	for part, next := range offsets {
		// CommitMessages commits Offset+1.
		msgs = append(msgs, kafka.Message{Topic: c.cfg.Topic, Partition: part, Offset: next - 1})
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if err := reader.CommitMessages(ctx, msgs...); err != nil {
		c.log.Warn("queue: commit failed; will retry", "err", err)
		return err
	}
	tr.markCommitted(offsets)
	return nil
}

// process runs one message to a result or a dead-letter entry and reports
// whether it is finished (its offset may be committed). It returns false if
// the job was abandoned because the consumer is shutting down.
func (c *Consumer) process(ctx context.Context, stopping <-chan struct{}, w *kafka.Writer, m kafka.Message) bool {
	start := time.Now()
	hooks := c.cfg.Hooks
	if hooks.OnInFlight != nil {
		hooks.OnInFlight(1)
		defer hooks.OnInFlight(-1)
	}
	outcome := func(o string) {
		if hooks.OnOutcome != nil {
			hooks.OnOutcome(o, time.Since(start))
		}
	}
	log := c.log.With("partition", m.Partition, "offset", m.Offset)

	job, err := ParseJob(m.Value)
	attempts := 0
	if err == nil {
		log = log.With("product_id", job.ProductID)
		for {
			attempts++
			var res Result
			res, err = c.call(ctx, job)
			var value []byte
			if err == nil {
				value, err = encodeResult(job, res, start)
			}
			if err == nil {
				if !c.publish(ctx, w, kafka.Message{Topic: c.cfg.ResultsTopic, Key: []byte(job.ProductID), Value: value}) {
					outcome(OutcomeAbandoned)
					return false
				}
				log.Info("queue: job done", "outcome", OutcomeOK, "attempts", attempts, "duration_ms", time.Since(start).Milliseconds())
				outcome(OutcomeOK)
				return true
			}
			if ctx.Err() != nil {
				log.Warn("queue: job abandoned at shutdown", "err", err)
				outcome(OutcomeAbandoned)
				return false
			}
			if IsPermanent(err) || attempts >= c.cfg.MaxAttempts {
				break
			}
			log.Info("queue: job failed; retrying", "attempt", attempts, "err", truncate(err.Error(), 256))
			if hooks.OnRetry != nil {
				hooks.OnRetry()
			}
			select {
			case <-time.After(c.backoff(attempts)):
			case <-stopping:
				// Not exhausted: leave it for the next consumer.
				outcome(OutcomeAbandoned)
				return false
			}
		}
	}

	class, o := ClassPermanent, OutcomePermanent
	if !IsPermanent(err) {
		class, o = ClassTransientExhausted, OutcomeExhausted
	}
	log.Warn("queue: dead-lettering job", "outcome", "dead_letter", "class", class, "attempts", attempts, "duration_ms", time.Since(start).Milliseconds(), "err", truncate(err.Error(), 256))
	headers := append([]kafka.Header(nil), m.Headers...)
	headers = append(headers,
		kafka.Header{Key: HeaderErrorClass, Value: []byte(class)},
		kafka.Header{Key: HeaderErrorReason, Value: []byte(truncate(err.Error(), maxReasonBytes))},
		kafka.Header{Key: HeaderAttempts, Value: []byte(strconv.Itoa(attempts))},
	)
	dl := kafka.Message{Topic: c.cfg.DLQTopic, Key: m.Key, Value: m.Value, Headers: headers}
	if !c.publish(ctx, w, dl) {
		outcome(OutcomeAbandoned)
		return false
	}
	outcome(o)
	return true
}

// call runs the handler, turning a panic into a permanent error.
func (c *Consumer) call(ctx context.Context, job Job) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("queue: handler panic: %v", p))
		}
	}()
	return c.handle(ctx, job)
}

// encodeResult fills in what the handler left empty and encodes res. An
// unencodable result (NaN or infinite numbers) is a permanent error.
func encodeResult(job Job, res Result, start time.Time) ([]byte, error) {
	if res.ProductID == "" {
		res.ProductID = job.ProductID
	}
	if res.Image == "" {
		res.Image = job.Image
	}
	if res.Output == "" {
		res.Output = job.Output
	}
	if res.Source == "" {
		res.Source = SourceAuto
	}
	if res.DurationMS == 0 {
		res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	}
	value, err := json.Marshal(res)
	if err != nil {
		return nil, Permanent(fmt.Errorf("queue: encoding result: %w", err))
	}
	return value, nil
}

// publish writes m, acknowledged by all in-sync replicas, retrying with
// backoff until it succeeds or ctx ends. It reports whether m was written.
func (c *Consumer) publish(ctx context.Context, w *kafka.Writer, m kafka.Message) bool {
	for attempt := 1; ; attempt++ {
		err := w.WriteMessages(ctx, m)
		if err == nil {
			return true
		}
		c.log.Warn("queue: publish failed; retrying", "topic", m.Topic, "attempt", attempt, "err", err)
		if !sleepCtx(ctx, c.backoff(attempt)) {
			return false
		}
	}
}

// backoff is the delay after the n-th failure: Backoff·2^(n-1), capped at
// MaxBackoff, then jittered to between half and all of it.
func (c *Consumer) backoff(n int) time.Duration {
	d := c.cfg.Backoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	if d <= 1 {
		return d
	}
	c.randMu.Lock()
	j := c.rand.Int64N(int64(d/2) + 1)
	c.randMu.Unlock()
	return d/2 + time.Duration(j)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Enqueue writes jobs to topic, keyed by product id, and returns once all
// in-sync replicas have them. A job with V 0 is sent as version 1; a job
// [ParseJob] would reject is not sent, and nothing is written.
func Enqueue(ctx context.Context, brokers []string, topic string, jobs ...Job) error {
	if len(brokers) == 0 || topic == "" {
		return errors.New("queue: enqueue needs brokers and a topic")
	}
	msgs, err := jobMessages(jobs)
	if err != nil {
		return err
	}
	w := jobWriter(brokers, topic)
	err = w.WriteMessages(ctx, msgs...)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("queue: enqueue: %w", err)
	}
	return nil
}
