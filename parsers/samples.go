package parsers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// Bounds on what one cold start's sampler lines may make the reader keep.
// A real sampler writes at most sampleline.MaxLinesPerColdStart lines of at
// most sampleline.MaxLine bytes (about 1 MB); hostile or concatenated input
// beyond these is dropped with one warning, so memory stays bounded.
const (
	maxSamplerBytes = 4 << 20 // sampler line bytes read per cold start
	maxFrames       = 1 << 16 // frames per sampled process
	maxStacks       = 1 << 16 // stacks per sampled process
	maxStackDepth   = 256     // frames per stack; deeper stacks keep their root end
	maxStackInts    = 1 << 21 // frame indices over all materialised stacks
	maxSamples      = 1 << 18 // samples per sampled process
	maxInvokeMarks  = 64      // invoke markers kept to phase samples
	// maxSampleDtUs bounds one sample's weight (15 minutes, Lambda's longest
	// run) and maxTimeUs a line's time, so sums of weights and times plus
	// weights cannot overflow.
	maxSampleDtUs = 900_000_000
	maxTimeUs     = 1 << 60
	lostFrameName = "(lost)" // stands for frames whose lines were lost
)

// sampling holds a cold start's sampler lines until it is complete.
type sampling struct {
	procs []*samplerProc // in order of begin; procs[0] is the one reported
	marks []invokeMark
	// markBuf holds the first marks, so a cold start without samples
	// allocates nothing for them.
	markBuf [4]invokeMark
	bytes   int
	full    bool // maxSamplerBytes was hit
}

// An invokeMark is an invoke_start (with its request ID) or invoke_end marker.
type invokeMark struct {
	t     int64
	start bool
	id    string
}

// samplerProc is one sampled process (one pid) of a cold start.
type samplerProc struct {
	pid  int
	lang string
	line int // of its begin line
	info profile.SamplerInfo

	frames []profile.Frame
	// stacks: parent and frame of each stack ID; bad marks a stack whose
	// line named a frame or parent that does not exist.
	stacks []rawStack
	raw    []rawSample
	t      int64 // time of the last sample (begin's t at first)
	cutUs  int64
	ended  bool
	// endSamples is how many samples the end line says were taken.
	endSamples int
	lost       int // samples not kept (bad stack, bound hit)
}

type rawStack struct {
	parent, frame int32
	bad           bool
}

type rawSample struct {
	t, w  int64
	stack int32
}

// samplerLine reads one sampler line into st's open cold start.
func (r *Reader) samplerLine(st *stream, text []byte, num int) {
	b := r.builderFor(st, num)
	s := &b.samp
	if s.full {
		return
	}
	s.bytes += len(text)
	if s.bytes > maxSamplerBytes {
		s.full = true
		r.warn.warn("sampler-bound", num, func() string {
			return fmt.Sprintf("more than %d MB of sampler lines in one cold start (a real sampler writes at most %d lines of %d bytes): the rest are ignored", maxSamplerBytes>>20, sampleline.MaxLinesPerColdStart, sampleline.MaxLine)
		})
		return
	}
	ev, err := sampleline.Parse(text)
	if err != nil {
		r.warn.warn("sampler-line", num, func() string { return fmt.Sprintf("malformed sampler line: %v", err) })
		return
	}
	if ev.Kind == sampleline.Begin {
		r.samplerBegin(s, ev, num)
		return
	}
	p := s.proc(ev.PID)
	if p == nil {
		r.warn.warn("sampler-orphan", num, func() string {
			return fmt.Sprintf("sampler %s line of process %d without its begin line (the log starts late, or lines were lost): ignored", ev.Kind, ev.PID)
		})
		return
	}
	if p.ended {
		r.warn.warn("sampler-after-end", num, func() string {
			return fmt.Sprintf("sampler %s line of process %d after its end line: ignored", ev.Kind, ev.PID)
		})
		return
	}
	switch ev.Kind {
	case sampleline.Frames:
		r.samplerFrames(p, ev, num)
	case sampleline.Stacks:
		r.samplerStacks(p, ev, num)
	case sampleline.Samples:
		r.samplerSamples(p, ev, num)
	case sampleline.Cut:
		if p.cutUs == 0 {
			p.cutUs = ev.TimeUs
		}
	case sampleline.End:
		p.ended = true
		p.endSamples = ev.SampleCount
		p.info.StopUs = ev.TimeUs
		p.info.StoppedBy = ev.StoppedBy
		p.info.Dropped += ev.Dropped
		switch ev.StoppedBy {
		case sampleline.StoppedByInitDone, sampleline.StoppedByInvokeEnd, sampleline.StoppedByTimeout, sampleline.StoppedByExit:
		case sampleline.StoppedByError:
			r.warn.warn("sampler-error", num, func() string { return "the sampler stopped on an error: " + ev.Message })
		default:
			r.warn.warn("sampler-stopped", num, func() string {
				return fmt.Sprintf("sampler end line says it stopped by %q, which this coldprof does not know", ev.StoppedBy)
			})
		}
	}
}

