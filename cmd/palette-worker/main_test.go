package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// -unknown-names takes flag or fail, also from PALETTE_UNKNOWN_NAMES; a bad
// value stops the worker before it connects to anything.
func TestUnknownNamesFlag(t *testing.T) {
	err := run(context.Background(), []string{"-brokers", "127.0.0.1:1", "-unknown-names", "maybe"})
	if err == nil || !strings.Contains(err.Error(), `-unknown-names "maybe": want flag or fail`) {
		t.Errorf("flag: err = %v", err)
	}
	t.Setenv("PALETTE_UNKNOWN_NAMES", "sometimes")
	err = run(context.Background(), []string{"-brokers", "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("env: err = %v", err)
	}
}

// The README's flag table lists every flag palette-worker -h does, and no
// other.
func TestREADMEFlags(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	runErr := run(context.Background(), []string{"-h"})
	os.Stderr = stderr
	w.Close()
	usage, _ := io.ReadAll(r)
	if !errors.Is(runErr, flag.ErrHelp) {
		t.Fatalf("-h: %v", runErr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## palette-worker")
	end := strings.Index(s[start:], "\n## ")
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(-[a-z0-9-]+)").FindAllStringSubmatch(s[start:start+end], -1) {
		documented[m[1]] = true
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  (-[a-z0-9-]+)`).FindAllStringSubmatch(string(usage), -1) {
		listed[m[1]] = true
	}
	if len(listed) < 10 {
		t.Fatalf("read only %d flags from -h:\n%s", len(listed), usage)
	}
	for f := range listed {
		if !documented[f] {
			t.Errorf("%s is in palette-worker -h but not in the README", f)
		}
	}
	for f := range documented {
		if !listed[f] {
			t.Errorf("%s is in the README but not in palette-worker -h", f)
		}
	}
}
