package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palette-dev/palette/internal/testinfra"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// letterSpec is a dead letter the tests write.
type letterSpec struct {
	id, class, reason string
}

// testLetter is the message the consumer would dead-letter for s, with
// an extra header of the original job ("trace").
func testLetter(s letterSpec) kafka.Message {
	return kafka.Message{
		Key:   []byte(s.id),
		Value: fmt.Appendf(nil, `{"v":1,"product_id":%q,"image":"s3://in/%s.jpg","colors":["Grey"]}`, s.id, s.id),
		Headers: []kafka.Header{
			{Key: "trace", Value: []byte("t-" + s.id)},
			{Key: HeaderErrorClass, Value: []byte(s.class)},
			{Key: HeaderErrorReason, Value: []byte(s.reason)},
			{Key: HeaderAttempts, Value: []byte("1")},
		},
	}
}

// someLetters writes 12 dead letters: P00–P11, every third one
// transient-exhausted ("store: timeout"), the others permanent with
// reasons "palette: corrupt image" (even) or "colormap: unknown colour
// name" (odd).
func someLetters(t *testing.T, brokers []string) []letterSpec {
	t.Helper()
	var specs []letterSpec
	var msgs []kafka.Message
	for i := range 12 {
		s := letterSpec{id: fmt.Sprintf("P%02d", i), class: ClassPermanent, reason: "palette: Corrupt image: unexpected EOF"}
		switch {
		case i%3 == 0:
			s.class, s.reason = ClassTransientExhausted, "store: timeout after 5 attempts"
		case i%2 == 1:
			s.reason = "colormap: unknown colour name: \"Blorange\""
		}
		specs = append(specs, s)
		msgs = append(msgs, testLetter(s))
	}
	testinfra.Produce(t, brokers, dlqTopic, msgs...)
	return specs
}

func redriveConfig(brokers []string) RedriveConfig {
	return RedriveConfig{Brokers: brokers, Idle: 20 * time.Second}
}

// redrive runs Redrive and collects the letters it reports.
func redrive(t *testing.T, cfg RedriveConfig) (RedriveReport, []Letter) {
	t.Helper()
	var mu sync.Mutex
	var got []Letter
	cfg.OnLetter = func(l Letter) { mu.Lock(); got = append(got, l); mu.Unlock() }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Redrive(ctx, cfg)
	if err != nil {
		t.Fatalf("Redrive: %v (report %+v)", err, rep)
	}
	return rep, got
}

// checkRedriven checks that the jobs topic holds exactly one job per id in
// want, each with the dead letter's key and value, its other headers, a
// redriven-from header naming the letter's place, and no error headers.
func checkRedriven(t *testing.T, brokers []string, want []string) {
	t.Helper()
	letters := map[string]*kgo.Record{}
	for _, r := range readAll(t, brokers, dlqTopic) {
		letters[string(r.Key)] = r
	}
	jobs := readAll(t, brokers, jobsTopic)
	var ids []string
	for _, r := range jobs {
		id := string(r.Key)
		ids = append(ids, id)
		l := letters[id]
		if l == nil {
			t.Errorf("job %s has no dead letter", id)
			continue
		}
		if string(r.Value) != string(l.Value) {
			t.Errorf("job %s: value %s, dead letter had %s", id, r.Value, l.Value)
		}
		place := fmt.Sprintf("%s/%d/%d", dlqTopic, l.Partition, l.Offset)
		if got := header(r, HeaderRedrivenFrom); got != place {
			t.Errorf("job %s: %s = %q, want %q", id, HeaderRedrivenFrom, got, place)
		}
		if header(r, "trace") != "t-"+id {
			t.Errorf("job %s lost its trace header: %v", id, r.Headers)
		}
		for _, h := range r.Headers {
			if h.Key == HeaderErrorClass || h.Key == HeaderErrorReason || h.Key == HeaderAttempts {
				t.Errorf("job %s keeps the dead letter's %s header", id, h.Key)
			}
		}
		if r.Partition != l.Partition {
			// Keyed like the original jobs: the same partition count gives the same partition.
			t.Errorf("job %s on partition %d, its letter on %d", id, r.Partition, l.Partition)
		}
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("jobs topic holds %v, want %v", ids, want)
	}
}

