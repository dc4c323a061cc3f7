package wrapper

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldprof/coldprof/layer"
	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// The arm64 tests run coldprof-wrapper and coldprof-proxy built for
// linux/arm64 as the layer builds them (layer.BuildBinary), side by side
// with the hooks as in the layer's zip, in front of this machine's runtimes.
// On an amd64 machine they run under qemu-user registered in binfmt_misc
// (.ci/setup.d/60-qemu-arm64.sh): the binaries, their system call ABI and
// their struct layouts are arm64's, the kernel and the CPU are not, and the
// runtimes they exec (amd64) run natively. On an arm64 machine they run
// natively.
//
// What qemu-user exercises: every system call the wrapper and the proxy
// make with arm64's numbers and struct layouts (qemu decodes them as an
// arm64 kernel would: the raw clone, rt_sigaction with kernelSigaction,
// rt_sigprocmask, sched_setscheduler, F_DUPFD_CLOEXEC, dup3, execve,
// pidfd_open, pidfd_send_signal, timerfd_create/settime, epoll_pwait,
// ppoll), the ELF machine check, and the markers. What it cannot:
//   - the arm64 kernel and CPU: qemu turns each call into an amd64 one,
//     emulates signal masks itself (the child's blocked signals are qemu's
//     bookkeeping, not the kernel's) and runs arm64 code with x86's
//     stronger memory ordering; timings are qemu's (the proxy takes
//     ~100 ms to start), so no figures come from here;
//   - arm64 runtimes (the Python and Node.js here are amd64);
//   - an execve the kernel refuses: binfmt_misc hands every file with an
//     arm64 ELF header to qemu (arm64QemuSkips).
// Go programs with more than one P can stall in the network poller under
// qemu-user 7.2: a 2 s loop reading a 1 ms timerfd through Go's poller (a
// program of 40 lines, no coldprof code) stopped being woken in 5 of 30
// runs at GOMAXPROCS=2 under qemu, 0 of 30 at GOMAXPROCS=1, 0 of 30
// natively (compare golang/go#70329). The wrapper runs the proxy with
// GOMAXPROCS=1, and so do wrapper/proxy's tests that start it as a
// process, and the test binaries run here.

// qemuSetup is what installs and registers qemu-aarch64.
const qemuSetup = ".ci/setup.d/60-qemu-arm64.sh"

var (
	arm64Once sync.Once
	arm64Dir  string // the arm64 layer's files: coldprof-wrapper, coldprof-proxy, coldprof/hooks
	arm64Err  error
)

// arm64Layer returns the arm64 coldprof-wrapper, with coldprof-proxy and the
// hooks beside it as in the layer, built once. It skips t outside the full
// tier, in -race builds (the binaries under test are not race builds, and
// .ci/run's full tier without -race runs these tests: under -race they
// would only cost CI their time again) and where arm64 programs cannot be
// exec'd.
func arm64Layer(t *testing.T) string {
	t.Helper()
	fullTier(t)
	if raceBuild {
		t.Skip("the arm64 binaries are no race builds: the full tier without -race runs this test")
	}
	if runtime.GOARCH != "arm64" {
		b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
		if err != nil || !bytes.HasPrefix(b, []byte("enabled\n")) {
			t.Skip("arm64 programs cannot be exec'd here: no qemu-aarch64 enabled in binfmt_misc (run " + qemuSetup + ")")
		}
	}
	arm64Once.Do(func() {
		arm64Dir, arm64Err = os.MkdirTemp("", "coldprof-arm64-test")
		if arm64Err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for name, pkg := range map[string]string{"coldprof-wrapper": layer.WrapperPackage, ProxyName: layer.ProxyPackage} {
			if arm64Err = layer.BuildBinary(ctx, goTool(), "..", pkg, layer.ARM64, filepath.Join(arm64Dir, name)); arm64Err != nil {
				return
			}
		}
		arm64Err = hooks.WriteDir(filepath.Join(arm64Dir, "coldprof", "hooks"))
	})
	if arm64Err != nil {
		t.Fatal(arm64Err)
	}
	bin := filepath.Join(arm64Dir, "coldprof-wrapper")
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.HasSuffix(string(out), " linux/arm64\n") {
		t.Fatalf("%s --version: %q, %v; want linux/arm64 (is qemu-aarch64 registered? %s)", bin, out, err, qemuSetup)
	}
	return bin
}

