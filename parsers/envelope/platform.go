package envelope

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// platformEvent is a system log record in Lambda's JSON log format:
// {"time":"…Z","type":"platform.start","record":{…}}.
type platformEvent struct {
	Time   string         `json:"time"`
	Type   string         `json:"type"`
	Record platformRecord `json:"record"`
}

type platformRecord struct {
	RequestID         string          `json:"requestId"`
	Version           string          `json:"version"`
	RuntimeVersion    string          `json:"runtimeVersion"`
	RuntimeVersionARN string          `json:"runtimeVersionArn"`
	Phase             string          `json:"phase"`
	InitType          string          `json:"initializationType"`
	Status            string          `json:"status"`
	ErrorType         string          `json:"errorType"`
	Metrics           platformMetrics `json:"metrics"`
}

type platformMetrics struct {
	DurationMs              *float64 `json:"durationMs"`
	BilledDurationMs        *float64 `json:"billedDurationMs"`
	MemorySizeMB            *int64   `json:"memorySizeMB"`
	MaxMemoryUsedMB         *int64   `json:"maxMemoryUsedMB"`
	InitDurationMs          *float64 `json:"initDurationMs"`
	RestoreDurationMs       *float64 `json:"restoreDurationMs"`
	BilledRestoreDurationMs *float64 `json:"billedRestoreDurationMs"`
}

// platformText rewrites a platform event of Lambda's JSON log format as the
// TEXT-format line Lambda would have written for it (reference §4.1/§4.3),
// appending it to dst, so the line grammars need one code path only:
//
//	platform.initStart    INIT_START Runtime Version: …\tRuntime Version ARN: …
//	platform.start        START RequestId: … Version: …
//	platform.runtimeDone  END RequestId: …
//	platform.report       REPORT RequestId: …\tDuration: … ms\t…[\tInit Duration: … ms]
//	platform.initReport   INIT_REPORT Init Duration: … ms\tPhase: …\tStatus: …
//	platform.restoreStart RESTORE_START Runtime Version: …
//	platform.restoreReport RESTORE_REPORT Restore Duration: … ms
//
// platform.initStart and platform.initReport carry initializationType,
// which no TEXT line does: it is appended as coldprof's own field
// "\tInitialization Type: …" so that the parsers can read it too.
//
// It returns ok=false for anything else (other platform events, application
// JSON logs, plain text), which callers keep unchanged. timeUs is the
// event's own time, 0 when unreadable.
func platformText(dst, msg []byte) (out []byte, timeUs int64, ok bool) {
	if len(msg) < 20 || msg[0] != '{' || !bytes.Contains(msg, []byte(`"platform.`)) {
		return dst, 0, false
	}
	var ev platformEvent
	if json.Unmarshal(msg, &ev) != nil {
		return dst, 0, false
	}
	r := &ev.Record
	m := &r.Metrics
	switch ev.Type {
	case "platform.initStart":
		dst = append(dst, "INIT_START Runtime Version: "...)
		dst = append(dst, r.RuntimeVersion...)
		dst = append(dst, "\tRuntime Version ARN: "...)
		dst = append(dst, r.RuntimeVersionARN...)
		dst = appendInitType(dst, r)
	case "platform.restoreStart":
		dst = append(dst, "RESTORE_START Runtime Version: "...)
		dst = append(dst, r.RuntimeVersion...)
		dst = append(dst, "\tRuntime Version ARN: "...)
		dst = append(dst, r.RuntimeVersionARN...)
	case "platform.start":
		dst = append(dst, "START RequestId: "...)
		dst = append(dst, r.RequestID...)
		if r.Version != "" {
			dst = append(dst, " Version: "...)
			dst = append(dst, r.Version...)
		}
	case "platform.runtimeDone":
		dst = append(dst, "END RequestId: "...)
		dst = append(dst, r.RequestID...)
	case "platform.report":
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
	case "platform.initReport":
		dst = append(dst, "INIT_REPORT"...)
		dst = appendMs(dst, " Init Duration: ", m.DurationMs, 2)
		if r.Phase != "" {
			dst = append(dst, "\tPhase: "...)
			dst = append(dst, r.Phase...)
		}
		dst = appendStatus(dst, r, true)
		dst = appendInitType(dst, r)
	case "platform.restoreReport":
		dst = append(dst, "RESTORE_REPORT"...)
		dst = appendMs(dst, " Restore Duration: ", m.DurationMs, 2)
		dst = appendStatus(dst, r, false)
	default:
		return dst, 0, false
	}
	if us, _, _, _, ok := parseISO([]byte(ev.Time)); ok {
		timeUs = us
	}
	return dst, timeUs, true
}

func appendInitType(dst []byte, r *platformRecord) []byte {
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
func appendStatus(dst []byte, r *platformRecord, always bool) []byte {
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
