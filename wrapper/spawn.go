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
// runtime must use as AWS_LAMBDA_RUNTIME_API. It does not wait for the proxy:
// the listening socket is created here and handed over, so the runtime's
// connections queue in its backlog until the proxy accepts them. The write
// end of a pipe is left open across exec; the proxy exits when the runtime
// (and whatever inherited that descriptor) has gone.
func StartProxy(upstream string, invokeMarkers int) (string, error) {
	ln, port, err := listenLoopback()
	if err != nil {
		return "", err
	}
	defer ln.Close() // the child has its own copy
	// A raw descriptor for the write end: an *os.File's finalizer could
	// close it before exec.
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return "", os.NewSyscallError("pipe2", err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "runtime-alive"), fds[1]
	defer r.Close()
	exe, err := os.Executable()
	if err != nil {
		syscall.Close(w)
		return "", err
	}
	proc, err := os.StartProcess(exe, []string{exe, ProxyArg}, &os.ProcAttr{
		Env: []string{
			EnvProxyUpstream + "=" + upstream,
			EnvInvokeMarkers + "=" + strconv.Itoa(invokeMarkers),
			// One P is plenty for relaying a few requests, and fewer
			// threads compete less with the runtime's start-up.
			"GOMAXPROCS=1",
		},
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr, ln, r},
	})
	if err != nil {
		syscall.Close(w)
		return "", err
	}
	// Keep the write end open across exec: from now on it belongs to the runtime.
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(w), syscall.F_SETFD, 0); errno != 0 {
		proc.Kill()
		proc.Release()
		syscall.Close(w)
		return "", errno
	}
	proc.Release()
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// listenLoopback creates a TCP socket listening on 127.0.0.1 on a free port
// with raw system calls: the net package would set up its poller in the
// wrapper, which only needs the descriptor.
func listenLoopback() (*os.File, int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, 0, os.NewSyscallError("socket", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, 0, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		syscall.Close(fd)
		return nil, 0, os.NewSyscallError("listen", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, 0, os.NewSyscallError("getsockname", err)
	}
	inet, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		syscall.Close(fd)
		return nil, 0, errors.New("getsockname: not an IPv4 address")
	}
	return os.NewFile(uintptr(fd), "coldprof-proxy-listener"), inet.Port, nil
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
