package platform

import (
	"bytes"
	"strconv"
)

// A Line is what Parse read from a TEXT platform line. Byte slices point
// into the line and are only valid as long as it is; a field the line does
// not have is empty or not OK.
type Line struct {
	Kind Kind
	// RequestID is START's, END's and REPORT's.
	RequestID []byte
	// RuntimeVersion is INIT_START's and RESTORE_START's
	// ("python:3.12.mainlinev2.v7", see RuntimeFromVersion).
	RuntimeVersion []byte
	// InitType is coldprof's "Initialization Type" field of INIT_START and
	// INIT_REPORT (see Append): only lines rewritten from the JSON log format
	// have it.
	InitType []byte
	// Phase is INIT_REPORT's; Status and ErrorType INIT_REPORT's and
	// REPORT's (a REPORT says no Status on success).
	Phase, Status, ErrorType []byte
	// Duration, BilledDuration, MemorySizeMB and MaxMemoryUsedMB are
	// REPORT's; InitDuration REPORT's (on a cold start's first) and
	// INIT_REPORT's; RestoreDuration RESTORE_REPORT's and REPORT's (on a
	// restored environment's first), BilledRestoreDuration REPORT's.
	Duration, BilledDuration, InitDuration, RestoreDuration, BilledRestoreDuration Ms
	MemorySizeMB, MaxMemoryUsedMB                                                  MB
}

// Ms is a duration field in milliseconds; OK when the line had it.
type Ms struct {
	V  float64
	OK bool
}

// MB is a memory field in megabytes; OK when the line had it.
type MB struct {
	V  int64
	OK bool
}

// Labels and first words, found anywhere in a line.
var (
	requestIDKey       = []byte("RequestId: ")
	initStartKey       = []byte("INIT_START ")
	restoreStartKey    = []byte("RESTORE_START ")
	initReportKey      = []byte("INIT_REPORT")
	restoreReportKey   = []byte("RESTORE_REPORT")
	runtimeVersionKey  = []byte("Runtime Version: ")
	initDurationKey    = []byte("Init Duration: ")
	restoreDurationKey = []byte("Restore Duration: ")
)

// Parse reads a platform line anywhere in text, so that prefixes
// (timestamps, stream names, tabs) do not matter, and reports whether text
// is one. A line with "RequestId: " is START, END or REPORT by the word
// before it, or no platform line at all; fields are read where a view
// squeezed the tabs to spaces too.
func Parse(text []byte) (Line, bool) {
	var l Line
	if i := bytes.Index(text, requestIDKey); i > 0 && text[i-1] == ' ' {
		word := text[:i-1]
		if k := bytes.LastIndexAny(word, " \t"); k >= 0 {
			word = word[k+1:]
		}
		l.RequestID = field(text[i+len(requestIDKey):])
		switch string(word) {
		case "START":
			l.Kind = Start
		case "END":
			l.Kind = End
		case "REPORT":
			l.Kind = Report
			l.parseReport(text[i:])
		default:
			return Line{}, false
		}
		return l, true
	}
	i := bytes.Index(text, initStartKey)
	l.Kind = InitStart
	if i < 0 {
		i = bytes.Index(text, restoreStartKey)
		l.Kind = RestoreStart
	}
	if i >= 0 {
		rest := text[i:]
		if j := bytes.Index(rest, runtimeVersionKey); j >= 0 {
			l.RuntimeVersion = field(rest[j+len(runtimeVersionKey):])
		}
		l.InitType = Field(rest, "Initialization Type: ")
		return l, true
	}
	if i := indexWord(text, initReportKey); i >= 0 {
		rest := text[i:]
		l.Kind = InitReport
		l.Phase = Field(rest, "Phase: ")
		l.Status = Field(rest, "Status: ")
		l.ErrorType = Field(rest, "Error Type: ")
		l.InitDuration = durationAfter(rest, initDurationKey)
		l.InitType = Field(rest, "Initialization Type: ")
		return l, true
	}
	if i := indexWord(text, restoreReportKey); i >= 0 {
		l.Kind = RestoreReport
		l.RestoreDuration = durationAfter(text[i:], restoreDurationKey)
		return l, true
	}
	return Line{}, false
}

