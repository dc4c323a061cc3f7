package wrapper

import (
	"runtime"
	"syscall"
	"unsafe"
)

// The proxy is started by a plain fork whose child waits, in a blocking
// read, until the wrapper has exec'd the runtime, and only then execs the
// proxy. The runtime's start therefore never waits for the proxy: not for
// its exec (syscall.ForkExec's vfork suspends the parent until the child
// has exec'd, 0.2-0.7 ms on a 2-vCPU VM), and not for the wrapper's own
// threads, which the kernel must schedule to let them die when the wrapper
// execs and which found the other CPU taken by the proxy's Go start-up
// (measured: up to 0.7 ms). See BENCHMARKS.md, "Start-up without waiting
// for the proxy".
//
// The price is that the proxy's exec runs after the wrapper's, when
// nothing can fall back any more. So the parent first checks that the
// proxy binary can be exec'd (faccessat X_OK), and the child, should its
// exec fail all the same, execs the fallback command (the wrapper's own
// executable in its proxy mode) before it gives up.

// A forkPlan is everything the forked child needs, built by the parent so
// that the child only makes system calls: it runs between fork and exec in
// a copy of a multi-threaded Go process, where nothing of the Go runtime
// (allocation, scheduling, stack growth) may run.
type forkPlan struct {
	path, fallbackPath uintptr // NUL-terminated paths
	argv, fallbackArgv uintptr // NULL-terminated arrays
	envv               uintptr
	waitR, waitW       int // the wait pipe: the child reads waitR until EOF
	// moves are the descriptors the proxy gets: fds[i] becomes i (0 and 1
	// are closed: the proxy gets /dev/null there from Go's runtime).
	fds    [maxProxyFD + 1]int
	ignore uintptr // struct sigaction for SIG_IGN
	dfl    uintptr // struct sigaction for SIG_DFL
	// batch (a struct sched_param, or 0) makes the child SCHED_BATCH: this
	// thread is, around the clone; see startProxyExe.
	batch uintptr
	keep  []any // the memory behind the pointers above
}

// maxProxyFD is the highest descriptor the proxy inherits (proxy.SamplerFD).
const maxProxyFD = 5

// groupSignals are ignored in the child at once: the function may signal
// its process group (see proxy.Main), and a signal pending in the waiting
// child would otherwise kill the proxy as its Go runtime starts.
var groupSignals = [...]syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT}

// faultSignals cannot be blocked when a fault raises them: the child makes
// them SIG_DFL first, so that a fault in it (a bug) only kills it, and never
// runs Go's handler on a thread the Go runtime does not know, in memory it
// may share with the wrapper.
var faultSignals = [...]syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE, syscall.SIGTRAP}

// kernelSigaction is the kernel's struct sigaction on amd64 and arm64.
type kernelSigaction struct {
	handler, flags, restorer uintptr
	mask                     uint64
}

// cStrings returns argv as a NULL-terminated array of NUL-terminated
// strings, and what must stay alive for it.
func cStrings(argv []string) (uintptr, []*byte) {
	ptrs := make([]*byte, len(argv)+1)
	for i, a := range argv {
		b := make([]byte, len(a)+1)
		copy(b, a)
		ptrs[i] = &b[0]
	}
	return uintptr(unsafe.Pointer(&ptrs[0])), ptrs
}

// newForkPlan prepares the child's work. files[i] is the descriptor the
// proxy gets as i (-1: none); fallback may be nil; batch makes the child
// SCHED_BATCH.
func newForkPlan(argv, fallback, env []string, files []int, batch bool) (*forkPlan, error) {
	p := &forkPlan{waitR: -1, waitW: -1}
	for i := range p.fds {
		p.fds[i] = -1
	}
	copy(p.fds[:], files)
	path, err := syscall.BytePtrFromString(argv[0])
	if err != nil {
		return nil, err
	}
	p.path = uintptr(unsafe.Pointer(path))
	args, argsKeep := cStrings(argv)
	envv, envKeep := cStrings(env)
	p.argv, p.envv = args, envv
	p.keep = append(p.keep, path, argsKeep, envKeep)
	if len(fallback) > 0 {
		fpath, err := syscall.BytePtrFromString(fallback[0])
		if err != nil {
			return nil, err
		}
		fargs, fKeep := cStrings(fallback)
		p.fallbackPath, p.fallbackArgv = uintptr(unsafe.Pointer(fpath)), fargs
		p.keep = append(p.keep, fpath, fKeep)
	}
	if batch {
		param := new(int64) // struct sched_param: priority 0
		p.batch = uintptr(unsafe.Pointer(param))
		p.keep = append(p.keep, param)
	}
	ign, dfl := &kernelSigaction{handler: 1}, &kernelSigaction{} // SIG_IGN, SIG_DFL
	p.ignore, p.dfl = uintptr(unsafe.Pointer(ign)), uintptr(unsafe.Pointer(dfl))
	p.keep = append(p.keep, ign, dfl)
	return p, nil
}

// forkProxy forks the child that waits for this process's exec (or exit)
// and then execs the proxy. It returns the child's PID and the write end
// of the wait pipe (close-on-exec), which releases the child when closed:
// the wrapper's exec closes it; a caller that does not exec (tests) closes
// it itself.
func forkProxy(p *forkPlan) (pid, release int, err error) {
	var stack uintptr // the top of the child's own stack (CLONE_VM), else 0
	if useCloneVM {
		mem, err := syscall.Mmap(-1, 0, childStackSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_STACK)
		if err != nil {
			return 0, -1, err
		}
		stack = uintptr(unsafe.Pointer(&mem[childStackSize-64]))
		liveForkPlans = append(liveForkPlans, p)
	}
	var w [2]int
	if err := syscall.Pipe2(w[:], syscall.O_CLOEXEC); err != nil {
		return 0, -1, err
	}
	p.waitR, p.waitW = w[0], w[1]
	syscall.ForkLock.Lock()
	r1, errno := spawnChild(p, stack)
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(p)
	syscall.Close(p.waitR)
	if errno != 0 {
		syscall.Close(p.waitW)
		return 0, -1, errno
	}
	return int(r1), p.waitW, nil
}

