package worker

import (
	"context"
	"sync"
	"time"

	"github.com/palette-dev/palette/queue"
)

// A dependency is something every job needs (object storage, the
// catalog) whose outage must pause the jobs rather than fail them. It is
// judged from the jobs' own calls, per scope (an S3 bucket; the catalog
// has one): transient failures of tripAfter different jobs in a row in one
// scope, with no success in that scope between, mark the dependency down
// (a success reading photos from one bucket says nothing of writing
// swatches to another). Failures of one or two jobs alone (one product the
// catalog cannot serve, one photo whose server keeps failing) do not, and
// those jobs spend their attempts as usual.
//
// While it is down the jobs wait at the gate (queue.Config.Gate), their
// failures do not count against their attempts (queue.Unavailable), and a
// prober repeats the probe of the scope that tripped it with backoff
// until the dependency answers, or a job's call in that scope works (see
// also fallback).
type dependency struct {
	name string
	deps *dependencies

	mu    sync.Mutex
	fails map[string]map[string]bool // scope → jobs failing since the scope's last success
	down  bool
	scope string // the scope that tripped it
	since time.Time
	err   string
	probe func(context.Context) error
	back  chan struct{} // closed when the dependency is up again
	// delay is the probe delay the last episode ended with, and upAt when
	// a probe ended it: an episode that follows soon after starts probing
	// there, not at probeMin, so that a dependency whose probe answers
	// while the jobs' calls still fail (a partial outage, or jobs that
	// fail for themselves) is retried ever more slowly.
	delay time.Duration
	upAt  time.Time
	// fallback, when set, is a probe of the dependency as a whole (the
	// catalog's root), tried once the outage has lasted fallbackAfter:
	// the calls that tripped it may fail for themselves (three products
	// the catalog cannot serve), and must not pause the worker for good.
	// fallbackAfter doubles each time the fallback ends an outage, so that
	// a partial outage costs the jobs few attempts, and is reset when the
	// probe itself or a job's call does.
	fallback      func(context.Context) error
	fallbackAfter time.Duration
}

// fallbackFirst is the first fallbackAfter.
const fallbackFirst = time.Minute

// dependencies are the worker's dependencies and their shared state: how
// long the worker has been paused, and the context probes run under.
type dependencies struct {
	s3, catalog *dependency
	broker      *dependency // readiness only: kafka-go waits for it itself

	tripAfter          int
	probeMin, probeMax time.Duration
	m                  metrics
	onChange           func(d *dependency, down bool, err string)

	mu          sync.Mutex
	ctx         context.Context
	nDown       int
	pausedSince time.Time
}

func newDependencies(m metrics, onChange func(d *dependency, down bool, err string)) *dependencies {
	ds := &dependencies{tripAfter: 3, probeMin: 250 * time.Millisecond, probeMax: 5 * time.Second,
		m: m, onChange: onChange, ctx: context.Background()}
	ds.s3 = &dependency{name: "s3", deps: ds}
	ds.catalog = &dependency{name: "catalog", deps: ds}
	ds.broker = &dependency{name: "broker", deps: ds}
	for _, d := range ds.all() {
		m.depUp.WithLabelValues(d.name).Set(1)
	}
	return ds
}

func (ds *dependencies) all() []*dependency { return []*dependency{ds.broker, ds.s3, ds.catalog} }

// run makes probes run under ctx (the worker's Run); when ctx ends, the
// time paused so far is counted.
func (ds *dependencies) run(ctx context.Context) {
	ds.mu.Lock()
	ds.ctx = ctx
	ds.mu.Unlock()
	context.AfterFunc(ctx, func() {
		ds.mu.Lock()
		defer ds.mu.Unlock()
		if ds.nDown > 0 {
			ds.m.paused.Add(time.Since(ds.pausedSince).Seconds())
			ds.pausedSince = time.Now()
		}
	})
}

// gate blocks while object storage or the catalog is down.
func (ds *dependencies) gate(ctx context.Context) error {
	for _, d := range [...]*dependency{ds.s3, ds.catalog} {
		if err := d.wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// paused tracks the time at least one gating dependency is down.
func (ds *dependencies) paused(delta int) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.nDown += delta
	switch {
	case delta > 0 && ds.nDown == 1:
		ds.pausedSince = time.Now()
	case delta < 0 && ds.nDown == 0:
		ds.m.paused.Add(time.Since(ds.pausedSince).Seconds())
	}
}

// ok records a call in scope that worked: the scope's failures are
// forgotten, and a dependency down for that scope is up again.
func (d *dependency) ok(scope string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.fails, scope)
	if d.down && scope == d.scope {
		d.setUpLocked()
	}
}

