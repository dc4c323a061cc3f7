// Package profile holds coldprof's model: cold starts, their import trees and
// the phases the loaded units belong to.
//
// Parsers build these values and the report package only reads them. The
// package imports nothing of coldprof's own, so every stage can depend on it.
package profile

import (
	"errors"
	"fmt"
)

// A Phase says when a unit (module, class, file) was loaded during a cold start.
type Phase string

// The phases, in the order they happen in a cold start.
const (
	// PhaseInterpreter is the interpreter's own start-up, before any runtime code runs.
	PhaseInterpreter Phase = "interpreter"
	// PhaseRuntime is the Lambda runtime client's own loading.
	PhaseRuntime Phase = "runtime"
	// PhaseInit is the function's global scope: the handler module and what it loads.
	PhaseInit Phase = "init"
	// PhaseInvoke is loading that happened while an invocation ran (handler-time imports).
	PhaseInvoke Phase = "invoke"
)

// Phases lists every phase in the order they happen; reports iterate it so
// their output order is fixed.
var Phases = []Phase{PhaseInterpreter, PhaseRuntime, PhaseInit, PhaseInvoke}

// Valid reports whether p is one of the four phases.
func (p Phase) Valid() bool {
	switch p {
	case PhaseInterpreter, PhaseRuntime, PhaseInit, PhaseInvoke:
		return true
	}
	return false
}

// A Boundary says how the init/invoke boundary of a cold start was found.
// Reports show it so that a guess is never presented as a measurement.
type Boundary string

// The ways a boundary can be found, from most to least trustworthy.
const (
	// BoundaryExact comes from the wrapper's runtime-API proxy markers.
	BoundaryExact Boundary = "exact"
	// BoundaryPlatform comes from Lambda's own START / platform.start lines.
	BoundaryPlatform Boundary = "platform"
	// BoundaryHeuristic comes from module names and order alone.
	BoundaryHeuristic Boundary = "heuristic"
	// BoundaryUnknown means there was nothing to go on.
	BoundaryUnknown Boundary = "unknown"
)

// A Format names the line grammar a cold start's imports were read from.
type Format string

// The grammars coldprof reads.
const (
	FormatPythonImporttime Format = "python-importtime"
	FormatNodeRequire      Format = "node-require"
	FormatJavaClassLoad    Format = "java-classload"
	FormatRubyRequire      Format = "ruby-require"
)

// OriginSharedArchive is the Origin of a Java class the JVM mapped from its
// class-data-sharing archive (CDS) instead of parsing it, so a report can
// show how much the archive served.
const OriginSharedArchive = "shared objects file"

// A Profile is everything read from one or more inputs.
type Profile struct {
	ColdStarts []*ColdStart
	Warnings   []Warning
}

// A Warning is a problem with the input that did not stop it being read.
type Warning struct {
	// Where is "file:line", or just the file (or cold start ID) when no line applies.
	Where   string
	Message string
}

func (w Warning) String() string { return w.Where + ": " + w.Message }

