package envelope

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
)

// insightsWindow bounds how many Logs Insights rows are held to put them in
// time order. GetQueryResults returns at most 10,000 rows per query, so a
// whole result set fits; a longer input is ordered window by window.
const insightsWindow = 10000

// insightsWindowBytes bounds the same window by message bytes, so memory
// stays bounded even with rows of 256 KB messages.
const insightsWindowBytes = 32 << 20

// windowFull reports whether a window of rows has reached either bound.
func windowFull(rows []insightsRow, bytes int) bool {
	return len(rows) >= insightsWindow || bytes >= insightsWindowBytes
}

// cwJSON decodes the JSON the AWS tools print: filter-log-events and
// get-log-events pages ({"events":[…],"nextToken":…}, several pages one after
// another), Logs Insights GetQueryResults ({"results":[[{field,value}…]…]}),
// `sam logs --output json` (one event object per line), and bare arrays of
// events or rows. It walks tokens with a json.Decoder and decodes one event
// at a time, so a page of any size is never held whole.
type cwJSON struct {
	lineWarner
	in    *pushback // the input; resync puts the decoder's read-ahead back here
	lc    *lineCounter
	dec   *json.Decoder
	names interner
	rec   Record // what NextRecord hands out

	state          jsonState
	after          jsonState // state to return to after the current array
	obj            objEvent  // event fields seen directly in a top-level object
	objLine        int
	ev             cwEvent
	row            []insightsField
	rows           []insightsRow
	rowPos         int // next row to hand out
	ready          int // rows[:ready] are in time order and can be handed out
	rowBytes       int
	skip           json.RawMessage
	text           []byte
	noStreamWarned bool

	// The fast path for "events" arrays (fastpage.go).
	fast            *fastArray // non-nil while it reads the array
	fastScanned     int64      // bytes the fast path's brace scans went through, for tests that count work
	eventsFirst     bool       // the decoder is just after an events array's '['
	fastCooldown    int        // elements the decoder reads before the fast path may resume
	skipPlaceholder bool       // the next element is fallbackNext's {}: drop it
	noFastPath      bool       // tests: json.Decoder only, the reference
}

type jsonState int

const (
	stTop      jsonState = iota // between top-level values
	stObject                    // inside a top-level object, reading keys
	stEvents                    // inside an array of events
	stResults                   // inside an array of Insights rows
	stTopArray                  // inside a top-level array of unknown elements
)

// cwEvent is one event of filter-log-events, get-log-events or sam logs
// --output json, decoded into buffers reused from event to event
// (fastevent.go).
type cwEvent struct {
	stream      []byte
	timestampMs int64
	message     []byte
	hasMessage  bool
	scratch     []byte // values of other keys, read and dropped
}

// objEvent collects event fields found as keys of a top-level object
// (sam logs --output json prints each event as its own object).
type objEvent struct {
	seen    bool
	stream  string
	timeMs  int64
	message *string
}

type insightsField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

type insightsRow struct {
	line   int
	timeUs int64
	stream string
	text   string
}

// newInsightsRow makes a row of a Logs Insights result, JSON or CSV, from
// its fields' values. A @timestamp that is there but unreadable is warned
// about and read as 0.
func (w *lineWarner) newInsightsRow(names *interner, line int, message, stream, timestamp string, hasTime bool) insightsRow {
	row := insightsRow{line: line, text: string(trimNewline([]byte(message))), stream: names.intern([]byte(stream))}
	if hasTime {
		if us, _, _, _, ok := parseISO([]byte(timestamp)); ok {
			row.timeUs = us
		} else {
			w.warnf(line, "unreadable @timestamp %q", timestamp)
		}
	}
	return row
}

// record hands the row out as a Record whose Text is copied into buf.
func (row *insightsRow) record(buf *[]byte) Record {
	*buf = append((*buf)[:0], row.text...)
	return Record{Stream: row.stream, Line: row.line, TimeUs: row.timeUs, Text: *buf}
}

