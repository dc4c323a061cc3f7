package report

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// InitParts splits a cold start's init into parts that add up to TotalUs
// (README.md, "Where init went", defines each part):
//
//   - InterpreterUs: with samples, the time from the wrapper's start marker
//     to the sampler's first moment (exec, interpreter start-up and its
//     imports up to then); without, the interpreter phase's imports.
//   - RuntimeUs: the runtime phase's imports, plus sampled time before init
//     ended in the runtime's own code outside imports.
//   - ImportsUs: the init phase's imports (exact, from the load-time lines).
//   - CodeUs: sampled time before init ended in the function's code outside
//     imports (samples inside imports are already in ImportsUs or RuntimeUs).
//   - UnexplainedUs: the rest, never negative.
type InitParts struct {
	InterpreterUs, RuntimeUs, ImportsUs, CodeUs, UnexplainedUs int64
	// TotalUs is Init Duration when the log has one (FromInitDuration),
	// else the start→init_done span of the wrapper's markers.
	TotalUs          int64
	FromInitDuration bool
	// Sampled is set when the parts used samples; Exact when the samples'
	// end of init came from the init_done marker or the sampler's cut.
	Sampled, Exact bool
	// OverUs is how much the measured parts exceeded TotalUs before they
	// were cut down to it (an emulator's Init Duration, clock skew); 0 normally.
	OverUs int64
}

// NewInitParts computes cs's init parts, or nil when the log gives no total
// (no Init Duration and no start and init_done markers).
func NewInitParts(cs *profile.ColdStart) *InitParts {
	if !cs.HasInitDuration && (cs.StartUs <= 0 || cs.InitDoneUs <= cs.StartUs) {
		return nil
	}
	return newInitParts(cs, cs.PhaseTotals())
}

// newInitParts is NewInitParts with the phase totals already computed (a
// walk over every import: reports of huge trees do it once).
func newInitParts(cs *profile.ColdStart, totals map[profile.Phase]profile.PhaseTotal) *InitParts {
	p := &InitParts{}
	switch {
	case cs.HasInitDuration:
		// Bounded before the conversion: a garbled REPORT line's huge value
		// must not wrap around to a negative total.
		p.TotalUs, p.FromInitDuration = int64(math.Round(min(cs.InitDurationMs, 1e12)*1000)), true
	case cs.StartUs > 0 && cs.InitDoneUs > cs.StartUs:
		p.TotalUs = cs.InitDoneUs - cs.StartUs
	default:
		return nil
	}
	p.RuntimeUs = totals[profile.PhaseRuntime].Us
	p.ImportsUs = totals[profile.PhaseInit].Us
	sampler := cs.Sampler
	if sampler != nil && len(cs.Samples) > 0 {
		p.Sampled = true
		p.Exact = cs.InitDoneUs > 0 || sampler.StoppedBy == profile.StoppedByInitDone || sampler.StoppedBy == profile.StoppedByInvokeEnd
		if cs.StartUs > 0 && sampler.StartUs >= cs.StartUs {
			p.InterpreterUs = sampler.StartUs - cs.StartUs
		} else {
			p.InterpreterUs = totals[profile.PhaseInterpreter].Us
		}
		for _, s := range cs.Samples {
			if s.InImport {
				continue
			}
			switch s.Phase {
			case profile.PhaseRuntime:
				p.RuntimeUs += s.WeightUs
			case profile.PhaseInit:
				p.CodeUs += s.WeightUs
			}
		}
	} else {
		p.InterpreterUs = totals[profile.PhaseInterpreter].Us
	}
	// Garbled logs can hold absurd times (and sums that wrapped around):
	// bound each part so the sum cannot overflow.
	for _, part := range []*int64{&p.InterpreterUs, &p.RuntimeUs, &p.ImportsUs, &p.CodeUs} {
		*part = max(0, min(*part, 1<<60))
	}
	sum := p.InterpreterUs + p.RuntimeUs + p.ImportsUs + p.CodeUs
	if sum <= p.TotalUs {
		p.UnexplainedUs = p.TotalUs - sum
		return p
	}
	// More measured than the total: cut the least certain parts first
	// (sampled code, the runtime, the interpreter span), imports last.
	p.OverUs = sum - p.TotalUs
	over := p.OverUs
	for _, part := range []*int64{&p.CodeUs, &p.RuntimeUs, &p.InterpreterUs, &p.ImportsUs} {
		cut := min(*part, over)
		*part -= cut
		over -= cut
	}
	return p
}

