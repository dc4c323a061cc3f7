package report

import "github.com/coldprof/coldprof/profile"

// Import logs carry durations but no start times, so the timeline formats
// (speedscope, trace, html) place every unit on a reconstructed timeline:
// siblings one after another in log order, a unit's children first and its
// self time after them. The layout is synthetic and every output says so.

// timelineNote is the wording the outputs use to say the layout is synthetic.
const timelineNote = "timeline reconstructed from cumulative times: children laid out one after another in log order, self time placed after the children"

// A span is one box on the reconstructed timeline: a phase frame (imp nil)
// or an import.
type span struct {
	imp    *profile.Import // nil for a phase frame
	phase  profile.Phase
	start  int64 // µs from the cold start's first entry
	dur    int64 // µs; at least the unit's cumulative time
	depth  int   // 0 for phase frames, 1 for top-level imports
	parent int   // index of the enclosing span, -1 for phase frames
}

// name is what the span is called in pictures.
func (s span) name() string {
	if s.imp == nil {
		return phaseFrameName(s.phase)
	}
	return s.imp.Name
}

// phaseFrameName is the root frame of a phase; the brackets keep it apart
// from any module name a log could contain.
func phaseFrameName(p profile.Phase) string { return "[" + string(p) + "]" }

// layoutColdStart places a cold start's imports on the reconstructed
// timeline, parents before children. Consecutive top-level imports of the
// same phase share one phase frame, so a phase that recurs (two invocations
// with an init entry between them, say) gets a frame per run. Every child
// lies within its parent: start >= parent start, end <= parent end.
func layoutColdStart(cs *profile.ColdStart) []span {
	var spans []span
	var clock int64
	phaseIdx := -1
	for _, top := range cs.Imports {
		if phaseIdx < 0 || spans[phaseIdx].phase != top.Phase {
			phaseIdx = len(spans)
			spans = append(spans, span{phase: top.Phase, start: clock, depth: 0, parent: -1})
		}
		d := placeImport(&spans, top, clock, 1, phaseIdx)
		clock += d
		spans[phaseIdx].dur += d
	}
	return spans
}

// placeImport appends imp and its subtree starting at start and returns
// the box's duration: the unit's cumulative time, or longer when its
// children and self time add up to more (threads and clock jitter break
// importtime's arithmetic), so that children always fit inside.
func placeImport(spans *[]span, imp *profile.Import, start int64, depth, parent int) int64 {
	idx := len(*spans)
	*spans = append(*spans, span{imp: imp, phase: imp.Phase, start: start, depth: depth, parent: parent})
	clock := start
	for _, c := range imp.Children {
		clock += placeImport(spans, c, clock, depth+1, idx)
	}
	dur := max(imp.CumulativeUs, clock-start+imp.SelfUs)
	(*spans)[idx].dur = dur
	return dur
}
