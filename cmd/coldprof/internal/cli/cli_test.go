package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// TestExitCode: each kind of error gets its status and is printed once,
// with the program name, also when wrapped.
func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"success", nil, 0, ""},
		{"help", fmt.Errorf("report: %w", ErrHelp), 0, ""},
		{"usage", Usagef("report: --top must be at least 1, not %d", 0), 2, "coldprof: report: --top must be at least 1, not 0\n"},
		{"wrapped usage", fmt.Errorf("run: %w", Usagef("--env %q: want KEY=VALUE", "X")), 2, "coldprof: run: --env \"X\": want KEY=VALUE\n"},
		{"exit with a message", ExitError{Code: 1, Msg: "diff: 1 of 2 gates failed"}, 1, "coldprof: diff: 1 of 2 gates failed\n"},
		{"silent exit", ExitError{Code: 1}, 1, ""},
		{"failure", errors.New("report: no cold start"), 1, "coldprof: report: no cold start\n"},
	} {
		var stderr bytes.Buffer
		if code := ExitCode(&stderr, tt.err); code != tt.code || stderr.String() != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.name, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}
