package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// The table and Markdown reports share their content: the functions here
// turn summaries and the aggregate into sections (a title, lines of text,
// a grid), and each renderer only lays sections out.

// maxDetails is how many cold starts get a section of their own in a text
// report. Beyond it the report shows the aggregate and the slowest cold
// starts, and --cold-start picks one: thousands of sections help nobody,
// and not keeping them keeps memory bounded.
const maxDetails = 5

// A section is one block of a text report.
type section struct {
	title string
	level int      // 1 for a cold start or the aggregate, 2 within it
	facts []fact   // label: value lines
	notes []string // sentences under the facts
	items []item   // a numbered list (the findings)
	grid  *grid
}

// An item is one entry of a numbered list: a headline and its details.
type item struct {
	head    string
	details []fact
}

type fact struct{ label, value string }

// A grid is a table: a header, which columns are numbers (right-aligned),
// and rows of cells. A tree grid's first column is indented by depth.
type grid struct {
	header []string
	right  []bool
	rows   [][]string
	tree   bool
}

// A textRenderer lays sections out in one format.
type textRenderer interface {
	render(w io.Writer, sections []section) error
}

// writeText reads every cold start, folds it into the aggregate and keeps
// the summaries of the first maxDetails, then renders: the aggregate first
// when there are several cold starts, then each cold start.
func writeText(w *bufio.Writer, src Source, opts Options, r textRenderer) error {
	agg := NewAggregate(opts)
	found := NewFindingsAggregate(opts.Findings)
	var details []*Summary
	for {
		cs, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		agg.Add(cs)
		if agg.ColdStarts <= maxDetails {
			s := Analyze(cs, opts)
			found.AddFindings(s.Findings)
			details = append(details, s)
		} else {
			found.AddFindings(findings(cs, opts.Findings, agg.addedCached))
			details = nil
			recycle(src, cs) // neither the aggregate nor a summary keeps it
		}
	}
	var sections []section
	if agg.ColdStarts > 1 {
		aggSections := aggregateSections(agg, opts, len(details) > 0)
		// The findings come first, right under the aggregate's heading.
		sections = append(sections, aggSections[0], findingsSection(found.Findings(), 2, agg.ColdStarts))
		sections = append(sections, aggSections[1:]...)
	}
	for _, s := range details {
		sections = append(sections, coldStartSections(s, opts)...)
	}
	return r.render(w, sections)
}

// boundaryNote explains a boundary in words; a guess must read as a guess.
func boundaryNote(b profile.Boundary) string {
	switch b {
	case profile.BoundaryExact:
		return "exact: measured by coldprof-wrapper's runtime-API markers"
	case profile.BoundaryPlatform:
		return "platform: from Lambda's START lines, as exact as their place in the log"
	case profile.BoundaryHeuristic:
		return "heuristic: guessed from module names and order, not measured; run under coldprof-wrapper for exact phases"
	}
	return "unknown: nothing in the log tells init from invoke; the phases below are not reliable"
}

