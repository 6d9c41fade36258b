// Package review keeps the list of swatches that need a person, and
// serves it with the fixes a person makes: the backend of the review page.
//
// It exists because the pipeline flags what it is unsure of (a pick far
// from its catalog name, a name nothing knows) and dead-letters what it
// cannot do, and until now nobody looked: the flags went to a topic. The
// results and dead-letter topics are the record (no database): an [Index]
// is fed every record read back from them (queue.Follow) and keeps, per
// output, the latest that needs a person. Several servers following the
// same topics show the same list. A fix writes a swatch of the colours a
// person chose to the job's output, marked manual in the object's
// metadata so that the worker keeps it when the job runs again (see
// [Fix]), and publishes a result saying so.
//
// The package sees no Kafka and no S3: the HTTP [Handler] is built from
// functions and interfaces the worker (or palettecli serve) provides.
package review

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/palette-dev/palette/queue"
)

// Reasons an item is on the list, in Item.Reason.
const (
	// ReasonLowConfidence: a pick of the result is flagged low_confidence
	// (the catalog name is probably wrong, or the pick unsure).
	ReasonLowConfidence = "low_confidence"
	// ReasonUnknownName: a name of the result is one no tier of the
	// colour map knows (via "unknown"); wins over low_confidence.
	ReasonUnknownName = "unknown_name"
	// ReasonDeadLetter: the job failed for good (Error, Class say why).
	ReasonDeadLetter = "dead_letter"
	// ReasonManual: the swatch was fixed by a person (Source "manual").
	ReasonManual = "manual"
)

// Reasons lists every reason, for validating a filter.
var Reasons = []string{ReasonLowConfidence, ReasonUnknownName, ReasonDeadLetter, ReasonManual}

