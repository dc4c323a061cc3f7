package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// Lambda's lifecycle variants (reference/lambda-runtime.md §6, §8): how an
// execution environment was started decides which limit applies to its
// init, whether that init was on a request's path, and which durations
// Lambda logs for it.

// AheadInitLimitUs is the least Lambda allows an init that runs ahead of
// requests (provisioned concurrency, SnapStart's snapshot, Lambda Managed
// Instances): 130 s, or the function's timeout when that is higher (at
// most 15 min); a log does not carry the timeout, so reports use 130 s.
const AheadInitLimitUs = 130_000_000

// RestoreLimitUs is SnapStart's limit on a restore: loading the runtime and
// running the after-restore hooks must end within 10 s.
const RestoreLimitUs = 10_000_000

// A Kind is what sort of cold start a log shows.
type Kind string

// The kinds of cold start.
const (
	// KindOnDemand is an init on the first request's path (also when the
	// log does not say, and nothing suggests otherwise).
	KindOnDemand Kind = "on-demand"
	// KindProvisioned is a provisioned-concurrency init, ahead of requests.
	KindProvisioned Kind = "provisioned-concurrency"
	// KindSnapshot is SnapStart's init at version publish: the snapshot's.
	KindSnapshot Kind = "snap-start"
	// KindRestore is a SnapStart-restored environment.
	KindRestore Kind = "snap-start-restore"
	// KindManaged is a Lambda Managed Instances init, ahead of requests.
	KindManaged Kind = "lambda-managed-instances"
	// KindAhead is an init the log shows ran ahead of requests (a successful
	// INIT_REPORT of phase init) without saying which kind it was.
	KindAhead Kind = "ahead-of-requests"
)

// KindOf says what sort of cold start cs is.
func KindOf(cs *profile.ColdStart) Kind {
	if cs.Restored {
		return KindRestore
	}
	switch cs.InitType {
	case profile.InitTypeOnDemand:
		return KindOnDemand
	case profile.InitTypeProvisioned:
		return KindProvisioned
	case profile.InitTypeSnapStart:
		return KindSnapshot
	case profile.InitTypeManaged:
		return KindManaged
	}
	// Lambda prints a successful INIT_REPORT only for an init ahead of
	// requests (§4.1); an on-demand init's duration is on REPORT instead.
	if cs.InitDurationFrom != profile.InitFromReport {
		for _, r := range cs.InitReports {
			if r.Phase == "init" && r.Status == "success" {
				return KindAhead
			}
		}
	}
	return KindOnDemand
}

// onRequestPath reports whether a kind's init delays a request.
func (k Kind) onRequestPath() bool { return k == KindOnDemand }

// InitLimitUsOf is the init limit percentages are taken of for cs: the
// on-demand 10 s, the 130 s an init ahead of requests has at least, or
// SnapStart's 10 s for a restore.
func InitLimitUsOf(cs *profile.ColdStart) int64 {
	switch KindOf(cs) {
	case KindOnDemand:
		return InitLimitUs
	case KindRestore:
		return RestoreLimitUs
	}
	return AheadInitLimitUs
}

// Lifecycle is what a cold start's log says about its lifecycle: the init
// type, Lambda's init and restore reports, and each invocation.
type Lifecycle struct {
	Kind             Kind
	InitType         string // "" when the log does not say
	InitDurationFrom string
	InitReports      []profile.InitReport
	// RestoreDurationMs and BilledRestoreDurationMs are SnapStart's, for a
	// restore; HasRestoreDuration is false when the log had none.
	RestoreDurationMs       float64
	BilledRestoreDurationMs float64
	HasRestoreDuration      bool
	// Invocations are every confirmed invocation, in log order.
	Invocations []InvocationRow
}

// An InvocationRow is one invocation with the handler-time imports that
// ran in it.
type InvocationRow struct {
	profile.Invocation
	// ImportsUs is the cumulative time of the invoke-phase top-level entries
	// tagged with the invocation's request ID; HasImports is false when the
	// boundary is unknown (its imports may be counted as init).
	ImportsUs  int64
	HasImports bool
}

