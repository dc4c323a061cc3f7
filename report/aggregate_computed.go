package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// computedRows are the rows of an aggregate computed outside coldprof.
type computedRows struct {
	source  string
	modules []AggregateRow
	limits  []string
}

// NewComputedAggregate returns an aggregate of per-module rows that were
// computed elsewhere, from the log lines alone: by CloudWatch Logs Insights
// for coldprof insights-query, for fleets too big to export. source names
// where they came from; limits say in plain words what that computation
// cannot know, and every renderer prints them beside the rows.
//
// Such an aggregate knows only modules: its Phases, Packages and Slowest
// are empty, a row's Phase is "" when the rows cover every phase together,
// and ColdStarts is the largest count among the rows (the number of cold
// starts that loaded the most common module), not a count of cold starts.
func NewComputedAggregate(source string, modules []AggregateRow, limits []string) *Aggregate {
	a := NewAggregate(Options{})
	a.computed = &computedRows{source: source, modules: modules, limits: limits}
	for _, r := range modules {
		a.ColdStarts = max(a.ColdStarts, r.ColdStarts)
	}
	return a
}

// Computed reports whether the aggregate's rows were computed elsewhere
// (NewComputedAggregate) rather than from cold starts.
func (a *Aggregate) Computed() bool { return a.computed != nil }

// WriteAggregate writes the aggregate alone in opts.Format (table,
// Markdown or JSON; the other formats draw cold starts' trees, which an
// aggregate does not hold), with the same renderers Write uses. For a
// computed aggregate the JSON report has no cold starts and its aggregate
// carries source and limits.
func WriteAggregate(w io.Writer, a *Aggregate, opts Options) error {
	bw := bufio.NewWriter(w)
	var err error
	switch opts.Format {
	case FormatTable, "":
		err = tableRenderer{}.render(bw, aggregateOnlySections(a, opts))
	case FormatMarkdown:
		err = markdownRenderer{}.render(bw, aggregateOnlySections(a, opts))
	case FormatJSON:
		j := newJSONAggregate(a)
		if a.computed != nil {
			j.Source, j.Limits = a.computed.source, a.computed.limits
		}
		bw.WriteString("{\n  \"schemaVersion\": 1,\n  \"coldStarts\": [],\n  \"warnings\": [],\n  \"aggregate\": ")
		err = writeIndented(bw, j)
		bw.WriteString("\n}\n")
	default:
		return fmt.Errorf("format %q shows cold starts' trees; an aggregate alone is shown as %s, %s or %s", opts.Format, FormatTable, FormatMarkdown, FormatJSON)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// aggregateOnlySections is the text report of an aggregate without cold
// starts to follow.
func aggregateOnlySections(a *Aggregate, opts Options) []section {
	if a.computed == nil {
		return aggregateSections(a, opts, false)
	}
	head := section{title: fmt.Sprintf("Across up to %d log streams", a.ColdStarts), level: 1}
	head.facts = []fact{
		{"computed by", a.computed.source},
		{"modules", strconv.Itoa(len(a.computed.modules))},
	}
	for _, l := range a.computed.limits {
		head.facts = append(head.facts, fact{"cannot know", l})
	}
	modules := aggregateSection("Modules", "MODULE", a.Modules(opts.top()), "")
	if allPhasesUnknown(a.computed.modules) {
		dropColumn(modules.grid, 1) // PHASE: empty in every row
	}
	return []section{head, modules}
}

func allPhasesUnknown(rows []AggregateRow) bool {
	for _, r := range rows {
		if r.Phase != "" {
			return false
		}
	}
	return true
}

// dropColumn removes column i from g.
func dropColumn(g *grid, i int) {
	g.header = append(g.header[:i:i], g.header[i+1:]...)
	g.right = append(g.right[:i:i], g.right[i+1:]...)
	for k, r := range g.rows {
		g.rows[k] = append(r[:i:i], r[i+1:]...)
	}
}
