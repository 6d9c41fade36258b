package testinfra

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// CheckREADMEFlags fails t unless the flag table of the README section
// that starts at the heading start (rows "| `-name` | …") lists exactly
// the flags a command's -h output (usage) lists ("  -name …" lines).
func CheckREADMEFlags(t testing.TB, readme, start, usage string) {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("%s has no %q", readme, start)
	}
	section := s[i:]
	if j := strings.Index(section[len(start):], "\n#"); j >= 0 {
		section = section[:len(start)+j]
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(-[a-z0-9-]+)").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  (-[a-z0-9-]+)`).FindAllStringSubmatch(usage, -1) {
		listed[m[1]] = true
	}
	if len(listed) < 5 {
		t.Fatalf("read only %d flags from -h:\n%s", len(listed), usage)
	}
	for f := range listed {
		if !documented[f] {
			t.Errorf("%s is in -h but not in the README's %q", f, start)
		}
	}
	for f := range documented {
		if !listed[f] {
			t.Errorf("%s is in the README's %q but not in -h", f, start)
		}
	}
}
