// Package parsers turns Lambda logs into cold starts: import trees with
// phases. It reads only envelope.Records (package parsers/envelope decodes
// every CloudWatch export shape into them) and writes profile values.
//
// # Pipeline
//
//  1. A Reader takes records from an envelope.Decoder, splits each record's
//     text into lines and keeps one builder per log stream, so that the
//     interleaved streams of an export are read apart.
//  2. Each line is sorted into one kind, looked for anywhere in the line so
//     that prefixes (timestamps, stream names, request IDs, tabs) do not
//     matter: a load-time line ("import time:", "node require:",
//     "ruby require:"), a wrapper marker ("coldprof: {…}", package
//     wrapper/marker), a Lambda platform line (INIT_START, RESTORE_START,
//     START, END, REPORT, INIT_REPORT, RESTORE_REPORT; package platform
//     reads them, and package envelope rewrites the JSON log format's
//     platform events as these with it), a line of the JVM's class-load log
//     (package classload), or anything else, which is ignored.
//  3. Load-time lines build a tree in post-order (a line is printed when its
//     import finishes, so children come before their parent). A new cold
//     start begins at a start marker, an INIT_START or RESTORE_START, or a
//     load-time header (a new process), unless one of these just began it.
//     In a cold start begun by a start marker or INIT_START, a header is a
//     process the function started (a spawn child inherits -X importtime):
//     its entries stay in that cold start, in the phase they were loaded in.
//     Markers and platform lines set the phase context that each top-level
//     entry is attributed with when it completes.
//  4. A cold start is handed out by Reader.Next as soon as it is complete: a
//     new cold start began in the same stream, or the input ended, or (in an
//     export of many streams) its stream finished an invocation and then
//     stayed quiet for 4096 records, or more than Options.MaxOpenStreams
//     streams were open at once. Memory is bounded by the cold starts still
//     starting, not by the input (a finished stream that gave no cold
//     start is forgotten); each cold start's nodes are allocated in blocks
//     of its own, so a dropped cold start is freed whole; a caller that
//     sets Options.Recycle hands each cold start back with Reader.Recycle
//     when done with it, and its blocks are reused. Trees nest at most
//     512 levels deep (real ones stay under 100), so that no log can make
//     the recursive walks of every consumer run away.
//
// # The load-time line grammar
//
// Python's -X importtime writes (see import-profilers.md, part A):
//
//	import time: self [us] | cumulative | imported package
//	import time:       123 |       4567 |     json.decoder
//
// The fields are split on '|', never by column, because numbers outgrow
// their columns. After the second '|' the separator's one space is followed
// by two spaces per nesting level and the module's full dotted name. A header
// line (its first field starts with "self") opens a new process's output.
// Python 3.14's -X importtime=2 adds "cached" lines (a look-up of a module
// loaded already: no time, counted nowhere, kept as profile.Import.Cached).
// CPython's printf right-aligns their name in a field 2*level wide, so the
// level is (spaces+len(name))/2 and, without spaces, only bounded by
// len(name)/2, by the timed lines around the line and by the look-ups
// before it (see cachedLineLevel); where that leaves a choice, the entry
// is a guess. A phase change made by a coldprof marker settles the
// look-ups before it at their lowest level: the runtime waits on the
// Runtime API there, between statements, with no import open (a platform
// line such as START can land inside an import, so it does not settle). The model (and these bounds) hold
// on genuine CPython 3.14.2 output (Pyodide's WebAssembly build, the same C
// code as Linux's; testdata/python/pyodide-3.14-*.log).
// When the indentation was lost (a console or web page collapsed the
// spaces), nesting is rebuilt from the numbers: a node's cumulative time is
// its self time plus its children's cumulative times, within rounding.
//
// The Node.js and Ruby hooks write lines of exactly the same shape with the
// prefixes "node require:" and "ruby require:" (formats node-require and
// ruby-require): the same header, the same "self | cumulative | indent name"
// fields in microseconds, the same post-order. The tree builder is shared.
//
// # Other grammars
//
// Load-time output of another shape is read by a grammar in a subpackage
// that imports nothing of this package, and that the Reader lists: the
// JVM's class-load log (an instant per class) by package parsers/classload,
// one classload.Grammar per log stream. It is offered every line no
// built-in kind claimed; the classes it hands out feed the same cold-start
// builder (splitting, phases, platform lines, markers). It holds a class
// back until the next line (a timeline) and hands it over before a marker
// or platform line changes the phase. Options.Rules says which entries
// belong to the interpreter and runtime phases for a format. Lambda's
// platform lines are package parsers/platform's.
//
// # Phases
//
// Each top-level entry, and its whole subtree, gets one phase:
//
//   - interpreter: Python's start-up, up to and including the top-level
//     "site" entry (see Rules.InterpreterEnd); the JVM's boot classes, before
//     the runtime's main class (Rules.RuntimeStart).
//   - runtime: the runtime client's own units, by name (awslambdaric…,
//     bootstrap, coldprof_runtime…, runpy for python -m awslambdaric;
//     /var/runtime/… and aws-lambda-ric/… for Node.js; aws_lambda_ric for
//     Ruby), also when they load lazily after init; for Java also the JDK
//     classes loaded between the runtime's main class and the function's
//     first class, and for Node.js the built-ins (node:…) loaded before the
//     function's first unit (Rules.Library). The Node.js client's ES entry
//     script adopts the built-ins it loaded (Rules.RuntimeEntry), so their
//     time is counted once.
//   - init: everything else until the init_done marker (or, without markers,
//     until Lambda's START line when its order is trustworthy). Lambda loads
//     the handler with importlib, so the handler module has no line and its
//     imports are top-level entries: they are init.
//   - invoke: after invoke_start (or START), with that request ID; after
//     invoke_end (or END) and before the next invocation, with none.
//
// # Request IDs and the lifecycle
//
// An invocation counts once END, REPORT or an invoke marker names its
// request ID: a START alone does not (the runtime interface emulator prints
// a START with an ID the runtime may never get). A start marker with
// "proxy": true says exact markers are coming: from then on START lines set
// no stage. Without it, a START that END or REPORT contradicts has its
// imports tied to their ID, or, on the first invocation (where init may
// not have ended), counted as init with the boundary unknown; a START that
// an init_done marker follows is undone: its imports are init. REPORT gives
// each invocation its Duration, Billed Duration, memory and status;
// INIT_REPORT its phase and status; RESTORE_START, RESTORE_REPORT, REPORT's
// Restore Duration and the restored marker make a SnapStart-restored cold
// start (reported even without imports). The init type comes from the
// start marker's initType, or from initializationType in the JSON log
// format, which Lambda's word overrides.
//
// ColdStart.Boundary says how the init/invoke split was found: exact
// (the init_done marker; invoke markers without it, in a log that begins
// after init, leave unknown what came before them), platform (a START line that followed
// the cold start's first import lines), or unknown (no markers; a START line
// printed before the interpreter's output, as the runtime interface
// emulator does, is not trusted, and its invocation's imports are counted as
// init with a warning). Names alone cannot split init from invoke in
// importtime output, so this package never reports heuristic; a guess is
// never reported as exact.
//
// # Warnings
//
// Problems that do not stop reading (malformed lines, nesting that the times
// contradict, as interleaved threads or processes produce, a log cut while
// imports were open) go to Options.Warn with Where = "source:line". The same
// kind of warning is reported a few times and then counted; the count is
// reported when the input ends.
package parsers
