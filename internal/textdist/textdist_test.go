package textdist

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"colors", "colors", 3, 0},
		{"colours", "colors", 3, 1}, // a deletion
		{"colrs", "colors", 3, 1},   // an insertion
		{"clours", "colors", 3, 2},  // a swap and ...
		{"grye", "grey", 3, 1},      // a swap of neighbours
		{"navvyblue", "navyblue", 3, 1},
		{"abc", "xyz", 3, 3},
		{"abcdef", "uvwxyz", 2, 3}, // past the limit: limit+1
		{"", "abc", 5, 3},
	} {
		if got := Distance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}
