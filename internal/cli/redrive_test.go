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
	jobsSent := func() int64 { return testinfra.Sum(testinfra.EndOffsets(t, brokers, jobsTopic, parts)) }

	code, stdout, stderr := run(t, "redrive", "-brokers", addr, "-dry-run", "-class", "permanent", "-reason", "UNSUPPORTED")
	if code != ExitOK || strings.Count(stdout, "would send palette.jobs.dlq/") != 2 || !strings.Contains(stdout, `key="A" class=permanent attempts=5 reason="palette: unsupported image format"`) ||
		!strings.Contains(stdout, `key="D"`) ||
		!strings.Contains(stderr, "would redrive 2 of 4 dead letters from palette.jobs.dlq to palette.jobs, 2 passed over by -class/-reason (group palette-redrive.permanent.reason-unsupported); sent and committed nothing") {
		t.Fatalf("-dry-run: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := jobsSent(); n != 0 {
		t.Fatalf("-dry-run sent %d jobs", n)
	}

	code, stdout, stderr = run(t, "redrive", "-brokers", addr, "-class", "transient-exhausted")
	if code != ExitOK || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `sent palette.jobs.dlq/`) || !strings.Contains(stdout, `key="B"`) ||
		!strings.Contains(stderr, "redrove 1 of 4 dead letters from palette.jobs.dlq to palette.jobs, 3 passed over by -class/-reason (group palette-redrive.transient-exhausted)") {
		t.Fatalf("redrive: exit %d\n%s%s", code, stdout, stderr)
	}
	if jobs := topicJobs(t, addr); len(jobs) != 1 || jobs["B"].ProductID != "B" {
		t.Errorf("jobs topic: %v", jobs)
	}
	// Once per filter.
	code, stdout, stderr = run(t, "redrive", "-brokers", addr, "-class", "transient-exhausted")
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "no dead letters on palette.jobs.dlq left for group palette-redrive.transient-exhausted") {
		t.Errorf("second run: exit %d\n%s%s", code, stdout, stderr)
	}
	// Another filter still finds the letters the first passed over.
	code, stdout, _ = run(t, "redrive", "-brokers", addr, "-reason", "not found")
	if code != ExitOK || !strings.Contains(stdout, `key="C"`) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("-reason: exit %d\n%s", code, stdout)
	}
	// And so does the unfiltered group, once.
	code, stdout, _ = run(t, "redrive", "-brokers", addr)
	if code != ExitOK || strings.Count(stdout, "\n") != 4 || jobsSent() != 6 {
		t.Errorf("unfiltered: exit %d, %d jobs on the topic\n%s", code, jobsSent(), stdout)
	}
	code, stdout, stderr = run(t, "redrive", "-brokers", addr, "-group", "palette-redrive")
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "left for group palette-redrive\n") {
		t.Errorf("unfiltered again: exit %d\n%s%s", code, stdout, stderr)
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
