// Package classload reads the JVM's class-load log: the "class,load" lines of
// JDK 9+ unified logging (-Xlog:class+load, -verbose:class) and JDK 8's
// "[Loaded X from Y]" lines, and turns them into profile entries.
//
// A class-load line is an instant, not a duration. A Timeline attributes to
// each class the time until the next class-load line of the same JVM: the
// time the JVM spent after loading the class (linking, initialising, running
// the code that asked for the next class). The last class before a cut (a
// phase boundary, the end of the log) gets no time: nothing says when its
// work ended. JDK 8 lines carry no time at all; their entries have zero time
// and only count.
//
// The line shapes read (see import-profilers.md B.10), with any text before
// the first '[' (CloudWatch timestamps, request IDs):
//
//	[0.057s][info][class,load] java.lang.Object source: shared objects file
//	[21180051ns][info ][class,load] sun.nio.cs.UTF_8$Encoder source: jrt:/java.base
//	[0.043s][info][class,load] Hello source: file:/app/classes/
//	[0.051s][info][class,load] Hello$$Lambda$1/0x00007f8ca8000a08 source: Hello
//	[0.057s][info][class,load] java.lang.invoke.LambdaForm$MH/0x0000… source: __JVM_LookupDefineClass__
//	[Loaded java.lang.Object from /usr/lib/jvm/…/rt.jar]
//
// The wrapper asks for "-Xlog:class+load=info:stderr:uptimenanos,level,tags"
// (Inject); uptime (seconds, ms precision), uptimemillis and uptimenanos
// decorators are all understood, the finest one present is used.
package classload

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// Inject is the option coldprof-wrapper appends to JAVA_TOOL_OPTIONS: class
// loads at info level on stderr with nanosecond uptime (JDK 9+; JDK 8
// ignores -Xlog with a warning and starts anyway).
const Inject = "-Xlog:class+load=info:stderr:uptimenanos,level,tags"

// A Kind says where a class came from.
type Kind uint8

// The kinds of class sources.
const (
	// KindUnknown is a source this package does not recognise.
	KindUnknown Kind = iota
	// KindCDS is the JVM's class-data-sharing archive ("shared objects file",
	// also "(top)" for a dynamic archive): mapped, not parsed.
	KindCDS
	// KindJRT is the JDK's module image ("jrt:/java.base").
	KindJRT
	// KindJar is a jar file (file:/…/x.jar, jar:file:/…/x.jar!/).
	KindJar
	// KindDir is a directory of class files (file:/var/task/).
	KindDir
	// KindDynamic is a class the JVM defined at run time
	// (__JVM_LookupDefineClass__, __JVM_DefineClass__, __VM_Anonymous__…).
	KindDynamic
	// KindHidden is a hidden or lambda class whose source is its host class
	// ("Hello$$Lambda$1/0x… source: Hello").
	KindHidden
)

