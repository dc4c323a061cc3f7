package proxy

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Signal ticks (the sampler hand-off's "signal" mode): while the runtime
// initialises, the proxy sends it SIGURG every sampler interval, and the
// Python sampler takes a sample in its SIGURG handler, in the runtime's
// main thread, instead of waking a thread of its own that must take the
// GIL. SIGURG's default action is to ignore it, so a tick that finds no
// handler (before the hook installed it, after an exec) does nothing.
//
// The ticks stop for good, before the request is forwarded, at the first
// GET …/invocation/next or …/runtime/restore/next (init has ended: the
// runtime client's own Runtime API calls are native code, and signals are
// kept away from them), at an init error posted, when the proxy stops
// parsing a connection before init ended (it could no longer see init
// end), at the runtime's exit, at the first error sending one, and after
// maxTicks. Stopped before init's end for any reason but the runtime's
// exit, the proxy says "tick_off" on the sampler's pipe, so that the
// sampler's thread takes over.

// Tick limits the proxy accepts in EnvTickUs: the wrapper's sampler bounds
// (1 ms to 100 ms) with room, never a rate that would keep the proxy busy.
const (
	minTick = time.Millisecond
	maxTick = time.Second
)

// maxTicks bounds a ticker's life when init's end never comes through the
// proxy (a fallback command run in the runtime's place never asks for an
// event): the Python sampler keeps at most as many samples (MAX_RAW), and a
// signal nobody handles still costs the proxy a wake-up. At 10 ms that is
// 1,000 s of init; past it the sampler is told tick_off.
const maxTicks = 100000

// System call numbers, the same on every Linux architecture (newer than the
// unified table).
const (
	sysPidfdSendSignal = 424
	sysPidfdOpen       = 434
)

// A ticker sends one process SIGURG every interval until it is stopped.
// Sending and stopping exclude each other (mu), so once stop has returned
// no tick is sent any more; a send is one non-blocking system call, so a
// stop waits at most for that.
type ticker struct {
	interval time.Duration
	send     func() error // sends one tick

	mu      sync.Mutex
	stopped bool
	done    chan struct{} // closed by stop: wakes run
	closeFn func()        // releases what send uses (the pidfd), under mu
	wake    func()        // wakes runTimerfd's read, under mu
	sent    atomic.Int64  // ticks sent, for tests and benchmarks
	limit   int64         // ticks to send at most (maxTicks)
	// failed, when not nil, is called (without mu) once ticking stops
	// before init's end on its own: a send or the timerfd failed.
	failed func()
}

func newTicker(interval time.Duration, send func() error) *ticker {
	return &ticker{interval: interval, send: send, done: make(chan struct{}), limit: maxTicks}
}

// withoutPidfd makes the proxy tick with kill(2) as where the kernel has
// no pidfds (tests of that fallback).
var withoutPidfd bool

// errNotParent: the process to tick is not the proxy's parent (or no longer
// is): the proxy signals no other process.
var errNotParent = errors.New("the process to tick is not the proxy's parent")

// tickerFromEnv returns the ticker EnvTickUs and EnvTickPID ask for, nil
// when neither is set. The process must be the proxy's parent (the runtime,
// which the wrapper exec'd into after forking the proxy); it is signalled
// through a pidfd, or, where the kernel or a seccomp filter refuses pidfds
// (ENOSYS, EPERM) or no descriptor is to be had, with kill(2), only while
// it is still the parent: a PID once the parent has gone may be anyone's.
func tickerFromEnv(environ []string) (*ticker, error) {
	usText, hasUs := lookupEnv(environ, EnvTickUs)
	pidText, hasPID := lookupEnv(environ, EnvTickPID)
	if !hasUs && !hasPID {
		return nil, nil
	}
	us, err := strconv.ParseInt(usText, 10, 64)
	interval := time.Duration(us) * time.Microsecond
	if err != nil || interval < minTick || interval > maxTick {
		return nil, errors.New(EnvTickUs + " is not an interval from 1000 to 1000000 µs")
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 1 {
		return nil, errors.New(EnvTickPID + " is not a process ID")
	}
	return newSignalTicker(interval, pid)
}

// newSignalTicker returns a ticker sending SIGURG to pid, which must be the
// proxy's parent.
func newSignalTicker(interval time.Duration, pid int) (*ticker, error) {
	if syscall.Getppid() != pid {
		return nil, errNotParent
	}
	fd, _, errno := syscall.RawSyscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno == 0 && withoutPidfd {
		syscall.Close(int(fd))
		errno = syscall.ENOSYS
	}
	if errno == 0 {
		pidfd := int(fd)
		// The pidfd is of pid as it is now: still the parent, so not a
		// reused PID (a parent's exit makes another process the parent).
		if syscall.Getppid() != pid {
			syscall.Close(pidfd)
			return nil, errNotParent
		}
		// Signal 0 checks that pidfd_send_signal is allowed, and sends nothing.
		_, _, errno = syscall.RawSyscall6(sysPidfdSendSignal, uintptr(pidfd), 0, 0, 0, 0, 0)
		if errno == 0 {
			t := newTicker(interval, func() error {
				if _, _, errno := syscall.RawSyscall6(sysPidfdSendSignal, uintptr(pidfd), uintptr(syscall.SIGURG), 0, 0, 0, 0); errno != 0 {
					return errno
				}
				return nil
			})
			t.closeFn = func() { syscall.Close(pidfd) }
			return t, nil
		}
		syscall.Close(pidfd)
	}
	switch errno {
	case syscall.ENOSYS, syscall.EPERM, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM:
	default:
		return nil, errno
	}
	send := func() error {
		if syscall.Getppid() != pid {
			return errNotParent
		}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_KILL, uintptr(pid), uintptr(syscall.SIGURG), 0); errno != 0 {
			return errno
		}
		return nil
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_KILL, uintptr(pid), 0, 0); errno != 0 {
		return nil, errno
	}
	return newTicker(interval, send), nil
}

// fire sends one tick unless stopped; it stops the ticker for good when
// the send fails. It reports whether ticking goes on.
func (t *ticker) fire() bool {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return false
	}
	if t.sent.Load() >= t.limit {
		t.stopLocked()
		t.mu.Unlock()
		if t.failed != nil {
			t.failed()
		}
		return false
	}
	if err := t.send(); err != nil {
		t.stopLocked()
		t.mu.Unlock()
		if t.failed != nil {
			t.failed()
		}
		return false
	}
	t.sent.Add(1)
	t.mu.Unlock()
	return true
}

