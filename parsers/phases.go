package parsers

import "github.com/coldprof/coldprof/profile"

// Phase assignment: the stage markers and platform lines set (a phaseCtx per
// change), and each top-level entry's phase from its context and the
// format's Rules, given as soon as it can be known (assignEager) or when
// the cold start completes (assignPhases).

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

// setStage moves st's cold start b to a new stage, first letting the
// class-load grammar hand over the classes it held back (see
// classload.Grammar.Boundary).
func (r *Reader) setStage(st *stream, b *builder, s stage, requestID string) {
	cur := b.ctxs[len(b.ctxs)-1]
	if cur.stage == s && cur.requestID == requestID {
		return
	}
	r.addClasses(st, st.java.Boundary(), st.javaLine)
	// A marker changes the stage while the runtime waits on the Runtime API
	// (the proxy writes it before forwarding), between its statements with
	// no import open in its main thread: Python 3.14's look-ups still
	// waiting for the next timed line were made at their lowest possible
	// level. Left to the next line, an import of the new stage would adopt
	// them and, its subtree starting before the change, take the old
	// stage's phase. A platform line (START) can land inside an import
	// (early-start.log), so without markers they wait as before.
	if b.exact {
		b.settleCached(b.tr.lastLevel)
	}
	b.ctxs = append(b.ctxs, phaseCtx{stage: s, requestID: requestID})
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
	assignTree(it.imp, phase, requestID)
}

// assignTree sets the phase of imp and its subtree: a plain recursion, as
// this visits every import (Import.Walk calls a closure per node).
func assignTree(imp *profile.Import, phase profile.Phase, requestID string) {
	imp.Phase, imp.RequestID = phase, requestID
	for _, c := range imp.Children {
		assignTree(c, phase, requestID)
	}
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
