package preview

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/internal/testinfra"
)

// chromium finds Debian's chromium. Without it the browser test fails
// when CI is set (make test installs it) and is skipped otherwise.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	testinfra.Missing(t, "chromium is not installed: run make chromium (make test does), or apt-get install chromium")
	return ""
}

// artifacts is the folder screenshots go to: $PALETTE_ARTIFACTS, else
// out/screenshots at the repository root (git ignores out/).
func artifacts(t *testing.T) string {
	dir := os.Getenv("PALETTE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "out", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium tab and what it has seen.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string   // the server under test
	own  []string // every server of the test: the only hosts the pages may ask
	dir  string

	mu       sync.Mutex
	requests []string // every URL the page requested
	problems []string // exceptions, console errors, CSP violations
}

func newBrowser(t *testing.T, base string) *browser {
	exe := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base, own: []string{base}, dir: artifacts(t)}
	if err := chromedp.Listen(ctx, b.event); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

func (b *browser) event(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception %s:%d: %s", d.URL, d.LineNumber, msg))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, a.Description+string(a.Value))
			}
			b.problems = append(b.problems, "console.error: "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		// Network errors are the expected 4xx answers the pages show.
		if e.Entry.Level == log.EntryLevelError && e.Entry.Source != log.EntrySourceNetwork {
			b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	}
}

// do runs actions with a deadline, failing the test with step on error.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v", step, err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// viewport sets the size of the page the way a laptop or a phone shows it.
func (b *browser) viewport(w, h int64, mobile bool) {
	b.t.Helper()
	if mobile {
		b.do("viewport", chromedp.EmulateViewport(w, h, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	} else {
		b.do("viewport", chromedp.EmulateViewport(w, h))
	}
}

// screenshot writes the whole page (full) as NAME.png.
func (b *browser) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Error(err)
	}
	b.t.Logf("screenshot %s", p)
}

// screen writes what the viewport shows as NAME.png.
func (b *browser) screen(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Error(err)
	}
	b.t.Logf("screenshot %s", p)
}

// retype selects the text of the input sel and types text over it, as a
// person does.
func retype(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(e => (e.focus(), e.select(), true))(document.querySelector(%q))`, sel))(ctx, t)
			return chromedp.Void{}, err
		},
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// top scrolls to the top of the page.
func (b *browser) top() {
	b.t.Helper()
	eval[bool](b, `window.scrollTo(0, 0); true`)
}

// check fails on page errors and on requests to anything but the server.
func (b *browser) check() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page problem: %s", p)
	}
	b.problems = nil
	for _, u := range b.requests {
		ok := strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:")
		for _, base := range b.own {
			ok = ok || strings.HasPrefix(u, base+"/")
		}
		if !ok {
			b.t.Errorf("the page requested %s: only the server itself may be asked", u)
		}
	}
	b.requests = nil
}

// waitJS waits until the expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// focusOnEdit is true when the focus is on the Edit button of the entry
// called name.
func focusOnEdit(name string) string {
	return fmt.Sprintf(`document.activeElement === document.querySelector('.entry[data-name=%q] .actions button:not(.danger)')`, name)
}

// preview uploads photo with names on the ops page and returns the picks
// shown, name → hex.
func (b *browser) preview(photo string, names ...string) map[string]string {
	b.t.Helper()
	b.do("open the preview page", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS("#drop")))
	b.do("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{photo}),
		chromedp.WaitVisible(chromedp.CSS("#thumb")))
	for i, n := range names {
		if i >= 2 {
			b.do("add a name field", chromedp.Click(chromedp.CSS("#add-name")))
		}
		b.do("type a name", chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#names .name-row:nth-child(%d) input", i+1)), n))
	}
	b.do("make the swatch", chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#picks .pick[data-name=%q]`, names[len(names)-1]))),
		waitJS(`!document.querySelector('#status').classList.contains('busy')`))
	got := eval[[][]string](b, `Array.from(document.querySelectorAll('#picks .pick')).map(p => [p.dataset.name, p.dataset.hex])`)
	picks := map[string]string{}
	for _, p := range got {
		picks[p[0]] = p[1]
	}
	return picks
}

