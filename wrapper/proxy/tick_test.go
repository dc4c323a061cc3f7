package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
)

// A late tick is sent once and the ones missed are skipped: the next tick
// is the first one on the schedule after now, never one already past.
func TestTickerAdvanceSkips(t *testing.T) {
	tk := newTicker(5*time.Millisecond, nil)
	t0 := time.Unix(1000, 0)
	for _, tt := range []struct {
		now  time.Duration // since t0, the time fire returned
		want time.Duration // the next tick, since t0
	}{
		{1 * time.Millisecond, 5 * time.Millisecond},    // on time
		{4999 * time.Microsecond, 5 * time.Millisecond}, // just before the next
		{5 * time.Millisecond, 10 * time.Millisecond},   // the next is due now: skipped
		{17 * time.Millisecond, 20 * time.Millisecond},  // 2 missed
	} {
		if got := tk.advance(t0, t0.Add(tt.now)).Sub(t0); got != tt.want {
			t.Errorf("advance at +%v: next at +%v, want +%v", tt.now, got, tt.want)
		}
	}
}

// The first failed send stops the ticker for good (run returns), and a
// stopped ticker sends nothing: from a timerfd and from a Go timer.
func TestTickerStopsAtSendError(t *testing.T) {
	for name, run := range map[string]func(*ticker){"timerfd": (*ticker).run, "Go timer": (*ticker).runTimer} {
		t.Run(name, func(t *testing.T) { testTickerStopsAtSendError(t, run) })
	}
}

func testTickerStopsAtSendError(t *testing.T, run func(*ticker)) {
	var sends atomic.Int64
	tk := newTicker(time.Millisecond, func() error {
		if sends.Add(1) == 3 {
			return syscall.ESRCH
		}
		return nil
	})
	done := make(chan struct{})
	go func() { run(tk); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // hang guard only
		t.Fatal("the ticker still runs after a send failed")
	}
	if got := sends.Load(); got != 3 || tk.sent.Load() != 2 {
		t.Errorf("%d sends (%d counted), want 3 (2)", got, tk.sent.Load())
	}
	if tk.fire() || sends.Load() != 3 {
		t.Error("a stopped ticker sent a tick")
	}
}

// The proxy signals only its parent: not another process, not init, not a
// PID that does not exist.
func TestTickerOnlyParent(t *testing.T) {
	for _, pid := range []int{os.Getpid(), 1, 0, 1 << 30} {
		if tk, err := newSignalTicker(time.Millisecond, pid); tk != nil || err == nil {
			t.Errorf("ticker for PID %d (the proxy's parent is %d): %v", pid, os.Getppid(), err)
		}
	}
	for _, env := range [][]string{
		{EnvTickUs + "=5000"},
		{EnvTickPID + "=" + strconv.Itoa(os.Getppid())},
		{EnvTickUs + "=999", EnvTickPID + "=" + strconv.Itoa(os.Getppid())},
		{EnvTickUs + "=5ms", EnvTickPID + "=" + strconv.Itoa(os.Getppid())},
		{EnvTickUs + "=5000", EnvTickPID + "=x"},
		{EnvTickUs + "=5000", EnvTickPID + "=1"},
	} {
		if tk, err := tickerFromEnv(env); tk != nil || err == nil {
			t.Errorf("%q: a ticker (%v), want an error", env, err)
		}
	}
	if tk, err := tickerFromEnv(nil); tk != nil || err != nil {
		t.Errorf("no tick variables: ticker %v, error %v; want neither", tk, err)
	}
}

const tickLine = "tick\n"