// coldStartSections is the report of one cold start.
func coldStartSections(s *Summary, opts Options) []section {
	head := section{title: "Cold start " + s.ID, level: 1}
	if s.Source != "" {
		where := s.Source
		if s.Line > 0 {
			where += ":" + strconv.Itoa(s.Line)
		}
		head.facts = append(head.facts, fact{"from", where})
	}
	head.facts = append(head.facts,
		fact{"runtime", orUnknown(s.Runtime)},
		fact{"handler", orUnknown(s.Handler)},
		fact{"boundary", boundaryNote(s.Boundary)},
	)
	head.facts = append(head.facts, lifecycleFacts(s)...)
	if s.Invocations > 0 {
		head.facts = append(head.facts, fact{"invocations", strconv.Itoa(s.Invocations)})
	}
	if s.Truncated {
		head.notes = append(head.notes, "The log ended (or a new cold start began) while imports were still open; those entries are left out.")
	}
	head.notes = append(head.notes, "Percentages are of "+formatMs(s.TotalUs)+", the time of every import in this cold start.")

	phases := section{title: "Phases", level: 2, grid: &grid{
		header: []string{"PHASE", "IMPORTS", "TIME", "SHARE"},
		right:  []bool{false, true, true, true},
	}}
	for _, p := range s.Phases {
		if p.Phase == profile.PhaseInterpreter && p.Count == 0 && !measuresInterpreter(s.Format) {
			phases.grid.rows = append(phases.grid.rows, []string{string(p.Phase), "—", notMeasured, "—"})
			continue
		}
		phases.grid.rows = append(phases.grid.rows, []string{string(p.Phase), strconv.Itoa(p.Count), formatMs(p.Us), percent(p.Us, s.TotalUs)})
	}
	scope := ""
	if s.Phase != "" {
		scope = ", " + string(s.Phase) + " phase"
	}
	out := append([]section{head, findingsSection(s.Findings, 2, 1)}, sampledSections(s)...)
	out = append(out, phases)
	if len(s.Lifecycle.Invocations) > 0 {
		out = append(out, invocationSection(s))
	}
	if s.Format == profile.FormatJavaClassLoad {
		out = append(out, classGapSection(fmt.Sprintf("Top %d classes by time to the next class load%s", len(s.TopSelf), scope), s.TopSelf, s.TotalUs))
	} else {
		out = append(out,
			hotSpotSection(fmt.Sprintf("Top %d by self time%s", len(s.TopSelf), scope), s.TopSelf, s.TotalUs),
			hotSpotSection(fmt.Sprintf("Top %d by cumulative time%s", len(s.TopCumulative), scope), s.TopCumulative, s.TotalUs))
	}
	out = append(out, packageSection(s, scope))
	if s.Origins != nil {
		out = append(out, originSection(s, scope))
	}
	if opts.Tree {
		out = append(out, treeSection(s, opts, scope))
	}
	return out
}

// guessed warns that a figure built on the phases is as uncertain as the
// boundary they came from.
func guessed(b profile.Boundary) string {
	switch b {
	case profile.BoundaryHeuristic:
		return " (the phases are guessed, so this figure is too)"
	case profile.BoundaryUnknown:
		return " (the phases are unknown, so this figure is uncertain)"
	}
	return ""
}

func hotSpotSection(title string, rows []Row, total int64) section {
	g := &grid{
		header: []string{"MODULE", "PHASE", "SELF", "SELF %", "CUMULATIVE", "CUM %"},
		right:  []bool{false, false, true, true, true, true},
	}
	for _, r := range rows {
		g.rows = append(g.rows, []string{mergedName(r), string(r.Phase),
			formatMs(r.SelfUs), percent(r.SelfUs, total), formatMs(r.CumulativeUs), percent(r.CumulativeUs, total)})
	}
	return section{title: title, level: 2, grid: g}
}

// classGapSection is the hot-spot table for the JVM's class-load log. The
// log stamps when each class was loaded, not how long loading it took, and
// has no nesting: a class's "self" and "cumulative" time are the same gap
// until the next load, so one table with that name replaces the two.
func classGapSection(title string, rows []Row, total int64) section {
	g := &grid{
		header: []string{"CLASS", "PHASE", "TO NEXT LOAD", "SHARE"},
		right:  []bool{false, false, true, true},
	}
	for _, r := range rows {
		g.rows = append(g.rows, []string{mergedName(r), string(r.Phase), formatMs(r.SelfUs), percent(r.SelfUs, total)})
	}
	return section{title: title, level: 2, grid: g, notes: []string{
		"The class-load log says when each class was loaded, not what loading it cost: a class's time is the gap until the JVM loaded the next one " +
			"(its static initializer, other code that ran before the next load, or a pause). JSON gives that gap as both selfUs and cumulativeUs.",
	}}
}

func packageSection(s *Summary, scope string) section {
	g := &grid{
		header: []string{"PACKAGE", "PHASE", "MODULES", "SELF", "SELF %", "CUMULATIVE", "CUM %"},
		right:  []bool{false, false, true, true, true, true, true},
	}
	for _, r := range s.Packages {
		g.rows = append(g.rows, []string{r.Name, string(r.Phase), strconv.Itoa(r.Count),
			formatMs(r.SelfUs), percent(r.SelfUs, s.TotalUs), formatMs(r.CumulativeUs), percent(r.CumulativeUs, s.TotalUs)})
	}
	return section{
		title: fmt.Sprintf("Top %d packages by cumulative time%s", len(s.Packages), scope), level: 2, grid: g,
		notes: []string{"A package's modules are merged; a module nested in another of the same package is counted once. " +
			"Cumulative time includes the other packages a package loaded."},
	}
}

