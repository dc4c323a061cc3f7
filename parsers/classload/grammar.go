package classload

import "bytes"

// A Grammar reads one log stream's class-load lines for package parsers,
// whose Reader offers it every line no built-in grammar claimed.
//
// Each class becomes a flat entry whose time is the gap to the next
// class-load line of the same JVM, so an entry is handed out one line late.
// Boundary (which the Reader calls before a marker or platform line moves
// the phase) ends the pending classes with no time.
//
// Another JVM's output begins with its "Picked up JAVA_TOOL_OPTIONS:" line,
// or shows as a class-load line whose uptime is below every open JVM's. In a
// cold start begun by a start marker or INIT_START (Line's introduced) that
// is a JVM the function started, which inherited JAVA_TOOL_OPTIONS: its
// classes join the cold start with a timeline of their own (a line
// continues the JVM whose last uptime is the largest not above its own: a
// JVM started later always has the smaller uptime). Otherwise (a bare log
// of several JVM runs) it starts a new cold start. The zero value is ready
// to use.
type Grammar struct {
	// jvms are the JVMs whose output is open in this cold start, in the
	// order they appeared; cur is the one the last line continued.
	jvms []jvm
	cur  int
	// done collects the entries a call hands out.
	done []Entry
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

var pickedUp = []byte("Picked up JAVA_TOOL_OPTIONS:")

// Line reads one line and reports whether it was the class-load log's: a
// class-load line (also debug details and malformed ones, which it drops)
// or the JVM's "Picked up" line. introduced says the open cold start was
// begun by a start marker or INIT_START. done are the classes whose time
// is now known, in log order, valid until the next call; newProcess says
// another JVM's output begins after them, which starts a new cold start
// (like an importtime header) when the open one has entries.
func (g *Grammar) Line(text []byte, introduced bool) (done []Entry, newProcess, claimed bool) {
	g.done = g.done[:0]
	if bytes.Contains(text, pickedUp) {
		if !introduced {
			g.flush()
			newProcess = true
		}
		// else: a JVM the function started; its first class-load line
		// opens its timeline.
		return g.done, newProcess, true
	}
	l, res := ParseLine(text)
	switch res {
	case NotClassLoad:
		return nil, false, false
	case Parsed:
	default:
		return nil, false, true
	}
	j := g.jvmFor(l)
	switch {
	case len(g.jvms) == 0:
		j = g.newJVM()
	case j < 0:
		// The uptime is below every open JVM's: another JVM.
		if !introduced {
			g.flush()
			newProcess = true
		}
		j = g.newJVM()
	}
	g.cur = j
	v := &g.jvms[j]
	if l.HasTime {
		v.lastNs, v.hasTime = l.UptimeNs, true
	}
	// After a new process the timeline is new: Add hands out nothing, so
	// every entry in done comes before the new process.
	if e, ok := v.tl.Add(l, 0); ok {
		g.done = append(g.done, e)
	}
	return g.done, newProcess, true
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
func (g *Grammar) newJVM() int {
	if len(g.jvms) == maxJVMs {
		last := &g.jvms[len(g.jvms)-1]
		if e, ok := last.tl.Cut(); ok {
			g.done = append(g.done, e)
		}
		*last = jvm{}
		return len(g.jvms) - 1
	}
	g.jvms = append(g.jvms, jvm{})
	return len(g.jvms) - 1
}

// Flush returns the pending classes with no time after them, valid until
// the next call; the cold start ends, and with it every JVM's output.
func (g *Grammar) Flush() []Entry {
	g.done = g.done[:0]
	g.flush()
	return g.done
}

func (g *Grammar) flush() {
	g.cut()
	g.jvms, g.cur = g.jvms[:0], 0
}

// Boundary is called before a marker or platform line changes the phase:
// it returns the last class of each JVM (valid until the next call), to
// stay in the phase it was loaded in, and keeps the time after it (idle
// time waiting for an invocation) out of every class. The JVMs stay open.
func (g *Grammar) Boundary() []Entry {
	g.done = g.done[:0]
	g.cut()
	return g.done
}

func (g *Grammar) cut() {
	for i := range g.jvms {
		if e, ok := g.jvms[i].tl.Cut(); ok {
			g.done = append(g.done, e)
		}
	}
}
