package parsers

// Wrapper markers (package wrapper/marker): where init ends and each
// invocation begins and ends, exactly, and the start marker that begins a
// cold start.

import (
	"fmt"

	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/marker"
)

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
		if b == nil || b.content() || b.opened.wrapped() {
			b = r.begin(st, num)
		}
		b.opened, b.injected = openedByWrapper, ev.Injected
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
			b.untrustedLine = 0
			if b.evidence == unknownBoundary {
				b.evidence = noEvidence
			}
		}
	case marker.InitDone, marker.Restored:
		b := r.builderFor(st, num)
		r.demoteOpenStart(b, num, "before the init_done marker")
		b.exact, b.evidence = true, initDoneEvidence
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
