package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/coldprof/coldprof/profile"
)

// traceFile is Chrome's trace-event JSON object form, which Perfetto
// (ui.perfetto.dev), chrome://tracing and speedscope load.
type traceFile struct {
	TraceEvents     []traceEvent      `json:"traceEvents"`
	DisplayTimeUnit string            `json:"displayTimeUnit"`
	OtherData       map[string]string `json:"otherData"`
}

// traceEvent is one event: "X" (complete: ts and dur) or "M" (metadata).
type traceEvent struct {
	Name string `json:"name"`
	Cat  string `json:"cat,omitempty"`
	Ph   string `json:"ph"`
	Ts   int64  `json:"ts"`
	Dur  *int64 `json:"dur,omitempty"`
	Pid  int    `json:"pid"`
	Tid  int    `json:"tid"`
	Args any    `json:"args,omitempty"`
}

// traceArgs are shown when a slice is selected in the viewer.
type traceArgs struct {
	SelfUs       int64   `json:"selfUs"`
	CumulativeUs int64   `json:"cumulativeUs"`
	Phase        string  `json:"phase"`
	RequestID    *string `json:"requestId"`
	Origin       string  `json:"origin,omitempty"`
	Cached       bool    `json:"cached,omitempty"`
	// Synthetic says the start time is reconstructed, not measured.
	Synthetic bool `json:"syntheticLayout"`
}

// traceTid is the track a phase is drawn on: one per phase, in phase order.
func traceTid(p profile.Phase) int {
	for i, q := range profile.Phases {
		if q == p {
			return i + 1
		}
	}
	return len(profile.Phases) + 1
}

// WriteTrace writes p as Chrome trace-event JSON: a process per cold start
// (named after it), a thread (track) per phase, and a complete ("X") event
// per phase frame and per import. Times are whole microseconds on a
// reconstructed timeline (imports carry no start times): siblings one after
// another, children inside their parent, self time after the children, so
// slices nest exactly as Perfetto requires. Every slice's args say
// syntheticLayout: true.
func WriteTrace(w io.Writer, p *profile.Profile) error {
	file := traceFile{
		TraceEvents:     []traceEvent{},
		DisplayTimeUnit: "ms",
		OtherData:       map[string]string{"generator": "coldprof", "layout": timelineNote},
	}
	add := func(e traceEvent) { file.TraceEvents = append(file.TraceEvents, e) }
	for i, cs := range p.ColdStarts {
		pid := i + 1
		add(traceEvent{Name: "process_name", Ph: "M", Pid: pid, Args: map[string]string{"name": "cold start " + cs.ID}})
		add(traceEvent{Name: "process_sort_index", Ph: "M", Pid: pid, Args: map[string]int{"sort_index": pid}})
		spans := layoutColdStart(cs)
		named := map[profile.Phase]bool{}
		for _, s := range spans {
			if s.imp == nil && !named[s.phase] {
				named[s.phase] = true
				tid := traceTid(s.phase)
				add(traceEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: tid, Args: map[string]string{"name": string(s.phase)}})
				add(traceEvent{Name: "thread_sort_index", Ph: "M", Pid: pid, Tid: tid, Args: map[string]int{"sort_index": tid}})
			}
		}
		for _, s := range spans {
			dur := s.dur
			args := traceArgs{Phase: string(s.phase), Synthetic: true}
			cat := "phase"
			if s.imp != nil {
				cat = "import"
				args.SelfUs, args.CumulativeUs = s.imp.SelfUs, s.imp.CumulativeUs
				args.Origin, args.Cached = s.imp.Origin, s.imp.Cached
				if s.imp.RequestID != "" {
					id := s.imp.RequestID
					args.RequestID = &id
				}
			} else {
				args.CumulativeUs = s.dur
			}
			add(traceEvent{Name: s.name(), Cat: cat, Ph: "X", Ts: s.start, Dur: &dur, Pid: pid, Tid: traceTid(s.phase), Args: args})
		}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(file); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
