package worker

// End-to-end tests of palette-worker against a real S3 server (versitygw,
// started by the tests) and an in-process Kafka-protocol broker (kfake):
// the in-process worker, and the palette-worker binary as a subprocess that
// is killed -9 mid-batch.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/segmentio/kafka-go"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/store"
)

// hugePNG is a valid PNG header claiming 100000×100000 pixels (and no pixel
// data): the decoder must refuse it from the header alone.
func hugePNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}

// workload is a set of jobs over the sample photos in S3.
type workload struct {
	good   []queue.Job       // each should give a swatch and a result
	photo  map[string]photo  // product id → its photo
	poison []queue.Job       // each should be dead-lettered
	raw    []kafka.Message   // unparsable job messages, dead-lettered too
	want   map[string][]byte // photo name → expected swatch, filled by expect
	picks  map[string]int    // photo name → number of colours chosen, filled by expect
}

// newWorkload uploads the sample photos and the poison objects and builds
// nGood good jobs (cycling over the photos) and, per poison kind, nPoison
// bad ones: bad JSON, a text file as image, a missing object and a PNG
// header of 100000×100000 pixels.
func newWorkload(t *testing.T, c *s3.Client, nGood, nPoison int) *workload {
	t.Helper()
	photos := setupPhotos(t, c)
	mustPut(t, c, photoBucket, "poison/text.jpg", []byte("this is a text file, not a photo\n"))
	mustPut(t, c, photoBucket, "poison/huge.png", hugePNG())
	wl := &workload{photo: map[string]photo{}}
	for i := range nGood {
		p := photos[i%len(photos)]
		id := fmt.Sprintf("G%04d", i)
		wl.good = append(wl.good, queue.Job{V: 1, ProductID: id, Image: "s3://" + photoBucket + "/" + p.name, Colors: p.colors})
		wl.photo[id] = p
	}
	for i := range nPoison {
		wl.poison = append(wl.poison,
			queue.Job{V: 1, ProductID: fmt.Sprintf("TEXT%02d", i), Image: "s3://" + photoBucket + "/poison/text.jpg", Colors: []string{"Red"}},
			queue.Job{V: 1, ProductID: fmt.Sprintf("MISSING%02d", i), Image: fmt.Sprintf("s3://%s/poison/missing-%d.jpg", photoBucket, i), Colors: []string{"Red"}},
			queue.Job{V: 1, ProductID: fmt.Sprintf("HUGE%02d", i), Image: "s3://" + photoBucket + "/poison/huge.png", Colors: []string{"Red"}},
		)
		id := fmt.Sprintf("BADJSON%02d", i)
		wl.raw = append(wl.raw, kafka.Message{Key: []byte(id), Value: []byte(`{"v":1,"product_id":"` + id + `","image":`)})
	}
	return wl
}

// enqueue publishes the jobs, poison interleaved with the good ones.
func (wl *workload) enqueue(t *testing.T, brokers []string) {
	t.Helper()
	jobs := append([]queue.Job(nil), wl.good...)
	for i, p := range wl.poison {
		at := (i*7 + 3) % (len(jobs) + 1)
		jobs = append(jobs[:at], append([]queue.Job{p}, jobs[at:]...)...)
	}
	half := len(jobs) / 2
	enqueueJobs(t, brokers, jobs[:half])
	if len(wl.raw) > 0 {
		produceRawJobs(t, brokers, wl.raw...)
	}
	enqueueJobs(t, brokers, jobs[half:])
}

// ids are the product ids of every job, good and bad.
func (wl *workload) ids() []string {
	var out []string
	for _, j := range wl.good {
		out = append(out, j.ProductID)
	}
	for _, j := range wl.poison {
		out = append(out, j.ProductID)
	}
	for _, m := range wl.raw {
		out = append(out, string(m.Key))
	}
	return out
}