func (s *sampling) proc(pid int) *samplerProc {
	for _, p := range s.procs {
		if p.pid == pid {
			return p
		}
	}
	return nil
}

func (r *Reader) samplerBegin(s *sampling, ev sampleline.Event, num int) {
	if s.proc(ev.PID) != nil {
		r.warn.warn("sampler-begin", num, func() string {
			return fmt.Sprintf("a second sampler begin line of process %d in one cold start: ignored", ev.PID)
		})
		return
	}
	if len(s.procs) > 0 {
		r.warn.warn("sampler-process", num, func() string {
			return fmt.Sprintf("samples of a second process (%d) in the cold start of process %d: only the first is reported", ev.PID, s.procs[0].pid)
		})
		if len(s.procs) >= 4 {
			return // the rest are only checked, never reported: keep few
		}
	}
	p := &samplerProc{pid: ev.PID, lang: ev.Lang, line: num, t: ev.TimeUs}
	p.info = profile.SamplerInfo{Lang: ev.Lang, IntervalUs: ev.IntervalUs, StartUs: ev.TimeUs}
	s.procs = append(s.procs, p)
}

func (r *Reader) samplerFrames(p *samplerProc, ev sampleline.Event, num int) {
	if ev.First != len(p.frames) {
		r.warn.warn("sampler-ids", num, func() string {
			return fmt.Sprintf("sampler frame IDs continue at %d, expected %d: lines were lost or repeated", ev.First, len(p.frames))
		})
	}
	for i, f := range ev.Frames {
		id := ev.First + i
		if id < len(p.frames) {
			continue // repeated: the first definition stands
		}
		if id >= maxFrames {
			r.warn.warn("sampler-frames", num, func() string {
				return fmt.Sprintf("more than %d sampled frames in one process: the rest are ignored", maxFrames)
			})
			return
		}
		for len(p.frames) < id {
			p.frames = append(p.frames, profile.Frame{Function: lostFrameName})
		}
		p.frames = append(p.frames, profile.Frame{Function: f.Function, File: f.File, Line: f.Line})
	}
}

func (r *Reader) samplerStacks(p *samplerProc, ev sampleline.Event, num int) {
	if ev.First != len(p.stacks) {
		r.warn.warn("sampler-ids", num, func() string {
			return fmt.Sprintf("sampler stack IDs continue at %d, expected %d: lines were lost or repeated", ev.First, len(p.stacks))
		})
	}
	for i, s := range ev.Stacks {
		id := ev.First + i
		if id < len(p.stacks) {
			continue
		}
		if id >= maxStacks {
			r.warn.warn("sampler-stacks", num, func() string {
				return fmt.Sprintf("more than %d sampled stacks in one process: the rest are ignored", maxStacks)
			})
			return
		}
		for len(p.stacks) < id {
			p.stacks = append(p.stacks, rawStack{bad: true})
		}
		bad := s.Parent >= id || s.Frame >= len(p.frames) || (s.Parent >= 0 && p.stacks[s.Parent].bad)
		if bad {
			r.warn.warn("sampler-stack", num, func() string {
				return fmt.Sprintf("sampler stack %d names parent %d and frame %d, not defined before it: its samples are dropped", id, s.Parent, s.Frame)
			})
		}
		p.stacks = append(p.stacks, rawStack{parent: int32(s.Parent), frame: int32(s.Frame), bad: bad})
	}
}

