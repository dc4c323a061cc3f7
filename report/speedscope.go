package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/coldprof/coldprof/profile"
)

// speedscopeSchema is the address speedscope uses to recognise its own format.
const speedscopeSchema = "https://www.speedscope.app/file-format-schema.json"

// The speedscope file format (speedscope's src/lib/file-format-spec.ts),
// only the parts coldprof writes.
type speedscopeFile struct {
	Schema             string           `json:"$schema"`
	Name               string           `json:"name"`
	Exporter           string           `json:"exporter"`
	ActiveProfileIndex int              `json:"activeProfileIndex"`
	Shared             speedscopeShared `json:"shared"`
	Profiles           []any            `json:"profiles"` // speedscopeEvents, speedscopeSampled
}

type speedscopeShared struct {
	Frames []speedscopeFrame `json:"frames"`
}

type speedscopeFrame struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// speedscopeEvents is an "evented" profile: open and close events that keep
// the order and nesting of the imports.
type speedscopeEvents struct {
	Type       string            `json:"type"`
	Name       string            `json:"name"`
	Unit       string            `json:"unit"`
	StartValue int64             `json:"startValue"`
	EndValue   int64             `json:"endValue"`
	Events     []speedscopeEvent `json:"events"`
}

type speedscopeEvent struct {
	Type  string `json:"type"` // "O" open, "C" close
	Frame int    `json:"frame"`
	At    int64  `json:"at"`
}

// WriteSpeedscope writes p as a speedscope file: one evented profile per
// cold start, in microseconds, with a frame per phase at the root. Import
// logs have no start times, so each profile's name says its timeline is
// reconstructed (children one after another, self time after them).
func WriteSpeedscope(w io.Writer, p *profile.Profile) error {
	file := speedscopeFile{
		Schema:   speedscopeSchema,
		Name:     "coldprof import profile",
		Exporter: "coldprof",
		Shared:   speedscopeShared{Frames: []speedscopeFrame{}},
		Profiles: []any{},
	}
	frameIndex := map[speedscopeFrame]int{}
	frameIndexOf := func(f speedscopeFrame) int {
		i, ok := frameIndex[f]
		if !ok {
			i = len(file.Shared.Frames)
			frameIndex[f] = i
			file.Shared.Frames = append(file.Shared.Frames, f)
		}
		return i
	}
	frameOf := func(s span) int {
		f := speedscopeFrame{Name: s.name()}
		if s.imp != nil {
			f.File = s.imp.Origin
		}
		i, ok := frameIndex[f]
		if !ok {
			i = len(file.Shared.Frames)
			frameIndex[f] = i
			file.Shared.Frames = append(file.Shared.Frames, f)
		}
		return i
	}
	for _, cs := range p.ColdStarts {
		spans := layoutColdStart(cs)
		prof := speedscopeEvents{
			Type:   "evented",
			Name:   "cold start " + cs.ID + " (" + timelineNote + ")",
			Unit:   "microseconds",
			Events: make([]speedscopeEvent, 0, 2*len(spans)),
		}
		var open []int // indices of spans not yet closed, outermost first
		closeUntil := func(depth int) {
			for len(open) > 0 && spans[open[len(open)-1]].depth >= depth {
				s := spans[open[len(open)-1]]
				open = open[:len(open)-1]
				prof.Events = append(prof.Events, speedscopeEvent{Type: "C", Frame: frameOf(s), At: s.start + s.dur})
			}
		}
		for i, s := range spans {
			closeUntil(s.depth)
			prof.Events = append(prof.Events, speedscopeEvent{Type: "O", Frame: frameOf(s), At: s.start})
			open = append(open, i)
			prof.EndValue = max(prof.EndValue, s.start+s.dur)
		}
		closeUntil(0)
		file.Profiles = append(file.Profiles, prof)
		if len(cs.Samples) > 0 {
			file.Profiles = append(file.Profiles, speedscopeSampledOf(cs, frameIndexOf))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(file); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
