package envelope

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// insightsCSV decodes a Logs Insights result exported as CSV: a header row
// naming the fields (@timestamp, @message, @logStream, @log, …), then one
// row per event, multi-line messages as quoted cells. Rows are put in time
// order a window at a time, as for the JSON results.
type insightsCSV struct {
	source string
	warn   func(where, msg string)
	r      *csv.Reader
	names  interner

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
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &insightsCSV{source: source, warn: warn, r: cr, msgCol: -1, timeCol: -1, streamCol: -1}
}

func (d *insightsCSV) warnf(line int, format string, args ...any) {
	if d.warn != nil {
		d.warn(fmt.Sprintf("%s:%d", d.source, line), fmt.Sprintf(format, args...))
	}
}

// Next returns the next event.
func (d *insightsCSV) Next() (Record, error) {
	for {
		if d.rowPos < len(d.rows) {
			row := &d.rows[d.rowPos]
			d.rowPos++
			d.text = append(d.text[:0], row.text...)
			return Record{Stream: row.stream, Line: row.line, TimeUs: row.timeUs, Text: d.text}, nil
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
	d.rows, d.rowPos = d.rows[:0], 0
	bytes := 0
	for !windowFull(d.rows, bytes) {
		fields, err := d.r.Read()
		if errors.Is(err, io.EOF) {
			d.eof = true
			break
		}
		line, _ := d.r.FieldPos(0)
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			d.warnf(parseErr.StartLine, "malformed CSV row: %v; skipped", parseErr.Err)
			continue
		}
		if err != nil {
			return err
		}
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
		row := insightsRow{line: line, text: string(trimNewline([]byte(fields[d.msgCol])))}
		if d.streamCol >= 0 && d.streamCol < len(fields) {
			row.stream = d.names.intern([]byte(fields[d.streamCol]))
		}
		if d.timeCol >= 0 && d.timeCol < len(fields) {
			if us, _, _, _, ok := parseISO([]byte(fields[d.timeCol])); ok {
				row.timeUs = us
			} else {
				d.warnf(line, "unreadable @timestamp %q", fields[d.timeCol])
			}
		}
		d.rows = append(d.rows, row)
		bytes += len(row.text)
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
