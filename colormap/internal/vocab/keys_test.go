package vocab_test

import (
	"strings"
	"testing"

	"github.com/palette-dev/palette/colormap"
	"github.com/palette-dev/palette/colormap/internal/vocab"
)

// TestKeysAreNormalized checks every key against colormap.Normalize: each
// entry's display name comes from the list that gave the key, so the key is
// the name's. A failure means Normalize changed (run go generate) or the
// table's key compression disagrees with the generator's.
func TestKeysAreNormalized(t *testing.T) {
	keys := vocab.Keys()
	if len(keys) != vocab.Len() {
		t.Fatalf("%d keys, Len() = %d", len(keys), vocab.Len())
	}
	bad := 0
	for _, key := range keys {
		e, ok := vocab.Lookup(key)
		if want := strings.ReplaceAll(colormap.Normalize(e.Name), " ", ""); !ok || key != want {
			if bad++; bad <= 10 {
				t.Errorf("key %q for name %q, want %q", key, e.Name, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d keys differ from their normalised names", bad)
	}
}
