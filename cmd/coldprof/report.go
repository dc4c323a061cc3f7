package main

import (
	"fmt"
	"io"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/reporting"
	"github.com/coldprof/coldprof/parsers/input"
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
  coldprof report --format html -o cold-start.html logs/
  coldprof report --budget init=800ms --budget module:boto3=300ms app.log
  aws logs tail /aws/lambda/my-fn --since 1h | coldprof report --format markdown -

Warnings about the input go to stderr as file:line: message; the report goes
to stdout. Exit status: 0 when a report was printed, 1 when an input could not
be read or held no cold start, 2 for a mistake in flags or arguments.
`

func runReport(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := cli.NewFlagSet("report")
	rf := reporting.Install(fs, "report", report.Formats, reporting.ColdStartFlags|reporting.FileFlags)
	if err := cli.ParseFlags(fs, reportUsage, args, stderr); err != nil {
		return err
	}
	cfg, err := rf.Config()
	if err != nil {
		return err
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		if cli.IsTerminal(stdin) {
			return cli.Usagef("report: no input: give log files, or pipe a log into stdin (see coldprof report --help)")
		}
		inputs = []string{"-"}
	}
	if inputs, err = input.Expand(inputs); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return reporting.Files(stdin, stdout, stderr, inputs, cfg)
}
