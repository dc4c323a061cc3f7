package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

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

// insightsQuery is the Logs Insights query. The parse pattern is the
// importtime line grammar ("import time: SELF | CUMULATIVE | <indent>NAME",
// self and cumulative in µs, two spaces of indent per nesting level);
// TestInsightsPatternMatchesImporttime runs it on real interpreters' lines.
const insightsQuery = `fields @timestamp, @logStream, @message
| filter @message like /^import time:\s+\d/
| parse @message /` + insightsPattern + `/
| stats count_distinct(@logStream) as cold_starts,
    pct(self_us, 50) as self_p50_us, pct(self_us, 90) as self_p90_us, max(self_us) as self_max_us,
    pct(cumulative_us, 50) as cumulative_p50_us, pct(cumulative_us, 90) as cumulative_p90_us, max(cumulative_us) as cumulative_max_us
    by module
| sort cumulative_p90_us desc
| limit %d`

// insightsPattern captures self_us, cumulative_us and module from an
// importtime line, in the regular-expression syntax Insights' parse takes
// (named groups as (?<name>…)).
const insightsPattern = `^import time:\s+(?<self_us>\d+)\s+\|\s+(?<cumulative_us>\d+)\s+\|\s(?<indent>\s*)(?<module>\S+)`

// insightsColumns are the result fields the query produces, in table order.
var insightsColumns = []string{"cold_starts", "self_p50_us", "self_p90_us", "self_max_us", "cumulative_p50_us", "cumulative_p90_us", "cumulative_max_us"}

func runInsightsQuery(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := pflag.NewFlagSet("insights-query", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	limit := fs.Int("limit", 1000, "most modules in the result (Insights returns at most 10000 rows)")
	read := fs.String("read", "", "show the results of the query (aws logs get-query-results output, - for stdin) as an aggregate report")
	format := fs.String("format", string(report.FormatTable), "with --read: table, markdown or json")
	top := fs.Int("top", report.DefaultTop, "with --read: modules shown in the table and Markdown reports (JSON has all)")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usagef("insights-query: %v (see coldprof insights-query --help)", err)
	}
	if *help {
		fmt.Fprintf(stderr, insightsUsage, fs.FlagUsages())
		return errHelp
	}
	if fs.NArg() > 0 {
		return usagef("insights-query: unexpected argument %q (did you mean --read %s?)", fs.Arg(0), fs.Arg(0))
	}
	if *limit < 1 || *limit > 10000 {
		return usagef("insights-query: --limit must be 1 to 10000, not %d", *limit)
	}
	if *read == "" {
		if fs.Changed("format") || fs.Changed("top") {
			return usagef("insights-query: --format and --top shape the report of --read RESULTS.json")
		}
		_, err := fmt.Fprintf(stdout, insightsQuery+"\n", *limit)
		return err
	}
	opts := report.Options{Format: report.Format(*format), Top: *top}
	switch opts.Format {
	case report.FormatTable, report.FormatMarkdown, report.FormatJSON:
	default:
		return usagef("insights-query: --format %q: the results are an aggregate; use table, markdown or json", *format)
	}
	if *top < 1 {
		return usagef("insights-query: --top must be at least 1, not %d", *top)
	}
	in := stdin
	if *read != "-" {
		f, err := os.Open(*read)
		if err != nil {
			return fmt.Errorf("insights-query: %w", err)
		}
		defer f.Close()
		in = f
	}
	rows, err := readInsightsResults(in)
	if err != nil {
		return fmt.Errorf("insights-query: %s: %w", *read, err)
	}
	agg := report.NewComputedAggregate("CloudWatch Logs Insights (coldprof insights-query)", rows, insightsLimits)
	return report.WriteAggregate(stdout, agg, opts)
}

// insightsLimits say what the query cannot know, next to its results.
var insightsLimits = []string{
	"No phases: Insights sees the import lines without each log stream's order, so the times cover all phases together (interpreter, runtime, init and invoke) and cannot tell global-scope imports from handler-time ones.",
	"COLD STARTS counts log streams (count_distinct(@logStream)): a stream that held several cold starts counts once.",
	"Median, p90 and max run over import lines as CloudWatch computes pct() and max(), not over cold starts: a module imported twice in one cold start counts twice, and its times are not summed per cold start.",
	"Python's -X importtime lines only; no packages, no Init Duration, no slowest cold starts (coldprof report on exported logs has them).",
}

