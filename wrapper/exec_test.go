package wrapper

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/google/go-cmp/cmp"
)

var writeLogs = flag.Bool("write-logs", false, "write the sample logs under testdata/wrapper from the exec tests")

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Proxy children outlive their runtime briefly; as a subreaper the test
	// process can reap them instead of leaving zombies behind.
	syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0)
	code := m.Run()
	reapOrphans()
	for _, dir := range []string{buildDir, arm64Dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// wrapperBinary builds cmd/coldprof-wrapper once for the exec tests.
func wrapperBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "coldprof-wrapper-test")
		if buildErr != nil {
			return
		}
		builtPath = filepath.Join(buildDir, "coldprof-wrapper")
		// Both binaries side by side, as the layer and `go install ./cmd/...`
		// put them: the wrapper starts the proxy found next to it. A plain
		// build, as `go install` makes it: both must be static without
		// CGO_ENABLED=0 (TestStaticBuilds).
		build := exec.Command(goTool(), "build", "-o", buildDir+"/", "../cmd/coldprof-wrapper", "../cmd/coldprof-proxy")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtPath
}

// proxyBinary is the coldprof-proxy built beside wrapperBinary.
func proxyBinary(t testing.TB) string {
	return filepath.Join(filepath.Dir(wrapperBinary(t)), ProxyName)
}

// pythons returns the real CPython 3.7+ interpreters on this machine, by
// label: Debian's /usr/bin/python3 and pyenv's versions.
func pythons(t testing.TB) map[string]string {
	found := map[string]string{}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		found["debian-python3"] = "/usr/bin/python3"
	}
	home, _ := os.UserHomeDir()
	matches, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions/3.*/bin/python3.*"))
	re := regexp.MustCompile(`/python3\.(\d+)$`)
	for _, m := range matches {
		sub := re.FindStringSubmatch(m)
		if sub == nil {
			continue
		}
		if minor, _ := strconv.Atoi(sub[1]); minor >= 7 {
			found["pyenv-python3."+sub[1]] = m
		}
	}
	if len(found) == 0 {
		t.Fatal("no CPython 3.7+ interpreter (/usr/bin/python3 or ~/.pyenv/versions/3.*) on this machine")
	}
	return found
}

// baseEnv is a small environment for the child: no proxy unless asked.
func baseEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8"}, extra...)
}

const argvScript = `import os, sys
print("argv", [os.fsencode(a).hex() for a in sys.argv[1:]])
print("pid", os.getpid())
sys.stderr.write("child stderr\n")
sys.exit(7)
`

func TestExecPythons(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	args := []string{"a b", "", `q"'`, "é日本", "\xff\xfe", "--", "-X"}
	var wantHex []string
	for _, a := range args {
		wantHex = append(wantHex, fmt.Sprintf("'%x'", a))
	}
	for label, py := range pythons(t) {
		t.Run(label, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{py, "-c", argvScript}, args...)...)
			cmd.Env = baseEnv("COLDPROF_PHASES=off", "_HANDLER=app.handler")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 7 {
				t.Fatalf("exit code %d (%v), want 7; stderr:\n%s", code, err, stderr.String())
			}
			wantOut := "argv [" + strings.Join(wantHex, ", ") + "]\npid " + strconv.Itoa(cmd.Process.Pid) + "\n"
			if diff := cmp.Diff(wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			evs, other := events(t, stderr.String())
			if len(evs) != 1 || evs[0].Kind != marker.Start || evs[0].Injected != "-X importtime" ||
				evs[0].Runtime != filepath.Base(py) || evs[0].Handler != "app.handler" || evs[0].Proxy {
				t.Errorf("want one start marker for %s, got %+v", filepath.Base(py), evs)
			}
			imports := 0
			for _, l := range other {
				if strings.HasPrefix(l, "import time:") {
					imports++
				}
			}
			if imports < 10 || !strings.Contains(stderr.String(), "child stderr\n") {
				t.Errorf("%d import time lines, want many, and the child's own stderr; stderr:\n%s", imports, stderr.String())
			}
		})
	}
}

// The runtime is the same process as the wrapper: a signal sent to the PID
// the bootstrap started reaches the interpreter's handler.
func TestExecSignal(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	py := pythons(t)
	interp := py["debian-python3"]
	for _, v := range py {
		if interp == "" {
			interp = v
		}
	}
	script := `import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))
print(os.getpid(), flush=True)
time.sleep(30)
`
	cmd := exec.Command(bin, interp, "-c", script)
	cmd.Env = baseEnv("COLDPROF_PHASES=off")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	if got := strings.TrimSpace(line); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("interpreter pid %s, wrapper pid %d: not the same process", got, cmd.Process.Pid)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Errorf("exit code %d, want 42 from the SIGTERM handler", code)
	}
}