func newCWJSON(r io.Reader, source string, warn func(string, string)) *cwJSON {
	d := &cwJSON{lineWarner: lineWarner{source, warn}, in: &pushback{src: bufio.NewReader(r)}}
	d.restart(1)
	return d
}

// restart starts a new json.Decoder at line on what is left of the input.
func (d *cwJSON) restart(line int) {
	d.lc = &lineCounter{src: d.in, line: line}
	d.dec = json.NewDecoder(d.lc)
	d.state = stTop
}

// NextRecord returns the next event in place (see RecordDecoder).
func (d *cwJSON) NextRecord() (*Record, error) {
	rec, err := d.Next()
	d.rec = rec
	return &d.rec, err
}

// Next returns the next event.
func (d *cwJSON) Next() (Record, error) {
	for {
		if d.rowPos < d.ready {
			d.rowPos++
			return d.rows[d.rowPos-1].record(&d.text), nil
		}
		if d.ready > 0 {
			// The window has been handed out: start the next one, and
			// let go of the old rows' messages (up to 32 MB).
			clear(d.rows)
			d.rows, d.rowPos, d.ready = d.rows[:0], 0, 0
		}
		rec, ok, err := d.step()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Record{}, io.EOF
			}
			if d.isIOError(err) {
				return Record{}, err
			}
			if err := d.resync(err); err != nil {
				return Record{}, err
			}
			continue
		}
		if ok {
			return rec, nil
		}
	}
}

// step advances the walk by one token or one value and returns a record
// when an event was completed.
func (d *cwJSON) step() (Record, bool, error) {
	switch d.state {
	case stTop:
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		tok, err := d.dec.Token()
		if err != nil {
			return Record{}, false, err
		}
		switch tok {
		case json.Delim('{'):
			d.state, d.obj, d.objLine = stObject, objEvent{}, line
		case json.Delim('['):
			d.state = stTopArray
		default:
			d.warnf(line, "unexpected JSON value %v at top level; skipped", tok)
		}
		return Record{}, false, nil
	case stObject:
		// Count lines up to here even for keys not read, so that the
		// lineCounter can drop what the decoder has consumed.
		d.lc.lineAt(d.dec.InputOffset())
		if !d.dec.More() {
			if _, err := d.dec.Token(); err != nil {
				return Record{}, false, err
			}
			d.state = stTop
			if d.obj.seen {
				return d.objRecord()
			}
			return Record{}, false, nil
		}
		tok, err := d.dec.Token()
		if err != nil {
			return Record{}, false, err
		}
		key, _ := tok.(string)
		return Record{}, false, d.objectValue(key)
	case stEvents:
		if d.fast == nil && d.fastCooldown == 0 && !d.noFastPath {
			d.detach()
		}
		if d.fast != nil {
			return d.fastStep()
		}
		if !d.dec.More() {
			_, err := d.dec.Token()
			d.state, d.fastCooldown = d.after, 0
			return Record{}, false, err
		}
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		d.eventsFirst = false
		if d.skipPlaceholder {
			d.skipPlaceholder = false
			return Record{}, false, d.dec.Decode(&d.ev)
		}
		d.fastCooldown = max(d.fastCooldown-1, 0)
		if err := d.dec.Decode(&d.ev); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				d.warnf(line, "event with a bad %s field (%s); skipped", typeErr.Field, typeErr.Value)
				return Record{}, false, nil
			}
			return Record{}, false, err
		}
		return d.evRecord(line)
	case stResults:
		return Record{}, false, d.fillRows()
	default: // stTopArray
		if !d.dec.More() {
			_, err := d.dec.Token()
			d.state = stTop
			d.orderRows()
			return Record{}, false, err
		}
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		if err := d.dec.Decode(&d.skip); err != nil {
			return Record{}, false, err
		}
		raw := bytes.TrimSpace(d.skip)
		if len(raw) > 0 && raw[0] == '[' {
			d.row = d.row[:0]
			if err := json.Unmarshal(raw, &d.row); err != nil {
				d.warnf(line, "Logs Insights row is not a list of {field, value}: %v; skipped", err)
				return Record{}, false, nil
			}
			d.addRow(line)
			if windowFull(d.rows, d.rowBytes) {
				d.orderRows()
			}
			return Record{}, false, nil
		}
		if err := json.Unmarshal(raw, &d.ev); err != nil {
			d.warnf(line, "array element is not a log event: %v; skipped", err)
			return Record{}, false, nil
		}
		return d.evRecord(line)
	}
}

