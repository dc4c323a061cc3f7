package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/parsers"
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
	budgetFlags := fs.StringArray("budget", nil, "exit 1 when a median is over budget: init=800ms, total=1.5s, module:boto3=200ms (repeatable)")
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
	for _, name := range src.Empty() {
		fmt.Fprintf(stderr, "%s: %v\n", name, parsers.ErrNoProfile)
	}
	if src.Failed() > 0 {
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
