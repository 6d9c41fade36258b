package testinfra

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcStatusKB reads a "kB" field of /proc/<pid>/status, such as "VmRSS"
// (the resident set) or "VmHWM" (its peak), in kB.
func ProcStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
