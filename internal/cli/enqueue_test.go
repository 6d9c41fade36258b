package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/palette-dev/palette/internal/testinfra"
	"github.com/palette-dev/palette/queue"
)

const (
	jobsTopic = "palette.jobs"
	dlqTopic  = "palette.jobs.dlq"
	parts     = 4
)

// startBroker runs an in-process Kafka-protocol broker (kfake) with the
// jobs and dead-letter topics and returns its address.
func startBroker(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, jobsTopic, dlqTopic))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// runEnv runs palettecli with stdin and an environment.
func runEnv(t *testing.T, stdin string, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return environ[k] }}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// topicJobs reads the jobs topic back: product id (the key) → job.
func topicJobs(t *testing.T, addr string) map[string]queue.Job {
	t.Helper()
	jobs := map[string]queue.Job{}
	for _, r := range testinfra.ReadTopic(t, []string{addr}, jobsTopic, parts) {
		j, err := queue.ParseJob(r.Value)
		if err != nil {
			t.Fatalf("job on the topic: %v", err)
		}
		if j.ProductID != string(r.Key) {
			t.Errorf("job %s has key %s", j.ProductID, r.Key)
		}
		if _, dup := jobs[j.ProductID]; dup {
			t.Errorf("job %s sent twice", j.ProductID)
		}
		jobs[j.ProductID] = j
	}
	return jobs
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnqueueJSONL(t *testing.T) {
	addr := startBroker(t)
	file := writeTemp(t, "jobs.jsonl", `{"v":1,"product_id":"A","image":"s3://in/a.jpg","colors":["Grey","Pink"]}

{"product_id":"B","image":"s3://in/b.jpg","colors":["Navy"],"output":"s3://out/b.png","extra":1}
  {"product_id":"C","image":"s3://in/c.jpg"}`+"\r\n")
	code, _, stderr := run(t, "enqueue", "-brokers", addr, file)
	if code != ExitOK || !strings.Contains(stderr, "enqueued 3 jobs to palette.jobs in ") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	jobs := topicJobs(t, addr)
	want := map[string]queue.Job{
		"A": {V: 1, ProductID: "A", Image: "s3://in/a.jpg", Colors: []string{"Grey", "Pink"}},
		"B": {V: 1, ProductID: "B", Image: "s3://in/b.jpg", Colors: []string{"Navy"}, Output: "s3://out/b.png"},
		"C": {V: 1, ProductID: "C", Image: "s3://in/c.jpg"},
	}
	for id, w := range want {
		if g := jobs[id]; g.V != w.V || g.Image != w.Image || g.Output != w.Output || !slices.Equal(g.Colors, w.Colors) {
			t.Errorf("job %s: %+v, want %+v", id, g, w)
		}
	}
	if len(jobs) != len(want) {
		t.Errorf("%d jobs on the topic", len(jobs))
	}
}

func TestEnqueueCSV(t *testing.T) {
	addr := startBroker(t)
	file := writeTemp(t, "jobs.csv", "\ufeffproduct_id,image,colors,output\n"+
		"A,s3://in/a.jpg,Grey | Pink,s3://out/a.png\n"+
		"B,s3://in/b.jpg,\"Navy Blue\",\n"+
		"\n"+
		"C,s3://in/c.jpg,,\n")
	code, _, stderr := run(t, "enqueue", "-brokers", addr, file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	jobs := topicJobs(t, addr)
	if a := jobs["A"]; !slices.Equal(a.Colors, []string{"Grey", "Pink"}) || a.Output != "s3://out/a.png" || a.V != 1 {
		t.Errorf("A: %+v", a)
	}
	if b := jobs["B"]; !slices.Equal(b.Colors, []string{"Navy Blue"}) || b.Output != "" {
		t.Errorf("B: %+v", b)
	}
	if c := jobs["C"]; len(c.Colors) != 0 || c.Image != "s3://in/c.jpg" {
		t.Errorf("C: %+v", c)
	}

	// Without the output column, from stdin (-format csv).
	addr = startBroker(t)
	code, _, stderr = runEnv(t, "product_id,image,colors\nD,s3://in/d.jpg,Red\n", nil, "enqueue", "-brokers", addr, "-format", "csv", "-")
	if code != ExitOK || len(topicJobs(t, addr)) != 1 {
		t.Fatalf("stdin CSV: exit %d: %s", code, stderr)
	}
}

// Bad lines are reported by number and nothing is sent, unless -partial.
func TestEnqueueBadLines(t *testing.T) {
	addr := startBroker(t)
	big := strings.Repeat("x", 300)
	file := writeTemp(t, "jobs.jsonl", strings.Join([]string{
		`{"product_id":"A","image":"s3://in/a.jpg","colors":["Grey"]}`,
		`{"product_id":"B","image":`,
		``,
		`{"product_id":"C","colors":["Grey"]}`,
		`{"v":2,"product_id":"D","image":"s3://in/d.jpg"}`,
		`{"product_id":"` + big + `","image":"s3://in/e.jpg"}`,
		`{"product_id":"F","image":"s3://in/f.jpg","colors":["Grey"]}`,
	}, "\n"))
	code, _, stderr := run(t, "enqueue", "-brokers", addr, file)
	if code != ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		file + ":2: malformed JSON",
		file + ":4: missing image",
		file + ":5: unsupported version 2",
		file + ":6: product_id is 300 bytes, limit 256",
		"4 bad lines, nothing sent",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, ":1:") || strings.Contains(stderr, ":7:") || strings.Contains(stderr, ":3:") {
		t.Errorf("a good or blank line reported:\n%s", stderr)
	}
	if n := testinfra.Sum(testinfra.EndOffsets(t, []string{addr}, jobsTopic, parts)); n != 0 {
		t.Fatalf("%d jobs sent despite bad lines", n)
	}

	code, _, stderr = run(t, "enqueue", "-brokers", addr, "-partial", file)
	if code != ExitFailed || !strings.Contains(stderr, "enqueued 2 jobs to palette.jobs") || !strings.Contains(stderr, "4 bad lines left out") {
		t.Errorf("-partial: exit %d: %s", code, stderr)
	}
	if jobs := topicJobs(t, addr); len(jobs) != 2 || jobs["A"].ProductID == "" || jobs["F"].ProductID == "" {
		t.Errorf("-partial sent %v", jobs)
	}

	// CSV: line numbers, field counts, the parser's own checks.
	csvFile := writeTemp(t, "jobs.csv", "product_id,image,colors\n"+
		"A,s3://in/a.jpg,Grey\n"+
		"B,s3://in/b.jpg\n"+
		",s3://in/c.jpg,Grey\n"+
		"D,s3://in/d.jpg,"+strings.Repeat("Red|", 17)+"Red\n")
	code, _, stderr = run(t, "enqueue", "-brokers", addr, csvFile)
	for _, want := range []string{csvFile + ":3: 2 fields, the header names 3", csvFile + ":4: missing product_id", csvFile + ":5: 18 colors, limit 16"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("CSV: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != ExitFailed {
		t.Errorf("CSV: exit %d", code)
	}
}

func TestEnqueueCSVHeader(t *testing.T) {
	addr := startBroker(t)
	for _, head := range []string{"image,colors", "product_id,colors,image", "product_id,image,colors,output,extra"} {
		file := writeTemp(t, "jobs.csv", head+"\nA,s3://in/a.jpg,Grey\n")
		code, _, stderr := run(t, "enqueue", "-brokers", addr, file)
		if code != ExitFailed || !strings.Contains(stderr, file+`:1: the CSV header must be "product_id,image,colors" or "product_id,image,colors,output", not "`+head+`"`) {
			t.Errorf("header %q: exit %d: %s", head, code, stderr)
		}
	}
	if n := testinfra.Sum(testinfra.EndOffsets(t, []string{addr}, jobsTopic, parts)); n != 0 {
		t.Errorf("%d jobs sent", n)
	}
}

// -dry-run writes the messages it would send and sends nothing; stdin
// and PALETTE_BROKERS work.
func TestEnqueueDryRun(t *testing.T) {
	addr := startBroker(t)
	in := "\n" + `{"product_id":"A","image":"s3://in/a.jpg","colors":["Grey"]}` + "\n" + `{"product_id":"B","image":"s3://in/b.jpg"}` + "\n"
	env := map[string]string{"PALETTE_BROKERS": addr}
	code, stdout, stderr := runEnv(t, in, env, "enqueue", "-dry-run", "-")
	if code != ExitOK || !strings.Contains(stderr, "would enqueue 2 jobs to palette.jobs") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout: %q", stdout)
	}
	var j queue.Job
	if err := json.Unmarshal([]byte(lines[0]), &j); err != nil || j.V != 1 || j.ProductID != "A" {
		t.Errorf("dry-run line %q: %+v %v", lines[0], j, err)
	}
	if n := testinfra.Sum(testinfra.EndOffsets(t, []string{addr}, jobsTopic, parts)); n != 0 {
		t.Fatalf("-dry-run sent %d jobs", n)
	}
	// The same with the brokers from the environment, sent.
	code, _, stderr = runEnv(t, in, env, "enqueue", "-")
	if code != ExitOK || len(topicJobs(t, addr)) != 2 {
		t.Errorf("PALETTE_BROKERS: exit %d: %s", code, stderr)
	}
}

// -rate paces the jobs.
func TestEnqueueRate(t *testing.T) {
	addr := startBroker(t)
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, `{"product_id":"R%02d","image":"s3://in/r.jpg"}`+"\n", i)
	}
	file := writeTemp(t, "jobs.jsonl", b.String())
	start := time.Now()
	code, _, stderr := run(t, "enqueue", "-brokers", addr, "-rate", "50", file)
	// A burst of 5, then 15 at 50/s: at least 0.3 s.
	if took := time.Since(start); code != ExitOK || took < 280*time.Millisecond {
		t.Errorf("exit %d after %v: %s", code, took, stderr)
	}
	if len(topicJobs(t, addr)) != 20 {
		t.Error("not every job sent")
	}
}