// failed records a call for the job key in scope that failed transiently,
// with a probe that repeats it (or asks the dependency as a whole), and
// returns err marked queue.Unavailable when the dependency is (now) down.
func (d *dependency) failed(scope, key string, err error, probe func(context.Context) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.down {
		if d.fails == nil {
			d.fails = map[string]map[string]bool{}
		}
		jobs := d.fails[scope]
		if jobs == nil {
			jobs = map[string]bool{}
			d.fails[scope] = jobs
		}
		jobs[key] = true
		if len(jobs) >= d.deps.tripAfter {
			d.probe, d.scope = probe, scope
			d.setDownLocked(err.Error())
			go d.probeUntilUp(d.back)
		}
	} else if scope == d.scope {
		d.probe = probe
	}
	if d.down {
		return queue.Unavailable(err)
	}
	return err
}

// set records the broker's state from the readiness poll.
func (d *dependency) set(down bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case down && !d.down:
		d.setDownLocked(err.Error())
	case !down && d.down:
		d.setUpLocked()
	}
}

// setDownLocked and setUpLocked change the state, with its gauge, paused
// time and log, under d.mu: so that a trip and a recovery racing each
// other leave the gauge as the state.
func (d *dependency) setDownLocked(reason string) {
	d.down, d.since, d.err, d.back = true, time.Now(), reason, make(chan struct{})
	d.deps.m.depUp.WithLabelValues(d.name).Set(0)
	if d != d.deps.broker {
		d.deps.paused(1)
	}
	if d.deps.onChange != nil {
		d.deps.onChange(d, true, reason)
	}
}

func (d *dependency) setUpLocked() {
	d.down = false
	clear(d.fails)
	d.deps.m.depUp.WithLabelValues(d.name).Set(1)
	if d != d.deps.broker {
		d.deps.paused(-1)
	}
	if d.deps.onChange != nil {
		d.deps.onChange(d, false, "")
	}
	close(d.back) // last: a job woken sees the metrics of the outage ended
}

// probeUntilUp repeats the probe with backoff until it answers, the
// episode whose channel back is ends otherwise (a job's call worked), or
// the worker stops.
func (d *dependency) probeUntilUp(back chan struct{}) {
	d.deps.mu.Lock()
	ctx := d.deps.ctx
	d.deps.mu.Unlock()
	d.mu.Lock()
	delay := d.deps.probeMin
	if time.Since(d.upAt) < 30*time.Second {
		delay = max(delay, d.delay)
	}
	d.mu.Unlock()
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-back:
			t.Stop()
			return
		case <-t.C:
		}
		d.mu.Lock()
		probe, fallback := d.probe, d.fallback
		if d.fallbackAfter == 0 {
			d.fallbackAfter = fallbackFirst
		}
		useFallback := fallback != nil && time.Since(d.since) >= d.fallbackAfter
		d.mu.Unlock()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := probe(pctx)
		viaFallback := false
		if err != nil && useFallback && fallback(pctx) == nil {
			err, viaFallback = nil, true
		}
		cancel()
		d.mu.Lock()
		if d.back != back || !d.down {
			d.mu.Unlock()
			return
		}
		if err == nil {
			d.delay, d.upAt = min(2*delay, d.deps.probeMax), time.Now()
			if viaFallback {
				d.fallbackAfter *= 2
			} else {
				d.fallbackAfter = fallbackFirst
			}
			d.setUpLocked()
			d.mu.Unlock()
			return
		}
		d.err = err.Error()
		d.mu.Unlock()
		delay = min(2*delay, d.deps.probeMax)
	}
}

// wait blocks while d is down.
func (d *dependency) wait(ctx context.Context) error {
	d.mu.Lock()
	down, back := d.down, d.back
	d.mu.Unlock()
	if !down {
		return nil
	}
	select {
	case <-back:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// state is d's readiness: whether it is down, since when and why.
func (d *dependency) state() (down bool, since time.Time, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.down, d.since, d.err
}
