package report

import (
	"sort"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// sampledRoot is the root frame of sampled stacks in the folded output and
// the flame graph, apart from the import tree's phase frames: samples
// inside imports cover time the import tree also shows, so the two are two
// views of init, not parts of one.
const sampledRoot = "[sampled]"

// sampleFrameName names a sampled frame "function (file:line)".
func sampleFrameName(f profile.Frame) string {
	if f.File == "" {
		return f.Function
	}
	loc := f.File
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line)
	}
	return f.Function + " (" + loc + ")"
}

// addFoldedSamples adds cs's samples to weights as folded stacks under
// prefix (the cold start frame, if any): [sampled];[phase];frames…, every
// sample weighted by its wall time, imports included (they refine the tree).
func addFoldedSamples(weights map[string]int64, prefix []string, cs *profile.ColdStart) {
	if len(cs.Samples) == 0 {
		return
	}
	names := make([]string, len(cs.Frames))
	for i, f := range cs.Frames {
		names[i] = foldedFrame(sampleFrameName(f))
	}
	var b strings.Builder
	for _, s := range cs.Samples {
		if s.WeightUs <= 0 {
			continue
		}
		b.Reset()
		for _, p := range prefix {
			b.WriteString(p)
			b.WriteByte(';')
		}
		b.WriteString(sampledRoot)
		b.WriteByte(';')
		b.WriteString(phaseFrameName(s.Phase))
		for _, f := range cs.Stacks[s.Stack] {
			b.WriteByte(';')
			b.WriteString(names[f])
		}
		weights[b.String()] += s.WeightUs
	}
}

// samplesOfPhase keeps the samples of one phase.
func samplesOfPhase(samples []profile.Sample, phase profile.Phase) []profile.Sample {
	var out []profile.Sample
	for _, s := range samples {
		if s.Phase == phase {
			out = append(out, s)
		}
	}
	return out
}

// speedscopeSampled is a "sampled" speedscope profile: the samples in time
// order with their wall-time weights, so speedscope's time-order view is
// the cold start's timeline as sampled.
type speedscopeSampled struct {
	Type       string  `json:"type"`
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	StartValue int64   `json:"startValue"`
	EndValue   int64   `json:"endValue"`
	Samples    [][]int `json:"samples"`
	Weights    []int64 `json:"weights"`
}

// speedscopeSampledOf builds cs's sampled profile; frameOf maps a sampled
// frame to the file's shared frame index.
func speedscopeSampledOf(cs *profile.ColdStart, frameOf func(speedscopeFrame) int) speedscopeSampled {
	prof := speedscopeSampled{Type: "sampled", Name: "cold start " + cs.ID + " (sampled wall time, every phase)",
		Unit: "microseconds", Samples: [][]int{}, Weights: []int64{}}
	index := make([]int, len(cs.Frames))
	for i, f := range cs.Frames {
		index[i] = frameOf(speedscopeFrame{Name: f.Function, File: f.File, Line: f.Line})
	}
	phases := map[profile.Phase]int{}
	for _, s := range cs.Samples {
		ph, ok := phases[s.Phase]
		if !ok {
			ph = frameOf(speedscopeFrame{Name: phaseFrameName(s.Phase)})
			phases[s.Phase] = ph
		}
		stack := make([]int, 0, len(cs.Stacks[s.Stack])+1)
		stack = append(stack, ph)
		for _, f := range cs.Stacks[s.Stack] {
			stack = append(stack, index[f])
		}
		prof.Samples = append(prof.Samples, stack)
		prof.Weights = append(prof.Weights, s.WeightUs)
		prof.EndValue += s.WeightUs
	}
	return prof
}

// htmlSampled is what the page shows of a cold start's samples: where init
// went as blocks on a time axis, and a flame graph of the sampled stacks.
type htmlSampled struct {
	// Parts are [name, µs] in initPartNames order; TotalUs their sum.
	Parts   [][2]any `json:"parts"`
	TotalUs int64    `json:"totalUs"`
	Note    string   `json:"note"`
	// Flame nodes are [name, depth, start, dur, self, phase] in pre-order:
	// stacks merged by path, children sorted by name (a flame graph, not a
	// timeline), phase frames at depth 0; name indexes the cold start's
	// Strings.
	Flame [][6]int64 `json:"flame"`
}

// htmlMaxFlameNodes bounds the flame graph: a real cold start has a few
// hundred distinct stacks.
const htmlMaxFlameNodes = 20000

// htmlSampledOf is nil for a cold start without samples; str interns a
// name. Where init went is cs's, as text and JSON report it; the flame
// graph shows shown's samples (cs's of the --phase asked for).
func htmlSampledOf(cs, shown *profile.ColdStart, str func(string) int64) *htmlSampled {
	if len(cs.Samples) == 0 || cs.Sampler == nil {
		return nil
	}
	out := &htmlSampled{Parts: [][2]any{}, Flame: [][6]int64{}}
	if p := NewInitParts(cs); p != nil {
		for i, v := range p.values() {
			out.Parts = append(out.Parts, [2]any{initPartNames[i], v})
		}
		out.TotalUs = p.TotalUs
		out.Note = samplerNote(&SampledSummary{Sampler: *cs.Sampler, Samples: samplesTaken(cs)}, p)
	}
	type fnode struct {
		name     string
		phase    profile.Phase
		self     int64
		total    int64
		children map[string]*fnode
	}
	root := &fnode{children: map[string]*fnode{}}
	count := 0
	child := func(n *fnode, name string, phase profile.Phase) *fnode {
		c := n.children[name]
		if c == nil {
			if count >= htmlMaxFlameNodes {
				return nil
			}
			count++
			c = &fnode{name: name, phase: phase, children: map[string]*fnode{}}
			n.children[name] = c
		}
		return c
	}
	names := make([]string, len(shown.Frames))
	for i, f := range shown.Frames {
		names[i] = sampleFrameName(f)
	}
	for _, s := range shown.Samples {
		n := child(root, phaseFrameName(s.Phase), s.Phase)
		if n == nil {
			continue
		}
		n.total += s.WeightUs
		for _, f := range shown.Stacks[s.Stack] {
			c := child(n, names[f], s.Phase)
			if c == nil {
				break
			}
			c.total += s.WeightUs
			n = c
		}
		n.self += s.WeightUs
	}
	var walk func(n *fnode, depth int, start int64)
	walk = func(n *fnode, depth int, start int64) {
		keys := make([]string, 0, len(n.children))
		for k := range n.children {
			keys = append(keys, k)
		}
		if depth == 0 { // phase frames in phase order
			sort.Slice(keys, func(i, j int) bool {
				return phaseIndex(n.children[keys[i]].phase) < phaseIndex(n.children[keys[j]].phase)
			})
		} else {
			sort.Strings(keys)
		}
		for _, k := range keys {
			c := n.children[k]
			out.Flame = append(out.Flame, [6]int64{str(c.name), int64(depth), start, c.total, c.self, int64(phaseIndex(c.phase))})
			walk(c, depth+1, start)
			start += c.total
		}
	}
	walk(root, 0, 0)
	return out
}
