package hooks_test

import (
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/sampleline"
	"golang.org/x/sys/unix"
)

// Signal-ticked sampling (TICK-CONTRACT: COLDPROF_SAMPLER_TICK=signal): the
// proxy sends the runtime SIGURG every interval until init_done and the hook
// samples in a SIGURG handler. Here the test is the proxy: runRuntimeWith
// ticks the runtime from its start until it writes init_done.

// tickCounts: what a ticker sent.
type tickCounts struct {
	Sent      int // signals delivered to a live process
	AfterMark int // of them, after the runtime's "tick-mark" line
}

// ticker sends SIGURG to its processes every interval, through pidfds (so a
// process that ended and whose pid was reused is never signalled).
type ticker struct {
	mu     sync.Mutex
	fds    []int
	counts tickCounts
	marked bool
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func startTicker(t testing.TB, every time.Duration, pid int) *ticker {
	t.Helper()
	tk := &ticker{quit: make(chan struct{}), done: make(chan struct{})}
	if err := tk.add(pid); err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	go func() {
		defer close(tk.done)
		tc := time.NewTicker(every)
		defer tc.Stop()
		for {
			select {
			case <-tk.quit:
				return
			case <-tc.C:
			}
			tk.mu.Lock()
			for i, fd := range tk.fds {
				if fd < 0 {
					continue
				}
				if err := unix.PidfdSendSignal(fd, unix.SIGURG, nil, 0); err != nil {
					unix.Close(fd) // the process has ended
					tk.fds[i] = -1
					continue
				}
				tk.counts.Sent++
				if tk.marked {
					tk.counts.AfterMark++
				}
			}
			tk.mu.Unlock()
		}
	}()
	return tk
}

func (tk *ticker) add(pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	tk.mu.Lock()
	tk.fds = append(tk.fds, fd)
	tk.mu.Unlock()
	return nil
}

func (tk *ticker) mark() {
	tk.mu.Lock()
	tk.marked = true
	tk.mu.Unlock()
}

// stop ends the ticks for good and returns what was sent.
func (tk *ticker) stop() tickCounts {
	tk.once.Do(func() {
		close(tk.quit)
		<-tk.done
		for _, fd := range tk.fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	})
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.counts
}

// tickEnv is what the wrapper puts in a Python runtime's environment with
// signal ticks.
func tickEnv(dir string, intervalUs int) []string {
	return append(pythonSamplerEnv(dir, intervalUs, ""), "COLDPROF_SAMPLER_TICK=signal")
}

// runTicked runs argv as the wrapper would with signal ticks at intervalUs,
// the test ticking it as the proxy would.
func runTicked(t testing.TB, dir, work string, intervalUs int, argv ...string) runtimeRun {
	t.Helper()
	return runRuntimeWith(t, work, tickEnv(dir, intervalUs), runOptions{pipe: true, tick: time.Duration(intervalUs) * time.Microsecond}, argv...)
}

var errNoTruth = errors.New("missing")

// probe reads a number the function reported about the sampler (tick_probe.py).
func probe(r runtimeRun, key string) (float64, error) {
	v, ok := r.truth[key]
	if !ok {
		return 0, errNoTruth
	}
	return v, nil
}

// TestPythonTickedKnownWork: with signal ticks, the known work is
// attributed as with the thread (the same checks as
// TestPythonSamplerKnownWork), the samples of init come from the SIGURG
// handler, and the sampler thread does not wake at the interval before the
// cut: it waits for the pipe, checking every 200 ms (WATCH_MS) that the
// ticks still come, so at most init/200 ms + 2 wake-ups where the thread
// would wake init/5 ms times. The thread's voluntary context switches
// (/proc, not the sampler's own count) say the same. SIGALRM stays SIG_DFL.
func TestPythonTickedKnownWork(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r, s := calmRun(t, 60000, func() runtimeRun {
				return runTicked(t, dir, work, 5000, py, "runtime.py", "tick_known")
			}, func(c reporter, r runtimeRun, s sampled) {
				within(c, s, "busy_loop", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["busy_loop"])
				within(c, s, "nap", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["nap"])
				within(c, s, "handler_work", s.Cut.TimeUs, s.End.TimeUs, r.truth["handler_work"])
			})
			checkStops(t, s, r)
			if len(s.Other) != 0 {
				t.Errorf("other stderr lines: %q", s.Other)
			}
			if us := s.inclusiveUs("handler_work", s.Begin.TimeUs, s.Cut.TimeUs); us != 0 {
				t.Errorf("handler work sampled in init: %d µs", us)
			}
			ours, _ := probe(r, "_urg_ours")
			alrm, _ := probe(r, "_alrm_dfl")
			ticks, _ := probe(r, "_ticks")
			wakeups, err1 := probe(r, "_wakeups")
			vcs, err2 := probe(r, "_thread_vcs")
			initMs, _ := probe(r, "_init_ms")
			if err1 != nil || err2 != nil {
				t.Fatalf("the function did not report the sampler's figures: %v", r.truth)
			}
			if ours != 1 || alrm != 1 {
				t.Errorf("SIGURG handler the sampler's: %v, SIGALRM SIG_DFL: %v; want both", ours == 1, alrm == 1)
			}
			// Samples before the cut: the handler's, all but the one at the cut.
			var initSamples int
			for _, sm := range s.Samples {
				if sm.TimeUs < s.Cut.TimeUs {
					initSamples++
				}
			}
			if ticks < 20 || float64(initSamples) < ticks-2 {
				t.Errorf("%v ticks handled, %d samples before the cut (%d ticks sent): want the init samples from the ticks", ticks, initSamples, r.ticks.Sent)
			}
			limit := initMs/200 + 2
			// A wake-up is one switch, plus GIL waits when the main
			// thread holds it; the thread's 5 ms wake-ups would be ~100.
			if wakeups > limit || vcs > 4*limit+10 {
				t.Errorf("sampler thread: %v wake-ups, %v voluntary context switches over %.0f ms of init; want at most %.0f wake-ups (no interval wake-ups)", wakeups, vcs, initMs, limit)
			}
			t.Logf("%d ticks sent, %v handled; thread: %v wake-ups, %v voluntary context switches over %.0f ms of init", r.ticks.Sent, ticks, wakeups, vcs, initMs)
		})
	}
}

