package runtimes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/emulator"
	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/hooks"
)

// The end-to-end tests here run a cold start the way coldprof run does: the
// emulator's Runtime API, the real coldprof-wrapper (built from this module)
// with its proxy, the embedded hooks and runtime client, the real
// interpreter; then the log goes through the real parsers.

var (
	wrapperOnce sync.Once
	wrapperBin  string
	wrapperErr  error
)

func buildWrapper(t *testing.T) string {
	t.Helper()
	wrapperOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coldprof-runtimes-test")
		if err != nil {
			wrapperErr = err
			return
		}
		wrapperBin = filepath.Join(dir, "coldprof-wrapper")
		// go test puts its own GOROOT/bin first on PATH. The wrapper starts
		// the coldprof-proxy found next to it, as the layer ships them.
		out, err := exec.Command("go", "build", "-o", dir+"/", "github.com/coldprof/coldprof/cmd/coldprof-wrapper", "github.com/coldprof/coldprof/cmd/coldprof-proxy").CombinedOutput()
		if err != nil {
			wrapperErr = err
			t.Logf("go build: %s", out)
		}
	})
	if wrapperErr != nil {
		t.Fatalf("building coldprof-wrapper: %v", wrapperErr)
	}
	return wrapperBin
}

func needTool(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

func testdataDir(t *testing.T, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"..", "..", "..", "..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// coldStart runs command through the wrapper under the emulator, sends
// events and returns the log and the invocation results.
func coldStart(t *testing.T, runtimeDir, taskRoot, handler, execEnv string, events []string, command ...string) (string, []emulator.Result) {
	t.Helper()
	hookDir := filepath.Join(t.TempDir(), "hooks")
	if err := hooks.WriteDir(hookDir); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "function.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	emu, err := emulator.New(emulator.Config{Log: logFile, InitTimeout: 60 * time.Second, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	cmd := exec.Command(buildWrapper(t), command...)
	cmd.Dir = taskRoot
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+emu.Addr(), "_HANDLER="+handler, "LAMBDA_TASK_ROOT="+taskRoot,
		"LAMBDA_RUNTIME_DIR="+runtimeDir, "AWS_EXECUTION_ENV=AWS_Lambda_"+execEnv, "COLDPROF_HOOK_DIR="+hookDir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	emu.BeginInit()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		emu.RuntimeExited("exited")
		close(exited)
	}()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	readLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	if err := emu.WaitInit(ctx); err != nil {
		t.Fatalf("init: %v\nlog:\n%s", err, readLog())
	}
	var results []emulator.Result
	for _, ev := range events {
		r, err := emu.Invoke(ctx, emulator.Event{Payload: []byte(ev)})
		if err != nil {
			t.Fatalf("invoke: %v\nlog:\n%s", err, readLog())
		}
		results = append(results, r)
	}
	return readLog(), results
}

// parseOne reads the log and returns its single cold start.
func parseOne(t *testing.T, log string, opts parsers.Options) *profile.ColdStart {
	t.Helper()
	p, err := parsers.ReadAll(strings.NewReader(log), "function.log", opts)
	if err != nil {
		t.Fatalf("parsing: %v\nlog:\n%s", err, log)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1\nlog:\n%s", len(p.ColdStarts), log)
	}
	for _, w := range p.Warnings {
		t.Logf("parser warning: %s", w)
	}
	return p.ColdStarts[0]
}

// phaseOf finds the phase and request ID of the first entry named name, at
// any depth.
func phaseOf(cs *profile.ColdStart, name string) (profile.Phase, string, bool) {
	var phase profile.Phase
	var requestID string
	found := false
	cs.Walk(func(imp *profile.Import, _ int) bool {
		if !found && imp.Name == name {
			phase, requestID, found = imp.Phase, imp.RequestID, true
		}
		return !found
	})
	return phase, requestID, found
}

type wantPhase struct {
	name  string
	phase profile.Phase
}

func checkPhases(t *testing.T, cs *profile.ColdStart, results []emulator.Result, log string, want []wantPhase) {
	t.Helper()
	if cs.Boundary != profile.BoundaryExact {
		t.Errorf("boundary %q, want exact", cs.Boundary)
	}
	for _, w := range want {
		phase, id, ok := phaseOf(cs, w.name)
		if !ok {
			t.Errorf("%s: no entry\nlog:\n%s", w.name, log)
			continue
		}
		if phase != w.phase {
			t.Errorf("%s: phase %q, want %q", w.name, phase, w.phase)
		}
		if w.phase == profile.PhaseInvoke && id != results[0].RequestID {
			t.Errorf("%s: request ID %q, want the first invocation's %q", w.name, id, results[0].RequestID)
		}
	}
}

func TestNodeClient(t *testing.T) {
	needTool(t, "node")
	rtDir := t.TempDir()
	entry, err := WriteNode(rtDir)
	if err != nil {
		t.Fatal(err)
	}
	node, _ := exec.LookPath("node")
	app := testdataDir(t, "node", "app")
	for _, tc := range []struct {
		handler string
		want    []wantPhase
	}{
		{"index.handler", []wantPhase{
			{"index.js", profile.PhaseInit}, {"lib/a.js", profile.PhaseInit}, {"fakepkg/lib/index.js", profile.PhaseInit},
			{"lib/lazy.js", profile.PhaseInvoke}, {"node:os", profile.PhaseInvoke},
		}},
		{"handler.handler", []wantPhase{
			{"handler.mjs", profile.PhaseInit}, {"esm/dep.mjs", profile.PhaseInit}, {"fakepkg/lib/index.js", profile.PhaseInit},
			{"esm/lazy.mjs", profile.PhaseInvoke},
		}},
	} {
		t.Run(tc.handler, func(t *testing.T) {
			if tc.handler == "handler.handler" {
				t.Setenv("COLDPROF_NODE_ESM", "1") // the machine's Node 20 times ES modules only when asked
			}
			log, results := coldStart(t, rtDir, app, tc.handler, "nodejs20.x", []string{`{"n":1}`, `{"n":2}`}, node, entry)
			for _, r := range results {
				if r.Status != emulator.StatusSuccess || !strings.Contains(string(r.Payload), `"event":{"n":`) {
					t.Fatalf("invocation %s: %s %s\nlog:\n%s", r.RequestID, r.Status, r.Payload, log)
				}
			}
			cs := parseOne(t, log, parsers.Options{})
			if cs.Format != profile.FormatNodeRequire {
				t.Errorf("format %q", cs.Format)
			}
			checkPhases(t, cs, results, log, tc.want)
		})
	}
}
