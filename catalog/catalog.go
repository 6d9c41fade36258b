// Package catalog looks up a product's colour names in the catalog
// service, for jobs that carry only a product id and a photo.
//
// A [Client] sits between the worker and the service so that a slow or
// failing catalog neither stalls nor overloads the pipeline:
//
//   - A bounded LRU cache that refreshes rather than expires: an entry
//     older than Config.TTL is still served at once while one background
//     call per product refreshes it; a failed refresh keeps the old colours
//     for another TTL. Only a product not in the cache waits for the
//     service, and concurrent lookups of one missing product share one call.
//   - Fail fast: every call has a timeout, at most Config.Concurrency
//     calls are in flight, and a circuit breaker stops calling after
//     Config.TripAfter consecutive failures, letting one probe through
//     every Config.OpenFor until one succeeds.
//
// Errors say whether a retry can help: [ErrUnavailable] (see [Transient])
// or one of the answers no retry changes ([ErrNotFound], [ErrRejected],
// [ErrNoColors], [ErrBadColors]).
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// Limits on the colour list of one product: the same as a job's
// (queue.MaxColors and queue.MaxColorBytes), so that colours from the
// catalog are held to what a job may carry. A list that breaks them is
// [ErrBadColors].
const (
	MaxColors     = 16
	MaxColorBytes = 64
)

// Placeholder is replaced in Config.URL by the product id, escaped.
const Placeholder = "{product_id}"

// Defaults of the Config fields left zero.
const (
	DefaultTimeout      = 2 * time.Second
	DefaultTTL          = 10 * time.Minute
	DefaultConcurrency  = 16
	DefaultCacheSize    = 10000
	DefaultMaxBodyBytes = 1 << 20
	DefaultTripAfter    = 5
	DefaultNegativeTTL  = time.Minute
	DefaultOpenFor      = 10 * time.Second
	maxConcurrency      = 1024
)

// Config configures a [Client]. The zero value of every field but URL is
// its documented default.
type Config struct {
	// URL is the template of the request for one product's colours, an
	// http or https URL holding Placeholder, e.g.
	// "http://catalog.internal/products/{product_id}/colors". The product
	// id replaces Placeholder path-escaped ("a/b" → "a%2Fb"; "." and ".."
	// become "%2E" and "%2E%2E"), or query-escaped where Placeholder
	// stands after the "?". Required.
	URL string
	// Path locates the list of colour names in the JSON response: object
	// keys, and array indexes, separated by dots ("colors",
	// "attributes.color", "data.0.colors"). Empty means the body itself is
	// the list. Keys holding a dot cannot be addressed.
	Path string
	// Timeout bounds each call to the service (connection, headers and
	// body), and separately the wait for a free call slot; default 2s.
	Timeout time.Duration
	// TTL is how long colours are fresh. A lookup of colours older than
	// TTL still returns them at once, and starts one background refresh
	// of the product (at most one per product at a time); a failed
	// refresh keeps the old colours for another TTL, and an answer that
	// the product is gone or has no usable colours drops them. Entries
	// never expire otherwise. Default 10m.
	TTL time.Duration
	// NegativeTTL is how long a definite answer that the product has no
	// usable colours (not found, another 4xx, an empty or unusable list) is
	// remembered, so that the jobs of such a product do not each call the
	// service; default 1m. Such an answer is never served stale.
	NegativeTTL time.Duration
	// Concurrency is the most calls to the service in flight at once,
	// background refreshes included; default 16, at most 1024.
	Concurrency int
	// CacheSize is the most products cached; the least recently used is
	// evicted beyond it. Default 10000.
	CacheSize int
	// MaxBodyBytes is the largest response body read; a larger one is
	// [ErrUnavailable]. Default 1 MiB.
	MaxBodyBytes int64
	// TripAfter is how many consecutive failures (ErrUnavailable answers:
	// timeouts, network errors, 5xx, 408, 429, bodies that are not JSON)
	// open the circuit breaker; default 5.
	TripAfter int
	// OpenFor is how long the breaker stays open before it lets one probe
	// call through (half-open): a success closes it, a failure opens it
	// for another OpenFor. Default 10s.
	OpenFor time.Duration
	// Registerer receives the metrics (palette_catalog_*); nil means none.
	Registerer prometheus.Registerer
	// Logger receives warnings (breaker changes, failed refreshes); nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock of the cache's TTL; nil means time.Now. (The
	// breaker's OpenFor always runs on the real clock.)
	Now func() time.Time
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.NegativeTTL == 0 {
		c.NegativeTTL = DefaultNegativeTTL
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.TripAfter == 0 {
		c.TripAfter = DefaultTripAfter
	}
	if c.OpenFor == 0 {
		c.OpenFor = DefaultOpenFor
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports every problem of c, with defaults applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, err := parseTemplate(c.URL); err != nil {
		errs = append(errs, err)
	}
	if _, err := parsePath(c.Path); err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", c.Timeout}, {"TTL", c.TTL}, {"negative TTL", c.NegativeTTL}, {"open-for", c.OpenFor}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("catalog: negative %s %v", d.name, d.v))
		}
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("catalog: concurrency %d out of range 1..%d", c.Concurrency, maxConcurrency))
	}
	if c.CacheSize < 1 {
		errs = append(errs, fmt.Errorf("catalog: cache size %d must be at least 1", c.CacheSize))
	}
	if c.MaxBodyBytes < 1 {
		errs = append(errs, fmt.Errorf("catalog: max body bytes %d must be at least 1", c.MaxBodyBytes))
	}
	if c.TripAfter < 1 {
		errs = append(errs, fmt.Errorf("catalog: trip-after %d must be at least 1", c.TripAfter))
	}
	return errors.Join(errs...)
}

