// Package proxy is coldprof's Lambda Runtime API proxy: it sits between the
// runtime and the real Runtime API, relays every byte unchanged, and writes
// phase markers (wrapper/marker) at the moments init ends and each of the
// first invocations starts and ends. It also tells the in-runtime sampler
// when init and the first invocation end, through a pipe it never waits on.
//
// It runs as its own small binary (cmd/coldprof-proxy), started by
// coldprof-wrapper, so that the wrapper, which sits on every cold start's
// critical path, links no networking code. The proxy itself does not link
// the net package either, which keeps the binary small and static however
// it is built: it works on raw socket descriptors, made non-blocking and
// registered with Go's network poller through os.File (poll.go), so that a
// goroutine waiting for bytes holds no thread and Go's sysmon can sleep,
// and reads and writes them with raw system calls. Once nothing is left to
// mark, each connection is relayed raw by one thread in ppoll on blocking
// descriptors (pollRelay, fd.go), for the lowest latency per invocation.
// Where the poller cannot be had (too few descriptors at start, when the
// runtime would die creating it), it falls back to blocking system calls on
// fdConns throughout, one thread per waiting call.
package proxy

import (
	"bufio"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/runtimeapi"
)

// HTTP headers the proxy reads to find where a message ends. The Runtime
// API's paths and headers it watches are package runtimeapi's (everything
// else passes through unlooked-at).
const (
	headerContentLen  = "Content-Length"
	headerTransferEnc = "Transfer-Encoding"
)

// maxHeadBytes bounds a request or response head. A longer one is not
// parsed: the rest of that connection is relayed as raw bytes.
const maxHeadBytes = 1 << 20

// A Proxy forwards the Lambda Runtime API between the runtime and the real
// API and writes phase markers at the moments they happen. It relays bytes
// unchanged: it parses HTTP/1.1 framing (heads, Content-Length and chunked
// bodies, trailers) only to know where each message starts and ends, and
// writes exactly the bytes it read, as it reads them, so header case and
// order, status lines, long polls and streamed bodies arrive as they were
// sent. Each client connection gets its own upstream connection. Once
// every marker it will ever write is written (the invoke-marker budget is
// spent and the sampler has been told), it stops parsing and relays raw.
type Proxy struct {
	// Upstream is the real Runtime API's address.
	Upstream syscall.Sockaddr
	// InvokeMarkers bounds how many invocations get invoke markers.
	InvokeMarkers int
	// Markers receives the marker lines, one Write per line.
	Markers io.Writer
	// Sampler, when not nil, receives the sampler's stop lines ("init_done
	// <unixUs>\n", "invoke_end <unixUs>\n"); it is closed after the second.
	// With ticks, "tick_off <unixUs>\n" says they stopped before init's end
	// (or never started), so that the sampler's thread takes over.
	// Writes must never block (see NewSamplerPipe).
	Sampler io.WriteCloser
	// Now gives marker timestamps.
	Now func() time.Time

	// tick, when not nil, ticks the runtime until init ends (tick.go).
	tick *ticker

	mu             sync.Mutex
	initDone       bool
	restorePending bool // init ended with restore/next; no invocation/next yet
	invokes        int  // events handed to the runtime so far
	samplerDone    bool // the sampler was told the first invocation ended (or has no pipe)
	quiet          atomic.Bool
	// heads counts the message heads parsed, so tests can see the raw relay.
	heads atomic.Int64
}

// Serve accepts connections on the listening socket lfd and relays each.
// It returns only when lfd is no listening socket: running out of
// descriptors or memory (the runtime holding many connections, a low
// RLIMIT_NOFILE) is waited out, retrying with a short backoff while the
// connection waits in the backlog, so the runtime never loses its Runtime
// API. It waits in Go's network poller on a duplicate of lfd (made
// non-blocking, which lfd then is too); lfd stays the caller's.
func (p *Proxy) Serve(lfd int) error {
	if !withoutPoller && startPoller(lfd) {
		dup, err := dupCloexec(lfd)
		if err != nil {
			return err
		}
		if err := syscall.SetNonblock(dup, true); err != nil {
			syscall.Close(dup)
			return err
		}
		ln := newPollConn(dup)
		defer ln.Close()
		if ln.polled {
			return p.acceptLoop(ln)
		}
	}
	return p.serveUntilExit(lfd, -1, false)
}

