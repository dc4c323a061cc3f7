package wrapper

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
	"github.com/coldprof/coldprof/wrapper/proxy"
)

// The plan asks for signal ticks (COLDPROF_SAMPLER_TICK=signal in the
// runtime's environment) exactly for Python with the sampler on and the
// setting signal (the default); otherwise the variable is absent, even
// when the function set it itself.
func TestPlanSamplerTick(t *testing.T) {
	dir := fakeHookDir(t)
	py := []string{"/usr/bin/python3", "app.py"}
	node := []string{"/var/lang/bin/node", "/var/runtime/index.mjs"}
	java := []string{"/var/lang/bin/java", "-cp", "x", "Main"}
	for _, tt := range []struct {
		name string
		argv []string
		env  []string
		want bool
	}{
		{"python default", py, nil, true},
		{"python signal", py, []string{"COLDPROF_SAMPLER_TICK=signal"}, true},
		{"python thread", py, []string{"COLDPROF_SAMPLER_TICK=thread"}, false},
		{"python bad value", py, []string{"COLDPROF_SAMPLER_TICK=bogus"}, true},
		{"python sampler off", py, []string{"COLDPROF_SAMPLER=off", "COLDPROF_SAMPLER_TICK=signal"}, false},
		{"python -S (no sampler)", []string{"/usr/bin/python3", "-S", "app.py"}, []string{"COLDPROF_SAMPLER_TICK=signal"}, false},
		{"node sampler on", node, []string{"COLDPROF_SAMPLER=on", "COLDPROF_SAMPLER_TICK=signal"}, false},
		{"node default", node, []string{"COLDPROF_SAMPLER_TICK=signal"}, false},
		{"java", java, []string{"COLDPROF_SAMPLER_TICK=signal"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"COLDPROF_HOOK_DIR=" + dir}, tt.env...)
			cfg, _ := LoadConfig(env)
			p := PlanWith(tt.argv, env, Options{Config: cfg, PID: 4242})
			v, set := p.Getenv(EnvSamplerTick)
			if got := set && v == TickSignal; got != tt.want || set && !got {
				t.Errorf("%s=%q (set %v), want signal ticks %v", EnvSamplerTick, v, set, tt.want)
			}
			if n := strings.Count(strings.Join(p.Env, "\x00")+"\x00", EnvSamplerTick+"="); n > 1 {
				t.Errorf("%d entries for %s", n, EnvSamplerTick)
			}
		})
	}
}

// Run hands the runtime COLDPROF_SAMPLER_TICK only when the proxy started:
// with phases off, no Runtime API address or a proxy that fails to start,
// the Python sampler must use its thread (no ticks would come).
func TestRunSamplerTickNeedsProxy(t *testing.T) {
	dir := fakeHookDir(t)
	base := []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12", "COLDPROF_HOOK_DIR=" + dir, "COLDPROF_SAMPLER_TICK=signal"}
	for _, tt := range []struct {
		name     string
		env      []string
		proxyErr error
		want     bool
	}{
		{"proxy on", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, nil, true},
		{"phases off", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "COLDPROF_PHASES=off"}, nil, false},
		{"no Runtime API", nil, nil, false},
		{"proxy fails", []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, errors.New("no proxy"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil, tt.proxyErr)
			f.Getpid = func() int { return 4242 }
			f.Run([]string{"/opt/coldprof-wrapper", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}, append(append([]string{}, base...), tt.env...))
			if len(f.calls) != 1 {
				t.Fatalf("%d execs", len(f.calls))
			}
			v, set := lookupEnv(f.calls[0].Env, EnvSamplerTick)
			if set != tt.want || set && v != TickSignal {
				t.Errorf("runtime's %s=%q (set %v), want set %v", EnvSamplerTick, v, set, tt.want)
			}
		})
	}
}