// archOf returns the GOARCH of the ELF program at path.
func archOf(t *testing.T, path string) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for goarch, m := range elfMachine {
		if elf.Machine(m) == f.Machine {
			return goarch
		}
	}
	t.Fatalf("%s: ELF machine %v", path, f.Machine)
	return ""
}

// debianPython is Debian's python3, which the arm64 tests run (qemu is slow:
// one interpreter, not every pyenv version).
func debianPython(t *testing.T) string {
	t.Helper()
	py, ok := pythons(t)["debian-python3"]
	if !ok {
		t.Fatal("no /usr/bin/python3 (.ci/setup.d/10-debian.sh installs it)")
	}
	return py
}

// TestArm64ExecProxyOrder is TestExecProxyOrder with the arm64 wrapper and
// proxy: the markers land between the runtime's lines, the function's
// responses reach the API, the start marker says arm64, and the proxy exits
// with the runtime.
func TestArm64ExecProxyOrder(t *testing.T) {
	bin := arm64Layer(t)
	py := debianPython(t)
	for _, tt := range proxyOrderCases {
		t.Run(tt.name, func(t *testing.T) {
			runProxyOrder(t, bin, py, tt)
		})
	}
}

// tickRuntime is a function for TestArm64SamplerTicks: its init works until
// the sampler's SIGURG handler has handled 20 ticks (a hang guard of 20 s),
// then prints the sampler's figures (testdata/sampler/tick_probe.py) and
// the descriptors of the proxy (its child) and serves one invocation.
const tickRuntime = `import http.client, json, os, sys, time
sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, sys.argv[1])
import tick_probe

def busy():
    return sum(range(2000))

s = tick_probe.sampler()
end = time.time() + 20
while getattr(s, "ticks", 0) < 20 and time.time() < end:
    busy()
figures = tick_probe.figures()
links = []
for task in os.listdir("/proc/self/task"):
    for child in open("/proc/self/task/%s/children" % task).read().split():
        for fd in os.listdir("/proc/%s/fd" % child):
            try:
                links.append(os.readlink("/proc/%s/fd/%s" % (child, fd)))
            except OSError:
                pass
print(json.dumps({"figures": figures, "proxy_fds": links}), flush=True)
c = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse()
event = r.read()
busy()
c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % r.getheader("Lambda-Runtime-Aws-Request-Id"), event)
c.getresponse().read()
`

// samplerRun is one cold start's sampler lines, decoded.
type samplerRun struct {
	begin, cut, end *sampleline.Event
	frames          []sampleline.Frame
	stacks          []sampleline.Stack
	samples         []timedStackSample
}

type timedStackSample struct {
	timeUs, weightUs int64
	stack            int
}