// A letter is redriven once: the second run finds the group at the end
// offsets, sends nothing and returns at once.
func TestRedriveOnce(t *testing.T) {
	brokers := startCluster(t)
	specs := someLetters(t, brokers)
	rep, got := redrive(t, redriveConfig(brokers))
	if rep.Read != 12 || rep.Sent != 12 || len(got) != 12 {
		t.Fatalf("first run: %+v, %d letters reported", rep, len(got))
	}
	for _, l := range got {
		if l.Class == "" || l.Reason == "" || l.Attempts != 1 || l.Topic != dlqTopic {
			t.Errorf("letter read without its headers: %+v", l)
		}
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.id)
	}
	checkRedriven(t, brokers, ids)
	end := endOffsets(t, brokers, dlqTopic)
	if c := testinfra.Committed(t, brokers, "palette-redrive", dlqTopic, testPartitions); !atOffsets(c, end) {
		t.Errorf("committed %v, want the end offsets %v", c, end)
	}

	start := time.Now()
	rep, got = redrive(t, redriveConfig(brokers))
	if rep.Sent != 0 || rep.Read != 0 || rep.Partitions != 0 || len(got) != 0 {
		t.Errorf("second run: %+v, %d letters", rep, len(got))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second run took %v: it should not wait for letters", d)
	}
	if n := total(endOffsets(t, brokers, jobsTopic)); n != 12 {
		t.Errorf("jobs topic holds %d messages after two runs, want 12", n)
	}
}

func atOffsets(a, b map[int]int64) bool {
	for p, v := range b {
		if v > 0 && a[p] != v {
			return false
		}
	}
	return true
}

// -class and -reason choose the letters; the group moves past the others.
func TestRedriveFilters(t *testing.T) {
	brokers := startCluster(t)
	specs := someLetters(t, brokers)
	cfg := redriveConfig(brokers)
	cfg.Class = ClassPermanent
	cfg.Reason = "CORRUPT image" // case-insensitive substring
	rep, got := redrive(t, cfg)
	var want []string
	for _, s := range specs {
		if s.class == ClassPermanent && strings.HasPrefix(s.reason, "palette: Corrupt") {
			want = append(want, s.id)
		}
	}
	if len(want) != 4 { // P02, P04, P08, P10
		t.Fatalf("test data: %v", want)
	}
	if rep.Read != 12 || rep.Sent != len(want) || len(got) != len(want) {
		t.Errorf("report %+v, %d letters, want %d sent of 12", rep, len(got), len(want))
	}
	checkRedriven(t, brokers, want)

	// Once per filter: the same filter again sends nothing.
	if rep, _ := redrive(t, cfg); rep.Sent != 0 || rep.Group != "palette-redrive.permanent.reason-corrupt-image" {
		t.Errorf("the same filter again: %+v", rep)
	}
	// Another filter's group still has the letters the first passed over.
	cfg = redriveConfig(brokers)
	cfg.Class = ClassTransientExhausted
	rep, _ = redrive(t, cfg)
	if rep.Sent != 4 || rep.Group != "palette-redrive.transient-exhausted" {
		t.Errorf("transient-exhausted: %+v, want 4 sent (P00, P03, P06, P09)", rep)
	}
	checkRedriven(t, brokers, append(want, "P00", "P03", "P06", "P09"))
	// So does the unfiltered group (it would send the 8 sent ones again).
	cfg = redriveConfig(brokers)
	cfg.DryRun = true
	if rep, _ = redrive(t, cfg); rep.Sent != 12 || rep.Group != "palette-redrive" {
		t.Errorf("unfiltered dry run: %+v", rep)
	}
}

