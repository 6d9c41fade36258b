package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// HeaderRedrivenFrom is the header a redriven job carries: where its dead
// letter was, as "topic/partition/offset" ("palette.jobs.dlq/3/1234"). A
// letter redriven again gets the new place (the header is replaced, not
// repeated). The worker copies a job's headers into its dead letter, so a
// redriven job that fails again says where it was redriven from.
const HeaderRedrivenFrom = "redriven-from"

// ErrNoLetter is wrapped by the error of [RedriveOne] when there is no
// dead letter at the partition and offset asked for.
var ErrNoLetter = errors.New("queue: no dead letter there")

// Letter is one dead letter: a job message that failed for good, with
// where it is and why it failed.
type Letter struct {
	Topic     string
	Partition int
	Offset    int64
	// Key and Value are the job message as it was consumed (the key is
	// the product id; the value may be malformed: that may be why it is
	// here).
	Key, Value []byte
	// Class is the error class ([ClassPermanent] or
	// [ClassTransientExhausted]), Reason the error text, Attempts how
	// often the job was tried (0 if the header is missing).
	Class, Reason string
	Attempts      int
	// Time is when the letter was written.
	Time time.Time
	// Cut says the letter holds only a prefix of the job's value or key
	// (see [HeaderValueBytes], [HeaderKeyBytes]): it is never redriven.
	Cut bool
}

// ErrCut is wrapped by the error of [RedriveOne] for a letter holding only
// a prefix of its job.
var ErrCut = errors.New("queue: the dead letter holds only a prefix of its job (refused for its size)")

// Place is the letter's "topic/partition/offset", the value of
// [HeaderRedrivenFrom] when it is redriven.
func (l Letter) Place() string {
	return l.Topic + "/" + strconv.Itoa(l.Partition) + "/" + strconv.FormatInt(l.Offset, 10)
}

// letterOf reads a dead-letter message.
func letterOf(m kafka.Message) Letter {
	l := Letter{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time}
	for _, h := range m.Headers {
		switch h.Key {
		case HeaderErrorClass:
			l.Class = string(h.Value)
		case HeaderErrorReason:
			l.Reason = string(h.Value)
		case HeaderAttempts:
			l.Attempts, _ = strconv.Atoi(string(h.Value))
		case HeaderValueBytes, HeaderKeyBytes:
			l.Cut = true
		}
	}
	return l
}

// redriven is the job message that redrives the dead letter m: its key,
// value and headers, less the headers of the failure and of an earlier
// redrive, plus [HeaderRedrivenFrom].
func redriven(m kafka.Message, l Letter) kafka.Message {
	var headers []kafka.Header
	for _, h := range m.Headers {
		switch h.Key {
		case HeaderErrorClass, HeaderErrorReason, HeaderAttempts, HeaderRedrivenFrom:
			continue
		}
		headers = append(headers, h)
	}
	headers = append(headers, kafka.Header{Key: HeaderRedrivenFrom, Value: []byte(l.Place())})
	return kafka.Message{Key: m.Key, Value: m.Value, Headers: headers}
}

// RedriveOne re-publishes the one dead letter at partition/offset of topic
// from to topic to, as [Redrive] does (same key and value, the error
// headers dropped, [HeaderRedrivenFrom] added), and returns it once all
// in-sync replicas have the job. It commits no consumer-group offset: a
// letter sent again this way is still redriven by a later [Redrive] of
// its group, if that group has not passed it yet. It is the review page's
// "Send again".
//
// An offset outside the partition (below its first offset, or at or past
// its end) or a gap in it (a letter deleted by retention) is an error
// wrapping [ErrNoLetter]. from and to must differ.
func RedriveOne(ctx context.Context, brokers []string, from string, partition int, offset int64, to string) (Letter, error) {
	if len(brokers) == 0 || from == "" || to == "" {
		return Letter{}, errors.New("queue: redrive needs brokers, a dead-letter topic and a jobs topic")
	}
	if from == to {
		return Letter{}, fmt.Errorf("queue: redrive from %q to itself", from)
	}
	ends, err := partitionOffsets(ctx, adminClient(brokers), from, []int{partition})
	if err != nil {
		return Letter{}, err
	}
	if e := ends[partition]; offset < e.first || offset >= e.end {
		return Letter{}, fmt.Errorf("%w: %s/%d/%d (the partition holds offsets %d to %d)", ErrNoLetter, from, partition, offset, e.first, e.end-1)
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Topic: from, Partition: partition,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		return Letter{}, fmt.Errorf("queue: redrive: %w", err)
	}
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return Letter{}, fmt.Errorf("queue: redrive: reading %s/%d/%d: %w", from, partition, offset, err)
	}
	if m.Offset != offset {
		return Letter{}, fmt.Errorf("%w: %s/%d/%d (the next letter is at %d)", ErrNoLetter, from, partition, offset, m.Offset)
	}
	l := letterOf(m)
	if l.Cut {
		return Letter{}, fmt.Errorf("%w: %s", ErrCut, l.Place())
	}
	w := jobWriter(brokers, to)
	err = w.WriteMessages(ctx, redriven(m, l))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Letter{}, fmt.Errorf("queue: redrive %s to %s: %w", l.Place(), to, err)
	}
	return l, nil
}