// Each thing that ends init stops the ticks before its request is
// forwarded: the fake sender logs every tick where the fake API records,
// as each request's head arrives, what the log held, and no tick is logged
// after that, however long the proxy then runs (25 intervals and more).
// A request the proxy cannot parse also stops them: init could end unseen
// behind it.
func TestTicksStopBeforeForwarding(t *testing.T) {
	const interval = time.Millisecond
	for _, tt := range []struct {
		name    string
		request func(t *testing.T, api *fakeapi.API, addr string)
		seen    bool   // the fake API's handler sees the request
		told    string // what the sampler's pipe is told first
	}{
		{"invocation/next", func(t *testing.T, api *fakeapi.API, addr string) {
			api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
			newClient(t, addr).get("/invocation/next")
		}, true, "init_done"},
		{"restore/next", func(t *testing.T, api *fakeapi.API, addr string) {
			api.Restores <- fakeapi.Event{Body: "{}"}
			newClient(t, addr).get("/restore/next")
		}, true, "init_done"},
		{"init/error", func(t *testing.T, api *fakeapi.API, addr string) {
			newClient(t, addr).post("/init/error")
		}, true, "tick_off"},
		{"unparseable request", func(t *testing.T, api *fakeapi.API, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: nonsense\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(10 * time.Second)) // hang guard only
			bufio.NewReader(c).ReadString('\n')                 // the API's 400, relayed
		}, false, "tick_off"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := fakeapi.New(t)
			ticks := &fakeapi.LockedBuffer{}
			api.WatchMarkers(ticks)
			told := &fakeapi.LockedBuffer{}
			p := &Proxy{InvokeMarkers: 1, Markers: &fakeapi.LockedBuffer{}, Sampler: nopCloser{told}, Now: time.Now}
			p.tick = newTicker(interval, func() error { ticks.Write([]byte(tickLine)); return nil })
			p.tick.failed = p.ticksOff
			addr := serve(t, p, api.Addr())
			go p.tick.run()
			defer p.tick.stop()
			for end := time.Now().Add(10 * time.Second); strings.Count(ticks.String(), tickLine) < 3; time.Sleep(interval) {
				if time.Now().After(end) { // hang guard only
					t.Fatal("fewer than 3 ticks in 10 s")
				}
			}
			tt.request(t, api, addr)
			before := strings.Count(ticks.String(), tickLine)
			if tt.seen {
				at := api.MarkersAt()
				if len(at) != 1 {
					t.Fatalf("the API got %d requests, want 1", len(at))
				}
				before = strings.Count(at[0], tickLine)
			}
			time.Sleep(100 * interval)
			if after := strings.Count(ticks.String(), tickLine); after != before {
				t.Errorf("%d ticks after the request reached the API (%d before)", after-before, before)
			}
			if p.tick.fire() {
				t.Error("the ticker still sends")
			}
			// The sampler hears "tick_off" only where init goes on
			// without ticks, and once.
			if got := told.String(); !strings.HasPrefix(got, tt.told+" ") || strings.Count(got, "tick_off") > 1 ||
				(tt.told == "init_done" && strings.Contains(got, "tick_off")) {
				t.Errorf("the sampler's pipe got %q, want a %s line first (tick_off only if init goes on without ticks)", got, tt.told)
			}
		})
	}
}

// nopCloser is a sampler pipe that records what it is told.
type nopCloser struct{ *fakeapi.LockedBuffer }

func (nopCloser) Close() error { return nil }

// A ticker that fails on its own (a send error) tells the sampler, once,
// while init goes on; after init_done it tells nothing.
func TestTickOffAtSendError(t *testing.T) {
	for _, initDone := range []bool{false, true} {
		told := &fakeapi.LockedBuffer{}
		p := &Proxy{InvokeMarkers: 1, Markers: &fakeapi.LockedBuffer{}, Sampler: nopCloser{told}, Now: time.Now}
		p.initDone = initDone
		p.tick = newTicker(time.Millisecond, func() error { return syscall.ESRCH })
		p.tick.failed = p.ticksOff
		for range 2 { // the second finds it stopped: no second line
			if p.tick.fire() {
				t.Fatal("a ticker whose send fails goes on")
			}
		}
		want := 1
		if initDone {
			want = 0
		}
		if n := strings.Count(told.String(), "tick_off "); n != want {
			t.Errorf("init done %v: the sampler's pipe got %q, want %d tick_off lines", initDone, told.String(), want)
		}
	}
}

// The "runtime" helper process (TestTickRuntimeProcess): it counts the
// SIGURGs it receives, starts the proxy (this test binary as
// TestProxyProcess) as its child as the wrapper does, and answers commands
// on stdin: "count" (SIGURGs so far), "send <quoted bytes>" (written to a
// new connection to the proxy, left open).
const (
	envTickRuntime = "COLDPROF_PROXY_TEST_TICK_RUNTIME" // "runtime", or "bystander" (only counts)
	envTickAddr    = "COLDPROF_PROXY_TEST_TICK_ADDR"    // the listener's address (fd 3)
	envTickProxy   = "COLDPROF_PROXY_TEST_TICK_PROXY"   // the proxy's environment, joined by \x1f
)

