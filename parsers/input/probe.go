package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"unicode/utf8"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/platform"
)

// An inputProbe watches one input as it is read: how many bytes (for the
// progress line), its first bytes, its shape and what records it held, so
// that an input with no cold start gets a reason, not one message for every
// kind of mistake.
type inputProbe struct {
	r      io.Reader
	size   int64        // the file's size, 0 when unknown (stdin, a pipe)
	read   atomic.Int64 // bytes read so far (from the decoding goroutine)
	head   []byte       // the first headBytes bytes, as stored (maybe gzip)
	format envelope.Format
	forced bool // --input-format named the shape

	// Set on the parsing goroutine, read after it has finished.
	records  int // records decoded
	platform int // of them, Lambda's START/END/REPORT/INIT_START lines
}

// newProbe returns a probe reading r, which holds size bytes when it is a
// regular file.
func newProbe(r io.Reader, format envelope.Format) *inputProbe {
	p := &inputProbe{r: r, format: format, forced: format != envelope.FormatAuto}
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			p.size = info.Size()
		}
	}
	return p
}

// headBytes is how much of an input the probe keeps to tell what it is.
const headBytes = 4096

func (p *inputProbe) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if len(p.head) < headBytes {
		p.head = append(p.head, b[:min(n, headBytes-len(p.head))]...)
	}
	p.read.Add(int64(n))
	return n, err
}

// A probedDecoder counts an input's records for its inputProbe.
// It also ends the input early once stopped is set (Files.Close).
type probedDecoder struct {
	dec     envelope.RecordDecoder
	p       *inputProbe
	stopped *atomic.Bool
}

// errStopped ends an input whose reading was stopped; nobody sees it.
var errStopped = errors.New("input: reading stopped")

func (d *probedDecoder) Next() (envelope.Record, error) {
	rec, err := d.NextRecord()
	if err != nil {
		return envelope.Record{}, err
	}
	return *rec, nil
}

// NextRecord is Next in place (envelope.RecordDecoder), as the parser reads.
func (d *probedDecoder) NextRecord() (*envelope.Record, error) {
	if d.stopped.Load() {
		return nil, errStopped
	}
	rec, err := d.dec.NextRecord()
	if err == nil {
		d.p.records++
		if rec.Platform || platform.Begins(rec.Text) {
			d.p.platform++
		}
	}
	return rec, err
}

// why says why an input held no cold start, and what to do about it.
func (p *inputProbe) why(name string) string {
	gzipped := bytes.HasPrefix(p.head, []byte{0x1f, 0x8b})
	switch {
	case p.read.Load() == 0:
		return "it is empty"
	case !gzipped && isBinary(p.head):
		return "it is binary data, not a log: give a log file (aws logs tail output, an export, a saved stderr)"
	case bytes.Contains(p.head, []byte(`"cumulative_p50_us"`)) || bytes.Contains(p.head, []byte(`"self_p50_us"`)):
		return "these are the results of coldprof insights-query (statistics, not log lines): read them with coldprof insights-query --read " + name
	case bytes.Contains(p.head, []byte(`"schemaVersion"`)) && bytes.Contains(p.head, []byte(`"coldStarts"`)):
		return "this is a coldprof JSON report, not a log"
	case p.forced && p.records == 0:
		return fmt.Sprintf("nothing in it has the shape --input-format %s names: check the flag, or leave it out to have each file's shape recognised", p.format)
	case p.platform == 0 && (p.records == 0 && isJSONFormat(p.format) || !gzipped && looksJSON(p.head)):
		return "it is JSON but holds no log events coldprof reads: give aws logs filter-log-events or get-log-events output, sam logs --output json, or a Logs Insights export of @message, @timestamp and @logStream"
	case p.platform > 0:
		return "it has Lambda's START/REPORT lines but no load-time lines, so coldprof-wrapper did not run: check that the function has AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper and the coldprof layer attached, and that its log level lets stderr lines through (with the JSON log format, a log level of WARN or above drops them)"
	default:
		return "it has neither Lambda's START/REPORT lines nor load-time lines: is it a Lambda function's log?"
	}
}

// isBinary reports whether head looks like binary data: a NUL byte, or
// bytes that are not UTF-8 (a cut at the end of head is allowed).
func isBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 {
			return len(head) >= utf8.UTFMax // a rune cut by headBytes is not binary
		}
		head = head[n:]
	}
	return false
}

// looksJSON reports whether head starts (after white space) as a JSON
// object or array does.
func looksJSON(head []byte) bool {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(head) > 0 && (head[0] == '{' || head[0] == '[')
}

func isJSONFormat(f envelope.Format) bool {
	switch f {
	case envelope.FormatSAMJSON, envelope.FormatFilterLogEvents, envelope.FormatGetLogEvents, envelope.FormatInsightsJSON:
		return true
	}
	return false
}
