package main

import (
	"context"
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
