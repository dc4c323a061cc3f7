package report

import "github.com/coldprof/coldprof/profile"

// MetricFunction is a sampled function outside imports, named
// "file:line function" (Function.Where): its total sampled wall time in
// the cold start, over every phase, as a module's is its cumulative time.
const MetricFunction MetricKind = "function"

// rolledUp reports whether a metric is one name among many (a module, a
// package, a function), whose absence on a side counts as 0 µs.
func (k MetricKind) rolledUp() bool {
	return k == MetricModule || k == MetricPackage || k == MetricFunction
}

// addFunctions records each sampled function's total time in cs (its
// phase: the one it spent most time in). Cold starts without samples add
// nothing, and a side without any leaves the functions out of the diff.
func (s *DiffSide) addFunctions(cs *profile.ColdStart) {
	if len(cs.Samples) == 0 {
		return
	}
	if s.functions == nil {
		s.functions = map[string]*moduleSamples{}
	}
	s.sampled++
	total := map[string]int64{}
	phase := map[string]profile.Phase{}
	best := map[string]int64{}
	for _, f := range NewFunctions(cs) {
		key := f.Where()
		total[key] += f.TotalUs
		if f.TotalUs > best[key] || phase[key] == "" {
			best[key], phase[key] = f.TotalUs, f.Phase
		}
	}
	for key, us := range total {
		m := s.functions[key]
		if m == nil {
			m = &moduleSamples{}
			s.functions[key] = m
		}
		m.phase = phase[key]
		m.cumulative = append(m.cumulative, us)
	}
}

// compareFunctions is compareRollups for functions, empty unless both
// sides have samples: a side with the sampler off says nothing about them.
func compareFunctions(before, after *DiffSide) []DiffRow {
	if before.sampled == 0 || after.sampled == 0 {
		return []DiffRow{}
	}
	return compareRollups(before, after, MetricFunction)
}