// -dry-run lists the letters it would send and sends and commits nothing.
func TestRedriveDryRun(t *testing.T) {
	brokers := startCluster(t)
	someLetters(t, brokers)
	cfg := redriveConfig(brokers)
	cfg.DryRun = true
	cfg.Class = ClassTransientExhausted
	rep, got := redrive(t, cfg)
	var ids []string
	for _, l := range got {
		ids = append(ids, string(l.Key))
		if l.Class != ClassTransientExhausted {
			t.Errorf("listed %s of class %s", l.Key, l.Class)
		}
	}
	slices.Sort(ids)
	if rep.Sent != 4 || !slices.Equal(ids, []string{"P00", "P03", "P06", "P09"}) {
		t.Errorf("dry run: %+v, listed %v", rep, ids)
	}
	if n := total(endOffsets(t, brokers, jobsTopic)); n != 0 {
		t.Errorf("dry run sent %d jobs", n)
	}
	for p, c := range testinfra.Committed(t, brokers, rep.Group, dlqTopic, testPartitions) {
		if c != -1 {
			t.Errorf("dry run committed %d on partition %d", c, p)
		}
	}
	// The real run afterwards still sends them all.
	rep, _ = redrive(t, redriveConfig(brokers))
	if rep.Sent != 12 {
		t.Errorf("after a dry run: sent %d, want 12", rep.Sent)
	}
}

// Letters dead-lettered after Redrive started wait for the next run.
func TestRedriveStopsAtStartOffsets(t *testing.T) {
	brokers := startCluster(t)
	someLetters(t, brokers)
	cfg := redriveConfig(brokers)
	var once sync.Once
	late := letterSpec{id: "LATE", class: ClassPermanent, reason: "late"}
	var mu sync.Mutex
	var got []string
	cfg.OnLetter = func(l Letter) {
		once.Do(func() { testinfra.Produce(t, brokers, dlqTopic, testLetter(late)) })
		mu.Lock()
		got = append(got, string(l.Key))
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Redrive(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 12 || slices.Contains(got, "LATE") {
		t.Errorf("first run: %+v, sent %v", rep, got)
	}
	rep, letters := redrive(t, redriveConfig(brokers))
	if rep.Sent != 1 || len(letters) != 1 || string(letters[0].Key) != "LATE" {
		t.Errorf("second run: %+v, %v", rep, letters)
	}
}

// A run that gets no letter for Idle, because another member of its group
// holds the partitions with letters left (here one that joined first and
// never reads), stops with ErrRedriveIdle, with what it sent committed;
// the next run, alone in the group, sends the rest.
func TestRedriveIdle(t *testing.T) {
	brokers := startCluster(t)
	someLetters(t, brokers)
	cfg := redriveConfig(brokers)
	holder := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: cfg.GroupID(), Topic: dlqTopic,
		StartOffset: kafka.FirstOffset, CommitInterval: 0})
	defer holder.Close()
	waitFor(t, "the holder in the group", 20*time.Second, func() bool { return groupHasMember(t, brokers, cfg.GroupID()) })
	cfg.Idle = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Redrive(ctx, cfg)
	if !errors.Is(err, ErrRedriveIdle) || rep.Sent >= 12 {
		t.Fatalf("report %+v, err %v; want ErrRedriveIdle short of the 12 letters", rep, err)
	}
	t.Logf("first run: %+v, %v", rep, err)
	if n := total(endOffsets(t, brokers, jobsTopic)); n != int64(rep.Sent) {
		t.Errorf("%d jobs sent, the report says %d", n, rep.Sent)
	}
	holder.Close()
	if next, _ := redrive(t, redriveConfig(brokers)); rep.Sent+next.Sent != 12 {
		t.Errorf("the runs sent %d and %d, want 12 in all", rep.Sent, next.Sent)
	}
}

// groupHasMember reports whether group has a member on the broker.
func groupHasMember(t *testing.T, brokers []string, group string) bool {
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	resp, err := cl.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	return err == nil && len(resp.Groups) == 1 && len(resp.Groups[0].Members) > 0 && resp.Groups[0].GroupState == "Stable"
}