// objectValue handles one key of a top-level object.
func (d *cwJSON) objectValue(key string) error {
	switch key {
	case "events", "results":
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		if tok != json.Delim('[') {
			d.warnf(line, "%q is not a list; skipped", key)
			if delim, ok := tok.(json.Delim); ok && delim == '{' {
				return d.skipRest(1)
			}
			return nil
		}
		d.after = stObject
		if key == "events" {
			d.state, d.eventsFirst = stEvents, true
		} else {
			d.state = stResults
		}
		return nil
	case "logStreamName", "timestamp", "message":
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		if err := d.dec.Decode(&d.skip); err != nil {
			return err
		}
		d.obj.seen = true
		var err error
		switch key {
		case "logStreamName":
			err = json.Unmarshal(d.skip, &d.obj.stream)
		case "timestamp":
			d.obj.timeMs, err = strconv.ParseInt(string(d.skip), 10, 64)
		default:
			err = json.Unmarshal(d.skip, &d.obj.message)
		}
		if err != nil {
			d.warnf(line, "bad %q value %.40s", key, d.skip)
		}
		return nil
	default:
		// nextToken, NextToken, nextForwardToken, searchedLogStreams,
		// statistics, status, ingestionTime, eventId: not needed.
		return d.dec.Decode(&d.skip)
	}
}

// skipRest skips tokens until depth open delimiters have been closed.
func (d *cwJSON) skipRest(depth int) error {
	for depth > 0 {
		d.lc.lineAt(d.dec.InputOffset())
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func (d *cwJSON) objRecord() (Record, bool, error) {
	return d.eventRecord(d.objLine, d.obj.stream, d.obj.timeMs, d.obj.message)
}

// evRecord turns the decoded d.ev into a record.
func (d *cwJSON) evRecord(line int) (Record, bool, error) {
	if !d.ev.hasMessage {
		d.warnf(line, "log event without a message; skipped")
		return Record{}, false, nil
	}
	return Record{Stream: d.names.intern(d.ev.stream), Line: line, TimeUs: d.ev.timestampMs * 1000, Text: trimNewline(d.ev.message)}, true, nil
}

// eventRecord turns one event into a record; CloudWatch messages end with
// the newline the program wrote, which Record.Text leaves out.
func (d *cwJSON) eventRecord(line int, stream string, timeMs int64, message *string) (Record, bool, error) {
	if message == nil {
		d.warnf(line, "log event without a message; skipped")
		return Record{}, false, nil
	}
	d.text = append(d.text[:0], *message...)
	d.text = trimNewline(d.text)
	return Record{Stream: d.names.intern([]byte(stream)), Line: line, TimeUs: timeMs * 1000, Text: d.text}, true, nil
}

// fillRows reads Insights rows into the window until it is full or the
// results array ends, then puts the window in time order.
func (d *cwJSON) fillRows() error {
	for d.rowBytes = 0; !windowFull(d.rows, d.rowBytes); {
		if !d.dec.More() {
			if _, err := d.dec.Token(); err != nil {
				return err
			}
			d.state = d.after
			break
		}
		line := d.lc.lineAfterSpace(d.dec.InputOffset())
		d.row = d.row[:0]
		if err := d.dec.Decode(&d.row); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				d.warnf(line, "Logs Insights row is not a list of {field, value}; skipped")
				continue
			}
			return err
		}
		d.addRow(line)
	}
	d.orderRows()
	return nil
}

