package parsers

import (
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// A Grammar reads load-time lines of a shape the Reader does not know, such
// as the JVM's class-load log ("[0.057s][info][class,load] java.lang.Object
// source: jrt:/java.base"). Options.Grammars makes one per log stream, so a
// Grammar may keep state between lines (the previous instant, say).
type Grammar interface {
	// Format is recorded as the cold start's format when its first entry
	// comes from this grammar.
	Format() profile.Format
	// Line is offered each line that holds no built-in load-time line,
	// marker or platform line. It reports whether the line was its own and
	// passes what it read to sink. text is only valid during the call.
	Line(text []byte, sink Sink) bool
	// Flush is called when the stream's cold start ends (a new one begins,
	// or the input ends): the grammar adds any entry it held back.
	Flush(sink Sink)
}

// A Boundarier is a Grammar that holds entries back (a timeline that knows
// an entry's time only at the next line). Boundary is called before a
// marker or platform line changes the phase (init_done, invoke_start,
// invoke_end, START, END): the grammar adds what it held, so that entry
// stays in the phase it was loaded in, and the time until the next line
// (waiting for an invocation) goes to no entry.
type Boundarier interface {
	Grammar
	Boundary(sink Sink)
}

// A Sink takes what a Grammar read and feeds the cold-start builder, which
// does the rest: nesting, splitting, phases, platform lines and markers.
type Sink interface {
	// Add adds one entry, in post-order like importtime (children before
	// their parent). Flat grammars add every entry at Level 0.
	Add(e Entry)
	// NewProcess says a new process's output begins (the JVM's first line):
	// like an importtime header, it starts a new cold start when the current
	// one already has entries, unless Introduced. Flush the held-back
	// entries before calling it.
	NewProcess()
	// Introduced reports whether the open cold start was begun by a start
	// marker or INIT_START. Then only another of those begins a new cold
	// start: a process the function started (a java child inheriting
	// JAVA_TOOL_OPTIONS) prints its own first line, and its entries belong
	// to this cold start, so NewProcess does not split it.
	Introduced() bool
}

// An Entry is one loaded unit read by a Grammar. Its Import.Line is the
// line being read when it was added (for an entry held back, the next one).
type Entry struct {
	Name   string
	Origin string // the jar, shared archive or path, when known
	SelfUs int64
	// CumulativeUs includes the children's time; for a flat entry it equals SelfUs.
	CumulativeUs int64
	// Level is the nesting level (0 = top level), or -1 to have the nesting
	// rebuilt from the times.
	Level  int
	Cached bool
}

// Rules tell the phase attribution which entries of a format belong to the
// interpreter and to the runtime; everything else is init or invoke.
type Rules struct {
	// InterpreterEnd names the top-level entry that ends the interpreter's
	// start-up ("site" for Python); it and everything before it are
	// interpreter. Empty when the format has no such phase in its log.
	InterpreterEnd string
	// Runtime lists the runtime client's own units: an entry whose name is
	// one of these, or starts with one followed by '.' or '/', is runtime.
	Runtime []string
	// RuntimeStart names the units that start the runtime client (the JVM's
	// main class). For a format whose interpreter logs its own start-up but
	// has no last entry of its own (the JVM's boot classes), every top-level
	// entry before the first of these is interpreter. A log without one has
	// no interpreter phase.
	RuntimeStart []string
	// Library lists the interpreter's own library (java, jdk, sun): after a
	// RuntimeStart entry and before the function's first unit (the first
	// entry that is neither runtime nor library), entries of it are the
	// runtime client loading what it needs, so they are runtime too. Matched
	// like Runtime (a prefix ending in ':' matches every name it starts).
	// Only during init.
	Library []string
	// LibraryFirst makes Library entries runtime from the start of the log
	// until the function's first unit, without a RuntimeStart entry: Node.js
	// prints no line for the runtime client's entry script, whose built-ins
	// (node:path, node:http…) come first at the top level.
	LibraryFirst bool
	// RuntimeEntry names the runtime client's ES module entry scripts: one's
	// line comes after the CommonJS loads it made while it ran, at the same
	// level (the two loaders are timed apart), and its time includes theirs.
	// It adopts the Library entries just before it whose times fit in its
	// own, so that no time is counted twice.
	RuntimeEntry []string
}

// DefaultRules returns the rules coldprof uses for a format.
func DefaultRules(f profile.Format) Rules {
	switch f {
	case profile.FormatPythonImporttime:
		return Rules{
			InterpreterEnd: "site",
			// awslambdaric is Lambda's runtime client and bootstrap its entry
			// script; coldprof_runtime is the runtime client coldprof run
			// ships; lambda_runtime_* are the older managed runtimes' modules.
			// runpy starts awslambdaric in container images (python -m
			// awslambdaric handler).
			Runtime: []string{"awslambdaric", "bootstrap", "coldprof_runtime", "runpy",
				"lambda_runtime_client", "lambda_runtime_marshaller",
				"lambda_runtime_exception", "lambda_runtime_log_utils"},
		}
	case profile.FormatNodeRequire:
		// Lambda's Node.js runtime client lives in /var/runtime on managed
		// runtimes and is the npm package aws-lambda-ric in container
		// images; either loads Node's built-ins before the handler
		// (lambda-runtime.md §8.4).
		return Rules{
			Runtime:      []string{"/var/runtime", "aws-lambda-ric"},
			Library:      []string{"node:"},
			LibraryFirst: true,
			RuntimeEntry: []string{"/var/runtime/index.mjs", "aws-lambda-ric/index.mjs"},
		}
	case profile.FormatRubyRequire:
		// aws_lambda_ric is the Ruby runtime client's gem (container images).
		return Rules{Runtime: []string{"/var/runtime", "aws_lambda_ric"}}
	case profile.FormatJavaClassLoad:
		// coldprof.runtime is the Java runtime client coldprof run ships;
		// the main classes are lambda-runtime.md 1.4's (java8/11: the first,
		// java17+: the runtime interface client's) and coldprof run's.
		return Rules{
			Runtime: []string{"lambdainternal", "com.amazonaws.services.lambda.runtime", "coldprof.runtime"},
			RuntimeStart: []string{"lambdainternal.AWSLambda",
				"com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
				"coldprof.runtime.AWSLambda"},
			Library: []string{"java", "javax", "jdk", "sun", "com.sun"},
		}
	}
	return Rules{}
}

// isRuntime reports whether name is one of the runtime's own units.
func (r *Rules) isRuntime(name string) bool { return underAny(name, r.Runtime) }

// isLibrary reports whether name is one of the interpreter's library units.
func (r *Rules) isLibrary(name string) bool { return underAny(name, r.Library) }

// isRuntimeEntry reports whether name is one of RuntimeEntry.
func (r *Rules) isRuntimeEntry(name string) bool {
	for _, s := range r.RuntimeEntry {
		if name == s {
			return true
		}
	}
	return false
}

// startsRuntime reports whether name is one of RuntimeStart.
func (r *Rules) startsRuntime(name string) bool {
	for _, s := range r.RuntimeStart {
		if name == s {
			return true
		}
	}
	return false
}

// underAny reports whether name is one of prefixes, or starts with one
// followed by '.' or '/'.
func underAny(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasSuffix(p, ":") {
			if strings.HasPrefix(name, p) {
				return true
			}
			continue
		}
		if strings.HasPrefix(name, p) && (len(name) == len(p) || name[len(p)] == '.' || name[len(p)] == '/') {
			return true
		}
	}
	return false
}

