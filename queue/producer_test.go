package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func sendJobs(t *testing.T, cfg ProducerConfig, jobs []Job) (int, error) {
	t.Helper()
	p, err := NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Send(ctx, jobs)
}

func testJobs(n int) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{ProductID: fmt.Sprintf("B%03d", i), Image: fmt.Sprintf("s3://in/B%03d.jpg", i), Colors: []string{"Navy"}}
	}
	return jobs
}

// Every job arrives once, keyed by its product id, as a message ParseJob
// reads back to the same job (version 1 filled in).
func TestProducerSends(t *testing.T) {
	brokers := startCluster(t)
	jobs := testJobs(120)
	var mu sync.Mutex
	sent := 0
	n, err := sendJobs(t, ProducerConfig{Brokers: brokers, OnSent: func(k int) { mu.Lock(); sent += k; mu.Unlock() }}, jobs)
	if err != nil || n != len(jobs) || sent != len(jobs) {
		t.Fatalf("sent %d (OnSent %d), err %v", n, sent, err)
	}
	recs := readAll(t, brokers, jobsTopic)
	if len(recs) != len(jobs) {
		t.Fatalf("topic holds %d jobs, want %d", len(recs), len(jobs))
	}
	byID := map[string]Job{}
	for _, j := range jobs {
		byID[j.ProductID] = j
	}
	for _, r := range recs {
		j, err := ParseJob(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		want := byID[string(r.Key)]
		if j.ProductID != want.ProductID || j.Image != want.Image || j.V != 1 || len(j.Colors) != 1 {
			t.Errorf("key %s: job %+v, want %+v", r.Key, j, want)
		}
		delete(byID, string(r.Key))
	}
	if len(byID) != 0 {
		t.Errorf("%d jobs missing", len(byID))
	}
}

// Rate limits the jobs per second, in batches of a tenth of a second.
func TestProducerRate(t *testing.T) {
	brokers := startCluster(t)
	var mu sync.Mutex
	var batches []int
	start := time.Now()
	n, err := sendJobs(t, ProducerConfig{Brokers: brokers, Rate: 100, OnSent: func(k int) { mu.Lock(); batches = append(batches, k); mu.Unlock() }}, testJobs(40))
	took := time.Since(start)
	if err != nil || n != 40 {
		t.Fatalf("sent %d, err %v", n, err)
	}
	// A burst of 10, then 30 more at 100/s: at least 0.3 s.
	if took < 280*time.Millisecond {
		t.Errorf("40 jobs at 100/s took %v", took)
	}
	if len(batches) != 4 {
		t.Errorf("batches %v, want 4 of 10", batches)
	}
}

// A bad job stops the whole send before anything is written.
func TestProducerBadJob(t *testing.T) {
	brokers := startCluster(t)
	jobs := testJobs(5)
	jobs[3].Image = ""
	n, err := sendJobs(t, ProducerConfig{Brokers: brokers}, jobs)
	if n != 0 || !errors.Is(err, ErrBadJob) {
		t.Errorf("sent %d, err %v; want 0 and ErrBadJob", n, err)
	}
	if got := total(endOffsets(t, brokers, jobsTopic)); got != 0 {
		t.Errorf("%d jobs written", got)
	}
	for _, cfg := range []ProducerConfig{{}, {Brokers: []string{""}}, {Brokers: []string{"x:1"}, Rate: -1}} {
		if _, err := NewProducer(cfg); err == nil {
			t.Errorf("NewProducer(%+v): no error", cfg)
		}
	}
}