// lifecycleOf computes cs's Lifecycle.
func lifecycleOf(cs *profile.ColdStart) Lifecycle {
	l := Lifecycle{
		Kind:                    KindOf(cs),
		InitType:                cs.InitType,
		InitDurationFrom:        cs.InitDurationFrom,
		InitReports:             cs.InitReports,
		RestoreDurationMs:       cs.RestoreDurationMs,
		BilledRestoreDurationMs: cs.BilledRestoreDurationMs,
		HasRestoreDuration:      cs.HasRestoreDuration,
	}
	known := cs.Boundary == profile.BoundaryExact || cs.Boundary == profile.BoundaryPlatform
	var byID map[string]int64
	if known && len(cs.Invocations) > 0 {
		byID = make(map[string]int64)
		for _, imp := range cs.Imports {
			if imp.Phase == profile.PhaseInvoke && imp.RequestID != "" {
				byID[imp.RequestID] += imp.CumulativeUs
			}
		}
	}
	l.Invocations = make([]InvocationRow, len(cs.Invocations))
	for i, inv := range cs.Invocations {
		l.Invocations[i] = InvocationRow{Invocation: inv, ImportsUs: byID[inv.RequestID], HasImports: known}
	}
	return l
}

// lifecycleFacts are the head facts of a cold start about its lifecycle:
// its kind, Lambda's durations, and the limit that applies, in words.
func lifecycleFacts(s *Summary) []fact {
	l := &s.Lifecycle
	facts := []fact{{"init type", initTypeText(l)}}
	if l.Kind == KindRestore {
		facts = append(facts,
			fact{"Init Duration", "none in a restored environment: the snapshot's init ran when the version was published (its INIT_REPORT is in that log)"},
			fact{"Restore Duration", restoreDurationText(s)},
			fact{"10 s restore limit", restoreLimitText(s)})
	} else {
		facts = append(facts, fact{"Init Duration", initDurationText(s)})
		if l.Kind.onRequestPath() {
			facts = append(facts, fact{"10 s init limit", fmt.Sprintf("imports before the first invoke (%s) use %s of Lambda's on-demand init limit",
				formatMs(s.BeforeInvokeUs), percent(s.BeforeInvokeUs, InitLimitUs)) + guessed(s.Boundary)})
		} else {
			facts = append(facts, fact{"init limit", fmt.Sprintf("this init ran before any request, so the on-demand 10 s limit does not apply: "+
				"it may take 130 s or the function's timeout, whichever is higher (at most 15 min); imports before the first invoke (%s) use %s of 130 s",
				formatMs(s.BeforeInvokeUs), percent(s.BeforeInvokeUs, AheadInitLimitUs)) + guessed(s.Boundary)})
		}
	}
	if len(l.InitReports) > 0 {
		parts := make([]string, len(l.InitReports))
		for i, r := range l.InitReports {
			parts[i] = initReportText(r)
		}
		facts = append(facts, fact{"INIT_REPORT", strings.Join(parts, "; ")})
	}
	return facts
}

func initTypeText(l *Lifecycle) string {
	switch l.Kind {
	case KindOnDemand:
		if l.InitType == "" {
			return "unknown, taken as on-demand"
		}
		return "on-demand: init ran on the first request's path"
	case KindProvisioned:
		return "provisioned-concurrency: init ran ahead of any request, not on a request's path"
	case KindSnapshot:
		return "snap-start: the snapshot's init, run when the version was published, before any request; restored environments resume from it"
	case KindRestore:
		return "snap-start, restored from a snapshot: the imports here ran after the restore (after-restore hooks as init, then handler-time imports)"
	case KindManaged:
		return "lambda-managed-instances: init ran ahead of requests, not on a request's path"
	}
	return "unknown; a successful INIT_REPORT of phase init says it ran ahead of requests (provisioned concurrency or a SnapStart snapshot)"
}

func initReportText(r profile.InitReport) string {
	var parts []string
	if r.HasDuration {
		parts = append(parts, formatMs(int64(r.DurationMs*1000)))
	}
	if r.Phase != "" {
		parts = append(parts, "phase "+r.Phase)
	}
	if r.Status != "" {
		st := "status " + r.Status
		if r.ErrorType != "" {
			st += " (" + r.ErrorType + ")"
		}
		parts = append(parts, st)
	}
	if len(parts) == 0 {
		return "(no fields)"
	}
	return strings.Join(parts, ", ")
}

// samplerRuntime reports whether coldprof-wrapper has an in-runtime sampler
// for a Lambda runtime identifier ("python3.12", "nodejs22.x").
func samplerRuntime(runtime string) bool {
	return strings.HasPrefix(runtime, "python3") || strings.HasPrefix(runtime, "nodejs")
}

