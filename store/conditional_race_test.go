package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestS3ConditionalRace measures what the S3 server does with conditional
// writes racing on one key: with If-None-Match "*" on a new key, and with
// If-Match on the same ETag, at most one of N writers may win.
func TestS3ConditionalRace(t *testing.T) {
	s := swatchesS3(t)
	ctx := context.Background()
	if err := s.Put(ctx, "swatches", "same", []byte("abc"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Stat(ctx, "swatches", "same")
	if err := s.Put(ctx, "swatches", "same", []byte("abc"), PutOptions{Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Stat(ctx, "swatches", "same")
	// The ETag hashes the bytes only (MD5, as AWS's for a single PUT):
	// If-Match cannot tell two versions with the same bytes apart, which
	// is why a manual swatch carries a unique marker (package review).
	t.Logf("same bytes written twice (the second with metadata): ETags %s and %s", a.ETag, b.ETag)
	if a.ETag != b.ETag {
		t.Logf("this server's ETag is not a hash of the bytes alone")
	}

	const writers, rounds = 8, 20
	for _, mode := range []string{"if-none-match", "if-match"} {
		multi := 0
		for r := range rounds {
			key := fmt.Sprintf("%s/%d", mode, r)
			var o PutOptions
			if mode == "if-none-match" {
				o.IfNoneMatch = "*"
			} else {
				if err := s.Put(ctx, "swatches", key, []byte("base"), PutOptions{}); err != nil {
					t.Fatal(err)
				}
				info, err := s.Stat(ctx, "swatches", key)
				if err != nil {
					t.Fatal(err)
				}
				o.IfMatch = info.ETag
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					err := s.Put(ctx, "swatches", key, []byte(fmt.Sprintf("writer %d", i)), o)
					switch {
					case err == nil:
						wins.Add(1)
					case !errors.Is(err, ErrPreconditionFailed):
						t.Errorf("%s: %v", mode, err)
					}
				})
			}
			wg.Wait()
			if wins.Load() == 0 {
				t.Errorf("%s round %d: no writer won", mode, r)
			}
			if wins.Load() > 1 {
				multi++
			}
		}
		t.Logf("%s: %d of %d rounds of %d racing writers had more than one winner", mode, multi, rounds, writers)
		if multi > 0 {
			t.Errorf("%s: conditional writes are not atomic on this server", mode)
		}
	}
}
