package preview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/preview"
	"github.com/palette-dev/palette/queue"
	"github.com/palette-dev/palette/review"
	"github.com/palette-dev/palette/store"
)

// reviewPhoto is a synthetic product photo: an off-white backdrop, a red
// block over a blue one, and in the red a patch checkered in two purples
// whose 7×7 mean is #6937cd whichever pixel it is centred on (#6432c8
// and #6e3cd2 alone), so the eyedropper's averaging shows.
func reviewPhoto() (img *image.NRGBA, patch image.Point) {
	img = image.NewNRGBA(image.Rect(0, 0, 400, 500))
	for y := range 500 {
		for x := range 400 {
			c := color.NRGBA{0xf4, 0xf1, 0xea, 0xff}
			switch {
			case x >= 200 && x < 300 && y >= 120 && y < 220:
				c = color.NRGBA{0x64, 0x32, 0xc8, 0xff}
				if (x+y)%2 == 1 {
					c = color.NRGBA{0x6e, 0x3c, 0xd2, 0xff}
				}
			case x >= 60 && x < 340 && y >= 60 && y < 300:
				c = color.NRGBA{0xb3, 0x26, 0x2d, 0xff}
			case x >= 60 && x < 340 && y >= 300 && y < 440:
				c = color.NRGBA{0x1f, 0x3f, 0x8f, 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img, image.Pt(250, 170)
}

// reviewRig is the review page's server as the worker runs it: package
// review's API (an Index fed records, a Handler on a real store.Dir)
// mounted beside the preview Server, on one test server. Publishing a fix
// feeds its result back to the index, as following the results topic
// does; redrives are recorded.
type reviewRig struct {
	url    string
	root   string
	router *store.Router
	index  *review.Index

	mu        sync.Mutex
	published []queue.Result
	redriven  [][2]int64
}

func newReviewRig(t *testing.T, token string) *reviewRig {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"photos", "swatches"} {
		os.Mkdir(filepath.Join(root, d), 0o755)
	}
	dir, err := store.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	rg := &reviewRig{root: root, router: &store.Router{Dir: dir}, index: review.NewIndex(review.IndexConfig{})}
	allow := []string{rg.ref("swatches/")}
	h, err := review.NewHandler(review.Config{
		Index: rg.index, AdminToken: token, Objects: rg.router,
		CheckOutput: func(out, image string) error { return store.CheckOutput(out, image, allow) },
		Publish: func(ctx context.Context, r queue.Result) error {
			rg.mu.Lock()
			rg.published = append(rg.published, r)
			rg.mu.Unlock()
			v, _ := json.Marshal(r)
			rg.index.Apply(queue.Record{Topic: "palette.results", Partition: 0, Offset: int64(len(rg.published)), Time: time.Now(), Key: []byte(r.ProductID), Value: v})
			return nil
		},
		Redrive: func(ctx context.Context, partition int, offset int64) (queue.Letter, error) {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			rg.redriven = append(rg.redriven, [2]int64{int64(partition), offset})
			return queue.Letter{Partition: partition, Offset: offset, Key: []byte("BAD-3"), Class: queue.ClassPermanent}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := preview.New(preview.Config{Fetch: rg.router.Get, AdminToken: token})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range review.Paths {
		mux.Handle(p, h)
	}
	mux.Handle("/", pv)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	rg.url = ts.URL
	return rg
}

// ref is the file:// reference of rel under the rig's store.
func (rg *reviewRig) ref(rel string) string {
	return "file://" + filepath.ToSlash(filepath.Join(rg.root, filepath.FromSlash(rel))) + map[bool]string{true: "/"}[strings.HasSuffix(rel, "/")]
}

func (rg *reviewRig) write(t *testing.T, rel string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(rg.root, filepath.FromSlash(rel)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return rg.ref(rel)
}

// hexes are the distinct colours of a PNG, sorted.
func hexes(t *testing.T, data []byte) []string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if h := palette.Hex(img.At(x, y)); !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestBrowserReview drives the review page in headless Chromium against
// the review API: filters and search narrow the list; a low_confidence
// item opens on its photo and the photo's colours; one name takes a
// candidate (from the keyboard), one the eyedropper (a click on the
// checkered patch gives its 7×7 mean, not a pixel), one a typed hex under
// a new name; the live preview is the server's rendering of exactly
// those; Publish with the token writes them: the object in the store
// holds exactly those colours and its fix the names. A dead letter shows
// its error and "Send again" redrives it; the fixed swatch is unpinned.
// Every action is reached with Tab, focus is visible, nothing sticks out
// at 390 px. Without the review API the page says it needs the brokers.
// Screenshots at 1366×768 and 390×844.
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	const token = "review-token"
	rg := newReviewRig(t, token)
	photo, patch := reviewPhoto()
	var buf bytes.Buffer
	png.Encode(&buf, photo)
	img := rg.write(t, "photos/tee.png", buf.Bytes())
	auto, _ := (review.Fix{Colors: []review.FixColor{{Name: "Green", Hex: "#b3262d"}, {Name: "Grey", Hex: "#f4f1ea"}}, FixedBy: "x"}).PNG(0)
	out := rg.write(t, "swatches/tee.png", auto)
	text := rg.write(t, "photos/notes.txt", []byte("not a photo"))
	now := time.Now().Add(-time.Hour)
	rec := func(min int, r queue.Result) queue.Record {
		v, _ := json.Marshal(r)
		return queue.Record{Topic: "palette.results", Partition: 1, Offset: int64(min), Time: now.Add(time.Duration(min) * time.Minute), Key: []byte(r.ProductID), Value: v}
	}
	lowPick := func(name, hex string, de float64) queue.Color {
		return queue.Color{Name: name, Hex: hex, DeltaE: de, Confidence: 0.2, LowConfidence: true, Via: "exact", ReviewReasons: []string{"far_from_name"}}
	}
	rg.index.Apply(rec(1, queue.Result{ProductID: "TEE-RED-1", Image: img, Output: out, Source: "auto",
		Colors: []queue.Color{lowPick("Green", "#b3262d", 61.2), lowPick("Yellow", "#b3262d", 48.9), lowPick("Grey", "#f4f1ea", 18.4)}}))
	rg.index.Apply(rec(2, queue.Result{ProductID: "MUG-2", Image: img, Output: rg.ref("swatches/mug.png"), Source: "auto",
		Colors: []queue.Color{{Name: "Blorptastic", Hex: "#b3262d", Via: "unknown", LowConfidence: true}}}))
	rg.index.Apply(rec(3, queue.Result{ProductID: "CAP-4", Image: img, Output: rg.ref("swatches/cap.png"), Source: "manual", FixedBy: "ana",
		Colors: []queue.Color{{Name: "Navy", Hex: "#1f3f8f", Confidence: 1}}}))
	job, _ := json.Marshal(map[string]any{"product_id": "BAD-3", "image": text, "output": rg.ref("swatches/bad.png"), "colors": []string{"Red"}})
	rg.index.Apply(queue.Record{Topic: "palette.jobs.dlq", Partition: 2, Offset: 107, Time: now.Add(4 * time.Minute), Key: []byte("BAD-3"), Value: job,
		Headers: map[string]string{queue.HeaderErrorClass: queue.ClassPermanent, queue.HeaderErrorReason: "palette: unknown image format", queue.HeaderAttempts: "1"}})

	b := preview.NewBrowser(t, rg.url)
	b.Viewport(1366, 768, false)
	items := func() []string {
		return preview.Eval[[]string](b, `Array.from(document.querySelectorAll('#items .item')).map(i => i.dataset.reason + ' ' + i.querySelector('.pid').textContent)`)
	}
	b.Do("open the review page", chromedp.Navigate(rg.url+"/review"), preview.WaitJS(`document.querySelectorAll('#items .item').length === 4`))
	if got := items(); got[0] != "dead_letter BAD-3" || got[3] != "low_confidence TEE-RED-1" {
		t.Errorf("list, newest first: %q", got)
	}
	// Filter by reason, from the keyboard.
	b.Do("filter failed jobs", chromedp.Focus(chromedp.CSS(`.filter[data-reason=dead_letter]`)), chromedp.KeyEvent(kb.Enter),
		preview.WaitJS(`document.querySelectorAll('#items .item').length === 1`))
	if got := items(); len(got) != 1 || got[0] != "dead_letter BAD-3" {
		t.Errorf("failed jobs: %q", got)
	}
	if !preview.Eval[bool](b, `document.querySelector('#items .ierror').textContent.includes('unknown image format')`) {
		t.Error("the dead letter's error is not in the list")
	}
	b.Do("all, then search", chromedp.Click(chromedp.CSS(`.filter[data-reason=""]`)), preview.WaitJS(`document.querySelectorAll('#items .item').length === 4`),
		chromedp.SendKeys(chromedp.CSS("#q"), "tee-red"), preview.WaitJS(`document.querySelectorAll('#items .item').length === 1`))
	if got := items(); got[0] != "low_confidence TEE-RED-1" {
		t.Errorf("search tee-red: %q", got)
	}
	if n := preview.Eval[int](b, `document.querySelector('#items .thumb.photo').naturalWidth`); n != 400 {
		t.Errorf("the photo thumbnail is %d px wide, want 400", n)
	}

	// Open it: the photo at full resolution and its colours.
	b.Do("open the unsure item", chromedp.Click(chromedp.CSS(`#items .item`)),
		preview.WaitJS(`document.querySelectorAll('#d-cands .cand').length > 0 && document.querySelector('#d-photo').naturalWidth === 400`))
	if got := preview.Eval[[]string](b, `Array.from(document.querySelectorAll('#d-names .fix-row')).map(r => r.querySelector('.fname').value + ' ' + r.querySelector('.fhex').value)`); fmt.Sprint(got) != "[Green #b3262d Yellow #b3262d Grey #f4f1ea]" {
		t.Errorf("names and their picks: %q", got)
	}
	// Name 1 takes a candidate, from the keyboard: its Select button,
	// then the candidate.
	// (A product colour other than the one it has.)
	cand := preview.Eval[string](b, `Array.from(document.querySelectorAll('#d-cands .cand[data-region=product]')).map(c => c.dataset.hex).find(h => h !== '#b3262d') || ''`)
	if cand == "" {
		t.Fatal("the photo's colours offer nothing but the red")
	}
	b.Do("candidate for Green", chromedp.Focus(chromedp.CSS(`.fix-row[data-index="0"] .select`)), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#d-cands .cand[data-hex=%q]`, cand))), chromedp.KeyEvent(kb.Enter))
	// Name 2 takes the eyedropper on the checkered patch.
	b.Do("select Yellow", chromedp.Click(chromedp.CSS(`.fix-row[data-index="1"] .select`)))
	xy := preview.Eval[[]float64](b, fmt.Sprintf(`(() => { const i = document.querySelector('#d-photo'); i.scrollIntoView({block: 'center'}); const r = i.getBoundingClientRect();
		return [r.left + (%d + 0.5) * r.width / i.naturalWidth, r.top + (%d + 0.5) * r.height / i.naturalHeight]; })()`, patch.X, patch.Y))
	b.Do("eyedropper on the photo", chromedp.MouseClickXY(xy[0], xy[1]))
	// Name 3 is renamed and gets a typed hex.
	b.Do("rename Grey and type a hex", preview.Retype(`.fix-row[data-index="2"] .fname`, "Forest Green"),
		preview.Retype(`.fix-row[data-index="2"] .fhex`, "#2E7D32"))
	want := []review.FixColor{{Name: "Green", Hex: cand}, {Name: "Yellow", Hex: "#6937cd"}, {Name: "Forest Green", Hex: "#2e7d32"}}
	wantHex := []string{cand, "#6937cd", "#2e7d32"}
	b.Do("the live preview", preview.WaitJS(fmt.Sprintf(`document.querySelector('#d-sw4').dataset.colors === %q && document.querySelector('#d-sw4').complete`, strings.Join(wantHex, " "))))
	if got := preview.Eval[[]string](b, `Array.from(document.querySelectorAll('#d-names .fhex')).map(i => i.value)`); fmt.Sprint(got) != fmt.Sprint([]string{cand, "#6937cd", "#2E7D32"}) {
		t.Errorf("the shades are %q: want the candidate %s, the eyedropper's 7×7 mean #6937cd (one pixel is #6432c8 or #6e3cd2), and the typed #2E7D32", got, cand)
	}
	shown := preview.Eval[[]string](b, `(() => { const i = document.querySelector('#d-sw4'), c = document.createElement('canvas');
		c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0);
		const d = x.getImageData(0, 0, c.width, c.height).data, s = new Set();
		for (let k = 0; k < d.length; k += 4) s.add('#' + [d[k], d[k+1], d[k+2]].map(v => v.toString(16).padStart(2, '0')).join(''));
		return Array.from(s).sort(); })()`)
	sorted := slices.Sorted(slices.Values(wantHex))
	if fmt.Sprint(shown) != fmt.Sprint(sorted) {
		t.Errorf("the live preview shows %v, want %v", shown, sorted)
	}
	b.Top()
	b.Screenshot("review-1366x768")

	// Publish: without the token it asks for it; with it the swatch is
	// written and pinned.
	b.Do("publish without a token", chromedp.SendKeys(chromedp.CSS("#fixed-by"), "Ops Tester"), chromedp.Click(chromedp.CSS("#publish")),
		preview.WaitJS(`document.querySelector('#d-msg').classList.contains('error') && document.activeElement.id === 'token'`))
	b.Do("publish", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#publish")),
		preview.WaitJS(`document.querySelector('#d-msg').classList.contains('ok') && document.querySelector('#d-msg').textContent.startsWith('Published')`),
		preview.WaitJS(`!document.querySelector('#d-pinned').hidden`))
	b.Screen("review-1366x768-published")
	data, err := rg.router.Get(context.Background(), out, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := hexes(t, data); fmt.Sprint(got) != fmt.Sprint(sorted) {
		t.Errorf("the published swatch holds %v, want exactly %v", got, sorted)
	}
	info, err := rg.router.Stat(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := review.FixOf(info.Metadata); !ok || fmt.Sprint(f.Colors) != fmt.Sprint(want) || f.FixedBy != "Ops Tester" {
		t.Errorf("the stored fix: %+v pinned %v, want %v by Ops Tester", f, ok, want)
	}
	rg.mu.Lock()
	if len(rg.published) != 1 || rg.published[0].Source != queue.SourceManual || rg.published[0].ProductID != "TEE-RED-1" {
		t.Errorf("published %+v", rg.published)
	}
	rg.mu.Unlock()
	b.Do("the list shows it fixed", preview.WaitJS(`document.querySelector('#items .item[data-reason=manual]') !== null`))

	// Keyboard: Tab reaches every kind of control, with a visible focus.
	b.Top()
	b.Do("focus the top", chromedp.Focus(chromedp.CSS(".brand")))
	reached := map[string]bool{}
	for range 60 {
		b.Do("tab", chromedp.KeyEvent(kb.Tab))
		got := preview.Eval[[]string](b, `(() => { const e = document.activeElement, s = getComputedStyle(e);
			if (e === document.body) return ['body', 'visible'];
			return [e.id || e.className, s.outlineStyle !== 'none' && s.outlineWidth !== '0px' ? 'visible' : 'none']; })()`)
		reached[got[0]] = true
		if got[1] != "visible" {
			t.Errorf("focus on %s is not visible", got[0])
		}
	}
	for _, want := range []string{"filter", "q", "item", "token", "fixed-by", "cand", "fname", "fhex", "btn small select", "unpin"} {
		if !reached[want] {
			t.Errorf("Tab never reaches %s (reached %v)", want, reached)
		}
	}

	// Unpin it, with the token already typed.
	b.Do("unpin", chromedp.Click(chromedp.CSS("#unpin")), preview.WaitJS(`document.querySelector('#d-msg').textContent.startsWith('Unpinned')`))
	if info, err := rg.router.Stat(context.Background(), out); err != nil {
		t.Fatal(err)
	} else if _, ok := review.FixOf(info.Metadata); ok {
		t.Error("still pinned after Unpin")
	}

	// The dead letter: why, and Send again.
	b.Do("open the failed job", retypeSearch(""), chromedp.Click(chromedp.CSS(`.filter[data-reason=dead_letter]`)),
		preview.WaitJS(`document.querySelectorAll('#items .item').length === 1 && document.querySelector('#items .item[data-reason=dead_letter]') !== null`),
		chromedp.Click(chromedp.CSS(`#items .item`)),
		preview.WaitJS(`!document.querySelector('#d-letter').hidden`))
	if got := preview.Eval[string](b, `document.querySelector('#d-error').textContent`); got != "palette: unknown image format" {
		t.Errorf("dead letter error %q", got)
	}
	b.Do("send again", chromedp.Focus(chromedp.CSS("#redrive")), chromedp.KeyEvent(kb.Enter),
		preview.WaitJS(`document.querySelector('#d-msg').textContent.startsWith('Sent again')`))
	rg.mu.Lock()
	if fmt.Sprint(rg.redriven) != "[[2 107]]" {
		t.Errorf("redriven %v, want partition 2 offset 107", rg.redriven)
	}
	rg.mu.Unlock()
	b.Check()

	// A phone: the list, then an item, nothing sticking out.
	b.Viewport(390, 844, true)
	b.Do("phone: all", chromedp.Navigate(rg.url+"/review"), preview.WaitJS(`document.querySelectorAll('#items .item').length === 4`))
	b.Fits("review list at 390")
	b.Screenshot("review-390x844-list")
	b.Do("phone: open the unknown name", chromedp.Click(chromedp.CSS(`#items .item[data-reason=unknown_name]`)),
		preview.WaitJS(`document.querySelectorAll('#d-cands .cand').length > 0 && !!document.querySelector('#d-sw4').dataset.colors`))
	b.Fits("review item at 390")
	b.Screen("review-390x844-item")
	b.Screenshot("review-390x844-item-full")
	b.Check()

	// Without the review API (palettecli serve without -brokers).
	pv, err := preview.New(preview.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bare := httptest.NewServer(pv)
	defer bare.Close()
	b.Do("no brokers", chromedp.Navigate(bare.URL+"/review"), preview.WaitJS(`!document.querySelector('#notice').hidden`))
	if got := preview.Eval[string](b, `document.querySelector('#notice').textContent`); !strings.Contains(got, "-brokers") {
		t.Errorf("without the review API the page says %q", got)
	}
}

// retypeSearch empties the search box and types q.
func retypeSearch(q string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		preview.Retype("#q", q+" "), chromedp.KeyEvent(kb.Backspace),
		preview.WaitJS(`document.querySelector('#q').value === `+fmt.Sprintf("%q", q)))
}
