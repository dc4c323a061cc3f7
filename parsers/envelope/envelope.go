// Package envelope turns the many shapes a Lambda log arrives in (raw stderr,
// aws logs tail, sam logs, CloudWatch JSON exports, Logs Insights results,
// Lambda's JSON log format) into one stream of Records: a log event's text and
// the log stream it came from. The line grammars in package parsers read only
// Records, never the envelopes.
//
// Use:
//
//	dec, err := envelope.Open(r, "app.log", envelope.FormatAuto,
//		envelope.WithWarn(func(where, msg string) { … }))
//	for {
//		rec, err := dec.Next() // io.EOF at the end; other errors are I/O errors
//		…                      // rec.Stream, rec.Line, rec.TimeUs, rec.Text
//	}
//
// Open recognises gzip by its magic bytes (and `aws logs tail --color on`
// colour codes by a leading ESC), then (with FormatAuto) sniffs the shape:
// see Sniff and the Format constants, whose names are the values of
// --input-format; ParseFormat checks such a value and Formats lists them. Records come in input order; events of many log streams
// may interleave, so callers keep one builder per Record.Stream. Stream is ""
// where the shape carries no stream name (raw text, tail --format short,
// get-log-events). Text is the message as CloudWatch stored it, minus its
// final newline; tabs and inner spaces are kept (aws logs tail strips
// trailing white space, so REPORT lines lose their trailing tab there).
// Multi-line events are one Record with '\n' inside; JSON messages that the
// tools pretty-print (tail --format json, sam logs) are compacted again.
//
// Every decoder Open returns also:
//
//   - rewrites platform events of Lambda's JSON log format as the TEXT lines
//     Lambda writes in TEXT format (INIT_START, START, END, REPORT,
//     INIT_REPORT, RESTORE_START, RESTORE_REPORT) and marks them
//     Record.Platform, inside any envelope;
//   - rejoins a line CloudWatch split into several events at its event size
//     limit when the pieces follow each other in one stream, and warns;
//   - warns when events of one stream go back in time.
//
// Problems in the input never end decoding: they are passed to the
// WithWarn hook as ("file:line", message) and the rest of the input is
// read. Unrecognised text is read as plain lines; malformed JSON is skipped
// to the next top-level value after the error. Memory stays bounded whatever
// the input: a line is cut at MaxLineBytes, a multi-line event is handed out
// in pieces of 8 MB, a CSV record is cut at 4 MB (an unterminated quote),
// a JSON value over 32 MB is skipped as malformed, remembered stream names
// are bounded by count and bytes, and Logs Insights results are held a
// window of 10,000 rows or 32 MB at a time, put in time order, since the
// console's query returns them newest first. A gzip input is decompressed
// as a stream.
//
// WithPrefetch runs the decoding on a goroutine of its own so that it
// overlaps the caller's parsing (two cores); records and warnings arrive
// exactly as without it. Call Close (the Decoder is then an io.Closer) when
// stopping before io.EOF. Figures are in BENCHMARKS.md.
//
// Where a cold start of a JSON-log-format function (Record.Platform) has no
// profiler lines, the application log level probably dropped them: package
// parsers warns with DroppedTextWarning.
package envelope

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// A Record is one log event: one or more lines of text from one log stream.
type Record struct {
	// Stream is the log stream name, "" when the input shape carries none.
	Stream string
	// Line is the 1-based line of the input where the record starts, for messages.
	Line int
	// TimeUs is the event's timestamp in Unix microseconds, 0 when unknown.
	TimeUs int64
	// Platform is true when Text was rewritten from a platform event of
	// Lambda's JSON log format ({"type":"platform.start",…}) into the TEXT
	// line Lambda writes for it. A stream with such records uses the JSON
	// log format, where AWS_LAMBDA_LOG_LEVEL WARN or above drops plain-text
	// stderr lines: see DroppedTextWarning.
	Platform bool
	// Text is the event's message without its trailing newline. It may hold
	// several lines separated by '\n'. It is only valid until the next call
	// to Next: decoders reuse their buffers.
	Text []byte
	// OneLine is true when the decoder knows Text holds no '\n' (a text
	// export's single-line event), so a reader need not look for one;
	// false says nothing.
	OneLine bool
}

// A Decoder yields the Records of one input in order.
type Decoder interface {
	// Next returns the next record, or io.EOF after the last one. Other
	// errors are I/O errors and end the input.
	Next() (Record, error)
}

// A RecordDecoder is a Decoder that can also hand out its next record in
// place: NextRecord's Record belongs to the decoder and, like its Text, is
// valid only until the next call. Every Decoder Open returns is one.
// Returning a Record by value through each layer (decoder, checks,
// parser) cost about a fifth of decoding an aws logs tail export
// (parsers/BENCHMARKS.md, "Input side, one goroutine").
type RecordDecoder interface {
	Decoder
	NextRecord() (*Record, error)
}

