package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/coldprof/coldprof/profile"
)

// A DiffSide holds one side of a diff (before or after): for each cold start
// added, its total, its phase totals and each module's time. It keeps
// numbers only, so cold starts can be released after Add.
type DiffSide struct {
	// Name says where the side came from (file or directory names).
	Name    string
	n       int
	total   []int64
	phases  map[profile.Phase][]int64
	modules map[string]*moduleSamples
	// packages are the same by top-level package (botocore for
	// botocore.session), as report.Analyze rolls them up.
	packages map[string]*moduleSamples
	// functions are the sampled functions (diff_functions.go); sampled
	// counts the cold starts with samples.
	functions map[string]*moduleSamples
	sampled   int
}

// moduleSamples are one module's times in the cold starts that loaded it.
type moduleSamples struct {
	phase      profile.Phase // where it was loaded (last cold start seen)
	cumulative []int64
}

// NewDiffSide returns an empty side called name.
func NewDiffSide(name string) *DiffSide {
	return &DiffSide{Name: name, phases: map[profile.Phase][]int64{}, modules: map[string]*moduleSamples{}, packages: map[string]*moduleSamples{}}
}

// ColdStarts is the number of cold starts added.
func (s *DiffSide) ColdStarts() int { return s.n }

// Add records cs. A module's time in a cold start is the cumulative time of
// its entries that have no ancestor of the same name, in whichever phase,
// so a module that moved from init to invoke is compared with itself.
func (s *DiffSide) Add(cs *profile.ColdStart) {
	s.n++
	s.total = append(s.total, cs.TotalUs())
	totals := cs.PhaseTotals()
	for _, p := range profile.Phases {
		s.phases[p] = append(s.phases[p], totals[p].Us)
	}
	s.addRollup(s.modules, cs, func(name string) string { return name })
	s.addRollup(s.packages, cs, packageFunc(cs.Format))
	s.addFunctions(cs)
}

// addRollup adds one value per key to into: the cumulative time of the
// entries whose key is keyOf(name) and that have no ancestor with the same
// key, so nested entries are not counted twice.
func (s *DiffSide) addRollup(into map[string]*moduleSamples, cs *profile.ColdStart, keyOf func(string) string) {
	seen := map[string]int64{}
	phaseOf := map[string]profile.Phase{}
	open := map[string]int{} // keys on the current path
	var walk func(imp *profile.Import)
	walk = func(imp *profile.Import) {
		if imp.Cached {
			return // a look-up, not a load
		}
		key := keyOf(imp.Name)
		if open[key] == 0 {
			seen[key] += imp.CumulativeUs
			if _, ok := phaseOf[key]; !ok {
				phaseOf[key] = imp.Phase
			}
		}
		open[key]++
		for _, c := range imp.Children {
			walk(c)
		}
		open[key]--
	}
	for _, top := range cs.Imports {
		walk(top)
	}
	for key, us := range seen {
		m := into[key]
		if m == nil {
			m = &moduleSamples{}
			into[key] = m
		}
		m.phase = phaseOf[key]
		m.cumulative = append(m.cumulative, us)
	}
}

// rollup returns the samples a module or package metric reads.
func (s *DiffSide) rollup(m Metric) map[string]*moduleSamples {
	switch m.Kind {
	case MetricPackage:
		return s.packages
	case MetricFunction:
		return s.functions
	}
	return s.modules
}

// has reports whether the side holds m: always for total and phases; for
// a module or package, whether some cold start loaded it.
func (s *DiffSide) has(m Metric) bool {
	if !m.Kind.rolledUp() {
		return true
	}
	return s.rollup(m)[m.Module] != nil
}

// values returns the per-cold-start values of a metric on this side: for a
// module, only the cold starts that loaded it.
func (s *DiffSide) values(m Metric) []int64 {
	switch m.Kind {
	case MetricTotal:
		return s.total
	case MetricPhase:
		return s.phases[m.Phase]
	default:
		if mod := s.rollup(m)[m.Module]; mod != nil {
			return mod.cumulative
		}
		return nil
	}
}

// DiffStats describe one side of a row.
type DiffStats struct {
	// N is the number of cold starts the values come from (for a module,
	// those that loaded it).
	N        int   `json:"n"`
	MedianUs int64 `json:"medianUs"`
	MinUs    int64 `json:"minUs"`
	MaxUs    int64 `json:"maxUs"`
}

func statsOf(v []int64) DiffStats {
	if len(v) == 0 {
		return DiffStats{}
	}
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return DiffStats{N: len(s), MedianUs: med, MinUs: s[0], MaxUs: s[len(s)-1]}
}