// A Function is one sampled function in one phase: the wall time of the
// samples it was the innermost function of (SelfUs), and of the samples it
// was anywhere on the stack of (TotalUs, counted once per sample however
// often it recurses). Samples inside measured imports are left out: their
// time is in the import tree.
type Function struct {
	Name    string
	File    string
	Line    int
	Phase   profile.Phase
	SelfUs  int64
	TotalUs int64
	Samples int
}

// Where is "file:line function", or without the line when unknown.
func (f Function) Where() string {
	var b strings.Builder
	if f.File != "" {
		b.WriteString(f.File)
		if f.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(f.Line))
		}
		b.WriteByte(' ')
	}
	b.WriteString(f.Name)
	return b.String()
}

// NewFunctions lists cs's sampled functions outside imports, by phase,
// largest TotalUs first (then SelfUs, phase, file, line, name: a fixed order).
func NewFunctions(cs *profile.ColdStart) []Function { return newFunctions(cs, false) }

// newFunctions is NewFunctions over the samples outside imports, or over
// those inside them (what inside an import's own code took the time).
func newFunctions(cs *profile.ColdStart, inImports bool) []Function {
	if len(cs.Samples) == 0 {
		return []Function{}
	}
	type key struct {
		frame int
		phase profile.Phase
	}
	index := map[key]int{}
	var out []Function
	seen := map[int]int{} // frame → index of the last sample counting it
	for n, s := range cs.Samples {
		if s.InImport != inImports {
			continue
		}
		frames := functionFrames(cs, cs.Stacks[s.Stack], s.Phase)
		if len(frames) == 0 {
			continue
		}
		for i, f := range frames {
			k := key{f, s.Phase}
			at, ok := index[k]
			if !ok {
				fr := cs.Frames[f]
				at = len(out)
				index[k] = at
				out = append(out, Function{Name: fr.Function, File: fr.File, Line: fr.Line, Phase: s.Phase})
			}
			if i == len(frames)-1 {
				out[at].SelfUs += s.WeightUs
			}
			if last, ok := seen[f]; ok && last == n+1 {
				continue // recursion: once per sample
			}
			seen[f] = n + 1
			out[at].TotalUs += s.WeightUs
			out[at].Samples++
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.TotalUs != b.TotalUs:
			return a.TotalUs > b.TotalUs
		case a.SelfUs != b.SelfUs:
			return a.SelfUs > b.SelfUs
		case a.Phase != b.Phase:
			return phaseIndex(a.Phase) < phaseIndex(b.Phase)
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		}
		return a.Name < b.Name
	})
	if out == nil {
		out = []Function{}
	}
	return out
}

// frozenImportlib is the file name of Python's import machinery frames
// (<frozen importlib._bootstrap> and <frozen importlib._bootstrap_external>).
const frozenImportlib = "<frozen importlib._bootstrap"

// functionFrames is the part of a stack that is about the sample's phase:
// for the function's init, what runs under importlib.import_module's
// _gcd_import (the runtime loading the handler). Python's import machinery
// between the function's frames only says "an import is running" and is
// left out; after the function's last frame it is kept, since it is what
// the time went to (get_code → source_to_code: compiling source).
func functionFrames(cs *profile.ColdStart, stack []int, phase profile.Phase) []int {
	start := 0
	if phase == profile.PhaseInit {
		for i, f := range stack {
			if fr := cs.Frames[f]; fr.Function == "_gcd_import" && strings.HasPrefix(fr.File, frozenImportlib) {
				start = i + 1
				break
			}
		}
	}
	lastOwn := -1
	for i := start; i < len(stack); i++ {
		if !strings.HasPrefix(cs.Frames[stack[i]].File, frozenImportlib) {
			lastOwn = i
		}
	}
	out := make([]int, 0, len(stack)-start)
	for i := start; i < len(stack); i++ {
		if i > lastOwn || !strings.HasPrefix(cs.Frames[stack[i]].File, frozenImportlib) {
			out = append(out, stack[i])
		}
	}
	return out
}

// topFunctions returns up to n functions of phase.
func topFunctions(fns []Function, phase profile.Phase, n int) []Function {
	var out []Function
	for _, f := range fns {
		if f.Phase == phase {
			out = append(out, f)
			if len(out) == n {
				break
			}
		}
	}
	return out
}