func TestExecFailures(t *testing.T) {
	bin := wrapperBinary(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "python3.12")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	next := filepath.Join(dir, "next wrapper")
	os.WriteFile(next, []byte("#!/bin/sh\necho \"next wrapper: $1 $2 $3\" >&2\nexec \"$@\"\n"), 0o755)
	tests := []struct {
		name     string
		argv     []string
		env      []string
		wantCode int
		wantErr  string
	}{
		{"missing interpreter", []string{"/nonexistent/python3.12", "/var/runtime/bootstrap.py"}, nil, 127,
			"coldprof-wrapper: /nonexistent/python3.12: does not exist (no such file or directory)\n"},
		{"not executable", []string{notExec, "x"}, nil, 126,
			"coldprof-wrapper: " + notExec + ": is not an executable (permission denied)\n"},
		{"no command", nil, nil, 127, "coldprof-wrapper: no command to run\n"},
		{"relative missing", []string{"python3.99", "-c", "pass"}, nil, 127,
			"coldprof-wrapper: python3.99: does not exist (no such file or directory)\n"},
		{"unknown runtime runs unchanged", []string{"/bin/sh", "-c", `printf '%s|' "$@" >&2; exit 3`, "sh", "a b", ""}, nil, 3,
			"a b||"},
		{"next wrapper chained", []string{"/bin/sh", "-c", "exit 4"}, []string{"COLDPROF_NEXT_WRAPPER=" + next}, 4,
			"next wrapper: /bin/sh -c exit 4\n"},
		{"next wrapper missing", []string{"/bin/sh", "-c", "exit 5"}, []string{"COLDPROF_NEXT_WRAPPER=/nonexistent/next"}, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.argv...)
			cmd.Env = baseEnv(append(tt.env, "COLDPROF_PHASES=off")...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			_, other := events(t, stderr.String())
			if diff := cmp.Diff(tt.wantErr, strings.Join(other, "")); diff != "" {
				t.Errorf("stderr besides markers (-want +got):\n%s", diff)
			}
		})
	}
}

