package wrapper

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/marker"
)

// openFDs lists this process's open descriptors, to catch leaks.
func openFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var fds []string
	for _, e := range ents {
		fds = append(fds, e.Name())
	}
	sort.Strings(fds)
	return fds
}

// The proxy binary cannot be exec'd: startProxyExe must say so (naming the
// path) and leave no descriptor behind, and Run must then exec the runtime
// against the real Runtime API with a warning marker.
func TestStartProxyExecFails(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// An ELF header for the other architecture the layer ships (the x86_64
	// layer on an arm64 function, or the reverse).
	otherArch := filepath.Join(dir, "other-arch")
	other := elfMachine["arm64"]
	if runtime.GOARCH == "arm64" {
		other = elfMachine["amd64"]
	}
	header := make([]byte, 64)
	copy(header, "\x7fELF\x02\x01\x01")
	header[18], header[19] = byte(other), byte(other>>8)
	if err := os.WriteFile(otherArch, header, 0o755); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, header[:20], 0o755); err != nil {
		t.Fatal(err)
	}
	// The proxy is exec'd after the runtime, when nothing can fall back:
	// whatever execve would refuse must be refused before.
	tests := []struct {
		name, exe string
		errno     syscall.Errno
	}{
		{"missing", filepath.Join(t.TempDir(), "gone", ProxyName), syscall.ENOENT},
		{"not executable", notExec, syscall.EACCES},
		{"directory", dir, syscall.EACCES},
		{"script", script, syscall.ENOEXEC},
		{"other architecture", otherArch, syscall.ENOEXEC},
		{"truncated header", short, syscall.ENOEXEC},
	}
	for _, tt := range tests {
		for _, sampler := range []bool{false, true} {
			t.Run(tt.name+"/sampler="+strconv.FormatBool(sampler), func(t *testing.T) {
				before := openFDs(t)
				spec := proxySpec{argv: []string{tt.exe}, upstream: "169.254.100.1:9001", invokeMarkers: 1, sampler: sampler}
				s, err := startProxyExe(spec)
				if err == nil {
					t.Fatalf("startProxyExe(%q) = %+v, want an error", tt.exe, s)
				}
				if !errors.Is(err, tt.errno) || !strings.Contains(err.Error(), tt.exe) {
					t.Errorf("error %q: want %v naming %s", err, tt.errno, tt.exe)
				}
				if after := openFDs(t); strings.Join(after, " ") != strings.Join(before, " ") {
					t.Errorf("descriptors leaked: before %v, after %v", before, after)
				}

				var stderr strings.Builder
				var execEnv []string
				w := Wrapper{
					Stderr: &stderr,
					Exec:   func(path string, argv, env []string) error { execEnv = env; return nil },
					StartProxy: func(upstream string, n int, env []string) ([]string, error) {
						spec := spec
						spec.upstream, spec.invokeMarkers = upstream, n
						_, err := startProxyExe(spec)
						return nil, err
					},
					Now:    time.Now,
					Random: func() float64 { return 0 },
				}
				env := []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12", "AWS_LAMBDA_RUNTIME_API=169.254.100.1:9001", "COLDPROF_SAMPLER=off"} // no hook directory here
				if code := w.Run([]string{"coldprof-wrapper", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}, env); code != 0 {
					t.Fatalf("Run = %d, want 0; stderr:\n%s", code, stderr.String())
				}
				if api, _ := lookupEnv(execEnv, envRuntimeAPI); api != "169.254.100.1:9001" {
					t.Errorf("runtime got %s=%q, want the real API", envRuntimeAPI, api)
				}
				if _, ok := lookupEnv(execEnv, samplerFDVar); ok {
					t.Errorf("runtime got %s without a proxy", samplerFDVar)
				}
				evs, _ := events(t, stderr.String())
				if len(evs) != 2 || evs[0].Kind != marker.Warning || !strings.Contains(evs[0].Message, "proxy not started") || evs[1].Kind != marker.Start || evs[1].Proxy {
					t.Errorf("markers %+v: want a proxy warning, then a start marker without proxy", evs)
				}
			})
		}
	}
}

