// Package platform is the one owner of Lambda's platform lines: the lines
// Lambda itself writes to a function's log around init and each invocation
// (INIT_START, START, END, REPORT, INIT_REPORT, RESTORE_START,
// RESTORE_REPORT; reference lambda-runtime.md §4.1/§4.3), in both of
// Lambda's log formats, and the runtime version strings INIT_START carries.
//
// Append writes a line (coldprof run's emulator writes its log with it),
// FromJSON rewrites an event of the JSON log format as the TEXT line Lambda
// would have written for it (package envelope, so that the parsers need one
// code path), and Parse reads a TEXT line back (package parsers). It imports
// nothing of coldprof's: every side of the format depends on it, so they
// cannot drift apart.
package platform

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// A Kind is which platform line a line is.
type Kind uint8

// The platform lines, named after their first word.
const (
	NotPlatform Kind = iota
	InitStart
	Start
	End
	Report
	InitReport
	RestoreStart
	RestoreReport
)

// String is the line's first word, "INIT_START" for InitStart.
func (k Kind) String() string {
	switch k {
	case InitStart:
		return "INIT_START"
	case Start:
		return "START"
	case End:
		return "END"
	case Report:
		return "REPORT"
	case InitReport:
		return "INIT_REPORT"
	case RestoreStart:
		return "RESTORE_START"
	case RestoreReport:
		return "RESTORE_REPORT"
	}
	return "not a platform line"
}

// JSON log format event types, one per Kind.
const (
	TypeInitStart     = "platform.initStart"
	TypeStart         = "platform.start"
	TypeRuntimeDone   = "platform.runtimeDone"
	TypeReport        = "platform.report"
	TypeInitReport    = "platform.initReport"
	TypeRestoreStart  = "platform.restoreStart"
	TypeRestoreReport = "platform.restoreReport"
)

// kindOfType maps a JSON log format event type to its TEXT line.
func kindOfType(t string) Kind {
	switch t {
	case TypeInitStart:
		return InitStart
	case TypeStart:
		return Start
	case TypeRuntimeDone:
		return End
	case TypeReport:
		return Report
	case TypeInitReport:
		return InitReport
	case TypeRestoreStart:
		return RestoreStart
	case TypeRestoreReport:
		return RestoreReport
	}
	return NotPlatform
}

// An Event is a platform event of Lambda's JSON log format:
// {"time":"…Z","type":"platform.start","record":{…}}.
type Event struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	Record Record `json:"record"`
}

// A Record is what a platform line says, named as the JSON log format names
// it. A nil metric is absent from the line.
type Record struct {
	RequestID         string  `json:"requestId"`
	Version           string  `json:"version"`
	RuntimeVersion    string  `json:"runtimeVersion"`
	RuntimeVersionARN string  `json:"runtimeVersionArn"`
	Phase             string  `json:"phase"`
	InitType          string  `json:"initializationType"`
	Status            string  `json:"status"`
	ErrorType         string  `json:"errorType"`
	Metrics           Metrics `json:"metrics"`
}

// Metrics are a platform line's numbers. DurationMs is REPORT's Duration,
// INIT_REPORT's Init Duration and RESTORE_REPORT's Restore Duration, as the
// JSON log format has it.
type Metrics struct {
	DurationMs              *float64 `json:"durationMs"`
	BilledDurationMs        *float64 `json:"billedDurationMs"`
	MemorySizeMB            *int64   `json:"memorySizeMB"`
	MaxMemoryUsedMB         *int64   `json:"maxMemoryUsedMB"`
	InitDurationMs          *float64 `json:"initDurationMs"`
	RestoreDurationMs       *float64 `json:"restoreDurationMs"`
	BilledRestoreDurationMs *float64 `json:"billedRestoreDurationMs"`
}

// FromJSON rewrites a platform event of Lambda's JSON log format as the
// TEXT-format line Lambda would have written for it, appending it to dst
// (see Append). It returns ok=false for anything else (other platform
// events, application JSON logs, plain text), which callers keep unchanged;
// time is the event's own time field, as written.
func FromJSON(dst, msg []byte) (out []byte, time string, ok bool) {
	if len(msg) < 20 || msg[0] != '{' || !bytes.Contains(msg, []byte(`"platform.`)) {
		return dst, "", false
	}
	var ev Event
	if json.Unmarshal(msg, &ev) != nil {
		return dst, "", false
	}
	k := kindOfType(ev.Type)
	if k == NotPlatform {
		return dst, "", false
	}
	return Append(dst, k, &ev.Record), ev.Time, true
}