// TestTickRuntimeProcess is not a test: see envTickRuntime.
func TestTickRuntimeProcess(t *testing.T) {
	mode := os.Getenv(envTickRuntime)
	if mode == "" {
		t.Skip("helper process for the signal tick tests")
	}
	var count atomic.Int64
	sigs := make(chan os.Signal, 4096)
	signal.Notify(sigs, syscall.SIGURG)
	go func() {
		for range sigs {
			count.Add(1)
		}
	}()
	var proxy *exec.Cmd
	var exitW *os.File
	if mode == "runtime" {
		exitR, w, err := os.Pipe()
		if err != nil {
			os.Exit(3)
		}
		exitW = w
		env := strings.Split(os.Getenv(envTickProxy), "\x1f")
		for i, kv := range env {
			env[i] = strings.ReplaceAll(kv, "$PID", strconv.Itoa(os.Getpid()))
		}
		proxy = exec.Command(os.Args[0], "-test.run=^TestProxyProcess$")
		proxy.Env = env
		proxy.ExtraFiles = []*os.File{os.NewFile(3, "listener"), exitR}
		proxy.Stderr = os.Stderr
		if err := proxy.Start(); err != nil {
			os.Exit(3)
		}
		exitR.Close()
	}
	var conns []net.Conn
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "count":
			os.Stdout.WriteString(strconv.FormatInt(count.Load(), 10) + "\n")
		case "send":
			req, err := strconv.Unquote(arg)
			c, err2 := net.Dial("tcp", os.Getenv(envTickAddr))
			if err != nil || err2 != nil {
				os.Exit(3)
			}
			io.WriteString(c, req)
			conns = append(conns, c)
			os.Stdout.WriteString("sent\n")
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if proxy != nil {
		exitW.Close() // the runtime has gone
		proxy.Wait()
	}
	os.Exit(0)
}

// A tickProcess is a helper process the test talks to.
type tickProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    chan string
	stderr *fakeapi.LockedBuffer
}

// startTickProcess starts the helper; with proxyEnv (runtime mode) it
// starts the proxy on ln with that environment ("$PID" is the helper's
// PID).
func startTickProcess(t *testing.T, mode string, ln *os.File, addr string, proxyEnv []string) *tickProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTickRuntimeProcess$")
	// No asynchronous preemption: Go's runtime would SIGURG itself.
	cmd.Env = []string{envTickRuntime + "=" + mode, envTickAddr + "=" + addr, envTickProxy + "=" + strings.Join(proxyEnv, "\x1f"), "GODEBUG=asyncpreemptoff=1"}
	if ln != nil {
		cmd.ExtraFiles = []*os.File{ln}
	}
	p := &tickProcess{t: t, cmd: cmd, out: make(chan string, 16), stderr: &fakeapi.LockedBuffer{}}
	cmd.Stderr = p.stderr
	var err error
	if p.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out <- sc.Text()
		}
		close(p.out)
	}()
	t.Cleanup(func() {
		p.in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // hang guard only
			cmd.Process.Kill()
			t.Errorf("helper still running 10 s after its stdin closed; stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

func (p *tickProcess) ask(cmd string) string {
	p.t.Helper()
	io.WriteString(p.in, cmd+"\n")
	select {
	case line, ok := <-p.out:
		if !ok {
			p.t.Fatalf("helper exited; stderr:\n%s", p.stderr.String())
		}
		return line
	case <-time.After(10 * time.Second): // hang guard only
		p.t.Fatalf("no answer to %q in 10 s", cmd)
	}
	return ""
}

func (p *tickProcess) count() int {
	p.t.Helper()
	n, err := strconv.Atoi(p.ask("count"))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// waitTicks waits until the helper has counted at least n ticks.
func (p *tickProcess) waitTicks(n int) {
	p.t.Helper()
	for end := time.Now().Add(10 * time.Second); p.count() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) { // hang guard only
			p.t.Fatalf("fewer than %d ticks in 10 s; stderr:\n%s", n, p.stderr.String())
		}
	}
}

// waitRequests waits until the API has received n requests.
func waitRequests(t *testing.T, api *fakeapi.API, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); len(api.Requests()) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) { // hang guard only
			t.Fatalf("the API got %d requests in 10 s, want %d", len(api.Requests()), n)
		}
	}
}

// envHelperWithoutPidfd, "1", makes the proxy process tick with kill(2)
// (withoutPidfd).
const envHelperWithoutPidfd = "COLDPROF_PROXY_TEST_WITHOUT_PIDFD"

// proxyEnv is the proxy's environment for a tick test. GOMAXPROCS=1 as
// coldprof-wrapper starts it (and, with more than one P, Go's poller can
// stall under qemu-user, where wrapper's TestArm64ProxyPackageTests runs
// this test for arm64).
func proxyEnv(api *fakeapi.API, mode string, extra ...string) []string {
	env := []string{"GOMAXPROCS=1", envHelperSpare + "=64", EnvUpstream + "=" + api.Addr(), EnvExit + "=" + ExitPipe, EnvInvokeMarkers + "=1"}
	switch mode {
	case "without poller":
		env = append(env, envHelperWithoutPoller+"=1")
	case "kill":
		env = append(env, envHelperWithoutPidfd+"=1")
	}
	return append(env, extra...)
}