// An upstream the proxy could not dial (a host name) is refused before any
// process is started, so the runtime talks to the real API.
func TestStartProxyBadUpstream(t *testing.T) {
	before := openFDs(t)
	env, err := StartProxy("runtime.example:9001", 1, []string{"A=1"})
	if err == nil || env != nil {
		t.Fatalf("StartProxy with a host name = %v, %v; want an error", env, err)
	}
	if after := openFDs(t); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("descriptors leaked: before %v, after %v", before, after)
	}
}

// The real proxy binary started by startProxyExe serves the runtime's
// requests on the handed-over listener, holds neither stdin nor stdout
// (only stderr, for markers), and exits once the runtime's end of the exit
// pipe is closed (the runtime has gone).
func TestStartProxyServesAndExits(t *testing.T) {
	fullTier(t)
	bin := proxyBinary(t)
	api := fakeapi.New(t)
	s, err := startProxyExe(proxySpec{argv: []string{bin}, upstream: api.Addr(), invokeMarkers: 1, exitPipe: true})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(s.release) // as the wrapper's exec would: the proxy starts
	api.Events <- fakeapi.Event{ID: "id-1", Body: `{"n":1}`}
	resp, err := http.Get("http://" + s.addr + fakeapi.Prefix + "/runtime/invocation/next")
	if err != nil {
		syscall.Close(s.exitEnd)
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); got != "id-1" || string(body) != `{"n":1}` {
		t.Errorf("through the proxy: request ID %q, body %q; want id-1, {\"n\":1}", got, body)
	}
	for fd, want := range []string{"/dev/null", "/dev/null"} {
		if got, err := os.Readlink("/proc/" + strconv.Itoa(s.pid) + "/fd/" + strconv.Itoa(fd)); got != want {
			t.Errorf("proxy's descriptor %d is %q (%v), want %s", fd, got, err, want)
		}
	}
	syscall.Close(s.exitEnd)
	waitGone(t, s.pid)
}

// The proxy is exec'd only once the wrapper has exec'd the runtime (the
// release descriptor closed): until then the child is still a copy of this
// process, and the runtime's connection waits in the listener's backlog.
func TestStartProxyWaitsForExec(t *testing.T) {
	fullTier(t)
	bin := proxyBinary(t)
	api := fakeapi.New(t)
	api.Events <- fakeapi.Event{ID: "id-1", Body: `{}`}
	// The thread that forks is SCHED_BATCH only around the clone: the
	// runtime, which the wrapper execs from it, keeps its own policy.
	runtime.LockOSThread()
	ours := schedPolicy(t, 0)
	s, err := startProxyExe(proxySpec{argv: []string{bin}, upstream: api.Addr(), invokeMarkers: 1, exitPipe: true})
	after := schedPolicy(t, 0)
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	if after != ours {
		t.Errorf("the forking thread's scheduling policy went from %d to %d", ours, after)
	}
	defer waitGone(t, s.pid)
	defer syscall.Close(s.exitEnd)
	self, _ := os.Executable()
	if exe, err := procExe(s.pid); exe != self {
		syscall.Close(s.release)
		t.Fatalf("before the release the child runs %q (%v), want still this test binary %s", exe, err, self)
	}
	// The waiting child is SCHED_BATCH (when this test runs SCHED_OTHER),
	// so that the wrapper's exec does not wake it into preempting the runtime.
	if ours == schedOther {
		if got := schedPolicy(t, s.pid); got != schedBatch {
			t.Errorf("waiting child's scheduling policy %d, want SCHED_BATCH (%d)", got, schedBatch)
		}
	}
	// The waiting child ignores the signals a function may send its
	// process group (proxyChild's rt_sigaction calls, with the kernel's
	// struct sigaction as kernelSigaction lays it out for this GOARCH).
	var group uint64
	for _, sig := range groupSignals {
		group |= 1 << (sig - 1)
	}
	for end := time.Now().Add(10 * time.Second); sigIgnored(t, s.pid)&group != group; time.Sleep(time.Millisecond) {
		if time.Now().After(end) { // hang guard only: the child sets them at once
			syscall.Close(s.release)
			t.Fatalf("the waiting child ignores signals %#x, want %#x (SIGHUP, SIGINT, SIGTERM, SIGQUIT) among them", sigIgnored(t, s.pid), group)
		}
	}
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + s.addr + fakeapi.Prefix + "/runtime/invocation/next")
		if err != nil {
			got <- err.Error()
			return
		}
		resp.Body.Close()
		got <- resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	}()
	syscall.Close(s.release)
	select {
	case id := <-got:
		if id != "id-1" {
			t.Errorf("through the proxy after the release: %q, want id-1", id)
		}
	case <-time.After(10 * time.Second): // hang guard only
		t.Fatal("no answer 10 s after the release")
	}
	// Serving, the proxy runs SCHED_OTHER again, every thread of it: a
	// relay must not wait behind other work for its turn.
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(s.pid) + "/task/*")
	if len(tasks) == 0 {
		t.Fatal("no threads of the proxy")
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(filepath.Base(task))
		if got := schedPolicy(t, tid); got != ours {
			t.Errorf("proxy thread %d has scheduling policy %d, want %d as this test", tid, got, ours)
		}
	}
}