// Client looks up products' colours through its cache. Create it with
// [New]. It is safe for concurrent use.
type Client struct {
	cfg     Config
	tmpl    template
	path    []string
	http    *http.Client
	cache   *lru.Cache[string, *entry]
	flight  singleflight.Group
	sem     *semaphore.Weighted
	breaker *gobreaker.CircuitBreaker[[]string]
	lastErr atomic.Pointer[string] // detail of the last failure, for "circuit open" errors
	root    string                 // the root of the service's host, for Ping
	m       metrics
}

// entry is one product's cached colours. It is never changed once in the
// cache but for its refreshing flag: a refresh replaces it.
type entry struct {
	colors     []string
	err        error // a definite answer of no usable colours; colors is nil
	freshUntil time.Time
	refreshing atomic.Bool // a background refresh was started from this entry
}

// New validates cfg and returns a Client. It makes no call to the
// service. It fails if cfg.Registerer already holds metrics of the same
// names.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	tmpl, _ := parseTemplate(cfg.URL)
	path, _ := parsePath(cfg.Path)
	cache, err := lru.New[string, *entry](cfg.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("catalog: cache: %w", err)
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = d.Clone()
	}
	tr.MaxIdleConnsPerHost = cfg.Concurrency // keep a connection per call slot
	c := &Client{
		cfg:   cfg,
		root:  rootOf(tmpl.url("p")),
		tmpl:  tmpl,
		path:  path,
		http:  &http.Client{Transport: tr},
		cache: cache,
		sem:   semaphore.NewWeighted(int64(cfg.Concurrency)),
	}
	c.breaker = gobreaker.NewCircuitBreaker[[]string](gobreaker.Settings{
		Name:        "catalog",
		MaxRequests: 1,
		Timeout:     cfg.OpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= uint32(cfg.TripAfter) },
		// Answers of a working catalog (404, other 4xx, unusable lists)
		// are successes as far as the breaker is concerned.
		IsSuccessful: func(err error) bool { return !Transient(err) },
		IsExcluded:   func(err error) bool { return errors.Is(err, errBusy) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			last := ""
			if p := c.lastErr.Load(); p != nil {
				last = *p
			}
			level := slog.LevelWarn
			if to == gobreaker.StateClosed {
				level = slog.LevelInfo
			}
			c.cfg.Logger.Log(context.Background(), level, "catalog: circuit breaker "+to.String(), "from", from.String(), "last_failure", last)
		},
	})
	if c.m, err = newMetrics(cfg.Registerer, cache.Len, c.breaker.State); err != nil {
		return nil, err
	}
	return c, nil
}

// Colors returns the colour names of a product: from the cache when it
// holds them (stale ones too, see Config.TTL), else from the service. The
// wait for the service ends early when ctx does, with ctx's error (the
// call goes on and fills the cache). The slice is the caller's.
func (c *Client) Colors(ctx context.Context, productID string) ([]string, error) {
	colors, _, err := c.Lookup(ctx, productID)
	return colors, err
}

// Lookup is Colors that also says whether the service answered this
// lookup (or a concurrent one for the same product it joined) rather than
// the cache: a caller judging whether the service is up must not take a
// cached answer for one.
func (c *Client) Lookup(ctx context.Context, productID string) (colors []string, fromService bool, err error) {
	if productID == "" {
		return nil, false, &Error{Kind: ErrRejected, Detail: "empty product id"}
	}
	if e, ok := c.cache.Get(productID); ok && e.err != nil {
		if c.cfg.Now().Before(e.freshUntil) {
			c.m.lookups.WithLabelValues("negative").Inc()
			return nil, false, e.err
		}
		// An old "no colours" answer is asked again, as a miss.
	} else if ok {
		if c.cfg.Now().Before(e.freshUntil) {
			c.m.lookups.WithLabelValues("hit").Inc()
		} else {
			c.m.lookups.WithLabelValues("stale").Inc()
			if e.refreshing.CompareAndSwap(false, true) {
				c.m.refreshes.Inc()
				go c.flight.Do(productID, func() (any, error) { return c.load(productID) })
			}
		}
		return slices.Clone(e.colors), false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("catalog: colours of product %q: %w", productID, context.Cause(ctx))
	}
	c.m.lookups.WithLabelValues("miss").Inc()
	ch := c.flight.DoChan(productID, func() (any, error) {
		// Another miss's call may have finished between our cache look-up
		// and this flight: then its answer is here, and no call is needed.
		if e, ok := c.cache.Peek(productID); ok && c.cfg.Now().Before(e.freshUntil) {
			if e.err != nil {
				return nil, e.err
			}
			return e.colors, nil
		}
		return c.load(productID)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, false, r.Err
		}
		return slices.Clone(r.Val.([]string)), true, nil
	case <-ctx.Done():
		return nil, false, fmt.Errorf("catalog: waiting for the colours of product %q: %w", productID, context.Cause(ctx))
	}
}