func (r *Reader) samplerSamples(p *samplerProc, ev sampleline.Event, num int) {
	if ev.TimeUs > maxTimeUs {
		p.lost += len(ev.Samples)
		r.warn.warn("sampler-time", num, func() string {
			return fmt.Sprintf("sampler samples line at %d µs, not a Unix time: its samples are dropped", ev.TimeUs)
		})
		return
	}
	if ev.TimeUs < p.t {
		r.warn.warn("sampler-time", num, func() string {
			return fmt.Sprintf("sampler samples line starts at %d µs, before the previous sample (%d µs): lines are out of order", ev.TimeUs, p.t)
		})
	}
	for i, s := range ev.Samples {
		if s.DtUs > maxSampleDtUs || (i > 0 && p.t > maxTimeUs) {
			p.lost++
			r.warn.warn("sampler-dt", num, func() string {
				return fmt.Sprintf("a sample standing for %d µs, longer than any Lambda run: dropped", s.DtUs)
			})
			continue
		}
		t := ev.TimeUs
		if i > 0 {
			t = p.t + s.DtUs
		}
		p.t = t
		if s.Stack >= len(p.stacks) || p.stacks[s.Stack].bad {
			p.lost++
			r.warn.warn("sampler-sample", num, func() string {
				return fmt.Sprintf("sample of stack %d, which is not defined: dropped (its %d µs stay unexplained)", s.Stack, s.DtUs)
			})
			continue
		}
		if len(p.raw) >= maxSamples {
			p.lost++
			if p.lost == 1 {
				r.warn.warn("sampler-samples", num, func() string {
					return fmt.Sprintf("more than %d samples in one process: the rest are dropped", maxSamples)
				})
			}
			continue
		}
		p.raw = append(p.raw, rawSample{t: t, w: s.DtUs, stack: int32(s.Stack)})
	}
}

// samplerMarker notes what the sample phases need from a wrapper marker:
// the start and init_done times and the invocation spans.
func (r *Reader) samplerMarker(st *stream, ev marker.Event) {
	b := st.cs
	if b == nil {
		return
	}
	switch ev.Kind {
	case marker.Start:
		if b.cs.StartUs == 0 {
			b.cs.StartUs = ev.TimeUs
		}
	case marker.InitDone:
		if b.cs.InitDoneUs == 0 {
			b.cs.InitDoneUs = ev.TimeUs
		}
	case marker.InvokeStart, marker.InvokeEnd:
		if b.samp.marks == nil {
			b.samp.marks = b.samp.markBuf[:0]
		}
		if len(b.samp.marks) < maxInvokeMarks {
			b.samp.marks = append(b.samp.marks, invokeMark{t: ev.TimeUs, start: ev.Kind == marker.InvokeStart, id: ev.RequestID})
		}
	}
}

