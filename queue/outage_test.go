package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/palette-dev/palette/internal/testinfra"
)

// gate is a dependency switch for Config.Gate: Wait blocks while it is down.
type gate struct {
	mu   sync.Mutex
	down bool
	up   chan struct{} // closed when the dependency comes back
}

func (g *gate) set(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if down && !g.down {
		g.up = make(chan struct{})
	}
	if !down && g.down {
		close(g.up)
	}
	g.down = down
}

func (g *gate) isDown() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.down
}

func (g *gate) Wait(ctx context.Context) error {
	g.mu.Lock()
	down, up := g.down, g.up
	g.mu.Unlock()
	if !down {
		return nil
	}
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestOutageWaitsAtGate takes a backlog through a dependency outage far
// longer than the retry budget: jobs failing with Unavailable spend no
// attempts, no new job is fetched while the gate is shut, and once the
// dependency is back every job gets its result and none is dead-lettered.
func TestOutageWaitsAtGate(t *testing.T) {
	brokers := startCluster(t)
	const n = 40
	var jobs []Job
	for i := range n {
		jobs = append(jobs, Job{ProductID: fmt.Sprintf("p%02d", i), Image: "i"})
	}
	if err := Enqueue(context.Background(), brokers, jobsTopic, jobs...); err != nil {
		t.Fatal(err)
	}
	g := &gate{}
	g.set(true)
	var calls, started atomic.Int64
	seen := sync.Map{}
	cfg := testConfig(brokers, "outage")
	cfg.MaxAttempts = 2
	cfg.Concurrency = 4
	cfg.Gate = g.Wait
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		calls.Add(1)
		if _, loaded := seen.LoadOrStore(job.ProductID, true); !loaded {
			started.Add(1)
		}
		if g.isDown() {
			return Result{}, Unavailable(errors.New("object storage down"))
		}
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The gate is shut from the start: nothing is fetched.
	stop := runConsumer(t, c)
	time.Sleep(time.Second)
	if k := started.Load(); k != 0 {
		t.Fatalf("%d jobs started while the gate was shut", k)
	}
	// Open it, let jobs flow, shut it while they run: the jobs in flight
	// fail with Unavailable and wait; no more are fetched.
	g.set(false)
	waitFor(t, "some jobs to finish", 20*time.Second, func() bool { return total(committed(t, brokers, "outage")) > 0 })
	g.set(true)
	time.Sleep(200 * time.Millisecond) // jobs fetched before the gate shut
	before := started.Load()
	time.Sleep(2 * time.Second)
	if after := started.Load(); after != before {
		t.Errorf("%d new jobs started during the outage", after-before)
	}
	if k := calls.Load(); k > 10*n {
		t.Errorf("%d handler calls during a shut gate: jobs are spinning, not waiting", k)
	}
	g.set(false)
	waitFor(t, "all offsets committed", 30*time.Second, func() bool { return allCommitted(t, brokers, "outage") })
	if err, _ := stop(); err != nil {
		t.Fatal(err)
	}
	if dl := readAll(t, brokers, dlqTopic); len(dl) != 0 {
		t.Fatalf("%d jobs dead-lettered during an outage", len(dl))
	}
	if r := readAll(t, brokers, resultsTopic); len(r) < n {
		t.Fatalf("%d results, want %d", len(r), n)
	}
}

// TestStoppingAbandons: a handler that waits for something and gives up
// with ErrShuttingDown when the consumer stops leaves its job uncommitted,
// neither retried nor dead-lettered, and Run returns at once.
func TestStoppingAbandons(t *testing.T) {
	brokers := startCluster(t)
	if err := Enqueue(context.Background(), brokers, jobsTopic, Job{ProductID: "waiting", Image: "i"}); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	var calls atomic.Int64
	cfg := testConfig(brokers, "stopping")
	cfg.ShutdownTimeout = 30 * time.Second
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		calls.Add(1)
		close(waiting)
		select {
		case <-Stopping(ctx):
			return Result{}, fmt.Errorf("waiting for an image slot: %w", ErrShuttingDown)
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	select {
	case <-waiting:
	case <-time.After(20 * time.Second):
		t.Fatal("job did not start")
	}
	err, took := stop()
	if err != nil {
		t.Fatal(err)
	}
	if took > 10*time.Second {
		t.Errorf("Run took %v to return; the waiting job should give up at once", took)
	}
	if calls.Load() != 1 {
		t.Errorf("handler called %d times, want 1", calls.Load())
	}
	if total(committed(t, brokers, "stopping")) > 0 {
		t.Error("the abandoned job was committed")
	}
	if len(readAll(t, brokers, dlqTopic))+len(readAll(t, brokers, resultsTopic)) != 0 {
		t.Error("the abandoned job has a result or a dead letter")
	}
	if Stopping(context.Background()) != nil {
		t.Error("Stopping outside a consumer is not nil")
	}
}

// TestOversizedJob: a job near the topic's message limit is refused, and
// its dead letter, which would not fit with its headers, is published cut
// to a prefix with the value's size and hash; the jobs after it on the
// same partition go on.
func TestOversizedJob(t *testing.T) {
	brokers := startCluster(t)
	big := []byte(`{"v":1,"product_id":"same","image":"i","colors":["` + strings.Repeat("x", 1<<20-2048) + `"]}`)
	msgs := []kafka.Message{{Key: []byte("same"), Value: big}}
	for i := range 3 {
		v := fmt.Sprintf(`{"v":1,"product_id":"same","image":"i%d"}`, i)
		msgs = append(msgs, kafka.Message{Key: []byte("same"), Value: []byte(v)})
	}
	produceRaw(t, brokers, msgs...)
	var unpublishable atomic.Int64
	cfg := testConfig(brokers, "oversized")
	cfg.Hooks.OnUnpublishable = func(string) { unpublishable.Add(1) }
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) { return okResult(job), nil })
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	waitFor(t, "all offsets committed", 30*time.Second, func() bool { return allCommitted(t, brokers, "oversized") })
	if err, _ := stop(); err != nil {
		t.Fatal(err)
	}
	if r := readAll(t, brokers, resultsTopic); len(r) != 3 {
		t.Errorf("%d results, want the 3 jobs after the big one", len(r))
	}
	dl := readAll(t, brokers, dlqTopic)
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dl))
	}
	d := dl[0]
	sum := sha256.Sum256(big)
	if header(d, HeaderValueBytes) != strconv.Itoa(len(big)) || header(d, HeaderValueSHA256) != hex.EncodeToString(sum[:]) {
		t.Errorf("size/hash headers %q %q", header(d, HeaderValueBytes), header(d, HeaderValueSHA256))
	}
	if len(d.Value) != deadLetterPrefix || string(d.Value) != string(big[:deadLetterPrefix]) {
		t.Errorf("dead letter value is %d bytes, want the first %d of the job", len(d.Value), deadLetterPrefix)
	}
	if header(d, HeaderErrorClass) != ClassPermanent || !strings.Contains(header(d, HeaderErrorReason), "limit") {
		t.Errorf("dead letter headers %v", d.Headers)
	}
	if unpublishable.Load() != 0 {
		t.Errorf("OnUnpublishable called %d times", unpublishable.Load())
	}
	// A cut letter is never sent back as a job.
	ctx := context.Background()
	if _, err := RedriveOne(ctx, brokers, dlqTopic, int(d.Partition), d.Offset, jobsTopic); !errors.Is(err, ErrCut) {
		t.Errorf("RedriveOne of the cut letter: %v, want ErrCut", err)
	}
	rep, err := Redrive(ctx, RedriveConfig{Brokers: brokers, From: dlqTopic, To: jobsTopic})
	if err != nil || rep.Read != 1 || rep.Sent != 0 {
		t.Errorf("Redrive: %+v, %v; want the cut letter read, not sent", rep, err)
	}
}

