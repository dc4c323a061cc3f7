package parsers

import (
	"fmt"

	"github.com/coldprof/coldprof/parsers/platform"
	"github.com/coldprof/coldprof/profile"
)

// Lambda's platform lines (package platform): START, END and REPORT set the
// stage where no marker does, and may prove an earlier START wrong;
// INIT_START and RESTORE_START begin a cold start; INIT_REPORT, REPORT and
// RESTORE_REPORT carry its durations.

// platformLine reads Lambda's START, END, REPORT, INIT_START,
// INIT_REPORT, RESTORE_START and RESTORE_REPORT lines (package platform),
// and reports whether text was one.
func (r *Reader) platformLine(st *stream, text []byte, num int) bool {
	l, ok := platform.Parse(text)
	if !ok {
		return false
	}
	switch l.Kind {
	case platform.Start:
		r.startLine(st, string(l.RequestID), num)
	case platform.End:
		r.endLine(st, string(l.RequestID), num)
	case platform.Report:
		r.reportLine(st, &l, num)
	case platform.InitStart, platform.RestoreStart:
		// A SnapStart restore is a new execution environment too; its
		// modules came with the snapshot, so it may have no import lines,
		// and that is no reason to warn.
		restore := l.Kind == platform.RestoreStart
		b := st.cs
		if b == nil || b.content() || b.invoked() || b.cs.Restored {
			b = r.begin(st, num)
		}
		switch {
		case restore && b.opened.wrapped():
			b.opened = openedByWrapperRestore
		case restore:
			b.opened = openedByRestore
		case b.opened.wrapped():
			b.opened = openedByWrapper
		default:
			b.opened = openedByInitStart
		}
		if restore {
			b.cs.Restored = true
			if b.cs.InitType == "" {
				b.cs.InitType = profile.InitTypeSnapStart
			}
		}
		if rt := platform.RuntimeFromVersion(l.RuntimeVersion); rt != "" {
			b.cs.Runtime = rt
		}
		b.initTypeFrom(&l)
	case platform.InitReport:
		b := r.builderFor(st, num)
		rep := profile.InitReport{
			Phase:       string(l.Phase),
			Status:      string(l.Status),
			ErrorType:   string(l.ErrorType),
			DurationMs:  l.InitDuration.V,
			HasDuration: l.InitDuration.OK,
		}
		if rep.HasDuration && !b.cs.HasInitDuration {
			b.cs.InitDurationMs, b.cs.HasInitDuration = rep.DurationMs, true
			b.cs.InitDurationFrom = profile.InitFromInitReport
		}
		if len(b.cs.InitReports) < maxInitReports {
			b.cs.InitReports = append(b.cs.InitReports, rep)
		}
		b.initTypeFrom(&l)
	case platform.RestoreReport:
		b := r.builderFor(st, num)
		b.cs.Restored = true
		if b.cs.InitType == "" {
			b.cs.InitType = profile.InitTypeSnapStart
		}
		if l.RestoreDuration.OK {
			b.cs.RestoreDurationMs, b.cs.HasRestoreDuration = l.RestoreDuration.V, true
		}
	}
	return true
}

// maxInitReports bounds the INIT_REPORT lines kept per cold start: a real
// one has one or two (an init retried at the first invocation).
const maxInitReports = 8

// initTypeFrom takes the initialization type from a platform line of
// Lambda's JSON log format (rewritten with an "Initialization Type" field,
// see package envelope); Lambda's word wins over the start marker's.
func (b *builder) initTypeFrom(l *platform.Line) {
	if profile.ValidInitType(string(l.InitType)) {
		b.cs.InitType = string(l.InitType)
	}
}

func (r *Reader) startLine(st *stream, id string, num int) {
	b := r.builderFor(st, num)
	b.invocation(id, false)
	if b.exact {
		return // markers set the stage
	}
	if !b.hasLines {
		// START before the interpreter's output: the emulator's order, not
		// the runtime's. It says nothing about where init ends.
		b.untrustedLine = num
		if !b.invoked() {
			b.evidence = unknownBoundary // exact is not set: no init_done yet
		}
		return
	}
	if b.evidence == noEvidence {
		b.evidence = startEvidence
	}
	r.setStage(st, b, stageInvoke, id)
	b.ctxs[len(b.ctxs)-1].byStart = true
}

func (r *Reader) endLine(st *stream, id string, num int) {
	b := r.builderFor(st, num)
	b.invokeDone = true
	if !b.exact {
		r.demoteWrongStart(b, id, num)
		r.setStage(st, b, stageAfter, "")
	}
	b.invocation(id, true)
}