// originSection rolls entries up by where they were loaded from (a Java
// class's jar or directory, its JDK module, the shared archive), with the
// shared archive's share for Java.
func originSection(s *Summary, scope string) section {
	g := &grid{
		header: []string{"ORIGIN", "PHASE", "LOADED", "SELF", "SELF %", "CUMULATIVE", "CUM %"},
		right:  []bool{false, false, true, true, true, true, true},
	}
	for _, r := range s.Origins {
		g.rows = append(g.rows, []string{r.Name, string(r.Phase), strconv.Itoa(r.Count),
			formatMs(r.SelfUs), percent(r.SelfUs, s.TotalUs), formatMs(r.CumulativeUs), percent(r.CumulativeUs, s.TotalUs)})
	}
	sec := section{
		title: fmt.Sprintf("Top %d origins by cumulative time%s", len(s.Origins), scope), level: 2, grid: g,
		notes: []string{"Where entries were loaded from: a jar or class directory, a JDK module (jrt:/…), " +
			profile.OriginSharedArchive + " (the JVM's class-data-sharing archive, CDS)."},
	}
	if a := s.SharedArchive; a != nil && s.Format == profile.FormatJavaClassLoad {
		sec.facts = []fact{{"shared archive (CDS)", fmt.Sprintf("%d of %d classes (%s), %s of the %s attributed to all classes",
			a.Count, a.TotalCount, percentCount(a.Count, a.TotalCount), formatMs(a.SelfUs), formatMs(a.TotalUs))}}
	}
	return sec
}

// percentCount is percent for counts.
func percentCount(part, whole int) string { return percent(int64(part), int64(whole)) }

func treeSection(s *Summary, opts Options, scope string) section {
	g := &grid{
		header: []string{"MODULE", "PHASE", "SELF", "CUMULATIVE", "CUM %"},
		right:  []bool{false, false, true, true, true},
		tree:   true,
	}
	for _, r := range s.Tree {
		name := r.Name
		if r.Hidden > 0 {
			name = fmt.Sprintf("… %d more", r.Hidden)
		}
		phase := string(r.Phase)
		if r.RequestID != "" {
			phase += " " + shortID(r.RequestID)
		}
		g.rows = append(g.rows, []string{strings.Repeat("  ", r.Depth) + name, phase,
			formatMs(r.SelfUs), formatMs(r.CumulativeUs), percent(r.CumulativeUs, s.TotalUs)})
	}
	var pruned []string
	if opts.MinUs > 0 {
		pruned = append(pruned, "entries under "+formatMs(opts.MinUs))
	}
	if opts.Depth > 0 {
		pruned = append(pruned, fmt.Sprintf("entries deeper than %d", opts.Depth))
	}
	sec := section{title: "Import tree" + scope, level: 2, grid: g}
	if len(pruned) > 0 {
		sec.notes = []string{"Log order; " + strings.Join(pruned, " and ") + " are folded into \"… N more\" rows."}
	} else {
		sec.notes = []string{"Log order; children under their parent."}
	}
	return sec
}

// notMeasured stands in a phase row the log cannot have: an interpreter's
// start-up that no line of the runtime's format times is not 0 ms.
const notMeasured = "not measured"

// measuresInterpreter reports whether a log format times the interpreter's
// own start-up: Python's -X importtime does (the modules before site), the
// JVM's class-load log does (the bootstrap classes); the Node.js and Ruby
// require hooks start inside an interpreter that is already up.
func measuresInterpreter(f profile.Format) bool {
	return f != profile.FormatNodeRequire && f != profile.FormatRubyRequire
}