// insightsFields maps the query's result fields to where they go in a row.
var insightsFields = map[string]func(r *report.AggregateRow, v int64){
	"cold_starts":       func(r *report.AggregateRow, v int64) { r.ColdStarts = int(v) },
	"self_p50_us":       func(r *report.AggregateRow, v int64) { r.Self.Median = v },
	"self_p90_us":       func(r *report.AggregateRow, v int64) { r.Self.P90 = v },
	"self_max_us":       func(r *report.AggregateRow, v int64) { r.Self.Max = v },
	"cumulative_p50_us": func(r *report.AggregateRow, v int64) { r.Cumulative.Median = v },
	"cumulative_p90_us": func(r *report.AggregateRow, v int64) { r.Cumulative.P90 = v },
	"cumulative_max_us": func(r *report.AggregateRow, v int64) { r.Cumulative.Max = v },
}

// readInsightsResults reads GetQueryResults JSON: {"results": [[{"field",
// "value"}, …], …], "status": …}. Values are strings; Insights' pct() may
// give fractions of a microsecond, which are rounded.
//
// Anything else is refused, not shown as an empty report: the document
// must be an object with a "results" array of rows of field/value pairs.
func readInsightsResults(r io.Reader) ([]report.AggregateRow, error) {
	const want = `not aws logs get-query-results output (want {"results": [[{"field": …, "value": …}, …], …], "status": "Complete"})`
	var top map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&top); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file holds %s", want, jsonKind(typeErr))
		}
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return nil, fmt.Errorf("%s: it is not JSON (%v at byte %d)", want, err, syntaxErr.Offset)
		}
		return nil, fmt.Errorf("%s: %w", want, err)
	}
	rawResults, ok := top["results"]
	if !ok {
		hint := ""
		switch {
		case top["schemaVersion"] != nil && top["coldStarts"] != nil:
			hint = ": this is a coldprof JSON report, not the query's results"
		case top["events"] != nil:
			hint = ": this is a log export (filter-log-events); give it to coldprof report"
		}
		return nil, fmt.Errorf("%s: no \"results\" field%s", want, hint)
	}
	var doc struct {
		Status  string `json:"status"`
		Results [][]struct {
			Field string `json:"field"`
			Value string `json:"value"`
		} `json:"results"`
	}
	if err := json.Unmarshal(rawResults, &doc.Results); err != nil || doc.Results == nil {
		return nil, fmt.Errorf("%s: \"results\" is not an array of rows of field/value pairs", want)
	}
	if st, ok := top["status"]; ok {
		if err := json.Unmarshal(st, &doc.Status); err != nil {
			return nil, fmt.Errorf("%s: \"status\" is not a string", want)
		}
	}
	if doc.Status != "" && doc.Status != "Complete" {
		return nil, fmt.Errorf("query status is %s, not Complete: run get-query-results again when it has finished", doc.Status)
	}
	rows := []report.AggregateRow{}
	for i, fields := range doc.Results {
		var row report.AggregateRow
		seen := 0
		for _, f := range fields {
			if f.Field == "module" {
				row.Name = f.Value
				continue
			}
			set, ok := insightsFields[f.Field]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(f.Value, 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > math.MaxInt64/2 {
				return nil, fmt.Errorf("row %d: %s is %q, not a number of microseconds", i+1, f.Field, f.Value)
			}
			set(&row, int64(math.Round(v)))
			seen++
		}
		if row.Name == "" {
			return nil, fmt.Errorf("row %d has no module field: are these the results of coldprof insights-query?", i+1)
		}
		if seen < len(insightsFields) {
			return nil, fmt.Errorf("row %d (%s) lacks some of %s: are these the results of coldprof insights-query?", i+1, row.Name, strings.Join(insightsColumns, ", "))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// jsonKind names what a JSON document was when it was not an object.
func jsonKind(e *json.UnmarshalTypeError) string {
	if e == nil {
		return "no JSON value (it is empty)"
	}
	return "a JSON " + e.Value + ", not an object"
}
