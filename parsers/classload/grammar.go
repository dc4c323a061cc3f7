package classload

import (
	"bytes"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

// A Grammar plugs the class-load log into parsers.Reader:
//
//	parsers.Options{Grammars: []func() parsers.Grammar{classload.NewGrammar}}
//
// Each class becomes a flat (level 0) entry whose time is the gap to the next
// class-load line of the same JVM, so an entry is handed to the sink one line
// late. Boundary (parsers.Boundarier, which the Reader calls before a marker
// or platform line moves the phase) ends the pending classes with no time.
//
// Another JVM's output begins with its "Picked up JAVA_TOOL_OPTIONS:" line,
// or shows as a class-load line whose uptime is below every open JVM's. In a
// cold start begun by a start marker or INIT_START (Sink.Introduced) that is
// a JVM the function started, which inherited JAVA_TOOL_OPTIONS: its classes
// join the cold start with a timeline of their own (a line continues the JVM
// whose last uptime is the largest not above its own: a JVM started later
// always has the smaller uptime). Otherwise (a bare log of several JVM runs)
// it starts a new cold start.
type Grammar struct {
	// jvms are the JVMs whose output is open in this cold start, in the
	// order they appeared; cur is the one the last line continued.
	jvms []jvm
	cur  int
}

// A jvm is one JVM's timeline and the last uptime it logged, kept across
// phase boundaries (which cut the timeline).
type jvm struct {
	tl      Timeline
	lastNs  int64
	hasTime bool
}

// maxJVMs bounds the JVMs followed at once, so garbage uptimes cannot make
// each line scan a long list.
const maxJVMs = 8

var (
	_ parsers.Grammar    = (*Grammar)(nil)
	_ parsers.Boundarier = (*Grammar)(nil)
)

// NewGrammar returns a Grammar for one log stream.
func NewGrammar() parsers.Grammar { return &Grammar{} }

var pickedUp = []byte("Picked up JAVA_TOOL_OPTIONS:")

// Format is java-classload.
func (g *Grammar) Format() profile.Format { return profile.FormatJavaClassLoad }

// Line reads one line; it claims class-load lines (also debug details and
// malformed ones, which it drops) and the JVM's "Picked up" line.
func (g *Grammar) Line(text []byte, sink parsers.Sink) bool {
	if bytes.Contains(text, pickedUp) {
		if !sink.Introduced() {
			g.Flush(sink)
			sink.NewProcess()
		}
		// else: a JVM the function started; its first class-load line
		// opens its timeline.
		return true
	}
	l, res := ParseLine(text)
	switch res {
	case NotClassLoad:
		return false
	case Parsed:
	default:
		return true
	}
	j := g.jvmFor(l)
	switch {
	case len(g.jvms) == 0:
		j = g.newJVM(sink)
	case j < 0:
		// The uptime is below every open JVM's: another JVM.
		if !sink.Introduced() {
			g.Flush(sink)
			sink.NewProcess()
		}
		j = g.newJVM(sink)
	}
	g.cur = j
	v := &g.jvms[j]
	if l.HasTime {
		v.lastNs, v.hasTime = l.UptimeNs, true
	}
	if e, ok := v.tl.Add(l, 0); ok {
		sink.Add(entry(e))
	}
	return true
}

// jvmFor returns the index of the JVM l continues, or -1 for a new one.
func (g *Grammar) jvmFor(l Load) int {
	if len(g.jvms) == 0 {
		return -1
	}
	if !l.HasTime {
		return g.cur // JDK 8 lines: nothing tells JVMs apart
	}
	best := -1
	for i := range g.jvms {
		v := &g.jvms[i]
		if !v.hasTime {
			if best < 0 {
				best = i // a JVM with no uptime yet takes any
			}
			continue
		}
		if v.lastNs <= l.UptimeNs && (best < 0 || !g.jvms[best].hasTime || v.lastNs > g.jvms[best].lastNs) {
			best = i
		}
	}
	return best
}

// newJVM opens a timeline for another JVM, making room when maxJVMs are
// open by ending the last one opened.
func (g *Grammar) newJVM(sink parsers.Sink) int {
	if len(g.jvms) == maxJVMs {
		last := &g.jvms[len(g.jvms)-1]
		if e, ok := last.tl.Cut(); ok {
			sink.Add(entry(e))
		}
		*last = jvm{}
		return len(g.jvms) - 1
	}
	g.jvms = append(g.jvms, jvm{})
	return len(g.jvms) - 1
}

// Flush adds the pending classes with no time after them; the cold start
// ends, and with it every JVM's output.
func (g *Grammar) Flush(sink parsers.Sink) {
	g.Boundary(sink)
	g.jvms, g.cur = g.jvms[:0], 0
}

// Boundary is called before a marker or platform line changes the phase:
// it keeps the last class of a phase in that phase and keeps the time after
// it (idle time waiting for an invocation) out of every class. The JVMs stay
// open.
func (g *Grammar) Boundary(sink parsers.Sink) {
	for i := range g.jvms {
		if e, ok := g.jvms[i].tl.Cut(); ok {
			sink.Add(entry(e))
		}
	}
}

func entry(e Entry) parsers.Entry {
	return parsers.Entry{Name: e.Class, Origin: e.Origin, SelfUs: e.Us, CumulativeUs: e.Us}
}
