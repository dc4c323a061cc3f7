// Package insights is coldprof's CloudWatch Logs Insights query: the
// query that computes per-module import times of a whole fleet inside
// CloudWatch, and the reader of its results (aws logs get-query-results
// output) as a report.Aggregate's rows.
package insights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/report"
)

// Query returns the query, returning at most limit modules.
func Query(limit int) string { return fmt.Sprintf(query, limit) }

// Title names the results' source in the report.
const Title = "CloudWatch Logs Insights (coldprof insights-query)"

// query is the Logs Insights query (see Query). The parse pattern is the
// importtime line grammar ("import time: SELF | CUMULATIVE | <indent>NAME",
// self and cumulative in µs, two spaces of indent per nesting level);
// TestInsightsPatternMatchesImporttime runs it on real interpreters' lines.
const query = `fields @timestamp, @logStream, @message
| filter @message like /^import time:\s+\d/
| parse @message /` + Pattern + `/
| stats count_distinct(@logStream) as cold_starts,
    pct(self_us, 50) as self_p50_us, pct(self_us, 90) as self_p90_us, max(self_us) as self_max_us,
    pct(cumulative_us, 50) as cumulative_p50_us, pct(cumulative_us, 90) as cumulative_p90_us, max(cumulative_us) as cumulative_max_us
    by module
| sort cumulative_p90_us desc
| limit %d`

// Pattern captures self_us, cumulative_us and module from an
// importtime line, in the regular-expression syntax Insights' parse takes
// (named groups as (?<name>…)).
const Pattern = `^import time:\s+(?<self_us>\d+)\s+\|\s+(?<cumulative_us>\d+)\s+\|\s(?<indent>\s*)(?<module>\S+)`

// columns are the result fields the query produces, in table order.
var columns = []string{"cold_starts", "self_p50_us", "self_p90_us", "self_max_us", "cumulative_p50_us", "cumulative_p90_us", "cumulative_max_us"}

// Limits say what the query cannot know, next to its results.
var Limits = []string{
	"No phases: Insights sees the import lines without each log stream's order, so the times cover all phases together (interpreter, runtime, init and invoke) and cannot tell global-scope imports from handler-time ones.",
	"COLD STARTS counts log streams (count_distinct(@logStream)): a stream that held several cold starts counts once.",
	"Median, p90 and max run over import lines as CloudWatch computes pct() and max(), not over cold starts: a module imported twice in one cold start counts twice, and its times are not summed per cold start.",
	"Python's -X importtime lines only; no packages, no Init Duration, no slowest cold starts (coldprof report on exported logs has them).",
}

// setters maps the query's result fields to where they go in a row.
var setters = map[string]func(r *report.AggregateRow, v int64){
	"cold_starts":       func(r *report.AggregateRow, v int64) { r.ColdStarts = int(v) },
	"self_p50_us":       func(r *report.AggregateRow, v int64) { r.Self.Median = v },
	"self_p90_us":       func(r *report.AggregateRow, v int64) { r.Self.P90 = v },
	"self_max_us":       func(r *report.AggregateRow, v int64) { r.Self.Max = v },
	"cumulative_p50_us": func(r *report.AggregateRow, v int64) { r.Cumulative.Median = v },
	"cumulative_p90_us": func(r *report.AggregateRow, v int64) { r.Cumulative.P90 = v },
	"cumulative_max_us": func(r *report.AggregateRow, v int64) { r.Cumulative.Max = v },
}

// ReadResults reads GetQueryResults JSON: {"results": [[{"field",
// "value"}, …], …], "status": …}. Values are strings; Insights' pct() may
// give fractions of a microsecond, which are rounded.
//
// Anything else is refused, not shown as an empty report: the document
// must be an object with a "results" array of rows of field/value pairs.
func ReadResults(r io.Reader) ([]report.AggregateRow, error) {
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
			set, ok := setters[f.Field]
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
		if seen < len(setters) {
			return nil, fmt.Errorf("row %d (%s) lacks some of %s: are these the results of coldprof insights-query?", i+1, row.Name, strings.Join(columns, ", "))
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
