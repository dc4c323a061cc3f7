package sampleline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/coldprof/coldprof/wrapper/marker"
)

// A Kind is a sampler line's event (its "ev" key).
type Kind string

// The events, in the order a sampler writes them.
const (
	Begin   Kind = "begin"
	Frames  Kind = "frames"
	Stacks  Kind = "stacks"
	Samples Kind = "samples"
	Cut     Kind = "cut"
	End     Kind = "end"
)

// CutAtInitDone is the only "at" value of a cut line today.
const CutAtInitDone = "init_done"

// The reasons an end line gives for stopping (its "stoppedBy" key).
const (
	StoppedByInitDone  = "init_done"
	StoppedByInvokeEnd = "invoke_end"
	StoppedByTimeout   = "timeout"
	StoppedByExit      = "exit"
	StoppedByError     = "error"
)

// A Frame is one function of a frames line: [function, file, line].
type Frame struct {
	Function string
	File     string
	Line     int
}

// A Stack is one entry of a stacks line: [parent, frame]; Parent is -1 for a
// root frame.
type Stack struct {
	Parent int
	Frame  int
}

// A Sample is one entry of a samples line: [stack, dtUs].
type Sample struct {
	Stack int
	DtUs  int64
}

// An Event is one sampler line, decoded. Which fields are set depends on Kind
// (see the package comment); the others are zero.
type Event struct {
	V    int
	Kind Kind
	PID  int
	// TimeUs is t: begin, samples, cut, end.
	TimeUs int64
	// Lang and IntervalUs: begin.
	Lang       string
	IntervalUs int64
	// First is the ID of the first frame (frames) or stack (stacks) in the line.
	First   int
	Frames  []Frame
	Stacks  []Stack
	Samples []Sample
	// At: cut.
	At string
	// StoppedBy, SampleCount ("samples"), Dropped and Message ("msg"): end.
	StoppedBy   string
	SampleCount int
	Dropped     int
	Message     string
}

// Find returns the JSON object that follows the prefix in line, and whether
// the line is a sampler line at all. Text before the prefix is skipped.
func Find(line []byte) (object []byte, ok bool) {
	i := bytes.Index(line, []byte(Prefix+"{"))
	if i < 0 {
		return nil, false
	}
	return line[i+len(Prefix):], true
}

// Errors Parse returns (wrapped, with details).
var (
	ErrNotSampler = errors.New("sampleline: not a sampler line")
	ErrSyntax     = errors.New("sampleline: malformed line")
	ErrVersion    = errors.New("sampleline: unsupported grammar version")
	ErrMissingKey = errors.New("sampleline: required key missing")
	ErrValue      = errors.New("sampleline: value out of range")
)

// wireLine holds every key of every event; pointers tell a missing key from a zero.
type wireLine struct {
	V          *int             `json:"v"`
	Ev         *string          `json:"ev"`
	PID        *int             `json:"pid"`
	T          *int64           `json:"t"`
	Lang       *string          `json:"lang"`
	IntervalUs *int64           `json:"intervalUs"`
	First      *int             `json:"first"`
	Frames     *[]wireFrame     `json:"frames"`
	Stacks     *[][]json.Number `json:"stacks"`
	S          *[][]json.Number `json:"s"`
	At         *string          `json:"at"`
	StoppedBy  *string          `json:"stoppedBy"`
	Samples    *int             `json:"samples"`
	Dropped    *int             `json:"dropped"`
	Msg        *string          `json:"msg"`
}

// wireFrame is [function, file, line], exactly three elements.
type wireFrame Frame

func (f *wireFrame) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	if len(parts) != 3 {
		return fmt.Errorf("frame has %d elements, want [function, file, line]", len(parts))
	}
	if err := json.Unmarshal(parts[0], &f.Function); err != nil {
		return fmt.Errorf("frame function: %w", err)
	}
	if err := json.Unmarshal(parts[1], &f.File); err != nil {
		return fmt.Errorf("frame file: %w", err)
	}
	if err := json.Unmarshal(parts[2], &f.Line); err != nil {
		return fmt.Errorf("frame line: %w", err)
	}
	return nil
}