func (r *Reader) rules(f profile.Format) Rules {
	if rules, ok := r.opts.Rules[f]; ok {
		return rules
	}
	return DefaultRules(f)
}

// grammarSink feeds a Grammar's entries to a stream's builder.
type grammarSink struct {
	r       *Reader
	st      *stream
	format  profile.Format
	lineNum int
}

func (s *grammarSink) Add(e Entry) {
	b := s.r.builderFor(s.st, s.lineNum)
	imp := b.alloc.node()
	imp.Name = e.Name
	imp.Origin = e.Origin
	imp.SelfUs = max(e.SelfUs, 0)
	imp.CumulativeUs = max(e.CumulativeUs, imp.SelfUs)
	imp.Cached = e.Cached
	imp.Line = s.lineNum
	level := e.Level
	if level < 0 {
		level = levelUnknown
	}
	s.r.addEntry(s.st, b, s.format, imp, level)
}

func (s *grammarSink) NewProcess() { s.r.newProcess(s.st, s.format, s.lineNum) }

func (s *grammarSink) Introduced() bool {
	b := s.st.cs
	return b != nil && (b.introduced || b.wrapped)
}

// sinkFor returns st's sink, set up for entries of g read at line.
func sinkFor(r *Reader, st *stream, g Grammar, line int) *grammarSink {
	st.sink = grammarSink{r: r, st: st, format: g.Format(), lineNum: line}
	return &st.sink
}
