package proxy

import (
	"io"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// The proxy parks its goroutines in Go's network poller: every descriptor
// it waits on (the listener, the runtime's exit descriptor, each relayed
// socket) is non-blocking and registered with the poller, so a goroutine
// waiting for bytes holds no thread and the only P stays free. With
// blocking system calls instead, each waiting goroutine held a thread, and
// Go's sysmon had to wake every 20 µs to take the P back from it before
// any other goroutine could run: ~1.3 ms of the proxy's ~3.5 ms of CPU in
// a Python cold start, and 3-4 more threads (wrapper/BENCHMARKS.md).
//
// Reads and writes on those descriptors are raw system calls
// (syscall.RawSyscall, made from the os.File's RawConn): on a non-blocking
// descriptor they never block, and skipping the runtime's system-call
// bookkeeping also leaves sysmon asleep (entersyscall wakes it from its
// idle sleep).

// A pollConn is a non-blocking descriptor registered with Go's network
// poller. Should the poller refuse it (epoll_ctl failing with ENOMEM or
// ENOSPC), it is made blocking and read and written with ordinary
// (blocking) system calls through its os.File; once leavePoller has moved
// it out of the poller (f nil), through fdConn.
type pollConn struct {
	fd     int
	f      *os.File
	rc     syscall.RawConn
	polled bool
}

// newPollConn takes over fd, which must be non-blocking. Go's poller must
// be running already (startPoller) or start now: its first use creates two
// descriptors, and the runtime dies when it cannot.
func newPollConn(fd int) *pollConn {
	f := os.NewFile(uintptr(fd), "")
	c := &pollConn{fd: fd, f: f}
	c.rc, _ = f.SyscallConn()
	// ErrNoDeadline says the descriptor is not in the poller.
	c.polled = f.SetReadDeadline(time.Time{}) == nil
	if !c.polled {
		syscall.SetNonblock(fd, false)
	}
	return c
}

// startPoller reports whether Go's network poller is running or can be
// started: its first use needs two descriptors (an epoll instance and an
// eventfd), and without them the Go runtime exits with "fatal error:
// runtime: netpollinit failed", which would take the function's Runtime
// API with it. It checks that two duplicates of fd (any open descriptor)
// can be made, and closes them. Called while the proxy has no other
// goroutine opening descriptors, that is also true of the poller's first
// use right after (bar another process taking the system's last
// descriptors in between: ENFILE).
func startPoller(fd int) bool {
	a, err := dupCloexec(fd)
	if err != nil {
		return false
	}
	b, err := dupCloexec(fd)
	syscall.Close(a)
	if err != nil {
		return false
	}
	syscall.Close(b)
	return true
}

func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func (c *pollConn) Read(p []byte) (int, error) {
	if c.f == nil {
		return fdConn(c.fd).Read(p)
	}
	if !c.polled || len(p) == 0 {
		return c.f.Read(p)
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if e == syscall.EINTR {
				continue
			}
			n, errno = int(r), e
			return e != syscall.EAGAIN
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p. A write to a closed peer fails with EPIPE.
func (c *pollConn) Write(p []byte) (int, error) {
	if c.f == nil {
		return fdConn(c.fd).Write(p)
	}
	if !c.polled {
		return c.f.Write(p)
	}
	n := 0
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch e {
			case 0:
				n += int(r)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = errno
	}
	return n, err
}

// Close closes the descriptor; a goroutine waiting on it wakes with an
// error.
func (c *pollConn) Close() error {
	if c.f == nil { // moved out of the poller (leavePoller)
		return syscall.Close(c.fd)
	}
	return c.f.Close()
}

// shutdown never blocks: a raw system call.
func (c *pollConn) shutdown(how int) {
	syscall.RawSyscall(syscall.SYS_SHUTDOWN, uintptr(c.fd), uintptr(how), 0)
}

// acceptPolled accepts one connection on the listener c, waiting in the
// poller; the new descriptor is non-blocking.
func acceptPolled(c *pollConn) (int, error) {
	var nfd uintptr
	var errno syscall.Errno
	if err := c.rc.Read(func(fd uintptr) bool {
		nfd, _, errno = syscall.RawSyscall6(syscall.SYS_ACCEPT4, fd, 0, 0, syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0, 0)
		return errno != syscall.EAGAIN
	}); err != nil {
		return -1, err
	}
	if errno != 0 {
		return -1, errno
	}
	return int(nfd), nil
}

// dialPolled connects a non-blocking TCP socket to addr, waiting in the
// poller for the connection to complete. Its errors are dialErrors, as
// dial's.
func dialPolled(addr syscall.Sockaddr) (*pollConn, error) {
	sa, saLen, family := rawSockaddr(addr)
	fd, _, errno := syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(family), syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if errno != 0 {
		return nil, &dialError{"socket", errno}
	}
	for {
		_, _, errno = syscall.RawSyscall(syscall.SYS_CONNECT, fd, uintptr(unsafe.Pointer(sa)), saLen)
		if errno != syscall.EINTR {
			break
		}
	}
	if errno != 0 && errno != syscall.EINPROGRESS {
		syscall.Close(int(fd))
		return nil, &dialError{"connect", errno}
	}
	c := newPollConn(int(fd))
	if errno == syscall.EINPROGRESS {
		if err := c.waitConnected(); err != nil {
			c.Close()
			return nil, &dialError{"connect", err}
		}
	}
	setNoDelayRaw(int(fd))
	return c, nil
}

// waitConnected waits until the connect(2) in progress on c has completed
// and returns its error.
func (c *pollConn) waitConnected() error {
	if !c.polled {
		// Blocking now (newPollConn), but the connect goes on: wait for it.
		fds := [1]pollFd{{fd: int32(c.fd), events: pollOut}}
		for ppoll(fds[:]) == syscall.EINTR {
		}
		if errno := sockError(c.fd); errno != 0 {
			return errno
		}
		return nil
	}
	var errno syscall.Errno
	if err := c.rc.Write(func(fd uintptr) bool {
		switch errno = sockError(int(fd)); errno {
		case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
			return false
		case 0:
			// Not failed; connected once it has a peer.
			var rsa syscall.RawSockaddrAny
			n := uint32(syscall.SizeofSockaddrAny)
			_, _, e := syscall.RawSyscall(syscall.SYS_GETPEERNAME, fd, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)))
			return e != syscall.ENOTCONN
		}
		return true
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// sockError returns and clears the socket's pending error (SO_ERROR).
func sockError(fd int) syscall.Errno {
	var v int32
	n := uint32(4)
	_, _, errno := syscall.RawSyscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ERROR, uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return errno
	}
	return syscall.Errno(v)
}

// setNoDelayRaw is setNoDelay with a raw system call (it never blocks).
func setNoDelayRaw(fd int) {
	one := int32(1)
	syscall.RawSyscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY, uintptr(unsafe.Pointer(&one)), 4, 0)
}

// rawSockaddr encodes addr (IPv4 or IPv6) for connect(2), a fresh copy per
// call.
func rawSockaddr(addr syscall.Sockaddr) (p unsafe.Pointer, n uintptr, family int) {
	switch a := addr.(type) {
	case *syscall.SockaddrInet4:
		r := &syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.Addr}
		port := (*[2]byte)(unsafe.Pointer(&r.Port))
		port[0], port[1] = byte(a.Port>>8), byte(a.Port)
		return unsafe.Pointer(r), syscall.SizeofSockaddrInet4, syscall.AF_INET
	case *syscall.SockaddrInet6:
		r := &syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: a.Addr, Scope_id: a.ZoneId}
		port := (*[2]byte)(unsafe.Pointer(&r.Port))
		port[0], port[1] = byte(a.Port>>8), byte(a.Port)
		return unsafe.Pointer(r), syscall.SizeofSockaddrInet6, syscall.AF_INET6
	}
	return nil, 0, syscall.AF_INET // ParseAddr makes no other kind
}