// aggregateSections is the report across several cold starts.
func aggregateSections(a *Aggregate, opts Options, detailsFollow bool) []section {
	head := section{title: fmt.Sprintf("Across %d cold starts", a.ColdStarts), level: 1}
	head.facts = []fact{{"with Init Duration", fmt.Sprintf("%d of %d", a.WithInitDuration, a.ColdStarts)}}
	head.notes = []string{"Median and p90 are nearest-rank (values that were seen): for phases over every cold start, " +
		"for modules and packages over the cold starts that loaded them. Max is the largest seen."}
	if !a.ExactQuantiles() {
		head.notes[0] = fmt.Sprintf("Median and p90 are nearest-rank: exact for rows of up to %d cold starts; "+
			"beyond that read from a log-scale histogram, within %.2f %% of the value seen at that rank "+
			"(exact when those cold starts took the same time). For phases over every cold start, "+
			"for modules and packages over the cold starts that loaded them. Max is the largest seen, exactly.",
			exactSamples, QuantileErrorPct)
	}
	if !detailsFollow {
		head.notes = append(head.notes, "Show one cold start with --cold-start ID.")
	}

	phases := section{title: "Phases", level: 2, grid: &grid{
		header: []string{"PHASE", "COLD STARTS", "MEDIAN", "P90", "MAX"},
		right:  []bool{false, true, true, true, true},
	}}
	for _, p := range a.Phases() {
		if p.Phase == profile.PhaseInterpreter && p.ColdStarts == 0 && a.interpreterMeasured == 0 {
			phases.grid.rows = append(phases.grid.rows, []string{string(p.Phase), "—", notMeasured, notMeasured, notMeasured})
			continue
		}
		phases.grid.rows = append(phases.grid.rows, []string{string(p.Phase), strconv.Itoa(p.ColdStarts),
			formatMs(p.Us.Median), formatMs(p.Us.P90), formatMs(p.Us.Max)})
	}
	scope := ""
	if opts.Phase != "" {
		scope = ", " + string(opts.Phase) + " phase"
	}
	slow := section{title: "Slowest cold starts", level: 2, grid: &grid{
		header: []string{"COLD START", "RUNTIME", "INIT DURATION", "IMPORTS BEFORE INVOKE", "BOUNDARY"},
		right:  []bool{false, false, true, true, false},
	}}
	for _, s := range a.Slowest() {
		initDur := "—"
		if s.HasInitDuration {
			initDur = formatMs(int64(s.InitDurationMs * 1000))
		}
		slow.grid.rows = append(slow.grid.rows, []string{s.ID, orUnknown(s.Runtime), initDur, formatMs(s.BeforeInvokeUs), string(s.Boundary)})
	}
	return []section{head, phases,
		aggregateSection("Modules", "MODULE", a.Modules(opts.top()), scope),
		aggregateSection("Packages", "PACKAGE", a.Packages(opts.top()), scope),
		slow,
	}
}

func aggregateSection(kind, column string, rows []AggregateRow, scope string) section {
	g := &grid{
		header: []string{column, "PHASE", "COLD STARTS", "SELF MEDIAN", "SELF P90", "SELF MAX", "CUM MEDIAN", "CUM P90", "CUM MAX"},
		right:  []bool{false, false, true, true, true, true, true, true, true},
	}
	for _, r := range rows {
		g.rows = append(g.rows, []string{r.Name, string(r.Phase), strconv.Itoa(r.ColdStarts),
			formatMs(r.Self.Median), formatMs(r.Self.P90), formatMs(r.Self.Max),
			formatMs(r.Cumulative.Median), formatMs(r.Cumulative.P90), formatMs(r.Cumulative.Max)})
	}
	return section{title: fmt.Sprintf("Top %d %s by median cumulative time%s", len(rows), strings.ToLower(kind), scope), level: 2, grid: g}
}

// shortID shortens a request ID to its first group, enough to tell the
// invocations of one cold start apart.
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// mergedName shows how many entries a hot spot merges when more than one.
func mergedName(r Row) string {
	if r.Count > 1 {
		return fmt.Sprintf("%s (×%d)", r.Name, r.Count)
	}
	return r.Name
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// formatMs shows microseconds as milliseconds with two decimals.
func formatMs(us int64) string {
	return strconv.FormatFloat(float64(us)/1000, 'f', 2, 64) + " ms"
}

// percent shows part as a percentage of whole with one decimal.
func percent(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	p := 100 * float64(part) / float64(whole)
	if p > 0 && p < 0.05 {
		return "<0.1 %" // not "0.0 %": something was there
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + " %"
}
