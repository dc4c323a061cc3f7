// Package envelope turns the many shapes a Lambda log arrives in (raw stderr,
// aws logs tail, sam logs, CloudWatch JSON exports, Logs Insights results,
// Lambda's JSON log format) into one stream of Records: a log event's text and
// the log stream it came from. The line grammars in package parsers read only
// Records, never the envelopes.
package envelope

import (
	"bufio"
	"bytes"
	"io"
)

// A Record is one log event: one or more lines of text from one log stream.
type Record struct {
	// Stream is the log stream name, "" when the input shape carries none.
	Stream string
	// Line is the 1-based line of the input where the record starts, for messages.
	Line int
	// TimeUs is the event's timestamp in Unix microseconds, 0 when unknown.
	TimeUs int64
	// Text is the event's message without its trailing newline. It may hold
	// several lines separated by '\n'. It is only valid until the next call
	// to Next: decoders reuse their buffers.
	Text []byte
}

// A Decoder yields the Records of one input in order.
type Decoder interface {
	// Next returns the next record, or io.EOF after the last one. Other
	// errors are I/O errors and end the input.
	Next() (Record, error)
}

// MaxLineBytes bounds one line of input. CloudWatch splits events at 256 KiB,
// so a longer line is not a log line; it is cut at this length and the rest
// is skipped, keeping memory bounded on garbage input.
const MaxLineBytes = 1 << 20

// RawText decodes plain text: every line is one record with no stream.
type RawText struct {
	r    *bufio.Reader
	line int
	buf  []byte
	// Cut counts lines longer than MaxLineBytes that were cut.
	Cut int
}

// NewRawText returns a decoder that yields each line of r as a record.
// A UTF-8 byte order mark at the start and a '\r' before each '\n' are dropped.
func NewRawText(r io.Reader) *RawText {
	return &RawText{r: bufio.NewReaderSize(r, 256<<10)}
}

// Next returns the next line.
func (d *RawText) Next() (Record, error) {
	line, err := d.readLine()
	if err != nil {
		return Record{}, err
	}
	d.line++
	if d.line == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return Record{Line: d.line, Text: line}, nil
}

// readLine returns the next line without its terminator. It avoids copying
// when the line fits in the bufio buffer, which is the common case.
func (d *RawText) readLine() ([]byte, error) {
	frag, err := d.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(frag) > 0) {
		return trimEOL(frag), nil
	}
	if err != bufio.ErrBufferFull {
		return nil, err
	}
	d.buf = append(d.buf[:0], frag...)
	for {
		frag, err = d.r.ReadSlice('\n')
		if len(d.buf) < MaxLineBytes {
			d.buf = append(d.buf, frag[:min(len(frag), MaxLineBytes-len(d.buf))]...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == nil || err == io.EOF:
			if len(d.buf) >= MaxLineBytes {
				d.Cut++
			}
			return trimEOL(d.buf), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
