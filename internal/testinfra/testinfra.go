// Package testinfra starts and inspects the real servers that the
// integration tests run against: an S3 server (versitygw) and Kafka offsets
// (through kafka-go). It is imported by tests only.
package testinfra

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Buffer is a bytes.Buffer safe for concurrent writers (a subprocess's
// stdout and stderr).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// S3Server is a versitygw process on a loopback port with access key "K"
// and secret "S", serving a directory that survives Stop and Start.
type S3Server struct {
	tb     testing.TB
	bin    string
	addr   string
	dir    string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *Buffer
}

// Missing ends a test that needs a tool the machine lacks: it fails when
// CI is set (make test installs every such tool, so in CI a missing one is
// a broken setup, never a pass) and is skipped otherwise, with msg saying
// how to install it.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + " (CI is set: make test must have installed it)")
	}
	tb.Skip(msg)
}

// Versitygw starts an S3 server for the test and stops it when the test
// ends. The binary comes from $PALETTE_VERSITYGW or bin/versitygw at the
// module root (make bin/versitygw); without it the test is skipped, or
// fails when CI is set.
func Versitygw(tb testing.TB) *S3Server {
	tb.Helper()
	bin := os.Getenv("PALETTE_VERSITYGW")
	if bin == "" {
		bin = filepath.Join(moduleRoot(tb), "bin", "versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		Missing(tb, "versitygw not found at "+bin+" (run `make bin/versitygw` or set PALETTE_VERSITYGW): "+err.Error())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &S3Server{tb: tb, bin: bin, addr: addr, dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	s.Start()
	return s
}

// Endpoint is the server's URL.
func (s *S3Server) Endpoint() string { return "http://" + s.addr }

// Addr is the server's host:port.
func (s *S3Server) Addr() string { return s.addr }

// Start runs the server on its port and waits until it accepts
// connections; after Stop it starts again with the same data.
func (s *S3Server) Start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := &Buffer{}
		cmd := exec.Command(s.bin, "--access", "K", "--secret", "S", "--port", s.addr, "--quiet", "--keep-alive", "posix", s.dir)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			s.tb.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		for {
			c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				s.cmd, s.exited, s.out = cmd, exited, out
				return
			}
			select {
			case <-exited: // e.g. the port is not free yet: start it again
			case <-time.After(20 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
			}
			break
		}
		cmd.Process.Kill()
		<-exited
		if time.Now().After(deadline) {
			s.tb.Fatalf("versitygw did not start on %s\n%s", s.addr, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server (if running) and waits for it to exit.
func (s *S3Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// moduleRoot is the folder of the go.mod above the working directory.
func moduleRoot(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// EndOffsets returns the log end offset of partitions 0..n-1 of topic.
func EndOffsets(tb testing.TB, brokers []string, topic string, n int) map[int]int64 {
	tb.Helper()
	var reqs []kafka.OffsetRequest
	for p := range n {
		reqs = append(reqs, kafka.LastOffsetOf(p))
	}
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	resp, err := cl.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		tb.Fatalf("list offsets: %v", err)
	}
	out := map[int]int64{}
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			tb.Fatalf("list offsets %s/%d: %v", topic, po.Partition, po.Error)
		}
		out[po.Partition] = po.LastOffset
	}
	return out
}

// Committed returns group's committed offset on partitions 0..n-1 of
// topic (-1: none, also for a group the broker does not know). A failing
// request is retried for up to 10 s, as the first requests after a broker
// restart may go to a closed connection.
func Committed(tb testing.TB, brokers []string, group, topic string, n int) map[int]int64 {
	tb.Helper()
	var parts []int
	for p := range n {
		parts = append(parts, p)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
		resp, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
		if err == nil && resp.Error != nil {
			err = resp.Error
		}
		if errors.Is(err, kafka.GroupIdNotFound) { // kfake: a group that never committed
			out := map[int]int64{}
			for _, p := range parts {
				out[p] = -1
			}
			return out
		}
		if err == nil {
			out := map[int]int64{}
			for _, p := range resp.Topics[topic] {
				if p.Error != nil {
					tb.Fatalf("offset fetch %s/%d: %v", topic, p.Partition, p.Error)
				}
				out[p.Partition] = p.CommittedOffset
			}
			return out
		}
		if time.Now().After(deadline) {
			tb.Fatalf("offset fetch: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Produce writes msgs to topic, acknowledged by all in-sync replicas,
// keyed partitioning as the workers' producers do (murmur2).
func Produce(tb testing.TB, brokers []string, topic string, msgs ...kafka.Message) {
	tb.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		tb.Fatalf("produce: %v", err)
	}
}

// Sum adds up offsets.
func Sum(m map[int]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// ReadTopic reads every record of partitions 0..n-1 of topic, as many as
// the end offsets say there are, within 30 s.
func ReadTopic(tb testing.TB, brokers []string, topic string, n int) []*kgo.Record {
	tb.Helper()
	want := int(Sum(EndOffsets(tb, brokers, topic, n)))
	if want == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			tb.Fatalf("read %s: got %d of %d records", topic, len(recs), want)
		}
		fs.EachError(func(_ string, _ int32, err error) { tb.Logf("fetch %s: %v", topic, err) })
		recs = append(recs, fs.Records()...)
	}
	return recs
}
