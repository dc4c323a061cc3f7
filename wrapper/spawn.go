package wrapper

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/coldprof/coldprof/wrapper/proxy"
)

// ProxyName is the proxy binary's file name. The wrapper starts the one in
// its own executable's directory (/opt/coldprof-proxy in the layer; `go
// install ./cmd/...` puts both in the same bin directory).
const ProxyName = "coldprof-proxy"

// ProxyArg, as a process's first argument (args[1]), asks a binary that
// hosts the proxy itself (the coldprof command, see SelfProxy) for its proxy
// mode.
const ProxyArg = "__coldprof_proxy"

// SelfProxy is set by a program that embeds the wrapper and runs
// proxy.Main when started with ProxyArg (the coldprof command does, for
// `coldprof run` without a coldprof-proxy beside it). The wrapper then
// starts its own executable with ProxyArg when ProxyName is not found.
var SelfProxy bool

// The sampler hand-off (see the in-runtime samplers): when the runtime's
// environment turns the sampler on, the runtime gets the read end of a pipe
// whose write end the proxy holds.
const (
	samplerIntervalVar = "COLDPROF_SAMPLER_INTERVAL_US"
	samplerFDVar       = "COLDPROF_SAMPLER_FD"
)

// StartProxy starts the proxy process for a runtime that will run with env
// and returns env as the runtime must get it: AWS_LAMBDA_RUNTIME_API
// pointing at the proxy, and COLDPROF_SAMPLER_FD when the sampler is on.
//
// Signal ticks: when env asks for them (COLDPROF_SAMPLER_TICK=signal, which
// the plan sets only for Python with the sampler on and the setting
// signal) and the sampler's pipe is made, the proxy is told to send SIGURG
// every sampler interval to the runtime (COLDPROF_SAMPLER_PID, this process,
// which the runtime keeps) until init ends; otherwise the variable is taken
// out of env, and the sampler uses its thread.
//
// It does not wait for the proxy at all: the listening socket is created
// here and handed over, so the runtime's connections queue in its backlog
// until the proxy accepts them, and the proxy is exec'd by a forked child
// only once this process has exec'd the runtime (see forkProxy). A proxy
// binary that is missing or not executable is known here, and the runtime
// is pointed at the real API instead (fail open); if its exec fails all
// the same, the child execs this executable in its proxy mode when it has
// one (SelfProxy).
func StartProxy(upstream string, invokeMarkers int, env []string) ([]string, error) {
	if _, err := proxy.ParseAddr(upstream); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	_, sampler := lookupEnv(env, samplerIntervalVar)
	spec := proxySpec{argv: []string{exe[:strings.LastIndexByte(exe, '/')+1] + ProxyName},
		upstream: upstream, invokeMarkers: invokeMarkers, sampler: sampler}
	if sampler {
		spec.tickUs = signalTickUs(env)
	}
	if SelfProxy {
		spec.fallback = []string{exe, ProxyArg}
	}
	s, err := startProxyExe(spec)
	if err != nil && SelfProxy && errors.Is(err, syscall.ENOENT) {
		spec.argv, spec.fallback = spec.fallback, nil
		s, err = startProxyExe(spec)
	}
	if err != nil {
		return nil, err
	}
	env = setEnv(env, envRuntimeAPI, s.addr)
	if s.samplerEnd >= 0 {
		env = setEnv(env, samplerFDVar, strconv.Itoa(s.samplerEnd))
	}
	if !s.ticks {
		env = unsetEnv(env, EnvSamplerTick)
	}
	return env, nil
}

// signalTickUs returns the interval at which the proxy is to tick the
// runtime, 0 for none: env must ask for signal ticks and hand the sampler
// a positive interval and this process's PID (the proxy's parent, the
// only process it will signal).
func signalTickUs(env []string) int64 {
	if v, _ := lookupEnv(env, EnvSamplerTick); v != TickSignal {
		return 0
	}
	v, _ := lookupEnv(env, samplerIntervalVar)
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	if v, _ := lookupEnv(env, EnvSamplerPID); v != strconv.Itoa(syscall.Getpid()) {
		return 0
	}
	return us
}

// A proxySpec says which proxy to start and how.
type proxySpec struct {
	argv          []string // the proxy command
	fallback      []string // what the child execs if argv's exec fails; nil: none
	upstream      string
	invokeMarkers int
	sampler       bool // make the sampler's pipe
	// tickUs, when > 0 and the sampler's pipe is made, has the proxy send
	// this process SIGURG every tickUs µs until init ends.
	tickUs   int64
	exitPipe bool // tell the proxy of the runtime's exit by a pipe even where a pidfd would do (tests)
}

