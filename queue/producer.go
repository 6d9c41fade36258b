package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/segmentio/kafka-go"
	"golang.org/x/time/rate"
)

// maxProducerBatch is the most jobs a Producer hands kafka-go at once.
const maxProducerBatch = 500

// ProducerConfig configures a [Producer]. The zero value of every field
// except Brokers is its documented default.
type ProducerConfig struct {
	// Brokers are the bootstrap addresses (host:port); at least one.
	Brokers []string
	// Topic is the jobs topic; default "palette.jobs".
	Topic string
	// Rate is the most jobs sent per second; 0 means no limit. Jobs go
	// out in batches of about a tenth of a second's worth (at most 500),
	// each batch waiting for its share of the rate.
	Rate float64
	// OnSent, if set, is called after each batch all in-sync replicas
	// acknowledged, with the number of jobs in it (for a progress bar).
	OnSent func(n int)
}

// Producer sends jobs to the jobs topic, for backfills: keyed by product
// id (murmur2, as the Java clients, so a product's jobs stay in order on
// one partition), acknowledged by all in-sync replicas, at a limited
// rate. Create it with [NewProducer] and Close it when done. A Producer is
// safe for concurrent use.
type Producer struct {
	w      *kafka.Writer
	lim    *rate.Limiter // nil: no limit
	batch  int
	onSent func(int)
}

// NewProducer validates cfg and returns a Producer. It does not connect:
// a broker that cannot be reached shows as an error of the first Send.
func NewProducer(cfg ProducerConfig) (*Producer, error) {
	if len(cfg.Brokers) == 0 || slices.Contains(cfg.Brokers, "") {
		return nil, errors.New("queue: no brokers, or an empty broker address")
	}
	if cfg.Rate < 0 {
		return nil, fmt.Errorf("queue: negative rate %v", cfg.Rate)
	}
	if cfg.Topic == "" {
		cfg.Topic = "palette.jobs"
	}
	p := &Producer{w: jobWriter(cfg.Brokers, cfg.Topic), batch: maxProducerBatch, onSent: cfg.OnSent}
	if cfg.Rate > 0 {
		p.batch = min(maxProducerBatch, max(1, int(cfg.Rate/10)))
		p.lim = rate.NewLimiter(rate.Limit(cfg.Rate), p.batch)
	}
	return p, nil
}

// Send writes jobs in order and returns how many all in-sync replicas
// acknowledged. It checks every job first as [Enqueue] does (a job with V
// 0 is sent as version 1) and sends nothing if one is bad. After an error
// the first n jobs were written; some of the rest may have been too.
func (p *Producer) Send(ctx context.Context, jobs []Job) (n int, err error) {
	msgs, err := jobMessages(jobs)
	if err != nil {
		return 0, err
	}
	for len(msgs) > 0 {
		b := msgs[:min(p.batch, len(msgs))]
		msgs = msgs[len(b):]
		if p.lim != nil {
			if err := p.lim.WaitN(ctx, len(b)); err != nil {
				return n, fmt.Errorf("queue: send: %w", err)
			}
		}
		if err := p.w.WriteMessages(ctx, b...); err != nil {
			var werrs kafka.WriteErrors
			if errors.As(err, &werrs) {
				n += len(b) - werrs.Count()
			}
			return n, fmt.Errorf("queue: send: %w", err)
		}
		n += len(b)
		if p.onSent != nil {
			p.onSent(len(b))
		}
	}
	return n, nil
}

// Close flushes and closes the connections.
func (p *Producer) Close() error { return p.w.Close() }

// jobMessages checks and encodes jobs as job messages keyed by product
// id. A job with V 0 is sent as version 1.
func jobMessages(jobs []Job) ([]kafka.Message, error) {
	msgs := make([]kafka.Message, 0, len(jobs))
	for i, j := range jobs {
		if j.V == 0 {
			j.V = JobVersion
		}
		if err := j.check(); err != nil {
			return nil, fmt.Errorf("queue: job %d: %w", i, err)
		}
		v, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("queue: job %d: %w", i, err)
		}
		if len(v) > MaxJobBytes {
			return nil, fmt.Errorf("queue: job %d: %w: %d bytes", i, ErrBadJob, len(v))
		}
		msgs = append(msgs, kafka.Message{Key: []byte(j.ProductID), Value: v})
	}
	return msgs, nil
}

// jobWriter is the writer of messages to topic (empty: each message names
// its own): keyed partitioning (murmur2, as the Java clients), acknowledged
// by all in-sync replicas. Every writer of the package starts from it.
func jobWriter(brokers []string, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: batchTimeout,
		WriteTimeout: writeTimeout,
	}
}

// adminClient is a client for requests about topics and groups (metadata,
// offsets) to brokers.
func adminClient(brokers []string) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: writeTimeout}
}
