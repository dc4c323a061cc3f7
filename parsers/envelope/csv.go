package envelope

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// insightsCSV decodes a Logs Insights result exported as CSV: a header row
// naming the fields (@timestamp, @message, @logStream, @log, …), then one
// row per event, multi-line messages as quoted cells. Rows are put in time
// order a window at a time, as for the JSON results.
type insightsCSV struct {
	lineWarner
	in    *bufio.Reader
	lim   *recordLimiter
	r     *csv.Reader
	names interner
	// lineBase is the input line before the csv.Reader's first line: a new
	// one starts after a record too long to hold.
	lineBase int
	lastLine int // input line of the last row read

	header     bool
	msgCol     int
	timeCol    int
	streamCol  int
	rows       []insightsRow
	rowPos     int
	eof        bool
	text       []byte
	badRows    int
	fieldCount int
}

func newInsightsCSV(r io.Reader, source string, warn func(string, string)) *insightsCSV {
	d := &insightsCSV{lineWarner: lineWarner{source, warn}, in: bufio.NewReader(r), msgCol: -1, timeCol: -1, streamCol: -1}
	d.restart()
	return d
}

// maxCSVRecordBytes bounds one CSV record: an Insights message is at most
// one event (1 MB), twice that with its quotes doubled. A longer record is
// an unterminated quote (which encoding/csv with LazyQuotes would extend to
// the end of the input, holding all of it) or not a log export.
const maxCSVRecordBytes = 2 * MaxLineBytes

// errCSVRecordTooLong ends a csv.Reader's record at maxCSVRecordBytes.
var errCSVRecordTooLong = errors.New("CSV record too long")

// A recordLimiter fails a read once the current record has taken more than
// maxCSVRecordBytes, and counts the lines it passed on.
type recordLimiter struct {
	r     io.Reader
	taken int // bytes read since the current record began
	lines int // newlines passed on
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.taken > maxCSVRecordBytes {
		return 0, errCSVRecordTooLong
	}
	n, err := l.r.Read(p)
	l.taken += n
	l.lines += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}

// restart starts a csv.Reader on what is left of the input.
func (d *insightsCSV) restart() {
	d.lim = &recordLimiter{r: d.in}
	cr := csv.NewReader(d.lim)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	d.r = cr
}

// skipLongRecord drops a record longer than maxCSVRecordBytes: what the
// csv.Reader read ahead is lost with it, the rest of the current line is
// skipped, and a new csv.Reader reads on from the next line.
func (d *insightsCSV) skipLongRecord() error {
	d.lineBase += d.lim.lines
	for {
		_, err := d.in.ReadSlice('\n')
		if err == nil {
			d.lineBase++
			break
		}
		if err != bufio.ErrBufferFull {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
	}
	d.warnf(d.lastLine+1, "CSV record longer than %d bytes after this line (a quote never closed?); skipped to line %d", maxCSVRecordBytes, d.lineBase+1)
	d.restart()
	return nil
}

// Next returns the next event.
func (d *insightsCSV) Next() (Record, error) {
	for {
		if d.rowPos < len(d.rows) {
			d.rowPos++
			return d.rows[d.rowPos-1].record(&d.text), nil
		}
		if d.eof {
			return Record{}, io.EOF
		}
		if err := d.fill(); err != nil {
			return Record{}, err
		}
	}
}

// fill reads the next window of rows.
func (d *insightsCSV) fill() error {
	clear(d.rows) // let go of the last window's messages
	d.rows, d.rowPos = d.rows[:0], 0
	held := 0
	for !windowFull(d.rows, held) {
		d.lim.taken = 0
		fields, err := d.r.Read()
		if errors.Is(err, io.EOF) {
			d.eof = true
			break
		}
		if errors.Is(err, errCSVRecordTooLong) {
			if err := d.skipLongRecord(); err != nil {
				return err
			}
			continue
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			d.warnf(d.lineBase+parseErr.StartLine, "malformed CSV row: %v; skipped", parseErr.Err)
			continue
		}
		if err != nil {
			return err
		}
		line, _ := d.r.FieldPos(0)
		line += d.lineBase
		d.lastLine = line
		if !d.header {
			d.readHeader(fields, line)
			if d.eof {
				break
			}
			continue
		}
		if d.msgCol >= len(fields) {
			d.badRows++
			if d.badRows == 1 {
				d.warnf(line, "row has %d columns, the header %d; skipped", len(fields), d.fieldCount)
			}
			continue
		}
		var stream, timestamp string
		if d.streamCol >= 0 && d.streamCol < len(fields) {
			stream = fields[d.streamCol]
		}
		hasTime := d.timeCol >= 0 && d.timeCol < len(fields)
		if hasTime {
			timestamp = fields[d.timeCol]
		}
		row := d.newInsightsRow(&d.names, line, fields[d.msgCol], stream, timestamp, hasTime)
		d.rows = append(d.rows, row)
		held += len(row.text) + len(row.stream)
	}
	orderRows(d.rows)
	return nil
}

func (d *insightsCSV) readHeader(fields []string, line int) {
	d.header, d.fieldCount = true, len(fields)
	for i, f := range fields {
		switch strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")) {
		case "@message":
			d.msgCol = i
		case "@timestamp":
			d.timeCol = i
		case "@logStream":
			d.streamCol = i
		}
	}
	if d.msgCol < 0 {
		d.warnf(line, "CSV header has no @message column; nothing to read (export a query with fields @timestamp, @message, @logStream)")
		d.eof = true
	}
	if d.streamCol < 0 && d.msgCol >= 0 {
		d.warnf(line, "CSV has no @logStream column: events of different execution environments cannot be told apart")
	}
}