// procExe is the program process pid runs: /proc/pid/exe, or, for a
// program run by qemu-user through binfmt_misc (the arm64 tests on amd64:
// arm64_test.go), where that is qemu, the program qemu runs (its argv[1]).
func procExe(pid int) (string, error) {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil || !strings.Contains(exe, "qemu") {
		return exe, err
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if args := strings.Split(string(cmdline), "\x00"); err == nil && len(args) > 1 {
		return args[1], nil
	}
	return exe, err
}

// sigIgnored is the set of signals process pid ignores (SigIgn in
// /proc/pid/status: bit n-1 for signal n).
func sigIgnored(t *testing.T, pid int) uint64 {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("SigIgn %q: %v", v, err)
			}
			return mask
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return 0
}

// schedPolicy is sched_getscheduler(tid) (0: the calling thread).
func schedPolicy(t *testing.T, tid int) int {
	t.Helper()
	policy, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
	if errno != 0 {
		t.Fatalf("sched_getscheduler(%d): %v", tid, errno)
	}
	return int(policy)
}

// The plain fork that architectures other than amd64 use (cloneVM is
// amd64 assembly) starts the proxy the same way.
func TestStartProxyPlainFork(t *testing.T) {
	fullTier(t)
	useCloneVM = false
	defer func() { useCloneVM = haveCloneVM }()
	TestStartProxyWaitsForExec(t)
	TestStartProxyExecFailsInChild(t)
}

// A proxy binary that passes checkExecutable but that execve refuses all
// the same (here an ELF header and nothing else) is replaced by the
// fallback command in the child; without a fallback the child exits 127.
func TestStartProxyExecFailsInChild(t *testing.T) {
	fullTier(t)
	bin := proxyBinary(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	headerOnly := filepath.Join(t.TempDir(), ProxyName)
	if err := os.WriteFile(headerOnly, data[:64], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkExecutable(headerOnly); err != nil {
		t.Fatalf("checkExecutable(an ELF header) = %v: the test needs a file it passes", err)
	}

	api := fakeapi.New(t)
	api.Events <- fakeapi.Event{ID: "id-1", Body: `{"n":1}`}
	s, err := startProxyExe(proxySpec{argv: []string{headerOnly}, fallback: []string{bin}, upstream: api.Addr(), invokeMarkers: 1, exitPipe: true})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(s.release)
	resp, err := http.Get("http://" + s.addr + fakeapi.Prefix + "/runtime/invocation/next")
	if err != nil {
		syscall.Close(s.exitEnd)
		t.Fatalf("through the fallback proxy: %v", err)
	}
	resp.Body.Close()
	if id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); id != "id-1" {
		t.Errorf("through the fallback proxy: request ID %q, want id-1", id)
	}
	syscall.Close(s.exitEnd)
	waitGone(t, s.pid)

	s, err = startProxyExe(proxySpec{argv: []string{headerOnly}, upstream: api.Addr(), invokeMarkers: 1, exitPipe: true})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(s.release)
	defer syscall.Close(s.exitEnd)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(s.pid, &ws, 0, nil); err != nil || !ws.Exited() || ws.ExitStatus() != 127 {
		t.Errorf("child without a fallback: %v (%v), want exit status 127", ws, err)
	}
}

// waitGone waits (5 s at most: a hang guard) until the child pid has
// exited, and reaps it.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("proxy %d still running 5 s after the runtime's end of the pipe closed", pid)
		<-done
	}
}

