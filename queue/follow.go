package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Record is one message read back from a topic by [Follow].
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	// Time is the message's timestamp (when it was produced).
	Time       time.Time
	Key, Value []byte
	// Headers are the message's headers; of a repeated key, the last.
	Headers map[string]string
}

// Letter reads r as a dead letter (its class, reason and attempts from
// the headers the consumer sets).
func (r Record) Letter() Letter {
	m := kafka.Message{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Time: r.Time}
	for k, v := range r.Headers {
		m.Headers = append(m.Headers, kafka.Header{Key: k, Value: []byte(v)})
	}
	return letterOf(m)
}

// FollowConfig configures [Follow].
type FollowConfig struct {
	// Brokers are the bootstrap addresses; at least one.
	Brokers []string
	// Topics are read, every partition of each; at least one.
	Topics []string
	// Since is where reading starts: each partition's first message at or
	// after it (a partition with none starts at its end). Zero means
	// every message still in the log.
	Since time.Time
	// Rediscover is how often topics and partitions are looked up again,
	// so that a topic created later, or partitions added, are read too;
	// default 5s.
	Rediscover time.Duration
	// Logger receives warnings (a topic that does not exist yet, a
	// partition whose reading failed and restarts); nil discards them.
	Logger *slog.Logger
}

// Follow reads every partition of cfg.Topics from cfg.Since on, and keeps
// following new messages, until ctx is done; it then returns nil (or at
// once, an error of the config). It reads with plain partition readers:
// no consumer group, no committed offset, so any number of processes can
// follow the same topics and each sees every message. fn gets each
// message in order within its partition, never from two goroutines at
// once; it must be quick, as it holds up the other partitions. A topic or
// partition that does not exist yet is looked for again every
// cfg.Rediscover; a partition whose reading fails is read again from the
// next offset after a pause.
func Follow(ctx context.Context, cfg FollowConfig, fn func(Record)) error {
	if len(cfg.Brokers) == 0 || len(cfg.Topics) == 0 || fn == nil {
		return errors.New("queue: follow needs brokers, topics and a function")
	}
	if cfg.Rediscover <= 0 {
		cfg.Rediscover = 5 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var mu sync.Mutex
	deliver := func(r Record) {
		mu.Lock()
		defer mu.Unlock()
		fn(r)
	}
	type tp struct {
		topic     string
		partition int
	}
	started := map[tp]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(cfg.Rediscover)
	defer tick.Stop()
	client := adminClient(cfg.Brokers)
	for {
		resp, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: cfg.Topics})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("queue: follow: listing partitions; will retry", "err", err)
		default:
			for _, t := range resp.Topics {
				if t.Error != nil {
					log.Warn("queue: follow: topic not readable yet; will retry", "topic", t.Name, "err", t.Error)
					continue
				}
				for _, p := range t.Partitions {
					k := tp{t.Name, p.ID}
					if started[k] {
						continue
					}
					started[k] = true
					wg.Go(func() { followPartition(ctx, cfg, log, k.topic, k.partition, deliver) })
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// followPartition reads one partition from cfg.Since until ctx is done.
func followPartition(ctx context.Context, cfg FollowConfig, log *slog.Logger, topic string, partition int, fn func(Record)) {
	log = log.With("topic", topic, "partition", partition)
	next := int64(-1) // not known yet
	for ctx.Err() == nil {
		if next < 0 {
			off, err := offsetAt(ctx, cfg.Brokers, topic, partition, cfg.Since)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("queue: follow: finding the start offset; will retry", "err", err)
					sleepCtx(ctx, time.Second)
				}
				continue
			}
			next = off
		}
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: cfg.Brokers, Topic: topic, Partition: partition,
			MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 500 * time.Millisecond,
			ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
				log.Warn("queue: follow: kafka reader: " + fmt.Sprintf(msg, args...))
			}),
		})
		if err := r.SetOffset(next); err != nil {
			r.Close()
			log.Warn("queue: follow: setting the offset", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		for {
			m, err := r.ReadMessage(ctx) // without a group: commits nothing
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("queue: follow: read failed; reading again", "offset", next, "err", err)
					sleepCtx(ctx, time.Second)
				}
				break
			}
			rec := Record{Topic: topic, Partition: partition, Offset: m.Offset, Time: m.Time, Key: m.Key, Value: m.Value}
			if len(m.Headers) > 0 {
				rec.Headers = make(map[string]string, len(m.Headers))
				for _, h := range m.Headers {
					rec.Headers[h.Key] = string(h.Value)
				}
			}
			fn(rec)
			next = m.Offset + 1
		}
		r.Close()
	}
}

// offsetAt is the offset of partition's first message at or after since,
// or its end offset if there is none; its first offset when since is zero.
func offsetAt(ctx context.Context, brokers []string, topic string, partition int, since time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var err error
	for _, b := range brokers {
		var conn *kafka.Conn
		conn, err = (&kafka.Dialer{Timeout: 10 * time.Second}).DialLeader(ctx, "tcp", b, topic, partition)
		if err != nil {
			continue
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		if since.IsZero() {
			return conn.ReadFirstOffset()
		}
		off, err := conn.ReadOffset(since)
		if err == nil && off < 0 { // no message at or after since
			off, err = conn.ReadLastOffset()
		}
		return off, err
	}
	return 0, err
}
