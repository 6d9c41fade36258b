package preview

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser is the browser test's Chromium tab (see newBrowser), exported
// for the review page's test: it lives in package preview_test because it
// runs package review's API, which imports preview.
type Browser struct{ *browser }

// NewBrowser opens a tab on the server at base.
func NewBrowser(t *testing.T, base string) Browser { return Browser{newBrowser(t, base)} }

func (b Browser) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(step, actions...)
}
func (b Browser) Viewport(w, h int64, mobile bool) { b.t.Helper(); b.viewport(w, h, mobile) }
func (b Browser) Screenshot(name string)           { b.screenshot(name) }
func (b Browser) Screen(name string)               { b.screen(name) }
func (b Browser) Top()                             { b.t.Helper(); b.top() }
func (b Browser) Check()                           { b.t.Helper(); b.check() }
func (b Browser) Fits(what string)                 { b.t.Helper(); b.fits(what) }

// Eval evaluates js in the tab.
func Eval[T any](b Browser, js string) T { b.t.Helper(); return eval[T](b.browser, js) }

// WaitJS and Retype are waitJS and retype.
var (
	WaitJS = waitJS
	Retype = retype
)