// The wrapper alone (no coldprof-proxy beside it, as after copying only
// coldprof-wrapper into an image) still starts the function, against the
// real Runtime API, with one warning marker.
func TestExecProxyMissing(t *testing.T) {
	fullTier(t)
	dir := t.TempDir()
	data, err := os.ReadFile(wrapperBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(dir, "coldprof-wrapper")
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(alone, "/bin/sh", "-c", `echo "api=$AWS_LAMBDA_RUNTIME_API"; exit 3`)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API=127.0.0.1:9")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != 3 || string(out) != "api=127.0.0.1:9\n" {
		t.Errorf("exit %d, stdout %q; want 3 and the real API", code, out)
	}
	evs, _ := events(t, stderr.String())
	proxyWarnings := 0
	for _, e := range evs {
		if e.Kind == marker.Warning && strings.Contains(e.Message, ProxyName) {
			proxyWarnings++
		}
	}
	if len(evs) == 0 || proxyWarnings != 1 || evs[len(evs)-1].Kind != marker.Start || evs[len(evs)-1].Proxy {
		t.Errorf("markers %+v: want one warning naming %s, then a start marker without proxy", evs, ProxyName)
	}
}

// A runtime that leaves a background child behind (its stdio sent
// elsewhere) must not keep the function's stdout or stderr open through
// the proxy: both reach EOF when the runtime exits, while the child still
// runs. (Before, the proxy held stdout, and the exit pipe's end, inherited
// by the child, kept the proxy alive.)
func TestExecBackgroundChild(t *testing.T) {
	fullTier(t)
	checkBackgroundChild(t, wrapperBinary(t))
}

// checkBackgroundChild is TestExecBackgroundChild with the wrapper bin.
func checkBackgroundChild(t *testing.T, bin string) {
	t.Helper()
	cmd := exec.Command(bin, "/bin/sh", "-c", `sleep 60 </dev/null >/dev/null 2>&1 & echo $!`)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API=127.0.0.1:9")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errText := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(stderr); errText <- b }()
	out, _ := io.ReadAll(stdout) // EOF: every holder of stdout has closed it
	child, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("stdout %q: want the background child's PID", out)
	}
	defer syscall.Kill(child, syscall.SIGKILL)
	var se []byte
	select {
	case se = <-errText:
	case <-time.After(30 * time.Second): // hang guard only
		t.Fatal("stderr still open 30 s after stdout's EOF: the proxy outlived the runtime")
	}
	cmd.Wait()
	if syscall.Kill(child, 0) != nil {
		t.Fatalf("background child %d already gone: the test proves nothing", child)
	}
	if evs, _ := events(t, string(se)); len(evs) == 0 || !evs[len(evs)-1].Proxy {
		t.Errorf("want a start marker with the proxy on, got %+v", evs)
	}
}