// attachSamples puts the first sampled process's samples into cs, each with
// its phase: before init ends (the init_done marker, else the sampler's cut)
// runtime or init by its stack, after it invoke with the request ID of the
// invocation it falls in. A sample that spans a boundary is split there, so
// each phase gets exactly its share of the wall time.
func (r *Reader) attachSamples(b *builder, cs *profile.ColdStart) {
	if len(b.samp.procs) == 0 {
		return
	}
	p := b.samp.procs[0]
	info := p.info
	if !p.ended {
		info.Truncated = true
		r.warn.warn("sampler-open", p.line, func() string {
			return fmt.Sprintf("cold start %s: the sampler's lines end without an end line (the log was cut, or the process died): samples end at the last one read", cs.ID)
		})
		info.StopUs = p.t
	}
	if p.ended && p.endSamples > len(p.raw)+p.lost {
		info.Dropped += p.endSamples - len(p.raw) - p.lost
	}
	info.Dropped += p.lost
	if info.Dropped > 0 {
		info.Truncated = true
	}
	initEnd := cs.InitDoneUs
	if initEnd == 0 {
		initEnd = p.cutUs
	}
	cs.Sampler = &info
	cs.Frames = p.frames
	rules := samplerRulesFor(p.lang)

	// Materialise the stacks samples use, root first.
	index := make([]int32, len(p.stacks)) // raw ID → model index + 1
	ints, steps := 0, 0
	build := func(id int32) int32 {
		if index[id] != 0 {
			return index[id] - 1
		}
		// Walk to the root: stacks may be deep, and a hostile chain of
		// stacks must not cost quadratic time, so the walk is budgeted.
		var chain []int32
		for k := id; k >= 0; k = p.stacks[k].parent {
			if steps++; steps > 4*maxStackInts {
				return -1
			}
			chain = append(chain, p.stacks[k].frame)
		}
		if len(chain) > maxStackDepth {
			chain = chain[len(chain)-maxStackDepth:] // keep the root end
		}
		if ints+len(chain) > maxStackInts {
			return -1
		}
		ints += len(chain)
		frames := make([]int, len(chain))
		for i, f := range chain {
			frames[len(chain)-1-i] = int(f)
		}
		cs.Stacks = append(cs.Stacks, frames)
		index[id] = int32(len(cs.Stacks))
		return index[id] - 1
	}
	info.Samples = len(p.raw)
	bounds := b.samp.phaseBounds(initEnd)
	cs.Samples = make([]profile.Sample, 0, len(p.raw))
	warnedDepth := false
	prev := int32(-1) // the previous sample's stack
	// In time order a sample is cut only where it crosses a boundary, so the
	// pieces stay within maxSamples plus the boundaries (init's end and the
	// invoke marks); samples that overlap (out-of-order lines) could each be
	// cut at every boundary. Past that, one more sample's pieces at most.
	maxPieces := maxSamples + maxInvokeMarks + 1
	for n, rs := range p.raw {
		if len(cs.Samples) > maxPieces {
			info.Dropped += len(p.raw) - n
			info.Truncated = true
			r.warn.warn("sampler-overlap", p.line, func() string {
				return fmt.Sprintf("cold start %s: the samples, cut at phase boundaries, come to more than %d (sample lines overlap in time): %d samples dropped", cs.ID, maxPieces, len(p.raw)-n)
			})
			break
		}
		k := build(rs.stack)
		if k < 0 {
			info.Dropped++
			info.Truncated = true
			if !warnedDepth {
				warnedDepth = true
				r.warn.warn("sampler-depth", p.line, func() string {
					return fmt.Sprintf("cold start %s: the sampled stacks hold more than %d frames in all: samples of further stacks are dropped", cs.ID, maxStackInts)
				})
			}
			continue
		}
		// A sample that spans a boundary is cut there. The pieces before the
		// last boundary it crosses go to the previous sample's stack: the
		// boundary is where the work changed (init ended, an event was
		// handed over), and until then the work seen last went on.
		from := rs.t - rs.w
		for from < rs.t {
			to, phase, id := bounds.at(from, rs.t)
			use := k
			if to < rs.t && prev >= 0 {
				use = prev
			}
			cs.Samples = append(cs.Samples, sampleOf(rules, cs, use, from, to, phase, id))
			from = to
		}
		if rs.w == 0 {
			_, phase, id := bounds.at(rs.t, rs.t)
			cs.Samples = append(cs.Samples, sampleOf(rules, cs, k, rs.t, rs.t, phase, id))
		}
		prev = k
	}
}

// sampleOf is the model sample of stack k over (from, to]; phase "" means
// before init ended, where the stack decides between runtime and init.
func sampleOf(rules samplerRules, cs *profile.ColdStart, k int32, from, to int64, phase profile.Phase, id string) profile.Sample {
	stack := cs.Stacks[k]
	if phase == "" {
		phase = rules.phaseBeforeInitEnd(cs.Frames, stack)
	}
	return profile.Sample{TimeUs: to, WeightUs: to - from, Stack: int(k), Phase: phase, RequestID: id, InImport: rules.inImport(cs.Frames, stack)}
}

// phaseBounds are the times where a sample's phase changes, in order: init
// ends, then each invocation starts and ends.
type phaseBounds struct {
	initEnd int64
	spans   []invokeSpan
}

type invokeSpan struct {
	start, end int64 // end 0: not seen
	id         string
}