// TestPythonThreadWakeups: the same probe in thread mode wakes at the
// interval, so TestPythonTickedKnownWork's bound does tell the two apart.
func TestPythonThreadWakeups(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	r := runRuntime(t, testdata(t, "sampler"), pythonSamplerEnv(dir, 5000, ""), true, "python3", "runtime.py", "tick_known")
	wakeups, err := probe(r, "_wakeups")
	initMs, _ := probe(r, "_init_ms")
	if err != nil || r.code != 0 {
		t.Fatalf("exit %d, figures %v:\n%s", r.code, r.truth, r.stderr)
	}
	if ours, _ := probe(r, "_urg_ours"); ours != 0 {
		t.Errorf("a SIGURG handler without COLDPROF_SAMPLER_TICK")
	}
	if wakeups < initMs/5/3 {
		t.Errorf("thread mode: %v wake-ups over %.0f ms of init; want about one per 5 ms", wakeups, initMs)
	}
}

// TestPythonTickedCalls: while ticked, blocking calls return what they
// return without ticks, with no EINTR (Python retries its own calls; a C
// call made through ctypes, read(2) on a pipe, is restarted because the
// handler has SA_RESTART), libcurl's long poll (Lambda's runtime clients
// use it for …/next; its poll(2) does get EINTR) still completes, and a
// function's own SIGALRM still works.
func TestPythonTickedCalls(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, work, 1000, py, "runtime.py", "tick_calls")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			want := []string{"sleep ok", "select ok", "recv ok", "os.read ok", "event.wait ok", "subprocess ok", "alarm ok"}
			if !strings.Contains(r.stdout, "ctypes missing") {
				want = append(want, "ctypes read ok")
			}
			switch {
			case !strings.Contains(r.stdout, "pycurl missing"):
				want = append(want, "libcurl ok")
			case name == "debian":
				t.Errorf("Debian's python3 has no pycurl: run .ci/setup.d/10-debian.sh (python3-pycurl)")
			}
			for _, w := range want {
				if !strings.Contains(r.stdout, w+"\n") {
					t.Errorf("%q missing:\n%s", w, r.stdout)
				}
			}
			s := decodeSampler(t, r.stderr)
			if s.End == nil || s.End.StoppedBy != "invoke_end" {
				t.Errorf("end %+v", s.End)
			}
			if ticks, _ := probe(r, "_ticks"); ticks < 50 {
				t.Errorf("%v ticks handled (%d sent): the calls were hardly ticked", ticks, r.ticks.Sent)
			}
			t.Logf("%d ticks sent", r.ticks.Sent)
		})
	}
}

