package worker

// End-to-end tests of the review list and fixes on a running worker:
// kfake, versitygw and the worker's own HTTP API.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/review"
)

const reviewToken = "review-admin-token"

// api calls the worker's HTTP API; token "" sends none.
func api(t *testing.T, srv *httptest.Server, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// reviewList walks every page of GET /v1/review?query (limit 2, so that
// the cursor is used) and returns the items by product id.
func reviewList(t *testing.T, srv *httptest.Server, query string) map[string]review.Item {
	t.Helper()
	out := map[string]review.Item{}
	cursor := ""
	for {
		status, b := api(t, srv, "GET", "/v1/review?limit=2&"+query+"&cursor="+cursor, "", nil)
		if status != 200 {
			t.Fatalf("GET /v1/review: %d %s", status, b)
		}
		var p review.Page
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if _, dup := out[it.ProductID]; dup {
				t.Fatalf("%s listed twice across pages", it.ProductID)
			}
			out[it.ProductID] = it
		}
		if p.Next == "" {
			if len(out) != p.Total {
				t.Fatalf("pages gave %d items, total says %d", len(out), p.Total)
			}
			return out
		}
		cursor = p.Next
	}
}

// lastResult is the latest result event of product.
func lastResult(t *testing.T, brokers []string, product string) queue.Result {
	t.Helper()
	var r queue.Result
	var at int64 = -1
	for _, rec := range readTopic(t, brokers, e2eResults) {
		if string(rec.Key) == product && rec.Offset > at {
			at = rec.Offset
			if err := json.Unmarshal(rec.Value, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if at < 0 {
		t.Fatalf("no result for %s", product)
	}
	return r
}

// solid checks that the PNG data is a swatch of the one colour hex only.
func solid(t *testing.T, data []byte, hex string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the swatch does not decode: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 40 || b.Dy() != 40 {
		t.Fatalf("swatch is %v, want 40×40", b)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got := palette.Hex(img.At(x, y)); got != hex {
				t.Fatalf("pixel (%d,%d) is %s, want %s", x, y, got, hex)
			}
		}
	}
}

// wrongName is a common colour name that the photo's picks flag as
// far from the name (the catalog name is wrong).
func wrongName(t *testing.T, p photo) string {
	t.Helper()
	for _, name := range []string{"Green", "Purple", "Yellow", "Orange", "Red", "Blue"} {
		res, err := palette.Process(context.Background(), p.data, []string{name}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pk := res.Picks[0]; pk.LowConfidence && slices.Contains(pk.ReviewReasons, "far_from_name") {
			return name
		}
	}
	return ""
}

// TestReviewE2E is the review page's bar, on a running worker: wrong
// catalog names are listed as low_confidence, unknown names as
// unknown_name, poison jobs as dead_letter, clean jobs not at all; a fix
// needs the token, writes exactly the colour chosen, survives the job
// running again byte for byte (its result says manual), and once unpinned
// the next job regenerates the swatch; a dead letter can be sent again.
func TestReviewE2E(t *testing.T) {
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := setupPhotos(t, sc)
	mustPut(t, sc, photoBucket, "poison/text.jpg", []byte("this is a text file, not a photo\n"))
	mustPut(t, sc, photoBucket, "poison/cut.jpg", photos[0].data[:len(photos[0].data)/3])

	var wrong, unknown, poison, clean []queue.Job
	for i, p := range photos[:12] {
		img := "s3://" + photoBucket + "/" + p.name
		switch i % 4 {
		case 0:
			if name := wrongName(t, p); name != "" {
				wrong = append(wrong, queue.Job{ProductID: fmt.Sprintf("WRONG%02d", i), Image: img, Colors: []string{name},
					Output: fmt.Sprintf("s3://%s/review/wrong-%02d.png", swatchBucket, i)})
			}
		case 1:
			unknown = append(unknown, queue.Job{ProductID: fmt.Sprintf("UNKNOWN%02d", i), Image: img, Colors: []string{"Blorptastic"}})
		case 2:
			res, err := palette.Process(context.Background(), p.data, p.colors, nil)
			if err != nil {
				t.Fatal(err)
			}
			flagged := false
			for _, pk := range res.Picks {
				flagged = flagged || pk.LowConfidence
			}
			if !flagged {
				clean = append(clean, queue.Job{ProductID: fmt.Sprintf("CLEAN%02d", i), Image: img, Colors: p.colors})
			}
		}
	}
	poison = []queue.Job{
		{ProductID: "POISON-TEXT", Image: "s3://" + photoBucket + "/poison/text.jpg", Colors: []string{"Red"}},
		{ProductID: "POISON-CUT", Image: "s3://" + photoBucket + "/poison/cut.jpg", Colors: []string{"Red"}, Output: "s3://" + swatchBucket + "/review/cut.png"},
	}
	if len(wrong) < 2 || len(unknown) < 2 || len(clean) < 1 {
		t.Fatalf("workload too small: %d wrong, %d unknown, %d clean", len(wrong), len(unknown), len(clean))
	}
	all := slices.Concat(wrong, unknown, poison, clean)

	cfg := s3WorkerConfig(brokers, g.Endpoint(), "review-e2e")
	cfg.HTTPAddr = "127.0.0.1:0" // follows the topics
	cfg.AdminToken = reviewToken
	w, _ := runWorker(t, cfg)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	enqueueJobs(t, brokers, all)
	done := func() int64 {
		return sumOffsets(topicEnds(t, brokers, e2eResults)) + sumOffsets(topicEnds(t, brokers, e2eDLQ))
	}
	poll(t, "every job done", 60*time.Second, func() bool { return done() == int64(len(all)) })

	want := map[string]string{}
	for _, j := range wrong {
		want[j.ProductID] = review.ReasonLowConfidence
	}
	for _, j := range unknown {
		want[j.ProductID] = review.ReasonUnknownName
	}
	for _, j := range poison {
		want[j.ProductID] = review.ReasonDeadLetter
	}
	var items map[string]review.Item
	poll(t, "the review list", 20*time.Second, func() bool {
		items = reviewList(t, srv, "")
		return len(items) >= len(want)
	})
	for id, reason := range want {
		if got := items[id].Reason; got != reason {
			t.Errorf("%s is listed as %q, want %q", id, got, reason)
		}
	}
	for _, j := range clean {
		if it, ok := items[j.ProductID]; ok {
			t.Errorf("clean job %s is listed: %+v", j.ProductID, it)
		}
	}
	if len(items) != len(want) {
		t.Errorf("%d items listed, want %d", len(items), len(want))
	}
	for _, j := range poison {
		it := items[j.ProductID]
		if it.Class != queue.ClassPermanent || it.Error == "" || it.Topic != e2eDLQ || it.Image != j.Image {
			t.Errorf("dead letter %s: %+v", j.ProductID, it)
		}
	}
	for _, j := range unknown { // default output, derived by the worker
		if it := items[j.ProductID]; !strings.HasPrefix(it.Output, "s3://"+swatchBucket+"/") || it.Colors[0].Via != "unknown" {
			t.Errorf("unknown name %s: %+v", j.ProductID, it)
		}
	}
	if got := reviewList(t, srv, "reason=dead_letter"); len(got) != len(poison) {
		t.Errorf("?reason=dead_letter lists %d items, want %d", len(got), len(poison))
	}
	if got := reviewList(t, srv, "q=blorp"); len(got) != len(unknown) {
		t.Errorf("?q=blorp lists %d items, want %d", len(got), len(unknown))
	}

	// A fix: the token is needed; the object then holds exactly the hex.
	job := wrong[0]
	fix := map[string]any{"product_id": job.ProductID, "image": job.Image, "output": job.Output,
		"colors": []map[string]string{{"name": job.Colors[0], "hex": "#1f8a4c"}}, "fixed_by": "ana@example.com"}
	if status, b := api(t, srv, "POST", "/v1/fix", "", fix); status != 401 || !strings.Contains(string(b), "token_required") {
		t.Fatalf("fix without a token: %d %s", status, b)
	}
	if status, _ := api(t, srv, "POST", "/v1/fix", "wrong", fix); status != 401 {
		t.Fatalf("fix with a wrong token: %d", status)
	}
	if status, b := api(t, srv, "POST", "/v1/fix", reviewToken, fix); status != 200 {
		t.Fatalf("fix: %d %s", status, b)
	}
	key := strings.TrimPrefix(job.Output, "s3://"+swatchBucket+"/")
	ctx := context.Background()
	fixed, err := getObject(ctx, sc, swatchBucket, key)
	if err != nil {
		t.Fatal(err)
	}
	solid(t, fixed, "#1f8a4c")
	head, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: new(swatchBucket), Key: &key})
	if err != nil || head.Metadata[review.MetaSource] != "manual" || head.Metadata[review.MetaFixedBy] != "ana%40example.com" {
		t.Fatalf("fixed object's metadata: %v %v", head.Metadata, err)
	}
	poll(t, "the fix on the list", 20*time.Second, func() bool {
		it := reviewList(t, srv, "reason=manual")[job.ProductID]
		return it.FixedBy == "ana@example.com" && it.Colors[0].Hex == "#1f8a4c"
	})

	// The same job again keeps the fix, byte for byte, and says so.
	before := done()
	enqueueJobs(t, brokers, []queue.Job{job})
	poll(t, "the job again", 60*time.Second, func() bool { return done() == before+1 })
	again, err := getObject(ctx, sc, swatchBucket, key)
	if err != nil || !bytes.Equal(again, fixed) {
		t.Fatalf("the job ran again over the fix (%v)", err)
	}
	r := lastResult(t, brokers, job.ProductID)
	if r.Source != queue.SourceManual || len(r.Colors) != 1 || r.Colors[0].Hex != "#1f8a4c" || r.FixedBy != "ana@example.com" || r.Output != job.Output {
		t.Fatalf("result of the job over a fix: %+v", r)
	}

	// Unpinned, the next job regenerates the swatch.
	if status, b := api(t, srv, "DELETE", "/v1/fix?output="+job.Output, "", nil); status != 401 {
		t.Fatalf("unpin without a token: %d %s", status, b)
	}
	if status, b := api(t, srv, "DELETE", "/v1/fix?output="+job.Output, reviewToken, nil); status != 200 {
		t.Fatalf("unpin: %d %s", status, b)
	}
	if status, b := api(t, srv, "GET", "/v1/fix?output="+job.Output, "", nil); status != 200 || !strings.Contains(string(b), `"pinned":false`) {
		t.Fatalf("after unpinning: %d %s", status, b)
	}
	before = done()
	enqueueJobs(t, brokers, []queue.Job{job})
	poll(t, "the job after unpinning", 60*time.Second, func() bool { return done() == before+1 })
	regen, err := getObject(ctx, sc, swatchBucket, key)
	if err != nil {
		t.Fatal(err)
	}
	auto, err := palette.Process(ctx, photoData(t, photos, job.Image), job.Colors, &palette.Options{Size: 40})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(regen, auto.Swatch) {
		t.Fatalf("after unpinning the job left %d bytes, want the automatic swatch (%d bytes)", len(regen), len(auto.Swatch))
	}
	if r := lastResult(t, brokers, job.ProductID); r.Source != queue.SourceAuto {
		t.Fatalf("result after unpinning: source %q", r.Source)
	}
	poll(t, "the item back to low_confidence", 20*time.Second, func() bool {
		return reviewList(t, srv, "")[job.ProductID].Reason == review.ReasonLowConfidence
	})

	// Send a dead letter again: the job runs again and is dead-lettered again.
	it := items["POISON-TEXT"]
	if status, _ := api(t, srv, "POST", "/v1/review/redrive", "", map[string]any{"id": it.ID}); status != 401 {
		t.Fatalf("redrive without a token: %d", status)
	}
	dlqBefore := sumOffsets(topicEnds(t, brokers, e2eDLQ))
	if status, b := api(t, srv, "POST", "/v1/review/redrive", reviewToken, map[string]any{"id": it.ID}); status != 200 {
		t.Fatalf("redrive: %d %s", status, b)
	}
	poll(t, "the redriven letter dead-lettered again", 60*time.Second, func() bool {
		return sumOffsets(topicEnds(t, brokers, e2eDLQ)) == dlqBefore+1
	})
	poll(t, "the new letter on the list", 20*time.Second, func() bool {
		n := reviewList(t, srv, "reason=dead_letter")["POISON-TEXT"]
		return n.Offset != it.Offset || n.Partition != it.Partition
	})
	if status, b := api(t, srv, "POST", "/v1/review/redrive", reviewToken, map[string]any{"partition": 0, "offset": 99999}); status != 404 {
		t.Fatalf("redrive of no letter: %d %s", status, b)
	}
}

func photoData(t *testing.T, photos []photo, image string) []byte {
	t.Helper()
	for _, p := range photos {
		if strings.HasSuffix(image, "/"+p.name) {
			return p.data
		}
	}
	t.Fatalf("no photo %s", image)
	return nil
}

// TestReviewFixRace runs a fix and a job's write for the same output at
// the same time, many rounds, against versitygw: whichever is first, the
// fix is never lost (the object keeps the fix's bytes and manual mark).
// The job's side is the worker's write (writeSwatch: look, then a
// conditional put) with the swatch made beforehand, so that the two meet
// within a few milliseconds; the fix starts after a delay that varies by
// round. Half the fixes choose exactly the colour the job makes, whose
// swatch would have the same bytes (and ETag) but for the fix's marker;
// half the rounds start with the automatic swatch already there. One
// full job (Handle) at the end finds the fix and keeps it.
func TestReviewFixRace(t *testing.T) {
	g := startVersitygw(t)
	sc := g.Client()
	brokers := startKafka(t)
	photos := setupPhotos(t, sc)
	cfg := s3WorkerConfig(brokers, g.Endpoint(), "review-race")
	cfg.AdminToken = reviewToken
	cfg.Logger = e2eLogger()
	w, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.rv.pub.Close()
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	ctx := context.Background()
	p := photos[0]
	auto, err := palette.Process(ctx, p.data, p.colors[:1], &palette.Options{Size: 40})
	if err != nil {
		t.Fatal(err)
	}
	autoHex := auto.Picks[0].Hex
	const rounds = 60
	wrote := 0
	var job queue.Job
	var hex string
	for i := range rounds {
		job = queue.Job{ProductID: fmt.Sprintf("RACE%02d", i), Image: "s3://" + photoBucket + "/" + p.name, Colors: p.colors[:1],
			Output: fmt.Sprintf("s3://%s/race/%02d.png", swatchBucket, i)}
		if i%2 == 1 { // the automatic swatch is there already
			if _, err := w.writeSwatch(ctx, job, job.Output, auto.Swatch); err != nil {
				t.Fatal(err)
			}
		}
		hex = "#0a0b0c"
		if i%4 < 2 {
			hex = autoHex
		}
		var wg sync.WaitGroup
		var kept *queue.Result
		var jobErr error
		var status int
		var body []byte
		wg.Go(func() { kept, jobErr = w.writeSwatch(ctx, job, job.Output, auto.Swatch) })
		wg.Go(func() {
			time.Sleep(time.Duration(i%6) * 500 * time.Microsecond)
			status, body = api(t, srv, "POST", "/v1/fix", reviewToken, map[string]any{"product_id": job.ProductID, "image": job.Image,
				"output": job.Output, "colors": []map[string]string{{"name": job.Colors[0], "hex": hex}}, "fixed_by": "race"})
		})
		wg.Wait()
		if jobErr != nil || status != 200 {
			t.Fatalf("round %d: job %v, fix %d %s", i, jobErr, status, body)
		}
		if kept == nil {
			wrote++
		}
		checkFixed(t, sc, w, job.Output, hex, fmt.Sprintf("round %d", i))
	}
	t.Logf("%d rounds: the job wrote before the fix in %d, found the fix and kept it in %d", rounds, wrote, rounds-wrote)
	if wrote == 0 || wrote == rounds {
		t.Logf("the race was one-sided on this machine")
	}
	res, err := w.Handle(ctx, job)
	if err != nil || res.Source != queue.SourceManual || res.Colors[0].Hex != hex {
		t.Fatalf("a job over the fix: %+v, %v", res, err)
	}
	checkFixed(t, sc, w, job.Output, hex, "after a full job")
}

// checkFixed checks that the object at out is a fix of the one colour hex.
func checkFixed(t *testing.T, sc *s3.Client, w *Worker, out, hex, when string) {
	t.Helper()
	key := strings.TrimPrefix(out, "s3://"+swatchBucket+"/")
	data, err := getObject(context.Background(), sc, swatchBucket, key)
	if err != nil {
		t.Fatal(err)
	}
	solid(t, data, hex)
	info, err := w.router.Stat(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := review.FixOf(info.Metadata); !ok || f.FixedBy != "race" || f.Colors[0].Hex != hex {
		t.Fatalf("%s: the fix was lost: metadata %v", when, info.Metadata)
	}
	if !bytes.Contains(data, []byte("palette-fix")) {
		t.Fatalf("%s: the object is not the fix's PNG", when)
	}
}
