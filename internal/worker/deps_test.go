package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/palette-dev/palette/queue"
)

func testDeps(t *testing.T) *dependencies {
	ds := newDependencies(newMetrics(prometheus.NewRegistry()), nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ds.run(ctx)
	return ds
}

var errDown = errors.New("connection refused")

// The trip rule: failures of three different jobs in a row in one scope.
// The same job failing again, or a success in that scope between, does
// not trip; a success in another scope (reading photos from one bucket
// while writes to another fail) does not clear it.
func TestDependencyTrip(t *testing.T) {
	never := func(context.Context) error { return errDown }
	up := func(d *dependency) bool { down, _, _ := d.state(); return !down }

	ds := testDeps(t)
	d := ds.s3
	for range 5 {
		if err := d.failed("out", "job1", errDown, never); queue.IsUnavailable(err) {
			t.Fatal("one job failing again and again tripped the dependency")
		}
	}
	d.failed("out", "job2", errDown, never)
	d.ok("out")
	d.failed("out", "job3", errDown, never)
	d.failed("out", "job4", errDown, never)
	if !up(d) {
		t.Fatal("tripped across a success in the same scope")
	}

	ds = testDeps(t)
	d = ds.s3
	var err error
	for i := range 3 {
		d.ok("photos")                                              // each job reads its photo fine...
		err = d.failed("out", fmt.Sprint("job", i), errDown, never) // ...and fails to write
	}
	if !queue.IsUnavailable(err) || up(d) {
		t.Fatalf("writes failing for three jobs while reads work: %v, up %v; want down", err, up(d))
	}
	if g := testutil.ToFloat64(ds.m.depUp.WithLabelValues("s3")); g != 0 {
		t.Errorf("palette_dependency_up{s3} = %v while down", g)
	}
	if err := d.failed("out", "job9", errDown, never); !queue.IsUnavailable(err) {
		t.Errorf("a failure while down: %v, want Unavailable", err)
	}
	d.ok("photos")
	if up(d) {
		t.Error("a success in another scope ended the outage")
	}
	d.ok("out")
	if !up(d) || testutil.ToFloat64(ds.m.depUp.WithLabelValues("s3")) != 1 {
		t.Error("a success in the scope that tripped did not end the outage")
	}
}

// While down, the gate blocks; the probe's first answer opens it, and the
// time paused is counted.
func TestDependencyProbe(t *testing.T) {
	ds := testDeps(t)
	ds.probeMin = 10 * time.Millisecond
	var mu sync.Mutex
	answering := false
	probe := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if answering {
			return nil
		}
		return errDown
	}
	for i := range 3 {
		ds.catalog.failed("", fmt.Sprint("p", i), errDown, probe)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ds.gate(ctx); err == nil {
		t.Fatal("the gate let work through while the catalog was down")
	}
	mu.Lock()
	answering = true
	mu.Unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ds.gate(ctx); err != nil {
		t.Fatalf("the gate stayed shut after the probe answered: %v", err)
	}
	if p := testutil.ToFloat64(ds.m.paused); p < 0.2 {
		t.Errorf("palette_paused_seconds_total = %v, want the 0.2 s or more paused", p)
	}
}

// Trips and recoveries racing each other leave the gauge and the paused
// count as the state.
func TestDependencyRace(t *testing.T) {
	for round := range 50 {
		ds := testDeps(t)
		d := ds.s3
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 20 {
					if (i+j)%3 == 0 {
						d.ok("b")
					} else {
						d.failed("b", fmt.Sprint(i, "-", j), errDown, func(context.Context) error { return errDown })
					}
				}
			}()
		}
		wg.Wait()
		down, _, _ := d.state()
		if g := testutil.ToFloat64(ds.m.depUp.WithLabelValues("s3")); (g == 0) != down {
			t.Fatalf("round %d: down %v but palette_dependency_up %v", round, down, g)
		}
		ds.mu.Lock()
		n := ds.nDown
		ds.mu.Unlock()
		if want := map[bool]int{true: 1, false: 0}[down]; n != want {
			t.Fatalf("round %d: %d dependencies counted down, want %d", round, n, want)
		}
	}
}

// Jobs that fail for themselves (three products the catalog cannot
// serve) keep their own probe failing: the fallback, asking the service as
// a whole, ends the pause once it has lasted fallbackAfter, and doubles
// that for the next time.
func TestDependencyFallback(t *testing.T) {
	ds := testDeps(t)
	ds.probeMin = 10 * time.Millisecond
	d := ds.catalog
	d.fallback = func(context.Context) error { return nil }
	d.fallbackAfter = 300 * time.Millisecond
	start := time.Now()
	for i := range 3 {
		d.failed("", fmt.Sprint("bad", i), errDown, func(context.Context) error { return errDown })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ds.gate(ctx); err != nil {
		t.Fatalf("the gate stayed shut: %v", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("the fallback ended the pause after %v, before fallbackAfter", took)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fallbackAfter != 600*time.Millisecond {
		t.Errorf("fallbackAfter %v after the fallback ended a pause, want doubled", d.fallbackAfter)
	}
}