// TestPythonTickedOwnHandler: a function that installs its own SIGURG
// handler at module level gets the ticks from then on; the sampler goes on
// from its thread (it sees the handler is no longer its own) and ends
// normally.
func TestPythonTickedOwnHandler(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, testdata(t, "sampler"), 5000, py, "runtime.py", "tick_own_handler")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			mine, err := probe(r, "_mine")
			if err != nil || mine < 10 {
				t.Errorf("the function's handler ran %v times (%d ticks sent after it was installed)", mine, r.ticks.AfterMark)
			}
			if prev, _ := probe(r, "_prev_ours"); prev != 1 {
				t.Errorf("before the function's signal(), getsignal(SIGURG) was not the sampler's handler")
			}
			s := decodeSampler(t, r.stderr)
			checkStops(t, s, r)
			within(t, s, "spin_after", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["spin_after"])
		})
	}
}

// TestPythonTickedExec: a function that execs itself during init is not
// killed by the ticks that follow: exec resets the handler to SIG_DFL, and
// SIGURG's default action is to ignore it (the new image has no sampler:
// the variables were taken out of the environment).
func TestPythonTickedExec(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, testdata(t, "sampler"), 1000, py, "runtime.py", "tick_exec")
			if r.code != 0 || !strings.Contains(r.stdout, "exec'd: SIGURG SIG_DFL True, coldprof env []\n") || !strings.Contains(r.stdout, "response\n") {
				t.Fatalf("exit %d (-1: killed by a signal), stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if r.ticks.AfterMark < 20 {
				t.Errorf("only %d ticks sent to the exec'd image: the test proves nothing", r.ticks.AfterMark)
			}
			if s := decodeSampler(t, r.stderr); s.Lines != 0 {
				t.Errorf("%d sampler lines: the first image writes none during init, the second has no sampler", s.Lines)
			}
			t.Logf("%d ticks after the exec", r.ticks.AfterMark)
		})
	}
}

// TestPythonTickedFork: a child forked during init puts SIGURG back to
// SIG_DFL and takes no sample though ticked; the parent's lines are one
// process's (decodeSampler fails on a second begin).
func TestPythonTickedFork(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, testdata(t, "sampler"), 1000, py, "runtime.py", "tick_fork")
			if r.code != 0 || !strings.Contains(r.stdout, "child: SIGURG SIG_DFL True, samples taken 0, exit 0\n") {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if r.ticks.AfterMark < 20 {
				t.Errorf("only %d ticks sent after the fork: the test proves nothing", r.ticks.AfterMark)
			}
			s := decodeSampler(t, r.stderr)
			checkStops(t, s, r)
		})
	}
}

// TestPythonTickedExit: sampling ends at exit while ticks come every 100 µs
// (at_exit holds the sampler's lock while a tick's handler may run in the
// same thread): no deadlock (the hang guard), exit status and lines as
// without ticks.
func TestPythonTickedExit(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 5; i++ {
				r := runRuntimeWith(t, work, tickEnv(dir, 1000), runOptions{pipe: true, tick: 100 * time.Microsecond}, py, "-c", "import time\nend = time.perf_counter() + 0.05\nwhile time.perf_counter() < end: pass\nraise SystemExit(3)")
				if r.code != 3 {
					t.Fatalf("exit %d, want 3:\n%s", r.code, r.stderr)
				}
				s := decodeSampler(t, r.stderr)
				if s.End == nil || s.End.StoppedBy != sampleline.StoppedByExit || len(s.Samples) < 5 {
					t.Fatalf("end %+v, %d samples; want stoppedBy exit and the ticks' samples", s.End, len(s.Samples))
				}
			}
		})
	}
}

// TestPythonTickedBehaviour: behaviour.py (threads, SIGALRM, SIGUSR1,
// SIGTERM handlers, a fork, a Python child) observes with signal ticks
// exactly what it observes without coldprof.
func TestPythonTickedBehaviour(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	user := testdata(t, "sampler/user")
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			without := runRuntime(t, work, []string{"PYTHONPATH=" + user}, false, py, "behaviour.py")
			env := append(pythonSamplerEnv(dir, 1000, user), "COLDPROF_SAMPLER_TICK=signal")
			with := runRuntimeWith(t, work, env, runOptions{pipe: true, tick: time.Millisecond}, py, "behaviour.py")
			if without.code != 0 || with.code != without.code || with.stdout != without.stdout {
				t.Fatalf("ticked: exit %d\n%s\nwithout: exit %d\n%s\nstderr ticked:\n%s", with.code, with.stdout, without.code, without.stdout, with.stderr)
			}
			if with.ticks.Sent < 20 {
				t.Errorf("only %d ticks sent", with.ticks.Sent)
			}
			s := decodeSampler(t, with.stderr)
			if s.Begin == nil || s.End.StoppedBy != "exit" || len(s.Samples) == 0 {
				t.Errorf("sampler lines: begin %+v end %+v, %d samples", s.Begin, s.End, len(s.Samples))
			}
		})
	}
}