// span is a partition's first offset and end offset (the offset the next
// message will get).
type span struct{ first, end int64 }

// partitionOffsets lists the first and end offsets of partitions of topic.
func partitionOffsets(ctx context.Context, cl *kafka.Client, topic string, partitions []int) (map[int]span, error) {
	var reqs []kafka.OffsetRequest
	for _, p := range partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	resp, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("queue: listing the offsets of %s: %w", topic, err)
	}
	out := map[int]span{}
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("queue: listing the offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = span{first: po.FirstOffset, end: po.LastOffset}
	}
	for _, p := range partitions {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("queue: %s has no partition %d", topic, p)
		}
	}
	return out, nil
}

// RedriveConfig configures [Redrive]. The zero value of every field except
// Brokers is its documented default.
type RedriveConfig struct {
	// Brokers are the bootstrap addresses (host:port); at least one.
	Brokers []string
	// From is the dead-letter topic; default "palette.jobs.dlq".
	From string
	// To is the jobs topic letters are sent back to; default
	// "palette.jobs". It must differ from From.
	To string
	// Group is the consumer group whose committed offsets on From say
	// which letters were already redriven. Default: "palette-redrive";
	// with a Class or Reason filter, a group of that filter (see
	// [RedriveConfig.GroupID]), so that a filtered run does not pass the
	// unfiltered group over the letters it leaves out.
	Group string
	// Class, when set, redrives only letters of that error class:
	// [ClassPermanent] or [ClassTransientExhausted].
	Class string
	// Reason, when set, redrives only letters whose error reason contains
	// it, ignoring case.
	Reason string
	// DryRun sends nothing and commits nothing: OnLetter still sees every
	// letter that would be sent.
	DryRun bool
	// Idle is how long Redrive waits for the next letter before it gives
	// up on reaching the end offsets (another member of Group holds some
	// partitions, or records at the end of a partition are gone); default
	// 30s. It also covers joining the group.
	Idle time.Duration
	// OnLetter, if set, is called with each letter that matches the
	// filters once it was sent (with DryRun: instead of sending it).
	OnLetter func(Letter)
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
}

// RedriveReport counts what [Redrive] did.
type RedriveReport struct {
	// Read is the number of letters read (below the end offsets seen at
	// the start), Sent those that matched the filters and were sent (with
	// DryRun: would be sent). Read-Sent letters were passed over by the
	// filters: the group moves past them too.
	Read, Sent int
	// Group is the consumer group used.
	Group string
	// Partitions is the number of partitions that had letters left for
	// the group when Redrive started.
	Partitions int
}