// TestUnpublishableResult: a result the results topic refuses (over its
// max.message.bytes) can never be written; the job is dead-lettered as
// permanent with that reason and the partition moves on.
func TestUnpublishableResult(t *testing.T) {
	brokers := startCluster(t)
	conn, err := kafka.Dial("tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	err = conn.CreateTopics(kafka.TopicConfig{Topic: "small.results", NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "2000"}}})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := Enqueue(context.Background(), brokers, jobsTopic, Job{ProductID: "huge", Image: "i"}, Job{ProductID: "fine", Image: "i"}); err != nil {
		t.Fatal(err)
	}
	var unpublishable atomic.Int64
	cfg := testConfig(brokers, "unpublishable")
	cfg.ResultsTopic = "small.results"
	cfg.Hooks.OnUnpublishable = func(string) { unpublishable.Add(1) }
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		r := okResult(job)
		if job.ProductID == "huge" {
			r.Output = strings.Repeat("o", 4000)
		}
		return r, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	waitFor(t, "all offsets committed", 30*time.Second, func() bool { return allCommitted(t, brokers, "unpublishable") })
	if err, _ := stop(); err != nil {
		t.Fatal(err)
	}
	dl := readAll(t, brokers, dlqTopic)
	if len(dl) != 1 || string(dl[0].Key) != "huge" || header(dl[0], HeaderErrorClass) != ClassPermanent ||
		!strings.Contains(header(dl[0], HeaderErrorReason), "result cannot be published") {
		for _, d := range dl {
			t.Logf("%s: %v", d.Key, d.Headers)
		}
		t.Fatalf("dead letters %d", len(dl))
	}
	if unpublishable.Load() != 1 {
		t.Errorf("OnUnpublishable called %d times, want 1", unpublishable.Load())
	}
}

