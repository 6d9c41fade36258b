package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call makes one request for a product's colours, in a call slot, and
// classifies the answer. It runs on its own context: its caller is a
// cache load shared by every lookup of the product, none of which owns it.
func (c *Client) call(productID string) ([]string, error) {
	fail := func(kind error, outcome, detail string, err error) ([]string, error) {
		c.m.calls.WithLabelValues(outcome).Inc()
		return nil, &Error{Kind: kind, ProductID: productID, Detail: detail, Err: err}
	}

	wait, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	err := c.sem.Acquire(wait, 1)
	cancel()
	if err != nil {
		return fail(ErrUnavailable, "busy",
			fmt.Sprintf("all %d call slots stayed busy for %v", c.cfg.Concurrency, c.cfg.Timeout), errBusy)
	}
	defer c.sem.Release(1)

	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	defer func() { c.m.callDuration.Observe(time.Since(start).Seconds()) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.tmpl.url(productID), nil)
	if err != nil { // the template was checked; only an odd product id gets here
		return fail(ErrRejected, "rejected", "cannot build the request URL", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "palette-worker")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fail(ErrUnavailable, "timeout", "timeout after "+c.cfg.Timeout.String(), err)
		}
		return fail(ErrUnavailable, "error", "request failed: "+unwrapURLError(err).Error(), err)
	}
	defer resp.Body.Close()

	status := "status " + strconv.Itoa(resp.StatusCode)
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound:
		drain(resp.Body)
		return fail(ErrNotFound, "not_found", status, nil)
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		drain(resp.Body)
		return fail(ErrUnavailable, "unavailable", status, nil)
	case code >= 400:
		drain(resp.Body)
		return fail(ErrRejected, "rejected", status, nil)
	case code < 200 || code > 299:
		drain(resp.Body)
		return fail(ErrUnavailable, "unavailable", status+" (not a success)", nil)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return fail(ErrUnavailable, "timeout", "timeout after "+c.cfg.Timeout.String()+" reading the body", err)
	case err != nil:
		return fail(ErrUnavailable, "error", "reading the body: "+err.Error(), err)
	case int64(len(body)) > c.cfg.MaxBodyBytes:
		return fail(ErrUnavailable, "malformed", fmt.Sprintf("response body larger than %d bytes", c.cfg.MaxBodyBytes), nil)
	}
	colors, err := parse(body, c.path)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return fail(pe.kind, pe.outcome, pe.detail, pe.err)
		}
		return fail(ErrUnavailable, "malformed", err.Error(), err)
	}
	c.m.calls.WithLabelValues("ok").Inc()
	return colors, nil
}

// drain reads a little of an unwanted body so that the connection can be
// reused.
func drain(r io.Reader) { io.CopyN(io.Discard, r, 4<<10) }

// unwrapURLError drops the `Get "URL": ` prefix of a *url.Error: the
// product id is in the message already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// parseError is a parse failure with its class.
type parseError struct {
	kind    error  // ErrUnavailable, ErrNoColors or ErrBadColors
	outcome string // the calls metric's outcome label
	detail  string
	err     error
}

func (e *parseError) Error() string { return e.detail }

// parse extracts the colour names at path from a JSON body. A body that is
// not JSON is ErrUnavailable (a proxy's error page, a truncated answer);
// JSON without a usable list at path is ErrBadColors; a null or empty
// list, or one of blank names only, is ErrNoColors. Names are trimmed of
// surrounding white space and blank ones dropped.
func parse(body []byte, path []string) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	if err == nil {
		if _, e := d.Token(); e != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	if err != nil {
		return nil, &parseError{kind: ErrUnavailable, outcome: "malformed", detail: "response is not JSON: " + err.Error(), err: err}
	}
	bad := func(format string, a ...any) error {
		return &parseError{kind: ErrBadColors, outcome: "bad_colors", detail: fmt.Sprintf(format, a...)}
	}
	at := "the response"
	for i, step := range path {
		where := strconv.Quote(strings.Join(path[:i+1], "."))
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[step]
			if !ok {
				return nil, bad("%s has no %s", at, where)
			}
			v = next
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n < 0 {
				return nil, bad("%s is a list, and %q is not an index", at, step)
			}
			if n >= len(x) {
				return nil, bad("%s has no %s: the list has %d items", at, where, len(x))
			}
			v = x[n]
		default:
			return nil, bad("%s is %s, not an object or a list, so it has no %s", at, kindOf(v), where)
		}
		at = where
	}
	if v == nil {
		return nil, &parseError{kind: ErrNoColors, outcome: "no_colors", detail: at + " is null"}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, bad("%s is %s, not a list of colour names", at, kindOf(v))
	}
	names := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, bad("item %d of %s is %s, not a string", i, at, kindOf(x))
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if len(s) > MaxColorBytes {
			return nil, bad("item %d of %s is %d bytes, limit %d", i, at, len(s), MaxColorBytes)
		}
		names = append(names, s)
	}
	switch {
	case len(names) == 0 && len(list) == 0:
		return nil, &parseError{kind: ErrNoColors, outcome: "no_colors", detail: at + " is an empty list"}
	case len(names) == 0:
		return nil, &parseError{kind: ErrNoColors, outcome: "no_colors", detail: at + " holds only blank names"}
	case len(names) > MaxColors:
		return nil, bad("%s holds %d colours, limit %d", at, len(names), MaxColors)
	}
	return names, nil
}

// kindOf names a decoded JSON value's type for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