// A broken stderr (nobody reading) must not stop the runtime from
// starting: the markers are lost, the program runs and its exit status and
// stdout pass through.
func TestExecBrokenStderr(t *testing.T) {
	bin := wrapperBinary(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(bin, "/bin/sh", "-c", "echo out; exit 3")
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API=127.0.0.1:9")
	cmd.Stderr = w
	out, _ := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 3 || string(out) != "out\n" {
		t.Errorf("exit %d, stdout %q; want 3, \"out\\n\" (status %v)", code, out, cmd.ProcessState)
	}
}

// lineKinds reduces a run's stderr to what the order test compares: marker
// kinds (with request ID), the runtime's own lines, and the handler-time
// import of decimal; other import time lines are dropped.
func lineKinds(t *testing.T, stderr string) []string {
	var out []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "coldprof-sampler: "): // the sampler's lines: checked in wrapper/hooks
		case strings.HasPrefix(line, marker.Prefix):
			e, err := marker.Parse([]byte(line))
			if err != nil {
				t.Fatalf("bad marker %q: %v", line, err)
			}
			s := string(e.Kind)
			if e.RequestID != "" {
				s += " " + e.RequestID
			}
			if e.Status != "" || e.Message != "" {
				s += " " + e.Status + e.Message
			}
			out = append(out, s)
		case strings.HasPrefix(line, "import time:"):
			if strings.HasSuffix(strings.TrimSpace(line), "| decimal") {
				out = append(out, "import decimal")
			}
		default:
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// findProxies lists the PIDs of live (not zombie) proxy processes started
// by the wrapper bin (from the coldprof-proxy beside it). A proxy for
// another architecture run through binfmt_misc's qemu-user (arm64_test.go)
// shows as "<qemu> <path> <argv0>" with the P flag (argv[0] kept), else as
// "<qemu> <path>".
func findProxies(bin string) []int {
	bin = filepath.Join(filepath.Dir(bin), ProxyName)
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
		native := len(args) == 1 && args[0] == bin
		emulated := (len(args) == 2 || len(args) == 3 && args[2] == bin) && strings.Contains(args[0], "qemu") && args[1] == bin
		if !native && !emulated {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids
}

// A proxyOrderCase is one run of a runtime through the wrapper and its
// proxy against the fake Runtime API: testdata/wrapper/runtime.py's
// arguments, the events queued, and the stderr lines wanted (lineKinds).
type proxyOrderCase struct {
	name   string
	args   []string
	events []string
	want   []string
}

var proxyOrderCases = []proxyOrderCase{
	{
		"two invocations", []string{"2"}, []string{"id-1", "id-2"},
		[]string{
			"start", "runtime: init", "init_done",
			"invoke_start id-1", "runtime: handling id-1", "import decimal", "invoke_end id-1 response", "runtime: done id-1 202",
			"invoke_start id-2", "runtime: handling id-2", "invoke_end id-2 response", "runtime: done id-2 202",
		},
	},
	{
		"init error", []string{"0", "init-error"}, nil,
		[]string{"start", "runtime: init", "init_error Runtime.ImportModuleError", "runtime: init error posted 202"},
	},
}

// A real Python runtime behind the real wrapper binary and its proxy child,
// against the fake Runtime API: markers land between the runtime's own
// lines exactly, the runtime waits on next before the event exists, and the
// proxy exits with the runtime.
func TestExecProxyOrder(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	py := pythons(t)
	labels := make([]string, 0, len(py))
	for l := range py {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, label := range labels {
		for _, tt := range proxyOrderCases {
			t.Run(label+"/"+tt.name, func(t *testing.T) {
				stderr := runProxyOrder(t, bin, py[label], tt)
				if *writeLogs && tt.name == "two invocations" {
					name := filepath.Join("..", "testdata", "wrapper", label+"-proxy.log")
					if err := os.WriteFile(name, []byte(stderr), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// runProxyOrder runs tt with the wrapper bin (and the coldprof-proxy beside
// it) in front of the Python py, checks the order of stderr's lines, the
// requests the API received (each event's body posted back as the response,
// or the init error) and that the proxy exits with the runtime, and
// returns stderr.
func runProxyOrder(t *testing.T, bin, py string, tt proxyOrderCase) string {
	t.Helper()
	f := fakeapi.New(t)
	cmd := exec.Command(bin, append([]string{py, "../testdata/wrapper/runtime.py"}, tt.args...)...)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API="+f.Addr(), "AWS_EXECUTION_ENV=AWS_Lambda_"+filepath.Base(py), "_HANDLER=app.handler")
	var stderr fakeapi.LockedBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second // the proxy child holds stderr until it exits
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The runtime is waiting on next before any event exists.
	deadline := time.Now().Add(20 * time.Second)
	for len(tt.events) > 0 && !strings.Contains(stderr.String(), `"ev":"init_done"`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	proxies := findProxies(bin)
	if len(tt.events) > 0 && len(proxies) != 1 {
		t.Errorf("want one live proxy process while the runtime runs, found %v", proxies)
	}
	body := `{"n":1}`
	for _, id := range tt.events {
		f.Events <- fakeapi.Event{ID: id, Body: body}
	}
	err := cmd.Wait()
	if err == exec.ErrWaitDelay {
		t.Errorf("stderr stayed open 10 s after the runtime exited: the proxy did not exit")
	}
	if diff := cmp.Diff(tt.want, lineKinds(t, stderr.String())); diff != "" {
		t.Errorf("stderr order (-want +got):\n%s\nfull stderr:\n%s", diff, stderr.String())
	}
	// What reached the API through the proxy: runtime.py posts each
	// event's body back as its response.
	var want, got []string
	for _, id := range tt.events {
		want = append(want, "GET "+fakeapi.Prefix+"/runtime/invocation/next",
			fmt.Sprintf("POST %s/runtime/invocation/%s/response %x", fakeapi.Prefix, id, sha256.Sum256([]byte(body))))
	}
	if len(tt.events) == 0 {
		want = append(want, "POST "+fakeapi.Prefix+"/runtime/init/error Runtime.ImportModuleError")
	}
	for _, r := range f.Requests() {
		s := r.Method + " " + r.Path
		switch {
		case strings.HasSuffix(r.Path, "/response"):
			s += fmt.Sprintf(" %x", r.BodySHA)
		case strings.HasSuffix(r.Path, "/init/error"):
			s += " " + r.Header.Get("Lambda-Runtime-Function-Error-Type")
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests the API received (-want +got):\n%s", diff)
	}
	if m := startMarker(t, stderr.String()); m.Arch != markerArch(archOf(t, bin)) || !m.Proxy {
		t.Errorf("start marker %+v: want arch %q and the proxy on", m, markerArch(archOf(t, bin)))
	}
	for _, pid := range proxies {
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && slicesContains(findProxies(bin), pid); {
			time.Sleep(10 * time.Millisecond)
		}
		if slicesContains(findProxies(bin), pid) {
			t.Errorf("proxy %d still running after the runtime exited", pid)
		}
	}
	return stderr.String()
}

func slicesContains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