// A ColdStart is one execution environment's start: everything loaded from
// the interpreter's start-up until the last invocation seen in the log.
type ColdStart struct {
	// ID is the log stream name, or "source#N" when the log has none.
	ID string
	// Runtime is the Lambda runtime identifier ("python3.12"), "" when unknown.
	Runtime string
	// Handler is the function's handler setting, "" when unknown.
	Handler string
	Format  Format
	// InitDurationMs is Lambda's (or the emulator's) reported init duration;
	// HasInitDuration is false when the log carried none.
	InitDurationMs  float64
	HasInitDuration bool
	// InitDurationFrom says which line InitDurationMs came from:
	// InitFromReport or InitFromInitReport.
	InitDurationFrom string
	Boundary         Boundary
	// InitType is how Lambda started the execution environment
	// (AWS_LAMBDA_INITIALIZATION_TYPE, from the wrapper's start marker or the
	// JSON log format's initializationType): one of the InitType* constants,
	// "" when the log does not say.
	InitType string
	// InitReports are Lambda's INIT_REPORT lines, in log order (an init
	// that timed out and was retried at the first invocation has two).
	InitReports []InitReport
	// Restored is set for a SnapStart-restored execution environment
	// (RESTORE_START, or an init_done marker via restore/next): it resumed
	// from a snapshot, so its imports are those that ran after the restore.
	Restored bool
	// RestoreDurationMs and BilledRestoreDurationMs are Lambda's Restore
	// Duration and Billed Restore Duration; HasRestoreDuration is false when
	// the log carried none.
	RestoreDurationMs       float64
	BilledRestoreDurationMs float64
	HasRestoreDuration      bool
	// Imports are the top-level entries in log order.
	Imports []*Import
	// Invocations are the invocations seen after init, in log order.
	Invocations []Invocation
	// Source and Line locate the cold start's first line in the input.
	Source string
	Line   int
	// Truncated is set when the log ended (or a new cold start began) while
	// imports were still open; the open entries are not in Imports.
	Truncated bool

	// StartUs and InitDoneUs are the wrapper's start and init_done marker
	// times, Unix microseconds; 0 when the log has no such marker.
	StartUs, InitDoneUs int64

	// Arch is the start marker's architecture ("x86_64", "arm64"; "" when
	// unknown). Findings price init with it and REPORT's Memory Size.
	Arch string

	// Sampled stacks, when the wrapper's sampler ran in the runtime process
	// (nil Sampler otherwise). Frames are shared by Stacks; each stack lists
	// frame indices root first. Samples are in time order.
	Frames  []Frame
	Stacks  [][]int
	Samples []Sample
	Sampler *SamplerInfo
}

// An Invocation is one request handled by a cold start's runtime. Its
// figures come from Lambda's REPORT line (Reported is false without one).
type Invocation struct {
	RequestID        string
	DurationMs       float64 // 0 when unknown
	BilledDurationMs float64 // 0 when unknown
	MemorySizeMB     int64   // 0 when unknown
	MaxMemoryUsedMB  int64   // 0 when unknown
	// Status is REPORT's status when it is not success ("timeout", "error").
	Status   string
	Reported bool
}

// The initialization types Lambda sets in AWS_LAMBDA_INITIALIZATION_TYPE
// (reference/lambda-runtime.md §8.3).
const (
	InitTypeOnDemand    = "on-demand"
	InitTypeProvisioned = "provisioned-concurrency"
	InitTypeSnapStart   = "snap-start"
	InitTypeManaged     = "lambda-managed-instances"
)

// ValidInitType reports whether t is one of the InitType* constants.
func ValidInitType(t string) bool {
	switch t {
	case InitTypeOnDemand, InitTypeProvisioned, InitTypeSnapStart, InitTypeManaged:
		return true
	}
	return false
}

// Where ColdStart.InitDurationMs came from.
const (
	// InitFromReport is the Init Duration of the first invocation's REPORT
	// line (an on-demand cold start; the emulator prints one too).
	InitFromReport = "REPORT"
	// InitFromInitReport is an INIT_REPORT line's Init Duration (provisioned
	// concurrency, SnapStart's snapshot, or an init that failed).
	InitFromInitReport = "INIT_REPORT"
)

// An InitReport is one INIT_REPORT line (platform.initReport).
type InitReport struct {
	DurationMs  float64
	HasDuration bool
	// Phase is "init" or "invoke" (an init retried at the first
	// invocation); Status "success", "timeout", "error" or "failure";
	// ErrorType is set on failure. Each is "" when the line has none.
	Phase, Status, ErrorType string
}

// An Import is one loaded unit and the units it loaded while it was loading.
type Import struct {
	Name string
	// SelfUs is the time spent in this unit alone, CumulativeUs including its
	// children, both in microseconds.
	SelfUs       int64
	CumulativeUs int64
	Phase        Phase
	// RequestID is set for PhaseInvoke entries when the invocation is known.
	RequestID string
	// Cached marks Python 3.14's "cached" lines: the unit was already loaded
	// and no time was measured.
	Cached bool
	// Origin is where the unit came from when the grammar says so: a jar, the
	// JVM's shared archive, a file path. Empty otherwise.
	Origin   string
	Line     int // line in the source input, 0 when unknown
	Children []*Import
}