var kindNames = [...]string{"unknown", "cds", "jrt", "jar", "dir", "dynamic", "hidden"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// OriginCDS is the Origin of every class loaded from a shared archive, so a
// report can sum what CDS served.
const OriginCDS = profile.OriginSharedArchive

// A Load is one class-load line.
type Load struct {
	// Class is the class's binary name ("java.lang.String", "Hello$$Lambda$1/0x…").
	Class string
	// Source is the text after "source:" (or JDK 8's "from"), trimmed.
	Source string
	Kind   Kind
	// Origin is what the class is rolled up by: the jar or directory path
	// (file: and jar: prefixes removed), the module ("jrt:/java.base"),
	// OriginCDS, the host class of a hidden class, or the defining marker.
	Origin string
	// UptimeNs is the JVM's uptime at the load, in nanoseconds; HasTime is
	// false when the line carried no uptime decorator (JDK 8).
	UptimeNs int64
	HasTime  bool
}

// A Result says what ParseLine found.
type Result uint8

// The results of ParseLine.
const (
	// NotClassLoad: the line is something else; ignore it.
	NotClassLoad Result = iota
	// Parsed: a class-load line.
	Parsed
	// Skipped: a class,load line this package does not time (debug level
	// details such as "klass: … super: …"): known but not a load.
	Skipped
	// Malformed: a class,load line without a class name.
	Malformed
)

var (
	tagClassLoad = []byte("[class,load")
	loadedJDK8   = []byte("[Loaded ")
	sourceSep    = []byte(" source: ")
	fromSep      = []byte(" from ")
)

// ParseLine parses one log line. It does not allocate for lines that are not
// class-load lines, and never panics.
func ParseLine(line []byte) (Load, Result) {
	if i := bytes.Index(line, tagClassLoad); i >= 0 {
		return parseUnified(line, i)
	}
	if i := bytes.Index(line, loadedJDK8); i >= 0 {
		return parseJDK8(line[i+len(loadedJDK8):])
	}
	return Load{}, NotClassLoad
}

// parseUnified parses a JDK 9+ line whose tags decorator starts at tag.
func parseUnified(line []byte, tag int) (Load, Result) {
	end := bytes.IndexByte(line[tag:], ']')
	if end < 0 {
		return Load{}, NotClassLoad
	}
	tags := bytes.TrimRight(line[tag+1:tag+end], " ")
	if string(tags) != "class,load" {
		return Load{}, NotClassLoad // class,load,cause or the like
	}
	var l Load
	// Decorators before the tags: [0.057s][57ms][57123456ns][info ].
	decorations := line[:tag]
	if open := bytes.IndexByte(decorations, '['); open >= 0 {
		decorations = decorations[open:]
	}
	level := ""
	var sNs, msNs, nsNs int64 = -1, -1, -1
	for len(decorations) > 0 && decorations[0] == '[' {
		closeAt := bytes.IndexByte(decorations, ']')
		if closeAt < 0 {
			break
		}
		d := string(bytes.TrimSpace(decorations[1:closeAt]))
		decorations = decorations[closeAt+1:]
		switch {
		case d == "info" || d == "debug" || d == "trace" || d == "warning" || d == "error":
			level = d
		case strings.HasSuffix(d, "ns"):
			if v, err := strconv.ParseInt(d[:len(d)-2], 10, 64); err == nil && v >= 0 {
				nsNs = v
			}
		case strings.HasSuffix(d, "ms"):
			// uptimemillis; timemillis (Unix) is far larger and ignored.
			if v, err := strconv.ParseInt(d[:len(d)-2], 10, 64); err == nil && v >= 0 && v < 1e11 {
				msNs = v * 1e6
			}
		case strings.HasSuffix(d, "s"):
			if v, ok := parseSeconds(d[:len(d)-1]); ok {
				sNs = v
			}
		}
	}
	switch {
	case nsNs >= 0:
		l.UptimeNs, l.HasTime = nsNs, true
	case msNs >= 0:
		l.UptimeNs, l.HasTime = msNs, true
	case sNs >= 0:
		l.UptimeNs, l.HasTime = sNs, true
	}
	if level != "" && level != "info" {
		return Load{}, Skipped
	}
	body := bytes.TrimSpace(line[tag+end+1:])
	if bytes.HasPrefix(body, sourceSep[1:]) {
		return Load{}, Malformed // "source: …" with no class before it
	}
	src := bytes.Index(body, sourceSep)
	if src < 0 {
		if len(body) == 0 {
			return Load{}, Malformed
		}
		// Debug details print without a level decorator when none was asked
		// for: "klass: 0x… super: …". A bare class name is still a load.
		if bytes.IndexByte(body, ' ') >= 0 {
			return Load{}, Skipped
		}
		l.Class = string(body)
		return l, Parsed
	}
	return withClass(l, body[:src], body[src+len(sourceSep):])
}

// withClass completes l with the class name and source (nil when the line
// names none) of a load line, in either the unified or the JDK 8 grammar.
func withClass(l Load, class, source []byte) (Load, Result) {
	class = bytes.TrimSpace(class)
	if len(class) == 0 || bytes.IndexByte(class, ' ') >= 0 {
		return Load{}, Malformed
	}
	l.Class = string(class)
	l.Source = string(bytes.TrimSpace(source))
	l.Kind, l.Origin = classify(l.Source)
	return l, Parsed
}

// parseJDK8 parses what follows "[Loaded ": "X from Y]".
func parseJDK8(rest []byte) (Load, Result) {
	end := bytes.LastIndexByte(rest, ']')
	if end < 0 {
		return Load{}, NotClassLoad
	}
	rest = rest[:end]
	from := bytes.Index(rest, fromSep)
	if from < 0 {
		return withClass(Load{}, rest, nil)
	}
	return withClass(Load{}, rest[:from], rest[from+len(fromSep):])
}

// parseSeconds parses "0.057" into nanoseconds without float rounding.
func parseSeconds(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e9 {
		return 0, false
	}
	ns := w * 1e9
	scale := int64(1e8)
	for i := 0; i < len(frac) && scale > 0; i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		ns += int64(c-'0') * scale
		scale /= 10
	}
	return ns, true
}

// classify sorts a source into a Kind and the origin it rolls up by.
func classify(src string) (Kind, string) {
	switch {
	case src == "":
		return KindUnknown, ""
	case strings.HasPrefix(src, "shared objects file"):
		return KindCDS, OriginCDS
	case strings.HasPrefix(src, "jrt:/"):
		return KindJRT, src
	case strings.HasPrefix(src, "__") && strings.HasSuffix(src, "__"):
		return KindDynamic, src
	case strings.HasPrefix(src, "jar:"):
		p := strings.TrimPrefix(src, "jar:")
		if i := strings.Index(p, "!/"); i >= 0 {
			p = p[:i]
		}
		return KindJar, strings.TrimPrefix(p, "file:")
	case strings.HasPrefix(src, "file:") || strings.HasPrefix(src, "/"):
		p := strings.TrimPrefix(src, "file:")
		if strings.HasSuffix(p, ".jar") || strings.HasSuffix(p, ".zip") {
			return KindJar, p
		}
		return KindDir, p
	case strings.Contains(src, ":") || strings.Contains(src, " "):
		return KindUnknown, src // another URL scheme or free text
	}
	// A bare class name: the host class of a hidden or lambda class.
	return KindHidden, src
}