// indexWord returns where word begins in text followed by a space or a tab
// (FromJSON writes an INIT_REPORT without a duration as
// "INIT_REPORT\tStatus: …"), or -1.
func indexWord(text, word []byte) int {
	for off := 0; ; {
		i := bytes.Index(text[off:], word)
		if i < 0 {
			return -1
		}
		i += off
		if end := i + len(word); end < len(text) && (text[end] == ' ' || text[end] == '\t') {
			return i
		}
		off = i + len(word)
	}
}

// Begins reports whether text begins with one of Lambda's platform lines,
// as a record of a log export or a line of coldprof run's log does (Parse
// finds one anywhere in a line, behind a timestamp, say). It is cheap on
// the lines that are none: callers run it on every record.
func Begins(text []byte) bool {
	if len(text) == 0 || text[0] != 'S' && text[0] != 'E' && text[0] != 'R' && text[0] != 'I' {
		return false
	}
	for _, p := range beginnings {
		if bytes.HasPrefix(text, p) {
			return true
		}
	}
	return beginsWord(text, initReportKey) || beginsWord(text, restoreReportKey)
}

// beginsWord reports whether text begins with word and a space or a tab.
func beginsWord(text, word []byte) bool {
	return len(text) > len(word) && bytes.HasPrefix(text, word) && (text[len(word)] == ' ' || text[len(word)] == '\t')
}

// beginnings are how the platform lines other than INIT_REPORT and
// RESTORE_REPORT begin.
var beginnings = [][]byte{
	[]byte("START RequestId: "), []byte("END RequestId: "), []byte("REPORT RequestId: "),
	initStartKey, restoreStartKey,
}

// parseReport reads REPORT's fields from rest, the line from "RequestId: " on.
func (l *Line) parseReport(rest []byte) {
	l.InitDuration = durationAfter(rest, initDurationKey)
	l.RestoreDuration = parseMs(Field(rest, "Restore Duration: "))
	l.BilledRestoreDuration = parseMs(Field(rest, "Billed Restore Duration: "))
	l.Duration = parseMs(Field(rest, "Duration: "))
	l.BilledDuration = parseMs(Field(rest, "Billed Duration: "))
	l.MemorySizeMB = parseMB(Field(rest, "Memory Size: "))
	l.MaxMemoryUsedMB = parseMB(Field(rest, "Max Memory Used: "))
	l.Status = Field(rest, "Status: ")
	l.ErrorType = Field(rest, "Error Type: ")
}

// Field returns the value after label in a platform line whose fields are
// separated by tabs (or, where a view squeezed them, spaces), up to the
// next space or tab. A label must start a field: "Duration: " is not the
// end of "Billed Duration: ".
func Field(text []byte, label string) []byte {
	for off := 0; off < len(text); {
		j := bytes.Index(text[off:], []byte(label))
		if j < 0 {
			return nil
		}
		j += off
		before := text[:j]
		if j == 0 || before[j-1] == '\t' || before[j-1] == ' ' && !endsInLabelWord(before[:j-1]) {
			return field(text[j+len(label):])
		}
		off = j + len(label)
	}
	return nil
}

// endsInLabelWord reports whether b ends in a word that begins a longer
// platform-line label ("Billed Duration", "Max Memory Used").
func endsInLabelWord(b []byte) bool {
	for _, w := range []string{"Billed", "Init", "Restore", "Max", "Runtime", "Error"} {
		if bytes.HasSuffix(b, []byte(w)) && (len(b) == len(w) || b[len(b)-len(w)-1] == ' ' || b[len(b)-len(w)-1] == '\t') {
			return true
		}
	}
	return false
}

// field returns the text up to the next space or tab.
func field(b []byte) []byte {
	if k := bytes.IndexAny(b, " \t"); k >= 0 {
		return b[:k]
	}
	return b
}

// durationAfter finds key in text and parses the "N.NN ms" after it.
func durationAfter(text, key []byte) Ms {
	i := bytes.Index(text, key)
	if i < 0 {
		return Ms{}
	}
	return parseMs(text[i+len(key):])
}

func parseMs(b []byte) Ms {
	v, err := strconv.ParseFloat(string(field(b)), 64)
	if err != nil || !(v >= 0) {
		return Ms{}
	}
	return Ms{V: v, OK: true}
}

func parseMB(b []byte) MB {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return MB{}
	}
	return MB{V: v, OK: true}
}
