package worker

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/palette-dev/palette/queue"
)

// restartableKafka is a one-broker kfake cluster with a data directory on a
// fixed loopback port, so that it can be closed and started again with the
// same state and the same address.
type restartableKafka struct {
	t    *testing.T
	dir  string
	port int
	mu   sync.Mutex
	c    *kfake.Cluster
}

func startRestartableKafka(t *testing.T) *restartableKafka {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	k := &restartableKafka{t: t, dir: t.TempDir(), port: port}
	t.Cleanup(k.stop)
	k.start()
	return k
}

func (k *restartableKafka) brokers() []string {
	return []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(k.port))}
}

// start starts the cluster, retrying while the port is not free yet. The
// topics are seeded only when the data directory holds no state.
func (k *restartableKafka) start() {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := kfake.NewCluster(kfake.DataDir(k.dir), kfake.Ports(k.port),
			kfake.SeedTopics(e2eParts, e2eJobs, e2eResults, e2eDLQ))
		if err == nil {
			if addrs := c.ListenAddrs(); len(addrs) != 1 || addrs[0] != k.brokers()[0] {
				c.Close()
				k.t.Fatalf("kfake listens on %v, want %v", addrs, k.brokers())
			}
			k.c = c
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("kfake on port %d: %v", k.port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop closes the cluster (kfake writes its state to the data directory).
func (k *restartableKafka) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c != nil {
		k.c.Close()
		k.c = nil
	}
}

// TestE2EBrokerRestart: the broker (kfake with a data directory) is closed
// while the in-process worker is consuming and started again on the same
// port and data: the committed offsets, the jobs and the results survive
// the restart, consumption resumes from the committed offsets, jobs
// enqueued after the restart are processed, nothing is dead-lettered and
// every offset ends up committed. A job above the offsets committed before
// the restart may be done twice: the reader keeps processing messages it
// fetched before the restart, their commits fail, and the rejoined group
// is served them again from the committed offsets.
func TestE2EBrokerRestart(t *testing.T) {
	t.Parallel()
	start := time.Now()
	const before, after = 120, 60
	g := startVersitygw(t)
	sc := g.Client()
	k := startRestartableKafka(t)
	brokers := k.brokers()
	wl := newWorkload(t, sc, before+after, 0)

	cfg := s3WorkerConfig(brokers, g.Endpoint(), "restart")
	cfg.Queue.MaxAttempts = 1000 // broker downtime must not dead-letter anything
	cfg.Queue.Backoff, cfg.Queue.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	cfg.Queue.SessionTimeout = 6 * time.Second
	_, stop := runWorker(t, cfg)
	enqueueJobs(t, brokers, wl.good[:before])

	// Wait (polling quickly, so as to stop mid-batch) for the first results.
	deadline := time.Now().Add(30 * time.Second)
	for sumOffsets(topicEnds(t, brokers, e2eResults)) < 30 {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the first 30 results")
		}
		time.Sleep(10 * time.Millisecond)
	}
	committedBefore := groupCommitted(t, brokers, "restart")
	resultsBefore := readTopic(t, brokers, e2eResults)
	k.stop()
	downAt := time.Now()
	var nCommitted int64
	for p := range e2eParts {
		if committedBefore[p] > 0 {
			nCommitted += committedBefore[p]
		}
	}
	t.Logf("broker closed after %d results (%d offsets committed: %v)", len(resultsBefore), nCommitted, committedBefore)
	if len(resultsBefore) >= before {
		t.Log("note: every job finished before the broker was closed")
	}
	if nCommitted == 0 {
		t.Fatal("no offset committed before the broker restart: nothing to check")
	}

	time.Sleep(time.Second) // the broker stays down a moment (not a correctness wait)
	k.start()
	t.Logf("broker back after %v", time.Since(downAt).Round(time.Millisecond))

	// The committed offsets were persisted: read right after the restart,
	// they are at least those read before it (the worker only moves them on).
	// (The first requests may hit connections pooled before the restart.)
	committedAfter := groupCommitted(t, brokers, "restart")
	for p := range e2eParts {
		if committedAfter[p] < committedBefore[p] {
			t.Errorf("partition %d: committed offset %d after the restart, %d before: commits were lost",
				p, committedAfter[p], committedBefore[p])
		}
	}
	t.Logf("committed offsets after the restart: %v", committedAfter)
	if n := sumOffsets(topicEnds(t, brokers, e2eJobs)); n != before {
		t.Errorf("%d jobs in %s after the restart, want %d", n, e2eJobs, before)
	}

	enqueueJobs(t, brokers, wl.good[before:])
	var missing []string
	poll(t, "a result for every job and every offset committed", 45*time.Second, func() bool {
		if !wl.enoughRecords(t, brokers) || !allCommittedAt(t, brokers, "restart") {
			return false
		}
		missing = wl.missing(t, brokers)
		return len(missing) == 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// Every offset committed, on every partition.
	end, committed := topicEnds(t, brokers, e2eJobs), groupCommitted(t, brokers, "restart")
	if sumOffsets(end) != before+after {
		t.Errorf("%d jobs in %s, want %d", sumOffsets(end), e2eJobs, before+after)
	}
	for p := range e2eParts {
		if committed[p] != end[p] {
			t.Errorf("partition %d: committed %d, end offset %d", p, committed[p], end[p])
		}
	}
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Errorf("%d dead letters, want none; first: %s: %s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason))
	}

	// A result for every job; the results from before the restart are
	// still there, at the same offsets.
	results := readTopic(t, brokers, e2eResults)
	keys := keysOf(results)
	dups := 0
	for _, j := range wl.good {
		switch n := keys[j.ProductID]; {
		case n == 0:
			t.Errorf("no result for %s", j.ProductID)
		case n > 1:
			dups += n - 1
		}
	}
	if len(keys) != len(wl.good) {
		t.Errorf("results for %d distinct products, want %d", len(keys), len(wl.good))
	}
	at := map[string]string{}
	for _, r := range results {
		at[fmt.Sprintf("%d/%d", r.Partition, r.Offset)] = string(r.Key)
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil || res.ProductID != string(r.Key) {
			t.Errorf("result %s at %d/%d: %+v, %v", r.Key, r.Partition, r.Offset, res, err)
		}
	}
	for _, r := range resultsBefore {
		if got := at[fmt.Sprintf("%d/%d", r.Partition, r.Offset)]; got != string(r.Key) {
			t.Errorf("result %s at %d/%d before the restart: %q there after it", r.Key, r.Partition, r.Offset, got)
		}
	}
	if n := len(listKeys(t, sc, swatchBucket)); n != len(wl.good) {
		t.Errorf("%d swatches, want %d", n, len(wl.good))
	}
	// Consumption resumed from the committed offsets: no job below the
	// offsets committed before the restart was done again. (Jobs above them
	// may be: those fetched or in flight at the restart, whose commits the
	// restarted broker refused, are redelivered to the new generation.)
	jobAt := map[string][2]int64{}
	for _, r := range readTopic(t, brokers, e2eJobs) {
		jobAt[string(r.Key)] = [2]int64{int64(r.Partition), r.Offset}
	}
	for id, n := range keys {
		if at, ok := jobAt[id]; ok && n > 1 && at[1] < committedBefore[int(at[0])] {
			t.Errorf("job %s at %d/%d done %d times, below the offset %d committed before the restart",
				id, at[0], at[1], n, committedBefore[int(at[0])])
		}
	}
	t.Logf("%d jobs (%d after the restart), %d results, %d duplicates, in %v",
		len(wl.good), after, len(results), dups, time.Since(start).Round(time.Millisecond))
}