// Parse decodes a sampler line (anything Find accepts). It is strict about
// JSON syntax, the grammar version and the keys each event requires, and
// ignores unknown keys and trailing white space.
func Parse(line []byte) (Event, error) {
	obj, ok := Find(line)
	if !ok {
		return Event{}, ErrNotSampler
	}
	obj = bytes.TrimRight(obj, " \t\r\n")
	var w wireLine
	if err := json.Unmarshal(obj, &w); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	var missing []string
	need := func(present bool, key string) {
		if !present {
			missing = append(missing, strconv.Quote(key))
		}
	}
	need(w.V != nil, "v")
	need(w.Ev != nil, "ev")
	need(w.PID != nil, "pid")
	if len(missing) > 0 {
		return Event{}, fmt.Errorf("%w: %s", ErrMissingKey, joinKeys(missing))
	}
	if *w.V < 1 || *w.V > Version {
		return Event{}, fmt.Errorf("%w: %d (this coldprof reads %d)", ErrVersion, *w.V, Version)
	}
	e := Event{V: *w.V, Kind: Kind(*w.Ev), PID: *w.PID}
	switch e.Kind {
	case Begin:
		need(w.T != nil, "t")
		need(w.Lang != nil, "lang")
		need(w.IntervalUs != nil, "intervalUs")
	case Frames:
		need(w.First != nil, "first")
		need(w.Frames != nil, "frames")
	case Stacks:
		need(w.First != nil, "first")
		need(w.Stacks != nil, "stacks")
	case Samples:
		need(w.T != nil, "t")
		need(w.S != nil, "s")
	case Cut:
		need(w.T != nil, "t")
		need(w.At != nil, "at")
	case End:
		need(w.T != nil, "t")
		need(w.StoppedBy != nil, "stoppedBy")
		need(w.Samples != nil, "samples")
		need(w.Dropped != nil, "dropped")
	default:
		return Event{}, fmt.Errorf("%w: unknown event %q", ErrValue, e.Kind)
	}
	if len(missing) > 0 {
		return Event{}, fmt.Errorf("%w: %s in a %s line", ErrMissingKey, joinKeys(missing), e.Kind)
	}
	if e.PID < 0 {
		return Event{}, fmt.Errorf("%w: pid %d", ErrValue, e.PID)
	}
	var err error
	switch e.Kind {
	case Begin:
		e.TimeUs, e.Lang, e.IntervalUs = *w.T, *w.Lang, *w.IntervalUs
		if e.IntervalUs < 0 {
			return Event{}, fmt.Errorf("%w: intervalUs %d", ErrValue, e.IntervalUs)
		}
	case Frames:
		e.First = *w.First
		e.Frames = make([]Frame, len(*w.Frames))
		for i, f := range *w.Frames {
			if f.Line < 0 {
				return Event{}, fmt.Errorf("%w: frame %d has line %d", ErrValue, e.First+i, f.Line)
			}
			e.Frames[i] = Frame(f)
		}
	case Stacks:
		e.First = *w.First
		if e.Stacks, err = decodeStacks(*w.Stacks); err != nil {
			return Event{}, err
		}
	case Samples:
		e.TimeUs = *w.T
		if e.Samples, err = decodeSamples(*w.S); err != nil {
			return Event{}, err
		}
	case Cut:
		e.TimeUs, e.At = *w.T, *w.At
	case End:
		e.TimeUs, e.StoppedBy, e.SampleCount, e.Dropped = *w.T, *w.StoppedBy, *w.Samples, *w.Dropped
		if w.Msg != nil {
			e.Message = *w.Msg
		}
		if e.SampleCount < 0 || e.Dropped < 0 {
			return Event{}, fmt.Errorf("%w: samples %d, dropped %d", ErrValue, e.SampleCount, e.Dropped)
		}
	}
	if e.First < 0 {
		return Event{}, fmt.Errorf("%w: first %d", ErrValue, e.First)
	}
	if e.TimeUs < 0 {
		return Event{}, fmt.Errorf("%w: t %d", ErrValue, e.TimeUs)
	}
	return e, nil
}

func joinKeys(keys []string) string {
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
	}
	return b.String()
}

