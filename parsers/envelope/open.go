package envelope

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A Format names an input shape; the names are the values of coldprof's
// --input-format flag.
type Format string

// The input shapes Open understands (lambda-runtime.md §4 and §5).
const (
	FormatAuto            Format = "auto"              // sniff the shape from the first bytes
	FormatRaw             Format = "raw"               // plain stderr text, one line per record
	FormatTail            Format = "tail"              // aws logs tail (--format detailed, the default)
	FormatTailShort       Format = "tail-short"        // aws logs tail --format short (no stream names)
	FormatTailJSON        Format = "tail-json"         // aws logs tail --format json
	FormatSAM             Format = "sam"               // sam logs
	FormatSAMJSON         Format = "sam-json"          // sam logs --output json
	FormatFilterLogEvents Format = "filter-log-events" // aws logs filter-log-events (pages may be concatenated)
	FormatGetLogEvents    Format = "get-log-events"    // aws logs get-log-events
	FormatInsightsJSON    Format = "insights-json"     // aws logs get-query-results
	FormatInsightsCSV     Format = "insights-csv"      // Logs Insights CSV export
	FormatLambdaJSON      Format = "lambda-json"       // Lambda's JSON log format, as lines
)

// Formats lists every Format in the order help texts show them.
func Formats() []Format {
	return []Format{FormatAuto, FormatRaw, FormatTail, FormatTailShort, FormatTailJSON, FormatSAM, FormatSAMJSON,
		FormatFilterLogEvents, FormatGetLogEvents, FormatInsightsJSON, FormatInsightsCSV, FormatLambdaJSON}
}

// ParseFormat checks a --input-format value; "" means FormatAuto.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatAuto, nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown input format %q (one of %s)", s, strings.Join(names, ", "))
}

// An Option changes how Open reads an input.
type Option func(*options)

type options struct {
	warn        func(where, msg string)
	detected    func(Format)
	prefetch    bool
	prefetchFor func(Format) bool
}

// WithWarn sends input-quality warnings to warn: where is "source:line",
// msg says what is wrong and what it means for the report. Without it,
// warnings are dropped.
func WithWarn(warn func(where, msg string)) Option {
	return func(o *options) { o.warn = warn }
}

// WithDetected tells detected which format was used (the sniffed one for
// FormatAuto), e.g. for a --verbose line.
func WithDetected(detected func(Format)) Option {
	return func(o *options) { o.detected = detected }
}

// sniffBytes is how much of an input Open looks at to recognise its shape.
const sniffBytes = 64 << 10

