package runtimes

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/emulator"
	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

func TestRubyClient(t *testing.T) {
	fullTier(t)
	needTool(t, "ruby")
	rtDir := t.TempDir()
	entry, err := WriteRuby(rtDir)
	if err != nil {
		t.Fatal(err)
	}
	ruby, _ := exec.LookPath("ruby")
	app := testdataDir(t, "ruby", "app")
	log, results := coldStart(t, rtDir, app, "handler.handler", "ruby3.3", []string{`{"n":1}`, `{"n":2}`}, ruby, entry)
	for _, r := range results {
		if r.Status != emulator.StatusSuccess || !strings.Contains(string(r.Payload), `"lazy":"lazy"`) {
			t.Fatalf("invocation %s: %s %s\nlog:\n%s", r.RequestID, r.Status, r.Payload, log)
		}
	}
	cs := parseOne(t, log, parsers.Options{})
	if cs.Format != profile.FormatRubyRequire {
		t.Errorf("format %q", cs.Format)
	}
	checkPhases(t, cs, results, log, []wantPhase{
		{"/var/runtime/coldprof_runtime.rb", profile.PhaseRuntime},
		{"handler.rb", profile.PhaseInit}, {"lib/a.rb", profile.PhaseInit},
		{"lib/lazy.rb", profile.PhaseInvoke},
	})
}
