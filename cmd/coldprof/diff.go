package main

import (
	"fmt"
	"io"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/reporting"
	"github.com/coldprof/coldprof/report"
)

const diffUsage = `Usage: coldprof diff [flags] BEFORE AFTER

Compares the cold starts in BEFORE with those in AFTER: per phase
(interpreter, runtime, init, invoke) and per module, what got slower or
faster, what appeared or disappeared, and what moved between phases (a
lazy import moves a module from init to invoke). BEFORE and AFTER are each
a log file, a directory of logs (every file below it), or "-" for stdin
(one side only); any log shape coldprof report reads.

With one cold start per side the times are compared as they are. With
several, medians are compared and a change that a Mann-Whitney U test
cannot tell from run-to-run spread (p >= 0.05) is marked "~"; with fewer
than 4 cold starts per side nothing reaches that bar, so collect more.

Gates make CI fail (exit status 1) and name the failing lines on stderr:
  --fail-on 'init>+50ms'           init grew by more than 50 ms
  --fail-on 'total>+10%%'           all imports grew by more than 10 %%
  --fail-on 'module:boto3>+20ms'   boto3's cumulative time grew by more than 20 ms
  --fail-on 'package:botocore>+20ms'  every botocore.* module together grew by more than 20 ms
  --fail-on 'init>800ms'           init is over 800 ms after the change
A growth over its limit that is within run-to-run spread passes, and says so.

Flags:
%s
Examples:
  coldprof diff main.log branch.log
  coldprof diff --format markdown --fail-on 'init>+50ms' before/ after/ -o comment.md

Exit status: 0, 1 when a gate failed or an input could not be read, 2 for a
mistake in flags or arguments.
`

func runDiff(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	flags := cli.NewFlagSet("diff")
	rf := reporting.Install(flags, "diff", report.DiffFormats, reporting.FileFlags)
	failOn := flags.StringArray("fail-on", nil, "a gate, e.g. 'init>+50ms', 'total>+10%', 'module:boto3>+20ms', 'package:botocore>+20ms' (repeatable)")
	top := flags.Int("top", 15, "package and module rows in the table and Markdown")
	minChange := flags.Duration("min", 0, "hide module changes smaller than this (e.g. 500us, 1ms)")
	if err := cli.ParseFlags(flags, diffUsage, args, stderr); err != nil {
		return err
	}
	cfg, err := rf.Config()
	if err != nil {
		return err
	}
	if *top <= 0 || *minChange < 0 {
		return cli.Usagef("diff: --top must be at least 1 and --min not negative")
	}
	var gates []report.Gate
	for _, expr := range *failOn {
		g, err := report.ParseGate(expr)
		if err != nil {
			return cli.Usagef("diff: --fail-on: %v", err)
		}
		gates = append(gates, g)
	}
	if flags.NArg() != 2 {
		return cli.Usagef("diff: want two arguments, BEFORE and AFTER, got %d (see coldprof diff --help)", flags.NArg())
	}
	if flags.Arg(0) == "-" && flags.Arg(1) == "-" {
		return cli.Usagef("diff: only one of BEFORE and AFTER can be stdin")
	}

	before, failedBefore, err := reporting.ReadDiffSide(flags.Arg(0), cfg.Input, stdin, stderr)
	if err != nil {
		return err
	}
	after, failedAfter, err := reporting.ReadDiffSide(flags.Arg(1), cfg.Input, stdin, stderr)
	if err != nil {
		return err
	}
	d := report.Compare(before, after)
	gateFailed := d.Check(gates, before, after)
	if err := cli.WriteOutput(stdout, cfg.Output, func(w io.Writer) error {
		return report.WriteDiff(w, d, cfg.Opts.Format, report.DiffOptions{Top: *top, MinUs: minChange.Microseconds()})
	}); err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	if gateFailed {
		var failed []report.GateResult
		for _, r := range d.Gates {
			if r.Failed {
				failed = append(failed, r)
			}
		}
		report.WriteGateResults(stderr, failed)
		return cli.ExitError{Code: 1, Msg: fmt.Sprintf("diff: %d of %d gates failed", len(failed), len(d.Gates))}
	}
	if failedBefore || failedAfter {
		return cli.ExitError{Code: 1} // each unreadable input was named as it happened
	}
	return nil
}