// waitExitPolled returns once the runtime has exited (see exited), waiting
// in the poller; ok is false when c is not in the poller (nothing waited).
func waitExitPolled(c *pollConn, pidfd bool) (ok bool) {
	if !c.polled {
		return false
	}
	c.rc.Read(func(fd uintptr) bool { return exitedNow(int(fd), pidfd) })
	return true
}

// exitedNow tells, without waiting, whether the runtime has exited: a pidfd
// is readable then; a pipe's read end (non-blocking) reads EOF.
func exitedNow(fd int, pidfd bool) bool {
	if pidfd {
		fds := [1]pollFd{{fd: int32(fd), events: pollIn}}
		var zero syscall.Timespec
		n, errno := ppollTimeout(fds[:], &zero)
		return errno == 0 && n > 0
	}
	var buf [64]byte
	for {
		n, err := syscall.Read(fd, buf[:])
		switch {
		case err == syscall.EINTR || err == nil && n > 0:
			continue
		case err == syscall.EAGAIN:
			return false
		}
		return true // EOF, or the descriptor failed: no way to tell any more
	}
}

// rawCopyConn copies src to dst until src ends, which it passes on as a
// half-close, or either fails, when it shuts both down so that the other
// direction's copy ends too.
func rawCopyConn(dst, src conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err == io.EOF {
			dst.shutdown(syscall.SHUT_WR)
			return
		}
		if err != nil {
			break
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			break
		}
	}
	src.shutdown(syscall.SHUT_RDWR)
	dst.shutdown(syscall.SHUT_RDWR)
}

