package wrapper

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
)

// Runtime API paths and headers the proxy watches (everything else passes
// through unlooked-at).
const (
	pathNext          = "/runtime/invocation/next"
	pathInvocation    = "/runtime/invocation/"
	pathInitError     = "/runtime/init/error"
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
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
// sent. Each client connection gets its own upstream connection.
type Proxy struct {
	// Upstream is the real Runtime API's host:port.
	Upstream string
	// InvokeMarkers bounds how many invocations get invoke markers.
	InvokeMarkers int
	// Markers receives the marker lines, one Write per line.
	Markers io.Writer
	// Now gives marker timestamps.
	Now func() time.Time

	mu       sync.Mutex
	initDone bool
	invokes  int // events handed to the runtime so far
}

// Serve accepts connections on l until it fails and relays each.
func (p *Proxy) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go p.relay(c)
	}
}

// A requestKind tells the response side what its request was.
type requestKind struct {
	next bool // GET …/runtime/invocation/next: the response is an event
	head bool // HEAD: the response has no body
	raw  bool // the request stream could not be parsed: relay the rest raw
}

func (p *Proxy) relay(client net.Conn) {
	defer client.Close()
	defer p.survive()
	up, err := net.Dial("tcp", p.Upstream)
	if err != nil {
		p.warn("runtime-API proxy cannot reach the Runtime API: " + errorText(err))
		return
	}
	defer up.Close()
	kinds := make(chan requestKind, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer client.Close() // unblocks the request side
		defer p.survive()
		p.responses(client, up, kinds)
	}()
	p.requests(up, client, kinds)
	if tc, ok := up.(*net.TCPConn); ok {
		tc.CloseWrite() // let the upstream finish its responses
	}
	<-done
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
func (p *Proxy) requests(dst io.Writer, src io.Reader, kinds chan<- requestKind) {
	defer close(kinds)
	br := bufio.NewReaderSize(src, 32<<10)
	for {
		h, err := readHead(br)
		if err != nil {
			if len(h.raw) > 0 { // unparseable: forward what was read and the rest
				kinds <- requestKind{raw: true}
				dst.Write(h.raw)
				io.Copy(dst, br)
			}
			return
		}
		method, target, ok := parseRequestLine(h.firstLine())
		if !ok {
			kinds <- requestKind{raw: true}
			dst.Write(h.raw)
			io.Copy(dst, br)
			return
		}
		path, _, _ := strings.Cut(target, "?")
		kind := requestKind{head: method == "HEAD"}
		var endID string // request ID of a posted response/error, marked below
		status := ""
		switch {
		case method == "GET" && strings.HasSuffix(path, pathNext):
			kind.next = true
			p.initDoneOnce()
		case method != "POST":
		case strings.HasSuffix(path, pathInitError):
			p.mark(marker.Event{Kind: marker.InitError, Message: h.header(headerErrorType)})
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
		kinds <- kind
		if bodyErr != nil {
			dst.Write(h.raw)
			io.Copy(dst, br)
			return
		}
		if _, err := dst.Write(h.raw); err != nil {
			return
		}
		var beforeLast func(trailers []byte)
		if streamed {
			beforeLast = func(trailers []byte) {
				st := marker.StatusResponse
				if headerValue(trailers, headerErrorType) != "" {
					st = marker.StatusError
				}
				p.invokeEnd(endID, st)
			}
		}
		if err := copyBody(dst, br, body, beforeLast); err != nil {
			return
		}
	}
}

// responses relays responses from the Runtime API to the runtime, writing
// invoke_start before an event is handed over.
func (p *Proxy) responses(dst io.Writer, src io.Reader, kinds <-chan requestKind) {
	br := bufio.NewReaderSize(src, 32<<10)
	for {
		h, err := readHead(br)
		if err != nil {
			if len(h.raw) > 0 {
				dst.Write(h.raw)
				io.Copy(dst, br)
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
			io.Copy(dst, br)
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
				io.Copy(dst, br)
				return
			}
			status, ok = parseStatusLine(h.firstLine())
		}
		body, bodyErr := responseBody(h, status, kind.head)
		if !ok || status == 101 || bodyErr != nil {
			dst.Write(h.raw)
			io.Copy(dst, br)
			return
		}
		if kind.next && status == 200 {
			p.invokeStart(h.header(headerRequestID))
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
	}
}

// invocationPost recognises …/runtime/invocation/{id}/response and /error.
func invocationPost(path string) (id, status string, ok bool) {
	i := strings.LastIndex(path, pathInvocation)
	if i < 0 {
		return "", "", false
	}
	rest := path[i+len(pathInvocation):]
	id, what, found := strings.Cut(rest, "/")
	if !found || id == "" {
		return "", "", false
	}
	switch what {
	case "response":
		return id, marker.StatusResponse, true
	case "error":
		return id, marker.StatusError, true
	}
	return "", "", false
}

func (p *Proxy) initDoneOnce() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.initDone {
		return
	}
	p.initDone = true
	p.writeLocked(marker.Event{Kind: marker.InitDone})
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
}

func (p *Proxy) invokeEnd(requestID, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.invokes <= p.InvokeMarkers {
		p.writeLocked(marker.Event{Kind: marker.InvokeEnd, RequestID: requestID, Status: status})
	}
}

func (p *Proxy) mark(e marker.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeLocked(e)
}

func (p *Proxy) warn(msg string) { p.mark(marker.Event{Kind: marker.Warning, Message: msg}) }

// writeLocked writes one marker line with one Write call.
func (p *Proxy) writeLocked(e marker.Event) {
	e.TimeUs = p.Now().UnixMicro()
	var buf [256]byte
	p.Markers.Write(marker.Append(buf[:0], e))
}

// errorText describes a network error without the address (which came from
// the environment).
func errorText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	return "connection failed"
}

// A head is the raw bytes of a request or response head, CRLFCRLF included.
type head struct{ raw []byte }

func (h head) firstLine() []byte {
	line, _, _ := bytes.Cut(h.raw, []byte("\n"))
	return bytes.TrimRight(line, "\r")
}

// header returns the first value of the named header ("" when absent).
func (h head) header(name string) string {
	_, fields, _ := bytes.Cut(h.raw, []byte("\n"))
	return headerValue(fields, name)
}

// headerValue returns the first value of the named header in header lines
// (a head without its first line, or trailers), "" when absent.
func headerValue(lines []byte, name string) string {
	for v := range headerFields(lines, name) {
		return v
	}
	return ""
}

// headerValues returns every value of the named header, in order.
func headerValues(h head, name string) []string {
	_, fields, _ := bytes.Cut(h.raw, []byte("\n"))
	return slices.Collect(headerFields(fields, name))
}

// headerFields yields the trimmed values of the named header in header
// lines, in order.
func headerFields(lines []byte, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for rest := lines; len(rest) > 0; {
			var line []byte
			line, rest, _ = bytes.Cut(rest, []byte("\n"))
			k, v, ok := bytes.Cut(line, []byte(":"))
			if ok && strings.EqualFold(string(k), name) && !yield(string(bytes.TrimSpace(v))) {
				return
			}
		}
	}
}