func initDurationText(s *Summary) string {
	l := &s.Lifecycle
	if !s.HasInitDuration {
		if l.Kind.onRequestPath() {
			return "not in the log (Lambda prints it on the REPORT line of an on-demand cold start's first invocation)"
		}
		return "not in the log (Lambda prints it on the INIT_REPORT line of an init ahead of requests)"
	}
	initUs := int64(s.InitDurationMs * 1000)
	from := "Lambda's REPORT line"
	if l.InitDurationFrom == profile.InitFromInitReport {
		from = "Lambda's INIT_REPORT line"
	}
	text := fmt.Sprintf("%s from %s; ", formatMs(initUs), from)
	if s.BeforeInvokeUs <= initUs {
		rest := "unexplained (no samples in the log): interpreter start-up before the first import, the function's own top-level code, runtime and extension work"
		if s.Sampled != nil {
			rest = "not imports: see where init went, below"
		} else if samplerRuntime(s.Runtime) {
			rest += "; COLDPROF_SAMPLER=on on the function samples where they went"
		}
		return text + fmt.Sprintf("imports before the first invoke take %s (%s); the other %s are %s",
			formatMs(s.BeforeInvokeUs), percent(s.BeforeInvokeUs, initUs), formatMs(initUs-s.BeforeInvokeUs), rest) + guessed(s.Boundary)
	}
	return text + fmt.Sprintf("imports before the first invoke take %s, more than that: "+
		"an emulator's Init Duration (the RIE reports a fraction of a millisecond) or misplaced phases",
		formatMs(s.BeforeInvokeUs)) + guessed(s.Boundary)
}

func restoreDurationText(s *Summary) string {
	l := &s.Lifecycle
	if !l.HasRestoreDuration {
		return "not in the log (Lambda prints it on RESTORE_REPORT and on the first REPORT of a restored environment)"
	}
	text := formatMs(int64(l.RestoreDurationMs*1000)) + " from Lambda's RESTORE_REPORT or REPORT line"
	if l.BilledRestoreDurationMs > 0 {
		text += " (billed " + strconv.FormatFloat(l.BilledRestoreDurationMs, 'f', -1, 64) + " ms)"
	}
	return text + fmt.Sprintf("; imports after the restore, before the first invoke, take %s", formatMs(s.BeforeInvokeUs)) + guessed(s.Boundary)
}

func restoreLimitText(s *Summary) string {
	l := &s.Lifecycle
	if l.HasRestoreDuration {
		us := int64(l.RestoreDurationMs * 1000)
		return fmt.Sprintf("the restore (%s) uses %s of the 10 s SnapStart allows for loading the runtime and running after-restore hooks",
			formatMs(us), percent(us, RestoreLimitUs))
	}
	return fmt.Sprintf("imports after the restore, before the first invoke (%s), use %s of the 10 s SnapStart allows for loading the runtime and running after-restore hooks",
		formatMs(s.BeforeInvokeUs), percent(s.BeforeInvokeUs, RestoreLimitUs)) + guessed(s.Boundary)
}

// maxInvocationRows is how many invocations the table and Markdown list;
// JSON lists every one.
const maxInvocationRows = 10

// invocationSection lists a cold start's invocations with Lambda's figures
// and the handler-time imports of each.
func invocationSection(s *Summary) section {
	g := &grid{
		header: []string{"REQUEST ID", "DURATION", "BILLED", "MAX MEMORY", "IMPORTS"},
		right:  []bool{false, true, true, true, true},
	}
	fakeMemory := len(s.Lifecycle.Invocations) > 0
	for i, inv := range s.Lifecycle.Invocations {
		if !inv.Reported || inv.MaxMemoryUsedMB != inv.MemorySizeMB {
			fakeMemory = false
		}
		if i >= maxInvocationRows {
			continue
		}
		row := []string{inv.RequestID, "—", "—", "—", "—"}
		if inv.Reported {
			row[1] = formatMs(int64(inv.DurationMs * 1000))
			if inv.Status != "" {
				row[1] += " (" + inv.Status + ")"
			}
			if inv.BilledDurationMs > 0 {
				row[2] = strconv.FormatFloat(inv.BilledDurationMs, 'f', -1, 64) + " ms"
			}
			if inv.MaxMemoryUsedMB > 0 {
				row[3] = strconv.FormatInt(inv.MaxMemoryUsedMB, 10) + " MB"
			}
		}
		if inv.HasImports {
			row[4] = formatMs(inv.ImportsUs)
		}
		g.rows = append(g.rows, row)
	}
	notes := []string{"Figures from Lambda's REPORT lines; IMPORTS: the handler-time imports each invocation ran.",
		"—: not in the log (IMPORTS: the init/invoke boundary is unknown)."}
	if n := len(s.Lifecycle.Invocations) - maxInvocationRows; n > 0 {
		notes = append(notes, fmt.Sprintf("%d more invocations are not listed (the JSON report lists every one).", n))
	}
	if fakeMemory {
		notes = append(notes, "Max Memory Used equals Memory Size on every REPORT, as the emulator (RIE) prints it: not measured.")
	}
	return section{title: "Invocations", level: 2, grid: g, notes: notes}
}