// The sampler's pipe end to end, through the real wrapper and proxy: the
// runtime finds COLDPROF_SAMPLER_FD, reads "init_done <t>" once it asked
// for its first event and "invoke_end <t>" once it posted the first
// response, then EOF (the proxy closed its end); each time equals the
// marker's. /bin/sh starts the Python client so the wrapper treats it as
// an unknown runtime and changes nothing but the proxy's variables.
func TestExecSamplerPipe(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const client = `import http.client, os, sys
fd = int(os.environ["COLDPROF_SAMPLER_FD"])
pipe = os.fdopen(fd, "rb", buffering=0)
c = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse(); r.read()
rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
first = pipe.readline()
c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, b"{}")
c.getresponse().read()
second = pipe.readline()
rest = pipe.read()
print(first.decode().strip() + "|" + second.decode().strip() + "|" + repr(rest))
`
	api := fakeapi.New(t)
	api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
	cmd := exec.Command(bin, "/bin/sh", "-c", `exec "$0" -c "$1"`, py, client)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API="+api.Addr(), samplerIntervalVar+"=5000")
	var stderr fakeapi.LockedBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
	}
	parts := strings.Split(strings.TrimSpace(string(out)), "|")
	if len(parts) != 3 || parts[2] != "b''" {
		t.Fatalf("runtime read %q: want two lines, then EOF", out)
	}
	evs, _ := events(t, stderr.String())
	var initDone, invokeEnd int64
	for _, e := range evs {
		switch e.Kind {
		case marker.InitDone:
			initDone = e.TimeUs
		case marker.InvokeEnd:
			invokeEnd = e.TimeUs
		}
	}
	want := []string{"init_done " + strconv.FormatInt(initDone, 10), "invoke_end " + strconv.FormatInt(invokeEnd, 10)}
	if parts[0] != want[0] || parts[1] != want[1] || initDone == 0 || invokeEnd == 0 {
		t.Errorf("pipe lines %q, want %q (the markers' times); stderr:\n%s", parts[:2], want, stderr.String())
	}
}

// What the README says about closed standard descriptors: Go's runtime
// opens /dev/null on any of 0, 1 and 2 that is closed before main runs, so
// a runtime started through the wrapper with a closed stdin finds
// /dev/null there. It cannot be avoided in a Go program; this test keeps
// the README true.
func TestExecClosedStdinBecomesDevNull(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	none := ^uintptr(0)
	argv := []string{bin, "/bin/sh", "-c", "readlink /proc/self/fd/0"}
	pid, err := syscall.ForkExec(bin, argv, &syscall.ProcAttr{
		Env:   baseEnv("COLDPROF_PHASES=off"),
		Files: []uintptr{none, w.Fd(), w.Fd()},
	})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	_, other := events(t, string(out))
	if got := strings.Join(other, ""); got != "/dev/null\n" {
		t.Errorf("the runtime's stdin with the wrapper's closed: %q, want /dev/null", got)
	}
}

// A function that signals its own process group (killpg(0, SIGTERM) to
// stop the children it started, ignoring the signal itself) must keep its
// Runtime API: the proxy, in the runtime's group, ignores the signals that
// would end it (SIGHUP, SIGINT, SIGTERM, SIGQUIT); it ends with the runtime
// anyway, and SIGKILL (coldprof run's stop) still ends it. The proxy's
// ignored-signal mask is read first, so a proxy that would die is caught
// whether or not it died before relaying the request.
func TestExecProxySurvivesGroupSignals(t *testing.T) {
	fullTier(t)
	checkGroupSignals(t, wrapperBinary(t))
}

// checkGroupSignals is TestExecProxySurvivesGroupSignals with the wrapper bin.
func checkGroupSignals(t *testing.T, bin string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const client = `import http.client, os, signal
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
proxies = []
for tid in os.listdir("/proc/self/task"):
    with open("/proc/self/task/%s/children" % tid) as f:
        proxies += [int(p) for p in f.read().split()]
for p in proxies:
    with open("/proc/%d/status" % p) as f:
        ign = [int(l.split()[1], 16) for l in f if l.startswith("SigIgn:")][0]
    print("ignored", all(ign >> (s - 1) & 1 for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)))
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
    os.killpg(0, s)
c = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse()
print(r.getheader("Lambda-Runtime-Aws-Request-Id"), r.read().decode())
`
	api := fakeapi.New(t)
	api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
	cmd := exec.Command(bin, "/bin/sh", "-c", `exec "$0" -c "$1"`, py, client)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API=" + api.Addr())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the signals stay off the test's own group
	var stderr fakeapi.LockedBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.Output()
	if got := string(out); err != nil || got != "ignored True\nid-1 {}\n" {
		t.Fatalf("runtime printed %q (%v), want the proxy ignoring the signals and the event; stderr:\n%s", got, err, stderr.String())
	}
}
