package cli

import (
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

func letter(id, class, reason string) kafka.Message {
	return kafka.Message{Key: []byte(id), Value: []byte(`{"product_id":"` + id + `","image":"s3://in/x.jpg"}`), Headers: []kafka.Header{
		{Key: queue.HeaderErrorClass, Value: []byte(class)},
		{Key: queue.HeaderErrorReason, Value: []byte(reason)},
		{Key: queue.HeaderAttempts, Value: []byte("5")},
	}}
}

func TestRedrive(t *testing.T) {
	addr := startBroker(t)
	brokers := []string{addr}
	testinfra.Produce(t, brokers, dlqTopic,
		letter("A", queue.ClassPermanent, "palette: unsupported image format"),
		letter("B", queue.ClassTransientExhausted, "store: timeout"),
		letter("C", queue.ClassPermanent, "store: object not found"),
		letter("D", queue.ClassPermanent, "palette: Unsupported image format: gif"))

	code, stdout, stderr := run(t, "redrive", "-brokers", addr, "-dry-run", "-class", "permanent", "-reason", "UNSUPPORTED")
	if code != ExitOK || strings.Count(stdout, "would send palette.jobs.dlq/") != 2 || !strings.Contains(stdout, `key="A" class=permanent attempts=5 reason="palette: unsupported image format"`) ||
		!strings.Contains(stdout, `key="D"`) || !strings.Contains(stderr, "would redrive 2 of 4 dead letters from palette.jobs.dlq to palette.jobs, 2 passed over by -class/-reason; sent and committed nothing") {
		t.Fatalf("-dry-run: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := testinfra.Sum(testinfra.EndOffsets(t, brokers, jobsTopic, parts)); n != 0 {
		t.Fatalf("-dry-run sent %d jobs", n)
	}

	code, stdout, stderr = run(t, "redrive", "-brokers", addr, "-class", "transient-exhausted")
	if code != ExitOK || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `sent palette.jobs.dlq/`) || !strings.Contains(stdout, `key="B"`) ||
		!strings.Contains(stderr, "redrove 1 of 4 dead letters from palette.jobs.dlq to palette.jobs, 3 passed over") {
		t.Fatalf("redrive: exit %d\n%s%s", code, stdout, stderr)
	}
	jobs := topicJobs(t, addr)
	if len(jobs) != 1 || jobs["B"].ProductID != "B" {
		t.Errorf("jobs topic: %v", jobs)
	}

	// The group has passed every letter: nothing more, even without filters.
	code, stdout, stderr = run(t, "redrive", "-brokers", addr)
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "no dead letters on palette.jobs.dlq left for group palette-redrive") {
		t.Errorf("second run: exit %d\n%s%s", code, stdout, stderr)
	}
	// Another group still sees them all.
	code, stdout, _ = run(t, "redrive", "-brokers", addr, "-group", "other", "-reason", "not found")
	if code != ExitOK || !strings.Contains(stdout, `key="C"`) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("-group other: exit %d\n%s", code, stdout)
	}
}

func TestRedriveUsage(t *testing.T) {
	for _, args := range [][]string{
		{"redrive"}, // no brokers
		{"redrive", "-brokers", "x:1", "-class", "transient"},
		{"redrive", "-brokers", "x:1", "-from", "a", "-to", "a"},
		{"redrive", "-brokers", "x:1", "extra"},
	} {
		if code, _, stderr := run(t, args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
}

// The README documents every flag redrive -h lists, and no other.
func TestRedriveREADMEFlags(t *testing.T) {
	_, _, usage := run(t, "redrive", "-h")
	testinfra.CheckREADMEFlags(t, "../../README.md", "### palettecli redrive", usage)
}
