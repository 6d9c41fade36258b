package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/cli"
	"github.com/palette-dev/palette/queue"
)

// palettecli runs the CLI in-process and returns its status, stdout and
// stderr.
func palettecli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// The backfill and redrive loop through a real worker: jobs handed to
// "palettecli enqueue" all become swatches and results; a job whose photo
// was missing is dead-lettered, and once the photo is there "palettecli
// redrive" sends it back once and it becomes a result too.
func TestEnqueueAndRedriveThroughWorker(t *testing.T) {
	brokers := startKafka(t)
	cfg, img, photo := localSetup(t)
	cfg.Queue = queue.Config{Brokers: brokers, MaxAttempts: 2, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, ShutdownTimeout: 5 * time.Second}
	cfg.Logger = e2eLogger()
	root := cfg.LocalRoot
	missing := "file://" + filepath.ToSlash(filepath.Join(root, "in", "late.jpg"))

	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprintf(`{"v":1,"product_id":"BF%02d","image":%q,"colors":["Red","Blue"]}`, i, img))
	}
	lines = append(lines, "", fmt.Sprintf(`{"product_id":"LATE","image":%q,"colors":["Red"]}`, missing))
	file := filepath.Join(t.TempDir(), "backfill.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := strings.Join(brokers, ",")
	code, _, stderr := palettecli(t, "enqueue", "-brokers", addr, "-topic", e2eJobs, file)
	if code != cli.ExitOK || !strings.Contains(stderr, "enqueued 21 jobs to palette.jobs") {
		t.Fatalf("enqueue: exit %d: %s", code, stderr)
	}

	_, stop := runWorker(t, cfg)
	poll(t, "20 results and 1 dead letter", 60*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) == 20 && sumOffsets(topicEnds(t, brokers, e2eDLQ)) == 1
	})
	dead := readTopic(t, brokers, e2eDLQ)
	if string(dead[0].Key) != "LATE" || recHeader(dead[0], queue.HeaderErrorClass) != queue.ClassPermanent {
		t.Fatalf("dead letter %s, class %s", dead[0].Key, recHeader(dead[0], queue.HeaderErrorClass))
	}

	// The photo arrives; a dry run lists the letter, the redrive sends it.
	if err := os.WriteFile(filepath.Join(root, "in", "late.jpg"), photo, 0o644); err != nil {
		t.Fatal(err)
	}
	place := fmt.Sprintf("%s/%d/%d", e2eDLQ, dead[0].Partition, dead[0].Offset)
	code, stdout, stderr := palettecli(t, "redrive", "-brokers", addr, "-dry-run")
	if code != cli.ExitOK || !strings.Contains(stdout, "would send "+place+` key="LATE" class=permanent`) {
		t.Fatalf("redrive -dry-run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = palettecli(t, "redrive", "-brokers", addr)
	if code != cli.ExitOK || !strings.Contains(stdout, "sent "+place) || !strings.Contains(stderr, "redrove 1 of 1 dead letter") {
		t.Fatalf("redrive: exit %d\n%s%s", code, stdout, stderr)
	}
	poll(t, "the redriven job's result", 60*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) == 21
	})
	code, stdout, stderr = palettecli(t, "redrive", "-brokers", addr)
	if code != cli.ExitOK || stdout != "" || !strings.Contains(stderr, "no dead letters on palette.jobs.dlq left") {
		t.Errorf("second redrive: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	seen := map[string]int{}
	for _, r := range readTopic(t, brokers, e2eResults) {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatal(err)
		}
		seen[res.ProductID]++
		data, err := os.ReadFile(strings.TrimPrefix(res.Output, "file://"))
		if err != nil || len(data) != res.Bytes || res.Bytes == 0 {
			t.Errorf("%s: swatch %s: %v (%d bytes, result says %d)", res.ProductID, res.Output, err, len(data), res.Bytes)
		}
	}
	if len(seen) != 21 || seen["LATE"] != 1 {
		t.Errorf("results per product: %v", seen)
	}
	if n := sumOffsets(topicEnds(t, brokers, e2eJobs)); n != 22 {
		t.Errorf("jobs topic holds %d messages, want 21 enqueued + 1 redriven", n)
	}
}
