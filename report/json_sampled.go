package report

import (
	"github.com/coldprof/coldprof/profile"
)

// JSONInitParts is where init went (README.md, "Where init went"): integers
// in µs that add up to Init Duration, or to the start→init_done span of the
// wrapper's markers when the log has no Init Duration.
type JSONInitParts struct {
	InterpreterUs int64 `json:"interpreterUs"`
	RuntimeUs     int64 `json:"runtimeUs"`
	ImportsUs     int64 `json:"importsUs"`
	CodeUs        int64 `json:"codeUs"`
	UnexplainedUs int64 `json:"unexplainedUs"`
}

// JSONFunction is one sampled function outside imports in one phase.
type JSONFunction struct {
	Name    string `json:"name"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Phase   string `json:"phase"`
	SelfUs  int64  `json:"selfUs"`
	TotalUs int64  `json:"totalUs"`
	Samples int    `json:"samples"`
}

// JSONSampler is the sampler run behind a cold start's samples.
type JSONSampler struct {
	IntervalUs int64 `json:"intervalUs"`
	Samples    int   `json:"samples"`
	// StoppedBy is init_done, invoke_end, timeout, exit or error; null
	// when the log lost the sampler's end line.
	StoppedBy *string `json:"stoppedBy"`
}

// addJSONSampled fills j's init parts, functions (of phase, "" for all)
// and sampler.
func addJSONSampled(j *JSONColdStart, cs *profile.ColdStart, phase profile.Phase, totals map[profile.Phase]profile.PhaseTotal) {
	if p := newInitParts(cs, totals); p != nil {
		j.InitParts = &JSONInitParts{InterpreterUs: p.InterpreterUs, RuntimeUs: p.RuntimeUs, ImportsUs: p.ImportsUs, CodeUs: p.CodeUs, UnexplainedUs: p.UnexplainedUs}
	}
	j.Functions = []JSONFunction{}
	for _, f := range NewFunctions(cs) {
		if phase != "" && f.Phase != phase {
			continue
		}
		j.Functions = append(j.Functions, JSONFunction{Name: f.Name, File: f.File, Line: f.Line, Phase: string(f.Phase), SelfUs: f.SelfUs, TotalUs: f.TotalUs, Samples: f.Samples})
	}
	if cs.Sampler != nil && len(cs.Samples) > 0 {
		j.Sampler = &JSONSampler{IntervalUs: cs.Sampler.IntervalUs, Samples: samplesTaken(cs), StoppedBy: nullable(cs.Sampler.StoppedBy)}
	}
}

// samplesTaken is how many samples the sampler took as read, not counting
// the pieces a sample is cut into at phase boundaries (a model built
// without SamplerInfo.Samples falls back to the model's count).
func samplesTaken(cs *profile.ColdStart) int {
	if cs.Sampler.Samples > 0 {
		return cs.Sampler.Samples
	}
	return len(cs.Samples)
}