// A Change says which way a row moved between before and after.
type Change string

// The changes a row can show.
const (
	ChangeSlower      Change = "slower"
	ChangeFaster      Change = "faster"
	ChangeAppeared    Change = "appeared"
	ChangeDisappeared Change = "disappeared"
	ChangeUnchanged   Change = "unchanged"
)

// A Verdict says whether a change stands out from run-to-run spread.
type Verdict string

// The verdicts. With fewer than two cold starts on a side nothing is known
// about the spread; with fewer than four per side the test used cannot
// reach p < 0.05, so every change reads as noise: collect more cold starts.
const (
	VerdictSignificant Verdict = "significant"
	VerdictNoise       Verdict = "noise"
	VerdictUnknown     Verdict = "unknown"
)

// significanceLevel is the p-value under which a change counts as real.
const significanceLevel = 0.05

// A DiffRow compares one total, phase or module.
type DiffRow struct {
	Name string `json:"name"`
	// PhaseBefore and PhaseAfter are where a module was loaded ("" when
	// absent on that side, and for totals and phases).
	PhaseBefore profile.Phase `json:"phaseBefore,omitempty"`
	PhaseAfter  profile.Phase `json:"phaseAfter,omitempty"`
	Before      DiffStats     `json:"before"`
	After       DiffStats     `json:"after"`
	// DeltaUs is the after median minus the before median.
	DeltaUs int64 `json:"deltaUs"`
	// DeltaPct is DeltaUs in percent of the before median; nil when that is 0.
	DeltaPct *float64 `json:"deltaPct"`
	Change   Change   `json:"change"`
	Verdict  Verdict  `json:"verdict"`
	// P is the two-sided Mann-Whitney U p-value; nil when not computed.
	P *float64 `json:"p"`
	// Q is P adjusted for the other rows tested with it (Benjamini–Hochberg
	// over the module rows, the package rows, the function rows, and the
	// total and phase rows, each a family); nil when P is. Verdict compares Q, not P, with 0.05.
	Q *float64 `json:"q"`
}

// A Diff compares two sets of cold starts.
type Diff struct {
	SchemaVersion int       `json:"schemaVersion"`
	Before        DiffInput `json:"before"`
	After         DiffInput `json:"after"`
	Total         DiffRow   `json:"total"`
	Phases        []DiffRow `json:"phases"`
	// Packages holds every top-level package seen on either side, largest
	// change first.
	Packages []DiffRow `json:"packages"`
	// Modules holds every module seen on either side, largest change first.
	Modules []DiffRow `json:"modules"`
	// Functions holds every sampled function (file:line name) seen on
	// either side, largest change first; empty unless both sides have samples.
	Functions []DiffRow `json:"functions"`
	// Gates are the results of Check, in the order the gates were given.
	Gates []GateResult `json:"gates"`
}

// A DiffInput names one side and says how many cold starts it held.
type DiffInput struct {
	Name       string `json:"name"`
	ColdStarts int    `json:"coldStarts"`
}

// Compare computes the diff from before to after.
func Compare(before, after *DiffSide) *Diff {
	d := &Diff{
		SchemaVersion: 1,
		Before:        DiffInput{before.Name, before.n},
		After:         DiffInput{after.Name, after.n},
		Phases:        []DiffRow{},
		Gates:         []GateResult{},
	}
	d.Total = compareMetric(before, after, Metric{Kind: MetricTotal})
	for _, p := range profile.Phases {
		d.Phases = append(d.Phases, compareMetric(before, after, Metric{Kind: MetricPhase, Phase: p}))
	}
	d.Packages = compareRollups(before, after, MetricPackage)
	d.Modules = compareRollups(before, after, MetricModule)
	d.Functions = compareFunctions(before, after)
	overall := []*DiffRow{&d.Total}
	for i := range d.Phases {
		overall = append(overall, &d.Phases[i])
	}
	adjustFamily(overall)
	adjustFamily(rowPointers(d.Packages))
	adjustFamily(rowPointers(d.Modules))
	adjustFamily(rowPointers(d.Functions))
	return d
}