// Walk calls fn for imp and every descendant, parents before children, with
// the depth of each (imp itself at depth 0). It stops early when fn returns false
// for a node, skipping that node's children only.
func (imp *Import) Walk(fn func(imp *Import, depth int) bool) {
	imp.walk(fn, 0)
}

func (imp *Import) walk(fn func(*Import, int) bool, depth int) {
	if !fn(imp, depth) {
		return
	}
	for _, c := range imp.Children {
		c.walk(fn, depth+1)
	}
}

// Walk calls fn for every import of the cold start, parents before children.
func (cs *ColdStart) Walk(fn func(imp *Import, depth int) bool) {
	for _, imp := range cs.Imports {
		imp.Walk(fn)
	}
}

// PhaseTotal is the time and number of entries of one phase.
type PhaseTotal struct {
	Us    int64
	Count int
}

// PhaseTotals sums each phase: Us is the cumulative time of the phase's
// top-level entries, Count the number of its entries at any depth (design.md),
// Cached look-ups left out: they load nothing.
func (cs *ColdStart) PhaseTotals() map[Phase]PhaseTotal {
	totals := make(map[Phase]PhaseTotal, len(Phases))
	for _, p := range Phases {
		totals[p] = PhaseTotal{}
	}
	for _, top := range cs.Imports {
		t := totals[top.Phase]
		t.Us += top.CumulativeUs
		top.Walk(func(imp *Import, _ int) bool {
			if !imp.Cached {
				t.Count++
			}
			return true
		})
		totals[top.Phase] = t
	}
	return totals
}

// TotalUs is the sum of the cumulative times of the top-level entries.
func (cs *ColdStart) TotalUs() int64 {
	var sum int64
	for _, imp := range cs.Imports {
		sum += imp.CumulativeUs
	}
	return sum
}

// ErrInvalid is wrapped by every error CheckValid returns.
var ErrInvalid = errors.New("invalid profile")

// CheckValid reports the first structural problem in p: a nil cold start or
// import, an unknown phase or boundary, negative times, a child whose phase
// differs from its root's. Parsers call it in tests; a report never needs to.
func (p *Profile) CheckValid() error {
	for i, cs := range p.ColdStarts {
		if cs == nil {
			return fmt.Errorf("%w: cold start %d is nil", ErrInvalid, i)
		}
		if err := cs.CheckValid(); err != nil {
			return err
		}
	}
	return nil
}

// CheckValid reports the first structural problem in cs.
func (cs *ColdStart) CheckValid() error {
	switch cs.Boundary {
	case BoundaryExact, BoundaryPlatform, BoundaryHeuristic, BoundaryUnknown:
	default:
		return fmt.Errorf("%w: cold start %q: unknown boundary %q", ErrInvalid, cs.ID, cs.Boundary)
	}
	if cs.InitType != "" && !ValidInitType(cs.InitType) {
		return fmt.Errorf("%w: cold start %q: unknown init type %q", ErrInvalid, cs.ID, cs.InitType)
	}
	for i, top := range cs.Imports {
		if top == nil {
			return fmt.Errorf("%w: cold start %q: import %d is nil", ErrInvalid, cs.ID, i)
		}
		if !top.Phase.Valid() {
			return fmt.Errorf("%w: cold start %q: import %q has unknown phase %q", ErrInvalid, cs.ID, top.Name, top.Phase)
		}
		if err := checkImport(cs.ID, top, top.Phase); err != nil {
			return err
		}
	}
	return cs.checkSamples()
}