// addRow keeps one Insights row. Rows without @message carry nothing to
// read (a stats query's output, say) and are skipped.
func (d *cwJSON) addRow(line int) {
	var message, stream, timestamp string
	hasMessage, hasTime := false, false
	for _, f := range d.row {
		switch f.Field {
		case "@message":
			message, hasMessage = f.Value, true
		case "@logStream":
			stream = f.Value
		case "@timestamp":
			timestamp, hasTime = f.Value, true
		}
	}
	row := d.newInsightsRow(&d.names, line, message, stream, timestamp, hasTime)
	if !hasMessage {
		d.warnf(line, "Logs Insights row without @message; skipped (include @message, @timestamp and @logStream in the query's fields)")
		return
	}
	if row.stream == "" && !d.noStreamWarned {
		d.noStreamWarned = true
		d.warnf(line, "Logs Insights rows without @logStream: events of different execution environments cannot be told apart (include @logStream in the query's fields)")
	}
	d.rows = append(d.rows, row)
	d.rowBytes += len(row.text) + len(row.stream)
}

// orderRows puts the held rows in time order. The console's default query
// sorts by @timestamp descending, so a window in descending order is
// reversed (keeping events of the same millisecond in their stored order,
// as far as that order is known); any other order is sorted stably.
func (d *cwJSON) orderRows() {
	orderRows(d.rows[d.ready:])
	d.ready, d.rowBytes = len(d.rows), 0
}

func orderRows(rows []insightsRow) {
	ascending, descending := true, true
	for i := 1; i < len(rows); i++ {
		if rows[i].timeUs < rows[i-1].timeUs {
			ascending = false
		}
		if rows[i].timeUs > rows[i-1].timeUs {
			descending = false
		}
	}
	switch {
	case ascending:
	case descending:
		slices.Reverse(rows)
	default:
		slices.SortStableFunc(rows, func(a, b insightsRow) int {
			switch {
			case a.timeUs < b.timeUs:
				return -1
			case a.timeUs > b.timeUs:
				return 1
			}
			return 0
		})
	}
}

// resync recovers from malformed JSON: it names the line, skips to the next
// line that starts a top-level value ('{' or '[' in column 1: the next page
// or the next `sam logs` event) and goes on from there.
func (d *cwJSON) resync(cause error) error {
	start := d.dec.InputOffset()
	startLine := d.lc.lineAt(start)
	// Find the error again in what the decoder read from start on: the
	// Decoder's SyntaxError.Offset leaves out the bytes Token consumed.
	// Skipping only to the line after start would make a value that fails
	// far from its start (nested past encoding/json's depth limit, 10,000
	// levels, one per line) be scanned again from every line: quadratic.
	ahead := d.lc.pending[d.lc.start:]
	var syntax *json.SyntaxError
	if errors.As(json.Unmarshal(ahead, &struct{}{}), &syntax) {
		ahead = ahead[:min(len(ahead), int(max(syntax.Offset-1, 0)))]
	}
	line := startLine + bytes.Count(ahead, []byte{'\n'})
	msg := cause.Error()
	if errors.Is(cause, io.ErrUnexpectedEOF) {
		// Nothing follows to recover: say where the cut value starts.
		d.warnf(d.lc.lineAfterSpace(start), "malformed JSON: input ends inside a JSON value (truncated?); rest of input skipped")
		d.in = &pushback{src: bufio.NewReader(bytes.NewReader(nil))}
		d.restart(line)
		return nil
	}
	// The decoder's read-ahead goes back in front of the input, which is
	// never wrapped again: a chain of readers, one per resync, made every
	// byte pass through all of them (quadratic in malformed lines).
	buffered, _ := io.ReadAll(d.dec.Buffered())
	d.in.unread(buffered)
	lineNo := startLine
	for {
		b, err := d.in.peekByte()
		if err != nil {
			d.warnf(line, "malformed JSON: %s; rest of input skipped", msg)
			if errors.Is(err, io.EOF) {
				d.restart(lineNo)
				return nil
			}
			return err
		}
		if lineNo > line && (b == '{' || b == '[') {
			break
		}
		if err := d.in.skipLine(); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		lineNo++
	}
	d.warnf(line, "malformed JSON: %s; skipped to line %d", msg, lineNo)
	d.restart(lineNo)
	return nil
}

