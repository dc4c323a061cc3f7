package envelope

import (
	"bytes"
	"encoding/json"
	"io"
)

// A lineShape says how an event's first line looks in a text export.
type lineShape int

const (
	// shapeTail is `aws logs tail` detailed and json output:
	// "<iso time with offset> <stream> <message>".
	shapeTail lineShape = iota
	// shapeTailShort is `aws logs tail --format short`: "<iso time> <message>".
	shapeTailShort
	// shapeSAM is `sam logs`: "<stream> <iso time> <message>".
	shapeSAM
)

// eventLines decodes text exports in which each event starts with a prefix
// line (time and stream) and a multi-line event continues on lines without
// one. An event is complete only when the next prefix line is seen, so the
// decoder reads one line ahead and keeps it in the other of two buffers.
type eventLines struct {
	lines lineReader
	shape lineShape
	lineWarner
	names interner
	clock clock

	cur, next  []byte // cur: the event being returned; next: the line read ahead
	nextLine   int
	started    bool
	have       bool   // next holds a line not yet returned
	nextOK     bool   // that line starts an event
	nextPrefix prefix // where its parts are
	stray      int    // lines that belong to no event
	compact    bytes.Buffer

	// nextCont marks d.next as the rest of an event cut at maxEventBytes:
	// it continues contStream at contTimeUs and has no prefix of its own.
	nextCont   bool
	contStream string
	contTimeUs int64
	longWarned bool

	rec Record // what NextRecord hands out
}

// maxEventBytes bounds one multi-line event, so that a prefix line followed
// by endless lines without one (raw text that happened to start like an
// export) cannot grow memory without end. A longer event is handed out in
// pieces of at most this size, each cut at a line end, so no line is lost.
const maxEventBytes = maxJoined

func newEventLines(r io.Reader, shape lineShape, source string, warn func(string, string)) *eventLines {
	return &eventLines{lines: newLineReader(r), shape: shape, lineWarner: lineWarner{source, warn}}
}

// prefix is the parsed start of an event line.
type prefix struct {
	streamStart, streamEnd int
	timeUs                 int64
	msgStart               int
}

// parsePrefix reports whether line starts an event, and where its parts are.
func (d *eventLines) parsePrefix(line []byte) (prefix, bool) {
	switch d.shape {
	case shapeTail:
		us, n, _, zone, ok := d.clock.parse(line)
		if !ok || !zone || n >= len(line) || line[n] != ' ' {
			return prefix{}, false
		}
		rest := line[n+1:]
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			sp = len(rest)
		}
		if sp == 0 {
			return prefix{}, false
		}
		return prefix{streamStart: n + 1, streamEnd: n + 1 + sp, timeUs: us, msgStart: min(n+1+sp+1, len(line))}, true
	case shapeTailShort:
		us, n, frac, zone, ok := parseISO(line)
		if !ok || frac || zone || line[10] != 'T' || (n < len(line) && line[n] != ' ') {
			return prefix{}, false
		}
		return prefix{timeUs: us, msgStart: min(n+1, len(line))}, true
	default: // shapeSAM
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			return prefix{}, false
		}
		us, n, _, _, ok := parseISO(line[sp+1:])
		if !ok || line[sp+11] != 'T' {
			return prefix{}, false
		}
		end := sp + 1 + n
		if end < len(line) && line[end] != ' ' {
			return prefix{}, false
		}
		return prefix{streamEnd: sp, timeUs: us, msgStart: min(end+1, len(line))}, true
	}
}

// Next returns the next event.
func (d *eventLines) Next() (Record, error) {
	rec, err := d.NextRecord()
	if err != nil {
		return Record{}, err
	}
	return *rec, nil
}