// TestPythonTickedFallbacks: COLDPROF_SAMPLER_TICK=signal without a pipe, or
// with SIGURG not at SIG_DFL (here ignored by the parent: inherited across
// exec), installs no handler and samples from the thread as without the
// setting; with the setting but no ticks arriving, the thread takes over
// after its check (WATCH_MS, twice) and init is still sampled.
func TestPythonTickedFallbacks(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	const show = "import signal; h = signal.getsignal(signal.SIGURG); print('dfl' if h == signal.SIG_DFL else 'ign' if h == signal.SIG_IGN else h)"
	t.Run("no pipe", func(t *testing.T) {
		r := runRuntimeWith(t, work, tickEnv(dir, 5000), runOptions{}, "sh", "-c", `COLDPROF_SAMPLER_PID=$$ exec python3 -c "$0"`, show)
		if r.code != 0 || r.stdout != "dfl\n" {
			t.Fatalf("exit %d, stdout %q, want SIG_DFL:\n%s", r.code, r.stdout, r.stderr)
		}
		if s := decodeSampler(t, r.stderr); s.End == nil || s.End.StoppedBy != "exit" {
			t.Errorf("end %+v, want the thread's sampling ended at exit", s.End)
		}
	})
	t.Run("SIGURG ignored", func(t *testing.T) {
		r := runRuntimeWith(t, work, tickEnv(dir, 5000), runOptions{pipe: true}, "sh", "-c", `trap "" URG; exec python3 -c "$0"`, show)
		if r.code != 0 || r.stdout != "ign\n" {
			t.Fatalf("exit %d, stdout %q, want SIG_IGN kept:\n%s", r.code, r.stdout, r.stderr)
		}
		if s := decodeSampler(t, r.stderr); s.End == nil || s.End.StoppedBy != "exit" {
			t.Errorf("end %+v, want the thread's sampling ended at exit", s.End)
		}
	})
	t.Run("no ticks", func(t *testing.T) {
		r := runRuntimeWith(t, work, tickEnv(dir, 5000), runOptions{pipe: true}, "python3", "runtime.py", "tick_known")
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		s := decodeSampler(t, r.stderr)
		checkStops(t, s, r)
		var initSamples int
		for _, sm := range s.Samples {
			if sm.TimeUs < s.Cut.TimeUs {
				initSamples++
			}
		}
		ticks, _ := probe(r, "_ticks")
		if ours, _ := probe(r, "_urg_ours"); ours != 1 || ticks != 0 || initSamples < 5 {
			t.Errorf("handler installed %v, %v ticks, %d samples in init: want the thread to take over", ours == 1, ticks, initSamples)
		}
	})
}

// TestPythonTickedTickOff: a proxy that cannot tick says so on the pipe
// ("tick_off"), and the thread samples from then on: here from init's
// start, so the known work is attributed as with the thread alone. Left to
// the thread's own check (WATCH_MS, at least 200 ms in), the 300 ms busy
// loop at init's start would be mostly lost.
func TestPythonTickedTickOff(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	work := testdata(t, "sampler")
	r, s := calmRun(t, 60000, func() runtimeRun {
		return runRuntimeWith(t, work, tickEnv(dir, 5000), runOptions{pipe: true, tickOff: true}, "python3", "runtime.py", "tick_known")
	}, func(c reporter, r runtimeRun, s sampled) {
		within(c, s, "busy_loop", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["busy_loop"])
		within(c, s, "nap", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["nap"])
	})
	checkStops(t, s, r)
	ticks, err := probe(r, "_ticks")
	if ours, _ := probe(r, "_urg_ours"); err != nil || ours != 1 || ticks != 0 {
		t.Errorf("handler installed %v, %v ticks (%v): want the handler installed and no ticks", ours == 1, ticks, err)
	}
}

// TestPythonTickedHandlerError: an exception of the SIGURG handler's own
// (here the function broke the handler's list of samples) never reaches the
// function: the handler stops, and the thread ends sampling with one error
// end line. A function that replaces time.monotonic_ns does not break it.
func TestPythonTickedHandlerError(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, testdata(t, "sampler"), 1000, py, "tick_breaks.py")
			if r.code != 0 || r.stdout != "ticks while the clock was broken: True\nstill running\n" {
				t.Fatalf("exit %d, stdout %q:\n%s", r.code, r.stdout, r.stderr)
			}
			s := decodeSampler(t, r.stderr)
			if s.End == nil || s.End.StoppedBy != sampleline.StoppedByError || !strings.Contains(s.End.Message, "SIGURG handler: TypeError") {
				t.Errorf("end %+v, want an error from the SIGURG handler", s.End)
			}
			if len(s.Other) != 0 {
				t.Errorf("other stderr lines: %q", s.Other)
			}
		})
	}
}

