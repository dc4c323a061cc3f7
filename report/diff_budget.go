package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/coldprof/coldprof/profile"
)

// A MetricKind says what a gate measures.
type MetricKind string

// The kinds of metric a gate can name.
const (
	MetricTotal  MetricKind = "total"
	MetricPhase  MetricKind = "phase"
	MetricModule MetricKind = "module"
	// MetricPackage is a top-level package: botocore for botocore.session.
	MetricPackage MetricKind = "package"
)

// A Metric is what a gate or budget measures: "total" (every import), a
// phase ("init"), a module ("module:boto3", its cumulative time) or a
// top-level package ("package:botocore", every botocore.* module).
type Metric struct {
	Kind   MetricKind
	Phase  profile.Phase // for MetricPhase
	Module string        // the module or package name, for MetricModule and MetricPackage
}

func (m Metric) String() string {
	switch m.Kind {
	case MetricTotal:
		return "total"
	case MetricPhase:
		return string(m.Phase)
	default:
		return m.Module
	}
}

// ParseMetric reads "total", a phase name, "module:NAME" or "package:NAME".
func ParseMetric(s string) (Metric, error) {
	switch {
	case s == "total":
		return Metric{Kind: MetricTotal}, nil
	case profile.Phase(s).Valid():
		return Metric{Kind: MetricPhase, Phase: profile.Phase(s)}, nil
	case strings.HasPrefix(s, "module:") && len(s) > len("module:"):
		return Metric{Kind: MetricModule, Module: strings.TrimPrefix(s, "module:")}, nil
	case strings.HasPrefix(s, "package:") && len(s) > len("package:"):
		return Metric{Kind: MetricPackage, Module: strings.TrimPrefix(s, "package:")}, nil
	case strings.HasPrefix(s, "function:") && len(s) > len("function:"):
		return Metric{Kind: MetricFunction, Module: strings.TrimPrefix(s, "function:")}, nil
	}
	return Metric{}, fmt.Errorf("unknown metric %q (want total, interpreter, runtime, init, invoke, module:NAME, package:NAME or function:FILE:LINE NAME)", s)
}

// A Gate is a limit CI enforces. Written METRIC>+DURATION or METRIC>+N% it
// limits the growth from before to after (diff --fail-on); written
// METRIC>DURATION it limits the value itself (diff --fail-on, and
// report --budget METRIC=DURATION).
type Gate struct {
	// Expr is the gate as the user wrote it, for messages.
	Expr   string
	Metric Metric
	// Growth is set for +DURATION and +N% gates.
	Growth bool
	// Percent is set for +N% gates; Limit is then in percent, else in µs.
	Percent bool
	Limit   float64
}

// ErrBadGate is wrapped by the errors of ParseGate and ParseBudget.
var ErrBadGate = errors.New("bad gate")

// ParseGate reads a --fail-on expression: "init>+50ms", "total>+10%",
// "module:boto3>+20ms" or "init>800ms".
func ParseGate(expr string) (Gate, error) {
	g, err := parseGate(expr)
	if err != nil {
		return Gate{}, fmt.Errorf("%w %q: %v", ErrBadGate, expr, err)
	}
	return g, nil
}

// parseGate is ParseGate with the reason alone as the error, so ParseBudget
// can give the same explanation for its own syntax.
func parseGate(expr string) (Gate, error) {
	// The last '>': a function's name may hold one ("<module>"), a limit never does.
	trimmed := strings.TrimSpace(expr)
	cut := strings.LastIndexByte(trimmed, '>')
	name, limit, ok := trimmed[:max(cut, 0)], trimmed[cut+1:], cut >= 0
	if !ok {
		return Gate{}, errors.New("want METRIC>+DURATION, METRIC>+N% or METRIC>DURATION, e.g. init>+50ms")
	}
	m, err := ParseMetric(strings.TrimSpace(name))
	if err != nil {
		return Gate{}, err
	}
	g := Gate{Expr: expr, Metric: m}
	limit = strings.TrimSpace(limit)
	g.Growth = strings.HasPrefix(limit, "+")
	limit = strings.TrimPrefix(limit, "+")
	if strings.HasSuffix(limit, "%") {
		if !g.Growth {
			return Gate{}, fmt.Errorf("a percentage limits growth, write %s>+%s", name, limit)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(limit, "%"), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return Gate{}, fmt.Errorf("%q is not a percentage", limit)
		}
		g.Percent, g.Limit = true, v
		return g, nil
	}
	us, err := parseLimit(limit)
	if err != nil {
		return Gate{}, err
	}
	g.Limit = us
	return g, nil
}