// decodeSamplerLines decodes stderr's sampler lines, failing t on any line
// that does not decode or breaks the grammar's order and references.
func decodeSamplerLines(t *testing.T, stderr string) samplerRun {
	t.Helper()
	var s samplerRun
	for _, l := range strings.Split(stderr, "\n") {
		if _, ok := sampleline.Find([]byte(l)); !ok {
			continue
		}
		e, err := sampleline.Parse([]byte(l))
		if err != nil {
			t.Fatalf("sampler line does not decode: %v\n%s", err, l)
		}
		if e.Kind != sampleline.Begin && s.begin == nil || s.end != nil {
			t.Fatalf("%s line out of order: %s", e.Kind, l)
		}
		switch e.Kind {
		case sampleline.Begin:
			if s.begin != nil {
				t.Fatal("second begin line")
			}
			s.begin = &e
		case sampleline.Frames:
			if e.First != len(s.frames) {
				t.Errorf("frames line starts at %d, want %d", e.First, len(s.frames))
			}
			s.frames = append(s.frames, e.Frames...)
		case sampleline.Stacks:
			if e.First != len(s.stacks) {
				t.Errorf("stacks line starts at %d, want %d", e.First, len(s.stacks))
			}
			for _, st := range e.Stacks {
				if st.Parent >= len(s.stacks) || st.Frame >= len(s.frames) {
					t.Fatalf("stack %v refers to an unwritten stack or frame", st)
				}
				s.stacks = append(s.stacks, st)
			}
		case sampleline.Samples:
			if len(e.Samples) == 0 {
				t.Fatalf("samples line without samples: %s", l)
			}
			now := e.TimeUs - e.Samples[0].DtUs // t is the first sample's time
			for _, sm := range e.Samples {
				if sm.Stack >= len(s.stacks) {
					t.Fatalf("sample %v refers to an unwritten stack", sm)
				}
				now += sm.DtUs
				s.samples = append(s.samples, timedStackSample{now, sm.DtUs, sm.Stack})
			}
		case sampleline.Cut:
			if s.cut != nil {
				t.Error("second cut line")
			}
			s.cut = &e
		case sampleline.End:
			s.end = &e
		}
	}
	if s.begin == nil || s.end == nil {
		t.Fatalf("no begin or no end line in:\n%.3000s", stderr)
	}
	if s.end.StoppedBy != sampleline.StoppedByError && s.end.SampleCount-s.end.Dropped != len(s.samples) {
		t.Errorf("end says %d samples, %d dropped; %d written", s.end.SampleCount, s.end.Dropped, len(s.samples))
	}
	return s
}

// stackHas reports whether stack k has a frame whose function is fn (or ends
// in "."+fn: Python 3.11+ writes qualified names).
func (s samplerRun) stackHas(k int, fn string) bool {
	for ; k >= 0; k = s.stacks[k].Parent {
		f := s.frames[s.stacks[k].Frame].Function
		if f == fn || strings.HasSuffix(f, "."+fn) {
			return true
		}
	}
	return false
}

// markerTimes returns the time of the first marker of each kind in stderr.
func markerTimes(t *testing.T, stderr string) map[marker.Kind]int64 {
	t.Helper()
	evs, _ := events(t, stderr)
	times := map[marker.Kind]int64{}
	for _, e := range evs {
		if _, ok := times[e.Kind]; !ok {
			times[e.Kind] = e.TimeUs
		}
	}
	return times
}

