package vocab

import (
	"maps"
	"slices"
)

// Keys returns every key of the table, sorted, for the tests of package vocab_test.
func Keys() []string { return slices.Sorted(maps.Keys(load().index)) }