// serveMain is Serve for Main: it serves the inherited listener lfd until
// the runtime has exited (returning nil; see exitedNow) or lfd turns out to
// be no listening socket. The listener and exitFD wait in Go's network
// poller, on their own goroutines, so that no goroutine holds a thread
// while the runtime initialises; where the poller cannot have them, it is
// serveUntilExit's single ppoll.
func (p *Proxy) serveMain(lfd, exitFD int, pidfd bool) error {
	// As accept4 would: no listening socket, no proxy (not a wait for a
	// readiness that never comes).
	if on, err := syscall.GetsockoptInt(lfd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err != nil {
		return err
	} else if on == 0 {
		return syscall.EINVAL
	}
	defer p.stopTicks() // the runtime has exited (or no listener)
	if withoutPoller || !startPoller(lfd) || syscall.SetNonblock(lfd, true) != nil || syscall.SetNonblock(exitFD, true) != nil {
		return p.serveUntilExit(lfd, exitFD, pidfd)
	}
	ln := newPollConn(lfd)
	exit := newPollConn(exitFD)
	if !ln.polled || !exit.polled {
		// Made blocking again by newPollConn (both, or one: the other is
		// made so here), for serveUntilExit's ppoll and accept4. The
		// os.Files stay reachable: their finalizers would close the
		// descriptors.
		syscall.SetNonblock(lfd, false)
		syscall.SetNonblock(exitFD, false)
		defer runtime.KeepAlive(ln)
		defer runtime.KeepAlive(exit)
		return p.serveUntilExit(lfd, exitFD, pidfd)
	}
	if p.tick != nil {
		go p.tick.run() // the poller runs: Go timers are safe now
	}
	done := make(chan error, 2)
	go func() { done <- p.acceptLoop(ln) }()
	go func() {
		waitExitPolled(exit, pidfd)
		done <- nil
	}()
	return <-done
}

// acceptLoop is Serve's loop on a listener in the poller.
func (p *Proxy) acceptLoop(ln *pollConn) error {
	var wait retryWait
	for {
		fd, err := acceptPolled(ln)
		switch {
		case err == nil:
			wait.reset()
			go p.relay(newPollConn(fd))
		case resourceShortage(err):
			wait.sleep(p, "accept", err, -1)
		case err == syscall.EINTR || err == syscall.ECONNABORTED || acceptNetworkError(err):
			// The connection went away, or an error pending on it
			// (accept(2) says to treat these like EAGAIN): the next one is
			// served.
		default:
			return err
		}
	}
}

// serveUntilExit is Serve without Go's network poller, with blocking
// system calls on raw descriptors (fdConn); it also returns (nil) once the
// runtime has exited, when exitFD is not -1 (see exited). It waits for
// both in one ppoll on the calling goroutine, with the listener made
// non-blocking: a goroutine blocked in accept4 and another in the exit wait
// would each hold a thread, and Go's sysmon wakes every 20 µs until it
// takes the only P back from each.
//
// With exitFD, it also sends the runtime's ticks (p.tick), from that
// ppoll's timeout: a Go timer would start the network poller, which may be
// just what cannot be had.
func (p *Proxy) serveUntilExit(lfd, exitFD int, pidfd bool) error {
	var wait retryWait
	fds := [2]pollFd{{fd: int32(lfd), events: pollIn}, {fd: int32(exitFD), events: pollIn}}
	if exitFD >= 0 {
		if err := syscall.SetNonblock(lfd, true); err != nil {
			return err
		}
	}
	ticking := p.tick != nil && exitFD >= 0
	var tickAt time.Time
	if ticking {
		tickAt = time.Now().Add(p.tick.interval)
	}
	for {
		if exitFD >= 0 {
			fds[0].revent, fds[1].revent = 0, 0
			n, errno := 0, syscall.Errno(0)
			if ticking {
				left := time.Until(tickAt)
				if left <= 0 {
					if ticking = p.tick.fire(); ticking {
						tickAt = p.tick.advance(tickAt, time.Now())
					}
					continue
				}
				ts := syscall.NsecToTimespec(int64(left))
				n, errno = ppollTimeout(fds[:], &ts)
			} else {
				n, errno = 1, ppoll(fds[:])
			}
			switch {
			case errno == syscall.EINTR:
				continue
			case errno != 0: // ENOMEM
				wait.sleep(p, "poll", errno, -1)
				continue
			case n == 0:
				continue // the next tick is due
			}
			if fds[1].revent != 0 && exited(exitFD, pidfd) {
				return nil
			}
			if fds[0].revent == 0 {
				continue
			}
		}
		fd, _, err := syscall.Accept4(lfd, syscall.SOCK_CLOEXEC)
		switch {
		case err == nil:
			wait.reset()
			go p.relay(fdConn(fd))
		case resourceShortage(err):
			wait.sleep(p, "accept", err, -1)
		case err == syscall.EAGAIN || err == syscall.EINTR || err == syscall.ECONNABORTED || acceptNetworkError(err):
			// The connection went away (EAGAIN: between ppoll and accept), or
			// an error pending on it (accept(2) says to treat these like
			// EAGAIN): the next one is served.
		default:
			return err
		}
	}
}

// resourceShortage tells whether err says the process or the system ran out
// of descriptors or memory for the moment.
func resourceShortage(err error) bool {
	switch err {
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
		return true
	}
	return false
}

// acceptNetworkError: the errors Linux's accept(2) passes on from the new
// connection, to be retried.
func acceptNetworkError(err error) bool {
	switch err {
	case syscall.ENETDOWN, syscall.EPROTO, syscall.ENOPROTOOPT, syscall.EHOSTDOWN,
		syscall.ENONET, syscall.EHOSTUNREACH, syscall.EOPNOTSUPP, syscall.ENETUNREACH:
		return true
	}
	return false
}

// A retryWait backs off from 1 ms to maxRetryWait while a resource is short,
// and warns once per shortage (a marker, so the log says why requests
// waited).
type retryWait struct {
	d time.Duration
}

const maxRetryWait = 50 * time.Millisecond

// sleep waits before the next try. With a client descriptor (>= 0) it
// returns false at once if that client hangs up meanwhile: a connection
// waiting for its upstream holds a descriptor, which it must give back
// when the runtime has given up on it.
//
// It sleeps in ppoll(2), not time.Sleep: a Go timer's first use creates
// the runtime's epoll descriptor, and without a descriptor to spare for it
// the runtime dies (fatal error: netpollinit failed).
func (w *retryWait) sleep(p *Proxy, op string, err error, client int) bool {
	if w.d == 0 {
		w.d = time.Millisecond
		p.warn("runtime-API proxy: " + op + ": " + err.Error() + "; retrying")
	}
	ts := syscall.NsecToTimespec(int64(w.d))
	w.d = min(2*w.d, maxRetryWait)
	fds := []pollFd{{fd: int32(client), events: pollRDHUP}} // a negative fd is skipped
	for {
		n, errno := ppollTimeout(fds, &ts)
		switch {
		case errno == syscall.EINTR:
			continue // ppoll left the remaining time in ts
		case n > 0 && fds[0].revent != 0:
			return false // hung up (or failed)
		}
		return true
	}
}

func (w *retryWait) reset() { w.d = 0 }

// A requestKind tells the response side what its request was.
type requestKind struct {
	next bool // GET …/runtime/invocation/next: the response is an event
	head bool // HEAD: the response has no body
	raw  bool // the request stream could not be parsed, or needs no more parsing: relay the rest raw
}

// withoutPoller keeps the proxy off Go's network poller, as when the poller
// cannot be had: tests of the fallback (fdConn, serveUntilExit).
var withoutPoller bool

// A conn is one side of a relayed connection: a *pollConn (parked in Go's
// network poller while it waits), or, where the poller is not to be had, an
// fdConn (blocking system calls, each waiting call holding a thread).
type conn interface {
	io.ReadWriteCloser
	// shutdown shuts the socket down (shutdown(2)); SHUT_RDWR also wakes a
	// reader waiting on it, which Close might not.
	shutdown(how int)
}

func (p *Proxy) relay(client conn) {
	defer client.Close()
	defer p.survive()
	_, polled := client.(*pollConn)
	dialConn := func() (conn, error) {
		if polled {
			return dialPolled(p.Upstream)
		}
		fd, err := dial(p.Upstream)
		if err != nil {
			return nil, err
		}
		return fdConn(fd), nil
	}
	var wait retryWait
	up, err := dialConn()
	for ; err != nil && resourceShortage(errors.Unwrap(err)); up, err = dialConn() {
		if !wait.sleep(p, "connect", errors.Unwrap(err), connFD(client)) {
			return // the runtime closed this connection meanwhile
		}
	}
	if err != nil {
		p.warn("runtime-API proxy cannot reach the Runtime API: " + err.Error())
		return
	}
	defer up.Close()
	if polled {
		setNoDelayRaw(connFD(client))
	} else {
		setNoDelay(connFD(client))
	}
	if p.quiet.Load() {
		// Nothing left to mark: relay raw.
		relayRaw(client, up)
		return
	}
	c := &connState{}
	kinds := make(chan requestKind, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer client.shutdown(syscall.SHUT_RDWR) // unblocks the request side
		defer p.survive()
		p.responses(client, up, kinds, c)
	}()
	if !p.requests(up, client, kinds, c) {
		up.shutdown(syscall.SHUT_WR) // let the upstream finish its responses
	}
	<-done
}

// connFD returns c's descriptor.
func connFD(c conn) int {
	if pc, ok := c.(*pollConn); ok {
		return pc.fd
	}
	return int(c.(fdConn))
}

// A connState is what the two sides of one connection share.
type connState struct {
	mu sync.Mutex
	// pending counts requests forwarded whose final response has not been
	// relayed yet.
	pending int
	// handover, once set by the request side (with its buffered bytes),
	// asks the response side to relay both directions, raw, on its own
	// goroutine after the last pending response: with fdConns, one thread
	// woken per message instead of two handing the single P back and forth.
	handover *bufio.Reader
}

// survive turns a panic on one connection into a warning: the proxy must
// stay up for the runtime's next connection. The connection itself is
// closed by the caller's deferred Close.
func (p *Proxy) survive() {
	if r := recover(); r != nil {
		p.warn("runtime-API proxy: internal error on one connection; it was closed")
	}
}

// requests relays requests from the runtime to the Runtime API, writing
// init_done, invoke_end and init_error markers before each is forwarded.
//
// It returns true when it handed the connection over to the response side
// (see connState.handover).
func (p *Proxy) requests(dst io.Writer, src io.Reader, kinds chan<- requestKind, c *connState) bool {
	defer close(kinds)
	br := bufio.NewReaderSize(src, 32<<10)
	for {
		if p.quiet.Load() {
			// Every marker is written: forward the rest unparsed, both ways
			// on the response side's thread once it has relayed the pending
			// responses (if none is pending it is blocked reading the
			// upstream, so this side copies its own direction).
			c.mu.Lock()
			if c.pending > 0 {
				c.handover = br
				c.mu.Unlock()
				return true
			}
			c.mu.Unlock()
			kinds <- requestKind{raw: true}
			rawCopyBuffered(dst, br, src)
			return false
		}
		h, err := readHead(br)
		p.heads.Add(1)
		if err != nil {
			if len(h.raw) > 0 { // unparseable: forward what was read and the rest
				p.stopTicksEarly() // init's end could pass unseen
				kinds <- requestKind{raw: true}
				dst.Write(h.raw)
				rawCopyBuffered(dst, br, src)
			}
			return false
		}
		method, target, ok := parseRequestLine(h.firstLine())
		if !ok {
			p.stopTicksEarly() // init's end could pass unseen
			kinds <- requestKind{raw: true}
			dst.Write(h.raw)
			rawCopyBuffered(dst, br, src)
			return false
		}
		path, _, _ := strings.Cut(target, "?")
		kind := requestKind{head: method == "HEAD"}
		var endID string // request ID of a posted response/error, marked below
		status := ""
		switch {
		case method == "GET" && strings.HasSuffix(path, runtimeapi.PathNext):
			kind.next = true
			p.nextRequested(false)
		case method == "GET" && strings.HasSuffix(path, runtimeapi.PathRestoreNext):
			p.nextRequested(true)
		case method != "POST":
		case strings.HasSuffix(path, runtimeapi.PathInitError):
			p.stopTicksEarly()
			p.mark(marker.Event{Kind: marker.InitError, Message: h.header(runtimeapi.HeaderFunctionErrorType)})
		default:
			if id, st, ok := invocationPost(path); ok {
				endID, status = id, st
			}
		}
		body, bodyErr := requestBody(h)
		// A streamed response ends with its last chunk, and its trailers may
		// say it failed: mark it then, before that chunk is forwarded.
		streamed := endID != "" && status == marker.StatusResponse && body.chunked
		if endID != "" && !streamed {
			p.invokeEnd(endID, status)
		}
		c.mu.Lock()
		c.pending++
		c.mu.Unlock()
		kinds <- kind
		if bodyErr != nil {
			p.stopTicksEarly() // init's end could pass unseen
			dst.Write(h.raw)
			rawCopyBuffered(dst, br, src)
			return false
		}
		if _, err := dst.Write(h.raw); err != nil {
			return false
		}
		var beforeLast func(trailers []byte)
		if streamed {
			beforeLast = func(trailers []byte) {
				st := marker.StatusResponse
				if headerValue(trailers, runtimeapi.HeaderFunctionErrorType) != "" {
					st = marker.StatusError
				}
				p.invokeEnd(endID, st)
			}
		}
		if err := copyBody(dst, br, body, beforeLast); err != nil {
			return false
		}
	}
}

// responses relays responses from the Runtime API to the runtime, writing
// invoke_start before an event is handed over.
func (p *Proxy) responses(dst io.Writer, src io.Reader, kinds <-chan requestKind, c *connState) {
	br := bufio.NewReaderSize(src, 32<<10)
	for {
		h, err := readHead(br)
		p.heads.Add(1)
		if err != nil {
			if len(h.raw) > 0 {
				dst.Write(h.raw)
				rawCopyBuffered(dst, br, src)
			}
			return
		}
		var kind requestKind
		select {
		case k, ok := <-kinds:
			if ok {
				kind = k
			}
		default: // a response nobody asked for (e.g. 408 before closing)
		}
		if kind.raw {
			dst.Write(h.raw)
			rawCopyBuffered(dst, br, src)
			return
		}
		status, ok := parseStatusLine(h.firstLine())
		for ok && status >= 100 && status < 200 && status != 101 {
			// Interim (100 Continue): forward it; the final response follows.
			if _, err := dst.Write(h.raw); err != nil {
				return
			}
			if h, err = readHead(br); err != nil {
				dst.Write(h.raw)
				rawCopyBuffered(dst, br, src)
				return
			}
			status, ok = parseStatusLine(h.firstLine())
		}
		body, bodyErr := responseBody(h, status, kind.head)
		if !ok || status == 101 || bodyErr != nil {
			dst.Write(h.raw)
			rawCopyBuffered(dst, br, src)
			return
		}
		if kind.next && status == 200 {
			p.invokeStart(h.header(runtimeapi.HeaderRequestID))
		}
		if _, err := dst.Write(h.raw); err != nil {
			return
		}
		if err := copyBody(dst, br, body, nil); err != nil {
			return
		}
		if body.untilClose {
			return
		}
		c.mu.Lock()
		if c.pending > 0 {
			c.pending--
		}
		handover := c.handover
		if c.pending > 0 {
			handover = nil
		}
		c.mu.Unlock()
		if handover != nil {
			p.takeOver(dst, src, br, handover)
			return
		}
	}
}

// takeOver relays both directions raw: first the bytes each side's reader
// had buffered, then whatever arrives.
func (p *Proxy) takeOver(client io.Writer, up io.Reader, upBuffered, clientBuffered *bufio.Reader) {
	cl, ok1 := client.(conn)
	u, ok2 := up.(conn)
	if !ok1 || !ok2 {
		return // only conns are ever handed over
	}
	for _, x := range []struct {
		dst conn
		br  *bufio.Reader
	}{{cl, upBuffered}, {u, clientBuffered}} {
		if n := x.br.Buffered(); n > 0 {
			b, _ := x.br.Peek(n)
			if _, err := x.dst.Write(b); err != nil {
				return
			}
		}
	}
	relayRaw(cl, u)
}

// invocationPost recognises …/runtime/invocation/{id}/response and /error.
func invocationPost(path string) (id, status string, ok bool) {
	i := strings.LastIndex(path, runtimeapi.PathInvocation)
	if i < 0 {
		return "", "", false
	}
	rest := path[i+len(runtimeapi.PathInvocation):]
	id, _, found := strings.Cut(rest, "/")
	if !found || id == "" {
		return "", "", false
	}
	switch rest[len(id):] {
	case runtimeapi.SuffixResponse:
		return id, marker.StatusResponse, true
	case runtimeapi.SuffixError:
		return id, marker.StatusError, true
	}
	return "", "", false
}

// nextRequested marks the runtime asking for its next event: the first
// such request ends init (init_done; via restore for restore/next, which a
// SnapStart runtime sends instead of invocation/next), and the first
// invocation/next after a restore/next is the restored runtime being ready
// (restored).
func (p *Proxy) nextRequested(restore bool) {
	p.stopTicks() // before the request is forwarded
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.initDone:
		p.initDone = true
		p.restorePending = restore
		e := marker.Event{Kind: marker.InitDone}
		if restore {
			e.Via = marker.ViaRestore
		}
		t := p.writeLocked(e)
		p.tellSampler("init_done", t)
	case p.restorePending && !restore:
		p.restorePending = false
		p.writeLocked(marker.Event{Kind: marker.Restored})
	}
}

