package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

const reportUsage = `Usage: coldprof report [flags] [FILE…|-]

Reads Lambda logs and shows where each cold start's time went: the time of
each phase (interpreter start-up, the Lambda runtime, your function's global
scope = init, and loading during a request = invoke), the modules and
packages that cost most, Lambda's Init Duration beside the imports, and how
much of Lambda's 10 s init limit they use. With several cold starts it shows
the aggregate first: per module and package, how many cold starts loaded it
and the median, p90 and max of its time.

Inputs are files, or "-" (or nothing) for stdin: raw stderr, aws logs tail,
sam logs, CloudWatch JSON and CSV exports, gzip; each file's shape is
recognised. They must hold load-time lines (Python's -X importtime, the
Node.js and Ruby require hooks, the JVM's class-load log: what
coldprof-wrapper turns on), best with the wrapper's "coldprof:" markers and
Lambda's START and REPORT lines, which tell init from invoke.

Flags:
%s
Examples:
  coldprof report testdata/python/lambda-boto3-numpy-requests.log
  coldprof report --tree --min 2ms --depth 3 app.log
  coldprof report --phase init --top 20 app.log
  coldprof report --budget init=800ms --budget module:boto3=300ms app.log
  aws logs tail /aws/lambda/my-fn --since 1h | coldprof report --format markdown -

Warnings about the input go to stderr as file:line: message; the report goes
to stdout. Exit status: 0 when a report was printed, 1 when an input could not
be read or held no cold start, 2 for a mistake in flags or arguments.
`

// reportFlags are the parsed flags of the report command.
type reportFlags struct {
	format    string
	phase     string
	top       int
	depth     int
	tree      bool
	coldStart string
	input     string
}

func runReport(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	var f reportFlags
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.format, "format", string(report.FormatTable), "output format: "+formatList())
	fs.StringVar(&f.phase, "phase", "", "show only one phase: interpreter, runtime, init or invoke")
	fs.IntVar(&f.top, "top", report.DefaultTop, "rows in each hot-spot and aggregate table")
	minFlag := fs.Duration("min", defaultMin, "with --tree: fold entries whose cumulative time is under this (e.g. 500us, 2ms)")
	fs.IntVar(&f.depth, "depth", 0, "with --tree: fold entries deeper than this (1 = top level only; 0 = no limit)")
	fs.BoolVar(&f.tree, "tree", false, "add each cold start's import tree, in log order")
	fs.StringVar(&f.coldStart, "cold-start", "", "report only the cold start with this ID (the log stream name, or FILE#N)")
	fs.StringVar(&f.input, "input-format", string(envelope.FormatAuto), "the shape of the inputs: "+inputFormatList()+"; auto recognises each file's")
	arch := fs.String("arch", "", "the function's architecture for init-cost, x86_64 or arm64 (default: the start marker's)")
	price := fs.Float64("price", 0, "USD per GB-second for init-cost, overriding Lambda's public us-east-1 price")
	budgetFlags := fs.StringArray("budget", nil, "exit 1 when a median is over budget: init=800ms (the init phase's imports, not Lambda's Init Duration), total=1.5s, module:boto3=200ms (repeatable)")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usagef("report: %v (see coldprof report --help)", err)
	}
	if *help {
		fmt.Fprintf(stderr, reportUsage, fs.FlagUsages())
		return errHelp
	}
	opts := report.Options{
		Format:    report.Format(f.format),
		Phase:     profile.Phase(f.phase),
		Top:       f.top,
		MinUs:     minFlag.Microseconds(),
		Depth:     f.depth,
		Tree:      f.tree,
		ColdStart: f.coldStart,
		Findings:  report.FindingOptions{Arch: *arch, PricePerGBSecond: *price},
	}
	if *arch != "" && *arch != "x86_64" && *arch != "arm64" {
		return usagef("report: --arch must be x86_64 or arm64, not %q", *arch)
	}
	if *price < 0 {
		return usagef("report: --price must not be negative")
	}
	if err := checkReportOptions(opts, fs); err != nil {
		return err
	}
	inputFormat, err := envelope.ParseFormat(f.input)
	if err != nil {
		return usagef("report: --input-format: %v", err)
	}
	var budgets []report.Gate
	for _, b := range *budgetFlags {
		g, err := report.ParseBudget(b)
		if err != nil {
			return usagef("report: --budget: %v", err)
		}
		budgets = append(budgets, g)
	}

	inputs := fs.Args()
	if len(inputs) == 0 {
		if isTerminal(stdin) {
			return usagef("report: no input: give log files, or pipe a log into stdin (see coldprof report --help)")
		}
		inputs = []string{"-"}
	}
	if inputs, err = expandInputs(inputs); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	src := newFileSource(inputs, inputFormat, stdin, stderr)
	defer src.Close()
	budgetSrc := report.NewBudgetSource(src, budgets)
	err = report.Write(stdout, budgetSrc, opts)
	switch {
	case errors.Is(err, report.ErrNoColdStart) && opts.ColdStart == "":
		return src.noProfileError()
	case err != nil:
		return fmt.Errorf("report: %w", err)
	}
	for _, e := range src.empty {
		fmt.Fprintln(stderr, e)
	}
	if src.failed > 0 {
		return exitError{code: 1} // each failure was printed as it happened
	}
	if results, failed := budgetSrc.Results(); len(results) > 0 {
		report.WriteGateResults(stderr, results)
		if failed {
			return exitError{code: 1, msg: "report: over budget"}
		}
	}
	return nil
}