// ParseBudget reads a report --budget: "init=800ms", "total=1.5s",
// "module:boto3=200ms". It is the gate METRIC>DURATION. A phase budget
// limits that phase's imports (init: the global scope's), not Lambda's
// Init Duration; its result line says so.
func ParseBudget(expr string) (Gate, error) {
	name, limit, ok := strings.Cut(strings.TrimSpace(expr), "=")
	if !ok {
		return Gate{}, fmt.Errorf("%w %q: want METRIC=DURATION, e.g. init=800ms", ErrBadGate, expr)
	}
	if strings.HasPrefix(strings.TrimSpace(limit), "+") || strings.HasSuffix(limit, "%") {
		return Gate{}, fmt.Errorf("%w %q: a budget is a duration; growth limits belong to coldprof diff --fail-on", ErrBadGate, expr)
	}
	g, err := parseGate(name + ">" + limit)
	if err != nil {
		return Gate{}, fmt.Errorf("%w %q: %v", ErrBadGate, expr, err)
	}
	g.Expr = expr
	return g, nil
}

// parseLimit reads a duration with a unit (us, µs, ms, s) as microseconds.
func parseLimit(s string) (float64, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like 50ms, 800us or 1.5s", s)
	}
	return float64(d) / float64(time.Microsecond), nil
}

// A GateResult is one gate checked.
type GateResult struct {
	Gate   string `json:"gate"`
	Failed bool   `json:"failed"`
	// Measured says what was compared with the limit, in words.
	Measured string `json:"measured"`
}

// Check evaluates gates on the diff, records the results in d.Gates and
// reports whether any failed. Growth gates compare medians; a growth past
// the limit that the test judges to be within run-to-run spread does not
// fail the gate, and its line says so. Value gates check the after median.
func (d *Diff) Check(gates []Gate, before, after *DiffSide) bool {
	failed := false
	for _, g := range gates {
		r := compareMetric(before, after, g.Metric)
		res := GateResult{Gate: g.Expr}
		switch {
		case !before.has(g.Metric) && !after.has(g.Metric):
			// A misspelt name would otherwise pass as 0 µs.
			res.Failed = true
			res.Measured = fmt.Sprintf("%s is in no cold start on either side: check the name (%s)", g.Metric.words(), namingHint(g.Metric))
		case !g.Growth:
			res.Failed = float64(r.After.MedianUs) > g.Limit
			res.Measured = fmt.Sprintf("%s %s after (limit %s)", g.Metric, formatMs(r.After.MedianUs), formatMs(int64(g.Limit)))
		default:
			over := float64(r.DeltaUs) > g.Limit
			if g.Percent {
				// From nothing to something is unbounded growth.
				over = r.DeltaUs > 0 && (r.DeltaPct == nil || *r.DeltaPct > g.Limit)
			}
			res.Measured = fmt.Sprintf("%s %s (%s → %s)", g.Metric, signedMs(r.DeltaUs), formatMs(r.Before.MedianUs), formatMs(r.After.MedianUs))
			if r.DeltaPct != nil {
				res.Measured += fmt.Sprintf(", %+.1f %%", *r.DeltaPct)
			}
			res.Failed = over && r.Verdict != VerdictNoise
			if over && r.Verdict == VerdictNoise {
				res.Measured += fmt.Sprintf("; over the limit but within run-to-run spread (p=%.2f)", *r.P)
			}
		}
		failed = failed || res.Failed
		d.Gates = append(d.Gates, res)
	}
	return failed
}