// A startedProxy is what the runtime keeps of a started proxy.
type startedProxy struct {
	addr string
	pid  int
	// exitEnd is the pipe end whose closing tells the proxy the runtime
	// has gone, -1 when the proxy watches a pidfd instead. Tests close it
	// to stand for the runtime's exit.
	exitEnd int
	// samplerEnd is the read end of the sampler's pipe, -1 without one.
	samplerEnd int
	// ticks: the proxy was told to tick the runtime (proxySpec.tickUs).
	ticks bool
	// release is the wait pipe's write end (close-on-exec): the proxy is
	// exec'd once it is closed, by this process's exec or exit, or by a
	// caller that does not exec (tests).
	release int
}

// startProxyExe starts the proxy. The descriptors the runtime must keep
// (exitEnd, samplerEnd) are left open across exec; all others are closed.
//
// How the proxy learns that the runtime exited: a pidfd of this process
// (the runtime keeps its PID), which only the proxy holds, so a background
// child the runtime leaves behind cannot keep the proxy (and the function's
// stderr) alive. Only where pidfd_open fails (Linux before 5.3) does the
// runtime hold a pipe's write end instead, which its children inherit.
//
// The proxy gets /dev/null as stdin and stdout (closed here; Go's runtime
// opens /dev/null on them before the proxy's main): it must not hold the
// function's stdout open, and it needs only stderr, for markers.
//
// The proxy is forked, not exec'd, here (forkProxy): its child execs it
// once this process has exec'd the runtime (or exited); s.release is the
// descriptor whose closing (by that exec) lets it go. So a proxy that cannot
// be exec'd must be caught before: the binary is checked for exec
// permission first, and spec.fallback, when set, is what the child execs if
// the proxy's exec fails all the same.
//
// Raw descriptors instead of *os.File: an *os.File could close a
// descriptor from its finalizer, and os.File's flag checks are not needed
// before the wrapper's own exec.
func startProxyExe(spec proxySpec) (s startedProxy, err error) {
	s = startedProxy{exitEnd: -1, samplerEnd: -1, release: -1}
	if err := checkExecutable(spec.argv[0]); err != nil {
		return s, &os.PathError{Op: "exec", Path: spec.argv[0], Err: err}
	}
	ln, port, err := listenLoopback()
	if err != nil {
		return s, err
	}
	defer syscall.Close(ln) // the child has its own copy
	env := []string{
		proxy.EnvUpstream + "=" + spec.upstream,
		proxy.EnvInvokeMarkers + "=" + strconv.Itoa(spec.invokeMarkers),
		// One P is plenty for relaying a few requests, and fewer threads
		// compete less with the runtime's start-up.
		"GOMAXPROCS=1",
	}
	var keep []int // runtime's ends: CLOEXEC cleared after the fork
	pidfd := -1
	if !spec.exitPipe {
		pidfd = pidfdOpenSelf()
	}
	var exitFD int
	if pidfd >= 0 {
		defer syscall.Close(pidfd)
		exitFD = pidfd
		env = append(env, proxy.EnvExit+"="+proxy.ExitPidfd)
	} else {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return s, os.NewSyscallError("pipe2", err)
		}
		defer syscall.Close(p[0])
		exitFD, s.exitEnd = p[0], p[1]
		keep = append(keep, p[1])
		env = append(env, proxy.EnvExit+"="+proxy.ExitPipe)
	}
	files := []int{-1, -1, 2, ln, exitFD}
	if spec.sampler {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err == nil {
			defer syscall.Close(p[1])
			s.samplerEnd = p[0]
			keep = append(keep, p[0])
			files = append(files, p[1])
			env = append(env, proxy.EnvSampler+"=1")
			if spec.tickUs > 0 {
				env = append(env, proxy.EnvTickUs+"="+strconv.FormatInt(spec.tickUs, 10),
					proxy.EnvTickPID+"="+strconv.Itoa(syscall.Getpid()))
				s.ticks = true
			}
		} // else: no pipe; the sampler stops on its own bound
	}
	closeKept := func() {
		for _, fd := range keep {
			syscall.Close(fd)
		}
	}
	// The child is SCHED_BATCH from before it waits until the proxy's main
	// (which makes its threads SCHED_OTHER again, proxy.EnvSchedBatch): the
	// wrapper's exec wakes it, and a woken SCHED_OTHER task preempts the
	// waker, here the runtime in its first instructions, on its own CPU,
	// for the proxy's whole exec and Go start-up (measured: 0.7 ms of the
	// runtime's time on a run queue). A SCHED_BATCH task is never woken
	// into preempting; it runs where a CPU is free, or in its turn. Only
	// from SCHED_OTHER (the usual), so the proxy can go back to it: any
	// other policy the function runs under is left alone.
	batch := false
	if policy, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, 0, 0, 0); errno == 0 && policy == schedOther {
		batch = true
		env = append(env, proxy.EnvSchedBatch+"=1")
	}
	plan, err := newForkPlan(spec.argv, spec.fallback, env, files, batch)
	if err != nil {
		closeKept()
		return startedProxy{exitEnd: -1, samplerEnd: -1, release: -1}, &os.PathError{Op: "exec", Path: spec.argv[0], Err: err}
	}
	pid, release, err := forkProxy(plan)
	if err != nil {
		closeKept()
		return startedProxy{exitEnd: -1, samplerEnd: -1, release: -1}, os.NewSyscallError("fork", err)
	}
	// Keep the runtime's ends open across exec. Were the exit pipe's closed,
	// the proxy would take that for the runtime's exit and stop serving, so
	// on failure run without the proxy (the child, killed, never execs it).
	for _, fd := range keep {
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
			syscall.Kill(pid, syscall.SIGKILL)
			syscall.Close(release)
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
			closeKept()
			return startedProxy{exitEnd: -1, samplerEnd: -1, release: -1}, os.NewSyscallError("fcntl", errno)
		}
	}
	s.addr, s.pid, s.release = "127.0.0.1:"+strconv.Itoa(port), pid, release
	return s, nil
}