// Append appends the TEXT-format line of kind k with r's fields to dst,
// without a newline:
//
//	InitStart     INIT_START Runtime Version: …\tRuntime Version ARN: …
//	Start         START RequestId: … Version: …
//	End           END RequestId: …
//	Report        REPORT RequestId: …\tDuration: … ms\t…[\tInit Duration: … ms]
//	InitReport    INIT_REPORT Init Duration: … ms\tPhase: …\tStatus: …
//	RestoreStart  RESTORE_START Runtime Version: …\tRuntime Version ARN: …
//	RestoreReport RESTORE_REPORT Restore Duration: … ms
//
// INIT_START and INIT_REPORT get r.InitType, which no TEXT line carries, as
// coldprof's own field "\tInitialization Type: …" (the JSON log format's
// initializationType), so that Parse reads it too. Durations have two
// decimals, billed durations none, as Lambda writes them.
func Append(dst []byte, k Kind, r *Record) []byte {
	m := &r.Metrics
	switch k {
	case InitStart:
		dst = append(dst, "INIT_START Runtime Version: "...)
		dst = append(dst, r.RuntimeVersion...)
		dst = append(dst, "\tRuntime Version ARN: "...)
		dst = append(dst, r.RuntimeVersionARN...)
		dst = appendInitType(dst, r)
	case RestoreStart:
		dst = append(dst, "RESTORE_START Runtime Version: "...)
		dst = append(dst, r.RuntimeVersion...)
		dst = append(dst, "\tRuntime Version ARN: "...)
		dst = append(dst, r.RuntimeVersionARN...)
	case Start:
		dst = append(dst, "START RequestId: "...)
		dst = append(dst, r.RequestID...)
		if r.Version != "" {
			dst = append(dst, " Version: "...)
			dst = append(dst, r.Version...)
		}
	case End:
		dst = append(dst, "END RequestId: "...)
		dst = append(dst, r.RequestID...)
	case Report:
		dst = append(dst, "REPORT RequestId: "...)
		dst = append(dst, r.RequestID...)
		dst = appendMs(dst, "\tDuration: ", m.DurationMs, 2)
		dst = appendMs(dst, "\tBilled Duration: ", m.BilledDurationMs, 0)
		dst = appendMB(dst, "\tMemory Size: ", m.MemorySizeMB)
		dst = appendMB(dst, "\tMax Memory Used: ", m.MaxMemoryUsedMB)
		dst = appendMs(dst, "\tInit Duration: ", m.InitDurationMs, 2)
		dst = appendMs(dst, "\tRestore Duration: ", m.RestoreDurationMs, 2)
		dst = appendMs(dst, "\tBilled Restore Duration: ", m.BilledRestoreDurationMs, 0)
		dst = appendStatus(dst, r, false)
	case InitReport:
		dst = append(dst, "INIT_REPORT"...)
		dst = appendMs(dst, " Init Duration: ", m.DurationMs, 2)
		if r.Phase != "" {
			dst = append(dst, "\tPhase: "...)
			dst = append(dst, r.Phase...)
		}
		dst = appendStatus(dst, r, true)
		dst = appendInitType(dst, r)
	case RestoreReport:
		dst = append(dst, "RESTORE_REPORT"...)
		dst = appendMs(dst, " Restore Duration: ", m.DurationMs, 2)
		dst = appendStatus(dst, r, false)
	}
	return dst
}

// Millis returns a pointer to v, for a Metrics field.
func Millis(v float64) *float64 { return &v }

// Megabytes returns a pointer to v, for a Metrics field.
func Megabytes(v int64) *int64 { return &v }

func appendInitType(dst []byte, r *Record) []byte {
	if r.InitType == "" {
		return dst
	}
	dst = append(dst, "\tInitialization Type: "...)
	return append(dst, r.InitType...)
}

func appendMs(dst []byte, label string, v *float64, prec int) []byte {
	if v == nil {
		return dst
	}
	dst = append(dst, label...)
	dst = strconv.AppendFloat(dst, *v, 'f', prec, 64)
	return append(dst, " ms"...)
}

func appendMB(dst []byte, label string, v *int64) []byte {
	if v == nil {
		return dst
	}
	dst = append(dst, label...)
	dst = strconv.AppendInt(dst, *v, 10)
	return append(dst, " MB"...)
}

// appendStatus adds "Status: …" and "Error Type: …". TEXT REPORT lines say
// nothing on success; INIT_REPORT always states its status.
func appendStatus(dst []byte, r *Record, always bool) []byte {
	if r.Status != "" && (always || r.Status != "success") {
		dst = append(dst, "\tStatus: "...)
		dst = append(dst, r.Status...)
	}
	if r.ErrorType != "" {
		dst = append(dst, "\tError Type: "...)
		dst = append(dst, r.ErrorType...)
	}
	return dst
}