func (wl *workload) badIDs() map[string]bool {
	out := map[string]bool{}
	for _, j := range wl.poison {
		out[j.ProductID] = true
	}
	for _, m := range wl.raw {
		out[string(m.Key)] = true
	}
	return out
}

// expect computes, with palette.Process as the worker calls it, the swatch
// of every photo the good jobs use.
func (wl *workload) expect(t *testing.T) {
	t.Helper()
	wl.want, wl.picks = map[string][]byte{}, map[string]int{}
	for _, p := range wl.photo {
		if _, ok := wl.want[p.name]; ok {
			continue
		}
		res, err := palette.Process(context.Background(), p.data, p.colors, &palette.Options{Size: 40})
		if err != nil {
			t.Fatalf("palette.Process(%s, %q): %v", p.name, p.colors, err)
		}
		wl.want[p.name], wl.picks[p.name] = res.Swatch, len(res.Picks)
	}
}

// missing returns the product ids that have neither a result nor a dead letter.
func (wl *workload) missing(t *testing.T, brokers []string) []string {
	t.Helper()
	seen := keysOf(readTopic(t, brokers, e2eResults))
	for k := range keysOf(readTopic(t, brokers, e2eDLQ)) {
		seen[k]++
	}
	var out []string
	for _, id := range wl.ids() {
		if seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// enoughRecords reports whether the results and dead-letter topics hold at least
// as many records as there are jobs (a cheap check before reading them).
func (wl *workload) enoughRecords(t *testing.T, brokers []string) bool {
	n := sumOffsets(topicEnds(t, brokers, e2eResults)) + sumOffsets(topicEnds(t, brokers, e2eDLQ))
	return n >= int64(len(wl.ids()))
}

// allCommittedAt reports whether group committed the end offset of every jobs partition.
func allCommittedAt(t *testing.T, brokers []string, group string) bool {
	end, got := topicEnds(t, brokers, e2eJobs), groupCommitted(t, brokers, group)
	for p := range e2eParts {
		if end[p] > 0 && got[p] != end[p] {
			return false
		}
	}
	return true
}

func s3WorkerConfig(brokers []string, endpoint, group string) Config {
	return Config{
		Queue: queue.Config{
			Brokers: brokers, Group: group, MaxAttempts: 3,
			Backoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		},
		Concurrency: 4,
		S3:          store.S3Config{Endpoint: endpoint, PathStyle: true, Region: "us-east-1"},
	}
}

// TestE2EWorkerS3: 200 jobs, 10% of them poison, through the in-process
// worker against real S3: exactly the 180 right swatches, 180 results, 20
// dead letters, every offset committed.
func TestE2EWorkerS3(t *testing.T) {
	t.Parallel()
	start := time.Now()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	wl := newWorkload(t, sc, 180, 5)
	if n := len(wl.ids()); n != 200 {
		t.Fatalf("workload has %d jobs, want 200", n)
	}
	wl.expect(t)
	wl.enqueue(t, brokers)

	w, stop := runWorker(t, s3WorkerConfig(brokers, g.Endpoint(), "e2e"))
	poll(t, "every job finished and committed", 45*time.Second, func() bool {
		return wl.enoughRecords(t, brokers) && allCommittedAt(t, brokers, "e2e")
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	results := readTopic(t, brokers, e2eResults)
	dead := readTopic(t, brokers, e2eDLQ)
	if len(results) != 180 || len(dead) != 20 {
		t.Errorf("%d results and %d dead letters, want 180 and 20", len(results), len(dead))
	}
	seen := map[string]bool{}
	for _, r := range results {
		var res queue.Result
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatalf("result %s: %v", r.Key, err)
		}
		p, ok := wl.photo[res.ProductID]
		if !ok || string(r.Key) != res.ProductID || seen[res.ProductID] {
			t.Errorf("unexpected or duplicate result %s: %+v", r.Key, res)
			continue
		}
		seen[res.ProductID] = true
		wantOut := "s3://" + swatchBucket + "/" + store.OutputKey(res.ProductID, res.Image)
		if res.Output != wantOut || res.Bytes != len(wl.want[p.name]) || len(res.Colors) != wl.picks[p.name] {
			t.Errorf("result %s: output %s (want %s), %d bytes (want %d), %d colours (want %d)",
				res.ProductID, res.Output, wantOut, res.Bytes, len(wl.want[p.name]), len(res.Colors), wl.picks[p.name])
		}
	}
	bad := wl.badIDs()
	for _, r := range dead {
		if !bad[string(r.Key)] {
			t.Errorf("dead letter for a good job %s: %s", r.Key, recHeader(r, queue.HeaderErrorReason))
		}
		if c := recHeader(r, queue.HeaderErrorClass); c != queue.ClassPermanent {
			t.Errorf("dead letter %s: class %q, want %q (%s)", r.Key, c, queue.ClassPermanent, recHeader(r, queue.HeaderErrorReason))
		}
		if recHeader(r, queue.HeaderAttempts) == "" || recHeader(r, queue.HeaderErrorReason) == "" {
			t.Errorf("dead letter %s lacks attempts or reason headers", r.Key)
		}
	}
	for _, m := range wl.raw {
		for _, r := range dead {
			if string(r.Key) == string(m.Key) && !bytes.Equal(r.Value, m.Value) {
				t.Errorf("dead letter %s: value %q, want the original %q", r.Key, r.Value, m.Value)
			}
		}
	}

	// The bucket holds exactly the 180 swatches, each the bytes palette.Process gives.
	keys := listKeys(t, sc, swatchBucket)
	if len(keys) != 180 {
		t.Errorf("%d objects in s3://%s, want 180", len(keys), swatchBucket)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, j := range wl.good {
		key := store.OutputKey(j.ProductID, j.Image)
		data, err := getObject(ctx, sc, swatchBucket, key)
		if err != nil {
			t.Errorf("swatch of %s: %v", j.ProductID, err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("swatch of %s: %v", j.ProductID, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 40 {
			t.Errorf("swatch of %s is %v, want 40×40", j.ProductID, b)
		}
		if !bytes.Equal(data, wl.want[wl.photo[j.ProductID].name]) {
			t.Errorf("swatch of %s (%s) differs from palette.Process's", j.ProductID, wl.photo[j.ProductID].name)
		}
	}
	if got := metricValue(t, w, `palette_jobs_total{outcome="ok"}`); got != 180 {
		t.Errorf(`palette_jobs_total{outcome="ok"} = %v, want 180`, got)
	}
	t.Logf("200 jobs in %v", time.Since(start).Round(time.Millisecond))
}

// subprocessArgs are the palette-worker flags for the subprocess tests.
func subprocessArgs(brokers []string, endpoint, group string) []string {
	return []string{
		"-brokers", strings.Join(brokers, ","), "-group", group,
		"-s3-endpoint", endpoint, "-s3-region", "us-east-1",
		"-http", "", "-concurrency", "2", "-max-attempts", "3", "-shutdown-timeout", "5s", "-session-timeout", "6s",
	}
}

// TestE2ECrash: a palette-worker process killed -9 mid-batch loses
// nothing: another process of the same group finishes every job (a job
// may be done twice).
func TestE2ECrash(t *testing.T) {
	t.Parallel()
	start := time.Now()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	wl := newWorkload(t, sc, 250, 2)
	wl.enqueue(t, brokers)
	args := subprocessArgs(brokers, g.Endpoint(), "crash")

	p1 := startProc(t, args...)
	poll(t, "the first process's first results", 30*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) >= 20
	})
	p1.kill()
	atKill := sumOffsets(topicEnds(t, brokers, e2eResults))
	t.Logf("killed the first process after %d results", atKill)
	if atKill >= int64(len(wl.good)) {
		t.Log("note: the first process finished every job before it was killed")
	}

	startProc(t, args...)
	var missing []string
	poll(t, "a result or dead letter for every job", 50*time.Second, func() bool {
		if !wl.enoughRecords(t, brokers) {
			return false
		}
		missing = wl.missing(t, brokers)
		return len(missing) == 0
	})
	bad := wl.badIDs()
	for _, r := range readTopic(t, brokers, e2eResults) {
		if bad[string(r.Key)] {
			t.Errorf("result for poison job %s", r.Key)
		}
	}
	for k := range keysOf(readTopic(t, brokers, e2eDLQ)) {
		if !bad[k] {
			t.Errorf("dead letter for good job %s", k)
		}
	}
	if keys := listKeys(t, sc, swatchBucket); len(keys) != len(wl.good) {
		t.Errorf("%d swatches, want %d", len(keys), len(wl.good))
	}
	t.Logf("%d jobs, crash and recovery in %v", len(wl.ids()), time.Since(start).Round(time.Millisecond))
}

// TestE2ES3Outage stops the S3 server for far longer than any job's retry
// budget (3 attempts within a second) while a backlog flows: the worker
// sees object storage down, stops taking jobs, answers 503 on /readyz
// naming s3, probes until the server is back, and then every job gets its
// swatch and result; none is dead-lettered. The outage lasts 10 s over 300
// jobs, or PALETTE_OUTAGE (a duration) over PALETTE_OUTAGE_JOBS jobs.
func TestE2ES3Outage(t *testing.T) {
	t.Parallel()
	start := time.Now()
	outage, jobs := 10*time.Second, 300
	if d, err := time.ParseDuration(os.Getenv("PALETTE_OUTAGE")); err == nil {
		outage = d
	}
	if n, err := strconv.Atoi(os.Getenv("PALETTE_OUTAGE_JOBS")); err == nil {
		jobs = n
	}
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	wl := newWorkload(t, sc, jobs, 0)
	wl.enqueue(t, brokers)

	cfg := s3WorkerConfig(brokers, g.Endpoint(), "outage")
	cfg.Queue.MaxAttempts = 3
	cfg.Queue.Backoff, cfg.Queue.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	cfg.S3.MaxAttempts = 1
	w, stop := runWorker(t, cfg)
	poll(t, "the first results", 30*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) >= 20
	})
	g.Stop()
	down := time.Now()
	poll(t, "s3 seen down", 30*time.Second, func() bool {
		return metricValue(t, w, `palette_dependency_up{dependency="s3"}`) == 0
	})
	code, ready := readyz(t, w)
	if code != http.StatusServiceUnavailable || !strings.Contains(ready, `"name":"s3","ok":false,"since":`) {
		t.Errorf("/readyz with S3 down: %d %s", code, ready)
	}
	inFlight := metricValue(t, w, "palette_jobs_in_flight")
	time.Sleep(outage) // (not a correctness wait)
	// (One more is allowed: a fetch that passed the gate just before the
	// worker saw S3 down.)
	if n := metricValue(t, w, "palette_jobs_in_flight"); n > inFlight+1 {
		t.Errorf("%v jobs in flight after %v of outage, %v when it began: jobs were still taken", n, outage, inFlight)
	}
	during := sumOffsets(topicEnds(t, brokers, e2eResults))
	g.Start()
	t.Logf("S3 down for %v: %d results by then", time.Since(down).Round(time.Second), during)
	if during >= int64(len(wl.good)) {
		t.Fatal("every job finished while S3 was down")
	}

	poll(t, "every job finished and committed", 60*time.Second+time.Duration(jobs)*100*time.Millisecond, func() bool {
		return wl.enoughRecords(t, brokers) && allCommittedAt(t, brokers, "outage")
	})
	if code, ready := readyz(t, w); code != http.StatusOK || !strings.Contains(ready, `"name":"s3","ok":true`) {
		t.Errorf("/readyz after the outage: %d %s", code, ready)
	}
	paused := metricValue(t, w, "palette_paused_seconds_total")
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if dead := readTopic(t, brokers, e2eDLQ); len(dead) != 0 {
		t.Errorf("%d dead letters, want none; first: %s: %s", len(dead), dead[0].Key, recHeader(dead[0], queue.HeaderErrorReason))
	}
	if m := wl.missing(t, brokers); len(m) != 0 {
		t.Errorf("%d jobs without a result, e.g. %v", len(m), m[0])
	}
	if keys := listKeys(t, sc, swatchBucket); len(keys) != len(wl.good) {
		t.Errorf("%d swatches, want %d", len(keys), len(wl.good))
	}
	if paused < outage.Seconds() {
		t.Errorf("palette_paused_seconds_total = %v, want the outage's %v or more", paused, outage)
	}
	if ok := metricValue(t, w, `palette_jobs_total{outcome="ok"}`); ok != float64(len(wl.good)) {
		t.Errorf(`palette_jobs_total{outcome="ok"} = %v, want %d`, ok, len(wl.good))
	}
	t.Logf("%d jobs, %d results, paused %.1f s, in %v", len(wl.good), len(readTopic(t, brokers, e2eResults)), paused, time.Since(start).Round(time.Millisecond))
}

// readyz asks w's /readyz.
func readyz(t testing.TB, w *Worker) (int, string) {
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// groupSplit reports whether group is stable with n members that each have
// at least one partition.
func groupSplit(t *testing.T, brokers []string, group string, n int) bool {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	resp, err := cl.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].Error != nil {
		return false
	}
	grp := resp.Groups[0]
	if grp.GroupState != "Stable" || len(grp.Members) != n {
		return false
	}
	for _, m := range grp.Members {
		parts := 0
		for _, tp := range m.MemberAssignments.Topics {
			parts += len(tp.Partitions)
		}
		if parts == 0 {
			return false
		}
	}
	return true
}

// TestE2EScaleOut: two palette-worker processes of one group split the
// work; after one is killed -9 the other finishes every job.
func TestE2EScaleOut(t *testing.T) {
	t.Parallel()
	start := time.Now()
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	wl := newWorkload(t, sc, 300, 1)
	args := subprocessArgs(brokers, g.Endpoint(), "split")

	p1 := startProc(t, args...)
	p2 := startProc(t, args...)
	poll(t, "both processes holding partitions", 45*time.Second, func() bool {
		return groupSplit(t, brokers, "split", 2)
	})
	t.Logf("group of two stable after %v", time.Since(start).Round(time.Millisecond))
	wl.enqueue(t, brokers)
	poll(t, "results from both processes", 30*time.Second, func() bool {
		return p1.jobsDone() >= 5 && p2.jobsDone() >= 5
	})
	p1.kill()
	atKill := sumOffsets(topicEnds(t, brokers, e2eResults))
	n1, n2 := p1.jobsDone(), p2.jobsDone()
	killed := time.Now()
	t.Logf("killed the first process: %d jobs done by it, %d by the second, %d results", n1, n2, atKill)
	if atKill >= int64(len(wl.good)) {
		t.Log("note: every job finished before the kill")
	}

	var missing []string
	poll(t, "a result or dead letter for every job", 50*time.Second, func() bool {
		if !wl.enoughRecords(t, brokers) {
			return false
		}
		missing = wl.missing(t, brokers)
		return len(missing) == 0
	})
	if p2.jobsDone() <= n2 && atKill < int64(len(wl.good)) {
		t.Errorf("the second process did no job after the kill (%d before, %d after)", n2, p2.jobsDone())
	}
	for k := range keysOf(readTopic(t, brokers, e2eDLQ)) {
		if !wl.badIDs()[k] {
			t.Errorf("dead letter for good job %s", k)
		}
	}
	if keys := listKeys(t, sc, swatchBucket); len(keys) != len(wl.good) {
		t.Errorf("%d swatches, want %d", len(keys), len(wl.good))
	}
	t.Logf("%d jobs, split and failover in %v (%v after the kill)", len(wl.ids()),
		time.Since(start).Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
}