// NextRecord returns the next event in place (see RecordDecoder).
func (d *eventLines) NextRecord() (*Record, error) {
	if !d.started {
		d.started = true
		if err := d.readAhead(); err != nil {
			return nil, err
		}
	}
	if !d.have {
		return nil, io.EOF
	}
	d.cur, d.next = d.next, d.cur
	rec := &d.rec
	*rec = Record{Line: d.nextLine}
	if !d.nextOK {
		// A line before any event: keep it as a record without stream so
		// nothing is lost, and say once that the shape was not recognised.
		d.stray++
		if d.stray == 1 {
			d.warnf(d.nextLine, "line does not start like %s output; read as plain text", d.shape)
		}
		rec.Text = d.cur
		if err := d.readAhead(); err != nil && err != io.EOF {
			return nil, err
		}
		return rec, nil
	}
	// The current event starts with a prefix line (or continues one cut at
	// maxEventBytes); continuation lines are appended to it until the next
	// prefix line, which is kept for later.
	p := d.nextPrefix
	if d.nextCont {
		d.nextCont = false
		p = prefix{}
		rec.TimeUs, rec.Stream = d.contTimeUs, d.contStream
	} else {
		rec.TimeUs, rec.Stream = p.timeUs, d.names.intern(d.cur[p.streamStart:p.streamEnd])
	}
	multi := false
	for {
		line, err := d.readLine()
		if err == io.EOF {
			d.have = false
			break
		}
		if err != nil {
			return nil, err
		}
		if p, ok := d.parsePrefix(line); ok {
			d.nextPrefix = p
			d.next = append(d.next[:0], line...)
			d.nextLine, d.nextOK = d.lines.line, true
			break
		}
		if len(d.cur)+1+len(line) > maxEventBytes {
			// Hand out what there is; the line starts the next piece.
			if !d.longWarned {
				d.longWarned = true
				d.warnf(d.lines.line, "event longer than %d bytes (lines without a %s prefix since line %d?): handed out in pieces from here", maxEventBytes, d.shape, rec.Line)
			}
			d.next = append(d.next[:0], line...)
			d.nextLine, d.nextOK, d.nextPrefix = d.lines.line, true, prefix{}
			d.nextCont, d.contStream, d.contTimeUs = true, rec.Stream, rec.TimeUs
			break
		}
		d.cur = append(d.cur, '\n')
		d.cur = append(d.cur, line...)
		multi = true
	}
	rec.Text = d.cur[p.msgStart:]
	if multi {
		rec.Text = d.compactJSON(rec.Text)
	} else {
		rec.OneLine = true
	}
	return rec, nil
}

// readLine reads one line and warns when it had to be cut.
func (d *eventLines) readLine() ([]byte, error) {
	cut := d.lines.cut
	line, err := d.lines.next()
	if d.lines.cut > cut {
		d.warnCut(d.lines.line)
	}
	return line, err
}

// readAhead reads the next line into d.next; at the end of input it
// returns io.EOF.
func (d *eventLines) readAhead() error {
	line, err := d.readLine()
	if err != nil {
		d.have = false
		return err
	}
	d.next = append(d.next[:0], line...)
	d.nextLine, d.have = d.lines.line, true
	d.nextPrefix, d.nextOK = d.parsePrefix(line)
	return nil
}

// compactJSON undoes the pretty-printing of JSON messages: `aws logs tail
// --format json` prints them on the lines after the prefix with indent 4,
// and `sam logs` re-indents messages starting with '{' with indent 2. A
// multi-line event that is valid JSON is returned compacted; anything else
// unchanged.
func (d *eventLines) compactJSON(text []byte) []byte {
	trimmed := bytes.TrimLeft(text, " \n")
	// tail --format json puts any message that parses as JSON (a number,
	// too) on the next line; sam only re-indents objects.
	startsJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[' || text[0] == '\n')
	if !startsJSON || !json.Valid(trimmed) {
		return text
	}
	d.compact.Reset()
	if json.Compact(&d.compact, trimmed) != nil {
		return text
	}
	return d.compact.Bytes()
}

func (s lineShape) String() string {
	switch s {
	case shapeTail:
		return "aws logs tail"
	case shapeTailShort:
		return "aws logs tail --format short"
	default:
		return "sam logs"
	}
}

// An interner turns stream names into strings without allocating for each
// record: exports repeat a few thousand names millions of times.
type interner struct {
	// recent are the last few distinct names, tried before the map: exports
	// of several streams alternate between a few names (aws logs tail
	// interleaves the environments that start together), and comparing
	// them is cheaper than hashing one.
	recent [4]string
	next   int // the slot of recent to replace next
	names  map[string]string
	bytes  int // name bytes held in names
}

// The interner starts afresh past either bound: a million distinct names of
// a few hundred bytes (garbage, or a hostile file) must not all be kept.
const (
	maxInternedNames = 1 << 16
	maxInternedBytes = 4 << 20
)

func (in *interner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// Names of one log group differ at their end (the environment's ID),
	// so the last byte rejects most of the others before a full compare.
	last := b[len(b)-1]
	for _, s := range in.recent {
		if len(s) == len(b) && s[len(s)-1] == last && string(b) == s {
			return s
		}
	}
	if s, ok := in.names[string(b)]; ok {
		in.remember(s)
		return s
	}
	if in.names == nil || len(in.names) >= maxInternedNames || in.bytes+len(b) > maxInternedBytes {
		in.names, in.bytes = make(map[string]string), 0
	}
	s := string(b)
	in.names[s] = s
	in.bytes += len(s)
	in.remember(s)
	return s
}

func (in *interner) remember(s string) {
	in.recent[in.next] = s
	in.next = (in.next + 1) % len(in.recent)
}
