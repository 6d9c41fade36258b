package worker

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/palette-dev/palette"
	"github.com/palette-dev/palette/queue"
)

// minMemory is the smallest -memory budget: a 2000×2500 PNG decoded.
const minMemory = 32 << 20

// collectFrom is the smallest reservation collected before it goes back
// to the budget (a 2000×2500 PNG needs 25 MiB; a catalog JPEG about 1):
// a collection takes a few milliseconds against the second or so such a
// photo takes to decode.
const collectFrom = 16 << 20

// freeEvery is the shortest time between two returns of freed memory to
// the operating system.
const freeEvery = 10 * time.Second

// reserve waits until the memory the photo needs to be decoded
// (palette.MemoryNeeded: the data and the decoded pixels) fits in the
// budget and reserves it; release gives it back. A photo that needs more
// than the whole budget is a permanent error, and so is a header that
// cannot be read. A worker stopping does not start the decode.
func (w *Worker) reserve(ctx context.Context, data []byte, opts *palette.Options) (release func(), err error) {
	need, err := palette.MemoryNeeded(data, opts)
	if err != nil {
		return nil, queue.Permanent(err)
	}
	if need > w.cfg.Memory {
		return nil, queue.Permanent(fmt.Errorf("%w: the photo needs about %d MiB to decode, more than the worker's whole -memory budget of %d MiB",
			palette.ErrTooLarge, need>>20, w.cfg.Memory>>20))
	}
	t := time.Now()
	stop := queue.Stopping(ctx)
	select {
	case <-stop:
		return nil, fmt.Errorf("waiting for %d MiB of memory: %w", need>>20, queue.ErrShuttingDown)
	default:
	}
	if !w.mem.TryAcquire(need) { // the budget is spent: wait, unless the worker stops
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if stop != nil {
			go func() {
				select {
				case <-stop:
					cancel()
				case <-wctx.Done():
				}
			}()
		}
		if err := w.mem.Acquire(wctx, need); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("waiting for %d MiB of memory: %w", need>>20, queue.ErrShuttingDown)
		}
	}
	w.m.stage.WithLabelValues("memory").Observe(time.Since(t).Seconds())
	w.m.memReserved.Set(float64(w.memUsed.Add(need)))
	return func() {
		if need >= collectFrom {
			// The photo's buffers are garbage now, but only a collection
			// frees them: without one the next large photo would be
			// allocated beside them, and the heap would hold both.
			runtime.GC()
		}
		w.mem.Release(need)
		left := w.memUsed.Add(-need)
		w.m.memReserved.Set(float64(left))
		if left == 0 {
			w.freeIdle()
		}
	}, nil
}

// freeIdle returns freed memory to the operating system when no photo is
// held, at most once every freeEvery (a call too soon is put off to then,
// if still idle): after a burst of large photos the heap the runtime keeps
// would otherwise stay resident while idle.
func (w *Worker) freeIdle() {
	wait := time.Duration(w.freed.Load() + int64(freeEvery) - time.Now().UnixNano())
	if wait <= 0 {
		w.freed.Store(time.Now().UnixNano())
		go debug.FreeOSMemory()
		return
	}
	if w.freePending.CompareAndSwap(false, true) {
		time.AfterFunc(wait, func() {
			w.freePending.Store(false)
			if w.memUsed.Load() == 0 {
				w.freeIdle()
			}
		})
	}
}

// Memory is the worker's memory budget in bytes (Config.Memory with its
// default applied).
func (w *Worker) Memory() int64 { return w.cfg.Memory }