// checkSamples reports the first sample or stack that points nowhere, a
// negative weight, an unknown phase or a request ID outside invoke.
func (cs *ColdStart) checkSamples() error {
	for i, st := range cs.Stacks {
		for _, f := range st {
			if f < 0 || f >= len(cs.Frames) {
				return fmt.Errorf("%w: cold start %q: stack %d names frame %d of %d", ErrInvalid, cs.ID, i, f, len(cs.Frames))
			}
		}
	}
	for i, s := range cs.Samples {
		switch {
		case s.Stack < 0 || s.Stack >= len(cs.Stacks):
			return fmt.Errorf("%w: cold start %q: sample %d names stack %d of %d", ErrInvalid, cs.ID, i, s.Stack, len(cs.Stacks))
		case s.WeightUs < 0:
			return fmt.Errorf("%w: cold start %q: sample %d has a negative weight", ErrInvalid, cs.ID, i)
		case !s.Phase.Valid():
			return fmt.Errorf("%w: cold start %q: sample %d has unknown phase %q", ErrInvalid, cs.ID, i, s.Phase)
		case s.Phase != PhaseInvoke && s.RequestID != "":
			return fmt.Errorf("%w: cold start %q: sample %d has a request ID outside the invoke phase", ErrInvalid, cs.ID, i)
		}
	}
	if len(cs.Samples) > 0 && cs.Sampler == nil {
		return fmt.Errorf("%w: cold start %q: samples without sampler information", ErrInvalid, cs.ID)
	}
	return nil
}

func checkImport(id string, imp *Import, phase Phase) error {
	if imp.SelfUs < 0 || imp.CumulativeUs < 0 {
		return fmt.Errorf("%w: cold start %q: import %q has negative time", ErrInvalid, id, imp.Name)
	}
	if imp.Phase != phase {
		return fmt.Errorf("%w: cold start %q: import %q is in phase %q under a %q root", ErrInvalid, id, imp.Name, imp.Phase, phase)
	}
	if imp.Phase != PhaseInvoke && imp.RequestID != "" {
		return fmt.Errorf("%w: cold start %q: import %q has a request ID outside the invoke phase", ErrInvalid, id, imp.Name)
	}
	for _, c := range imp.Children {
		if c == nil {
			return fmt.Errorf("%w: cold start %q: import %q has a nil child", ErrInvalid, id, imp.Name)
		}
		if err := checkImport(id, c, phase); err != nil {
			return err
		}
	}
	return nil
}

// A Frame is one function in the sampled stacks of a cold start: the
// function's name, its source file and the line its definition starts on
// (so all samples in one function share a frame, whatever line was running).
type Frame struct {
	Function string
	File     string
	Line     int // 0 when unknown
}

// A Sample is one wall-clock sample of the runtime's main thread, taken by the
// sampler the wrapper injects into the runtime process.
type Sample struct {
	// TimeUs is when the sample was taken, Unix time in microseconds (the
	// same clock as the wrapper's markers).
	TimeUs int64
	// WeightUs is the wall time the sample stands for: the time since the
	// previous sample. Counting samples instead is biased (see the sampler
	// notes in wrapper/hooks/README.md).
	WeightUs int64
	// Stack indexes ColdStart.Stacks.
	Stack int
	Phase Phase
	// RequestID is set for PhaseInvoke samples when the invocation is known.
	RequestID string
	// InImport is set when the sample was taken inside an import the
	// interpreter's own load-time output measures (Python: a _find_and_load
	// called by an import statement, not by importlib.import_module), so its
	// time is already in the import tree and must not be counted again.
	InImport bool
}

// SamplerInfo describes the sampler run that produced a cold start's samples.
type SamplerInfo struct {
	// Lang is the sampler's runtime language ("python", "node").
	Lang string
	// IntervalUs is the interval the sampler was asked for.
	IntervalUs int64
	// StartUs and StopUs bound the sampled span, Unix microseconds.
	StartUs, StopUs int64
	// StoppedBy says what ended sampling: StoppedByInitDone, StoppedByInvokeEnd,
	// StoppedByTimeout, StoppedByExit or StoppedByError.
	StoppedBy string
	// Dropped counts samples the sampler did not write (its line bound was
	// hit, or lines were lost); Truncated is set when that happened.
	Dropped   int
	Truncated bool
	// Samples counts the samples read. ColdStart.Samples can hold more:
	// a sample spanning a phase boundary is cut in two there.
	Samples int
}

// The reasons a sampler stops (SamplerInfo.StoppedBy).
const (
	StoppedByInitDone  = "init_done"
	StoppedByInvokeEnd = "invoke_end"
	StoppedByTimeout   = "timeout"
	StoppedByExit      = "exit"
	StoppedByError     = "error"
)