// A pushback reads src after bytes put back in front of it.
type pushback struct {
	front []byte
	src   *bufio.Reader
}

func (p *pushback) Read(b []byte) (int, error) {
	if len(p.front) > 0 {
		n := copy(b, p.front)
		p.front = p.front[n:]
		return n, nil
	}
	return p.src.Read(b)
}

// unread puts b back in front of what is left.
func (p *pushback) unread(b []byte) {
	if len(b) > 0 {
		p.front = append(b, p.front...)
	}
}

func (p *pushback) peekByte() (byte, error) {
	if len(p.front) > 0 {
		return p.front[0], nil
	}
	b, err := p.src.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// skipLine skips the rest of the current line and its newline.
func (p *pushback) skipLine() error {
	if len(p.front) > 0 {
		if i := bytes.IndexByte(p.front, '\n'); i >= 0 {
			p.front = p.front[i+1:]
			return nil
		}
		p.front = nil
	}
	for {
		_, err := p.src.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

// isIOError tells read failures (fatal) from malformed JSON (recoverable):
// the json.Decoder hands read errors back unchanged.
func (d *cwJSON) isIOError(err error) bool {
	return d.lc.readErr != nil && errors.Is(err, d.lc.readErr)
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// A lineCounter passes reads through and turns the json.Decoder's byte
// offsets into line numbers. It keeps only the bytes read ahead of the last
// offset asked about, so its memory follows the decoder's buffer.
type lineCounter struct {
	src     io.Reader
	pending []byte // pending[start:] holds the bytes from offset base on, not yet counted
	start   int
	base    int64
	line    int // line number at offset base
	readErr error
}

// maxJSONValueBytes bounds how much the decoder may read without a value
// ending (the lineCounter is asked for a line at every event, row and key).
// A CloudWatch event is at most 1 MB (6 MB with every character escaped);
// a longer value is not a log event, and json.Decoder would hold all of it:
// a 1 GB message, 3 GB of memory. Past the bound the value is skipped as
// malformed JSON. (A variable so that tests can show the bound with less.)
var maxJSONValueBytes = 32 << 20

// errJSONValueTooLong is the read error that ends such a value.
var errJSONValueTooLong = errors.New("a JSON value longer than maxJSONValueBytes (not a log event)")

func (c *lineCounter) Read(p []byte) (int, error) {
	if len(c.pending)-c.start > maxJSONValueBytes {
		return 0, errJSONValueTooLong
	}
	n, err := c.src.Read(p)
	if c.start > 0 && c.start >= len(c.pending)/2 {
		c.pending = c.pending[:copy(c.pending, c.pending[c.start:])]
		c.start = 0
	}
	c.pending = append(c.pending, p[:n]...)
	if err != nil && !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	return n, err
}

// lineAt returns the line of byte offset off; offsets must not go back.
func (c *lineCounter) lineAt(off int64) int {
	k := min(int(off-c.base), len(c.pending)-c.start)
	if k > 0 {
		c.line += bytes.Count(c.pending[c.start:c.start+k], []byte{'\n'})
		c.start += k
		c.base += int64(k)
	}
	return c.line
}

// lineAfterSpace returns the line of the first byte after off that is not
// white space or a comma: where the next JSON value starts.
func (c *lineCounter) lineAfterSpace(off int64) int {
	c.lineAt(off)
	line := c.line
	for _, b := range c.pending[c.start:] {
		switch b {
		case '\n':
			line++
		case ' ', '\t', '\r', ',', ':':
		default:
			return line
		}
	}
	return line
}
