package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/testinfra"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// follower collects what Follow delivers.
type follower struct {
	mu   sync.Mutex
	recs []Record
}

func (f *follower) add(r Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, r)
}

func (f *follower) values() map[string]Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Record{}
	for _, r := range f.recs {
		out[string(r.Value)] = r
	}
	return out
}

func (f *follower) waitFor(t *testing.T, n int) map[string]Record {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := f.values()
		if len(v) >= n {
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.recs) != len(v) {
				t.Fatalf("%d records delivered, %d distinct: some twice", len(f.recs), len(v))
			}
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d of %d records: %v", len(v), n, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFollow reads the results topic from a point in time on, follows new
// records, and picks up a topic created after it started; two followers
// each see everything (no group).
func TestFollow(t *testing.T) {
	// The dead-letter topic does not exist at first.
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, resultsTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	now := time.Now()
	var old, recent []kafka.Message
	for i := range 8 {
		old = append(old, kafka.Message{Key: fmt.Appendf(nil, "P%d", i), Value: fmt.Appendf(nil, "old %d", i), Time: now.Add(-3 * time.Hour)})
		recent = append(recent, kafka.Message{Key: fmt.Appendf(nil, "P%d", i), Value: fmt.Appendf(nil, "recent %d", i), Time: now.Add(-time.Minute)})
	}
	testinfra.Produce(t, brokers, resultsTopic, old...)
	testinfra.Produce(t, brokers, resultsTopic, recent...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := FollowConfig{Brokers: brokers, Topics: []string{resultsTopic, dlqTopic}, Since: now.Add(-time.Hour), Rediscover: 100 * time.Millisecond}
	var a, b follower
	done := make(chan error, 2)
	go func() { done <- Follow(ctx, cfg, a.add) }()
	go func() { done <- Follow(ctx, cfg, b.add) }()

	for _, f := range []*follower{&a, &b} {
		got := f.waitFor(t, 8)
		for v := range got {
			if v[:6] != "recent" {
				t.Errorf("delivered %q, from before Since", v)
			}
		}
	}

	// New records, and a topic that appears later.
	testinfra.Produce(t, brokers, resultsTopic, kafka.Message{Key: []byte("P1"), Value: []byte("new result")})
	admin := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	if _, err := admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: dlqTopic, NumPartitions: 2, ReplicationFactor: 1}}}); err != nil {
		t.Fatal(err)
	}
	testinfra.Produce(t, brokers, dlqTopic, kafka.Message{Key: []byte("P2"), Value: []byte("letter"), Headers: []kafka.Header{
		{Key: HeaderErrorClass, Value: []byte(ClassPermanent)}, {Key: HeaderErrorReason, Value: []byte("corrupt image")}, {Key: HeaderAttempts, Value: []byte("1")}}})
	for _, f := range []*follower{&a, &b} {
		got := f.waitFor(t, 10)
		r, ok := got["letter"]
		if !ok || r.Topic != dlqTopic || string(r.Key) != "P2" || r.Time.IsZero() {
			t.Fatalf("letter: %+v", r)
		}
		l := r.Letter()
		if l.Class != ClassPermanent || l.Reason != "corrupt image" || l.Attempts != 1 || l.Offset != r.Offset || l.Partition != r.Partition {
			t.Fatalf("Letter() = %+v", l)
		}
		if n := got["new result"]; n.Topic != resultsTopic {
			t.Fatalf("new result: %+v", n)
		}
	}
	cancel()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Follow did not return after cancel")
		}
	}
}

func TestFollowConfig(t *testing.T) {
	if err := Follow(context.Background(), FollowConfig{Topics: []string{"x"}}, func(Record) {}); err == nil {
		t.Error("no brokers: no error")
	}
	if err := Follow(context.Background(), FollowConfig{Brokers: []string{"127.0.0.1:1"}}, func(Record) {}); err == nil {
		t.Error("no topics: no error")
	}
}