// TestPythonTickedFunction: function/app.py (the README's known work, with
// boto3: Debian's python3 only) is attributed the same with signal ticks as
// with the thread, each run checked against the known work.
func TestPythonTickedFunction(t *testing.T) {
	fullTier(t)
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		t.Skip("Debian's python3-boto3 is not installed (.ci/setup.d/10-debian.sh)")
	}
	dir := hookDir(t)
	work := testdata(t, "sampler")
	for _, mode := range []string{"thread", "signal"} {
		t.Run(mode, func(t *testing.T) {
			r, s := calmRun(t, 60000, func() runtimeRun {
				if mode == "signal" {
					return runTicked(t, dir, work, 5000, py, "runtime.py", "tick_app")
				}
				return runRuntime(t, work, pythonSamplerEnv(dir, 5000, ""), true, py, "runtime.py", "tick_app")
			}, func(c reporter, r runtimeRun, s sampled) {
				within(c, s, "busy_loop", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["busy_loop"])
				within(c, s, "load_config", s.Begin.TimeUs, s.Cut.TimeUs, r.truth["load_config"])
			})
			checkStops(t, s, r)
			t.Logf("%d samples in all; %d ticks sent", len(s.Samples), r.ticks.Sent)
		})
	}
}

// TestPythonTickedNestedHandler: CPython runs a signal's Python handler at
// any bytecode boundary, inside the SIGURG handler too; an exception the
// function's handler raises there (an alarm's, a KeyboardInterrupt) reaches
// the function, and sampling goes on (it is not the sampler's error).
func TestPythonTickedNestedHandler(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runRuntimeWith(t, testdata(t, "sampler"), tickEnv(dir, 1000), runOptions{pipe: true, tick: 200 * time.Microsecond}, py, "tick_nested.py")
			if r.code != 0 || r.stdout != "nested in the sampler: True, caught by the function: True\n" {
				t.Fatalf("exit %d, stdout %q (want the function's exception caught by the function):\n%.3000s", r.code, r.stdout, r.stderr)
			}
			s := decodeSampler(t, r.stderr)
			if s.End == nil || s.End.StoppedBy != sampleline.StoppedByExit {
				t.Errorf("end %+v, want sampling ended at exit, not by an error", s.End)
			}
		})
	}
}

// TestPythonTickedWakeupFd: a function that sets a signal wakeup fd during
// init (asyncio's add_signal_handler does) gets a byte in it for every
// SIGURG the sampler's handler catches; 1000 ticks before its loop runs
// filled asyncio's socket, so the loop lost its SIGTERM and stderr got an
// "Exception ignored when trying to write to the signal wakeup fd" per
// tick. The sampler must leave SIGURG alone once a wakeup fd is set.
func TestPythonTickedWakeupFd(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runRuntimeWith(t, testdata(t, "sampler"), tickEnv(dir, 5000), runOptions{pipe: true}, py, "runtime.py", "tick_wakeup")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%.3000s", r.code, r.stderr)
			}
			if term, err := probe(r, "_term"); err != nil || term != 1 {
				t.Errorf("the function's asyncio loop did not get its SIGTERM (%v, %v)", term, err)
			}
			if n := strings.Count(r.stderr, "Exception ignored"); n > 0 {
				t.Errorf("%d \"Exception ignored\" on stderr:\n%.2000s", n, r.stderr)
			}
			s := decodeSampler(t, r.stderr)
			checkStops(t, s, r)
		})
	}
}

// TestPythonTickedFds: the handler's probe pipe (TestPythonTickedWakeupFd)
// is closed once the sampler's thread has read the cut: no descriptor of
// the sampler's outlives init in the function's process.
func TestPythonTickedFds(t *testing.T) {
	fullTier(t)
	dir := hookDir(t)
	for name, py := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			r := runTicked(t, dir, testdata(t, "sampler"), 5000, py, "runtime.py", "tick_fds")
			if r.code != 0 {
				t.Fatalf("exit %d:\n%.3000s", r.code, r.stderr)
			}
			during, _ := probe(r, "_probe_in_init")
			cut, _ := probe(r, "_cut_seen")
			after, err := probe(r, "_probe_after_cut")
			if during != 1 || cut != 1 || err != nil || after != 0 {
				t.Errorf("probe pipe open in init %v, cut seen %v, open after the cut %v (%v): want open, seen, closed", during, cut, after, err)
			}
		})
	}
}