func (c RedriveConfig) withDefaults() RedriveConfig {
	if c.From == "" {
		c.From = "palette.jobs.dlq"
	}
	if c.To == "" {
		c.To = "palette.jobs"
	}
	c.Group = c.GroupID()
	if c.Idle == 0 {
		c.Idle = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// GroupID is the consumer group Redrive uses: Group if set, else
// "palette-redrive", followed for each filter by ".CLASS" and
// ".reason-TEXT" (TEXT lower-cased, each run of other characters than
// a-z and 0-9 a "-", at most 60 bytes): "palette-redrive.permanent",
// "palette-redrive.reason-store-timeout". Every filter thus redrives a
// letter once; two different filters (or one and none) that both match a
// letter may each redrive it.
func (c RedriveConfig) GroupID() string {
	if c.Group != "" {
		return c.Group
	}
	g := "palette-redrive"
	if c.Class != "" {
		g += "." + c.Class
	}
	if c.Reason != "" {
		g += ".reason-" + slug(c.Reason, 60)
	}
	return g
}

// slug is s lower-cased with each run of characters other than a-z and
// 0-9 made one "-", trimmed of "-" and cut to at most n bytes.
func slug(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return strings.TrimRight(b.String()[:min(b.Len(), n)], "-")
}

// Validate reports whether c, with defaults applied, is usable.
func (c RedriveConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Brokers) == 0 || slices.Contains(c.Brokers, "") {
		errs = append(errs, errors.New("queue: no brokers, or an empty broker address"))
	}
	if c.From == c.To {
		errs = append(errs, fmt.Errorf("queue: redrive from %q to itself", c.From))
	}
	if c.Class != "" && c.Class != ClassPermanent && c.Class != ClassTransientExhausted {
		errs = append(errs, fmt.Errorf("queue: error class %q: want %s or %s", c.Class, ClassPermanent, ClassTransientExhausted))
	}
	if c.Idle < 0 {
		errs = append(errs, fmt.Errorf("queue: negative idle time %v", c.Idle))
	}
	return errors.Join(errs...)
}

// match reports whether a letter passes the filters.
func (c RedriveConfig) match(l Letter) bool {
	if c.Class != "" && l.Class != c.Class {
		return false
	}
	return c.Reason == "" || strings.Contains(strings.ToLower(l.Reason), strings.ToLower(c.Reason))
}

// ErrRedriveIdle is wrapped by the error of [Redrive] when no letter came
// for RedriveConfig.Idle before the end offsets were reached.
var ErrRedriveIdle = errors.New("queue: redrive stopped waiting for letters")

// Redrive sends the dead letters of cfg.From that match the filters back
// to cfg.To, once each: same key and value, the error headers dropped,
// [HeaderRedrivenFrom] added. Which letters are done is cfg.Group's
// committed offset on cfg.From: Redrive consumes in that group, and
// commits after each letter it sent (and at the end, past the letters the
// filters passed over), so a crash sends at most the letter in flight
// again. It reads the end offsets of cfg.From when it starts and stops at
// them: letters dead-lettered meanwhile wait for the next run. A group
// that is already at the end returns at once without joining.
//
// The group's offset moves past every letter read, matching or not: the
// default group of a filtered run is the filter's own (see
// [RedriveConfig.GroupID]), so that the letters it leaves out stay there
// for the unfiltered group and for other filters.
//
// With DryRun nothing is sent and nothing committed. The report counts
// what was done before an error too.
func Redrive(ctx context.Context, cfg RedriveConfig) (RedriveReport, error) {
	var rep RedriveReport
	if err := cfg.Validate(); err != nil {
		return rep, err
	}
	cfg = cfg.withDefaults()
	rep.Group = cfg.Group
	log := cfg.Logger.With("from", cfg.From, "to", cfg.To, "group", cfg.Group)

	todo, err := pendingPartitions(ctx, cfg)
	if err != nil {
		return rep, err
	}
	rep.Partitions = len(todo)
	if len(todo) == 0 {
		log.Info("queue: redrive: nothing to do")
		return rep, nil
	}
	log.Info("queue: redrive: starting", "partitions", len(todo))

	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        cfg.Brokers,
		GroupID:        cfg.Group,
		Topic:          cfg.From,
		StartOffset:    kafka.FirstOffset,
		CommitInterval: 0, // synchronous commits, only through CommitMessages
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        250 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Warn("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	defer func() {
		if err := reader.Close(); err != nil {
			log.Warn("queue: redrive: closing the reader", "err", err)
		}
	}()
	var w *kafka.Writer
	if !cfg.DryRun {
		w = jobWriter(cfg.Brokers, cfg.To)
		defer w.Close()
	}

	// uncommitted holds the last letter read per partition that is not
	// committed yet.
	uncommitted := map[int]kafka.Message{}
	commit := func() error {
		if cfg.DryRun || len(uncommitted) == 0 {
			return nil
		}
		msgs := make([]kafka.Message, 0, len(uncommitted))
		for _, m := range uncommitted {
			msgs = append(msgs, m)
		}
		// Commit what was sent even when ctx was cancelled (Ctrl-C), or
		// it would be redriven again.
		if err := commitRetrying(context.WithoutCancel(ctx), reader, msgs); err != nil {
			return fmt.Errorf("queue: redrive: commit: %w", err)
		}
		clear(uncommitted)
		return nil
	}

	for len(todo) > 0 {
		fctx, cancel := context.WithTimeout(ctx, cfg.Idle)
		m, err := reader.FetchMessage(fctx)
		cancel()
		if err != nil {
			if cerr := commit(); cerr != nil {
				return rep, cerr
			}
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return rep, fmt.Errorf("%w: no letter for %v with partitions %s of %s short of the end offsets seen at the start (another member of group %q may hold them)",
					ErrRedriveIdle, cfg.Idle, todoList(todo), cfg.From, cfg.Group)
			}
			return rep, fmt.Errorf("queue: redrive: reading %s: %w", cfg.From, err)
		}
		end, ok := todo[m.Partition]
		if !ok || m.Offset >= end {
			// Written after the start, or a partition already done.
			delete(todo, m.Partition)
			continue
		}
		if m.Offset >= end-1 {
			delete(todo, m.Partition)
		}
		rep.Read++
		l := letterOf(m)
		uncommitted[m.Partition] = m
		if !cfg.match(l) {
			continue
		}
		if l.Cut {
			log.Warn("queue: redrive: letter holds only a prefix of its job; not sent", "place", l.Place(), "product_id", string(l.Key))
			continue
		}
		if !cfg.DryRun {
			if err := w.WriteMessages(ctx, redriven(m, l)); err != nil {
				delete(uncommitted, m.Partition) // not sent: not done
				if cerr := commit(); cerr != nil {
					log.Warn("queue: redrive: commit", "err", cerr)
				}
				return rep, fmt.Errorf("queue: redrive %s to %s: %w", l.Place(), cfg.To, err)
			}
		}
		rep.Sent++
		log.Info("queue: redrive: letter", "place", l.Place(), "product_id", string(l.Key), "class", l.Class, "dry_run", cfg.DryRun)
		if cfg.OnLetter != nil {
			cfg.OnLetter(l)
		}
		if err := commit(); err != nil {
			return rep, err
		}
	}
	if err := commit(); err != nil {
		return rep, err
	}
	log.Info("queue: redrive: done", "read", rep.Read, "sent", rep.Sent)
	return rep, nil
}

