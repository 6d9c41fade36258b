package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Ping asks whether the service answers at all, whatever any product: a
// GET of the root of Config.URL's host, not through the circuit breaker.
// Any status below 500 is an answer (nil); a 5xx status, a timeout or a
// network error is returned. The worker probes with it while it waits out
// a catalog outage, since the products whose lookups failed may be the
// trouble rather than the service.
func (c *Client) Ping(ctx context.Context) error {
	root := c.root
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("catalog: %s: %w", root, unwrapURLError(err))
	}
	drain(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("catalog: %s: status %d", root, resp.StatusCode)
	}
	return nil
}

// rootOf is the root of the host of a product's URL.
func rootOf(productURL string) string {
	u, err := url.Parse(productURL)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host, Path: "/"}).String()
}

// Busy reports whether err is a lookup that never reached the service
// because every call slot stayed taken: the worker's own load, not the
// catalog failing.
func Busy(err error) bool { return errors.Is(err, errBusy) }
