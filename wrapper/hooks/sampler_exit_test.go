package hooks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// runSampled runs py with args, the sampler on and no stop pipe (the proxy
// off), as the wrapper execs it, and returns stdout, stderr and the exit
// status (-1: killed by a signal).
func runSampled(dir string, intervalUs int, py string, args ...string) (string, string, int, error) {
	cmd := exec.Command("sh", append([]string{"-c", `COLDPROF_SAMPLER_PID=$$ exec "$@"`, "sh", py}, args...)...)
	cmd.Env = append(os.Environ(), pythonSamplerEnv(dir, intervalUs, "")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); ok {
		err = nil
	}
	if err != nil {
		return "", "", 0, err
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode(), nil
}

// TestPythonSamplerThreadEndsBeforeFinalization: once the sampler's atexit
// handler has run, its thread has ended (no _thread thread is left for
// Py_FinalizeEx to meet), on every Python the sampler supports. At a 50 ms
// interval the thread sleeps in poll() when the handler runs: before the
// handler waited for it, _thread._count() was 1 here in nearly every run.
func TestPythonSamplerThreadEndsBeforeFinalization(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	const probe = "import atexit, _thread, sys\natexit._run_exitfuncs()\nprint(_thread._count())\nsys.exit(3)"
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 3; i++ {
				stdout, stderr, code, err := runSampled(dir, 50000, py, "-c", probe)
				if err != nil {
					t.Fatal(err)
				}
				if code != 3 || strings.TrimSpace(stdout) != "0" {
					t.Fatalf("exit %d, threads left after the atexit handlers %q (want 3, 0); stderr:\n%s", code, stdout, stderr)
				}
				if s := decodeSampler(t, stderr); s.End == nil || s.End.StoppedBy != "exit" {
					t.Fatalf("end %+v, want stoppedBy exit", s.End)
				}
			}
		})
	}
}

// TestPythonSamplerNoCrashAtExit39: CPython 3.9 segfaulted at exit when the
// sampler thread had not started by the time Py_FinalizeEx freed the
// interpreter (t_bootstrap → _PyThreadState_Init read the freed state).
// The program exits right after start-up and makes the C-level exit yield
// the CPU (on_exit(sched_yield), as a library's exit work would), so a
// thread still pending runs in that window. Before the fix this crashed in
// 6 of 400 runs (1.5 %; ~0.2 % without the yields, 3 of 300 in the fault
// matrix): 200 runs fail with a probability of about 95 %; the fix made 0
// of 400+. 2 runs at a time, ~5 s of CPU.
func TestPythonSamplerNoCrashAtExit39(t *testing.T) {
	fullTier(t)
	home, _ := os.UserHomeDir()
	m, _ := filepath.Glob(filepath.Join(home, ".pyenv", "versions", "3.9.*", "bin", "python"))
	if len(m) == 0 {
		t.Skip("no pyenv 3.9 (~/.pyenv/versions/3.9.*/bin/python): the crash this guards against is CPython 3.9's")
	}
	py := m[len(m)-1]
	dir := hookDir(t)
	const prog = "import ctypes, sys\nlibc = ctypes.CDLL(None)\nfor _ in range(3): libc.on_exit(libc.sched_yield, None)\nsys.exit(3)"
	const runs, parallel = 200, 2
	var mu sync.Mutex
	counts := map[int]int{}
	var bad string
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < runs/parallel; i++ {
				_, stderr, code, err := runSampled(dir, 5000, py, "-X", "importtime", "-c", prog)
				mu.Lock()
				counts[code]++
				if err != nil {
					stderr = err.Error()
				}
				if code != 3 && bad == "" {
					bad = stderr
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts[3] != runs {
		var got []string
		for code, n := range counts {
			got = append(got, strconv.Itoa(n)+"× exit "+strconv.Itoa(code))
		}
		t.Fatalf("%d runs of %s with the sampler: %s (want every one exit 3; -1: killed by a signal); stderr of one:\n%.2000s", runs, py, strings.Join(got, ", "), bad)
	}
}
