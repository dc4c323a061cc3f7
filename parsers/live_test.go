package parsers

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestLiveInterpreters runs the interpreters installed here with their
// load-time output on (CPython's -X importtime, coldprof's Node.js and Ruby
// require hooks from wrapper/hooks) and reads what they print, so a change
// of format on either side shows up here.
func TestLiveInterpreters(t *testing.T) {
	fullTier(t)
	hooks := filepath.Join("..", "wrapper", "hooks")
	tests := []struct {
		name   string
		argv   []string
		prefix string
		format profile.Format
	}{
		{"python3", []string{"python3", "-X", "importtime", "-c", "import json, email.mime.text"}, "import time:", profile.FormatPythonImporttime},
		{"node", []string{"node", "--require", filepath.Join(hooks, "node", "coldprof-require.cjs"), "-e", `require("util"); require("assert")`}, "node require:", profile.FormatNodeRequire},
		{"ruby", []string{"ruby", "-r" + filepath.Join(hooks, "ruby", "coldprof_require.rb"), "-e", `require "json"; require "set"`}, "ruby require:", profile.FormatRubyRequire},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.argv[0]); err != nil {
				t.Fatalf("%s is not installed", tt.argv[0])
			}
			var stderr bytes.Buffer
			cmd := exec.Command(tt.argv[0], tt.argv[1:]...)
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", tt.argv, err, stderr.Bytes())
			}
			p, warnings, err := parse(t, stderr.String(), Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.Bytes())
			}
			if len(warnings) != 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if len(p.ColdStarts) != 1 {
				t.Fatalf("%d cold starts", len(p.ColdStarts))
			}
			cs := p.ColdStarts[0]
			lines := bytes.Count(stderr.Bytes(), []byte(tt.prefix)) - 1 // less the header
			if got := countEntries(cs); got != lines || lines < 2 {
				t.Errorf("%d entries from %d lines", got, lines)
			}
			if cs.Format != tt.format {
				t.Errorf("format %s", cs.Format)
			}
			checkTimes(t, cs)
		})
	}
}