func TestPing(t *testing.T) {
	brokers := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Ping(ctx, brokers); err != nil {
		t.Fatalf("Ping a running broker: %v", err)
	}
	if err := Ping(ctx, []string{"127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Ping nothing: %v", err)
	}
}

// TestDeadLetterTopicLimit: a dead-letter topic whose limit is below a
// job's gets the letter cut to a prefix; one that refuses even that drops
// the job with the "dropped" outcome; either way the partition moves on.
func TestDeadLetterTopicLimit(t *testing.T) {
	brokers := startCluster(t)
	conn, err := kafka.Dial("tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	err = conn.CreateTopics(
		kafka.TopicConfig{Topic: "small.dlq", NumPartitions: 1, ReplicationFactor: 1,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "20000"}}},
		kafka.TopicConfig{Topic: "tiny.dlq", NumPartitions: 1, ReplicationFactor: 1,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "600"}}})
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"v":1,"product_id":"p","image":` + strings.Repeat(" ", 30000) + `x}`) // malformed, 30 KB
	for _, tc := range []struct {
		dlq, want string
	}{{"small.dlq", OutcomePermanent}, {"tiny.dlq", OutcomeDropped}} {
		t.Run(tc.dlq, func(t *testing.T) {
			group := "limit-" + tc.dlq
			produceRaw(t, brokers, kafka.Message{Key: []byte(tc.dlq), Value: bad},
				kafka.Message{Key: []byte(tc.dlq), Value: []byte(`{"v":1,"product_id":"after","image":"i"}`)})
			var mu sync.Mutex
			outcomes := map[string]int{}
			cfg := testConfig(brokers, group)
			cfg.DLQTopic = tc.dlq
			cfg.Hooks.OnOutcome = func(o string, _ time.Duration) { mu.Lock(); outcomes[o]++; mu.Unlock() }
			c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) { return okResult(job), nil })
			if err != nil {
				t.Fatal(err)
			}
			stop := runConsumer(t, c)
			waitFor(t, "all offsets committed", 30*time.Second, func() bool { return allCommitted(t, brokers, group) })
			if err, _ := stop(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if outcomes[tc.want] < 1 || outcomes[OutcomeOK] < 1 {
				t.Errorf("outcomes %v, want %s for the big job and ok after it", outcomes, tc.want)
			}
			if tc.want != OutcomePermanent {
				return
			}
			recs := testinfra.ReadTopic(t, brokers, tc.dlq, 1)
			if len(recs) != 1 || header(recs[0], HeaderValueBytes) != strconv.Itoa(len(bad)) || len(recs[0].Value) != deadLetterPrefix {
				t.Errorf("%d letters; want one cut to %d bytes recording the %d-byte job", len(recs), deadLetterPrefix, len(bad))
			}
		})
	}
}

// A job's own headers cannot pass for the consumer's: a letter of a job
// carrying a "value-bytes" header is not taken for a cut one.
func TestDeadLetterOwnHeaders(t *testing.T) {
	m := kafka.Message{Key: []byte("k"), Value: []byte("{}"), Headers: []kafka.Header{
		{Key: HeaderValueBytes, Value: []byte("9")}, {Key: "trace", Value: []byte("t")}}}
	dl := deadLetter("dlq", m, ClassPermanent, "bad", 1, false)
	l := letterOf(dl)
	if l.Cut || l.Class != ClassPermanent || l.Reason != "bad" {
		t.Errorf("letter %+v", l)
	}
	if len(dl.Headers) != 4 || dl.Headers[0].Key != "trace" {
		t.Errorf("headers %v", dl.Headers)
	}
}
