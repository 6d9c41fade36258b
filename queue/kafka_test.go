package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/testinfra"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	testPartitions = 4
	jobsTopic      = "palette.jobs"
	resultsTopic   = "palette.results"
	dlqTopic       = "palette.jobs.dlq"
)

// startCluster runs an in-process Kafka (kfake) with the three topics.
func startCluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, jobsTopic, resultsTopic, dlqTopic))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func testConfig(brokers []string, group string) Config {
	cfg := Config{
		Brokers:         brokers,
		Group:           group,
		Backoff:         time.Millisecond,
		MaxBackoff:      5 * time.Millisecond,
		Rand:            rand.New(rand.NewPCG(1, 2)),
		ShutdownTimeout: 10 * time.Second,
	}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return cfg
}

func produceRaw(t *testing.T, brokers []string, msgs ...kafka.Message) {
	t.Helper()
	testinfra.Produce(t, brokers, jobsTopic, msgs...)
}

// endOffsets returns the log end offset of each partition of topic.
func endOffsets(t *testing.T, brokers []string, topic string) map[int]int64 {
	return testinfra.EndOffsets(t, brokers, topic, testPartitions)
}

func total(m map[int]int64) int64 { return testinfra.Sum(m) }

// committed returns the group's committed offset per partition of the jobs topic (-1: none).
func committed(t *testing.T, brokers []string, group string) map[int]int64 {
	return testinfra.Committed(t, brokers, group, jobsTopic, testPartitions)
}

// allCommitted reports whether the group has committed the log end of every partition.
func allCommitted(t *testing.T, brokers []string, group string) bool {
	end, got := endOffsets(t, brokers, jobsTopic), committed(t, brokers, group)
	for p, e := range end {
		if e > 0 && got[p] != e {
			return false
		}
	}
	return true
}

