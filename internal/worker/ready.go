package worker

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/palette-dev/palette/queue"
)

// Readiness answers: /readyz is 503 while a check fails.
type readiness struct {
	Ready  bool    `json:"ready"`
	Checks []check `json:"checks"`
}

// check is one thing /readyz looks at: consumer (the worker is consuming),
// broker, s3, catalog, colormap. Since is when it last changed to down;
// Error why. A refused colour-map edit is reported (ok, with the error:
// the previous map is in use and jobs go on) but does not make the
// worker unready.
type check struct {
	Name  string     `json:"name"`
	OK    bool       `json:"ok"`
	Since *time.Time `json:"since,omitempty"`
	Error string     `json:"error,omitempty"`
}

// readyz answers whether the worker can do jobs now: it is consuming, the
// broker answers, and neither object storage nor the catalog is down.
func (w *Worker) readyz(rw http.ResponseWriter, _ *http.Request) {
	r := readiness{Ready: true}
	c := check{Name: "consumer", OK: w.ready.Load()}
	if !c.OK {
		c.Error = "not consuming (starting or stopping)"
	}
	r.Checks = append(r.Checks, c)
	for _, d := range w.deps.all() {
		if d == w.deps.catalog && w.catalog == nil {
			continue
		}
		down, since, reason := d.state()
		c := check{Name: d.name, OK: !down}
		if down {
			c.Since, c.Error = &since, reason
		}
		r.Checks = append(r.Checks, c)
	}
	c = check{Name: "colormap", OK: true}
	if bad := w.cmapBad.Load(); bad != nil {
		c.Since, c.Error = &bad.since, "edit refused, previous map in use: "+bad.reason
	}
	r.Checks = append(r.Checks, c)
	for _, c := range r.Checks {
		r.Ready = r.Ready && c.OK
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	if !r.Ready {
		rw.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(rw).Encode(r)
}

// Broker polling: every brokerEvery the brokers are asked for their API
// versions; brokerDownAfter failures in a row mark the broker down.
var (
	brokerEvery     = 5 * time.Second
	brokerTimeout   = 5 * time.Second
	brokerDownAfter = 2
)

// watchBroker keeps the broker's readiness check current.
func (w *Worker) watchBroker(ctx context.Context) {
	t := time.NewTicker(brokerEvery)
	defer t.Stop()
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, brokerTimeout)
		err := queue.Ping(pctx, w.cfg.Queue.Brokers)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			fails = 0
			w.deps.broker.set(false, nil)
			continue
		}
		if fails++; fails >= brokerDownAfter {
			w.deps.broker.set(true, err)
		}
	}
}
