package report

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/coldprof/coldprof/profile"
)

// SampledSummary is what a cold start's samples add to its Summary: where
// init went, and the functions that took the init's time outside imports.
type SampledSummary struct {
	InitParts *InitParts // nil when the log gives no init total
	// Functions are the Options.Top init functions outside imports by
	// total time, FunctionsBySelf by self time; InImports the Options.Top
	// init functions by self time inside imports.
	Functions       []Function
	FunctionsBySelf []Function
	InImports       []Function
	Sampler         profile.SamplerInfo
	Samples         int
}

// newSampledSummary is nil for a cold start without samples: its report
// stays as it was before the sampler existed.
func newSampledSummary(cs *profile.ColdStart, opts Options) *SampledSummary {
	if cs.Sampler == nil || len(cs.Samples) == 0 {
		return nil
	}
	return &SampledSummary{
		InitParts:       NewInitParts(cs),
		Functions:       topFunctions(NewFunctions(cs), profile.PhaseInit, opts.top()),
		FunctionsBySelf: topBySelf(NewFunctions(cs), profile.PhaseInit, opts.top()),
		InImports:       topBySelf(newFunctions(cs, true), profile.PhaseInit, opts.top()),
		Sampler:         *cs.Sampler,
		Samples:         samplesTaken(cs),
	}
}

// The parts' names as reports show them, in order.
var initPartNames = []string{"interpreter start-up", "runtime", "imports", "your code outside imports", "unexplained"}

// values returns the parts in initPartNames order.
func (p *InitParts) values() []int64 {
	return []int64{p.InterpreterUs, p.RuntimeUs, p.ImportsUs, p.CodeUs, p.UnexplainedUs}
}

// sampledSections is "where init went" and the top init functions, at the
// top of a cold start's text report; nothing without samples.
func sampledSections(s *Summary) []section {
	ss := s.Sampled
	if ss == nil {
		return nil
	}
	var out []section
	if p := ss.InitParts; p != nil {
		total := "Init Duration"
		if !p.FromInitDuration {
			total = "the time from the wrapper's start marker to init_done (the log has no Init Duration)"
		}
		sec := section{title: "Where init went", level: 2, grid: &grid{
			header: []string{"PART", "TIME", "SHARE", "MEASURED BY"},
			right:  []bool{false, true, true, false},
		}}
		how := []string{
			"the wrapper's start marker to the sampler's start",
			"runtime imports (exact) + samples in the runtime's code",
			"the interpreter's load-time lines (exact)",
			"samples outside imports",
			"what nothing measured",
		}
		for i, v := range p.values() {
			sec.grid.rows = append(sec.grid.rows, []string{initPartNames[i], formatMs(v), percent(v, p.TotalUs), how[i]})
		}
		sec.notes = append(sec.notes, fmt.Sprintf("The parts add up to %s, %s.", total, formatMs(p.TotalUs)))
		sec.notes = append(sec.notes, samplerNote(ss, p))
		if p.OverUs > 0 {
			sec.notes = append(sec.notes, fmt.Sprintf("The measured parts came to %s more than that (an emulator's Init Duration, or a boundary off); sampled parts were cut first.", formatMs(p.OverUs)))
		}
		out = append(out, sec)
	}
	var whole int64
	if ss.InitParts != nil {
		whole = ss.InitParts.TotalUs
	}
	if len(ss.Functions) == 0 && len(ss.FunctionsBySelf) == 0 && len(out) > 0 {
		// Two empty "Top 0" tables would read as a fault; one sentence says it.
		out[len(out)-1].notes = append(out[len(out)-1].notes, "No sample of init fell outside imports: the global scope only imports.")
	}
	for _, by := range []struct {
		name string
		fns  []Function
	}{{"self", ss.FunctionsBySelf}, {"total", ss.Functions}} {
		if len(by.fns) == 0 {
			continue
		}
		fns := section{title: fmt.Sprintf("Top %d functions in init outside imports, by %s time", len(by.fns), by.name), level: 2, grid: &grid{
			header: []string{"FUNCTION", "SELF", "SELF %", "TOTAL", "TOTAL %"},
			right:  []bool{false, true, true, true, true},
		}}
		for _, f := range by.fns {
			fns.grid.rows = append(fns.grid.rows, []string{f.Where(), formatMs(f.SelfUs), percent(f.SelfUs, whole), formatMs(f.TotalUs), percent(f.TotalUs, whole)})
		}
		if by.name == "self" {
			fns.notes = []string{"Sampled wall time: self while the function was innermost, total while it was on the stack; % of the init total. Time inside imports is in the import tables instead."}
		}
		out = append(out, fns)
	}
	if len(ss.InImports) > 0 {
		in := section{title: fmt.Sprintf("Top %d functions inside init's imports, by self time", len(ss.InImports)), level: 2, grid: &grid{
			header: []string{"FUNCTION", "SELF", "SELF %"},
			right:  []bool{false, true, true},
		}}
		for _, f := range ss.InImports {
			in.grid.rows = append(in.grid.rows, []string{f.Where(), formatMs(f.SelfUs), percent(f.SelfUs, whole)})
		}
		in.notes = []string{"What the imports' own code spent their (measured) time on, as sampled: a module's top-level code (<module>), or importlib compiling source (source_to_code) when a package ships no bytecode."}
		out = append(out, in)
	}
	return out
}

// topBySelf returns up to n functions of phase with self time, largest first.
func topBySelf(fns []Function, phase profile.Phase, n int) []Function {
	var out []Function
	for _, f := range fns {
		if f.Phase == phase && f.SelfUs > 0 {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SelfUs > out[j].SelfUs })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// samplerNote says how the samples were taken and how far to trust the split.
func samplerNote(ss *SampledSummary, p *InitParts) string {
	info := ss.Sampler
	note := fmt.Sprintf("Sampled every %s (%s) over %s, stopped by %s", formatMs(info.IntervalUs), strconv.Itoa(ss.Samples)+" samples",
		formatMs(info.StopUs-info.StartUs), orUnknown(info.StoppedBy))
	if !p.Exact {
		note += "; the end of init is not exact (no init_done marker or cut: the sampler ran without the runtime-API proxy), so code after init may be counted as init"
	}
	if info.Truncated {
		note += fmt.Sprintf("; %d samples were lost (the sampler's line bound, or lines missing from the log), their time is unexplained", info.Dropped)
	}
	return note + "."
}