// RedriveOne sends exactly the letter asked for, commits no offset, and
// refuses a place where there is no letter.
func TestRedriveOne(t *testing.T) {
	brokers := startCluster(t)
	someLetters(t, brokers)
	var target *kgo.Record
	for _, r := range readAll(t, brokers, dlqTopic) {
		if string(r.Key) == "P05" {
			target = r
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := RedriveOne(ctx, brokers, dlqTopic, int(target.Partition), target.Offset, jobsTopic)
	if err != nil {
		t.Fatal(err)
	}
	if string(l.Key) != "P05" || l.Offset != target.Offset || l.Class != ClassPermanent || l.Reason == "" {
		t.Errorf("letter %+v", l)
	}
	checkRedriven(t, brokers, []string{"P05"})
	for p, c := range testinfra.Committed(t, brokers, "palette-redrive", dlqTopic, testPartitions) {
		if c != -1 {
			t.Errorf("RedriveOne committed %d on partition %d", c, p)
		}
	}

	end := endOffsets(t, brokers, dlqTopic)[int(target.Partition)]
	for _, off := range []int64{end, end + 10, -1} {
		_, err := RedriveOne(ctx, brokers, dlqTopic, int(target.Partition), off, jobsTopic)
		if !errors.Is(err, ErrNoLetter) {
			t.Errorf("offset %d: err %v, want ErrNoLetter", off, err)
		}
	}
	if _, err := RedriveOne(ctx, brokers, dlqTopic, 99, 0, jobsTopic); err == nil {
		t.Error("partition 99: no error")
	}
	if _, err := RedriveOne(ctx, brokers, dlqTopic, 0, 0, dlqTopic); err == nil {
		t.Error("redrive to the dead-letter topic itself: no error")
	}
	if n := total(endOffsets(t, brokers, jobsTopic)); n != 1 {
		t.Errorf("jobs topic holds %d messages, want 1", n)
	}

	// Redriving the redriven job's own dead letter replaces the header.
	again := testLetter(letterSpec{id: "P05", class: ClassPermanent, reason: "again"})
	again.Headers = append(again.Headers, kafka.Header{Key: HeaderRedrivenFrom, Value: []byte("old/0/0")})
	testinfra.Produce(t, brokers, dlqTopic, again)
	l2, err := RedriveOne(ctx, brokers, dlqTopic, int(target.Partition), end, jobsTopic)
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for _, r := range readAll(t, brokers, jobsTopic) {
		froms = append(froms, header(r, HeaderRedrivenFrom))
	}
	wantFrom := dlqTopic + "/" + strconv.Itoa(int(target.Partition)) + "/" + strconv.FormatInt(end, 10)
	if l2.Place() != wantFrom || len(froms) != 2 || !slices.Contains(froms, wantFrom) || slices.Contains(froms, "old/0/0") {
		t.Errorf("second redrive: place %s, redriven-from headers %v", l2.Place(), froms)
	}
}

func TestRedriveConfigValidate(t *testing.T) {
	for _, c := range []RedriveConfig{
		{},
		{Brokers: []string{""}},
		{Brokers: []string{"x:1"}, From: "a", To: "a"},
		{Brokers: []string{"x:1"}, Class: "transient"},
		{Brokers: []string{"x:1"}, Idle: -time.Second},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v: valid", c)
		}
	}
	if err := (RedriveConfig{Brokers: []string{"x:1"}, Class: ClassPermanent}).Validate(); err != nil {
		t.Error(err)
	}
	for _, tc := range []struct {
		cfg  RedriveConfig
		want string
	}{
		{RedriveConfig{}, "palette-redrive"},
		{RedriveConfig{Group: "g", Class: ClassPermanent}, "g"},
		{RedriveConfig{Class: ClassPermanent}, "palette-redrive.permanent"},
		{RedriveConfig{Reason: "  Store: TIMEOUT (5x) "}, "palette-redrive.reason-store-timeout-5x"},
		{RedriveConfig{Class: ClassTransientExhausted, Reason: strings.Repeat("ab ", 40)}, "palette-redrive.transient-exhausted.reason-" + strings.Repeat("ab-", 19) + "ab"},
	} {
		if got := tc.cfg.GroupID(); got != tc.want {
			t.Errorf("%+v: group %q, want %q", tc.cfg, got, tc.want)
		}
	}
}