// TestBrowser drives the pages in headless Chromium: a photo with two
// colour names gives the swatch and the picks, "Looks right", the models'
// colours marked in the legend and what was taken as the product; flagged
// picks show their reasons (see flaggedPicks); a mistyped name offers
// "Did you mean …?" and is fixed in one click or keypress (see
// mistypedNames); in the editor a changed prototype moves the pick in "try
// on a photo", is saved, and moves it on the preview page; a stale save
// shows the conflict; from 320 to 390 px nothing sticks out of its card
// (see narrowEditor); a name added with "+ Add a colour name" and not
// saved is tried from the draft (see unsavedNameTried); a name the map
// lacks is shown as read, added from its warning, tried and saved (see
// namesTheMapLacks). Screenshots at 1366×768, 390×844 and 360×780 go to
// the artifacts folder.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	path := mapFile(t, defaultText())
	srv := newServer(t, Config{ColormapFile: path, AdminToken: "test-token"})
	var mapDown atomic.Bool // GET /v1/colormap fails while set
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mapDown.Load() && r.Method == "GET" && r.URL.Path == "/v1/colormap" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	photo, _ := filepath.Abs(filepath.Join(images, testPhoto))
	data := readPhoto(t, testPhoto)
	names := []string{"Red", "Blue"}
	want, err := palette.Process(context.Background(), data, names, nil)
	if err != nil {
		t.Fatal(err)
	}

	// 1. The preview page, laptop.
	b.viewport(1366, 768, false)
	picks := b.preview(photo, names...)
	for _, p := range want.Picks {
		if picks[p.Name] != p.Hex {
			t.Errorf("page shows %s → %s, want %s", p.Name, picks[p.Name], p.Hex)
		}
	}
	sizes := eval[[]float64](b, `['sw1', 'sw1', 'sw4', 'quantized', 'photo'].map((id, i) => (e => i === 0 || i >= 3 ? e.naturalWidth : e.width)(document.getElementById(id)))`)
	if sizes[0] != 40 || sizes[1] != 40 || sizes[2] != 160 || sizes[3] == 0 || sizes[4] == 0 {
		t.Errorf("swatch natural/1×/4× widths, quantized and photo widths: %v", sizes)
	}
	if r := eval[string](b, `getComputedStyle(document.getElementById('sw4')).imageRendering`); r != "pixelated" {
		t.Errorf("4× swatch image-rendering %q", r)
	}
	if n := eval[int](b, `document.querySelectorAll('#legend li').length`); n != len(want.Candidates) {
		t.Errorf("%d candidates shown, want %d", n, len(want.Candidates))
	}
	// Nothing flagged, no warning: "Looks right".
	if !eval[bool](b, `!document.querySelector('#all-good').hidden && document.querySelector('#warnings').hidden && !document.querySelector('#picks .reasons')`) {
		t.Error(`Red|Blue on the two tees does not say "Looks right"`)
	}
	// The models' skin and hair are marked in the legend and left out
	// of the bar.
	people := 0
	for _, c := range want.Candidates {
		if c.Region == palette.RegionPerson {
			people++
		}
	}
	if got := eval[[]int](b, `[document.querySelectorAll('#legend li[data-region="person"] .tag.person').length,
		Array.from(document.querySelectorAll('#legend .tag.person')).filter(t => t.textContent === 'model').length,
		document.querySelectorAll('#bar > span').length]`); people == 0 || got[0] != people || got[1] != people || got[2] != len(want.Candidates)-people-1 {
		t.Errorf("legend person tags, tags reading model, bar blocks = %v; want %d, %d, %d", got, people, people, len(want.Candidates)-people-1)
	}
	b.regionsShown()
	b.top()
	b.screen("preview-laptop")
	b.screenshot("preview-laptop-full")

	// Warnings show: an unknown name worked out by modifier.
	b.do("add a composed name", chromedp.Click(chromedp.CSS("#add-name")),
		chromedp.SendKeys(chromedp.CSS("#names .name-row:nth-child(3) input"), "Dusty Red"),
		chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS(`#warn-list li[data-kind="modifier"]`)))
	if w := eval[string](b, `document.querySelector('#warn-list').textContent`); !strings.Contains(w, "Dusty Red") {
		t.Errorf("warnings %q", w)
	}
	b.screenshot("preview-warnings-laptop")

	// A file that is not an image shows a clear message. (An unknown
	// name is no error: see namesTheMapLacks.)
	notes := filepath.Join(t.TempDir(), "notes.jpg")
	if err := os.WriteFile(notes, []byte("these are notes, not a photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("choose a file that is not an image", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{notes}),
		chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("#status.error")))
	if m := eval[string](b, `document.querySelector('#status').textContent`); !strings.Contains(m, "not an image") {
		t.Errorf("not-an-image message %q", m)
	}
	// The last result stays, faded and marked out of date, until a new one.
	if !eval[bool](b, `(r => r.classList.contains('stale') && document.querySelector('#photos').classList.contains('stale') &&
		getComputedStyle(r.querySelector('.card')).opacity < 0.5 && getComputedStyle(document.querySelector('#stale')).display !== 'none' &&
		document.querySelector('#stale').textContent.includes('Out of date') &&
		Array.from(document.querySelectorAll('#names .dot')).every(d => !d.style.background))(document.querySelector('#result'))`) {
		t.Error("after an error the last swatch is not marked out of date")
	}
	b.top()
	b.screen("preview-error-laptop")
	b.do("choose the photo again", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{photo}),
		chromedp.Click(chromedp.CSS("#go")),
		waitJS(`!document.querySelector('#result.stale') && document.querySelector('#stale').hidden && !document.querySelector('#status.error')`))

	// 2. The preview page, narrow.
	b.viewport(390, 844, true)
	b.preview(photo, names...)
	b.top()
	b.screen("preview-narrow")
	b.screenshot("preview-narrow-full")
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the narrow page scrolls sideways: %v px wide", w)
	}
	b.regionsShown()
	b.check()

	// Flagged picks show why; a right one looks right.
	flaggedPicks(t, b)

	// A mistyped name: "Did you mean …?", fixed in one click.
	mistypedNames(t, b, photo)

	// 3. The editor: find Red, give it one green prototype.
	b.viewport(1366, 768, false)
	// The map cannot be loaded at first: a message and Try again; the
	// controls are inert, and nothing throws.
	mapDown.Store(true)
	b.do("open the editor, map down", chromedp.Navigate(ts.URL+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS(".load-error #retry")))
	if m := eval[string](b, `document.querySelector('#entries').textContent`); !strings.Contains(m, "could not be loaded") {
		t.Errorf("load failure message %q", m)
	}
	if !eval[bool](b, `['.toolbar', '.savebar-actions', '#try'].every(s => document.querySelector(s).inert) && document.querySelector('#draft-state').textContent === 'Not loaded'`) {
		t.Error("the editor's controls work without a map")
	}
	eval[bool](b, `document.querySelector('#search').dispatchEvent(new Event('input')); ['#text-mode', '#add', '#try-go'].forEach(s => document.querySelector(s).click()); true`)
	b.do("wait for the search", chromedp.Sleep(150*time.Millisecond)) // its debounce
	b.screen("editor-load-failed-laptop")
	b.check() // no TypeError
	mapDown.Store(false)
	b.do("try again", chromedp.Click(chromedp.CSS("#retry")),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Red"]`)),
		waitJS(`!document.querySelector('.toolbar').inert && !document.querySelector('#try').inert && document.activeElement.id === 'search'`))
	b.screen("editor-laptop")
	b.do("search", chromedp.SendKeys(chromedp.CSS("#search"), "red"),
		waitJS(`document.querySelector('#count').textContent.startsWith('Showing')`),
		chromedp.WaitNotPresent(chromedp.CSS(`.entry[data-name="Blue"]`)))
	b.do("edit Red", chromedp.Click(chromedp.CSS(`.entry[data-name="Red"] .actions button`)),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")))
	// Every label names a control; "Shades" names the group of shades.
	if !eval[bool](b, `(g => !!g && document.getElementById(g.getAttribute('aria-labelledby'))?.textContent === 'Shades' &&
		!!g.querySelector('.shade-row input[type=color]') && Array.from(document.querySelectorAll('.edit label')).every(l => l.control))(document.querySelector('.edit [role=group][aria-labelledby]'))`) {
		t.Error(`the edit form's "Shades" is not tied to the shade controls, or a label names no control`)
	}
	for range 5 {
		b.do("remove a shade", chromedp.Click(chromedp.CSS(".edit .shade-row:last-child button")))
	}
	b.do("type a green shade", retype(".edit .shade-row input[type=text]", "#00A000"),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	b.screen("editor-edit-laptop")
	// A broken shade is flagged as you type.
	b.do("type a broken shade", retype(".edit .shade-row input[type=text]", "#00AZ"),
		chromedp.WaitVisible(chromedp.CSS(".edit input.invalid")))
	b.do("fix it", retype(".edit .shade-row input[type=text]", "#00A000"),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	b.do("apply", chromedp.Click(chromedp.CSS("#edit-done")),
		chromedp.WaitVisible(chromedp.CSS(`.entry.changed[data-name="Red"]`)),
		waitJS(focusOnEdit("Red")))
	if s := eval[string](b, `document.querySelector('#draft-state').textContent`); !strings.Contains(s, "1 changed") {
		t.Errorf("draft state %q", s)
	}

	// Try on a photo: the pick moves with the draft.
	b.do("try on a photo", chromedp.SetUploadFiles(chromedp.CSS("#try-file"), []string{photo}),
		chromedp.SendKeys(chromedp.CSS("#try-names .name-row:nth-child(1) input"), "Red"),
		chromedp.SendKeys(chromedp.CSS("#try-names .name-row:nth-child(2) input"), "Blue"),
		chromedp.Click(chromedp.CSS("#try-go")),
		chromedp.WaitVisible(chromedp.CSS(`#try-picks li.moved[data-name="Red"]`)))
	moved := eval[[]string](b, `(li => [li.dataset.before, li.dataset.after])(document.querySelector('#try-picks li[data-name="Red"]'))`)
	if moved[0] != picks["Red"] || moved[1] == moved[0] {
		t.Errorf("try: Red %v, want moved from %s", moved, picks["Red"])
	}
	if n := eval[int](b, `document.querySelectorAll('#try-picks li.moved').length`); n != 1 {
		t.Errorf("%d picks moved, want only Red", n)
	}
	eval[bool](b, `document.querySelector('#try-result').scrollIntoView({block: 'end'}); true`)
	b.screen("editor-try-laptop")

	// Save.
	b.do("save", chromedp.SendKeys(chromedp.CSS("#token"), "test-token"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#save-msg.ok")),
		waitJS(`document.querySelector('#save-msg').textContent.startsWith('Saved')`))
	saved, _ := os.ReadFile(path)
	if !strings.Contains(string(saved), "\nRed: #00A000\n") {
		t.Error("the file does not have the new Red")
	}
	if bak, _ := os.ReadFile(backupPath(path)); string(bak) != defaultText() {
		t.Error("no backup of the previous map")
	}
	b.screen("editor-saved-laptop")

	// 4. The preview page uses the saved map.
	after := b.preview(photo, names...)
	if after["Red"] != moved[1] || after["Blue"] != picks["Blue"] {
		t.Errorf("after the save: Red %s (try showed %s, before %s), Blue %s (before %s)", after["Red"], moved[1], picks["Red"], after["Blue"], picks["Blue"])
	}

	// 5. A conflict: another editor saves first.
	b.do("open the editor", chromedp.Navigate(ts.URL+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Blue"]`)))
	next := eval[string](b, `document.querySelector('.entry[data-name="Blue"]').nextElementSibling.dataset.name`)
	b.do("delete Blue", chromedp.Click(chromedp.CSS(`.entry[data-name="Blue"] .actions button.danger`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.entry[data-name="Blue"]`)),
		chromedp.WaitEnabled(chromedp.CSS("#save")),
		waitJS(focusOnEdit(next)))
	other := strings.Replace(string(saved), "\nRed: #00A000\n", "\nRed: #A00000\n", 1)
	req, _ := http.NewRequest("PUT", ts.URL+"/v1/colormap", strings.NewReader(other))
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("If-Match", etag(saved))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the other editor's save: %v %v", err, resp)
	}
	b.do("save over it", chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#save-msg.warn #reload")))
	if m := eval[string](b, `document.querySelector('#save-msg').textContent`); !strings.Contains(m, "someone else saved") {
		t.Errorf("conflict message %q", m)
	}
	if now, _ := os.ReadFile(path); string(now) != other {
		t.Error("the stale save overwrote the other editor's")
	}
	b.screen("editor-conflict-laptop")
	b.do("reload", chromedp.Click(chromedp.CSS("#reload")),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Blue"]`)),
		waitJS(`document.querySelector('#draft-state').textContent === 'No changes'`))

	// The live check: a name another entry already uses is refused as you
	// type; in the text, a broken line is shown with its number.
	b.do("edit Red", chromedp.SendKeys(chromedp.CSS("#search"), "red"),
		waitJS(`document.querySelector('#count').textContent.startsWith('Showing')`),
		chromedp.Click(chromedp.CSS(`.entry[data-name="Red"] .actions button`)),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")))
	b.do("rename Red to Navy", retype("#edit-name", "Navy"))
	if v := eval[string](b, `document.querySelector('#edit-name').value`); v != "Navy" {
		t.Fatalf("typed Navy, the name field has %q", v)
	}
	b.do("see the clash", waitJS(`document.querySelector('.edit .line-problems').textContent.includes('Navy')`))
	if eval[bool](b, `document.querySelector('#edit-done').disabled`) != true {
		t.Error("Done is enabled for a name that clashes")
	}
	b.do("cancel", chromedp.Click(chromedp.CSS(".edit .buttons .btn:not(.primary)")),
		chromedp.WaitNotPresent(chromedp.CSS(".edit")),
		waitJS(focusOnEdit("Red")))
	b.do("edit as text", chromedp.Click(chromedp.CSS("#text-mode")), chromedp.WaitVisible(chromedp.CSS("#text")),
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](`(e => (e.focus(), e.setSelectionRange(e.value.length, e.value.length), true))(document.querySelector('#text'))`)(ctx, t)
			return chromedp.Void{}, err
		},
		chromedp.SendKeys(chromedp.CSS("#text"), "Sea Foam #8FE3C9\n"),
		chromedp.WaitVisible(chromedp.CSS("#problems button[data-line]")))
	lines := strings.Count(defaultText(), "\n") // the saved map has the same number of lines
	if p := eval[string](b, `document.querySelector('#problems').textContent`); !strings.Contains(p, fmt.Sprintf("Line %d", lines+1)) {
		t.Errorf("problems %q, want line %d", p, lines+1)
	}
	if eval[bool](b, `document.querySelector('#save').disabled`) != true {
		t.Error("Save is enabled with problems")
	}
	eval[bool](b, `window.scrollTo(0, 0); true`)
	b.screen("editor-text-problems-laptop")
	b.do("discard", chromedp.Click(chromedp.CSS("#discard")),
		waitJS(`document.querySelector('#draft-state').textContent === 'No changes'`),
		chromedp.Click(chromedp.CSS("#text-mode")), chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Red"]`)))

	// Save pressed right after typing in the text saves what was typed
	// last (the check of the text runs a moment after typing stops).
	b.do("type a new line", chromedp.Click(chromedp.CSS("#text-mode")), chromedp.WaitVisible(chromedp.CSS("#text")),
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](`(e => (e.focus(), e.setSelectionRange(e.value.length, e.value.length), true))(document.querySelector('#text'))`)(ctx, t)
			return chromedp.Void{}, err
		},
		chromedp.SendKeys(chromedp.CSS("#text"), "Sea Foam: #8FE3C9\n"),
		chromedp.WaitEnabled(chromedp.CSS("#save")))
	b.do("type another and save at once", chromedp.SendKeys(chromedp.CSS("#text"), "Sea Mist: #A0E0D0\n"),
		chromedp.Click(chromedp.CSS("#save")),
		waitJS(`document.querySelector('#save-msg').textContent.startsWith('Saved')`))
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), "\nSea Foam: #8FE3C9\nSea Mist: #A0E0D0\n") {
		t.Error("Save right after typing did not save the last line typed")
	}
	if v := eval[string](b, `document.querySelector('#text').value`); !strings.HasSuffix(v, "Sea Mist: #A0E0D0\n") {
		t.Errorf("the text after the save lost what was typed: ends %q", v[max(0, len(v)-40):])
	}
	// Back to the list (the button is brought to the middle of the window
	// first: under load the page may still be scrolling, and the sticky
	// save bar would take the click), a delete at once: the
	// check of the text still pending must not bring the text back.
	b.do("list", waitJS(`(document.querySelector('#text-mode').scrollIntoView({block: 'center'}), true)`),
		chromedp.Click(chromedp.CSS("#text-mode")), chromedp.WaitNotVisible(chromedp.CSS("#text")),
		retype("#search", "sea"), chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Sea Mist"]`)))
	// Save with an entry open refuses: it would drop the change being
	// made there.
	b.do("delete Sea Mist", chromedp.Click(chromedp.CSS(`.entry[data-name="Sea Mist"] .actions button.danger`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.entry[data-name="Sea Mist"]`)),
		chromedp.WaitEnabled(chromedp.CSS("#save")))
	b.do("edit Sea Foam", chromedp.Click(chromedp.CSS(`.entry[data-name="Sea Foam"] .actions button`)),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")),
		retype(".edit .shade-row input[type=text]", "#70C0A0"))
	b.do("save with the entry open", chromedp.Click(chromedp.CSS("#save")),
		waitJS(`document.querySelector('#save-msg.error') && document.querySelector('#save-msg').textContent.includes('Done')`))
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), "\nSea Mist: #A0E0D0\n") {
		t.Error("Save with an entry open saved")
	}
	if eval[bool](b, `!!document.querySelector('.edit') && document.querySelector('.edit .shade-row input[type=text]').value === '#70C0A0'`) != true {
		t.Error("Save with an entry open closed it or lost what was typed")
	}
	b.do("Escape and discard", chromedp.Focus(chromedp.CSS("#edit-aliases")), chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(chromedp.CSS(".edit")),
		waitJS(focusOnEdit("Sea Foam")),
		chromedp.Click(chromedp.CSS("#discard")),
		waitJS(`document.querySelector('#draft-state').textContent === 'No changes'`))
	b.check()

	// 6. The editor, narrow, with an entry open.
	b.viewport(390, 844, true)
	b.do("open the editor", chromedp.Navigate(ts.URL+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Navy Blue"]`)))
	b.screen("editor-narrow")
	b.do("search", chromedp.SendKeys(chromedp.CSS("#search"), "navy"),
		waitJS(`document.querySelector('#count').textContent.startsWith('Showing')`),
		chromedp.WaitNotPresent(chromedp.CSS(`.entry[data-name="Red"]`)),
		chromedp.Click(chromedp.CSS(`.entry[data-name="Navy Blue"] .actions button`)),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	b.screenshot("editor-edit-narrow")
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the narrow editor scrolls sideways: %v px wide", w)
	}
	b.check()

	// The editor at phone widths: nothing sticks out of its card.
	narrowEditor(t, b, path)

	// 7. Read-only: no token.
	ro := httptest.NewServer(newServer(t, Config{ColormapFile: mapFile(t, defaultText())}))
	defer ro.Close()
	b.base = ro.URL
	b.own = append(b.own, ro.URL) // a check from the last page may still be on its way
	b.viewport(1366, 768, false)
	b.do("open the read-only editor", chromedp.Navigate(ro.URL+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS("#readonly")),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Red"]`)))
	if n := eval[int](b, `document.querySelectorAll('#save, #token').length`); n != 0 {
		t.Error("the read-only editor offers saving")
	}
	b.screen("editor-readonly-laptop")
	b.viewport(360, 780, true)
	b.fits("the read-only editor at 360 px")
	b.viewport(1366, 768, false)
	// A link from the preview page still fills in a new entry: trying it
	// works without saving. Shades that are not #RRGGBB are left out.
	b.do("open the read-only editor to add a name", chromedp.Navigate(ro.URL+"/colormap?add=Oatmeal%20Heather&shades=%23D8CBB0,%23zz0000"),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	if got := eval[[]string](b, `[document.activeElement.id, document.querySelector('#edit-name').value, location.search,
		document.querySelector('.edit .preset-note').textContent, document.querySelector('#try-names input').value,
		...Array.from(document.querySelectorAll('.edit .shade-row input[type=text]')).map(i => i.value)]`); len(got) != 6 ||
		got[0] != "edit-name" || got[1] != "Oatmeal Heather" || got[2] != "" || !strings.Contains(got[3], "cannot save") ||
		!strings.Contains(got[3], "left out") || got[4] != "Oatmeal Heather" || got[5] != "#D8CBB0" {
		t.Errorf("read-only editor opened from a link: focus, name, query, note, try name, shades = %q", got)
	}
	b.screen("editor-readonly-add-laptop")
	// A name the map cannot have opens nothing and says why.
	b.do("a link with a name the map cannot have", chromedp.Navigate(ro.URL+"/colormap?add=Red%3A%20%23F00&shades=%23FF0000"),
		chromedp.WaitVisible(chromedp.CSS("#save-msg.error")))
	if eval[bool](b, `!!document.querySelector('.edit') || !document.querySelector('#save-msg').textContent.includes('cannot have')`) {
		t.Errorf("a link with a bad name: %q", eval[string](b, `document.querySelector('#save-msg').textContent`))
	}
	b.check()

	unsavedNameTried(t, b)
	namesTheMapLacks(t, b)
}

// overflow lists what sticks out sideways at the current width: the page
// scrolling sideways, a card wider than the viewport, an element of a card
// (the editor's save bar is one) beyond its card's edges.
func (b *browser) overflow() []string {
	b.t.Helper()
	return eval[[]string](b, `(() => {
		const vw = document.documentElement.clientWidth, out = [];
		const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
		const span = (r) => Math.round(r.left) + '–' + Math.round(r.right) + ' px';
		if (document.documentElement.scrollWidth > vw) out.push('the page is ' + document.documentElement.scrollWidth + ' px wide in a ' + vw + ' px viewport');
		for (const card of document.querySelectorAll('.card')) {
			const c = card.getBoundingClientRect();
			if (!c.width) continue;
			if (c.left < -0.5 || c.right > vw + 0.5) out.push(name(card) + ' spans ' + span(c) + ' of ' + vw);
			for (const e of card.querySelectorAll('*')) {
				const r = e.getBoundingClientRect();
				if (!r.width || !r.height) continue;
				if (r.left < c.left - 0.5 || r.right > c.right + 0.5) out.push(name(e) + ' spans ' + span(r) + ', its card ' + name(card) + ' ' + span(c));
			}
		}
		return out;
	})()`)
}

// fits fails the test for anything that sticks out sideways (overflow).
func (b *browser) fits(what string) {
	b.t.Helper()
	if bad := b.overflow(); len(bad) > 0 {
		b.screen("overflow-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Errorf("%s: %d elements stick out sideways:\n\t%s", what, len(bad), strings.Join(bad[:min(len(bad), 12)], "\n\t"))
	}
}

// mistypedNames: a mistyped name's warning asks "Did you mean …?" with a
// button per suggestion, which puts the suggestion in place of the typo in
// the names field and makes the swatch again: "Lavendar", clicked, becomes
// Lavender, known, with no warning. At 360×780, from the keyboard, "Navvy
// Blue" (read as Blue) becomes Navy Blue, and in "Navy & Lavendar" only the
// mistyped part is replaced. Screenshots at 1366×768 and 360×780.
func mistypedNames(t *testing.T, b *browser, photo string) {
	t.Helper()
	notBusy := waitJS(`!document.querySelector('#status').classList.contains('busy')`)
	values := func() string {
		return strings.Join(eval[[]string](b, `Array.from(document.querySelectorAll('#names input')).map(i => i.value).filter(Boolean)`), "|")
	}
	b.viewport(1366, 768, false)
	b.preview(photo, "Lavendar")
	if w := eval[[]string](b, `(li => li ? [li.textContent, ...Array.from(li.querySelectorAll('button.fix-name')).map(b => b.dataset.suggestion + ': ' + b.textContent)] : [])(document.querySelector('#warn-list li[data-kind="unknown"]'))`); len(w) != 2 ||
		!strings.Contains(w[0], "Did you mean “Lavender”?") || w[1] != "Lavender: Use “Lavender”" {
		t.Errorf("Lavendar's warning and its buttons: %q, want “Did you mean “Lavender”?” and a button Use “Lavender”", w)
	}
	b.top()
	b.screen("preview-suggest-laptop")
	b.do("use Lavender", chromedp.Click(chromedp.CSS(`#warn-list button.fix-name[data-suggestion="Lavender"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#picks .pick[data-name="Lavender"]`)), notBusy)
	// (Lavender is far from the red and blue tees: that is flagged.)
	if got := eval[[]string](b, `[document.querySelector('#picks .pick').dataset.via, String(document.querySelectorAll('#picks .pick').length),
		Array.from(document.querySelectorAll('#warn-list li')).map(li => li.dataset.kind).join(','), document.querySelector('#status').textContent,
		String(document.activeElement === document.querySelector('#names .name-row:nth-child(1) input'))]`); values() != "Lavender" || strings.Join(got, " ") != "exact 1 low_confidence  true" {
		t.Errorf("after Use “Lavender”: names %q; via, picks, warnings, status, focus on the name = %q, want Lavender exact, 1 pick, no unknown warning, no error, focus on the name", values(), got)
	}
	b.top()
	b.screen("preview-suggest-used-laptop")
	b.check()

	b.viewport(360, 780, true)
	b.preview(photo, "Navy & Lavendar", "Navvy Blue")
	if got := eval[[]string](b, `Array.from(document.querySelectorAll('#warn-list button.fix-name')).map(b => b.closest('li').dataset.kind + ' ' + b.dataset.name + ' → ' + b.dataset.suggestion)`); strings.Join(got, " | ") != "unknown Navy & Lavendar → Lavender | head Navvy Blue → Navy Blue" {
		t.Errorf("suggestion buttons %q", got)
	}
	eval[bool](b, `document.querySelector('#warnings').scrollIntoView({block: 'start'}); true`)
	b.screen("preview-suggest-360")
	b.screenshot("preview-suggest-360-full")
	b.fits("the preview page with suggestions at 360 px")
	b.do("use Navy Blue from the keyboard", chromedp.Focus(chromedp.CSS(`#warn-list button.fix-name[data-suggestion="Navy Blue"]`)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#picks .pick[data-name="Navy Blue"]`)), notBusy)
	if v := values(); v != "Navy & Lavendar|Navy Blue" {
		t.Errorf("after Use “Navy Blue” the names are %q", v)
	}
	b.do("use Lavender in the list", chromedp.Focus(chromedp.CSS(`#warn-list button.fix-name[data-suggestion="Lavender"]`)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#picks .pick[data-name="Navy & Lavender"]`)), notBusy)
	if v := values(); v != "Navy & Lavender|Navy Blue" {
		t.Errorf("after Use “Lavender” in the list the names are %q", v)
	}
	if kinds := eval[[]string](b, `Array.from(document.querySelectorAll('#warn-list li')).map(li => li.dataset.kind)`); slices.Contains(kinds, "unknown") || slices.Contains(kinds, "head") {
		t.Errorf("after both fixes the warnings are %q", kinds)
	}
	b.fits("the preview page at 360 px")
	b.viewport(320, 780, true)
	b.fits("the preview page at 320 px")
	b.check()
}

// narrowEditor: at phone widths (320 to 390 px) nothing of the editor is
// wider than its card and the page never scrolls sideways: the save bar
// with the admin token (which used to stick out at 360), the list, a new
// entry's form, the try panel open; at 360, the save bar's longest
// message, a conflict with its buttons. Screenshots at 360×780. path is
// the server's map file.
func narrowEditor(t *testing.T, b *browser, path string) {
	t.Helper()
	for _, w := range []int64{320, 360, 375, 390} {
		b.viewport(w, 780, true)
		b.do("open the editor", chromedp.Navigate(b.base+"/colormap"),
			chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Navy Blue"]`)))
		at := fmt.Sprintf(" at %d px", w)
		b.fits("the editor" + at)
		if w == 360 {
			b.screen("editor-360")
			b.screenshot("editor-360-full")
		}
		b.do("add a name and open the try panel", chromedp.Click(chromedp.CSS("#add")),
			chromedp.WaitVisible(chromedp.CSS("#edit-name")),
			chromedp.Click(chromedp.CSS("#try summary")),
			waitJS(`document.querySelector('#try').open`))
		b.fits("the editor with a new entry and the try panel" + at)
		if w == 360 {
			eval[bool](b, `document.querySelector('.edit').scrollIntoView({block: 'start'}); true`)
			b.screen("editor-add-360")
			b.top()
			b.screen("editor-try-360")
		}
	}

	b.viewport(360, 780, true)
	b.do("open the editor", chromedp.Navigate(b.base+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Navy Blue"]`)))
	b.do("delete Navy Blue", chromedp.Click(chromedp.CSS(`.entry[data-name="Navy Blue"] .actions button.danger`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.entry[data-name="Navy Blue"]`)),
		chromedp.WaitEnabled(chromedp.CSS("#save")))
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", b.base+"/v1/colormap", strings.NewReader(string(now)+"# saved elsewhere\n"))
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("If-Match", etag(now))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the other editor's save: %v %v", err, resp)
	}
	b.do("save over it", retype("#token", "test-token"), chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#save-msg.warn #reload")))
	b.top()
	b.screen("editor-conflict-360")
	b.fits("the editor's conflict message at 360 px")
	b.do("load their version", chromedp.Click(chromedp.CSS("#reload")),
		waitJS(`document.querySelector('#draft-state').textContent === 'No changes'`))
	b.check()
}

// unsavedNameTried: a name added with "+ Add a colour name" and not saved
// is part of "Try your changes on a photo": it resolves from the draft,
// exactly, not as a name nothing knows, and nothing is saved.
func unsavedNameTried(t *testing.T, b *browser) {
	t.Helper()
	path := mapFile(t, defaultText())
	ts := httptest.NewServer(newServer(t, Config{ColormapFile: path, AdminToken: "test-token"}))
	t.Cleanup(ts.Close)
	b.own = append(b.own, ts.URL)
	photo, _ := filepath.Abs(filepath.Join(images, testPhoto))
	b.viewport(1366, 768, false)
	b.do("open the editor", chromedp.Navigate(ts.URL+"/colormap"),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Red"]`)))
	b.do("+ Add a colour name", chromedp.Click(chromedp.CSS("#add")),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")),
		chromedp.SendKeys(chromedp.CSS("#edit-name"), "Blorptastic"),
		retype(".edit .shade-row input[type=text]", "#2040C0"),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")),
		chromedp.Click(chromedp.CSS("#edit-done")),
		chromedp.WaitVisible(chromedp.CSS(`.entry.changed[data-name="Blorptastic"]`)),
		waitJS(`document.querySelector('#draft-state').textContent.includes('1 added')`))
	b.do("try it on a photo, not saved", chromedp.SetUploadFiles(chromedp.CSS("#try-file"), []string{photo}),
		chromedp.SendKeys(chromedp.CSS("#try-names .name-row:nth-child(1) input"), "Blorptastic"),
		chromedp.Click(chromedp.CSS("#try-go")),
		chromedp.WaitVisible(chromedp.CSS(`#try-picks li[data-name="Blorptastic"]`)),
		waitJS(`!document.querySelector('#try-status').classList.contains('busy')`))
	if got := eval[[]string](b, `(li => [li.dataset.viaBefore, li.dataset.via, li.querySelector('.how')?.textContent ?? '', document.querySelector('#try-status').className, document.querySelector('#try-status').textContent])(document.querySelector('#try-picks li[data-name="Blorptastic"]'))`); got[0] != "unknown" || got[1] != "exact" ||
		got[2] != "unknown name: main colour → in the colour map" || got[3] != "status" || got[4] != "" {
		t.Errorf("try with the unsaved Blorptastic: via before, via with the changes, how, status class and text = %q; want unknown → exact, no error", got)
	}
	eval[bool](b, `document.querySelector('#try-result').scrollIntoView({block: 'end'}); true`)
	b.screen("editor-unsaved-try-laptop")
	if now, _ := os.ReadFile(path); string(now) != defaultText() {
		t.Error("trying an unsaved name saved the map")
	}
	// Leave the page with nothing unsaved (no beforeunload prompt).
	b.do("discard", chromedp.Click(chromedp.CSS("#discard")),
		waitJS(`document.querySelector('#draft-state').textContent === 'No changes'`))
	b.check()
}

// regionsShown checks the photo panel shows what was taken as the
// product: an image the size of the quantized one, on screen, with its
// caption and key.
func (b *browser) regionsShown() {
	b.t.Helper()
	if !eval[bool](b, `(r => (q => r.complete && r.naturalWidth > 0 && r.naturalWidth === q.naturalWidth && r.naturalHeight === q.naturalHeight &&
		r.getBoundingClientRect().width > 60 && !document.querySelector('#photos').hidden &&
		r.closest('figure').querySelector('figcaption').textContent === 'What palette took as the product' &&
		getComputedStyle(document.querySelector('.region-key')).display !== 'none')(document.querySelector('#quantized')))(document.querySelector('#regions'))`) {
		b.t.Error("the regions image is not shown the size of the quantized one, with its caption and key")
	}
}

// flaggedPicks: a photo whose catalog name is wrong ("Black" on a shirt
// that reads grey) shows its pick's reasons as tags in words, a warning
// saying them, and no "Looks right"; a name on the models' skin says so
// and the legend marks the colour "model"; a right pick ("Peach" on the
// peach sweater) shows "Looks right" and no tags. Screenshots at 1366×768
// and 390×844.
func flaggedPicks(t *testing.T, b *browser) {
	t.Helper()
	shirt, _ := filepath.Abs(filepath.Join(images, "myntra_13885.jpg"))
	tags := func(name string) []string {
		return eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll('#picks .pick[data-name=%q] .reasons .tag')).map(t => t.dataset.reason + ': ' + t.textContent)`, name))
	}
	flagged := func(what, name string, want []string) {
		t.Helper()
		if got := tags(name); strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Errorf("%s: %s shows the reasons %q, want %q", what, name, got, want)
		}
		if !eval[bool](b, fmt.Sprintf(`document.querySelector('#all-good').hidden && !document.querySelector('#warnings').hidden &&
			document.querySelector('#picks .pick[data-name=%q]').classList.contains('flag') &&
			document.querySelector('#picks .pick[data-name=%[1]q] .meter').classList.contains('poor') &&
			!/_/.test(document.querySelector('#picks').textContent + document.querySelector('#warn-list').textContent)`, name)) {
			t.Errorf(`%s: "Looks right" shows, no warning box, %s not marked or its meter not red, or a raw reason code is on the page`, what, name)
		}
		// The tags sit inside their row.
		if !eval[bool](b, fmt.Sprintf(`(row => Array.from(row.querySelectorAll('.reasons .tag')).every(g => { const r = g.getBoundingClientRect(), o = row.getBoundingClientRect(); return r.width > 0 && r.left >= o.left && r.right <= o.right; }))(document.querySelector('#picks .pick[data-name=%q]'))`, name)) {
			t.Errorf("%s: a reason tag of %s overflows its row", what, name)
		}
	}

	b.viewport(1366, 768, false)
	b.preview(shirt, "Black")
	flagged("Black on a grey shirt", "Black", []string{"far_from_name: far from the name", "ambiguous: another colour fits as well"})
	if w := eval[string](b, `document.querySelector('#warn-list li[data-kind="low_confidence"]')?.textContent ?? ''`); !strings.Contains(w, "far from every shade of the name (ΔE 17.7)") ||
		!strings.Contains(w, "Another product colour is as good a match") {
		t.Errorf("Black's warning %q", w)
	}
	b.regionsShown()
	b.top()
	b.screen("preview-reasons-laptop")
	b.screenshot("preview-reasons-laptop-full")

	// A name on the models' skin.
	photo, _ := filepath.Abs(filepath.Join(images, testPhoto))
	b.preview(photo, "Red", "Nude")
	flagged("Nude on the models", "Nude", []string{"person_region: model's skin or hair"})
	if !eval[bool](b, `Array.from(document.querySelectorAll('#legend li')).some(li => li.querySelector('.who')?.textContent.replace(/\s/g, ' ') === '← Nude' && li.querySelector('.tag.person')?.textContent === 'model') &&
		!document.querySelector('#legend-note').hidden && !document.querySelector('#key-person').hidden`) {
		t.Error("the skin Nude picked is not marked model in the legend, or the notes are missing")
	}
	if w := eval[string](b, `document.querySelector('#warn-list').textContent`); !strings.Contains(w, `"Nude" picked the model's skin or hair`) {
		t.Errorf("warnings %q", w)
	}
	b.top()
	b.screenshot("preview-person-laptop-full")

	// A right pick on a model's sweater: "Looks right", no tags.
	sweater, _ := filepath.Abs(filepath.Join(images, "myntra_14091.jpg"))
	b.preview(sweater, "Peach")
	if !eval[bool](b, `!document.querySelector('#all-good').hidden && document.querySelector('#warnings').hidden && !document.querySelector('#picks .reasons') &&
		!document.querySelector('#picks .pick.flag') && !document.querySelector('#picks .meter.poor')`) {
		t.Errorf(`Peach on the peach sweater does not look right: %q`, eval[string](b, `document.querySelector('.verdict').textContent + ' | ' + document.querySelector('#picks').textContent`))
	}
	b.regionsShown()
	b.top()
	b.screen("preview-clean-laptop")

	// Narrow.
	b.viewport(390, 844, true)
	b.preview(shirt, "Black")
	flagged("Black on a grey shirt, narrow", "Black", []string{"far_from_name: far from the name", "ambiguous: another colour fits as well"})
	eval[bool](b, `document.querySelector('#picks').closest('.card').scrollIntoView({block: 'start'}); true`)
	b.screen("preview-reasons-narrow")
	eval[bool](b, `document.querySelector('#photos').scrollIntoView({block: 'end'}); true`)
	b.screen("preview-regions-narrow")
	b.screenshot("preview-reasons-narrow-full")
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the narrow page with reasons scrolls sideways: %v px wide", w)
	}
	b.regionsShown()
	b.check()
}

// greyPhoto is a grey top; "Iron Grey|Blorptastic" on it gives a name read
// from its head word and a name nothing knows.
const greyPhoto = "myntra_14657.jpg"

// namesTheMapLacks drives the fix of a guessed name, on a server of its
// own with a map that can be saved: on the preview page "Iron Grey" says
// it was read as Grey and "Blorptastic" that nothing knows it, with a
// warning; "Add to the colour map" opens the editor with Blorptastic and
// the colour the photo shows filled in; "Try your changes on a photo"
// resolves it from the open form, then from the draft once added, before
// any save; once saved, the preview page knows it. Screenshots at 1366×768
// and 390×844.
func namesTheMapLacks(t *testing.T, b *browser) {
	path := mapFile(t, defaultText())
	ts := httptest.NewServer(newServer(t, Config{ColormapFile: path, AdminToken: "test-token"}))
	t.Cleanup(ts.Close)
	b.base = ts.URL
	b.own = append(b.own, ts.URL)
	photo, _ := filepath.Abs(filepath.Join(images, greyPhoto))
	names := []string{"Iron Grey", "Blorptastic"}
	want, err := palette.Process(context.Background(), readPhoto(t, greyPhoto), names, nil)
	if err != nil {
		t.Fatal(err)
	}
	blorp := want.Picks[1].Hex
	grey, _ := colormap.Default().Lookup("Grey")
	var greyHex []string
	for _, c := range grey.Shades {
		greyHex = append(greyHex, strings.Replace(palette.Hex(c), "#", "%23", 1))
	}

	// The preview page says how each name was read, and offers to add it.
	b.viewport(1366, 768, false)
	picks := b.preview(photo, names...)
	if picks["Blorptastic"] != blorp {
		t.Errorf("Blorptastic shows %s, want %s", picks["Blorptastic"], blorp)
	}
	read := eval[[]string](b, `['Iron Grey', 'Blorptastic'].map(n => (p => p ? p.dataset.via + ': ' + (p.querySelector('.how .read')?.textContent ?? '') : '')(document.querySelector('#picks .pick[data-name="' + n + '"]')))`)
	if read[0] != "head: read as Grey · left out: iron" || read[1] != "unknown: unknown name: main colour" {
		t.Errorf("picks read as %q", read)
	}
	if w := eval[string](b, `document.querySelector('#warn-list li[data-kind="unknown"]')?.textContent ?? ''`); !strings.Contains(w, `Nothing knows "Blorptastic"`) {
		t.Errorf("unknown warning %q", w)
	}
	if eval[bool](b, `Array.from(document.querySelectorAll('#warn-list li')).some(li => li.dataset.kind !== 'unknown' && li.textContent.includes('Blorptastic'))`) {
		t.Errorf("another warning for Blorptastic: %q", eval[string](b, `document.querySelector('#warn-list').textContent`))
	}
	hrefs := eval[[]string](b, `Array.from(document.querySelectorAll('#warn-list a.add-link')).map(a => a.getAttribute('href'))`)
	wantHrefs := []string{"colormap?add=Iron%20Grey&shades=" + strings.Join(greyHex, ","), "colormap?add=Blorptastic&shades=%23" + blorp[1:]}
	if strings.Join(hrefs, " ") != strings.Join(wantHrefs, " ") {
		t.Errorf("add links %q, want %q", hrefs, wantHrefs)
	}
	// The links sit inside the warning box.
	if !eval[bool](b, `(box => Array.from(box.querySelectorAll('a.add-link')).every(a => { const r = a.getBoundingClientRect(); return r.width > 0 && r.right <= box.getBoundingClientRect().right; }))(document.querySelector('#warnings'))`) {
		t.Error("an add link overflows the warning box")
	}
	b.top()
	b.screen("preview-names-laptop")
	b.screenshot("preview-names-laptop-full")
	b.check()

	// Narrow.
	b.viewport(390, 844, true)
	b.preview(photo, names...)
	eval[bool](b, `document.querySelector('#warnings').scrollIntoView({block: 'start'}); true`)
	b.screen("preview-names-narrow")
	b.screenshot("preview-names-narrow-full")
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the narrow page with names the map lacks scrolls sideways: %v px wide", w)
	}
	if !eval[bool](b, `(box => Array.from(box.querySelectorAll('a.add-link')).every(a => a.getBoundingClientRect().right <= box.getBoundingClientRect().right))(document.querySelector('#warnings'))`) {
		t.Error("an add link overflows the warning box on a phone")
	}
	b.check()

	// "Add to the colour map" for Blorptastic: the editor, filled in.
	b.viewport(1366, 768, false)
	b.do("add Blorptastic to the map", chromedp.Click(chromedp.CSS(`#warn-list li[data-kind="unknown"] a.add-link`)),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	form := eval[[]string](b, `[location.pathname + location.search, document.activeElement.id, document.querySelector('#edit-name').value,
		document.querySelector('#try-names input').value, ...Array.from(document.querySelectorAll('.edit .shade-row input[type=text]')).map(i => i.value)]`)
	if strings.Join(form, " ") != "/colormap edit-name Blorptastic Blorptastic "+strings.ToUpper(blorp) {
		t.Errorf("the editor from the link: path, focus, name, try name, shades = %q, want Blorptastic and %s", form, strings.ToUpper(blorp))
	}
	b.screen("editor-add-laptop")

	// Try it on the photo before pressing Add: the open form is part of
	// your changes.
	b.do("try it", chromedp.SetUploadFiles(chromedp.CSS("#try-file"), []string{photo}),
		chromedp.Click(chromedp.CSS("#try-go")),
		chromedp.WaitVisible(chromedp.CSS(`#try-picks li[data-name="Blorptastic"][data-via="exact"][data-via-before="unknown"]`)),
		waitJS(`!document.querySelector('#try-status').classList.contains('busy')`))
	if st := eval[string](b, `document.querySelector('#try-status').textContent`); !strings.Contains(st, "still open") {
		t.Errorf("try status %q, want it to say the open form is included", st)
	}
	eval[bool](b, `document.querySelector('#try-result').scrollIntoView({block: 'end'}); true`)
	b.screen("editor-add-try-laptop")

	// Add it: the draft has it, unsaved; trying again sends the draft, so
	// the new name resolves (it used to answer "Not in the colour map").
	b.do("press Add", chromedp.Click(chromedp.CSS("#edit-done")),
		chromedp.WaitVisible(chromedp.CSS(`.entry.changed[data-name="Blorptastic"]`)),
		waitJS(`document.querySelector('#draft-state').textContent.includes('1 added')`))
	eval[bool](b, `document.querySelectorAll('#try-picks li').forEach(li => li.dataset.old = '1'); true`)
	b.do("try the added name", chromedp.Click(chromedp.CSS("#try-go")),
		chromedp.WaitVisible(chromedp.CSS(`#try-picks li[data-name="Blorptastic"]:not([data-old])`)),
		waitJS(`!document.querySelector('#try-status').classList.contains('busy')`))
	if got := eval[[]string](b, `(li => [li.dataset.viaBefore, li.dataset.via, li.dataset.after, document.querySelector('#try-status').textContent])(document.querySelector('#try-picks li[data-name="Blorptastic"]'))`); strings.Join(got, " ") != "unknown exact "+blorp+" " {
		t.Errorf("try with the added name: via before, via after, pick, status = %q", got)
	}

	// Save, then the preview page knows the name.
	b.do("save", chromedp.SendKeys(chromedp.CSS("#token"), "test-token"),
		chromedp.Click(chromedp.CSS("#save")),
		waitJS(`document.querySelector('#save-msg').textContent.startsWith('Saved')`))
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), "\nBlorptastic: "+strings.ToUpper(blorp)+"\n") {
		t.Errorf("the saved map lacks Blorptastic: %s", now[max(0, len(now)-80):])
	}
	b.screen("editor-add-saved-laptop")
	after := b.preview(photo, names...)
	if v := eval[string](b, `document.querySelector('#picks .pick[data-name="Blorptastic"]').dataset.via`); v != "exact" || after["Blorptastic"] != blorp {
		t.Errorf("after the save Blorptastic is %s via %q, want %s via exact", after["Blorptastic"], v, blorp)
	}
	if kinds := eval[[]string](b, `Array.from(document.querySelectorAll('#warn-list li')).map(li => li.dataset.kind)`); slices.Contains(kinds, "unknown") || !slices.Contains(kinds, "head") {
		t.Errorf("after the save the warnings are %q: want head, no unknown", kinds)
	}
	b.top()
	b.screen("preview-names-saved-laptop")
	b.check()

	// The editor filled in from a link, narrow: Iron Grey and Grey's shades.
	b.viewport(390, 844, true)
	b.do("add Iron Grey to the map", chromedp.Click(chromedp.CSS(`#warn-list li[data-kind="head"] a.add-link`)),
		chromedp.WaitVisible(chromedp.CSS("#edit-name")),
		chromedp.WaitEnabled(chromedp.CSS("#edit-done")))
	if n := eval[int](b, `document.querySelectorAll('.edit .shade-row').length`); n != len(greyHex) {
		t.Errorf("%d shades filled in, want Grey's %d", n, len(greyHex))
	}
	b.screen("editor-add-narrow")
	if w := eval[float64](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the narrow editor with a name to add scrolls sideways: %v px wide", w)
	}
	// A link for a name the map has by now shows its entry instead.
	b.do("a link for a name the map has", chromedp.Navigate(ts.URL+"/colormap?add=blorptastic&shades=%23000000"),
		chromedp.WaitVisible(chromedp.CSS("#save-msg.ok")),
		chromedp.WaitVisible(chromedp.CSS(`.entry[data-name="Blorptastic"]`)))
	if got := eval[[]string](b, `[document.querySelector('#save-msg').textContent, String(!!document.querySelector('.edit'))]`); !strings.Contains(got[0], "in the colour map already") || got[1] != "false" {
		t.Errorf("a link for a known name: message %q, form open %s", got[0], got[1])
	}
	b.check()
}