// defaultMin keeps a tree readable: imports under 1 ms are folded.
const defaultMin = time.Millisecond

// checkReportOptions rejects bad values early and says how to fix them.
func checkReportOptions(opts report.Options, fs *pflag.FlagSet) error {
	if !opts.Format.Known() {
		return usagef("report: unknown --format %q; use one of %s", opts.Format, formatList())
	}
	if opts.Phase != "" && !opts.Phase.Valid() {
		return usagef("report: unknown --phase %q; use interpreter, runtime, init or invoke", opts.Phase)
	}
	if opts.Top <= 0 {
		return usagef("report: --top must be at least 1, not %d", opts.Top)
	}
	if opts.MinUs < 0 {
		return usagef("report: --min must not be negative")
	}
	if opts.Depth < 0 {
		return usagef("report: --depth must be 0 (no limit) or more, not %d", opts.Depth)
	}
	if !opts.Tree && (fs.Changed("min") || fs.Changed("depth")) {
		return usagef("report: --min and --depth shape the import tree; add --tree")
	}
	return nil
}

func inputFormatList() string {
	names := make([]string, 0, len(envelope.Formats()))
	for _, f := range envelope.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

func formatList() string {
	names := make([]string, len(report.Formats))
	for i, f := range report.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// isTerminal reports whether r (stdin or stderr) is an interactive
// terminal: waiting for stdin there would look like a hang, and only there
// is a progress line welcome.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// A fileSource reads the inputs one after another as one report.Source.
// A file that cannot be opened or read is reported on stderr and skipped,
// so the other files are still reported; warnings are printed as they are
// found and kept for the formats that embed them.
type fileSource struct {
	names  []string
	format envelope.Format
	stdin  io.Reader
	stderr io.Writer

	next     int         // index of the next input to open
	parsing  *parseAhead // the current input's parser; nil between inputs
	decoder  io.Closer   // ends the prefetching goroutine of the current input
	closer   io.Closer   // the current input's file
	name     string      // the input being read, for messages
	found    int         // cold starts found in the current input
	probe    *inputProbe // watches the current input, to say why it held nothing
	empty    []string    // inputs with no cold start, each with why (see inputProbe.why)
	failed   int
	warnings []profile.Warning

	// progress receives a one-line count of the cold starts read, redrawn
	// at most every progressEvery; nil unless stderr is a terminal.
	progress      io.Writer
	progressEvery time.Duration
	progressTick  time.Duration // redraw while waiting for a cold start; 0: only when one arrives
	progressShown bool
	lastProgress  time.Time
	total         int
}

// maxKeptWarnings bounds the warnings kept for JSON; all are printed.
const maxKeptWarnings = 1000

func newFileSource(names []string, format envelope.Format, stdin io.Reader, stderr io.Writer) *fileSource {
	s := &fileSource{names: names, format: format, stdin: stdin, stderr: stderr, progressEvery: 250 * time.Millisecond, progressTick: 250 * time.Millisecond}
	if isTerminal(stderr) {
		s.progress = stderr
	}
	return s
}

// showProgress redraws the progress line when it is due.
func (s *fileSource) showProgress() {
	if s.progress == nil || time.Since(s.lastProgress) < s.progressEvery {
		return
	}
	s.lastProgress = time.Now()
	s.progressShown = true
	fmt.Fprintf(s.progress, "\r\x1b[Kcoldprof: %d cold starts read, now in %s%s", s.total, report.TerminalSafe(report.Shorten(s.name, 80)), s.probe.progress())
}

// clearProgress erases the progress line before anything else is written
// to stderr, and at the end.
func (s *fileSource) clearProgress() {
	if s.progressShown {
		fmt.Fprint(s.progress, "\r\x1b[K")
		s.progressShown = false
	}
}

func (s *fileSource) Next() (*profile.ColdStart, error) {
	for {
		if s.parsing == nil {
			if s.next >= len(s.names) {
				s.clearProgress()
				return nil, io.EOF
			}
			s.open(s.names[s.next])
			s.next++
			continue
		}
		item, ok := s.nextItem()
		if !ok { // the parser stopped after its last item
			s.closeCurrent()
			continue
		}
		for _, w := range item.warnings {
			s.warn(w)
		}
		cs, err := item.cs, item.err
		if err == nil {
			s.found++
			s.total++
			s.showProgress()
			return cs, nil
		}
		if err != io.EOF {
			s.clearProgress()
			s.failed++
			fmt.Fprintf(s.stderr, "coldprof: %v\n", err)
		} else if s.found == 0 {
			s.empty = append(s.empty, s.name+": "+parsers.ErrNoProfile.Error()+": "+s.probe.why(s.name))
		}
		s.closeCurrent()
	}
}

// nextItem waits for the parser's next item; on a terminal it redraws the
// progress line meanwhile, so a long input with no cold start in it (or a
// slow one) still shows how far it has got.
func (s *fileSource) nextItem() (parsed, bool) {
	if s.progress == nil || s.progressTick <= 0 {
		item, ok := <-s.parsing.items
		return item, ok
	}
	tick := time.NewTicker(s.progressTick)
	defer tick.Stop()
	for {
		select {
		case item, ok := <-s.parsing.items:
			return item, ok
		case <-tick.C:
			s.showProgress()
		}
	}
}

// open starts reading one input; on failure it prints why and leaves
// s.parsing nil so Next moves on.
func (s *fileSource) open(name string) {
	s.name, s.found = name, 0
	var r io.Reader
	if name == "-" {
		s.name = "stdin"
		r = s.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			s.clearProgress()
			s.failed++
			fmt.Fprintf(s.stderr, "coldprof: %v\n", err)
			return
		}
		r, s.closer = f, f
	}
	// WithPrefetch decodes on a second goroutine (a second core) while
	// this one parses and aggregates; report/BENCHMARKS.md has the figures.
	s.probe = &inputProbe{r: r, format: s.format, forced: s.format != envelope.FormatAuto}
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			s.probe.size = info.Size()
		}
	}
	p := newParseAhead()
	dec, err := envelope.Open(s.probe, s.name, s.format, envelope.WithPrefetch(), envelope.WithWarn(func(where, msg string) {
		p.warn(profile.Warning{Where: where, Message: msg})
	}), envelope.WithDetected(func(f envelope.Format) { s.probe.format = f }))
	for _, w := range p.take() {
		s.warn(w)
	}
	if err != nil {
		s.clearProgress()
		s.failed++
		fmt.Fprintf(s.stderr, "coldprof: %v\n", err)
		s.closeCurrent()
		return
	}
	if c, ok := dec.(io.Closer); ok {
		s.decoder = c
	}
	s.parsing = p
	// Every user of a fileSource (report, diff) hands back the cold starts
	// it is done with (Recycle).
	opts := logReaderOptions(p.warn)
	opts.Recycle = true
	p.reader = parsers.NewReader(probedDecoder{dec, s.probe}, s.name, opts)
	go p.run(p.reader)
}

