package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// HTTP/1.1 framing: just enough to know where each message starts and ends.

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