// The Python sampler behind the arm64 wrapper and proxy, end to end: the
// arm64 proxy ticks the amd64 Python (SIGURG through a pidfd, from a
// timerfd), the sampler's handler samples the function's init from those
// ticks, and the lines decode with the cut at init_done and the end at
// invoke_end, each at its marker's time, as on amd64
// (wrapper/hooks' TestPythonTickedKnownWork and checkStops).
func TestArm64SamplerTicks(t *testing.T) {
	bin := arm64Layer(t)
	py := debianPython(t)
	probeDir, _ := filepath.Abs("../testdata/sampler")
	script := filepath.Join(t.TempDir(), "function.py")
	if err := os.WriteFile(script, []byte(tickRuntime), 0o644); err != nil {
		t.Fatal(err)
	}
	api := fakeapi.New(t)
	api.Events <- fakeapi.Event{ID: "id-1", Body: `{"n":1}`}
	cmd := exec.Command(bin, py, script, probeDir)
	cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API="+api.Addr(), "AWS_EXECUTION_ENV=AWS_Lambda_python3.11", "COLDPROF_SAMPLE_INTERVAL=5ms")
	var stdout bytes.Buffer
	var stderr fakeapi.LockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v; stderr:\n%.3000s", err, stderr.String())
		}
	case <-time.After(60 * time.Second): // hang guard only
		cmd.Process.Kill()
		t.Fatalf("still running after 60 s; stderr:\n%.3000s", stderr.String())
	}
	var out struct {
		Figures  map[string]float64 `json:"figures"`
		ProxyFDs []string           `json:"proxy_fds"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("function's output %q: %v; stderr:\n%.3000s", stdout.String(), err, stderr.String())
	}
	m := startMarker(t, stderr.String())
	if m.Arch != "arm64" || !m.Proxy || m.SamplerUs != 5000 || m.Runtime != "python3.11" {
		t.Errorf("start marker %+v: want arch arm64, the proxy on, sampler 5000 µs", m)
	}
	times := markerTimes(t, stderr.String())
	if times[marker.InitDone] == 0 || times[marker.InvokeEnd] == 0 {
		t.Fatalf("no init_done or invoke_end marker:\n%.3000s", stderr.String())
	}

	// The ticks: the sampler's SIGURG handler is installed and took them;
	// the proxy holds pidfds (the runtime's exit, its ticks) and a timerfd.
	if out.Figures["_urg_ours"] != 1 || out.Figures["_ticks"] < 20 {
		t.Errorf("sampler figures %v: want its SIGURG handler installed and >= 20 ticks handled", out.Figures)
	}
	count := func(kind string) (n int) {
		for _, l := range out.ProxyFDs {
			if l == "anon_inode:["+kind+"]" {
				n++
			}
		}
		return n
	}
	if count("pidfd") < 2 || count("timerfd") < 1 {
		t.Errorf("proxy's descriptors %q: want two pidfds (exit, ticks) and a timerfd", out.ProxyFDs)
	}

	// The lines, as checkStops wants them on amd64.
	s := decodeSamplerLines(t, stderr.String())
	if s.begin.PID != cmd.Process.Pid || s.begin.Lang != "python" || s.begin.IntervalUs != 5000 {
		t.Errorf("begin %+v: want pid %d, python, 5000 µs", s.begin, cmd.Process.Pid)
	}
	if s.cut == nil || s.cut.TimeUs != times[marker.InitDone] {
		t.Fatalf("cut %+v, want one at init_done %d", s.cut, times[marker.InitDone])
	}
	if s.end.StoppedBy != sampleline.StoppedByInvokeEnd || s.end.TimeUs != times[marker.InvokeEnd] {
		t.Errorf("end %+v, want stoppedBy invoke_end at %d", s.end, times[marker.InvokeEnd])
	}
	var initUs int64
	initSamples, busy := 0, 0
	for _, sm := range s.samples {
		if sm.timeUs <= s.cut.TimeUs {
			initUs += sm.weightUs
		}
		if sm.timeUs < s.cut.TimeUs {
			initSamples++
			if s.stackHas(sm.stack, "busy") {
				busy++
			}
		}
		if sm.timeUs > s.end.TimeUs {
			t.Errorf("sample at %d, after the end %d", sm.timeUs, s.end.TimeUs)
		}
	}
	if want := s.cut.TimeUs - s.begin.TimeUs; initUs != want {
		t.Errorf("init samples weigh %d µs; begin to cut is %d µs", initUs, want)
	}
	// The samples of init are the ticks' (all but the one at the cut), and
	// they caught the function's work.
	if float64(initSamples) < out.Figures["_ticks"]-2 || busy == 0 {
		t.Errorf("%d samples before the cut (%d in busy), %v ticks handled: want the init samples from the ticks", initSamples, busy, out.Figures["_ticks"])
	}
	if len(findProxies(bin)) != 0 {
		t.Errorf("a proxy is still running after the runtime exited: %v", findProxies(bin))
	}
	t.Logf("%v ticks handled by %.0f ms into init, %d samples before the cut", out.Figures["_ticks"], out.Figures["_init_ms"], initSamples)
}

// failOpenRuntime serves one invocation through whatever Runtime API it was
// given and reports it, with what its exec'd environment held
// (/proc/self/environ: the sampler removes its variables from os.environ),
// then exits 3.
const failOpenRuntime = `import http.client, os, sys
env = dict(kv.split(b"=", 1) for kv in open("/proc/self/environ", "rb").read().split(b"\0") if b"=" in kv)
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
c = http.client.HTTPConnection(api)
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse()
event = r.read()
c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % r.getheader("Lambda-Runtime-Aws-Request-Id"), event)
status = c.getresponse().status
print("api=%s status=%d tick=%s fd=%s pythonpath=%s" % (api, status, env.get(b"COLDPROF_SAMPLER_TICK", b"-").decode(),
    "yes" if b"COLDPROF_SAMPLER_FD" in env else "no", "yes" if b"PYTHONPATH" in env else "no"))