// signalTickUs, StartProxy's check: signal asked for, a positive interval,
// and this process's PID (the proxy's parent) as the sampler's.
func TestSignalTickUs(t *testing.T) {
	self := strconv.Itoa(syscall.Getpid())
	for _, tt := range []struct {
		env  []string
		want int64
	}{
		{[]string{"COLDPROF_SAMPLER_TICK=signal", "COLDPROF_SAMPLER_INTERVAL_US=5000", "COLDPROF_SAMPLER_PID=" + self}, 5000},
		{[]string{"COLDPROF_SAMPLER_TICK=thread", "COLDPROF_SAMPLER_INTERVAL_US=5000", "COLDPROF_SAMPLER_PID=" + self}, 0},
		{[]string{"COLDPROF_SAMPLER_INTERVAL_US=5000", "COLDPROF_SAMPLER_PID=" + self}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK=signal", "COLDPROF_SAMPLER_INTERVAL_US=0", "COLDPROF_SAMPLER_PID=" + self}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK=signal", "COLDPROF_SAMPLER_INTERVAL_US=5ms", "COLDPROF_SAMPLER_PID=" + self}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK=signal", "COLDPROF_SAMPLER_INTERVAL_US=5000", "COLDPROF_SAMPLER_PID=1"}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK=signal", "COLDPROF_SAMPLER_INTERVAL_US=5000"}, 0},
	} {
		if got := signalTickUs(tt.env); got != tt.want {
			t.Errorf("%q: %d, want %d", tt.env, got, tt.want)
		}
	}
}

// procEnviron reads a process's environment from /proc.
func procEnviron(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), nil
}

// The real proxy is told to tick (COLDPROF_PROXY_TICK_US, _PID = this
// process, its parent) only when the sampler's pipe to it is made.
func TestStartProxyTickEnv(t *testing.T) {
	fullTier(t)
	bin := proxyBinary(t)
	api := fakeapi.New(t)
	for _, tt := range []struct {
		name    string
		sampler bool
		want    bool
	}{{"with the sampler's pipe", true, true}, {"without", false, false}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := startProxyExe(proxySpec{argv: []string{bin}, upstream: api.Addr(), invokeMarkers: 1, exitPipe: true, sampler: tt.sampler, tickUs: 50000})
			if err != nil {
				t.Fatal(err)
			}
			defer waitGone(t, s.pid)
			defer syscall.Close(s.exitEnd)
			if s.samplerEnd >= 0 {
				defer syscall.Close(s.samplerEnd)
			}
			syscall.Close(s.release) // the proxy execs
			// Exec'd once its environment is the proxy's (COLDPROF_PROXY_UPSTREAM
			// is set only there). Not "its exe changed": under qemu-user the
			// link names qemu before and after the exec, and mid-exec the
			// child can be read as neither (TestArm64PackageTests).
			var env []string
			for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				if e, err := procEnviron(s.pid); err == nil {
					if _, ok := lookupEnv(e, proxy.EnvUpstream); ok {
						env = e
						break
					}
				}
				if time.Now().After(end) { // hang guard only
					t.Fatal("the proxy did not exec within 10 s")
				}
			}
			us, hasUs := lookupEnv(env, proxy.EnvTickUs)
			pid, hasPID := lookupEnv(env, proxy.EnvTickPID)
			if s.ticks != tt.want || hasUs != tt.want || hasPID != tt.want {
				t.Fatalf("ticks %v, proxy env %s=%q %s=%q; want ticks %v", s.ticks, proxy.EnvTickUs, us, proxy.EnvTickPID, pid, tt.want)
			}
			if tt.want && (us != "50000" || pid != strconv.Itoa(os.Getpid())) {
				t.Errorf("proxy env %s=%q %s=%q, want 50000 and %d", proxy.EnvTickUs, us, proxy.EnvTickPID, pid, os.Getpid())
			}
		})
	}
}

// pyTickHook stands in for the Python hook's signal mode (the tick-hook
// helper's sitecustomize) until it lands: it counts SIGURG when the
// runtime's environment says ticks will come, and records what the
// wrapper handed the runtime and the proxy (its child, by /proc).
const pyTickHook = `import os, signal, sys
TICKS = [0]
TICK_ENV = os.environ.get("COLDPROF_SAMPLER_TICK")
# Counted whatever the mode, so that a tick nobody asked for shows.
signal.signal(signal.SIGURG, lambda s, f: TICKS.__setitem__(0, TICKS[0] + 1))
signal.siginterrupt(signal.SIGURG, False)
`