func (s *sampling) phaseBounds(initEnd int64) phaseBounds {
	pb := phaseBounds{initEnd: initEnd}
	for _, m := range s.marks {
		switch {
		case m.start:
			pb.spans = append(pb.spans, invokeSpan{start: m.t, id: m.id})
		case len(pb.spans) > 0 && pb.spans[len(pb.spans)-1].end == 0:
			pb.spans[len(pb.spans)-1].end = m.t
		}
	}
	sort.SliceStable(pb.spans, func(i, j int) bool { return pb.spans[i].start < pb.spans[j].start })
	return pb
}

// at returns where the piece of a sample beginning at from (and ending by
// to) stops being in one phase, and that phase: "" for before init ends
// (the stack decides between runtime and init), PhaseInvoke with the
// request ID of the invocation the piece falls in otherwise.
func (pb phaseBounds) at(from, to int64) (int64, profile.Phase, string) {
	if pb.initEnd == 0 || from < pb.initEnd {
		if pb.initEnd != 0 && to > pb.initEnd {
			to = pb.initEnd
		}
		return to, "", ""
	}
	for _, sp := range pb.spans {
		if from < sp.start {
			return min(to, sp.start), profile.PhaseInvoke, ""
		}
		if sp.end == 0 || from < sp.end {
			if sp.end != 0 {
				to = min(to, sp.end)
			}
			return to, profile.PhaseInvoke, sp.id
		}
	}
	return to, profile.PhaseInvoke, ""
}

// samplerRules tell, from a sample's stack, whether it was taken inside an
// import the load-time output measures and whether it is the function's
// code or the runtime's.
type samplerRules struct{ lang string }

func samplerRulesFor(lang string) samplerRules { return samplerRules{lang: lang} }

const frozenBootstrap = "<frozen importlib._bootstrap"

// inImport: Python's -X importtime times an import statement (C code that
// calls importlib's _find_and_load), not importlib.import_module (pure
// Python: _gcd_import calls _find_and_load), so only a _find_and_load whose
// caller is not _gcd_import is inside a measured import. Node.js's require
// hook times Module._load.
func (sr samplerRules) inImport(frames []profile.Frame, stack []int) bool {
	switch sr.lang {
	case "python":
		for i, f := range stack {
			fr := frames[f]
			if fr.Function == "_find_and_load" && strings.HasPrefix(fr.File, frozenBootstrap) &&
				(i == 0 || frames[stack[i-1]].Function != "_gcd_import") {
				return true
			}
		}
	case "node":
		for _, f := range stack {
			if frames[f].Function == "Module._load" {
				return true
			}
		}
	}
	return false
}

// phaseBeforeInitEnd: a Python sample is the function's (init) when it runs
// under importlib.import_module's _gcd_import, which is how the runtime
// loads the handler module; otherwise it is the runtime's own work. A
// Node.js sample is the function's when any frame is in a file outside
// Node.js's internals and the runtime's directories.
func (sr samplerRules) phaseBeforeInitEnd(frames []profile.Frame, stack []int) profile.Phase {
	switch sr.lang {
	case "python":
		for _, f := range stack {
			if fr := frames[f]; fr.Function == "_gcd_import" && strings.HasPrefix(fr.File, frozenBootstrap) {
				return profile.PhaseInit
			}
		}
		return profile.PhaseRuntime
	case "node":
		for _, f := range stack {
			if file := frames[f].File; file != "" && !strings.HasPrefix(file, "node:") &&
				!strings.HasPrefix(file, "/var/runtime/") && !strings.Contains(file, "aws-lambda-ric") &&
				!isColdprofHook(file) {
				return profile.PhaseInit
			}
		}
		return profile.PhaseRuntime
	}
	return profile.PhaseInit
}

// isColdprofHook reports whether file is one of the hooks the wrapper
// injects into Node.js (wrapper/hooks/node): its require hook wraps
// Module._load, so its frames are on the stack of every require, the
// runtime's too.
func isColdprofHook(file string) bool {
	base := file[strings.LastIndexByte(file, '/')+1:]
	return base == "coldprof-require.cjs" || base == "sampler.cjs" || base == "esm-hooks.mjs"
}
