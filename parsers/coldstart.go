package parsers

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// A stream is one log stream of the input and its open cold start.
type stream struct {
	name     string
	cs       *builder
	n        int    // cold starts completed from this stream
	lastUse  uint64 // record count when last seen
	grammars []Grammar
	sink     grammarSink
	open     bool // in Reader.open
	// jsonLog is set once the stream showed Lambda's JSON log format.
	jsonLog bool
}

// A stage is where a cold start is, as far as markers and platform lines say.
type stage uint8

const (
	stageInit   stage = iota // before init_done (or a trusted START)
	stageInvoke              // between invoke_start/START and invoke_end/END
	stageAfter               // after init, outside any invocation: invoke, no request ID
)

// A phaseCtx is the stage in force from some line on. Top-level entries
// take the context of their subtree's first line.
type phaseCtx struct {
	stage     stage
	requestID string
	// byStart is set when a START line opened the context: a later line may
	// prove it wrong (see demoteStart).
	byStart bool
}

// A builder collects one cold start.
type builder struct {
	cs    profile.ColdStart
	tr    tree
	alloc allocator
	// ctxs lists the contexts in order; the last is in force.
	ctxs []phaseCtx

	format     profile.Format
	hasHeader  bool // a load-time header was read
	hasLines   bool // a load-time entry was read
	introduced bool // begun by a start marker or INIT_START
	wrapped    bool // a start marker was read; injected is what it said it injected
	injected   string
	// exact is set once phase markers were seen, or announced by a start
	// marker with "proxy": true: they, not START/END lines, set the stage.
	exact bool
	// confirmed parallels cs.Invocations: whether an END, REPORT or invoke
	// marker carried the request ID. A START alone does not make an
	// invocation (the emulator prints a START with an ID the runtime never
	// gets); unconfirmed ones are dropped when the cold start completes.
	confirmed []bool
	// initDone is set by the init_done marker. Only it makes the boundary
	// exact: invoke markers alone (a log that begins after init, a stream
	// continued after it was finished) leave unknown what came before them.
	initDone   bool
	invokeDone bool // an invocation ended (END, REPORT, invoke_end)
	platform   bool // a trusted START line set the stage
	// untrustedStart is set when a START line came before any load-time
	// line, as the runtime interface emulator prints it; its request ID is
	// not the runtime's, the following END line's is.
	untrustedStart bool
	// firstUntrusted is set when the first invocation's START was such a
	// line: the end of init is then unknown, whatever later STARTs say.
	firstUntrusted bool
	// untrustedLine is the line of such a START, until the first import
	// line makes its warning worth giving.
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

// builderRules returns the phase rules of b's format, looked up once per
// Reader and format.
func (r *Reader) builderRules(b *builder) *Rules {
	if b.rules == nil {
		b.rules = r.rulesByFormat[b.format]
		if b.rules == nil {
			rules := r.rules(b.format)
			b.rules = &rules
			if r.rulesByFormat == nil {
				r.rulesByFormat = make(map[profile.Format]*Rules)
			}
			r.rulesByFormat[b.format] = b.rules
		}
	}
	return b.rules
}

func (b *builder) ctx() int32 { return int32(len(b.ctxs) - 1) }

// setStage moves st's cold start b to a new stage, first letting plug-in
// grammars hand over what they held back (see Boundarier).
func (r *Reader) setStage(st *stream, b *builder, s stage, requestID string) {
	cur := b.ctxs[len(b.ctxs)-1]
	if cur.stage == s && cur.requestID == requestID {
		return
	}
	for _, g := range st.grammars {
		if bg, ok := g.(Boundarier); ok {
			bg.Boundary(sinkFor(r, st, g, st.sink.lineNum))
		}
	}
	b.ctxs = append(b.ctxs, phaseCtx{stage: s, requestID: requestID})
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
	b.alloc.pool = r.pool
	b.cs.Source = r.source
	b.cs.Line = line
	st.cs = b
	return b
}

func (r *Reader) builderFor(st *stream, line int) *builder {
	if st.cs != nil {
		return st.cs
	}
	return r.begin(st, line)
}

// Lambda's platform lines and hints, found anywhere in a line.
var (
	requestIDKey       = []byte("RequestId: ")
	initStartKey       = []byte("INIT_START ")
	restoreStartKey    = []byte("RESTORE_START ")
	initReportKey      = []byte("INIT_REPORT ")
	restoreRepKey      = []byte("RESTORE_REPORT ")
	initTypeKey        = []byte("Initialization Type: ")
	runtimeVerKey      = []byte("Runtime Version: ")
	initDurationKey    = []byte("Init Duration: ")
	restoreDurationKey = []byte("Restore Duration: ")
	executionEnvKey    = []byte("AWS_Lambda_")
	coldprofKey        = []byte("coldprof") // starts marker.Prefix and sampleline.Prefix
)

// line sorts one line into its kind and hands it on.
func (r *Reader) line(st *stream, text []byte, num int) {
	if i := bytes.Index(text, importTimePrefix); i >= 0 {
		r.loadLine(st, profile.FormatPythonImporttime, text[i+len(importTimePrefix):], num)
		return
	}
	if i := bytes.Index(text, requireSuffix); i >= 4 {
		switch string(text[i-4 : i]) {
		case "node":
			r.loadLine(st, profile.FormatNodeRequire, text[i+len(requireSuffix):], num)
			return
		case "ruby":
			r.loadLine(st, profile.FormatRubyRequire, text[i+len(requireSuffix):], num)
			return
		}
	}
	if i := bytes.Index(text, coldprofKey); i >= 0 { // one scan for both prefixes
		if _, ok := marker.Find(text[i:]); ok {
			r.markerLine(st, text, num)
			return
		}
		if _, ok := sampleline.Find(text[i:]); ok {
			r.samplerLine(st, text, num)
			return
		}
	}
	if r.platformLine(st, text, num) {
		return
	}
	for _, g := range st.grammars {
		if g.Line(text, sinkFor(r, st, g, num)) {
			return
		}
	}
	if i := bytes.Index(text, executionEnvKey); i >= 0 && st.cs != nil && st.cs.cs.Runtime == "" {
		st.cs.cs.Runtime = string(runtimeWord(text[i+len(executionEnvKey):]))
	}
}

// loadLine reads one importtime-shaped line (rest follows the prefix).
func (r *Reader) loadLine(st *stream, format profile.Format, rest []byte, num int) {
	f, kind, problem := parseLoadFields(rest)
	switch kind {
	case fieldsMalformed:
		r.warn.warn("malformed", num, func() string { return fmt.Sprintf("malformed %s line: %s", format, problem) })
		if st.cs != nil {
			st.cs.cutAtEnd = true // until a good line follows
		}
		return
	case fieldsHeader:
		r.newProcess(st, format, num)
		return
	}
	b := r.builderFor(st, num)
	imp := b.alloc.node()
	imp.Name = r.nameAt(b.names, f.name)
	b.names++
	imp.SelfUs, imp.CumulativeUs = f.self, f.cumulative
	imp.Cached = f.cached
	negative := f.self < 0
	if negative {
		imp.SelfUs = 0 // the model has no negative times; the warning keeps the fact
	}
	imp.Line = num
	level := f.spaces / 2
	switch {
	case f.cached:
		level = b.cachedLineLevel(f.spaces, len(f.name))
	case f.collapsed || b.collapsed:
		b.collapsed = true
		level = levelUnknown
	case f.spaces%2 != 0:
		r.warn.warn("odd-indent", num, func() string {
			return fmt.Sprintf("indentation of %q is an odd number of spaces (%d); nesting may be off", imp.Name, f.spaces)
		})
	}
	if negative {
		r.nestingWarning(b, imp, func() string { return fmt.Sprintf("its self time is negative, %d µs", f.self) })
	}
	if !f.cached && level != levelUnknown {
		b.settleCached(level)
	}
	r.addEntry(st, b, format, imp, level)
}

// newProcess handles a header: a new process's output begins. It starts a
// new cold start unless this one has nothing yet, or was begun by a start
// marker or INIT_START: then only another of those begins a new one, and a
// header is a process the function started (a multiprocessing spawn child
// inherits -X importtime, a java child JAVA_TOOL_OPTIONS), whose entries
// belong to this cold start, in the phase they were loaded in.
func (r *Reader) newProcess(st *stream, format profile.Format, num int) {
	b := st.cs
	if b != nil && b.content() && (b.introduced || b.wrapped) {
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

// addEntry adds a completed entry to the open cold start's tree.
func (r *Reader) addEntry(st *stream, b *builder, format profile.Format, imp *profile.Import, level int) {
	if b.format == "" {
		b.format = format
	} else if b.format != format {
		r.warn.warn("mixed-format", imp.Line, func() string { return fmt.Sprintf("%s line in a %s cold start", format, b.format) })
	}
	b.hasLines = true
	b.cutAtEnd = false
	if b.untrustedLine > 0 {
		r.warn.warn("untrusted-start", b.untrustedLine, func() string {
			return "START line before any import line (the order of the runtime interface emulator and of some log views): the init/invoke boundary of this invocation is unknown; its imports are counted as init"
		})
		b.untrustedLine = 0
	}
	if level == 0 && r.builderRules(b).isRuntimeEntry(imp.Name) {
		b.adoptRuntimeLoads(imp)
	}
	problem := b.tr.add(&b.alloc, imp, level, b.ctx())
	if level == 0 {
		b.assignEager(r.builderRules(b))
	}
	switch problem {
	case nestingLevels:
		r.nestingWarning(b, imp, func() string { return "it adopts entries more than one level deeper" })
	case nestingTimes:
		r.nestingWarning(b, imp, func() string {
			return fmt.Sprintf("its cumulative time %d µs is not its self time %d µs plus its children's", imp.CumulativeUs, imp.SelfUs)
		})
	case nestingRebuild:
		r.warn.warn("rebuild", imp.Line, func() string {
			return fmt.Sprintf("indentation is lost and no preceding entries add up to the children's time of %q; it is kept without children", imp.Name)
		})
	case nestingTooDeep:
		r.warn.warn("too-deep", imp.Line, func() string {
			return fmt.Sprintf("%q would nest more than %d levels deep, which no real import tree does: it is kept without children, and the entries below it at the top level", imp.Name, maxDepth)
		})
	case nestingTooIndented:
		r.warn.warn("too-indented", imp.Line, func() string {
			return fmt.Sprintf("%q is indented more than %d levels deep, which no real import tree is: it is taken as at that level", imp.Name, maxLevel)
		})
	}
}

// adoptRuntimeLoads makes the runtime client's entry script imp (see
// Rules.RuntimeEntry) the parent of the runtime's library entries just
// before it, as many as its time holds: they were loaded while it ran.
func (b *builder) adoptRuntimeLoads(imp *profile.Import) {
	items := b.tr.items
	j := len(items)
	var sum int64
	for j > 0 {
		it := &items[j-1]
		if it.level != 0 || !it.assigned || it.imp.Phase != profile.PhaseRuntime || !b.rules.isLibrary(it.imp.Name) ||
			sum+it.imp.CumulativeUs > imp.CumulativeUs {
			break
		}
		sum += it.imp.CumulativeUs
		j--
	}
	if j == len(items) {
		return
	}
	for i := j; i < len(items); i++ {
		items[i].level = 1
	}
	imp.SelfUs = max(imp.CumulativeUs-sum, 0)
}

// nestingWarning reports nesting the numbers contradict, once per cold
// start: one interleaving garbles many lines.
func (r *Reader) nestingWarning(b *builder, imp *profile.Import, why func() string) {
	if b.warnedNesting {
		return
	}
	b.warnedNesting = true
	r.warn.warn("nesting", imp.Line, func() string {
		return fmt.Sprintf("nesting of %q contradicts the times (%s): output of several threads or processes is interleaved; the tree below is as printed", imp.Name, why())
	})
}

// markerLine reads a wrapper marker.
func (r *Reader) markerLine(st *stream, text []byte, num int) {
	ev, err := marker.Parse(text)
	if err != nil {
		r.warn.warn("marker", num, func() string { return fmt.Sprintf("malformed coldprof marker: %v", err) })
		return
	}
	switch ev.Kind {
	case marker.Start:
		// A second start marker is a second process (the wrapper runs once
		// per process); an INIT_START just before introduces this one.
		b := st.cs
		if b == nil || b.content() || b.wrapped {
			b = r.begin(st, num)
		}
		b.introduced, b.wrapped, b.injected = true, true, ev.Injected
		if b.cs.Runtime == "" { // INIT_START, Lambda's own word, wins
			b.cs.Runtime = ev.Runtime
		}
		b.cs.Handler = ev.Handler
		b.cs.Arch = ev.Arch
		if b.cs.InitType == "" && profile.ValidInitType(ev.InitType) {
			b.cs.InitType = ev.InitType
		}
		if ev.Proxy {
			// Exact markers are coming: a START already read (the emulator
			// prints one before init) says nothing about the boundary.
			b.exact = true
			b.untrustedStart, b.untrustedLine, b.firstUntrusted = false, 0, false
		}
	case marker.InitDone, marker.Restored:
		b := r.builderFor(st, num)
		r.demoteOpenStart(b, num, "before the init_done marker")
		b.exact, b.initDone = true, true
		if ev.Kind == marker.Restored {
			b.cs.Restored = true
		}
		if (ev.Kind == marker.Restored || ev.Via == marker.ViaRestore) && b.cs.InitType == "" {
			b.cs.InitType = profile.InitTypeSnapStart // restore/next is SnapStart's
		}
		r.setStage(st, b, stageAfter, "")
	case marker.InvokeStart:
		b := r.builderFor(st, num)
		r.demoteOpenStart(b, num, "before the invoke_start marker")
		b.exact = true
		r.setStage(st, b, stageInvoke, ev.RequestID)
		if ev.RequestID != "" {
			b.invocation(ev.RequestID, true)
		}
	case marker.InvokeEnd:
		b := r.builderFor(st, num)
		b.exact = true
		b.invokeDone = true
		r.setStage(st, b, stageAfter, "")
		if ev.RequestID != "" {
			b.invocation(ev.RequestID, true)
		}
	case marker.InitError:
		r.warn.warn("init-error", num, func() string { return "the runtime reported an init error: " + ev.Message })
	case marker.Warning:
		r.warn.warn("wrapper", num, func() string { return "coldprof-wrapper: " + ev.Message })
	}
	r.samplerMarker(st, ev)
}

// platformLine reads Lambda's START, END, REPORT, INIT_START,
// INIT_REPORT, RESTORE_START and RESTORE_REPORT lines, and reports whether
// text was one.
func (r *Reader) platformLine(st *stream, text []byte, num int) bool {
	if i := bytes.Index(text, requestIDKey); i > 0 && text[i-1] == ' ' {
		word := text[:i-1]
		if k := bytes.LastIndexAny(word, " \t"); k >= 0 {
			word = word[k+1:]
		}
		id := field(text[i+len(requestIDKey):])
		switch string(word) {
		case "START":
			r.startLine(st, string(id), num)
		case "END":
			r.endLine(st, string(id), num)
		case "REPORT":
			r.reportLine(st, string(id), text[i:], num)
		default:
			return false
		}
		return true
	}
	i := bytes.Index(text, initStartKey)
	restore := false
	if i < 0 {
		i = bytes.Index(text, restoreStartKey)
		restore = i >= 0
	}
	if i >= 0 {
		// A SnapStart restore is a new execution environment too; its
		// modules came with the snapshot, so it may have no import lines,
		// and that is no reason to warn.
		b := st.cs
		if b == nil || b.content() || b.invoked() || b.cs.Restored {
			b = r.begin(st, num)
		}
		b.introduced = !restore
		if restore {
			b.cs.Restored = true
			if b.cs.InitType == "" {
				b.cs.InitType = profile.InitTypeSnapStart
			}
		}
		if j := bytes.Index(text[i:], runtimeVerKey); j >= 0 {
			if rt := runtimeFromVersion(field(text[i+j+len(runtimeVerKey):])); rt != "" {
				b.cs.Runtime = rt
			}
		}
		b.initTypeFrom(text[i:])
		return true
	}
	if i := bytes.Index(text, initReportKey); i >= 0 {
		b := r.builderFor(st, num)
		rest := text[i:]
		rep := profile.InitReport{
			Phase:     string(reportField(rest, "Phase: ")),
			Status:    string(reportField(rest, "Status: ")),
			ErrorType: string(reportField(rest, "Error Type: ")),
		}
		rep.DurationMs, rep.HasDuration = durationAfter(rest, initDurationKey)
		if rep.HasDuration && !b.cs.HasInitDuration {
			b.cs.InitDurationMs, b.cs.HasInitDuration = rep.DurationMs, true
			b.cs.InitDurationFrom = profile.InitFromInitReport
		}
		if len(b.cs.InitReports) < maxInitReports {
			b.cs.InitReports = append(b.cs.InitReports, rep)
		}
		b.initTypeFrom(rest)
		return true
	}
	if i := bytes.Index(text, restoreRepKey); i >= 0 {
		b := r.builderFor(st, num)
		b.cs.Restored = true
		if b.cs.InitType == "" {
			b.cs.InitType = profile.InitTypeSnapStart
		}
		if ms, ok := durationAfter(text[i:], restoreDurationKey); ok {
			b.cs.RestoreDurationMs, b.cs.HasRestoreDuration = ms, true
		}
		return true
	}
	return false
}

// maxInitReports bounds the INIT_REPORT lines kept per cold start: a real
// one has one or two (an init retried at the first invocation).
const maxInitReports = 8

// initTypeFrom takes the initialization type from a platform line of
// Lambda's JSON log format (rewritten with an "Initialization Type" field,
// see package envelope); Lambda's word wins over the start marker's.
func (b *builder) initTypeFrom(text []byte) {
	if t := reportField(text, string(initTypeKey)); profile.ValidInitType(string(t)) {
		b.cs.InitType = string(t)
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
		b.untrustedStart = true
		b.untrustedLine = num
		b.firstUntrusted = b.firstUntrusted || !b.invoked()
		return
	}
	b.platform = true
	r.setStage(st, b, stageInvoke, id)
	b.ctxs[len(b.ctxs)-1].byStart = true
}

func (r *Reader) endLine(st *stream, id string, num int) {
	b := r.builderFor(st, num)
	b.invokeDone = true
	b.untrustedStart = false
	if !b.exact {
		r.demoteWrongStart(b, id, num)
		r.setStage(st, b, stageAfter, "")
	}
	b.invocation(id, true)
}

func (r *Reader) reportLine(st *stream, id string, text []byte, num int) {
	b := r.builderFor(st, num)
	b.invokeDone = true
	if !b.exact {
		r.demoteWrongStart(b, id, num)
	}
	if ms, ok := durationAfter(text, initDurationKey); ok && !b.cs.HasInitDuration {
		b.cs.InitDurationMs, b.cs.HasInitDuration = ms, true
		b.cs.InitDurationFrom = profile.InitFromReport
	}
	if ms, ok := parseMs(reportField(text, "Restore Duration: ")); ok {
		b.cs.Restored = true
		if b.cs.InitType == "" {
			b.cs.InitType = profile.InitTypeSnapStart
		}
		if !b.cs.HasRestoreDuration {
			b.cs.RestoreDurationMs, b.cs.HasRestoreDuration = ms, true
		}
		if billed, ok := parseMs(reportField(text, "Billed Restore Duration: ")); ok {
			b.cs.BilledRestoreDurationMs = billed
		}
	}
	inv := b.invocation(id, true)
	inv.Reported = true
	if ms, ok := parseMs(reportField(text, "Duration: ")); ok {
		inv.DurationMs = ms
	}
	if ms, ok := parseMs(reportField(text, "Billed Duration: ")); ok {
		inv.BilledDurationMs = ms
	}
	if mb, ok := parseMB(reportField(text, "Memory Size: ")); ok {
		inv.MemorySizeMB = mb
	}
	if mb, ok := parseMB(reportField(text, "Max Memory Used: ")); ok {
		inv.MaxMemoryUsedMB = mb
	}
	if s := reportField(text, "Status: "); len(s) > 0 && string(s) != "success" {
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
	b.firstUntrusted = true
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

// reportField returns the value after label in a platform line whose
// fields are separated by tabs (or, where a view squeezed them, spaces),
// up to the next space or tab. A label must start a field: "Duration: "
// is not the end of "Billed Duration: ".
func reportField(text []byte, label string) []byte {
	for off := 0; off < len(text); {
		j := bytes.Index(text[off:], []byte(label))
		if j < 0 {
			return nil
		}
		j += off
		before := text[:j]
		if j == 0 || before[j-1] == '\t' || before[j-1] == ' ' && !endsInLabelWord(before[:j-1]) {
			return field(text[j+len(label):])
		}
		off = j + len(label)
	}
	return nil
}

// endsInLabelWord reports whether b ends in a word that begins a longer
// platform-line label ("Billed Duration", "Max Memory Used").
func endsInLabelWord(b []byte) bool {
	for _, w := range []string{"Billed", "Init", "Restore", "Max", "Runtime", "Error"} {
		if bytes.HasSuffix(b, []byte(w)) && (len(b) == len(w) || b[len(b)-len(w)-1] == ' ' || b[len(b)-len(w)-1] == '\t') {
			return true
		}
	}
	return false
}

func parseMB(b []byte) (int64, bool) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil && v >= 0
}

// field returns the text up to the next space or tab.
func field(b []byte) []byte {
	if k := bytes.IndexAny(b, " \t"); k >= 0 {
		return b[:k]
	}
	return b
}

// durationAfter finds key in text and parses the "N.NN ms" after it.
func durationAfter(text, key []byte) (float64, bool) {
	i := bytes.Index(text, key)
	if i < 0 {
		return 0, false
	}
	return parseMs(text[i+len(key):])
}

func parseMs(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(field(b)), 64)
	return v, err == nil && v >= 0
}

// runtimeFromVersion turns INIT_START's "python:3.12.mainlinev2.v7" into
// the runtime identifier "python3.12" ("nodejs:20.v13" → "nodejs20.x").
func runtimeFromVersion(v []byte) string {
	colon := bytes.IndexByte(v, ':')
	if colon <= 0 {
		return ""
	}
	lang, rest := string(v[:colon]), v[colon+1:]
	var num []byte
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		k := 0
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if len(num) > 0 {
			num = append(num, '.')
		}
		num = append(num, rest[:k]...)
		rest = rest[k:]
		if len(rest) > 1 && rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' {
			rest = rest[1:]
			continue
		}
		break
	}
	if len(num) == 0 {
		return lang
	}
	if lang == "nodejs" {
		return lang + string(num) + ".x"
	}
	return lang + string(num)
}

// runtimeWord returns the runtime identifier at the start of b
// ("python3.12" from "python3.12 …").
func runtimeWord(b []byte) []byte {
	k := 0
	for k < len(b) && (b[k] >= 'a' && b[k] <= 'z' || b[k] >= '0' && b[k] <= '9' || b[k] == '.' || b[k] == '_') {
		k++
	}
	return bytes.TrimRight(b[:k], ".")
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
		case b.introduced && st.jsonLog:
			r.warn.warn("empty", b.cs.Line, func() string { return envelope.DroppedTextWarning })
		case b.wrapped && b.injected == "":
			r.warn.warn("empty", b.cs.Line, func() string {
				return "a cold start with no load-time lines: coldprof-wrapper ran but injected nothing (see its warning marker)"
			})
		case b.introduced:
			r.warn.warn("empty", b.cs.Line, func() string {
				return "a cold start with no load-time lines (is the coldprof wrapper set as AWS_LAMBDA_EXEC_WRAPPER, or -X importtime on?)"
			})
		}
		return nil
	}
	cs := &b.cs
	if st.n > 0 && !b.introduced && !b.hasHeader {
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
	case b.initDone:
		cs.Boundary = profile.BoundaryExact
	case b.platform && !b.firstUntrusted:
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

// assignPhases gives every top-level entry not yet given one (see
// assignEager) a phase, and its subtree the same.
func assignPhases(items []item, ctxs []phaseCtx, rules *Rules) {
	interpEnd := -1
	for i, it := range items {
		if it.level > 0 {
			continue
		}
		if rules.InterpreterEnd != "" && it.imp.Name == rules.InterpreterEnd {
			interpEnd = i
			break
		}
		if rules.startsRuntime(it.imp.Name) {
			interpEnd = i - 1
			break
		}
	}
	var w phaseWalk
	for i := range items {
		it := &items[i]
		if i <= interpEnd {
			if !it.assigned {
				it.assign(profile.PhaseInterpreter, "")
			}
			continue
		}
		// The walk sees every entry, also those assigned eagerly, so that
		// its state is the one assignEager had.
		phase, id := w.phaseOf(it, ctxs, rules)
		if !it.assigned {
			it.assign(phase, id)
		}
	}
}

// A phaseWalk is the state of phase attribution over the top-level entries
// after the interpreter's start-up, in log order.
type phaseWalk struct {
	// runtimeLibrary is set from a Rules.RuntimeStart entry until the
	// function's first unit: library entries are the runtime's meanwhile.
	runtimeLibrary bool
	// functionSeen is set from the function's first unit on.
	functionSeen bool
}

// phaseOf is the phase of the next top-level entry after the interpreter's
// start-up.
func (w *phaseWalk) phaseOf(it *item, ctxs []phaseCtx, rules *Rules) (profile.Phase, string) {
	ctx := ctxs[it.ctx]
	top := it.level <= 0
	switch {
	case top && rules.startsRuntime(it.imp.Name):
		w.runtimeLibrary = true
		return profile.PhaseRuntime, ""
	case rules.isRuntime(it.imp.Name):
		return profile.PhaseRuntime, ""
	case (w.runtimeLibrary || rules.LibraryFirst && !w.functionSeen) && ctx.stage == stageInit && rules.isLibrary(it.imp.Name):
		return profile.PhaseRuntime, ""
	}
	if top {
		w.runtimeLibrary = false // the function's first unit
		w.functionSeen = true
	}
	if ctx.stage == stageInvoke || ctx.stage == stageAfter {
		return profile.PhaseInvoke, ctx.requestID
	}
	return profile.PhaseInit, ""
}

// assign gives the entry and its subtree a phase.
func (it *item) assign(phase profile.Phase, requestID string) {
	it.assigned = true
	it.imp.Walk(func(imp *profile.Import, _ int) bool {
		imp.Phase, imp.RequestID = phase, requestID
		return true
	})
}

// assignEager gives a top-level entry its phase as soon as it is complete,
// while its nodes are still in the cache, when the phase can be known
// already: after the interpreter's last entry, or at the entry that ends the
// interpreter's start-up (which settles every entry before it). assignPhases
// does the rest at the end.
func (b *builder) assignEager(rules *Rules) {
	items := b.tr.items
	last := &items[len(items)-1]
	if !b.interpDone {
		switch {
		case rules.InterpreterEnd == "" && len(rules.RuntimeStart) == 0:
			b.interpDone = true
		case rules.InterpreterEnd != "" && last.imp.Name == rules.InterpreterEnd:
			b.interpDone = true
			for i := range items {
				if !items[i].assigned {
					items[i].assign(profile.PhaseInterpreter, "")
				}
			}
			return
		case rules.startsRuntime(last.imp.Name):
			b.interpDone = true
			for i := range items[:len(items)-1] {
				if !items[i].assigned {
					items[i].assign(profile.PhaseInterpreter, "")
				}
			}
		default:
			return
		}
	}
	last.assign(b.walk.phaseOf(last, b.ctxs, rules))
}