// relayRaw copies a to b and b to a until both have ended (or one fails),
// on this one thread in ppoll (pollRelay), with the descriptors made
// blocking. Not in the poller: once nothing is left to mark, what counts is
// each invocation's latency, and a thread that blocks in ppoll right after
// its write lets the peer it woke run at once, where Go's scheduler first
// does its own rounds on that CPU (measured on an idle machine: +35-45 µs
// per invocation through the poller; wrapper/BENCHMARKS.md).
func relayRaw(a, b conn) {
	fa, fb, ok := blockingFDs(a, b)
	if !ok {
		// A descriptor the poller refused is blocking already; one that
		// cannot be made blocking: both directions in goroutines.
		done := make(chan struct{})
		go func() {
			defer close(done)
			rawCopyConn(b, a)
		}()
		rawCopyConn(a, b)
		<-done
		return
	}
	pollRelay(fa, fb)
	runtime.KeepAlive(a) // a pollConn's os.File owns its descriptor
	runtime.KeepAlive(b)
}

// blockingFDs returns a's and b's descriptors as fdConns, blocking and out
// of the poller (see leavePoller). ok is false, and nothing changed, when
// one cannot be made blocking.
func blockingFDs(a, b conn) (fa, fb fdConn, ok bool) {
	var fds [2]fdConn
	for i, c := range [2]conn{a, b} {
		switch c := c.(type) {
		case fdConn:
			fds[i] = c
		case *pollConn:
			if !c.leavePoller() {
				return 0, 0, false
			}
			fds[i] = fdConn(c.fd)
		default:
			return 0, 0, false
		}
	}
	return fds[0], fds[1], true
}

// leavePoller makes c a blocking descriptor out of Go's poller, for
// pollRelay: still registered, every byte arriving would also wake the
// thread waiting in epoll for nothing. It moves c to a duplicate and closes
// the os.File (which removes the original from the epoll set); without a
// descriptor to spare for the duplicate, c stays registered and is only made
// blocking. It returns false, changing nothing, when c cannot be made
// blocking.
func (c *pollConn) leavePoller() bool {
	if !c.polled {
		return true // blocking already (and out of the poller, or never in it)
	}
	if dup, err := dupCloexec(c.fd); err == nil {
		if syscall.SetNonblock(dup, false) != nil {
			syscall.Close(dup)
			return false
		}
		c.f.Close()
		c.f, c.fd, c.polled = nil, dup, false
		return true
	}
	if syscall.SetNonblock(c.fd, false) != nil {
		return false
	}
	c.polled = false // read and written through its os.File, which blocks too
	return true
}
