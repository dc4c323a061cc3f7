package wrapper

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ProxyArg, as a process's first argument (args[1]), selects the proxy
// mode: Main runs the runtime-API proxy instead of the wrapper. StartProxy
// re-executes os.Executable() with it, so any binary that routes such args
// to Main (or to RunProxyChild) can host the proxy.
const ProxyArg = "__coldprof_proxy"

// The proxy child's inherited file descriptors and environment.
const (
	// proxyListenerFD is the loopback listening socket the wrapper created.
	proxyListenerFD = 3
	// proxyRuntimeFD is the read end of a pipe whose write end the runtime
	// holds; EOF on it means the runtime has exited.
	proxyRuntimeFD = 4
	// EnvProxyUpstream is the real Runtime API address, set for the child.
	EnvProxyUpstream = "COLDPROF_PROXY_UPSTREAM"
)

// IsProxy reports whether args (a full argv) selects the proxy mode.
func IsProxy(args []string) bool { return len(args) > 1 && args[1] == ProxyArg }

// StartProxy starts the proxy process and returns the loopback address the
// runtime must use as AWS_LAMBDA_RUNTIME_API. It does not wait for the proxy
// to come up: the listening socket is created here and handed over, so the
// runtime's connections queue in its backlog until the proxy accepts them.
// It does wait (a fraction of a millisecond) until the proxy binary has been
// exec'd, so that an exec failure is known here and the runtime is pointed
// at the real API instead (fail open). The write end of a pipe is left open
// across exec; the proxy exits when the runtime (and whatever inherited that
// descriptor) has gone.
func StartProxy(upstream string, invokeMarkers int) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	addr, _, err := startProxyExe(exe, upstream, invokeMarkers)
	return addr, err
}

// startProxyExe is StartProxy with the proxy binary given, so tests can point
// it at one that cannot be exec'd. It also returns the runtime's end of the
// pipe (left open across exec), which tests close to stand for the
// runtime's exit.
//
// Raw descriptors and syscall.ForkExec instead of *os.File and
// os.StartProcess: os.StartProcess probes pidfd support on first use (an
// extra vfork, exit and wait), opens a pidfd and checks each descriptor's
// flags, none of which the wrapper needs before its own exec. An *os.File
// could also close a descriptor from its finalizer.
func startProxyExe(exe, upstream string, invokeMarkers int) (addr string, runtimeEnd int, err error) {
	ln, port, err := listenLoopback()
	if err != nil {
		return "", -1, err
	}
	defer syscall.Close(ln) // the child has its own copy
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return "", -1, os.NewSyscallError("pipe2", err)
	}
	r, w := fds[0], fds[1]
	defer syscall.Close(r)
	pid, err := syscall.ForkExec(exe, []string{exe, ProxyArg}, &syscall.ProcAttr{
		Env: []string{
			EnvProxyUpstream + "=" + upstream,
			EnvInvokeMarkers + "=" + strconv.Itoa(invokeMarkers),
			// One P is plenty for relaying a few requests, and fewer
			// threads compete less with the runtime's start-up.
			"GOMAXPROCS=1",
		},
		// The child gets these as descriptors 0-4 (see proxyListenerFD).
		Files: []uintptr{0, 1, 2, uintptr(ln), uintptr(r)},
	})
	if err != nil {
		syscall.Close(w)
		return "", -1, &os.PathError{Op: "exec", Path: exe, Err: err}
	}
	// Keep the write end open across exec: from now on it belongs to the
	// runtime. Were it closed, the proxy would take that for the runtime's
	// exit and stop serving, so on failure run without the proxy.
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(w), syscall.F_SETFD, 0); errno != 0 {
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		syscall.Close(w)
		return "", -1, os.NewSyscallError("fcntl", errno)
	}
	return "127.0.0.1:" + strconv.Itoa(port), w, nil
}

// listenLoopback creates a TCP socket listening on 127.0.0.1 on a free port
// with raw system calls (close-on-exec; the proxy gets its copy through
// ForkExec): the net package would set up its poller in the wrapper, which
// only needs the descriptor.
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

// RunProxyChild is the proxy mode's entry point: it serves on the inherited
// listener until the runtime exits. environ must carry
// COLDPROF_PROXY_UPSTREAM; stderr receives the markers. It returns the exit
// status.
func RunProxyChild(environ []string, stderr io.Writer) int {
	stderr = rawWriter(stderr) // a broken stderr must not kill the proxy (SIGPIPE)
	upstream, _ := lookupEnv(environ, EnvProxyUpstream)
	cfg, _ := LoadConfig(environ) // the wrapper already warned about bad values
	ln, err := net.FileListener(os.NewFile(proxyListenerFD, "listener"))
	if err != nil || upstream == "" {
		io.WriteString(stderr, "coldprof-wrapper: proxy mode: no inherited listener or upstream\n")
		return 2
	}
	done := make(chan struct{})
	go func() {
		// Blocks until every holder of the pipe's write end has exited.
		io.Copy(io.Discard, os.NewFile(proxyRuntimeFD, "runtime"))
		close(done)
	}()
	p := &Proxy{Upstream: upstream, InvokeMarkers: cfg.InvokeMarkers, Markers: stderr, Now: time.Now}
	go p.Serve(ln)
	<-done
	return 0
}
