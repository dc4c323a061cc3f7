package report

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// A jsonWriter appends a cold start's fields other than its import tree as
// json.MarshalIndent(cold start, "    ", "  ") writes them, without
// reflection and without MarshalIndent's second pass over the bytes to
// indent them: a dozen MarshalIndent calls per cold start were a tenth of
// --format json's CPU. TestJSONColdStartFieldsMatchMarshal fills every field
// of the JSON types by reflection and compares, so a field added to one of
// them and not here fails it.
type jsonWriter struct {
	b      []byte
	in     *jsonIndenter // the spaces
	spaces int           // indentation of the current container's members
	empty  bool          // the current container has no member yet
	err    error         // the first value encoding/json refuses (a float that is not finite)
	// start is where the cold start's member being written began (its
	// comma), cut where the one with err began.
	start, cut int
}

// open starts an object or array with c.
func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.spaces += 2
	w.empty = true
}

// close ends the current object or array with c: "{}" and "[]" when empty.
func (w *jsonWriter) close(c byte) {
	w.spaces -= 2
	if !w.empty {
		w.b = append(w.b, '\n')
		w.b = append(w.b, w.in.spacesOf(w.spaces)...)
	}
	w.b = append(w.b, c)
	w.empty = false
}

// next starts a member of the current container.
func (w *jsonWriter) next() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.b = append(w.b, '\n')
	w.b = append(w.b, w.in.spacesOf(w.spaces)...)
}

// key starts an object member named k (k needs no escaping).
func (w *jsonWriter) key(k string) {
	w.next()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, `": `...)
}

func (w *jsonWriter) str(s string) { w.b = appendJSONString(w.b, s) }

func (w *jsonWriter) strOrNull(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

func (w *jsonWriter) int(v int64) { w.b = appendJSONInt(w.b, v) }

func (w *jsonWriter) intOrNull(v *int64) {
	if v == nil {
		w.null()
		return
	}
	w.int(*v)
}

func (w *jsonWriter) null() { w.b = append(w.b, "null"...) }

func (w *jsonWriter) boolean(v bool) {
	if v {
		w.b = append(w.b, "true"...)
	} else {
		w.b = append(w.b, "false"...)
	}
}

// float appends f as encoding/json writes a float64; a NaN or infinity,
// which encoding/json refuses, sets w.err with encoding/json's error.
func (w *jsonWriter) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if w.err == nil {
			w.err = &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
			w.cut = w.start
		}
		w.null()
		return
	}
	// encoding/json's floatEncoder: like %g, with ES6's exponent cutoffs,
	// and exponents not padded to two digits.
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(w.b); n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

func (w *jsonWriter) floatOrNull(f *float64) {
	if f == nil {
		w.null()
		return
	}
	w.float(*f)
}

// strings appends a []string: null when nil, as encoding/json.
func (w *jsonWriter) strings(ss []string) {
	if ss == nil {
		w.null()
		return
	}
	w.open('[')
	for _, s := range ss {
		w.next()
		w.str(s)
	}
	w.close(']')
}

// phase appends a JSONPhase.
func (w *jsonWriter) phase(p JSONPhase) {
	w.open('{')
	w.key("us")
	w.int(p.Us)
	w.key("count")
	w.int(int64(p.Count))
	w.close('}')
}

// headFields appends j's members before "imports", each as a member of the
// cold start's object; marks records where each began.
func (w *jsonWriter) headFields(j *JSONColdStart) {
	w.member("id")
	w.str(j.ID)
	w.member("runtime")
	w.strOrNull(j.Runtime)
	w.member("handler")
	w.strOrNull(j.Handler)
	w.member("format")
	w.str(j.Format)
	w.member("initDurationMs")
	w.floatOrNull(j.InitDurationMs)
	w.member("boundary")
	w.str(j.Boundary)
	w.member("initializationType")
	w.strOrNull(j.InitializationType)
	w.member("restored")
	w.boolean(j.Restored)
	w.member("restoreDurationMs")
	w.floatOrNull(j.RestoreDurationMs)
	w.member("billedRestoreDurationMs")
	w.floatOrNull(j.BilledRestoreDurationMs)

	w.member("initReports")
	if j.InitReports == nil {
		w.null()
	} else {
		w.open('[')
		for _, r := range j.InitReports {
			w.next()
			w.open('{')
			w.key("durationMs")
			w.floatOrNull(r.DurationMs)
			w.key("phase")
			w.strOrNull(r.Phase)
			w.key("status")
			w.strOrNull(r.Status)
			w.key("errorType")
			w.strOrNull(r.ErrorType)
			w.close('}')
		}
		w.close(']')
	}

	w.member("invocations")
	if j.Invocations == nil {
		w.null()
	} else {
		w.open('[')
		for _, inv := range j.Invocations {
			w.next()
			w.open('{')
			w.key("requestId")
			w.str(inv.RequestID)
			w.key("durationMs")
			w.floatOrNull(inv.DurationMs)
			w.key("billedDurationMs")
			w.floatOrNull(inv.BilledDurationMs)
			w.key("maxMemoryUsedMb")
			w.intOrNull(inv.MaxMemoryUsedMB)
			w.key("importsUs")
			w.intOrNull(inv.ImportsUs)
			w.close('}')
		}
		w.close(']')
	}

	w.member("phases")
	w.open('{')
	w.key("interpreter")
	w.phase(j.Phases.Interpreter)
	w.key("runtime")
	w.phase(j.Phases.Runtime)
	w.key("init")
	w.phase(j.Phases.Init)
	w.key("invoke")
	w.phase(j.Phases.Invoke)
	w.close('}')
}

