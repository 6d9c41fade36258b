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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
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
	writer := &writers{batched: c.newWriter(0), solo: c.newWriter(1)}

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
		if cfg.Gate != nil {
			if err := cfg.Gate(ctx); err != nil {
				<-sem
				break fetch
			}
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
			if c.process(workCtx, ctx, writer, m) && tr.done(m.Partition, m.Offset) {
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
	writer.close(c.log)
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
// the job was abandoned because the consumer is shutting down. The job runs
// under ctx; stopCtx ends when the consumer stops taking jobs.
func (c *Consumer) process(ctx, stopCtx context.Context, w *writers, m kafka.Message) bool {
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
	abandon := func(why string, err error) bool {
		log.Warn("queue: job abandoned at shutdown", "while", why, "err", err)
		outcome(OutcomeAbandoned)
		return false
	}
	hctx := context.WithValue(ctx, stoppingKey{}, stopCtx.Done())

	job, err := ParseJob(m.Value)
	attempts := 0
	if err == nil {
		log = log.With("product_id", job.ProductID)
		for {
			attempts++
			var res Result
			res, err = c.call(hctx, job)
			var value []byte
			if err == nil {
				value, err = encodeResult(job, res, start)
			}
			if err == nil {
				err = c.publish(ctx, w, kafka.Message{Topic: c.cfg.ResultsTopic, Key: []byte(job.ProductID), Value: value})
				if err == nil {
					log.Info("queue: job done", "outcome", OutcomeOK, "attempts", attempts, "duration_ms", time.Since(start).Milliseconds())
					outcome(OutcomeOK)
					return true
				}
				if ctx.Err() != nil {
					return abandon("publishing its result", err)
				}
				// The result can never be written: the job's record is
				// its dead letter.
				err = Permanent(fmt.Errorf("queue: the result cannot be published: %w", err))
				break
			}
			if ctx.Err() != nil || errors.Is(err, ErrShuttingDown) {
				return abandon("running", err)
			}
			if IsPermanent(err) {
				break
			}
			if IsUnavailable(err) {
				// Not the job's failure: wait for the dependency, then
				// try again without spending an attempt.
				attempts--
				log.Info("queue: dependency down; job waits for it", "err", truncate(err.Error(), 256))
				if !c.waitGate(ctx, stopCtx) || !sleepCtx(stopCtx, c.backoff(1)) {
					return abandon("waiting for a dependency", err)
				}
				continue
			}
			if attempts >= c.cfg.MaxAttempts {
				break
			}
			log.Info("queue: job failed; retrying", "attempt", attempts, "err", truncate(err.Error(), 256))
			if hooks.OnRetry != nil {
				hooks.OnRetry()
			}
			if !sleepCtx(stopCtx, c.backoff(attempts)) {
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
	dl := deadLetter(c.cfg.DLQTopic, m, class, err.Error(), attempts, false)
	perr := c.publish(ctx, w, dl)
	if perr != nil && ctx.Err() == nil {
		// Refused for its size (a topic whose limit is below a job's):
		// the smallest letter that still says what failed and why.
		log.Warn("queue: dead letter refused; sending it cut to a prefix", "topic", dl.Topic, "err", perr)
		dl = deadLetter(c.cfg.DLQTopic, m, class, err.Error(), attempts, true)
		perr = c.publish(ctx, w, dl)
	}
	if perr != nil {
		if ctx.Err() != nil {
			return abandon("publishing its dead letter", perr)
		}
		// Even that is refused: say so loudly and move on rather than
		// stop the partition.
		log.Error("queue: the dead letter cannot be published; the job is dropped", "topic", dl.Topic,
			"value_bytes", len(m.Value), "err", perr)
		outcome(OutcomeDropped)
		return true
	}
	outcome(o)
	return true
}

// Dead-letter headers set when the letter had to be cut to fit: the size
// and SHA-256 (hex) of the original value, and of the key when that was
// cut too; HeaderHeadersDropped counts the original headers left out.
const (
	HeaderValueBytes     = "value-bytes"
	HeaderValueSHA256    = "value-sha256"
	HeaderKeyBytes       = "key-bytes"
	HeaderKeySHA256      = "key-sha256"
	HeaderHeadersDropped = "headers-dropped"

	// A dead letter keeps the value whole up to MaxJobBytes (any job that
	// could be redriven); a longer value was refused for its size and only
	// its first deadLetterPrefix bytes are kept (also when the whole letter
	// did not fit the topic).
	deadLetterPrefix   = 4 << 10
	maxDeadLetterKey   = 1 << 10
	maxDeadLetterHeads = 16 << 10
)

// deadLetter is m on the dead-letter topic with the failure's headers,
// bounded in size: an oversized value or key is cut to a prefix and its
// size and hash recorded, and oversized original headers are dropped (and
// counted). Original headers named as the consumer's own are dropped so
// that a job cannot pass for a cut letter. minimal makes the smallest
// letter: a value over deadLetterPrefix cut to it, no original header, a
// short reason; for a topic whose limit is below the full letter.
func deadLetter(topic string, m kafka.Message, class, reason string, attempts int, minimal bool) kafka.Message {
	var own []kafka.Header
	size := 0
	for _, h := range m.Headers {
		switch h.Key {
		case HeaderErrorClass, HeaderErrorReason, HeaderAttempts, HeaderValueBytes, HeaderValueSHA256,
			HeaderKeyBytes, HeaderKeySHA256, HeaderHeadersDropped:
			continue
		}
		own = append(own, h)
		size += len(h.Key) + len(h.Value) + 8 // and the record's per-header overhead
	}
	var headers []kafka.Header
	if size <= maxDeadLetterHeads && !minimal {
		headers = append(headers, own...)
	} else if len(own) > 0 {
		headers = append(headers, kafka.Header{Key: HeaderHeadersDropped, Value: []byte(strconv.Itoa(len(own)))})
	}
	maxValue, maxKey, maxReason := MaxJobBytes, maxDeadLetterKey, maxReasonBytes
	if minimal {
		maxValue, maxKey, maxReason = deadLetterPrefix, 256, 256
	}
	key, value := m.Key, m.Value
	if len(key) > maxKey {
		headers = append(headers, cutHeaders(HeaderKeyBytes, HeaderKeySHA256, key)...)
		key = key[:maxKey]
	}
	if len(value) > maxValue {
		headers = append(headers, cutHeaders(HeaderValueBytes, HeaderValueSHA256, value)...)
		value = value[:deadLetterPrefix]
	}
	headers = append(headers,
		kafka.Header{Key: HeaderErrorClass, Value: []byte(class)},
		kafka.Header{Key: HeaderErrorReason, Value: []byte(truncate(reason, maxReason))},
		kafka.Header{Key: HeaderAttempts, Value: []byte(strconv.Itoa(attempts))},
	)
	return kafka.Message{Topic: topic, Key: key, Value: value, Headers: headers}
}

func cutHeaders(sizeKey, hashKey string, b []byte) []kafka.Header {
	sum := sha256.Sum256(b)
	return []kafka.Header{
		{Key: sizeKey, Value: []byte(strconv.Itoa(len(b)))},
		{Key: hashKey, Value: []byte(hex.EncodeToString(sum[:]))},
	}
}

// waitGate waits for Config.Gate, giving up when the consumer stops
// (stopCtx ends); it reports whether work may go on.
func (c *Consumer) waitGate(ctx, stopCtx context.Context) bool {
	if c.cfg.Gate == nil {
		return true
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(stopCtx, cancel)()
	return c.cfg.Gate(gctx) == nil
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

// writers publish results and dead letters. kafka-go batches the messages
// of concurrent writes into one request, and a broker refuses a whole batch
// for one message too large for the topic; solo (batches of one) retries
// such a message alone, so that it does not take the others down with it.
type writers struct{ batched, solo *kafka.Writer }

func (c *Consumer) newWriter(batchSize int) *kafka.Writer {
	w := jobWriter(c.cfg.Brokers, "")
	w.BatchSize, w.MaxAttempts = batchSize, 3
	return w
}

func (w *writers) close(log *slog.Logger) {
	for _, k := range [...]*kafka.Writer{w.batched, w.solo} {
		if err := k.Close(); err != nil {
			log.Warn("queue: closing writer", "err", err)
		}
	}
}

// publish writes m, acknowledged by all in-sync replicas, retrying with
// backoff until it succeeds, ctx ends (ctx's error) or the broker refuses
// m itself in a way no retry changes (that error, see neverPublishable).
func (c *Consumer) publish(ctx context.Context, w *writers, m kafka.Message) error {
	for attempt := 1; ; attempt++ {
		err := w.batched.WriteMessages(ctx, m)
		if err != nil && neverPublishable(err) {
			err = w.solo.WriteMessages(ctx, m)
			if err != nil && neverPublishable(err) {
				c.log.Error("queue: message can never be published", "topic", m.Topic, "bytes", len(m.Key)+len(m.Value), "err", err)
				if c.cfg.Hooks.OnUnpublishable != nil {
					c.cfg.Hooks.OnUnpublishable(m.Topic)
				}
				return err
			}
		}
		if err == nil {
			return nil
		}
		c.log.Warn("queue: publish failed; retrying", "topic", m.Topic, "attempt", attempt, "err", err)
		if !sleepCtx(ctx, c.backoff(attempt)) {
			return ctx.Err()
		}
	}
}

// neverPublishable reports whether a write failed for the message itself
// (too large for the writer or the topic, a record the broker refuses),
// not for the broker's state.
func neverPublishable(err error) bool {
	if we, ok := err.(kafka.WriteErrors); ok {
		for _, e := range we {
			if e != nil && neverPublishable(e) {
				return true
			}
		}
		return false
	}
	for _, code := range [...]kafka.Error{kafka.MessageSizeTooLarge, kafka.RecordListTooLarge, kafka.InvalidRecord, kafka.InvalidTopic} {
		if errors.Is(err, code) {
			return true
		}
	}
	return false
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

// Ping reports whether any of brokers answers a Kafka request (ApiVersions)
// before ctx ends; the error says why the last one did not.
func Ping(ctx context.Context, brokers []string) error {
	err := errors.New("queue: no brokers")
	var cl kafka.Client
	for _, b := range brokers {
		var resp *kafka.ApiVersionsResponse
		if resp, err = cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{Addr: kafka.TCP(b)}); err == nil {
			if err = resp.Error; err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("queue: brokers %s: %w", strings.Join(brokers, ","), err)
}
