// Package reporting is the report as coldprof's commands make it: the
// report flags (report, run, logs, diff) bound to report.Options, reading
// log files with each warning and a progress line on stderr, and writing
// the report to stdout or -o with its --budget results.
package reporting

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/parsers/input"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

// Files writes the report of the cold starts in inputs: what report
// and run do once their flags are checked.
func Files(stdin io.Reader, stdout, stderr io.Writer, inputs []string, cfg Config) error {
	src := newFileSource(inputs, cfg.Input, stdin, stderr)
	defer src.Close()
	checkBudgets, err := writeReport(stdout, src, cfg)
	switch {
	case errors.Is(err, report.ErrNoColdStart) && cfg.Opts.ColdStart == "":
		return src.noProfileError()
	case err != nil:
		return fmt.Errorf("%s: %w", cfg.Cmd, err)
	}
	for _, e := range src.Empty() {
		fmt.Fprintln(stderr, e)
	}
	if src.Failed() > 0 {
		return cli.ExitError{Code: 1} // each failure was printed as it happened
	}
	return checkBudgets(stderr)
}

// writeReport writes the report of src to stdout, or to --output. Its
// checkBudgets, called after, prints the --budget results on stderr and
// returns a cli.ExitError when a budget was exceeded.
func writeReport(stdout io.Writer, src report.Source, cfg Config) (checkBudgets func(stderr io.Writer) error, err error) {
	budgetSrc := report.NewBudgetSource(src, cfg.Gates)
	err = cli.WriteOutput(stdout, cfg.Output, func(w io.Writer) error {
		return report.Write(w, budgetSrc, cfg.Opts)
	})
	return func(stderr io.Writer) error {
		if results, failed := budgetSrc.Results(); len(results) > 0 {
			report.WriteGateResults(stderr, results)
			if failed {
				return cli.ExitError{Code: 1, Msg: cfg.Cmd + ": over budget"}
			}
		}
		return nil
	}, err
}

// Events reads filter-log-events JSON from r and writes the report.
// An error reading r ends it.
func Events(stdout, stderr io.Writer, r io.Reader, group string, cfg Config) error {
	src := &input.Files{
		Paths: []string{"-"}, Stdin: r, StdinName: group, Format: envelope.FormatFilterLogEvents,
		Warn: func(w profile.Warning) { fmt.Fprintln(stderr, w.String()) },
	}
	defer src.Close()
	checkBudgets, err := writeReport(stdout, src, cfg)
	if err != nil {
		return err
	}
	return checkBudgets(stderr)
}

// ReadDiffSide reads every cold start of one side into numbers. failed is
// set when an input could not be read (it was named on stderr); a side
// with no cold start at all is an error.
func ReadDiffSide(arg string, format envelope.Format, stdin io.Reader, stderr io.Writer) (side *report.DiffSide, failed bool, err error) {
	if arg != "-" {
		if _, err := os.Stat(arg); err != nil {
			return nil, false, fmt.Errorf("diff: %w", err)
		}
	}
	names, err := input.Expand([]string{arg})
	if err != nil {
		return nil, false, fmt.Errorf("diff: %w", err)
	}
	label := arg
	if arg == "-" {
		label = "stdin"
	}
	side = report.NewDiffSide(label)
	src := newFileSource(names, format, stdin, stderr)
	defer src.Close()
	for {
		cs, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("diff: %s: %w", arg, err)
		}
		side.Add(cs)
		src.Recycle(cs) // the side keeps only numbers and names
	}
	if side.ColdStarts() == 0 {
		if src.Failed() > 0 {
			return nil, true, cli.ExitError{Code: 1, Msg: fmt.Sprintf("diff: %s: nothing could be read", arg)}
		}
		return nil, false, fmt.Errorf("diff: %s: no cold start found (is -X importtime on, or is coldprof-wrapper set as AWS_LAMBDA_EXEC_WRAPPER?)", arg)
	}
	return side, src.Failed() > 0, nil
}