sys.exit(3)
`

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

// The arm64 wrapper fails open: a proxy it cannot start (missing, not
// executable, the x86_64 layer's proxy beside it) is one warning and the
// function runs against the real Runtime API with the Python sampler on its
// thread (no ticks, no pipe: it stops at the function's exit);
// COLDPROF_DISABLE=1 changes nothing at all; broken values are warnings and
// their defaults. Also the x86_64 wrapper with the arm64 proxy beside it,
// which this machine could exec (through qemu) but Lambda's x86_64 cannot:
// the ELF machine check refuses it all the same.
func TestArm64FailOpen(t *testing.T) {
	bin := arm64Layer(t)
	py := debianPython(t)
	script := filepath.Join(t.TempDir(), "function.py")
	if err := os.WriteFile(script, []byte(failOpenRuntime), 0o644); err != nil {
		t.Fatal(err)
	}
	arm64Proxy := filepath.Join(filepath.Dir(bin), ProxyName)
	type setup struct {
		wrapper, proxy string // "" proxy: none beside the wrapper
		proxyMode      os.FileMode
	}
	type failOpenCase struct {
		name  string
		setup setup
		env   []string
		arch  string
		// proxyErr: the errno text of the one warning; "" with the proxy on.
		proxyErr string
		warnings []string // other warnings, by the variable they name
		disabled bool
	}
	tests := []failOpenCase{
		{name: "proxy missing", setup: setup{bin, "", 0}, arch: "arm64", proxyErr: "no such file or directory"},
		{name: "proxy not executable", setup: setup{bin, arm64Proxy, 0o644}, arch: "arm64", proxyErr: "permission denied"},
		{name: "disabled", setup: setup{bin, arm64Proxy, 0o755}, env: []string{"COLDPROF_DISABLE=1"}, arch: "arm64", disabled: true},
		{name: "broken values", setup: setup{bin, arm64Proxy, 0o755}, env: []string{"COLDPROF_SAMPLE_INTERVAL=fast", "COLDPROF_INVOKE_MARKERS=-1", "COLDPROF_PHASES=both"},
			arch: "arm64", warnings: []string{EnvSampleInterval, EnvInvokeMarkers, EnvPhases}},
	}
	if runtime.GOARCH == "amd64" {
		tests = append(tests,
			failOpenCase{name: "x86_64 proxy beside the arm64 wrapper", setup: setup{bin, proxyBinary(t), 0o755}, arch: "arm64", proxyErr: "exec format error"},
			failOpenCase{name: "arm64 proxy beside the x86_64 wrapper", setup: setup{wrapperBinary(t), arm64Proxy, 0o755}, arch: "x86_64", proxyErr: "exec format error"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := filepath.Join(dir, "coldprof-wrapper")
			copyFile(t, tt.setup.wrapper, w, 0o755)
			if tt.setup.proxy != "" {
				copyFile(t, tt.setup.proxy, filepath.Join(dir, ProxyName), tt.setup.proxyMode)
			}
			if err := hooks.WriteDir(filepath.Join(dir, "coldprof", "hooks")); err != nil {
				t.Fatal(err)
			}
			api := fakeapi.New(t)
			api.Events <- fakeapi.Event{ID: "id-1", Body: `{"n":1}`}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // hang guard only
			defer cancel()
			cmd := exec.CommandContext(ctx, w, py, script)
			cmd.Env = baseEnv(append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_EXECUTION_ENV=AWS_Lambda_python3.11"}, tt.env...)...)
			var stdout bytes.Buffer
			var stderr fakeapi.LockedBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.WaitDelay = 10 * time.Second
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 3 {
				t.Fatalf("exit %d, want the function's 3; stdout %q stderr:\n%.3000s", code, stdout.String(), stderr.String())
			}
			got := map[string]string{}
			for _, f := range strings.Fields(stdout.String()) {
				k, v, _ := strings.Cut(f, "=")
				got[k] = v
			}
			proxyOn := tt.proxyErr == "" && !tt.disabled
			if got["status"] != "202" || (got["api"] == api.Addr()) == proxyOn {
				t.Errorf("function printed %q: want its response accepted (202), through the proxy %v", stdout.String(), proxyOn)
			}
			if reqs := api.Requests(); len(reqs) != 2 || !strings.HasSuffix(reqs[1].Path, "/invocation/id-1/response") {
				t.Errorf("the API received %d requests, want next and id-1's response", len(reqs))
			}
			evs, other := events(t, stderr.String())
			if tt.disabled {
				if len(evs) != 0 || len(other) != 0 || got["pythonpath"] != "no" || got["tick"] != "-" || got["fd"] != "no" {
					t.Errorf("disabled: markers %+v, other stderr %q, function saw %q: want the command unchanged", evs, other, stdout.String())
				}
				return
			}
			var warnings []string
			for _, e := range evs {
				if e.Kind == marker.Warning {
					warnings = append(warnings, e.Message)
				}
			}
			start := startMarker(t, stderr.String())
			if start.Arch != tt.arch || start.Proxy != proxyOn || start.Runtime != "python3.11" || start.Injected != "-X importtime" || start.SamplerUs != 10000 {
				t.Errorf("start marker %+v: want arch %s, proxy %v, python3.11 with -X importtime and the sampler at 10 ms", start, tt.arch, proxyOn)
			}
			wantWarnings := len(tt.warnings)
			if tt.proxyErr != "" {
				wantWarnings++
				if len(warnings) == 0 || !strings.Contains(warnings[0], "proxy not started") || !strings.Contains(warnings[0], ProxyName) || !strings.Contains(warnings[0], tt.proxyErr) {
					t.Errorf("warnings %q: want one naming %s and %q", warnings, ProxyName, tt.proxyErr)
				}
			}
			for _, v := range tt.warnings {
				if !strings.Contains(strings.Join(warnings, "\n"), v) {
					t.Errorf("warnings %q: none names %s", warnings, v)
				}
			}
			if len(warnings) != wantWarnings {
				t.Errorf("%d warnings %q, want %d", len(warnings), warnings, wantWarnings)
			}
			times := markerTimes(t, stderr.String())
			s := decodeSamplerLines(t, stderr.String())
			if proxyOn {
				if got["tick"] != "signal" || got["fd"] != "yes" || times[marker.InitDone] == 0 || s.end.StoppedBy != sampleline.StoppedByInvokeEnd {
					t.Errorf("function saw %q, sampler end %+v: want ticks, the pipe, phase markers, an end at invoke_end", stdout.String(), s.end)
				}
				return
			}
			// No proxy: no phase markers, no ticks asked for, no pipe; the
			// sampler samples from its thread until the function exits.
			if got["tick"] != "-" || got["fd"] != "no" || times[marker.InitDone] != 0 || s.end.StoppedBy != sampleline.StoppedByExit || len(s.samples) == 0 {
				t.Errorf("function saw %q, sampler end %+v with %d samples, init_done at %d: want no ticks, no pipe, no phase markers, sampling until exit",
					stdout.String(), s.end, len(s.samples), times[marker.InitDone])
			}
		})
	}
}

// TestArm64ExecNode is TestExecNode's first half with the arm64 wrapper,
// the hooks beside it as in the layer, and the proxy on: the machine's
// Node.js loads the require hook, its lines and the markers are there, the
// program's output is the same as without the wrapper, and the proxy ends
// with it.
func TestArm64ExecNode(t *testing.T) {
	bin := arm64Layer(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	app, _ := filepath.Abs("../testdata/node/app")
	runner, _ := filepath.Abs("../testdata/node/run-cjs.js")
	api := fakeapi.New(t)
	run := func(extra ...string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // hang guard only
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, node, runner)
		cmd.Dir = app
		cmd.Env = baseEnv(append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "LAMBDA_TASK_ROOT=" + app, "AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x", "NODE_OPTIONS=--no-deprecation"}, extra...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = 10 * time.Second // the proxy holds stderr until it exits
		if err := cmd.Run(); err == exec.ErrWaitDelay {
			t.Errorf("stderr stayed open 10 s after node exited: the proxy did not exit")
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	plainOut, _, plainCode := run("COLDPROF_DISABLE=1")
	out, stderr, code := run()
	if code != 0 || plainCode != 0 || out != plainOut {
		t.Fatalf("exit %d stdout %q, without the hook %d %q; stderr:\n%s", code, out, plainCode, plainOut, stderr)
	}
	hook := filepath.Join(filepath.Dir(bin), "coldprof", "hooks", "node", "coldprof-require.cjs")
	if m := startMarker(t, stderr); m.Runtime != "nodejs20.x" || !strings.Contains(m.Injected, hook) || m.Arch != "arm64" || !m.Proxy {
		t.Errorf("start marker %+v: want nodejs20.x, the layer's hook %s, arm64, the proxy on", m, hook)
	}
	if !strings.Contains(stderr, "node require: self [us] | cumulative | imported module\n") ||
		!strings.Contains(stderr, "|     fakepkg/lib/index.js\n") {
		t.Errorf("no require lines:\n%s", stderr)
	}

	// With the sampler on (off by default for Node.js): its lines decode;
	// the program never asks for an event, so it samples until exit.
	out, stderr, code = run("COLDPROF_SAMPLER=on")
	if code != 0 || out != plainOut {
		t.Fatalf("sampler on: exit %d stdout %q; stderr:\n%s", code, out, stderr)
	}
	if m := startMarker(t, stderr); m.SamplerUs != 5000 || !m.Proxy {
		t.Errorf("sampler on: start marker %+v, want the sampler at 5 ms and the proxy on", m)
	}
	if s := decodeSamplerLines(t, stderr); s.begin.Lang != "node" || s.cut != nil || s.end.StoppedBy != sampleline.StoppedByExit || len(s.samples) == 0 {
		t.Errorf("sampler on: begin %+v, cut %+v, end %+v, %d samples; want node's sampling until exit", s.begin, s.cut, s.end, len(s.samples))
	}
}

// TestArm64ExecBackgroundChild is TestExecBackgroundChild with the arm64
// wrapper and proxy: a runtime's background child keeps neither stdout
// nor stderr open (the proxy watches the runtime through a pidfd).
func TestArm64ExecBackgroundChild(t *testing.T) {
	checkBackgroundChild(t, arm64Layer(t))
}

// TestArm64ExecProxySurvivesGroupSignals is
// TestExecProxySurvivesGroupSignals with the arm64 wrapper and proxy: a
// function that signals its process group keeps its Runtime API. (That the
// waiting child ignores them, through kernelSigaction in arm64's layout, is
// TestStartProxyWaitsForExec's check, run for arm64 by
// TestArm64PackageTests.)
func TestArm64ExecProxySurvivesGroupSignals(t *testing.T) {
	checkGroupSignals(t, arm64Layer(t))
}

// arm64PackageTests are the full-tier tests of this package that
// TestArm64PackageTests runs built for arm64: the proxy's start in process
// (the plain fork arm64 uses, the descriptors it leaves, the ELF check from
// arm64's side, SCHED_BATCH around the fork and SCHED_OTHER in the proxy,
// the group signals the waiting child ignores through kernelSigaction, the
// tick hand-off) and the check of the forked child's compiled code.
var arm64PackageTests = []string{
	"TestStartProxyExecFails", "TestStartProxyBadUpstream", "TestStartProxyServesAndExits",
	"TestStartProxyWaitsForExec", "TestStartProxyTickEnv", "TestCheckExecutableFIFO", "TestProxyChildCompiledCode",
}

// arm64QemuSkips are the tests qemu-user cannot run faithfully: through
// binfmt_misc every file with an arm64 ELF header execs (into qemu, which
// then fails to load it), so an execve the kernel would refuse succeeds,
// and the child's fallback after a failed exec cannot be reached. And
// TestProxyProcessTicksRuntime, whose "poller" case (the proxy's timerfd in
// Go's poller, ticking a Go helper that counts SIGURG) got no ticks for 10 s
// in 2 of 12 runs under qemu-user 7.2 even with GOMAXPROCS=1 (its ppoll and
// kill cases passed in the same runs; natively it never fails): Go's poller
// under qemu (see the top of this file), not the proxy's ticking, which
// TestArm64SamplerTicks covers with the arm64 proxy in the poller ticking a
// native Python (25 of 25 runs passed).
const arm64QemuSkips = "^(TestCheckExecutableNotAProgram|TestStartProxyExecFailsInChild|TestStartProxyPlainFork|TestProxyProcessTicksRuntime|TestArm64.*)$"

// arm64TestBinary builds the tests of the package in dir (relative to this
// one) for linux/arm64 and returns a function that runs them there with
// args (-test.v and the qemu skips added), in the given tier, failing t
// when any fails, and returns their output. GOARCH=arm64 is in their
// environment, so the binaries their helpers build are arm64's too;
// GOMAXPROCS=1, as the wrapper gives the proxy: Go programs with more than
// one P can stall in the network poller under qemu-user 7.2 (see the top
// of this file).
func arm64TestBinary(t *testing.T, ctx context.Context, dir string) func(tier string, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(dir)+".test")
	build := exec.CommandContext(ctx, goTool(), "test", "-c", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c for arm64 in %s: %v\n%s", dir, err, out)
	}
	return func(tier string, args ...string) string {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-test.v", "-test.count=1", "-test.skip", arm64QemuSkips}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COLDPROF_TEST="+tier, "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=", "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || bytes.Contains(out, []byte("--- FAIL")) {
			t.Errorf("the arm64 test binary of %s (%s tier): %v\n%s", dir, tier, err, out)
		}
		return string(out)
	}
}

// wantPassed fails t unless every test named passed in out (-test.v).
func wantPassed(t *testing.T, out string, names ...string) {
	t.Helper()
	for _, name := range names {
		if !strings.Contains(out, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass in the arm64 test binary:\n%s", name, out)
		}
	}
}

// TestArm64PackageTests runs this package's own tests built for
// linux/arm64: the quick tier, and arm64PackageTests from the full tier.
func TestArm64PackageTests(t *testing.T) {
	arm64Layer(t)
	if runtime.GOARCH == "arm64" {
		t.Skip("on arm64 the package's tests run natively")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard only
	defer cancel()
	run := arm64TestBinary(t, ctx, ".")
	wantPassed(t, run("quick"), "TestRun", "TestNewPlan", "TestLoadConfig")
	wantPassed(t, run("full", "-test.run", "^("+strings.Join(arm64PackageTests, "|")+")$"), arm64PackageTests...)
}

// TestArm64ProxyPackageTests runs wrapper/proxy's tests built for
// linux/arm64: the relay, the markers, the sampler's pipe, descriptor
// shortage, the poller and its ppoll fallback, the ticker in process, and
// the real proxy process refusing to tick what it must not
// (TestProxyProcessTicksRuntime is skipped: arm64QemuSkips).
func TestArm64ProxyPackageTests(t *testing.T) {
	arm64Layer(t)
	if runtime.GOARCH == "arm64" {
		t.Skip("on arm64 the package's tests run natively")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard only
	defer cancel()
	out := arm64TestBinary(t, ctx, "proxy")("quick")
	wantPassed(t, out, "TestProxyProcessNoTicks", "TestTickerLimit", "TestTicksStopBeforeForwarding")
	t.Logf("%d tests and subtests of wrapper/proxy passed for arm64", strings.Count(out, "--- PASS: Test"))
}