// newLogReader is the parser every command reads logs with: the built-in
// load-time lines and the plug-in grammars (the JVM's class-load log).
func newLogReader(dec envelope.Decoder, name string, warn func(profile.Warning)) *parsers.Reader {
	return parsers.NewReader(dec, name, logReaderOptions(warn))
}

func logReaderOptions(warn func(profile.Warning)) parsers.Options {
	return parsers.Options{Warn: warn, Grammars: []func() parsers.Grammar{classload.NewGrammar}}
}

// closeCurrent stops reading the current input; Close is closeCurrent
// for a caller that stops before io.EOF.
func (s *fileSource) closeCurrent() {
	if s.parsing != nil {
		s.parsing.close()
	}
	if s.decoder != nil {
		s.decoder.Close()
	}
	if s.closer != nil {
		s.closer.Close()
	}
	s.parsing, s.decoder, s.closer = nil, nil, nil
}

func (s *fileSource) Close() { s.closeCurrent() }

// Recycle hands a cold start the report is done with back to the parser
// that made it, which reuses its memory (report.Recycler). One from an
// earlier input is left to the garbage collector.
func (s *fileSource) Recycle(cs *profile.ColdStart) {
	if s.parsing != nil {
		s.parsing.reader.Recycle(cs)
	}
}

