package queue

import (
	"sort"
	"sync"
)

// tracker follows the fetched messages of each partition and tells which
// offset may be committed: one past the highest offset below which every
// fetched message has finished. It is safe for concurrent use.
type tracker struct {
	mu    sync.Mutex
	parts map[int]*partTrack
}

type partTrack struct {
	pending   []pendingMsg // fetched, not yet below the frontier; sorted by offset
	frontier  int64        // next offset to commit; -1 if none yet
	committed int64        // last offset committed to the broker; -1 if none
}

type pendingMsg struct {
	off  int64
	done bool
}

func newTracker() *tracker { return &tracker{parts: map[int]*partTrack{}} }

// add records a fetched message. Offsets normally arrive in order; a
// redelivered (older) offset is inserted in place.
func (t *tracker) add(partition int, off int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.parts[partition]
	if p == nil {
		p = &partTrack{frontier: -1, committed: -1}
		t.parts[partition] = p
	}
	i := sort.Search(len(p.pending), func(i int) bool { return p.pending[i].off > off })
	p.pending = append(p.pending, pendingMsg{})
	copy(p.pending[i+1:], p.pending[i:])
	p.pending[i] = pendingMsg{off: off}
}

// done marks a message finished and reports whether the partition's
// frontier moved.
func (t *tracker) done(partition int, off int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.parts[partition]
	if p == nil {
		return false
	}
	for i := range p.pending {
		if p.pending[i].off == off && !p.pending[i].done {
			p.pending[i].done = true
			break
		}
	}
	n := 0
	for n < len(p.pending) && p.pending[n].done {
		n++
	}
	if n == 0 {
		return false
	}
	next := p.pending[n-1].off + 1
	p.pending = append(p.pending[:0], p.pending[n:]...)
	if next > p.frontier {
		p.frontier = next
		return true
	}
	return false
}

// committable returns, per partition, the frontier offsets not yet committed.
func (t *tracker) committable() map[int]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[int]int64{}
	for part, p := range t.parts {
		if p.frontier > p.committed {
			out[part] = p.frontier
		}
	}
	return out
}

// committed records that offsets were committed.
func (t *tracker) markCommitted(offsets map[int]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for part, off := range offsets {
		if p := t.parts[part]; p != nil && off > p.committed {
			p.committed = off
		}
	}
}
