package parsers

import (
	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/profile"
)

// javaLine offers a line no built-in kind claimed to the stream's reader of
// the JVM's class-load log (package parsers/classload), and reports whether
// it was one. Classes join the cold-start builder like importtime entries,
// flat; another JVM's first line is like an importtime header.
func (r *Reader) javaLine(st *stream, text []byte, num int) bool {
	st.javaLine = num
	introduced := st.cs != nil && st.cs.opened.announced()
	done, newProcess, ok := st.java.Line(text, introduced)
	if !ok {
		return false
	}
	r.addClasses(st, done, num)
	if newProcess {
		r.newProcess(st, profile.FormatJavaClassLoad, num)
	}
	return true
}

// addClasses adds the classes the class-load grammar handed out while line
// num was read (a class's time is known only at the next line) to st's
// cold start.
func (r *Reader) addClasses(st *stream, classes []classload.Entry, num int) {
	for _, e := range classes {
		b := r.builderFor(st, num)
		imp := b.alloc.node()
		imp.Name = e.Class
		imp.Origin = e.Origin
		imp.SelfUs = max(e.Us, 0)
		imp.CumulativeUs = imp.SelfUs
		imp.Line = num
		r.addEntry(st, b, profile.FormatJavaClassLoad, imp, 0)
	}
}