// A parseAhead runs a parsers.Reader on a goroutine of its own, a few cold
// starts ahead of the caller, so parsing (with decoding on a third
// goroutine, envelope.WithPrefetch) overlaps with the aggregation and
// rendering on the caller's: on 2 cores, see report/BENCHMARKS.md. The
// warnings raised while parsing travel with the next cold start, so the
// caller prints them in the order they were raised, on its own goroutine.
type parseAhead struct {
	reader *parsers.Reader // for Recycle, which may be called from another goroutine
	items  chan parsed
	stop   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	warnings []profile.Warning // raised since the last item was sent
}

// parsed is one result of parsers.Reader.Next and the warnings before it.
type parsed struct {
	cs       *profile.ColdStart
	warnings []profile.Warning
	err      error
}

// parseAheadDepth is how many cold starts may wait, parsed, for the caller.
const parseAheadDepth = 2

func newParseAhead() *parseAhead {
	return &parseAhead{items: make(chan parsed, parseAheadDepth), stop: make(chan struct{})}
}

func (p *parseAhead) warn(w profile.Warning) {
	p.mu.Lock()
	p.warnings = append(p.warnings, w)
	p.mu.Unlock()
}

// take returns the warnings raised since the last call.
func (p *parseAhead) take() []profile.Warning {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.warnings
	p.warnings = nil
	return w
}

// run sends r's cold starts until its end (io.EOF or an error, which is
// sent too) or close.
func (p *parseAhead) run(r *parsers.Reader) {
	defer close(p.items)
	for {
		cs, err := r.Next()
		select {
		case p.items <- parsed{cs: cs, warnings: p.take(), err: err}:
		case <-p.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// close makes run return at its next cold start (the decoder's Close ends
// a Next that waits for input from the prefetching goroutine).
func (p *parseAhead) close() { p.once.Do(func() { close(p.stop) }) }

func (s *fileSource) warn(w profile.Warning) {
	s.clearProgress()
	// One line per warning, and nothing from the log acts on the terminal.
	fmt.Fprintln(s.stderr, report.TerminalSafe(report.Shorten(w.String(), 1024)))
	if len(s.warnings) < maxKeptWarnings {
		s.warnings = append(s.warnings, w)
	}
}

func (s *fileSource) Warnings() []profile.Warning { return s.warnings }

// noProfileError says which inputs held no cold start.
func (s *fileSource) noProfileError() error {
	if len(s.empty) == 0 {
		// Every input failed to open or read; each was already reported.
		return exitError{code: 1}
	}
	for _, e := range s.empty[:len(s.empty)-1] {
		fmt.Fprintf(s.stderr, "coldprof: %s\n", e)
	}
	return errors.New(s.empty[len(s.empty)-1])
}
