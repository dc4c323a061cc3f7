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
// class-load line, so an entry is handed to the sink one line late. The
// JVM's "Picked up JAVA_TOOL_OPTIONS:" line, and a class-load line whose
// uptime went back, start a new process. Boundary (parsers.Boundarier, which
// the Reader calls before a marker or platform line moves the phase) ends the
// pending class with no time.
type Grammar struct {
	tl Timeline
}

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
		g.Flush(sink)
		sink.NewProcess()
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
	if g.tl.has && l.HasTime && g.tl.pending.HasTime && l.UptimeNs < g.tl.pending.UptimeNs {
		g.Flush(sink) // the uptime went back: another JVM
		sink.NewProcess()
	}
	if e, ok := g.tl.Add(l, 0); ok {
		sink.Add(entry(e))
	}
	return true
}

// Flush adds the pending class with no time after it.
func (g *Grammar) Flush(sink parsers.Sink) {
	if e, ok := g.tl.Cut(); ok {
		sink.Add(entry(e))
	}
}

// Boundary is Flush under the name parsers.Boundarier gives it: called
// before a marker or platform line changes the phase, it keeps the last class
// of a phase in that phase and keeps the time after it (idle time waiting for
// an invocation) out of every class.
func (g *Grammar) Boundary(sink parsers.Sink) { g.Flush(sink) }

func entry(e Entry) parsers.Entry {
	return parsers.Entry{Name: e.Class, Origin: e.Origin, SelfUs: e.Us, CumulativeUs: e.Us}
}
