package proxy

import (
	"io"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// The hand-off between coldprof-wrapper (which starts the proxy) and the
// proxy process: inherited descriptors and environment.
const (
	// ListenerFD is the loopback listening socket the wrapper created and
	// pointed the runtime's AWS_LAMBDA_RUNTIME_API at.
	ListenerFD = 3
	// ExitFD tells the proxy when the runtime has exited: a pidfd of the
	// runtime's process (readable when it exits), or, where pidfd_open is
	// not available, the read end of a pipe whose write end the runtime
	// holds (EOF when every holder has exited, see EnvExit).
	ExitFD = 4
	// SamplerFD, when EnvSampler is set, is the write end of the pipe to the
	// in-runtime sampler (the runtime holds the read end, named in its
	// COLDPROF_SAMPLER_FD).
	SamplerFD = 5

	// EnvUpstream is the real Runtime API address.
	EnvUpstream = "COLDPROF_PROXY_UPSTREAM"
	// EnvInvokeMarkers bounds how many invocations get invoke markers (the
	// function's own COLDPROF_INVOKE_MARKERS, validated by the wrapper).
	EnvInvokeMarkers = "COLDPROF_INVOKE_MARKERS"
	// EnvExit says what ExitFD is: ExitPidfd or ExitPipe.
	EnvExit = "COLDPROF_PROXY_EXIT"
	// EnvSampler is "1" when SamplerFD is open.
	EnvSampler = "COLDPROF_PROXY_SAMPLER"
	// EnvSchedBatch is "1" when the proxy was started SCHED_BATCH, so as
	// not to preempt the runtime's start-up: Main makes its threads
	// SCHED_OTHER, so that relaying is not delayed behind other work.
	EnvSchedBatch = "COLDPROF_PROXY_SCHED_BATCH"

	// EnvTickUs and EnvTickPID, both set, ask for signal ticks: SIGURG to
	// process EnvTickPID (the runtime, the proxy's parent) every EnvTickUs
	// µs until init ends (tick.go).
	EnvTickUs  = "COLDPROF_PROXY_TICK_US"
	EnvTickPID = "COLDPROF_PROXY_TICK_PID"

	ExitPidfd = "pidfd"
	ExitPipe  = "pipe"
)

// Main is the proxy process's entry point (cmd/coldprof-proxy, and the
// coldprof command's hidden proxy mode). It serves the runtime on the
// inherited listener until the runtime exits, writing markers to stderr,
// and returns the exit status. A nil stderr means descriptor 2, written
// with write(2).
func Main(environ []string, stderr io.Writer) int {
	if v, _ := lookupEnv(environ, EnvSchedBatch); v == "1" {
		leaveSchedBatch()
	}
	if stderr == nil {
		stderr = fdWriter(2)
	}
	// The proxy shares the runtime's process group: a function that signals
	// its own group (killpg(0, SIGTERM) to stop its children, ignoring it
	// itself) or a terminal's Ctrl-C must not take its Runtime API away. The
	// proxy ends with the runtime anyway; SIGKILL still ends it.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	upstream, _ := lookupEnv(environ, EnvUpstream)
	addr, err := ParseAddr(upstream)
	if err != nil {
		io.WriteString(stderr, "coldprof-proxy: "+EnvUpstream+": "+err.Error()+"\n")
		return 2
	}
	invokeMarkers := 10
	if v, ok := lookupEnv(environ, EnvInvokeMarkers); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			invokeMarkers = n
		}
	}
	p := &Proxy{Upstream: addr, InvokeMarkers: invokeMarkers, Markers: stderr, Now: time.Now}
	if v, _ := lookupEnv(environ, EnvSampler); v == "1" {
		if s, err := NewSamplerPipe(SamplerFD); err == nil {
			p.Sampler = s
		}
	}
	// The pidfd is opened before the poller starts (serveMain), so that
	// startPoller's check counts it; short of a descriptor, kill(2).
	if t, err := tickerFromEnv(environ); err != nil {
		p.warn("runtime-API proxy cannot tick the sampler (" + err.Error() + "); it samples from its thread")
		p.ticksOff()
	} else if t != nil {
		t.failed = p.ticksOff
		p.tick = t
	}
	exit, _ := lookupEnv(environ, EnvExit)
	if err := p.serveMain(ListenerFD, ExitFD, exit == ExitPidfd); err != nil {
		io.WriteString(stderr, "coldprof-proxy: no inherited listener: "+err.Error()+"\n")
		return 2
	}
	return 0
}

// exited tells whether the runtime has exited, once fd has polled ready: fd
// is a pidfd (readable then) or a pipe's read end (EOF then; nothing writes
// to it).
func exited(fd int, pidfd bool) bool {
	if pidfd {
		return true
	}
	var buf [64]byte
	_, err := fdConn(fd).Read(buf[:])
	return err != nil
}

// An fdWriter writes to a descriptor with write(2): os.File would turn
// EPIPE on descriptor 2 into a fatal SIGPIPE.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) { return fdConn(w).Write(p) }

// lookupEnv finds key in environ; like getenv(3) the first entry wins.
func lookupEnv(environ []string, key string) (string, bool) {
	for _, kv := range environ {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// leaveSchedBatch makes every thread of this process SCHED_OTHER (nice
// unchanged). The policy is per thread and inherited by new threads, so it
// goes over /proc/self/task until a pass finds no thread left to change (a
// thread created meanwhile by one not yet changed).
func leaveSchedBatch() {
	var param int64 // struct sched_param: priority 0
	for pass := 0; pass < 4; pass++ {
		changed := 0
		forEachThread(func(tid int) {
			if policy, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0); errno == 0 && policy == schedBatch {
				syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedOther, uintptr(unsafe.Pointer(&param)))
				changed++
			}
		})
		if changed == 0 {
			return
		}
	}
}

// Scheduling policies (sched(7)).
const (
	schedOther = 0 // SCHED_OTHER
	schedBatch = 3 // SCHED_BATCH
)

// forEachThread calls f with the ID of each of this process's threads.
func forEachThread(f func(tid int)) {
	fd, err := syscall.Open("/proc/self/task", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	// Small: it is on Main's stack, which a 4 KB buffer made Go grow (and
	// copy) at every start; a few threads' entries fit, and ReadDirent
	// is called again for more.
	var buf [512]byte
	for {
		n, err := syscall.ReadDirent(fd, buf[:])
		if err != nil || n <= 0 {
			return
		}
		_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if tid, err := strconv.Atoi(name); err == nil {
				f(tid)
			}
		}
	}
}
