package proxy

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// An fdConn is a connected socket used with blocking read(2) and write(2),
// without Go's network poller: a blocked call parks its OS thread in the
// kernel. The proxy uses it only where the poller cannot be had
// (withoutPoller, startPoller).
type fdConn int

func (c fdConn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(c), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write writes all of p. A write to a closed peer fails with EPIPE (Go
// ignores SIGPIPE for descriptors other than 1 and 2).
func (c fdConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := syscall.Write(int(c), p[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func (c fdConn) Close() error { return syscall.Close(int(c)) }

// shutdown also wakes a thread blocked reading c, which close(2) would not.
func (c fdConn) shutdown(how int) { syscall.Shutdown(int(c), how) }

// rawCopy copies src to dst until either fails or src ends.
func rawCopy(dst, src fdConn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// A pollFd is struct pollfd of poll(2).
type pollFd struct {
	fd             int32
	events, revent int16
}

const (
	pollIn    = 0x1    // POLLIN
	pollOut   = 0x4    // POLLOUT
	pollRDHUP = 0x2000 // POLLRDHUP: the peer shut down its side
)

// ppollTimeout waits until one of fds is ready or ts has passed (ts then
// holds the time left, as Linux's ppoll leaves it).
func ppollTimeout(fds []pollFd, ts *syscall.Timespec) (int, syscall.Errno) {
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	return int(n), errno
}

// ppoll waits, without a timeout, until one of fds is ready.
func ppoll(fds []pollFd) syscall.Errno {
	_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), 0, 0, 0, 0)
	return errno
}

// pollRelay copies a to b and b to a on one thread until both have ended
// (or one fails): one ppoll, one read and one write per chunk. An end of
// input is passed on as a half-close (shutdown of the peer's write side).
func pollRelay(a, b fdConn) {
	fds := [2]pollFd{{fd: int32(a), events: pollIn}, {fd: int32(b), events: pollIn}}
	peers := [2]fdConn{b, a}
	buf := make([]byte, 32<<10)
	for open := 2; open > 0; {
		if errno := ppoll(fds[:]); errno == syscall.EINTR {
			continue
		} else if errno != 0 {
			return
		}
		for i := range fds {
			if fds[i].fd < 0 || fds[i].revent == 0 {
				continue
			}
			fds[i].revent = 0
			n, err := fdConn(fds[i].fd).Read(buf)
			if err == io.EOF {
				peers[i].shutdown(syscall.SHUT_WR)
				fds[i].fd = -1 // ppoll skips negative descriptors
				open--
				continue
			}
			if err != nil {
				return
			}
			if _, err := peers[i].Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// rawCopyBuffered forwards what br has buffered, then the rest of src (br's
// source) unparsed.
func rawCopyBuffered(dst io.Writer, br *bufio.Reader, src io.Reader) {
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if _, err := dst.Write(b); err != nil {
			return
		}
		br.Discard(n)
	}
	sc, ok := src.(fdConn)
	dc, ok2 := dst.(fdConn)
	if ok && ok2 {
		rawCopy(dc, sc)
		return
	}
	io.Copy(dst, src)
}

func setNoDelay(fd int) {
	// Runtime clients write a head and a body in separate calls; Nagle would
	// hold the second until the first is acknowledged.
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
}

// dial connects a TCP socket to addr with a blocking connect(2).
func dial(addr syscall.Sockaddr) (int, error) {
	// A copy per call: Connect encodes the address into the Sockaddr's own
	// buffer, so one shared by several connections would be a data race.
	family := syscall.AF_INET
	switch a := addr.(type) {
	case *syscall.SockaddrInet4:
		c := *a
		addr = &c
	case *syscall.SockaddrInet6:
		c := *a
		addr, family = &c, syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, &dialError{"socket", err}
	}
	for {
		err = syscall.Connect(fd, addr)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, &dialError{"connect", err}
	}
	setNoDelay(fd)
	return fd, nil
}

// A dialError is a failed socket or connect call; Unwrap gives its errno.
type dialError struct {
	op  string
	err error
}

func (e *dialError) Error() string { return e.op + ": " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// ErrAddr says the Runtime API address is not one the proxy can dial: it
// resolves no names but localhost, and the Runtime API is given as an IP
// address and port (127.0.0.1:9001 in Lambda's documented examples).
var ErrAddr = errors.New("the Runtime API address is not an IP address and port")

// ParseAddr parses AWS_LAMBDA_RUNTIME_API: "a.b.c.d:port", "localhost:port"
// or "[::1]:port".
func ParseAddr(s string) (syscall.Sockaddr, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return nil, ErrAddr
	}
	host, portText := s[:i], s[i+1:]
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 || portText[0] == '+' {
		return nil, ErrAddr
	}
	switch host {
	case "localhost":
		return &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}, nil
	case "[::1]":
		return &syscall.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}}, nil
	}
	parts := strings.Split(host, ".")
	if len(parts) != 4 {
		return nil, ErrAddr
	}
	sa := &syscall.SockaddrInet4{Port: port}
	for k, part := range parts {
		n, err := strconv.Atoi(part)
		// No sign, and no leading zero: C's inet_aton reads 010 as octal.
		if err != nil || n < 0 || n > 255 || part == "" || part[0] == '+' || part[0] == '-' || len(part) > 3 || len(part) > 1 && part[0] == '0' {
			return nil, ErrAddr
		}
		sa.Addr[k] = byte(n)
	}
	return sa, nil
}

// A samplerPipe is the write end of the pipe to the in-runtime sampler,
// non-blocking: a write the pipe cannot take at once fails (EAGAIN, or
// EPIPE once the sampler closed its end) and the line is dropped.
type samplerPipe int

// NewSamplerPipe makes fd non-blocking and returns it as a Proxy's Sampler.
func NewSamplerPipe(fd int) (io.WriteCloser, error) {
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	return samplerPipe(fd), nil
}

func (s samplerPipe) Write(p []byte) (int, error) {
	n, err := syscall.Write(int(s), p) // once: never retried, never waited for
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (s samplerPipe) Close() error { return syscall.Close(int(s)) }