func TestEnqueueUsage(t *testing.T) {
	file := writeTemp(t, "jobs.jsonl", `{"product_id":"A","image":"s3://in/a.jpg"}`)
	for _, args := range [][]string{
		{"enqueue", file},                          // no brokers
		{"enqueue", "-brokers", "x:1"},             // no file
		{"enqueue", "-brokers", "x:1", file, file}, // two files
		{"enqueue", "-brokers", "x:1", "-rate", "-1", file},
		{"enqueue", "-brokers", "x:1", "-format", "xml", file},
		{"enqueue", "-brokers", "x:1", "-rates", "5", file},
		{"enqueue", "-brokers", "x:1", filepath.Join(t.TempDir(), "none.jsonl")},
	} {
		if code, _, stderr := run(t, args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	if _, _, stderr := run(t, "enqueue", "-brokers", "x:1", "-rates", "5", file); !strings.Contains(stderr, "did you mean -rate?") {
		t.Errorf("misspelt flag: %s", stderr)
	}
}

// The README documents every flag enqueue -h lists, and no other.
func TestEnqueueREADMEFlags(t *testing.T) {
	_, _, usage := run(t, "enqueue", "-h")
	testinfra.CheckREADMEFlags(t, "../../README.md", "### palettecli enqueue", usage)
}