// readAll reads every record of topic.
func readAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	return testinfra.ReadTopic(t, brokers, topic, testPartitions)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runConsumer starts c.Run and returns a stop function that cancels it and
// returns Run's error and how long Run took to return.
func runConsumer(t *testing.T, c *Consumer) (stop func() (error, time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	var took time.Duration
	stop = func() (error, time.Duration) {
		once.Do(func() {
			cancel()
			start := time.Now()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				err = errors.New("Run did not return within 60s")
			}
			took = time.Since(start)
		})
		return err, took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func okResult(job Job) Result {
	return Result{Output: "s3://out/" + job.ProductID + ".png", Bytes: 42,
		Colors: []Color{{Name: "Grey", Hex: "#808080", DeltaE: 1.5, Share: 0.4, Confidence: 0.9}}}
}

func TestEndToEnd(t *testing.T) {
	brokers := startCluster(t)
	const n = 200
	var msgs []kafka.Message
	poison := map[string]string{} // key → original value
	for i := range n {
		id := fmt.Sprintf("P%03d", i)
		var v string
		switch {
		case i%10 == 3 && i%20 == 3: // 10 malformed JSON
			v = `{"product_id":"` + id + `","image":`
			poison[id] = v
		case i%10 == 3: // 10 the handler rejects
			v = fmt.Sprintf(`{"v":1,"product_id":%q,"image":"s3://in/%s.jpg","colors":["hostile"]}`, id, id)
			poison[id] = v
		default:
			v = fmt.Sprintf(`{"v":1,"product_id":%q,"image":"s3://in/%s.jpg","colors":["Grey"],"extra":true}`, id, id)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(id), Value: []byte(v)})
	}
	produceRaw(t, brokers, msgs...)

	var calls, inflight, maxInflight atomic.Int64
	var outcomes sync.Map
	cfg := testConfig(brokers, "e2e")
	cfg.Hooks = Hooks{
		OnOutcome: func(o string, _ time.Duration) {
			v, _ := outcomes.LoadOrStore(o, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		},
		OnInFlight: func(d int) {
			cur := inflight.Add(int64(d))
			for m := maxInflight.Load(); cur > m && !maxInflight.CompareAndSwap(m, cur); m = maxInflight.Load() {
			}
		},
	}
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		calls.Add(1)
		if strings.HasPrefix(job.ProductID, "P") && len(job.Colors) == 1 && job.Colors[0] == "hostile" {
			return Result{}, Permanent(errors.New("hostile image: " + strings.Repeat("z", 2000)))
		}
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	waitFor(t, "all offsets committed", 25*time.Second, func() bool { return allCommitted(t, brokers, "e2e") })
	if err, _ := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !allCommitted(t, brokers, "e2e") {
		t.Fatal("offsets not committed after shutdown")
	}

	results := readAll(t, brokers, resultsTopic)
	dlq := readAll(t, brokers, dlqTopic)
	if len(results) != 180 || len(dlq) != 20 {
		t.Fatalf("got %d results and %d dead letters, want 180 and 20", len(results), len(dlq))
	}
	seen := map[string]bool{}
	for _, r := range results {
		var res Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatalf("result %s: %v", r.Value, err)
		}
		if string(r.Key) != res.ProductID || res.Image != "s3://in/"+res.ProductID+".jpg" || res.Bytes != 42 || len(res.Colors) != 1 || res.DurationMS <= 0 {
			t.Errorf("bad result key %s: %+v", r.Key, res)
		}
		seen[res.ProductID] = true
	}
	for _, r := range dlq {
		id := string(r.Key)
		want, ok := poison[id]
		if !ok || string(r.Value) != want {
			t.Errorf("dead letter %s: value %q, want original %q", id, r.Value, want)
		}
		class, reason, attempts := header(r, HeaderErrorClass), header(r, HeaderErrorReason), header(r, HeaderAttempts)
		if class != ClassPermanent || len(reason) == 0 || len(reason) > 1024 {
			t.Errorf("dead letter %s: class %q reason %d bytes", id, class, len(reason))
		}
		malformed := strings.Contains(reason, "malformed JSON")
		if (malformed && attempts != "0") || (!malformed && attempts != "1") {
			t.Errorf("dead letter %s: attempts %q reason %.60q", id, attempts, reason)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct jobs accounted for, want %d", len(seen), n)
	}
	if got := calls.Load(); got != 190 {
		t.Errorf("handler called %d times, want 190 (malformed JSON never reaches it)", got)
	}
	if m := maxInflight.Load(); m > int64(defaultConcurrency) {
		t.Errorf("max in flight %d exceeds concurrency %d", m, defaultConcurrency)
	}
	get := func(o string) int64 {
		v, ok := outcomes.Load(o)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	if get(OutcomeOK) != 180 || get(OutcomePermanent) != 20 {
		t.Errorf("outcomes ok=%d permanent=%d", get(OutcomeOK), get(OutcomePermanent))
	}
}

func TestTransientRetries(t *testing.T) {
	brokers := startCluster(t)
	if err := Enqueue(context.Background(), brokers, jobsTopic,
		Job{ProductID: "flaky", Image: "i"}, Job{ProductID: "broken", Image: "i"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := map[string]int{}
	var retries atomic.Int64
	cfg := testConfig(brokers, "transient")
	cfg.MaxAttempts = 4
	cfg.Hooks.OnRetry = func() { retries.Add(1) }
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		mu.Lock()
		calls[job.ProductID]++
		k := calls[job.ProductID]
		mu.Unlock()
		if job.ProductID == "broken" || k <= 2 {
			return Result{}, fmt.Errorf("object store unavailable (call %d)", k)
		}
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	waitFor(t, "all offsets committed", 20*time.Second, func() bool { return allCommitted(t, brokers, "transient") })
	if err, _ := stop(); err != nil {
		t.Fatal(err)
	}
	results, dlq := readAll(t, brokers, resultsTopic), readAll(t, brokers, dlqTopic)
	if len(results) != 1 || string(results[0].Key) != "flaky" {
		t.Fatalf("results: %d, want 1 for flaky", len(results))
	}
	if len(dlq) != 1 || string(dlq[0].Key) != "broken" {
		t.Fatalf("dead letters: %d, want 1 for broken", len(dlq))
	}
	d := dlq[0]
	if header(d, HeaderErrorClass) != ClassTransientExhausted || header(d, HeaderAttempts) != "4" ||
		!strings.Contains(header(d, HeaderErrorReason), "object store unavailable (call 4)") {
		t.Errorf("dead-letter headers: %v", d.Headers)
	}
	if j, err := ParseJob(d.Value); err != nil || j.ProductID != "broken" {
		t.Errorf("dead-letter value %q: %v", d.Value, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["flaky"] != 3 || calls["broken"] != 4 {
		t.Errorf("calls %v, want flaky 3, broken 4", calls)
	}
	if r := retries.Load(); r != 2+3 {
		t.Errorf("OnRetry called %d times, want 5", r)
	}
}

// TestCommitSafety stops a consumer while jobs finish out of order and some
// never finish, then lets a second consumer of the same group take over:
// every job must end as a result or a dead letter.
func TestCommitSafety(t *testing.T) {
	brokers := startCluster(t)
	const n = 120
	var jobs []Job
	for i := range n {
		jobs = append(jobs, Job{ProductID: fmt.Sprintf("J%03d", i), Image: "i", Colors: []string{fmt.Sprint(i)}})
	}
	if err := Enqueue(context.Background(), brokers, jobsTopic, jobs...); err != nil {
		t.Fatal(err)
	}
	delay := func(job Job) time.Duration {
		var i int
		fmt.Sscan(job.Colors[0], &i)
		return time.Duration((i*37)%13) * time.Millisecond
	}
	isStuck := func(job Job) bool { return strings.HasSuffix(job.ProductID, "5") } // J005, J015, ...

	var done1 atomic.Int64
	cfg := testConfig(brokers, "safety")
	cfg.Concurrency = 8
	cfg.ShutdownTimeout = 500 * time.Millisecond
	c1, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		if isStuck(job) { // never finishes on its own: abandoned at shutdown
			<-ctx.Done()
			return Result{}, ctx.Err()
		}
		time.Sleep(delay(job))
		if job.Colors[0] == "7" {
			return Result{}, Permanent(errors.New("no name resolvable"))
		}
		done1.Add(1)
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop1 := runConsumer(t, c1)
	waitFor(t, "first consumer progress", 20*time.Second, func() bool { return done1.Load() >= 30 })
	err, took := stop1()
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if took > cfg.ShutdownTimeout+10*time.Second {
		t.Errorf("first Run took %v to stop", took)
	}
	mid := committed(t, brokers, "safety")
	t.Logf("after first consumer: %d jobs done, committed %v", done1.Load(), mid)
	// The invariant: every job below a committed offset has its outcome
	// published; in particular no abandoned job was committed over.
	published := map[string]bool{}
	for _, topic := range []string{resultsTopic, dlqTopic} {
		for _, r := range readAll(t, brokers, topic) {
			published[string(r.Key)] = true
		}
	}
	below := 0
	for _, r := range readAll(t, brokers, jobsTopic) {
		if r.Offset < mid[int(r.Partition)] {
			below++
			if !published[string(r.Key)] {
				t.Errorf("offset %d/%d (%s) committed before its job finished", r.Partition, r.Offset, r.Key)
			}
		}
	}
	if below == 0 {
		t.Log("note: first consumer committed nothing")
	}

	cfg.ShutdownTimeout = 10 * time.Second
	var stuckSeen atomic.Int64
	c2, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		if isStuck(job) {
			stuckSeen.Add(1)
		}
		time.Sleep(delay(job))
		if job.Colors[0] == "7" {
			return Result{}, Permanent(errors.New("no name resolvable"))
		}
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop2 := runConsumer(t, c2)
	waitFor(t, "all offsets committed", 25*time.Second, func() bool { return allCommitted(t, brokers, "safety") })
	if err, _ := stop2(); err != nil {
		t.Fatalf("second Run: %v", err)
	}

	seen := map[string]int{}
	for _, r := range readAll(t, brokers, resultsTopic) {
		seen[string(r.Key)]++
	}
	for _, r := range readAll(t, brokers, dlqTopic) {
		if string(r.Key) != "J007" {
			t.Errorf("unexpected dead letter %s", r.Key)
		}
		seen[string(r.Key)]++
	}
	for _, j := range jobs {
		if seen[j.ProductID] == 0 {
			t.Errorf("job %s lost: no result and no dead letter", j.ProductID)
		}
	}
	if stuckSeen.Load() < n/10 {
		t.Errorf("second consumer saw %d abandoned jobs, want all %d", stuckSeen.Load(), n/10)
	}
}

// TestShutdown checks that Run returns nil promptly after cancellation,
// finishing a short in-flight job and abandoning, uncommitted, one that
// outlives the shutdown timeout.
func TestShutdown(t *testing.T) {
	brokers := startCluster(t)
	if err := Enqueue(context.Background(), brokers, jobsTopic, Job{ProductID: "slow", Image: "i"}, Job{ProductID: "hung", Image: "i"}); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 2)
	release := make(chan struct{})
	defer close(release)
	cfg := testConfig(brokers, "shutdown")
	cfg.ShutdownTimeout = time.Second
	c, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		started <- job.ProductID
		if job.ProductID == "hung" {
			<-release // ignores ctx entirely
			return Result{}, errors.New("released")
		}
		time.Sleep(300 * time.Millisecond)
		return okResult(job), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runConsumer(t, c)
	for range 2 {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("jobs did not start")
		}
	}
	err, took := stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took < cfg.ShutdownTimeout || took > cfg.ShutdownTimeout+10*time.Second {
		t.Errorf("Run returned after %v; want about the shutdown timeout %v", took, cfg.ShutdownTimeout)
	}
	results := readAll(t, brokers, resultsTopic)
	if len(results) != 1 || string(results[0].Key) != "slow" {
		t.Fatalf("results %d, want only the slow job's", len(results))
	}
	if len(readAll(t, brokers, dlqTopic)) != 0 {
		t.Error("hung job was dead-lettered")
	}
	end, got := endOffsets(t, brokers, jobsTopic), committed(t, brokers, "shutdown")
	if allCommitted(t, brokers, "shutdown") {
		t.Errorf("everything committed (%v of %v) although the hung job never finished", got, end)
	}
}

func TestEnqueueRejectsBadJob(t *testing.T) {
	err := Enqueue(context.Background(), []string{"127.0.0.1:1"}, jobsTopic, Job{ProductID: "x"})
	if !errors.Is(err, ErrBadJob) {
		t.Fatalf("Enqueue without image: %v, want ErrBadJob", err)
	}
}

// TestRebalance runs two consumers of one group at once: kafka-go
// rebalances the partitions between them mid-stream (on its own, after a
// heartbeat), and still every job ends as a result (duplicates allowed).
func TestRebalance(t *testing.T) {
	brokers := startCluster(t)
	const n = 400
	var jobs []Job
	for i := range n {
		jobs = append(jobs, Job{ProductID: fmt.Sprintf("R%03d", i), Image: "i"})
	}
	if err := Enqueue(context.Background(), brokers, jobsTopic, jobs...); err != nil {
		t.Fatal(err)
	}
	var done, done2 atomic.Int64
	handler := func(ctx context.Context, job Job) (Result, error) {
		// Slow enough that the first consumer alone would outlast kafka-go's
		// 3s heartbeat, which is when it notices the second one.
		time.Sleep(50 * time.Millisecond)
		done.Add(1)
		return okResult(job), nil
	}
	cfg := testConfig(brokers, "rebalance")
	c1, err := NewConsumer(cfg, handler)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Rand = nil
	c2, err := NewConsumer(cfg, func(ctx context.Context, job Job) (Result, error) {
		done2.Add(1)
		return handler(ctx, job)
	})
	if err != nil {
		t.Fatal(err)
	}
	stop1 := runConsumer(t, c1)
	waitFor(t, "first consumer progress", 20*time.Second, func() bool { return done.Load() >= 20 })
	stop2 := runConsumer(t, c2)
	missing := func() []string {
		if total(endOffsets(t, brokers, resultsTopic)) < n {
			return []string{"?"}
		}
		seen := map[string]bool{}
		for _, r := range readAll(t, brokers, resultsTopic) {
			seen[string(r.Key)] = true
		}
		var out []string
		for _, j := range jobs {
			if !seen[j.ProductID] {
				out = append(out, j.ProductID)
			}
		}
		return out
	}
	// Not "all offsets committed": without revoke callbacks in kafka-go, the
	// consumer that lost a partition may still commit it (see package doc).
	waitFor(t, "a result for every job", 25*time.Second, func() bool { return len(missing()) == 0 })
	if err, _ := stop1(); err != nil {
		t.Errorf("first Run: %v", err)
	}
	if err, _ := stop2(); err != nil {
		t.Errorf("second Run: %v", err)
	}
	t.Logf("%d handler calls for %d jobs, %d by the second consumer", done.Load(), n, done2.Load())
	if done2.Load() == 0 {
		t.Log("note: no rebalance happened before the first consumer finished")
	}
}
