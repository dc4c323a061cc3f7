package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// brokenArithmetic is a cold start whose times do not add up, as threads
// make importtime print: a child longer than its parent.
func brokenArithmetic() *profile.ColdStart {
	child := &profile.Import{Name: "threaded.child", SelfUs: 900, CumulativeUs: 900, Phase: profile.PhaseInit}
	parent := &profile.Import{Name: "threaded", SelfUs: 10, CumulativeUs: 100, Phase: profile.PhaseInit, Children: []*profile.Import{child}}
	zero := &profile.Import{Name: "cached", Phase: profile.PhaseInit, Cached: true}
	return &profile.ColdStart{ID: "broken", Boundary: profile.BoundaryUnknown, Imports: []*profile.Import{parent, zero}}
}

func traceProfiles() map[string]*profile.Profile {
	big := &profile.Profile{ColdStarts: []*profile.ColdStart{bigColdStart(10000)}}
	return map[string]*profile.Profile{
		"fixture":           fixtureProfile("a", "b", "c"),
		"broken arithmetic": {ColdStarts: []*profile.ColdStart{brokenArithmetic()}},
		"10000 imports":     big,
		"empty":             {},
	}
}

type decodedTraceEvent struct {
	Name string          `json:"name"`
	Ph   string          `json:"ph"`
	Ts   json.Number     `json:"ts"`
	Dur  json.Number     `json:"dur"`
	Pid  int             `json:"pid"`
	Tid  int             `json:"tid"`
	Args json.RawMessage `json:"args"`
	ts   int64
	end  int64
}

// validateTrace checks what Perfetto needs of a JSON trace: integer times,
// named processes and threads, and complete events on each track that nest
// exactly (no two slices overlap unless one contains the other). It returns
// the number of import slices.
func validateTrace(t *testing.T, data []byte) int {
	t.Helper()
	var file struct {
		TraceEvents []decodedTraceEvent `json:"traceEvents"`
		OtherData   map[string]string   `json:"otherData"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("trace is not the JSON object form: %v", err)
	}
	if file.TraceEvents == nil {
		t.Fatal("traceEvents missing")
	}
	if !strings.Contains(file.OtherData["layout"], "reconstructed") {
		t.Errorf("otherData does not say the layout is reconstructed: %v", file.OtherData)
	}
	processNamed := map[int]bool{}
	threadNamed := map[[2]int]bool{}
	tracks := map[[2]int][]decodedTraceEvent{}
	imports := 0
	for i, e := range file.TraceEvents {
		switch e.Ph {
		case "M":
			switch e.Name {
			case "process_name":
				processNamed[e.Pid] = true
			case "thread_name":
				threadNamed[[2]int{e.Pid, e.Tid}] = true
			}
		case "X":
			ts, err1 := e.Ts.Int64()
			dur, err2 := e.Dur.Int64()
			if err1 != nil || err2 != nil || dur < 0 || ts < 0 {
				t.Fatalf("event %d (%s): ts %q dur %q are not non-negative integers", i, e.Name, e.Ts, e.Dur)
			}
			var args traceArgs
			if err := json.Unmarshal(e.Args, &args); err != nil || !args.Synthetic || args.Phase == "" {
				t.Errorf("event %d (%s): args %s lack phase or syntheticLayout", i, e.Name, e.Args)
			}
			if !strings.HasPrefix(e.Name, "[") {
				imports++
			}
			e.ts, e.end = ts, ts+dur
			key := [2]int{e.Pid, e.Tid}
			tracks[key] = append(tracks[key], e)
		default:
			t.Errorf("event %d: unexpected phase type %q", i, e.Ph)
		}
	}
	for key, events := range tracks {
		if !processNamed[key[0]] || !threadNamed[key] {
			t.Errorf("track pid %d tid %d has no process_name or thread_name metadata", key[0], key[1])
		}
		// Viewers order slices by start, longer first; file order breaks ties.
		sort.SliceStable(events, func(i, j int) bool {
			if events[i].ts != events[j].ts {
				return events[i].ts < events[j].ts
			}
			return events[i].end > events[j].end
		})
		var open []decodedTraceEvent
		var closedEnd int64
		for _, e := range events {
			for len(open) > 0 && !(open[len(open)-1].ts <= e.ts && e.end <= open[len(open)-1].end) {
				closedEnd = max(closedEnd, open[len(open)-1].end)
				open = open[:len(open)-1]
			}
			if e.ts < closedEnd {
				t.Fatalf("track pid %d tid %d: slice %q [%d,%d] overlaps a slice that ended at %d", key[0], key[1], e.Name, e.ts, e.end, closedEnd)
			}
			open = append(open, e)
		}
	}
	return imports
}

func TestWriteTraceIsValid(t *testing.T) {
	for name, p := range traceProfiles() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTrace(&buf, p); err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, cs := range p.ColdStarts {
				want += countImports(cs)
			}
			if got := validateTrace(t, buf.Bytes()); got != want {
				t.Errorf("%d import slices, want %d", got, want)
			}
		})
	}
}

// TestWriteTraceLayout pins the reconstructed layout of a small tree: children
// one after another from the parent's start, self time after them, phases
// one after another on their own tracks.
func TestWriteTraceLayout(t *testing.T) {
	cs := &profile.ColdStart{ID: "x", Boundary: profile.BoundaryExact, Imports: append(
		inPhase(profile.PhaseRuntime, "", imp("r", 5, imp("r1", 10), imp("r2", 20))),
		inPhase(profile.PhaseInvoke, "req-9", imp("late", 7))...)}
	var buf bytes.Buffer
	if err := WriteTrace(&buf, &profile.Profile{ColdStarts: []*profile.ColdStart{cs}}); err != nil {
		t.Fatal(err)
	}
	var file struct{ TraceEvents []traceEvent }
	if err := json.Unmarshal(buf.Bytes(), &file); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range file.TraceEvents {
		if e.Ph == "X" {
			got = append(got, fmt.Sprintf("%s tid=%d ts=%d dur=%d", e.Name, e.Tid, e.Ts, *e.Dur))
		}
	}
	want := []string{
		"[runtime] tid=2 ts=0 dur=35",
		"r tid=2 ts=0 dur=35",
		"r1 tid=2 ts=0 dur=10",
		"r2 tid=2 ts=10 dur=20",
		"[invoke] tid=4 ts=35 dur=7",
		"late tid=4 ts=35 dur=7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("layout\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(buf.String(), `"requestId":"req-9"`) {
		t.Error("invoke slice lacks its request ID")
	}
}