// Open returns a Decoder for one input. source names the input in
// warnings ("-" or "stdin" for standard input). A gzip-compressed input is
// recognised by its magic bytes and decompressed first. With FormatAuto the
// shape is sniffed from the first lines and plain text is the fallback, so
// Open only fails on a read error, a broken gzip header or an unknown format.
//
// Every decoder Open returns also rewrites Lambda JSON-log-format platform
// events as their TEXT lines (Record.Platform), rejoins events CloudWatch
// split at its size limit, and warns about events out of time order in a
// stream.
func Open(r io.Reader, source string, format Format, opts ...Option) (Decoder, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	br, compressed, err := decompress(r, source)
	if err != nil {
		return nil, err
	}
	if first, _ := br.Peek(1); len(first) == 1 && first[0] == 0x1b {
		br = bufio.NewReaderSize(&ansiStripper{r: br}, 256<<10)
	}
	if format == FormatAuto {
		head, err := br.Peek(sniffBytes)
		// A gzip error comes back again on the next read (gzip.Reader keeps
		// it), so the records before a truncation are still decoded.
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull && !compressed {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		format = Sniff(head)
	}
	if o.detected != nil {
		o.detected(format)
	}
	var pre *prefetcher
	if o.prefetch || o.prefetchFor != nil && o.prefetchFor(format) {
		// The decoders warn on the prefetch goroutine; the prefetcher
		// hands the warnings over in order on the caller's.
		pre = newPrefetcher(o.warn)
		o.warn = pre.producerWarn
	}
	var dec Decoder
	switch format {
	case FormatTail, FormatTailJSON:
		dec = newEventLines(br, shapeTail, source, o.warn)
	case FormatTailShort:
		dec = newEventLines(br, shapeTailShort, source, o.warn)
		if o.warn != nil {
			o.warn(source, "aws logs tail --format short carries no log stream names: cold starts of different execution environments cannot be told apart where they interleave; use --format detailed")
		}
	case FormatSAM:
		dec = newEventLines(br, shapeSAM, source, o.warn)
	case FormatSAMJSON, FormatFilterLogEvents, FormatGetLogEvents, FormatInsightsJSON:
		dec = newCWJSON(br, source, o.warn)
	case FormatInsightsCSV:
		dec = newInsightsCSV(br, source, o.warn)
	default: // FormatRaw, FormatLambdaJSON
		dec = &rawWarn{RawText: NewRawText(br), lineWarner: lineWarner{source, o.warn}}
	}
	checked := newChecker(dec, source, o.warn)
	if pre != nil {
		go pre.run(checked)
		return pre, nil
	}
	return checked, nil
}

// Decompress returns r's content: r itself, or, when r starts with gzip's
// magic bytes, what it decompresses to, within the bounds below. Open does
// the same; Decompress is for inputs that are not logs (query results).
func Decompress(r io.Reader, source string) (io.Reader, error) {
	br, _, err := decompress(r, source)
	return br, err
}

func decompress(r io.Reader, source string) (br *bufio.Reader, compressed bool, err error) {
	stored := &countingReader{r: r}
	br = bufio.NewReaderSize(stored, 256<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, false, fmt.Errorf("%s: %w", source, err)
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, false, nil
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, true, fmt.Errorf("%s: gzip: %w", source, err)
	}
	return bufio.NewReaderSize(&gzipErrors{r: gz, source: source, stored: stored}, 256<<10), true, nil
}

// Decompression is bounded, so a small file cannot keep coldprof busy for
// minutes (4 MB of gzip holds 4 GiB of newlines): past gzipRatioFreeBytes
// of output, a file that decompresses to more than maxGzipRatio times its
// size is refused, and any past maxGzipBytes. Real logs compress about
// 10:1 to 50:1. Variables so that tests can lower them.
var (
	maxGzipBytes       int64 = 64 << 30
	maxGzipRatio       int64 = 200
	gzipRatioFreeBytes int64 = 512 << 20
)

// ErrDecompressionBomb is wrapped by the error for a gzip input past the
// bounds above.
var ErrDecompressionBomb = errors.New("refusing to decompress further (a decompression bomb?)")

// gzipErrors names the input in decompression errors, which would
// otherwise read like a bare "unexpected EOF", and bounds the output.
type gzipErrors struct {
	r      io.Reader
	source string
	stored *countingReader // the compressed bytes read
	out    int64
	bound  error // sticky: once past a bound, every later Read fails
}

func (g *gzipErrors) Read(p []byte) (int, error) {
	if g.bound != nil {
		return 0, g.bound
	}
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: gzip: %w", g.source, err)
	}
	g.out += int64(n)
	switch {
	case g.out > maxGzipBytes:
		g.bound = fmt.Errorf("%s: gzip: it decompresses to more than %d bytes: %w", g.source, maxGzipBytes, ErrDecompressionBomb)
	case g.out > gzipRatioFreeBytes && g.out > maxGzipRatio*g.stored.n:
		g.bound = fmt.Errorf("%s: gzip: %d bytes decompress to more than %d, over %d times their size: %w; gunzip it yourself if it is a real log",
			g.source, g.stored.n, g.out, maxGzipRatio, ErrDecompressionBomb)
	}
	if g.bound != nil {
		return 0, g.bound // the bytes past the bound are not passed on
	}
	return n, err
}