func rowPointers(rows []DiffRow) []*DiffRow {
	out := make([]*DiffRow, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

// adjustFamily sets each row's Q, its p-value adjusted for the rest of
// the family, and judges the row by it.
//
// A diff tests hundreds of modules at once: at p < 0.05 about one
// untouched module in twenty reads as changed on noise alone. The
// correction is Benjamini–Hochberg's, which bounds the expected share of
// false changes among those flagged (the false discovery rate) at 0.05.
// It was chosen over Holm's, which bounds the chance of any false change:
// when nothing changed the two give the same protection (with every null
// hypothesis true, FDR and family-wise error are the same thing), but when
// a change did land (the reason to diff) Holm's step-down over hundreds of
// modules keeps only the largest effects, while BH still finds the modules
// that moved with them. Gates are not corrected: each tests one metric
// named in advance.
func adjustFamily(rows []*DiffRow) {
	var tested []*DiffRow
	for _, r := range rows {
		if r.P != nil {
			tested = append(tested, r)
		}
	}
	ps := make([]float64, len(tested))
	for i, r := range tested {
		ps[i] = *r.P
	}
	for i, q := range benjaminiHochberg(ps) {
		q := q
		r := tested[i]
		r.Q = &q
		r.Verdict = VerdictNoise
		if q < significanceLevel {
			r.Verdict = VerdictSignificant
		}
	}
}

// benjaminiHochberg returns the BH-adjusted p-values (q-values) of ps, in
// ps's order: q(i) = min over j ≥ i of p(j)·m/j in ascending order, capped at 1.
func benjaminiHochberg(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	q := make([]float64, m)
	running := 1.0
	for rank := m; rank >= 1; rank-- {
		i := idx[rank-1]
		v := ps[i] * float64(m) / float64(rank)
		running = math.Min(running, v)
		q[i] = math.Min(1, running)
	}
	return q
}

// compareRollups compares every module (or package) seen on either side,
// largest change first.
func compareRollups(before, after *DiffSide, kind MetricKind) []DiffRow {
	probe := Metric{Kind: kind}
	names := map[string]bool{}
	for name := range before.rollup(probe) {
		names[name] = true
	}
	for name := range after.rollup(probe) {
		names[name] = true
	}
	rows := make([]DiffRow, 0, len(names))
	for name := range names {
		rows = append(rows, compareMetric(before, after, Metric{Kind: kind, Module: name}))
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := abs(rows[i].DeltaUs), abs(rows[j].DeltaUs)
		if a != b {
			return a > b
		}
		return rows[i].Name < rows[j].Name
	})
	return rows
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func compareMetric(before, after *DiffSide, m Metric) DiffRow {
	b, a := before.values(m), after.values(m)
	row := DiffRow{Name: m.String(), Before: statsOf(b), After: statsOf(a)}
	if m.Kind.rolledUp() {
		if mod := before.rollup(m)[m.Module]; mod != nil {
			row.PhaseBefore = mod.phase
		}
		if mod := after.rollup(m)[m.Module]; mod != nil {
			row.PhaseAfter = mod.phase
		}
	}
	row.DeltaUs = row.After.MedianUs - row.Before.MedianUs
	if row.Before.MedianUs != 0 {
		pct := 100 * float64(row.DeltaUs) / float64(row.Before.MedianUs)
		row.DeltaPct = &pct
	}
	present := func(s DiffStats) bool { return s.N > 0 && s.MaxUs > 0 }
	switch {
	case !present(row.Before) && present(row.After):
		row.Change = ChangeAppeared
	case present(row.Before) && !present(row.After):
		row.Change = ChangeDisappeared
	case row.DeltaUs > 0:
		row.Change = ChangeSlower
	case row.DeltaUs < 0:
		row.Change = ChangeFaster
	default:
		row.Change = ChangeUnchanged
	}
	// A module missing from a side counts as 0 µs in each of that side's
	// cold starts for the test, so "appeared in 1 of 5" is not significant.
	if m.Kind.rolledUp() {
		b, a = padZeros(b, before.n), padZeros(a, after.n)
	}
	row.Verdict = VerdictUnknown
	if len(b) >= 2 && len(a) >= 2 {
		p := mannWhitneyP(b, a)
		row.P = &p
		row.Verdict = VerdictNoise
		if p < significanceLevel {
			row.Verdict = VerdictSignificant
		}
	}
	return row
}

// padZeros extends v with zeros to n values.
func padZeros(v []int64, n int) []int64 {
	if len(v) >= n {
		return v
	}
	return append(append([]int64(nil), v...), make([]int64, n-len(v))...)
}

// mannWhitneyP is the two-sided p-value of the Mann-Whitney U test (the test
// benchstat uses): could a and b come from one distribution? Exact for
// small samples without ties, the normal approximation (with tie and
// continuity corrections) otherwise.
func mannWhitneyP(a, b []int64) float64 {
	n1, n2 := len(a), len(b)
	type obs struct {
		v     int64
		fromA bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := len(all)
	var rankSumA, tieTerm float64
	ties := false
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // midrank of positions i..j-1 (1-based)
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankSumA += rank
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	u := rankSumA - float64(n1*(n1+1))/2
	if !ties && n <= 50 {
		return exactMannWhitneyP(n1, n2, u)
	}
	mean := float64(n1*n2) / 2
	variance := float64(n1*n2) / 12 * (float64(n+1) - tieTerm/float64(n*(n-1)))
	if variance <= 0 {
		return 1 // every value equal
	}
	z := (math.Abs(u-mean) - 0.5) / math.Sqrt(variance)
	return math.Min(1, math.Erfc(math.Max(z, 0)/math.Sqrt2))
}

// exactMannWhitneyP counts, over every way to pick n1 of n1+n2 ranks, how
// many give a U at least as extreme as u.
func exactMannWhitneyP(n1, n2 int, u float64) float64 {
	// ways[k][s]: subsets of size k of the ranks seen so far with U-sum s,
	// where picking rank r (0-based) among the first r adds r-k' to U.
	maxU := n1 * n2
	ways := make([][]float64, n1+1)
	for k := range ways {
		ways[k] = make([]float64, maxU+1)
	}
	ways[0][0] = 1
	for r := 0; r < n1+n2; r++ {
		for k := min(r+1, n1); k >= 1; k-- {
			add := r - (k - 1) // items of b below this a-item
			if add > n2 {
				continue
			}
			for s := maxU; s >= add; s-- {
				ways[k][s] += ways[k-1][s-add]
			}
		}
	}
	var total, low, high float64
	for s, w := range ways[n1] {
		total += w
		if float64(s) <= u {
			low += w
		}
		if float64(s) >= u {
			high += w
		}
	}
	return math.Min(1, 2*math.Min(low, high)/total)
}

// DiffOptions shape what the table and Markdown diffs show; JSON has every row.
type DiffOptions struct {
	// Top is the number of module rows shown; 0 means 15.
	Top int
	// MinUs hides module rows whose change is smaller than it.
	MinUs int64
}

// WriteDiff writes d in format (table, json or markdown).
func WriteDiff(w io.Writer, d *Diff, format Format, opts DiffOptions) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case FormatTable, "":
		err = tableRenderer{}.render(bw, diffSections(d, opts))
	case FormatMarkdown:
		err = markdownRenderer{}.render(bw, diffSections(d, opts))
	case FormatJSON:
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		err = enc.Encode(d)
	default:
		return fmt.Errorf("unknown diff format %q (want table, json or markdown)", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func diffSections(d *Diff, opts DiffOptions) []section {
	top := opts.Top
	if top <= 0 {
		top = 15
	}
	head := section{
		title: "coldprof diff: " + d.Before.Name + " → " + d.After.Name,
		level: 1,
		facts: []fact{
			{"before", plural(d.Before.ColdStarts, "cold start")},
			{"after", plural(d.After.ColdStarts, "cold start")},
		},
	}
	switch {
	case d.Before.ColdStarts < 2 || d.After.ColdStarts < 2:
		head.notes = append(head.notes, "One cold start on a side: times are compared as they are, with no run-to-run spread to judge them by. Compare several cold starts per side to tell changes from noise.")
	default:
		head.notes = append(head.notes, "Medians across cold starts; ± is how far the cold starts reach from the median. \"~\" marks a change within run-to-run spread: "+
			"Mann-Whitney U test as benchstat does, its p-value adjusted for the number of rows tested (Benjamini–Hochberg q, within modules, within packages, within total and phases); a change is real at q < 0.05.")
		if d.Before.ColdStarts < 4 || d.After.ColdStarts < 4 {
			head.notes = append(head.notes, "With fewer than 4 cold starts per side no change can reach p < 0.05.")
		}
	}
	phases := &grid{header: []string{"", "before", "after", "change", "%", ""}, right: []bool{false, true, true, true, true, false}}
	phases.rows = append(phases.rows, diffCells(d.Total, d))
	for _, r := range d.Phases {
		phases.rows = append(phases.rows, diffCells(r, d))
	}
	sections := []section{head, {title: "Phases", level: 2, grid: phases}}

	sections = append(sections,
		rollupSection("Packages", "package", d.Packages, d, opts, top),
		rollupSection("Modules", "module", d.Modules, d, opts, top))
	if len(d.Functions) > 0 {
		sections = append(sections, rollupSection("Functions (sampled, outside imports)", "function", d.Functions, d, opts, top))
	}
	if len(d.Gates) > 0 {
		g := &grid{header: []string{"gate", "result", "measured"}, right: []bool{false, false, false}}
		for _, r := range d.Gates {
			g.rows = append(g.rows, gateCells(r))
		}
		sections = append(sections, section{title: "Gates", level: 2, grid: g})
	}
	return sections
}

// rollupSection lists the largest package or module changes; a unit that
// moved between phases (a lazy import, the usual fix for a slow init) is
// shown even when its time did not change.
func rollupSection(title, column string, all []DiffRow, d *Diff, opts DiffOptions, top int) section {
	g := &grid{header: []string{column, "phase", "before", "after", "change", "%", ""}, right: []bool{false, false, true, true, true, true, false}}
	hidden := 0
	for _, r := range all {
		if !moved(r) && (r.Change == ChangeUnchanged || abs(r.DeltaUs) < opts.MinUs) {
			continue
		}
		if len(g.rows) >= top {
			hidden++
			continue
		}
		cells := diffCells(r, d)
		g.rows = append(g.rows, append([]string{cells[0], modulePhase(r)}, cells[1:]...))
	}
	s := section{title: title, level: 2, grid: g}
	if hidden > 0 {
		s.notes = append(s.notes, fmt.Sprintf("%d more changed %ss not shown (--top, --min; --format json has all).", hidden, column))
	}
	return s
}

func gateCells(r GateResult) []string {
	result := "pass"
	if r.Failed {
		result = "FAIL"
	}
	return []string{r.Gate, result, r.Measured}
}

// moved reports whether a module was loaded in another phase after than before.
func moved(r DiffRow) bool {
	return r.PhaseBefore != "" && r.PhaseAfter != "" && r.PhaseBefore != r.PhaseAfter
}

// modulePhase shows where a module was loaded, and where it moved.
func modulePhase(r DiffRow) string {
	switch {
	case r.PhaseBefore == "":
		return string(r.PhaseAfter)
	case r.PhaseAfter == "" || r.PhaseAfter == r.PhaseBefore:
		return string(r.PhaseBefore)
	default:
		return string(r.PhaseBefore) + " → " + string(r.PhaseAfter)
	}
}

func diffCells(r DiffRow, d *Diff) []string {
	side := func(s DiffStats, total int) string {
		if s.N == 0 {
			return "—"
		}
		out := formatMs(s.MedianUs)
		if spread := spreadPct(s); total > 1 && spread >= 0.05 {
			out += " ±" + strconv.FormatFloat(spread, 'f', 1, 64) + " %"
		}
		if total > 1 && s.N < total && r.Name != "total" {
			out += fmt.Sprintf(" in %d/%d", s.N, total)
		}
		return out
	}
	pct := ""
	if r.DeltaPct != nil {
		pct = strconv.FormatFloat(*r.DeltaPct, 'f', 1, 64) + " %"
		if *r.DeltaPct > 0 {
			pct = "+" + pct
		}
	}
	verdict := string(r.Change)
	if r.Change == ChangeUnchanged && moved(r) {
		verdict = "moved"
	}
	if r.Verdict == VerdictNoise && r.Change != ChangeUnchanged {
		verdict = "~ " + verdict + " (" + qText(r) + ")"
	} else if r.Verdict == VerdictSignificant && r.Change != ChangeUnchanged {
		verdict += " (" + qText(r) + ")"
	}
	return []string{r.Name, side(r.Before, d.Before.ColdStarts), side(r.After, d.After.ColdStarts), signedMs(r.DeltaUs), pct, verdict}
}

// qText shows a row's q-value (JSON has the p-value as well).
func qText(r DiffRow) string {
	format := func(v float64) string {
		if v < 0.001 {
			return "<0.001"
		}
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	if r.Q == nil {
		return "p=" + format(*r.P)
	}
	return "q=" + format(*r.Q)
}

// signedMs shows a change with its sign; changes under a millisecond in
// microseconds, so they do not read as "+0.00 ms".
func signedMs(us int64) string {
	switch {
	case us != 0 && abs(us) < 1000:
		return fmt.Sprintf("%+d µs", us)
	case us > 0:
		return "+" + formatMs(us)
	}
	return formatMs(us)
}

// spreadPct is how far the values reach from the median, in percent of it:
// the run-to-run spread a reader weighs a change against.
func spreadPct(s DiffStats) float64 {
	if s.MedianUs <= 0 {
		return 0
	}
	return 100 * float64(max(s.MaxUs-s.MedianUs, s.MedianUs-s.MinUs)) / float64(s.MedianUs)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