var errHeadTooLong = errors.New("message head too long")

// readHead reads one message head up to and including its blank line. On
// failure h.raw holds whatever bytes were consumed, so they can still be
// forwarded. Blank lines before a head (allowed by RFC 9112) are kept in raw.
func readHead(br *bufio.Reader) (head, error) {
	var raw []byte
	lineStart := 0
	for {
		chunk, err := br.ReadSlice('\n')
		raw = append(raw, chunk...)
		if err == bufio.ErrBufferFull {
			if len(raw) > maxHeadBytes {
				return head{raw}, errHeadTooLong
			}
			continue
		}
		if err != nil {
			if err == io.EOF && len(raw) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return head{raw}, err
		}
		line := raw[lineStart:]
		lineStart = len(raw)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			if len(bytes.TrimLeft(raw, "\r\n")) == 0 {
				continue // blank lines before the head
			}
			return head{raw}, nil
		}
		if len(raw) > maxHeadBytes {
			return head{raw}, errHeadTooLong
		}
	}
}

// parseRequestLine splits "METHOD target HTTP/1.x".
func parseRequestLine(line []byte) (method, target string, ok bool) {
	line = bytes.TrimLeft(line, "\r\n")
	m, rest, ok1 := bytes.Cut(line, []byte(" "))
	t, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(m) == 0 || len(t) == 0 || !bytes.HasPrefix(proto, []byte("HTTP/1.")) {
		return "", "", false
	}
	return string(m), string(t), true
}