// faccessat(2) arguments.
const (
	atFDCWD = -0x64 // AT_FDCWD
	xOK     = 0x1   // X_OK
)

// elfMachine is the ELF e_machine of the architectures the layer ships.
var elfMachine = map[string]uint16{"amd64": 62, "arm64": 183}

// checkExecutable tells whether execve(path) can succeed, as far as can be
// known without exec'ing it: the proxy is exec'd after the runtime, when a
// failure could no longer be fallen back from. It fails with the errno
// execve would give: ENOENT (missing), EACCES (no exec permission, a
// noexec mount, not a regular file), ENOEXEC (not a 64-bit little-endian
// ELF program for this architecture: an empty or foreign file, an object
// file, or the other architecture's layer). A file it cannot read (exec-only) passes on its
// permission alone. What it cannot see (a file cut short after its header,
// a lack of memory) makes the exec fail in the child, which then runs the
// fallback if there is one.
func checkExecutable(path string) error {
	if err := syscall.Faccessat(atFDCWD, path, xOK, 0); err != nil {
		return err
	}
	// O_NONBLOCK: opening a FIFO (or a device) waits for its other end,
	// which would hang the wrapper before the function starts; for a
	// regular file it changes nothing.
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return syscall.EACCES
	}
	var h [64]byte // the ELF header
	if n, err := syscall.Pread(fd, h[:], 0); err != nil || n < len(h) {
		return syscall.ENOEXEC
	}
	if string(h[:4]) != "\x7fELF" || h[4] != 2 || h[5] != 1 {
		return syscall.ENOEXEC
	}
	if m, ok := elfMachine[runtime.GOARCH]; ok && uint16(h[18])|uint16(h[19])<<8 != m {
		return syscall.ENOEXEC
	}
	// What Linux's ELF loader refuses next: a file that is no program
	// (e_type other than ET_EXEC or ET_DYN: an object file, a core dump) or
	// whose program headers are not 64-bit ones (e_phentsize).
	if typ := uint16(h[16]) | uint16(h[17])<<8; typ != 2 && typ != 3 {
		return syscall.ENOEXEC
	}
	if phentsize := uint16(h[54]) | uint16(h[55])<<8; phentsize != 56 {
		return syscall.ENOEXEC
	}
	return nil
}

// sysPidfdOpen is pidfd_open(2)'s number, the same on every Linux
// architecture (it is newer than the unified syscall table).
const sysPidfdOpen = 434

// pidfdOpenSelf returns a pidfd (close-on-exec) of this process, -1 when
// the kernel has none.
func pidfdOpenSelf() int {
	fd, _, errno := syscall.RawSyscall(sysPidfdOpen, uintptr(syscall.Getpid()), 0, 0)
	if errno != 0 {
		return -1
	}
	return int(fd)
}

// listenLoopback creates a TCP socket listening on 127.0.0.1 on a free port
// with raw system calls (close-on-exec; the proxy gets its copy through
// ForkExec): the wrapper links no networking package.
func listenLoopback() (fd, port int, err error) {
	fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, os.NewSyscallError("socket", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return -1, 0, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		syscall.Close(fd)
		return -1, 0, os.NewSyscallError("listen", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return -1, 0, os.NewSyscallError("getsockname", err)
	}
	inet, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		syscall.Close(fd)
		return -1, 0, errors.New("getsockname: not an IPv4 address")
	}
	return fd, inet.Port, nil
}
