package parsers

import (
	"fmt"
	"strconv"

	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// A stream is one log stream of the input and its open cold start.
type stream struct {
	name    string
	cs      *builder
	n       int    // cold starts completed from this stream
	lastUse uint64 // record count when last seen
	// java reads the JVM's class-load lines (package parsers/classload);
	// javaLine is the last line offered to it.
	java     classload.Grammar
	javaLine int
	open     bool // in Reader.open
	// jsonLog is set once the stream showed Lambda's JSON log format.
	jsonLog bool
}

// An opening is what began a cold start, before anything of its own.
type opening uint8

const (
	// openedByLines: its own first line (a load-time line, a platform line
	// of an invocation): nothing announced it.
	openedByLines opening = iota
	// openedByRestore: RESTORE_START. Its modules came with the snapshot,
	// so an empty one is no reason to warn, and a header still begins a new
	// cold start, as for openedByLines.
	openedByRestore
	// openedByInitStart: INIT_START, Lambda's own word that an environment
	// starts.
	openedByInitStart
	// openedByWrapper: the wrapper's start marker, alone or with INIT_START
	// in either order.
	openedByWrapper
	// openedByWrapperRestore: a start marker, then RESTORE_START.
	openedByWrapperRestore
)

// introduced reports whether a start marker or INIT_START began the cold
// start (with no RESTORE_START after it): an empty one is worth a warning.
func (o opening) introduced() bool { return o == openedByInitStart || o == openedByWrapper }

// wrapped reports whether a start marker was read: the wrapper ran.
func (o opening) wrapped() bool { return o == openedByWrapper || o == openedByWrapperRestore }

// announced reports whether a start marker or INIT_START began the cold
// start: then only another of those begins a new one, and a new process's
// output (a header, a JVM's first line) is a process the function started.
func (o opening) announced() bool { return o.introduced() || o.wrapped() }

// A boundaryEvidence is what a cold start's init/invoke boundary rests on,
// as far as read; complete turns it into profile.Boundary.
type boundaryEvidence uint8

const (
	// noEvidence: nothing says where init ended (yet): unknown.
	noEvidence boundaryEvidence = iota
	// startEvidence: a START line after the load-time lines set the stage:
	// platform.
	startEvidence
	// unknownBoundary: the first invocation's START came before any
	// load-time line (the runtime interface emulator's order), or END or
	// REPORT proved it wrong: the end of init is unknown, whatever later
	// START lines say. A start marker announcing the proxy's markers clears
	// it (it comes before any content).
	unknownBoundary
	// initDoneEvidence: the init_done marker: exact. Only it makes the
	// boundary exact: invoke markers alone (a log that begins after init, a
	// stream continued after it was finished) leave unknown what came
	// before them. Final.
	initDoneEvidence
)

// A builder collects one cold start.
type builder struct {
	cs    profile.ColdStart
	tr    tree
	alloc allocator
	// ctxs lists the contexts in order; the last is in force.
	ctxs []phaseCtx

	format    profile.Format
	hasHeader bool // a load-time header was read
	hasLines  bool // a load-time entry was read
	opened    opening
	injected  string // what the start marker said the wrapper injected
	// exact is set once phase markers were seen, or announced by a start
	// marker with "proxy": true: they, not START/END lines, set the stage.
	exact bool
	// evidence is what the init/invoke boundary rests on so far.
	evidence boundaryEvidence
	// confirmed parallels cs.Invocations: whether an END, REPORT or invoke
	// marker carried the request ID. A START alone does not make an
	// invocation (the emulator prints a START with an ID the runtime never
	// gets); unconfirmed ones are dropped when the cold start completes.
	confirmed  []bool
	invokeDone bool // an invocation ended (END, REPORT, invoke_end)
	// untrustedLine is the line of a START that came before any load-time
	// line (see unknownBoundary), until the first import line makes its
	// warning worth giving.
	untrustedLine int
	warnedNesting bool
	// pendingCached wait for the next timed line (see cachedLineLevel).
	pendingCached []pendingCached
	// cutAtEnd is set while the last load-time line was malformed: when the
	// cold start ends so, the log was cut in the middle of that line.
	cutAtEnd bool
	// collapsed is set once a line showed squeezed spaces: a console
	// squeezes every line, also those whose wide numbers hide it.
	collapsed bool
	// rules are the phase rules of the cold start's format, once known;
	// interpDone is set once the interpreter's last entry was seen.
	rules      *Rules
	interpDone bool
	walk       phaseWalk
	// names counts the load-time lines named so far (see Reader.nameAt).
	names int
	// samp holds the sampler's lines and invoke markers (samples.go).
	samp sampling
}

// content reports whether the cold start has anything of its own, so that
// a splitting line starts a new one instead of introducing this one.
func (b *builder) content() bool { return b.hasHeader || b.hasLines }

// invocation returns the invocation with id, adding it when new; confirm
// says the line is one that proves the ID real (END, REPORT, a marker). It
// looks from the end: START, END and REPORT of one invocation come
// together, and a warm environment may log thousands.
func (b *builder) invocation(id string, confirm bool) *profile.Invocation {
	for i := len(b.cs.Invocations) - 1; i >= 0; i-- {
		if b.cs.Invocations[i].RequestID == id {
			b.confirmed[i] = b.confirmed[i] || confirm
			return &b.cs.Invocations[i]
		}
	}
	b.cs.Invocations = append(b.cs.Invocations, profile.Invocation{RequestID: id})
	b.confirmed = append(b.confirmed, confirm)
	return &b.cs.Invocations[len(b.cs.Invocations)-1]
}

// confirmedInvocations drops the invocations only a START line named.
func (b *builder) confirmedInvocations() []profile.Invocation {
	keep := b.cs.Invocations[:0]
	for i, inv := range b.cs.Invocations {
		if b.confirmed[i] {
			keep = append(keep, inv)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return keep
}

// invoked reports whether the cold start has seen a confirmed invocation.
func (b *builder) invoked() bool {
	for _, c := range b.confirmed {
		if c {
			return true
		}
	}
	return false
}

// begin opens a new cold start on st, finishing the open one.
func (r *Reader) begin(st *stream, line int) *builder {
	if st.cs != nil {
		r.finish(st) // not otherwise: a grammar's Add may be what begins it
	}
	b := &builder{ctxs: []phaseCtx{{stage: stageInit}}}
	b.tr.items = r.takeItems()
	b.alloc.pool = r.pool
	b.cs.Source = r.source
	b.cs.Line = line
	b.opened = openedByLines // until a start marker, INIT_START or RESTORE_START says
	st.cs = b
	return b
}

func (r *Reader) builderFor(st *stream, line int) *builder {
	if st.cs != nil {
		return st.cs
	}
	return r.begin(st, line)
}

// newProcess handles a header: a new process's output begins. It starts a
// new cold start unless this one has nothing yet, or was begun by a start
// marker or INIT_START: then only another of those begins a new one, and a
// header is a process the function started (a multiprocessing spawn child
// inherits -X importtime, a java child JAVA_TOOL_OPTIONS), whose entries
// belong to this cold start, in the phase they were loaded in.
func (r *Reader) newProcess(st *stream, format profile.Format, num int) {
	b := st.cs
	if b != nil && b.content() && b.opened.announced() {
		return
	}
	if b != nil && b.content() {
		if open := b.tr.open(); open > 0 {
			r.warn.warn("header-open", num, func() string {
				return fmt.Sprintf("a new %s header while %d entries were still open: output of another process (multiprocessing spawn?) is mixed in; starting a new cold start", format, open)
			})
		}
		b = nil
	}
	if b == nil {
		b = r.begin(st, num)
	}
	b.hasHeader = true
	if b.format == "" {
		b.format = format
	}
}

// complete turns a finished builder into a cold start, or nil when it has
// no entries.
func (r *Reader) complete(st *stream, b *builder) *profile.ColdStart {
	items := b.tr.items
	b.cs.Invocations = b.confirmedInvocations()
	// A restored environment is reported without imports too: its modules
	// came with the snapshot, and its Restore Duration and invocations are
	// what there is to say.
	if len(items) == 0 && !(b.cs.Restored && (b.cs.HasRestoreDuration || len(b.cs.Invocations) > 0)) {
		switch {
		case b.opened.introduced() && st.jsonLog:
			r.warn.warn("empty", b.cs.Line, func() string { return envelope.DroppedTextWarning })
		case b.opened.wrapped() && b.injected == "":
			r.warn.warn("empty", b.cs.Line, func() string {
				return "a cold start with no load-time lines: coldprof-wrapper ran but injected nothing (see its warning marker)"
			})
		case b.opened.introduced():
			r.warn.warn("empty", b.cs.Line, func() string {
				return "a cold start with no load-time lines (is the coldprof wrapper set as AWS_LAMBDA_EXEC_WRAPPER, or -X importtime on?)"
			})
		}
		return nil
	}
	cs := &b.cs
	if st.n > 0 && !b.opened.introduced() && !b.hasHeader {
		r.warn.warn("continued", b.cs.Line, func() string {
			return fmt.Sprintf("imports in stream %q after its cold start was complete (quiet for a long time, or too many streams open at once): reported as a cold start of their own", st.name)
		})
	}
	switch {
	case st.name != "":
		st.n++
		cs.ID = st.name
		if st.n > 1 {
			cs.ID = st.name + "#" + strconv.Itoa(st.n)
		}
	default:
		r.unnamedN++
		cs.ID = r.source + "#" + strconv.Itoa(r.unnamedN)
	}
	cs.Format = b.format
	if open := b.tr.open(); open > 0 {
		cs.Truncated = true
		last := items[len(items)-1].imp.Line
		r.warn.warn("truncated", last, func() string {
			return fmt.Sprintf("cold start %s ends while imports were still loading: %d completed entries whose parents never finished are listed at top level", cs.ID, open)
		})
	} else if b.cutAtEnd {
		// The cut line was a top-level import's: nothing open is left, but
		// the import itself is missing.
		cs.Truncated = true
	}
	cs.Imports = make([]*profile.Import, len(items))
	for i, it := range items {
		cs.Imports[i] = it.imp
	}
	assignPhases(items, b.ctxs, r.builderRules(b))
	if cs.HasInitDuration {
		var before int64 // imports before the first invocation
		for _, imp := range cs.Imports {
			if imp.Phase != profile.PhaseInvoke {
				before += imp.CumulativeUs
			}
		}
		if float64(before) > cs.InitDurationMs*1000*1.05+1000 {
			r.warn.warn("init-duration", b.cs.Line, func() string {
				return fmt.Sprintf("cold start %s: Init Duration %.2f ms is shorter than the imports before the first invocation (%.2f ms): the runtime interface emulator does not measure init, or the boundary is off", cs.ID, cs.InitDurationMs, float64(before)/1000)
			})
		}
	}
	switch {
	case b.evidence == initDoneEvidence:
		cs.Boundary = profile.BoundaryExact
	case b.evidence == startEvidence:
		cs.Boundary = profile.BoundaryPlatform
	default:
		cs.Boundary = profile.BoundaryUnknown
	}
	r.attachSamples(b, cs)
	if r.pool != nil {
		r.pool.lend(cs, &b.alloc)
	}
	return cs
}