// pendingPartitions returns the end offset, seen now, of each partition of
// cfg.From where cfg.Group has letters left.
func pendingPartitions(ctx context.Context, cfg RedriveConfig) (map[int]int64, error) {
	cl := adminClient(cfg.Brokers)
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{cfg.From}})
	if err != nil {
		return nil, fmt.Errorf("queue: redrive: metadata of %s: %w", cfg.From, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name != cfg.From {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("queue: redrive: topic %s: %w", cfg.From, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("queue: redrive: topic %s has no partitions", cfg.From)
	}
	spans, err := partitionOffsets(ctx, cl, cfg.From, parts)
	if err != nil {
		return nil, err
	}
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: cfg.Group, Topics: map[string][]int{cfg.From: parts}})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if errors.Is(err, kafka.GroupIdNotFound) {
		// A group that never committed (some brokers say so instead of
		// answering offset -1).
		resp, err = &kafka.OffsetFetchResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: redrive: offsets of group %s: %w", cfg.Group, err)
	}
	committed := map[int]int64{}
	for _, p := range resp.Topics[cfg.From] {
		if p.Error != nil {
			return nil, fmt.Errorf("queue: redrive: offset of group %s on %s/%d: %w", cfg.Group, cfg.From, p.Partition, p.Error)
		}
		committed[p.Partition] = p.CommittedOffset
	}
	todo := map[int]int64{}
	for p, s := range spans {
		next := s.first
		if c, ok := committed[p]; ok && c > next {
			next = c
		}
		if next < s.end {
			todo[p] = s.end
		}
	}
	return todo, nil
}

// commitRetrying commits msgs, retrying for a while: a commit fails while
// the group rebalances.
func commitRetrying(ctx context.Context, r *kafka.Reader, msgs []kafka.Message) error {
	var err error
	for attempt := range 5 {
		cctx, cancel := context.WithTimeout(ctx, commitTimeout)
		err = r.CommitMessages(cctx, msgs...)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !sleepCtx(ctx, time.Duration(attempt+1)*200*time.Millisecond) {
			return err
		}
	}
	return err
}

// todoList is "1, 3" for the partitions of todo.
func todoList(todo map[int]int64) string {
	var ps []string
	for p := range todo {
		ps = append(ps, strconv.Itoa(p))
	}
	sort.Strings(ps)
	return strings.Join(ps, ", ")
}
