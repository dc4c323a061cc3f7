package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
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

--read prints the results as a table, slowest p90 cumulative time first.

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
	read := fs.String("read", "", "print the results of the query (aws logs get-query-results output, - for stdin) as a table")
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
		_, err := fmt.Fprintf(stdout, insightsQuery+"\n", *limit)
		return err
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
	return writeInsightsTable(stdout, rows)
}

// An insightsRow is one module's aggregate as the query computed it.
type insightsRow struct {
	module string
	values []float64 // in insightsColumns order; NaN when missing
}

// readInsightsResults reads GetQueryResults JSON: {"results": [[{"field",
// "value"}, …], …], "status": …}. Values are strings.
func readInsightsResults(r io.Reader) ([]insightsRow, error) {
	var doc struct {
		Status  string `json:"status"`
		Results [][]struct {
			Field string `json:"field"`
			Value string `json:"value"`
		} `json:"results"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not aws logs get-query-results output: %w", err)
	}
	if doc.Status != "" && doc.Status != "Complete" {
		return nil, fmt.Errorf("query status is %s, not Complete: run get-query-results again when it has finished", doc.Status)
	}
	var rows []insightsRow
	for i, fields := range doc.Results {
		row := insightsRow{values: make([]float64, len(insightsColumns))}
		for k := range row.values {
			row.values[k] = math.NaN()
		}
		for _, f := range fields {
			if f.Field == "module" {
				row.module = f.Value
				continue
			}
			for k, col := range insightsColumns {
				if f.Field == col {
					v, err := strconv.ParseFloat(f.Value, 64)
					if err != nil {
						return nil, fmt.Errorf("row %d: %s is %q, not a number", i+1, col, f.Value)
					}
					row.values[k] = v
				}
			}
		}
		if row.module == "" {
			return nil, fmt.Errorf("row %d has no module field: are these the results of coldprof insights-query?", i+1)
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].values[5], rows[j].values[5]
		if math.IsNaN(b) {
			return !math.IsNaN(a)
		}
		return a > b
	})
	return rows, nil
}

// writeInsightsTable prints one row per module: the name left-aligned,
// the numbers right-aligned.
func writeInsightsTable(w io.Writer, rows []insightsRow) error {
	table := [][]string{{"MODULE", "COLD STARTS", "SELF P50", "SELF P90", "SELF MAX", "CUMULATIVE P50", "CUMULATIVE P90", "CUMULATIVE MAX"}}
	for _, row := range rows {
		cells := []string{row.module}
		for k, v := range row.values {
			switch {
			case math.IsNaN(v):
				cells = append(cells, "-")
			case k == 0:
				cells = append(cells, strconv.FormatFloat(v, 'f', 0, 64))
			default:
				cells = append(cells, strconv.FormatFloat(v/1000, 'f', 2, 64)+" ms")
			}
		}
		table = append(table, cells)
	}
	widths := make([]int, len(table[0]))
	for _, cells := range table {
		for k, c := range cells {
			widths[k] = max(widths[k], len(c))
		}
	}
	var b strings.Builder
	for _, cells := range table {
		fmt.Fprintf(&b, "%-*s", widths[0], cells[0])
		for k := 1; k < len(cells); k++ {
			fmt.Fprintf(&b, "  %*s", widths[k], cells[k])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d modules. Times over all of a cold start (init and invoke together); median and p90 as CloudWatch computes pct().\n", len(rows))
	_, err := io.WriteString(w, b.String())
	return err
}
