package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palette-dev/palette/internal/testinfra"
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
	testinfra.CheckREADMEFlags(t, "../../README.md", "## palette-worker", string(usage))
}

// Run under the name palettecli (a link to it, as in the container image),
// palette-worker is palettecli.
func TestRunAsPalettecli(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "palette-worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	link := filepath.Join(dir, "palettecli")
	if err := os.Symlink("palette-worker", link); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(link, "-h").CombinedOutput()
	if !strings.Contains(string(out), "palettecli makes colour swatches") {
		t.Errorf("palettecli -h through the link: %s", out)
	}
	out, _ = exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(out), "-brokers") || strings.Contains(string(out), "palettecli makes") {
		t.Errorf("palette-worker -h: %s", out)
	}
}