// Scheduling policies (sched(7)).
const (
	schedOther = 0 // SCHED_OTHER
	schedBatch = 3 // SCHED_BATCH
)

// sigSetmask is SIG_SETMASK.
const sigSetmask = 2

// useCloneVM selects a child sharing this process's memory over a plain
// fork (tests turn it off to run the fork, which other architectures use,
// on amd64 too).
var useCloneVM = haveCloneVM

// liveForkPlans keeps the plans of the children sharing this process's
// memory alive for as long as this process runs: a child reads its plan
// after this process has exec'd, from the memory it then owns alone. (The
// wrapper starts one; tests start several.)
var liveForkPlans []*forkPlan

// proxyChildPC is proxyChild's entry for the internal ABI (a func value's
// code pointer), which cloneVM calls directly, without the ABI0 wrapper an
// assembly call by name would go through.
var proxyChildPC = funcPC(proxyChild)

func funcPC(f func(*forkPlan)) uintptr { return **(**uintptr)(unsafe.Pointer(&f)) }

// childStackSize is the stack of a child sharing this process's memory,
// mapped by forkProxy and never unmapped: proxyChild's frames are a few
// hundred bytes.
const childStackSize = 64 << 10

// spawnChild starts the child: with a stack, sharing this process's memory
// (CLONE_VM without CLONE_VFORK: this process goes on at once; nothing is
// copied, no copy-on-write fault follows, and when this process execs the
// runtime its old memory is not torn down on the runtime's path: the child
// holds it until its own exec), else as a plain fork. In a forked child it
// runs proxyChild and never returns.
//
// Around the clone this thread blocks every signal, so that the child starts
// with all blocked and no Go signal handler ever runs in it; they stay so
// across the proxy's exec: the proxy's Go runtime unblocks the signals it
// cannot do without (faults, preemption, the ones that end it), the others
// stay blocked in the proxy, which uses none of them. And it is SCHED_BATCH
// when p asks, so that the child is from its first instruction. Nosplit
// and nothing but raw system calls: no preemption point, so the goroutine
// stays on this thread from the mask's change to its restoring (as
// syscall.ForkExec does; runtime.LockOSThread would start Go's template
// thread, one more thread for the exec to wait for).
//
//go:noinline
//go:nosplit
//go:norace
//go:nocheckptr
func spawnChild(p *forkPlan, stack uintptr) (pid uintptr, errno syscall.Errno) {
	var all, old uint64 = ^uint64(0), 0
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if p.batch != 0 {
		syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, schedBatch, p.batch)
	}
	if stack != 0 {
		pid, errno = cloneVM(syscall.CLONE_VM|uintptr(syscall.SIGCHLD), stack, p, proxyChildPC)
	} else {
		r1, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if e == 0 && r1 == 0 {
			proxyChild(p) // the forked child; never returns
		}
		pid, errno = r1, e
	}
	if p.batch != 0 {
		syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, 0, schedOther, p.batch)
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	return pid, errno
}

// proxyChild is the child's work after the clone: it never returns. It
// waits until the parent has exec'd (EOF on the wait pipe), moves the
// proxy's descriptors into place and execs the proxy, else the fallback,
// else exits 127. Between clone and exec the child is a copy (or a sharer)
// of a multi-threaded Go process's memory with one thread of its own: only
// raw system calls, no allocation, no stack growth (nosplit, and nothing
// but nosplit callees), no race instrumentation.
//
//go:nosplit
//go:norace
//go:nocheckptr
func proxyChild(p *forkPlan) {
	for i := 0; i < len(faultSignals); i++ {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(faultSignals[i]), p.dfl, 0, 8, 0, 0)
	}
	// The child. Let go of what the runtime and the parent hold: stdin,
	// stdout, the wait pipe's write end (else its own copy would keep the
	// pipe from ever reaching EOF).
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(p.waitW), 0, 0)
	syscall.RawSyscall(syscall.SYS_CLOSE, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_CLOSE, 1, 0, 0)
	for i := 0; i < len(groupSignals); i++ {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(groupSignals[i]), p.ignore, 0, 8, 0, 0)
	}
	var buf [8]byte
	for {
		_, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(p.waitR), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if e != syscall.EINTR {
			break // EOF (or an error): the parent has exec'd or exited
		}
	}
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(p.waitR), 0, 0)
	// Move the descriptors: first all above the targets (close-on-exec
	// copies, so no source is overwritten by another's target), then down.
	var tmp [maxProxyFD + 1]int
	for i := 0; i <= maxProxyFD; i++ {
		tmp[i] = -1
		if p.fds[i] < 0 {
			continue
		}
		fd, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(p.fds[i]), syscall.F_DUPFD_CLOEXEC, maxProxyFD+1)
		if e != 0 {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
		}
		tmp[i] = int(fd)
	}
	for i := 0; i <= maxProxyFD; i++ {
		if tmp[i] < 0 {
			if i > 2 {
				syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
			}
			continue
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_DUP3, uintptr(tmp[i]), uintptr(i), 0); e != 0 {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
		}
	}
	syscall.RawSyscall(syscall.SYS_EXECVE, p.path, p.argv, p.envv)
	if p.fallbackPath != 0 {
		syscall.RawSyscall(syscall.SYS_EXECVE, p.fallbackPath, p.fallbackArgv, p.envv)
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
}
