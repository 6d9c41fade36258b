package worker

import (
	"context"
	"sync"
	"time"

	"github.com/palette-dev/palette/queue"
)

// A dependency is something every job needs (object storage, the
// catalog) whose outage must pause the jobs rather than fail them. It is
// judged from the jobs' own calls: transient failures of tripAfter
// different jobs in a row (different products or objects), with no
// success between, mark it down; failures of one or two jobs alone (one
// product the catalog cannot serve, one photo whose server keeps failing)
// do not, and those jobs spend their attempts as usual. While it is down the jobs wait
// at the gate (queue.Config.Gate), their failures do not count against
// their attempts (queue.Unavailable), and a prober repeats the last failed
// call's probe with backoff until the dependency answers.
type dependency struct {
	name  string
	deps  *dependencies
	mu    sync.Mutex
	fails map[string]bool // the jobs failing since the last success
	down  bool
	since time.Time
	err   string
	probe func(context.Context) error
	back  chan struct{} // closed when the dependency is up again
}

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

// run makes probes run under ctx (the worker's Run).
func (ds *dependencies) run(ctx context.Context) {
	ds.mu.Lock()
	ds.ctx = ctx
	ds.mu.Unlock()
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

// ok records a call that worked.
func (d *dependency) ok() {
	d.mu.Lock()
	clear(d.fails)
	down := d.down
	d.mu.Unlock()
	if down {
		d.setUp()
	}
}

// failed records a call for the job key that failed transiently, with a
// probe that repeats it, and returns err marked queue.Unavailable when
// the dependency is (now) down.
func (d *dependency) failed(key string, err error, probe func(context.Context) error) error {
	d.mu.Lock()
	if d.fails == nil {
		d.fails = map[string]bool{}
	}
	if len(d.fails) < d.deps.tripAfter {
		d.fails[key] = true
	}
	d.probe = probe
	trip := !d.down && len(d.fails) >= d.deps.tripAfter
	down := d.down || trip
	if trip {
		d.down, d.since, d.err, d.back = true, time.Now(), err.Error(), make(chan struct{})
	}
	d.mu.Unlock()
	if trip {
		d.tripped()
		go d.probeUntilUp()
	}
	if down {
		return queue.Unavailable(err)
	}
	return err
}

func (d *dependency) tripped() {
	d.deps.m.depUp.WithLabelValues(d.name).Set(0)
	if d != d.deps.broker {
		d.deps.paused(1)
	}
	if d.deps.onChange != nil {
		d.deps.onChange(d, true, d.err)
	}
}

// setBrokerState records the broker's state from the readiness poll.
func (d *dependency) set(down bool, err error) {
	if !down {
		d.setUp()
		return
	}
	d.mu.Lock()
	trip := !d.down
	if trip {
		d.down, d.since, d.err, d.back = true, time.Now(), err.Error(), make(chan struct{})
	}
	d.mu.Unlock()
	if trip {
		d.tripped()
	}
}

func (d *dependency) setUp() {
	d.mu.Lock()
	if !d.down {
		d.mu.Unlock()
		return
	}
	d.down = false
	clear(d.fails)
	close(d.back)
	d.mu.Unlock()
	d.deps.m.depUp.WithLabelValues(d.name).Set(1)
	if d != d.deps.broker {
		d.deps.paused(-1)
	}
	if d.deps.onChange != nil {
		d.deps.onChange(d, false, "")
	}
}

// probeUntilUp repeats the last failed call's probe with backoff until it
// answers or the worker stops.
func (d *dependency) probeUntilUp() {
	d.deps.mu.Lock()
	ctx := d.deps.ctx
	d.deps.mu.Unlock()
	delay := d.deps.probeMin
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		d.mu.Lock()
		if !d.down {
			d.mu.Unlock()
			return // a job's call worked first
		}
		probe := d.probe
		d.mu.Unlock()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := probe(pctx)
		cancel()
		if err == nil {
			d.setUp()
			return
		}
		d.mu.Lock()
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