const nextRequest = "GET " + fakeapi.Prefix + "/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"

// The real proxy process, started by its "runtime" (a Go process counting
// SIGURG) with signal ticks asked for, ticks it, in Go's network poller and
// in the fallback without it (serveUntilExit's ppoll), through a pidfd or
// with kill(2) where there is none; after the first
// GET next has reached the API the ticks stop: the count settles and stays.
// (os/signal hands a Go process its signals asynchronously, so the exact
// "none after the request reached the API" is checked in-process,
// TestTicksStopBeforeForwarding, and with a single-threaded Python in the
// wrapper's TestExecSignalTicks.)
func TestProxyProcessTicksRuntime(t *testing.T) {
	for _, mode := range []string{"poller", "without poller", "kill"} {
		t.Run(mode, func(t *testing.T) {
			api := fakeapi.New(t)
			ln, addr := testListener(t)
			rt := startTickProcess(t, "runtime", ln, addr, proxyEnv(api, mode, EnvTickUs+"=1000", EnvTickPID+"=$PID"))
			ln.Close()
			rt.waitTicks(3)
			api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
			rt.ask("send " + strconv.Quote(nextRequest))
			waitRequests(t, api, 1)
			time.Sleep(50 * time.Millisecond) // settles: see above
			settled := rt.count()
			time.Sleep(50 * time.Millisecond) // 50 intervals
			if later := rt.count(); later != settled {
				t.Errorf("%d more ticks 50 intervals after the first next reached the API", later-settled)
			}
			if strings.Contains(rt.stderr.String(), "cannot tick") {
				t.Errorf("the proxy warned:\n%s", rt.stderr.String())
			}
		})
	}
}

// Tick variables that are missing, invalid or name a process other than
// the proxy's parent: no tick reaches anyone, a warning says why (when
// ticks were asked for), and the proxy serves the runtime as ever.
func TestProxyProcessNoTicks(t *testing.T) {
	bystander := startTickProcess(t, "bystander", nil, "", nil)
	bystander.count() // it is up, its handler installed
	other := EnvTickPID + "=" + strconv.Itoa(bystander.cmd.Process.Pid)
	for _, tt := range []struct {
		name string
		env  []string
		warn bool
	}{
		{"no variables", nil, false},
		{"interval only", []string{EnvTickUs + "=1000"}, true},
		{"bad interval", []string{EnvTickUs + "=1", EnvTickPID + "=$PID"}, true},
		{"bad PID", []string{EnvTickUs + "=1000", EnvTickPID + "=-5"}, true},
		{"not the parent", []string{EnvTickUs + "=1000", other}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := fakeapi.New(t)
			ln, addr := testListener(t)
			rt := startTickProcess(t, "runtime", ln, addr, proxyEnv(api, "poller", tt.env...))
			ln.Close()
			api.Events <- fakeapi.Event{ID: "id-1", Body: "{}"}
			time.Sleep(50 * time.Millisecond) // 50 intervals, had ticks been sent
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + fakeapi.Prefix + "/runtime/invocation/next")
			if err != nil {
				t.Fatalf("through the proxy: %v; stderr:\n%s", err, rt.stderr.String())
			}
			resp.Body.Close()
			if id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id"); id != "id-1" {
				t.Errorf("request ID %q, want id-1", id)
			}
			if n := rt.count(); n != 0 {
				t.Errorf("the runtime got %d ticks", n)
			}
			if n := bystander.count(); n != 0 {
				t.Errorf("the bystander got %d ticks", n)
			}
			if warned := strings.Contains(rt.stderr.String(), "cannot tick"); warned != tt.warn {
				t.Errorf("warning %v, want %v; stderr:\n%s", warned, tt.warn, rt.stderr.String())
			}
		})
	}
}

// A ticker stops after its limit of ticks (maxTicks: init's end may never
// come through the proxy) and tells the sampler, once.
func TestTickerLimit(t *testing.T) {
	told := &fakeapi.LockedBuffer{}
	p := &Proxy{InvokeMarkers: 1, Markers: &fakeapi.LockedBuffer{}, Sampler: nopCloser{told}, Now: time.Now}
	var sends int
	p.tick = newTicker(time.Millisecond, func() error { sends++; return nil })
	p.tick.limit = 3
	p.tick.failed = p.ticksOff
	for i := 0; i < 5; i++ {
		p.tick.fire()
	}
	if sends != 3 || strings.Count(told.String(), "tick_off ") != 1 {
		t.Errorf("%d sends, the sampler's pipe got %q; want 3 sends and one tick_off", sends, told.String())
	}
	if p.tick.fire() {
		t.Error("a ticker past its limit still ticks")
	}
}