// tailFields appends j's members after "imports".
func (w *jsonWriter) tailFields(j *JSONColdStart) {
	w.member("findings")
	w.findings(j.Findings)

	if len(j.Origins) > 0 {
		w.member("origins")
		w.open('[')
		for _, o := range j.Origins {
			w.next()
			w.open('{')
			w.key("origin")
			w.str(o.Origin)
			w.key("phase")
			w.str(o.Phase)
			w.key("count")
			w.int(int64(o.Count))
			w.key("selfUs")
			w.int(o.SelfUs)
			w.key("cumulativeUs")
			w.int(o.CumulativeUs)
			w.close('}')
		}
		w.close(']')
	}
	if a := j.SharedArchive; a != nil {
		w.member("sharedArchive")
		w.open('{')
		w.key("count")
		w.int(int64(a.Count))
		w.key("totalCount")
		w.int(int64(a.TotalCount))
		w.key("selfUs")
		w.int(a.SelfUs)
		w.key("totalSelfUs")
		w.int(a.TotalSelfUs)
		w.close('}')
	}

	w.member("initParts")
	if p := j.InitParts; p == nil {
		w.null()
	} else {
		w.open('{')
		w.key("interpreterUs")
		w.int(p.InterpreterUs)
		w.key("runtimeUs")
		w.int(p.RuntimeUs)
		w.key("importsUs")
		w.int(p.ImportsUs)
		w.key("codeUs")
		w.int(p.CodeUs)
		w.key("unexplainedUs")
		w.int(p.UnexplainedUs)
		w.close('}')
	}

	w.member("functions")
	if j.Functions == nil {
		w.null()
	} else {
		w.open('[')
		for _, f := range j.Functions {
			w.next()
			w.open('{')
			w.key("name")
			w.str(f.Name)
			w.key("file")
			w.str(f.File)
			w.key("line")
			w.int(int64(f.Line))
			w.key("phase")
			w.str(f.Phase)
			w.key("selfUs")
			w.int(f.SelfUs)
			w.key("totalUs")
			w.int(f.TotalUs)
			w.key("samples")
			w.int(int64(f.Samples))
			w.close('}')
		}
		w.close(']')
	}

	w.member("sampler")
	if s := j.Sampler; s == nil {
		w.null()
	} else {
		w.open('{')
		w.key("intervalUs")
		w.int(s.IntervalUs)
		w.key("samples")
		w.int(int64(s.Samples))
		w.key("stoppedBy")
		w.strOrNull(s.StoppedBy)
		w.close('}')
	}
}

// findings appends a []Finding (omitempty fields left out when empty).
func (w *jsonWriter) findings(fs []Finding) {
	if fs == nil {
		w.null()
		return
	}
	w.open('[')
	for i := range fs {
		f := &fs[i]
		w.next()
		w.open('{')
		w.key("id")
		w.str(f.ID)
		w.key("title")
		w.str(f.Title)
		w.key("savingsUs")
		w.intOrNull(f.SavingsUs)
		w.key("basis")
		w.str(string(f.Basis))
		w.key("evidence")
		w.strings(f.Evidence)
		w.key("action")
		w.str(f.Action)
		if f.Method != "" {
			w.key("method")
			w.str(f.Method)
		}
		if len(f.Unseen) > 0 {
			w.key("unseen")
			w.strings(f.Unseen)
		}
		if len(f.Modules) > 0 {
			w.key("modules")
			w.strings(f.Modules)
		}
		if len(f.Functions) > 0 {
			w.key("functions")
			w.strings(f.Functions)
		}
		if f.RequestID != nil {
			w.key("requestId")
			w.str(*f.RequestID)
		}
		if f.InitUs != nil {
			w.key("initUs")
			w.int(*f.InitUs)
		}
		if f.USDPerMillion != nil {
			w.key("usdPerMillion")
			w.float(*f.USDPerMillion)
		}
		w.close('}')
	}
	w.close(']')
}

// member starts the cold start's member k.
func (w *jsonWriter) member(k string) {
	w.start = len(w.b)
	w.key(k)
}

// result returns what to write of w.b and the error. A cold start with a
// member encoding/json refuses is cut where the member-by-member
// MarshalIndent this replaces stopped: after the members before it and
// their comma (the first member, the ID, is a string and never fails).
func (w *jsonWriter) result() ([]byte, error) {
	if w.err == nil {
		return w.b, nil
	}
	return append(w.b[:w.cut], ','), w.err
}