func (p *Proxy) invokeStart(requestID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.invokes++
	switch {
	case p.invokes <= p.InvokeMarkers:
		p.writeLocked(marker.Event{Kind: marker.InvokeStart, RequestID: requestID})
	case p.invokes == p.InvokeMarkers+1:
		p.writeLocked(marker.Event{Kind: marker.Warning,
			Message: "invoke markers stop after " + strconv.Itoa(p.InvokeMarkers) + " invocations (" + EnvInvokeMarkers + ")"})
	}
	p.checkQuietLocked()
}

func (p *Proxy) invokeEnd(requestID, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var t int64
	if p.invokes <= p.InvokeMarkers {
		t = p.writeLocked(marker.Event{Kind: marker.InvokeEnd, RequestID: requestID, Status: status})
	}
	if !p.samplerDone && p.invokes >= 1 {
		if t == 0 {
			t = p.Now().UnixMicro()
		}
		p.tellSampler("invoke_end", t)
		if p.Sampler != nil {
			p.Sampler.Close()
		}
		p.samplerDone = true
	}
	p.checkQuietLocked()
}

// checkQuietLocked turns on the raw relay once nothing is left to mark:
// the invoke-marker budget is spent (its warning written) and the sampler
// has had its last line.
func (p *Proxy) checkQuietLocked() {
	if p.invokes > p.InvokeMarkers && (p.samplerDone || p.Sampler == nil) {
		p.quiet.Store(true)
	}
}

// tellSampler writes one stop line to the sampler's pipe. The write never
// blocks and is never retried: a full or closed pipe loses the line.
func (p *Proxy) tellSampler(event string, unixUs int64) {
	if p.Sampler == nil || p.samplerDone {
		return
	}
	var buf [40]byte
	line := append(buf[:0], event...)
	line = append(line, ' ')
	line = strconv.AppendInt(line, unixUs, 10)
	line = append(line, '\n')
	p.Sampler.Write(line)
}

func (p *Proxy) mark(e marker.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLocked(e)
}

func (p *Proxy) warn(msg string) { p.mark(marker.Event{Kind: marker.Warning, Message: msg}) }

// writeLocked writes one marker line with one Write call and returns its
// time.
func (p *Proxy) writeLocked(e marker.Event) int64 {
	e.TimeUs = p.Now().UnixMicro()
	var buf [256]byte
	p.Markers.Write(marker.Append(buf[:0], e))
	return e.TimeUs
}