// A countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Sniff recognises an input's shape from its first bytes (already
// decompressed). It returns FormatRaw when nothing more specific fits.
func Sniff(head []byte) Format {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return FormatRaw
	}
	lines := firstLines(trimmed, 4)
	first := lines[0]
	switch trimmed[0] {
	case '{':
		return sniffObject(trimmed, first)
	case '[':
		rest := bytes.TrimLeft(trimmed[1:], " \t\r\n")
		if len(rest) > 0 && rest[0] == '[' {
			return FormatInsightsJSON
		}
		if len(rest) > 0 && rest[0] == '{' {
			return FormatFilterLogEvents
		}
	}
	if bytes.Contains(first, []byte("@message")) && bytes.ContainsAny(first, ",") {
		return FormatInsightsCSV
	}
	if _, n, frac, zone, ok := parseISO(first); ok && n < len(first)+1 {
		switch {
		case zone && (n == len(first) || first[n] == ' '):
			if !frac {
				return FormatTailJSON
			}
			if len(lines) > 1 && isStreamOnly(first, n) && len(lines[1]) > 0 && (lines[1][0] == '{' || lines[1][0] == '[') {
				return FormatTailJSON
			}
			return FormatTail
		case !zone && !frac && first[10] == 'T' && (n == len(first) || first[n] == ' '):
			return FormatTailShort
		}
	}
	if sp := bytes.IndexByte(first, ' '); sp > 0 && looksLikeStream(first[:sp]) {
		if _, _, _, _, ok := parseISO(first[sp+1:]); ok {
			return FormatSAM
		}
	}
	return FormatRaw
}

// isStreamOnly reports whether a tail line has a stream but no message,
// as `--format json` prints before a pretty-printed JSON message.
func isStreamOnly(line []byte, n int) bool {
	rest := bytes.TrimRight(line[n:], " ")
	return len(rest) > 1 && bytes.IndexByte(rest[1:], ' ') < 0
}

// looksLikeStream matches Lambda log stream names:
// "2026/11/22/[$LATEST]0123abcd…", "2026/11/22/[56]…",
// "2026/11/22/python3.12[$LATEST]…".
func looksLikeStream(b []byte) bool {
	if len(b) < 12 || b[4] != '/' || b[7] != '/' || b[10] != '/' {
		return false
	}
	_, ok1 := digits(b[0:4])
	_, ok2 := digits(b[5:7])
	_, ok3 := digits(b[8:10])
	return ok1 && ok2 && ok3 && bytes.IndexByte(b[11:], '[') >= 0 && bytes.IndexByte(b[11:], ']') >= 0
}

// sniffObject tells the JSON shapes that start with '{' apart by their
// first keys.
func sniffObject(trimmed, first []byte) Format {
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return FormatRaw
	}
	tok, err := dec.Token()
	key, _ := tok.(string)
	if err != nil {
		return FormatRaw
	}
	switch key {
	case "results", "status", "statistics":
		return FormatInsightsJSON
	case "events", "nextToken", "NextToken", "searchedLogStreams", "nextForwardToken", "nextBackwardToken":
		if bytes.Contains(trimmed, []byte(`"nextForwardToken"`)) || !bytes.Contains(trimmed, []byte(`"logStreamName"`)) && bytes.Contains(trimmed, []byte(`"ingestionTime"`)) {
			return FormatGetLogEvents
		}
		return FormatFilterLogEvents
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(first, &fields) == nil {
		if _, ok := fields["logStreamName"]; ok {
			return FormatSAMJSON
		}
		if _, ok := fields["ingestionTime"]; ok {
			return FormatSAMJSON
		}
	}
	// A platform event or an application log record of Lambda's JSON log
	// format, or any other JSON-per-line text: read it line by line.
	return FormatLambdaJSON
}

func firstLines(b []byte, n int) [][]byte {
	var lines [][]byte
	for len(lines) < n && len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, trimEOL(b))
			break
		}
		lines = append(lines, trimEOL(b[:i]))
		b = b[i+1:]
	}
	return lines
}

// rawWarn reports the lines RawText cuts at MaxLineBytes.
type rawWarn struct {
	*RawText
	lineWarner
	cut int
}

func (r *rawWarn) Next() (Record, error) {
	rec, err := r.RawText.Next()
	if r.Cut > r.cut {
		r.cut = r.Cut
		if err == nil {
			r.warnCut(rec.Line)
		}
	}
	return rec, err
}