func (r *Reader) reportLine(st *stream, l *platform.Line, num int) {
	id := string(l.RequestID)
	b := r.builderFor(st, num)
	b.invokeDone = true
	if !b.exact {
		r.demoteWrongStart(b, id, num)
	}
	if l.InitDuration.OK && !b.cs.HasInitDuration {
		b.cs.InitDurationMs, b.cs.HasInitDuration = l.InitDuration.V, true
		b.cs.InitDurationFrom = profile.InitFromReport
	}
	if l.RestoreDuration.OK {
		b.cs.Restored = true
		if b.cs.InitType == "" {
			b.cs.InitType = profile.InitTypeSnapStart
		}
		if !b.cs.HasRestoreDuration {
			b.cs.RestoreDurationMs, b.cs.HasRestoreDuration = l.RestoreDuration.V, true
		}
		if l.BilledRestoreDuration.OK {
			b.cs.BilledRestoreDurationMs = l.BilledRestoreDuration.V
		}
	}
	inv := b.invocation(id, true)
	inv.Reported = true
	if l.Duration.OK {
		inv.DurationMs = l.Duration.V
	}
	if l.BilledDuration.OK {
		inv.BilledDurationMs = l.BilledDuration.V
	}
	if l.MemorySizeMB.OK {
		inv.MemorySizeMB = l.MemorySizeMB.V
	}
	if l.MaxMemoryUsedMB.OK {
		inv.MaxMemoryUsedMB = l.MaxMemoryUsedMB.V
	}
	if s := l.Status; len(s) > 0 && string(s) != "success" {
		inv.Status = string(s)
	}
}

// demoteWrongStart handles a START line that END or REPORT proved wrong:
// the invocation in progress was opened by a START whose request ID is not
// theirs, as the runtime interface emulator prints it (its START carries an
// ID the runtime never receives). After an earlier invocation the entries
// it put into invoke are this invocation's: they are tied to the confirmed
// ID. For the first, they are init's or the invocation's, no one can tell
// which: they are counted as init, and the boundary is unknown.
func (r *Reader) demoteWrongStart(b *builder, id string, num int) {
	cur := b.ctxs[len(b.ctxs)-1]
	if !cur.byStart || cur.requestID == id {
		return
	}
	if b.invoked() {
		r.retagStart(b, cur.requestID, id)
		r.warn.warn("wrong-start-id", num, func() string {
			return fmt.Sprintf("the START line's request ID %s is not the one END/REPORT carry (%s), as the runtime interface emulator prints it: its imports are tied to %s", cur.requestID, id, id)
		})
		return
	}
	r.demoteStart(b, cur.requestID)
	b.evidence = unknownBoundary // exact is not set: no init_done yet
	r.warn.warn("untrusted-start", num, func() string {
		return fmt.Sprintf("the START line's request ID %s is not the one END/REPORT carry (%s), as the runtime interface emulator prints it: the init/invoke boundary of this invocation is unknown; its imports are counted as init", cur.requestID, id)
	})
}

// retagStart ties what a START line with request ID from opened to the
// request ID to that END or REPORT confirmed.
func (r *Reader) retagStart(b *builder, from, to string) {
	for i := range b.ctxs {
		if c := &b.ctxs[i]; c.byStart && c.requestID == from {
			c.requestID = to
		}
	}
	for i := range b.tr.items {
		it := &b.tr.items[i]
		if it.assigned && it.imp.Phase == profile.PhaseInvoke && it.imp.RequestID == from {
			it.assign(profile.PhaseInvoke, to)
		}
	}
}

// demoteOpenStart undoes a START line that came before a marker proving
// init (or the invocation) had not begun yet: platform lines are not
// ordered exactly with the function's own output.
func (r *Reader) demoteOpenStart(b *builder, num int, why string) {
	cur := b.ctxs[len(b.ctxs)-1]
	if !cur.byStart {
		return
	}
	r.demoteStart(b, cur.requestID)
	r.warn.warn("early-start", num, func() string {
		return "a START line came " + why + " (platform lines are not ordered exactly with the function's output): the imports after it are counted as init"
	})
}

// demoteStart turns the contexts a START line with id opened back into
// init, and the entries already given their phase with them.
func (r *Reader) demoteStart(b *builder, id string) {
	demoted := false
	for i := range b.ctxs {
		if c := &b.ctxs[i]; c.byStart && c.requestID == id {
			*c = phaseCtx{stage: stageInit}
			demoted = true
		}
	}
	if !demoted {
		return
	}
	for i := range b.tr.items {
		it := &b.tr.items[i]
		if it.assigned && b.ctxs[it.ctx].stage == stageInit && it.imp.Phase == profile.PhaseInvoke && it.imp.RequestID == id {
			it.assign(profile.PhaseInit, "")
		}
	}
}