// Item is one swatch that needs (or had) a person: the JSON of an entry of
// GET /v1/review.
type Item struct {
	// ID names the item for POST /v1/review/redrive; opaque.
	ID        string `json:"id"`
	ProductID string `json:"product_id"`
	Image     string `json:"image"`
	// Output is the swatch's reference; empty for a dead letter whose
	// job named none (its swatch would go to the worker's default).
	Output string `json:"output"`
	Reason string `json:"reason"`
	// Colors are the result's picks (for a manual item, the colours the
	// person chose); empty for a dead letter.
	Colors []queue.Color `json:"colors"`
	// Names are the job's catalog colour names (dead letters only).
	Names []string `json:"names,omitempty"`
	// Error is a dead letter's reason, Class its error class
	// ("permanent" or "transient-exhausted"), Attempts its tries.
	Error    string `json:"error,omitempty"`
	Class    string `json:"class,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// Topic, Partition and Offset say where the record is; for a dead
	// letter they are what "send again" redrives.
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	// Source is the result's ("auto" or "manual"); FixedBy who fixed it.
	Source  string `json:"source,omitempty"`
	FixedBy string `json:"fixed_by,omitempty"`
	// At is when the record was written.
	At time.Time `json:"at"`

	key   string
	lower []string // what a search looks in, lower-cased: see setLower
}

// IndexConfig configures an Index. The zero value of each field but the
// topics is its default.
type IndexConfig struct {
	// ResultsTopic and DLQTopic say which records are results and which
	// dead letters; defaults "palette.results" and "palette.jobs.dlq".
	ResultsTopic, DLQTopic string
	// Max is the most items kept; the oldest are dropped first. Default
	// DefaultMax.
	Max int
	// Window drops items older than this; 0 means none is dropped for
	// its age.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultMax is IndexConfig.Max's default.
const DefaultMax = 10000

// Index is the review list: one item per output, newest first. Feed it
// with Apply. It is safe for concurrent use.
type Index struct {
	cfg    IndexConfig
	mu     sync.Mutex
	items  map[string]*Item
	sorted []*Item              // ascending by (At, key)
	gone   map[string]time.Time // keys whose latest record needs nobody, and when
}

// NewIndex returns an empty Index.
func NewIndex(cfg IndexConfig) *Index {
	cfg.ResultsTopic = cmp.Or(cfg.ResultsTopic, "palette.results")
	cfg.DLQTopic = cmp.Or(cfg.DLQTopic, "palette.jobs.dlq")
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Index{cfg: cfg, items: map[string]*Item{}, gone: map[string]time.Time{}}
}

// Apply takes one record of the results or dead-letter topic (others, and
// results that are not JSON, are ignored). A result replaces the item of
// its output: with the reason it needs a person, or none (a clean auto
// result removes the item), and it removes the dead letter of its job
// keyed by product id and image. A dead letter replaces the item of its
// job's output, or of its product id and image when the job named no
// output. A record older than what the index already has for the key
// changes nothing, so records may arrive in any order across partitions.
func (x *Index) Apply(rec queue.Record) {
	switch rec.Topic {
	case x.cfg.ResultsTopic:
		var r queue.Result
		if json.Unmarshal(rec.Value, &r) != nil {
			return
		}
		it := &Item{ProductID: r.ProductID, Image: r.Image, Output: r.Output, Colors: r.Colors,
			Source: cmp.Or(r.Source, queue.SourceAuto), FixedBy: r.FixedBy}
		it.Reason = resultReason(r)
		x.at(rec, it)
		x.mu.Lock()
		defer x.mu.Unlock()
		if it.Reason == "" {
			it = nil
		}
		if r.Output != "" { // else the item of the job's key is set below
			x.set(jobKey(r.ProductID, r.Image), nil, rec.Time)
		}
		x.set(cmp.Or(r.Output, jobKey(r.ProductID, r.Image)), it, rec.Time)
	case x.cfg.DLQTopic:
		l := rec.Letter()
		var j struct {
			ProductID string   `json:"product_id"`
			Image     string   `json:"image"`
			Output    string   `json:"output"`
			Colors    []string `json:"colors"`
		}
		json.Unmarshal(l.Value, &j) // a malformed job is kept with what is known
		it := &Item{ProductID: cmp.Or(j.ProductID, string(l.Key)), Image: j.Image, Output: j.Output, Reason: ReasonDeadLetter,
			Names: j.Colors, Error: l.Reason, Class: l.Class, Attempts: l.Attempts}
		x.at(rec, it)
		key := j.Output
		if key == "" && j.Image != "" {
			key = jobKey(it.ProductID, j.Image)
		}
		if key == "" {
			key = "letter\x00" + l.Place()
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		x.set(key, it, rec.Time)
	}
}

// at fills in where and when the record is.
func (x *Index) at(rec queue.Record, it *Item) {
	it.Topic, it.Partition, it.Offset, it.At = rec.Topic, rec.Partition, rec.Offset, rec.Time
	if it.Colors == nil {
		it.Colors = []queue.Color{}
	}
}

// resultReason is why a result needs a person, or "".
func resultReason(r queue.Result) string {
	if r.Source == queue.SourceManual {
		return ReasonManual
	}
	low := false
	for _, c := range r.Colors {
		if c.Via == "unknown" {
			return ReasonUnknownName
		}
		low = low || c.LowConfidence
	}
	if low {
		return ReasonLowConfidence
	}
	return ""
}

// jobKey keys a job by product id and image.
func jobKey(productID, image string) string { return "job\x00" + productID + "\x00" + image }

// set makes it (nil: nothing) the item of key as of t, unless the index
// has a later record for key. x.mu is held.
func (x *Index) set(key string, it *Item, t time.Time) {
	if old, ok := x.items[key]; ok {
		if old.At.After(t) {
			return
		}
		x.remove(old)
	} else if g, ok := x.gone[key]; ok && g.After(t) {
		return
	}
	if it == nil {
		x.gone[key] = t
		x.trimGone()
		return
	}
	delete(x.gone, key)
	it.key = key
	it.setLower()
	it.ID = base64.RawURLEncoding.EncodeToString([]byte(key))
	i, _ := slices.BinarySearchFunc(x.sorted, it, compareItems)
	x.sorted = slices.Insert(x.sorted, i, it)
	x.items[key] = it
	for len(x.sorted) > x.cfg.Max {
		x.remove(x.sorted[0])
	}
}

// trimGone keeps the removal marks to at most Max, the latest.
func (x *Index) trimGone() {
	if len(x.gone) <= x.cfg.Max {
		return
	}
	ts := make([]time.Time, 0, len(x.gone))
	for _, t := range x.gone {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, time.Time.Compare)
	cut := ts[len(ts)-x.cfg.Max/2]
	for k, t := range x.gone {
		if t.Before(cut) {
			delete(x.gone, k)
		}
	}
}

func (x *Index) remove(it *Item) {
	i, ok := slices.BinarySearchFunc(x.sorted, it, compareItems)
	if ok {
		x.sorted = slices.Delete(x.sorted, i, i+1)
	}
	delete(x.items, it.key)
}

// compareItems orders by (At, key), ascending.
func compareItems(a, b *Item) int {
	return cmp.Or(a.At.Compare(b.At), strings.Compare(a.key, b.key))
}

// Query selects a page of the list. The zero value is the first page of
// everything.
type Query struct {
	// Reason keeps only items with this reason; empty means all.
	Reason string
	// Q keeps items whose product id, image, output or colour names
	// contain it, ignoring case.
	Q string
	// Limit is the most items on the page, 1 to MaxLimit; 0 means
	// DefaultLimit.
	Limit int
	// Cursor is Page.Next of the previous page; empty: the first page.
	Cursor string
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page is one page of the list: the JSON of GET /v1/review.
type Page struct {
	Items []Item `json:"items"`
	// Next is the cursor of the next page; empty on the last page. It
	// stays valid while items are added: the next page starts right
	// after the last item of this one, whatever came in since.
	Next string `json:"next"`
	// Total counts the items matching the query, on every page.
	Total int `json:"total"`
}

// ErrQuery is wrapped by List's errors about the query.
var ErrQuery = errors.New("review: bad query")

// List returns a page of the items matching q, newest first.
func (x *Index) List(q Query) (Page, error) {
	if q.Reason != "" && !slices.Contains(Reasons, q.Reason) {
		return Page{}, errors.Join(ErrQuery, errors.New("reason must be one of "+strings.Join(Reasons, ", ")))
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return Page{}, errors.Join(ErrQuery, errors.New("limit must be 1 to "+strconv.Itoa(MaxLimit)))
	}
	var after *Item
	if q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		after = c
	}
	needle := strings.ToLower(q.Q)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.expire()
	p := Page{Items: []Item{}}
	for i := len(x.sorted) - 1; i >= 0; i-- {
		it := x.sorted[i]
		if (q.Reason != "" && it.Reason != q.Reason) || (needle != "" && !it.matches(needle)) {
			continue
		}
		p.Total++
		if after != nil && compareItems(it, after) >= 0 {
			continue
		}
		if len(p.Items) == q.Limit {
			if p.Next == "" {
				last := p.Items[len(p.Items)-1]
				p.Next = cursorOf(&last)
			}
			continue
		}
		p.Items = append(p.Items, *it)
	}
	return p, nil
}

// Get returns the item with the ID id.
func (x *Index) Get(id string) (Item, bool) {
	key, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return Item{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	it, ok := x.items[string(key)]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// Len is the number of items.
func (x *Index) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.expire()
	return len(x.sorted)
}

// expire drops items older than the window. x.mu is held.
func (x *Index) expire() {
	if x.cfg.Window <= 0 {
		return
	}
	cut := x.cfg.Now().Add(-x.cfg.Window)
	for len(x.sorted) > 0 && x.sorted[0].At.Before(cut) {
		x.remove(x.sorted[0])
	}
}

// setLower lower-cases, once, the fields a search looks in: the product
// id, image, output, colour names and catalog names, each on its own (a
// needle does not match across two of them).
func (it *Item) setLower() {
	it.lower = make([]string, 0, 3+len(it.Colors)+len(it.Names))
	for _, s := range []string{it.ProductID, it.Image, it.Output} {
		it.lower = append(it.lower, strings.ToLower(s))
	}
	for _, c := range it.Colors {
		it.lower = append(it.lower, strings.ToLower(c.Name))
	}
	for _, n := range it.Names {
		it.lower = append(it.lower, strings.ToLower(n))
	}
}

// matches says whether a field of it holds needle, which is lower case.
func (it *Item) matches(needle string) bool {
	for _, s := range it.lower {
		if strings.Contains(s, needle) {
			return true
		}
	}
	return false
}

// cursorOf is the cursor after it: its time and key.
func cursorOf(it *Item) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(it.At.UnixNano(), 10) + "\x00" + it.key))
}

func parseCursor(c string) (*Item, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if ns, key, ok := strings.Cut(string(b), "\x00"); ok {
			if n, err := strconv.ParseInt(ns, 10, 64); err == nil {
				return &Item{At: time.Unix(0, n), key: key}, nil
			}
		}
	}
	return nil, errors.Join(ErrQuery, errors.New("cursor is not one this server gave"))
}