// budgetResult checks one budget against its values, one per cold start
// (0 where a module was not loaded); loaded says whether any cold start
// had the metric's module or package at all.
func budgetResult(g Gate, values []int64, loaded bool) GateResult {
	s := statsOf(values)
	what := g.Metric.words()
	if !loaded {
		return GateResult{Gate: g.Expr, Failed: true,
			Measured: fmt.Sprintf("%s is in no cold start (of %d): check the name (%s)", what, s.N, namingHint(g.Metric))}
	}
	res := GateResult{Gate: g.Expr, Failed: float64(s.MedianUs) > g.Limit}
	res.Measured = fmt.Sprintf("%s %s (budget %s)", what, formatMs(s.MedianUs), formatMs(int64(g.Limit)))
	if s.N > 1 {
		res.Measured = fmt.Sprintf("%s median %s of %d cold starts, max %s (budget %s)", what, formatMs(s.MedianUs), s.N, formatMs(s.MaxUs), formatMs(int64(g.Limit)))
	}
	return res
}

// words says in plain words what a metric measures, for gate and budget
// lines: a phase budget is that phase's imports, not Lambda's Init Duration.
func (m Metric) words() string {
	switch m.Kind {
	case MetricTotal:
		return "total (all imports)"
	case MetricPhase:
		return string(m.Phase) + " (imports in the " + string(m.Phase) + " phase)"
	case MetricPackage:
		return "package " + m.Module
	case MetricFunction:
		return "function " + m.Module + " (sampled, outside imports)"
	default:
		return "module " + m.Module
	}
}

// namingHint says how the log names modules or packages.
func namingHint(m Metric) string {
	switch m.Kind {
	case MetricPackage:
		return "a package is a top-level name as the log shows it, e.g. botocore"
	case MetricFunction:
		return "a function is named \"file:line name\" as the report's function tables show it, and needs samples (the sampler on)"
	}
	return "a module is named as the log shows it, e.g. boto3.session, a Node.js path or a Java class"
}

// WriteGateResults writes one line per gate ("FAIL init=800ms: …"), for
// stderr next to a report.
func WriteGateResults(w io.Writer, results []GateResult) error {
	for _, r := range results {
		word := "pass"
		if r.Failed {
			word = "FAIL"
		}
		if _, err := fmt.Fprintf(w, "%s %s: %s\n", word, r.Gate, r.Measured); err != nil {
			return err
		}
	}
	return nil
}

// A BudgetSource passes cold starts through to a report and keeps, per
// cold start, only the values its budgets name (memory stays bounded by
// budgets × cold starts, not by the cold starts themselves).
type BudgetSource struct {
	Source
	gates  []Gate
	values [][]int64 // per gate, one value per cold start
	loaded []bool    // per gate: some cold start had its module or package
}

// NewBudgetSource wraps src to check gates (from ParseBudget) afterwards.
func NewBudgetSource(src Source, gates []Gate) *BudgetSource {
	return &BudgetSource{Source: src, gates: gates, values: make([][]int64, len(gates)), loaded: make([]bool, len(gates))}
}

// Next returns the next cold start of the wrapped source and records it.
func (b *BudgetSource) Next() (*profile.ColdStart, error) {
	cs, err := b.Source.Next()
	if err == nil && len(b.gates) > 0 {
		side := NewDiffSide("")
		side.Add(cs)
		for i, g := range b.gates {
			v := side.values(g.Metric)
			b.loaded[i] = b.loaded[i] || side.has(g.Metric)
			if len(v) == 0 {
				v = []int64{0} // a module this cold start did not load costs it nothing
			}
			b.values[i] = append(b.values[i], v[0])
		}
	}
	return cs, err
}

// Recycle passes cs back to the wrapped source (see Recycler): the budgets
// keep only numbers.
func (b *BudgetSource) Recycle(cs *profile.ColdStart) { recycle(b.Source, cs) }

// Results checks the budgets on the cold starts read so far.
func (b *BudgetSource) Results() (results []GateResult, failed bool) {
	for i, g := range b.gates {
		results = append(results, budgetResult(g, b.values[i], b.loaded[i]))
		failed = failed || results[i].Failed
	}
	return results, failed
}