// pyTickRuntime is the function: an init that lasts until 3 ticks have come
// (a hang guard of 30 s; 25 intervals without ticks asked for), then the first GET next through the proxy; the
// count when it was sent and 25 intervals after its answer, and the
// proxy's tick variables (from its child's /proc entry).
const pyTickRuntime = `import os, sys, time, http.client, sitecustomize as hook
us = int(os.environ["COLDPROF_SAMPLER_INTERVAL_US"])
if hook.TICK_ENV == "signal":
    end = time.time() + 30
    while hook.TICKS[0] < 3 and time.time() < end:
        sum(range(1000))
else:
    time.sleep(25 * us / 1e6 + 0.2)  # long enough for 25 ticks
proxy_env = {}
for task in os.listdir("/proc/self/task"):
    for child in open("/proc/self/task/%s/children" % task).read().split():
        for kv in open("/proc/%s/environ" % child, "rb").read().split(b"\0"):
            k, _, v = kv.decode().partition("=")
            if k.startswith("COLDPROF_PROXY_TICK"):
                proxy_env[k] = v
def count():  # a call: any signal handler pending runs first
    return hook.TICKS[0]
init_ticks = count()
c = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
c.request("GET", "/2018-06-01/runtime/invocation/next")
r = c.getresponse(); r.read()
at_next = count()
time.sleep(25 * us / 1e6 + 0.2)
print("tick_env=%s init_ticks=%d at_next=%d later=%d proxy_us=%s proxy_pid=%s pid=%d" % (
    hook.TICK_ENV, init_ticks, at_next, count(),
    proxy_env.get("COLDPROF_PROXY_TICK_US"), proxy_env.get("COLDPROF_PROXY_TICK_PID"), os.getpid()))
`

// End to end through the real wrapper and proxy binaries and real
// Pythons: the runtime gets COLDPROF_SAMPLER_TICK=signal, the proxy its
// interval and the runtime's PID; ticks arrive during init and none after
// the first GET next was answered (whose request the API received after the
// proxy stopped ticking). With COLDPROF_SAMPLER_TICK=thread: neither side
// has the variables, and no tick comes.
func TestExecSignalTicks(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	dir := t.TempDir()
	hookDir := filepath.Join(dir, "hooks")
	os.MkdirAll(filepath.Join(hookDir, "python"), 0o755)
	os.WriteFile(filepath.Join(hookDir, "python", "sitecustomize.py"), []byte(pyTickHook), 0o644)
	for label, py := range pythons(t) {
		for _, mode := range []string{"signal", "thread"} {
			t.Run(label+"/"+mode, func(t *testing.T) {
				api := fakeapi.New(t)
				api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
				script := filepath.Join(dir, "runtime.py")
				os.WriteFile(script, []byte(pyTickRuntime), 0o644)
				cmd := exec.Command(bin, py, script)
				cmd.Env = baseEnv("AWS_LAMBDA_RUNTIME_API="+api.Addr(), "COLDPROF_HOOK_DIR="+hookDir,
					"COLDPROF_SAMPLE_INTERVAL=2ms", "COLDPROF_SAMPLER_TICK="+mode)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				cmd.WaitDelay = 10 * time.Second
				done := make(chan error, 1)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("%v; stderr:\n%.2000s", err, stderr.String())
					}
				case <-time.After(60 * time.Second): // hang guard only
					cmd.Process.Kill()
					t.Fatalf("still running after 60 s; stderr:\n%.2000s", stderr.String())
				}
				got := map[string]string{}
				for _, f := range strings.Fields(stdout.String()) {
					k, v, _ := strings.Cut(f, "=")
					got[k] = v
				}
				n := func(k string) int { v, _ := strconv.Atoi(got[k]); return v }
				if mode == "thread" {
					if got["tick_env"] != "None" || got["proxy_us"] != "None" || got["init_ticks"] != "0" || got["later"] != "0" {
						t.Errorf("thread: %q; want no tick variables and no ticks", stdout.String())
					}
					return
				}
				if got["tick_env"] != "signal" || got["proxy_us"] != "2000" || got["proxy_pid"] != got["pid"] || got["pid"] == "" {
					t.Errorf("signal: the hand-off %q; want tick_env=signal proxy_us=2000 proxy_pid=pid", stdout.String())
				}
				if n("init_ticks") < 3 {
					t.Errorf("signal: %d ticks during init, want >= 3 (%q)", n("init_ticks"), stdout.String())
				}
				if n("later") != n("at_next") {
					t.Errorf("signal: %d ticks after the first next was answered (%q)", n("later")-n("at_next"), stdout.String())
				}
			})
		}
	}
}