// stop ends the ticks for good: no tick is sent once it has returned. It
// reports whether they were still going.
func (t *ticker) stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopLocked()
}

func (t *ticker) stopLocked() bool {
	if t.stopped {
		return false
	}
	t.stopped = true
	close(t.done)
	if t.wake != nil {
		t.wake()
	}
	if t.closeFn != nil {
		t.closeFn()
	}
	return true
}

// advance returns the time of the tick after the one due at next, skipping
// those whose time has already passed by now: a late tick is sent once,
// never queued.
func (t *ticker) advance(next, now time.Time) time.Time {
	next = next.Add(t.interval)
	if late := now.Sub(next); late >= 0 {
		next = next.Add((late/t.interval + 1) * t.interval)
	}
	return next
}

// run ticks until stopped, from a timerfd in Go's network poller, or, with
// no descriptor for one, from a Go timer. Only where the poller is running
// (a Go timer's first use would create it; serveUntilExit ticks from its
// ppoll's timeout instead).
//
// The timerfd is the cheaper of the two: the kernel keeps the schedule and
// wakes the poller's thread once when a tick is due, where with a Go timer
// the thread sleeps in an epoll timeout of whole milliseconds and the
// scheduler does more work per tick (wrapper/BENCHMARKS.md, "The proxy's
// cost of signal ticks").
func (t *ticker) run() {
	if !t.runTimerfd() {
		t.runTimer()
	}
}

// runTimer ticks on a Go timer until stopped.
func (t *ticker) runTimer() {
	next := time.Now().Add(t.interval)
	timer := time.NewTimer(t.interval)
	defer timer.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-timer.C:
		}
		if !t.fire() {
			return
		}
		now := time.Now()
		next = t.advance(next, now)
		timer.Reset(next.Sub(now))
	}
}

// stopTicks stops the runtime's ticks, if any, for good: init has ended
// (the sampler is told so by init_done) or the runtime has exited.
func (p *Proxy) stopTicks() {
	if p.tick != nil {
		p.tick.stop()
	}
}

// stopTicksEarly stops the ticks before init's end (an init error, a
// connection the proxy stops parsing) and, if they were still going, tells
// the sampler, whose thread then samples in their place.
func (p *Proxy) stopTicksEarly() {
	if p.tick != nil && p.tick.stop() {
		p.ticksOff()
	}
}

// ticksOff tells the sampler that no more ticks come although init goes
// on ("tick_off <unixUs>"): its thread samples from then on, rather than
// leaving the rest of init without samples until its own check notices.
func (p *Proxy) ticksOff() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.initDone {
		p.tellSampler("tick_off", p.Now().UnixMicro())
	}
}

// timerfd_create(2) and timerfd_settime(2) arguments.
const (
	clockMonotonic = 1 // CLOCK_MONOTONIC
)

// An itimerspec is struct itimerspec.
type itimerspec struct{ interval, value syscall.Timespec }

// runTimerfd ticks from a periodic timerfd read in the poller until
// stopped; it returns false, having sent nothing, when the timerfd cannot
// be had. A read that reports several expirations (the proxy was late)
// sends one tick: the missed ones are skipped.
func (t *ticker) runTimerfd() bool {
	fd, _, errno := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return false
	}
	c := newPollConn(int(fd))
	defer c.Close()
	if !c.polled {
		return false
	}
	every := syscall.NsecToTimespec(int64(t.interval))
	spec := itimerspec{interval: every, value: every}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		return false
	}
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return true
	}
	// stop wakes the read below (a deadline, which, unlike Close, does
	// not wait for this goroutine: the relay that stops the ticks must not).
	t.wake = func() { c.f.SetReadDeadline(time.Unix(1, 0)) }
	t.mu.Unlock()
	var expirations [8]byte
	for {
		var errno syscall.Errno
		waited := false
		err := c.rc.Read(func(fd uintptr) bool {
			if !waited {
				// The last read emptied the timerfd: wait for the poller
				// first rather than read(2) for an EAGAIN every tick.
				waited = true
				return false
			}
			_, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&expirations[0])), 8)
			return errno != syscall.EAGAIN
		})
		if err != nil || errno != 0 {
			// The timerfd failed: no ticks rather than a stream of them.
			if t.stop() && t.failed != nil {
				t.failed()
			}
			return true
		}
		if !t.fire() {
			return true
		}
	}
}