// parseStatusLine returns the status code of "HTTP/1.x 200 OK".
func parseStatusLine(line []byte) (int, bool) {
	line = bytes.TrimLeft(line, "\r\n")
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false
	}
	_, rest, _ := bytes.Cut(line, []byte(" "))
	if len(rest) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil || code < 100 || code > 999 {
		return 0, false
	}
	return code, true
}

// A bodyFraming says how a message's body is delimited.
type bodyFraming struct {
	length     int64 // Content-Length, when !chunked && !untilClose
	chunked    bool
	untilClose bool // a response body that runs until the connection closes
}

var errFraming = errors.New("unsupported message framing")

// requestBody finds a request's framing (RFC 9112 section 6.3).
func requestBody(h head) (bodyFraming, error) {
	if te := headerValues(h, headerTransferEnc); len(te) > 0 {
		if isChunked(te) {
			return bodyFraming{chunked: true}, nil
		}
		return bodyFraming{}, errFraming
	}
	return contentLength(h)
}

// responseBody finds a response's framing.
func responseBody(h head, status int, toHEAD bool) (bodyFraming, error) {
	if toHEAD || status == 204 || status == 304 || status < 200 {
		return bodyFraming{}, nil
	}
	if te := headerValues(h, headerTransferEnc); len(te) > 0 {
		if isChunked(te) {
			return bodyFraming{chunked: true}, nil
		}
		return bodyFraming{untilClose: true}, nil
	}
	if len(headerValues(h, headerContentLen)) == 0 {
		return bodyFraming{untilClose: true}, nil
	}
	return contentLength(h)
}

func isChunked(te []string) bool {
	last := te[len(te)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "chunked")
}

func contentLength(h head) (bodyFraming, error) {
	cl := headerValues(h, headerContentLen)
	if len(cl) == 0 {
		return bodyFraming{}, nil
	}
	n, err := strconv.ParseInt(cl[0], 10, 64)
	if err != nil || n < 0 {
		return bodyFraming{}, errFraming
	}
	for _, v := range cl[1:] {
		if v != cl[0] {
			return bodyFraming{}, errFraming
		}
	}
	return bodyFraming{length: n}, nil
}

// copyBody relays one body as it arrives. For a chunked body beforeLast (if
// not nil) is called with the trailer lines after the last chunk has been
// read and before it is forwarded.
func copyBody(dst io.Writer, br *bufio.Reader, f bodyFraming, beforeLast func(trailers []byte)) error {
	switch {
	case f.untilClose:
		_, err := io.Copy(dst, br)
		return err
	case !f.chunked:
		_, err := io.CopyN(dst, br, f.length)
		return err
	}
	for {
		line, err := readLine(br)
		if err != nil {
			dst.Write(line)
			return err
		}
		size, ok := chunkSize(line)
		if !ok {
			dst.Write(line)
			io.Copy(dst, br)
			return errFraming
		}
		if size == 0 {
			trailers, err := readTrailers(br)
			if beforeLast != nil {
				beforeLast(trailers)
			}
			if _, werr := dst.Write(append(line, trailers...)); werr != nil {
				return werr
			}
			return err
		}
		if _, err := dst.Write(line); err != nil {
			return err
		}
		if _, err := io.CopyN(dst, br, size); err != nil {
			return err
		}
		crlf, err := readLine(br)
		if _, werr := dst.Write(crlf); werr != nil {
			return werr
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line, however long, with its terminator.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err != bufio.ErrBufferFull {
			return line, err
		}
		if len(line) > maxHeadBytes {
			return line, errHeadTooLong
		}
	}
}

// readTrailers reads the trailer section after the last chunk, up to and
// including its blank line.
func readTrailers(br *bufio.Reader) ([]byte, error) {
	var raw []byte
	for {
		line, err := readLine(br)
		raw = append(raw, line...)
		if err != nil {
			return raw, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return raw, nil
		}
		if len(raw) > maxHeadBytes {
			return raw, errHeadTooLong
		}
	}
}

// chunkSize parses a chunk-size line ("1a2b;ext=v\r\n").
func chunkSize(line []byte) (int64, bool) {
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(line), 16, 64)
	return n, err == nil && n >= 0
}