// load calls the service for a product and updates the cache; calls for
// one product are serialised by c.flight. When the call fails and the
// cache holds older colours (a refresh, or a miss racing an eviction),
// those are kept for another TTL and returned.
func (c *Client) load(productID string) ([]string, error) {
	colors, err := c.fetch(productID)
	now := c.cfg.Now()
	switch {
	case err == nil:
		c.cache.Add(productID, &entry{colors: colors, freshUntil: now.Add(c.cfg.TTL)})
		return colors, nil
	case Transient(err):
		old, ok := c.cache.Peek(productID)
		if !ok {
			return nil, err
		}
		c.m.refreshFailures.Inc()
		c.cfg.Logger.Warn("catalog: refresh failed; keeping the cached colours", "product_id", productID, "err", err.Error())
		c.cache.Add(productID, &entry{colors: old.colors, freshUntil: now.Add(c.cfg.TTL)})
		return old.colors, nil
	default:
		// The catalog answered: the product is gone or has no usable
		// colours (any more). Remember that answer for NegativeTTL in place
		// of any colours we had, so that jobs see it without a call each.
		c.cache.Add(productID, &entry{err: err, freshUntil: now.Add(c.cfg.NegativeTTL)})
		return nil, err
	}
}

// fetch makes one call through the breaker.
func (c *Client) fetch(productID string) ([]string, error) {
	colors, err := c.breaker.Execute(func() ([]string, error) { return c.call(productID) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		c.m.calls.WithLabelValues("circuit_open").Inc()
		detail := "circuit open"
		if errors.Is(err, gobreaker.ErrTooManyRequests) {
			detail = "circuit half-open, its probe call in flight"
		}
		if p := c.lastErr.Load(); p != nil {
			detail += " (last failure: " + *p + ")"
		}
		return nil, &Error{Kind: ErrUnavailable, ProductID: productID, Detail: detail, Err: err}
	}
	if err != nil && Transient(err) && !errors.Is(err, errBusy) {
		var e *Error
		if errors.As(err, &e) {
			d := e.Detail
			c.lastErr.Store(&d)
		}
	}
	return colors, err
}

// template is a parsed Config.URL: the text before and after each
// Placeholder, and whether that place is in the query.
type template struct {
	parts   []string // len(parts) == len(inQuery)+1
	inQuery []bool
}

// parseTemplate checks an http(s) URL template holding Placeholder in its
// path or query.
func parseTemplate(s string) (template, error) {
	if s == "" {
		return template{}, errors.New("catalog: no URL")
	}
	if !strings.Contains(s, Placeholder) {
		return template{}, fmt.Errorf("catalog: URL %q has no %s", s, Placeholder)
	}
	u, err := url.Parse(strings.ReplaceAll(s, Placeholder, "PRODUCT"))
	if err != nil {
		return template{}, fmt.Errorf("catalog: URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return template{}, fmt.Errorf("catalog: URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return template{}, fmt.Errorf("catalog: URL %q has no host", s)
	}
	if strings.Contains(u.Host, "PRODUCT") || strings.Contains(u.User.String(), "PRODUCT") {
		return template{}, fmt.Errorf("catalog: URL %q: %s must be in the path or the query, not the host", s, Placeholder)
	}
	if strings.Contains(u.Fragment, "PRODUCT") {
		return template{}, fmt.Errorf("catalog: URL %q: %s must be in the path or the query, not the fragment", s, Placeholder)
	}
	t := template{parts: strings.Split(s, Placeholder)}
	q := strings.Index(s, "?")
	at := 0
	for _, p := range t.parts[:len(t.parts)-1] {
		at += len(p)
		t.inQuery = append(t.inQuery, q >= 0 && q < at)
		at += len(Placeholder)
	}
	return t, nil
}

// url returns the request URL of a product.
func (t template) url(productID string) string {
	path := url.PathEscape(productID)
	if productID == "." || productID == ".." {
		path = strings.Repeat("%2E", len(productID)) // not a dot segment
	}
	query := url.QueryEscape(productID)
	var b strings.Builder
	for i, p := range t.parts {
		b.WriteString(p)
		if i < len(t.inQuery) {
			if t.inQuery[i] {
				b.WriteString(query)
			} else {
				b.WriteString(path)
			}
		}
	}
	return b.String()
}

// parsePath splits a Config.Path into its steps.
func parsePath(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	steps := strings.Split(p, ".")
	for _, s := range steps {
		if s == "" {
			return nil, fmt.Errorf("catalog: JSON path %q has an empty step", p)
		}
	}
	return steps, nil
}
