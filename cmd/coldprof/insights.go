package main

import (
	"fmt"
	"io"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/insights"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/reporting"
	"github.com/coldprof/coldprof/parsers/input"
	"github.com/coldprof/coldprof/report"
)

const insightsUsage = `Usage: coldprof insights-query [--limit N]
       coldprof insights-query --read RESULTS.json

Prints a CloudWatch Logs Insights query that computes per-module import
times across all cold starts in a log group, inside CloudWatch, for fleets
whose logs are too big to export. It reads Python's "import time:" lines
(what coldprof-wrapper turns on) and gives, per module: the number of cold
starts (log streams) that loaded it and the median, p90 and max of its self
and cumulative time in microseconds. Unlike coldprof report it cannot tell
init from invoke (that needs each stream's lines in order), and a log stream
that holds several cold starts counts once.

Run it in the console (CloudWatch > Logs Insights, log group
/aws/lambda/FUNCTION, a time range, paste the query), or with the AWS CLI:

  aws logs start-query --log-group-name /aws/lambda/FUNCTION \
      --start-time $(date -d '-1 day' +%%s) --end-time $(date +%%s) \
      --query-string "$(coldprof insights-query)"
  aws logs get-query-results --query-id QUERY_ID > results.json
  coldprof insights-query --read results.json

--read shows the results as coldprof report's aggregate (--format table,
markdown or json), largest median cumulative time first, saying what the
query cannot know.

Flags:
%s`

func runInsightsQuery(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := cli.NewFlagSet("insights-query")
	limit := fs.Int("limit", 1000, "most modules in the result (Insights returns at most 10000 rows)")
	read := fs.String("read", "", "show the results of the query (aws logs get-query-results output, - for stdin) as an aggregate report")
	format := fs.String("format", string(report.FormatTable), "with --read: table, markdown or json")
	top := fs.Int("top", report.DefaultTop, "with --read: modules shown in the table and Markdown reports (JSON has all)")
	output := fs.StringP("output", "o", "", "write the query (or with --read, the report) to this file instead of stdout")
	if err := cli.ParseFlags(fs, insightsUsage, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("insights-query: unexpected argument %q (did you mean --read %s?)", fs.Arg(0), fs.Arg(0))
	}
	if *limit < 1 || *limit > 10000 {
		return cli.Usagef("insights-query: --limit must be 1 to 10000, not %d", *limit)
	}
	if *read == "" {
		if fs.Changed("format") || fs.Changed("top") {
			return cli.Usagef("insights-query: --format and --top shape the report of --read RESULTS.json")
		}
		return cli.WriteOutput(stdout, *output, func(w io.Writer) error {
			_, err := fmt.Fprintln(w, insights.Query(*limit))
			return err
		})
	}
	opts := report.Options{Format: report.Format(*format), Top: *top}
	if !reporting.FormatIn(opts.Format, report.AggregateFormats) {
		return cli.Usagef("insights-query: --format %q: the results are an aggregate; use table, markdown or json", *format)
	}
	if *top < 1 {
		return cli.Usagef("insights-query: --top must be at least 1, not %d", *top)
	}
	in, closeIn, err := input.Open(*read, stdin)
	if err != nil {
		return fmt.Errorf("insights-query: %w", err)
	}
	defer closeIn()
	rows, err := insights.ReadResults(in)
	if err != nil {
		return fmt.Errorf("insights-query: %s: %w", *read, err)
	}
	agg := report.NewComputedAggregate(insights.Title, rows, insights.Limits)
	return cli.WriteOutput(stdout, *output, func(w io.Writer) error { return report.WriteAggregate(w, agg, opts) })
}