// inPlace gives any Decoder a NextRecord, copying each Record once.
type inPlace struct {
	Decoder
	rec Record
}

func (d *inPlace) NextRecord() (*Record, error) {
	rec, err := d.Decoder.Next()
	d.rec = rec
	return &d.rec, err
}

// AsRecordDecoder returns d itself when it hands out records in place, and
// otherwise d behind an adapter that copies each Record once.
func AsRecordDecoder(d Decoder) RecordDecoder {
	if rd, ok := d.(RecordDecoder); ok {
		return rd
	}
	return &inPlace{Decoder: d}
}

// DroppedTextWarning explains a cold start from a function using Lambda's
// JSON log format (its records have Platform set) that has a coldprof start
// marker but no profiler lines. Package parsers uses it so the message reads
// the same everywhere.
const DroppedTextWarning = "no import lines in a function using Lambda's JSON log format: with the application log level " +
	"(AWS_LAMBDA_LOG_LEVEL) at WARN or above, Lambda drops plain-text stderr lines such as -X importtime output " +
	"as INFO; set the level to INFO or DEBUG, or use the TEXT log format, while profiling"

// MaxLineBytes bounds one line of input. CloudWatch splits events at 256 KB
// (1 MB for PutLogEvents since 2025), so a longer line is not a log line; it
// is cut at this length and the rest is skipped, keeping memory bounded on
// garbage input. It sits well above both limits so that a cut line is never
// taken for the first piece of a split event.
const MaxLineBytes = 2 << 20

// RawText decodes plain text: every line is one record with no stream.
type RawText struct {
	lines lineReader
	// Cut counts lines longer than MaxLineBytes that were cut.
	Cut int
}

// NewRawText returns a decoder that yields each line of r as a record.
// A UTF-8 byte order mark at the start and a '\r' before each '\n' are dropped.
func NewRawText(r io.Reader) *RawText {
	return &RawText{lines: newLineReader(r)}
}

// Next returns the next line that is not blank. Blank lines carry nothing
// and are skipped in bulk: a run of a billion newlines (4 GiB from a 4 MB
// gzip file) once took minutes, a record each.
func (d *RawText) Next() (Record, error) {
	for {
		line, err := d.lines.next()
		d.Cut = d.lines.cut
		if err != nil {
			return Record{}, err
		}
		if len(line) > 0 {
			return Record{Line: d.lines.line, Text: line, OneLine: true}, nil
		}
		d.lines.skipNewlines()
	}
}

// skipNewlines consumes the newlines that follow in the input, counting
// them as lines, a buffer at a time.
func (l *lineReader) skipNewlines() {
	for {
		b, _ := l.r.Peek(max(l.r.Buffered(), 1))
		n := 0
		for n < len(b) && b[n] == '\n' {
			n++
		}
		if n == 0 {
			return
		}
		l.r.Discard(n)
		l.line += n
		if n < len(b) {
			return
		}
	}
}

// A lineReader yields the lines of an input without their terminators,
// counting them. Lines are slices of its buffer, valid until the next call.
type lineReader struct {
	r    *bufio.Reader
	line int
	buf  []byte
	cut  int
}

func newLineReader(r io.Reader) lineReader {
	return lineReader{r: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line, or io.EOF after the last one.
func (l *lineReader) next() ([]byte, error) {
	line, err := l.readLine()
	if err != nil {
		return nil, err
	}
	l.line++
	if l.line == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, nil
}

// readLine returns the next line without its terminator. It avoids copying
// when the line fits in the bufio buffer, which is the common case.
func (l *lineReader) readLine() ([]byte, error) {
	frag, err := l.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(frag) > 0) {
		return trimEOL(frag), nil
	}
	if err != bufio.ErrBufferFull {
		return nil, err
	}
	l.buf = append(l.buf[:0], frag...)
	for {
		frag, err = l.r.ReadSlice('\n')
		if len(l.buf) < MaxLineBytes {
			l.buf = append(l.buf, frag[:min(len(frag), MaxLineBytes-len(l.buf))]...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == nil || err == io.EOF:
			if len(l.buf) >= MaxLineBytes {
				l.cut++
			}
			return trimEOL(l.buf), nil
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

// A lineWarner words a decoder's warnings: where is "source:line". A nil
// warn drops them, so callers need not check.
type lineWarner struct {
	source string
	warn   func(where, msg string)
}

func (w *lineWarner) warnf(line int, format string, args ...any) {
	if w.warn != nil {
		w.warn(w.source+":"+strconv.Itoa(line), fmt.Sprintf(format, args...))
	}
}

// warnCut reports a line cut at MaxLineBytes.
func (w *lineWarner) warnCut(line int) {
	w.warnf(line, "line longer than %d bytes cut there", MaxLineBytes)
}