func decodeStacks(raw [][]json.Number) ([]Stack, error) {
	out := make([]Stack, len(raw))
	for i, pair := range raw {
		if len(pair) != 2 {
			return nil, fmt.Errorf("%w: stack entry %d has %d elements, want [parent, frame]", ErrValue, i, len(pair))
		}
		parent, err1 := strconv.Atoi(string(pair[0]))
		frame, err2 := strconv.Atoi(string(pair[1]))
		if err1 != nil || err2 != nil || parent < -1 || frame < 0 {
			return nil, fmt.Errorf("%w: stack entry %d is [%s,%s], want [parent >= -1, frame >= 0]", ErrValue, i, pair[0], pair[1])
		}
		out[i] = Stack{Parent: parent, Frame: frame}
	}
	return out, nil
}

func decodeSamples(raw [][]json.Number) ([]Sample, error) {
	out := make([]Sample, len(raw))
	for i, pair := range raw {
		if len(pair) != 2 {
			return nil, fmt.Errorf("%w: sample %d has %d elements, want [stack, dtUs]", ErrValue, i, len(pair))
		}
		stack, err1 := strconv.Atoi(string(pair[0]))
		dt, err2 := strconv.ParseInt(string(pair[1]), 10, 64)
		if err1 != nil || err2 != nil || stack < 0 || dt < 0 {
			return nil, fmt.Errorf("%w: sample %d is [%s,%s], want [stack >= 0, dtUs >= 0]", ErrValue, i, pair[0], pair[1])
		}
		out[i] = Sample{Stack: stack, DtUs: dt}
	}
	return out, nil
}

// Append appends e as one sampler line, newline included, to dst, writing the
// keys e.Kind requires (V is written as Version when e.V is zero). It does not
// split: keeping a line within MaxLine is the writer's job.
func Append(dst []byte, e Event) []byte {
	v := e.V
	if v == 0 {
		v = Version
	}
	dst = append(dst, Prefix...)
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	dst = appendString(append(dst, `,"ev":`...), string(e.Kind))
	dst = strconv.AppendInt(append(dst, `,"pid":`...), int64(e.PID), 10)
	switch e.Kind {
	case Begin:
		dst = strconv.AppendInt(append(dst, `,"t":`...), e.TimeUs, 10)
		dst = appendString(append(dst, `,"lang":`...), e.Lang)
		dst = strconv.AppendInt(append(dst, `,"intervalUs":`...), e.IntervalUs, 10)
	case Frames:
		dst = strconv.AppendInt(append(dst, `,"first":`...), int64(e.First), 10)
		dst = append(dst, `,"frames":[`...)
		for i, f := range e.Frames {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(append(dst, '['), f.Function)
			dst = appendString(append(dst, ','), f.File)
			dst = strconv.AppendInt(append(dst, ','), int64(f.Line), 10)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	case Stacks:
		dst = strconv.AppendInt(append(dst, `,"first":`...), int64(e.First), 10)
		dst = append(dst, `,"stacks":[`...)
		for i, s := range e.Stacks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(append(dst, '['), int64(s.Parent), 10)
			dst = strconv.AppendInt(append(dst, ','), int64(s.Frame), 10)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	case Samples:
		dst = strconv.AppendInt(append(dst, `,"t":`...), e.TimeUs, 10)
		dst = append(dst, `,"s":[`...)
		for i, s := range e.Samples {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(append(dst, '['), int64(s.Stack), 10)
			dst = strconv.AppendInt(append(dst, ','), s.DtUs, 10)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	case Cut:
		dst = strconv.AppendInt(append(dst, `,"t":`...), e.TimeUs, 10)
		dst = appendString(append(dst, `,"at":`...), e.At)
	case End:
		dst = strconv.AppendInt(append(dst, `,"t":`...), e.TimeUs, 10)
		dst = appendString(append(dst, `,"stoppedBy":`...), e.StoppedBy)
		dst = strconv.AppendInt(append(dst, `,"samples":`...), int64(e.SampleCount), 10)
		dst = strconv.AppendInt(append(dst, `,"dropped":`...), int64(e.Dropped), 10)
		if e.Message != "" {
			dst = appendString(append(dst, `,"msg":`...), e.Message)
		}
	}
	return append(dst, "}\n"...)
}

// appendString writes s as a JSON string, one line whatever s holds: the
// markers' writer, so both grammars escape alike.
func appendString(dst []byte, s string) []byte { return marker.AppendString(dst, s) }
