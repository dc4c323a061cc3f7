package report

import (
	"math"
	"sort"

	"github.com/coldprof/coldprof/profile"
)

// An Aggregate folds many cold starts into distributions: per phase, per
// module and per top-level package (each by phase), how many cold starts
// loaded it and the median, p90 and max of its per-cold-start self and
// cumulative times; plus the slowest cold starts.
//
// Add keeps nothing of a cold start but numbers, so a caller can release
// each cold start after adding it: memory grows with the number of distinct
// (module, phase) pairs, not with the number of cold starts (see dist).
type Aggregate struct {
	// ColdStarts is the number of cold starts added.
	ColdStarts int
	// WithInitDuration is how many of them carried Lambda's Init Duration.
	WithInitDuration int

	phase    profile.Phase // the filter applied to modules and packages
	phases   map[profile.Phase]*dist
	modules  map[rowKey]*aggEntry
	packages map[rowKey]*aggEntry
	slowest  []SlowColdStart // sorted slowest first, at most keep
	keep     int
	scratch  rollupScratch
}

type aggEntry struct {
	self, cumulative dist
}

// Stats describe one distribution over cold starts. Median and P90 are
// nearest-rank percentiles (a value that was observed), exact while a key
// has at most exactSamples values and within 1 % beyond that.
type Stats struct {
	Median, P90, Max int64
}

// An AggregateRow is one module or package in one phase across cold starts.
type AggregateRow struct {
	Name  string
	Phase profile.Phase
	// ColdStarts is the number of cold starts that loaded it; the stats
	// cover only those.
	ColdStarts int
	Self       Stats
	Cumulative Stats
}

// An AggregatePhase is one phase's time across every cold start (zero where
// a cold start had no entry in it) and how many cold starts had entries.
type AggregatePhase struct {
	Phase      profile.Phase
	ColdStarts int
	Us         Stats
}

// A SlowColdStart is one of the slowest cold starts: ordered by Lambda's
// Init Duration where the log has it, then by the time of imports before
// the first invoke.
type SlowColdStart struct {
	ID              string
	Runtime         string
	Boundary        profile.Boundary
	InitDurationMs  float64
	HasInitDuration bool
	// BeforeInvokeUs is the imports of the interpreter, runtime and init phases.
	BeforeInvokeUs int64
	TotalUs        int64
}

// NewAggregate returns an empty aggregate limited to opts.Phase that
// remembers the max(opts.Top, DefaultTop) slowest cold starts.
func NewAggregate(opts Options) *Aggregate {
	return &Aggregate{
		phase:    opts.Phase,
		phases:   map[profile.Phase]*dist{},
		modules:  map[rowKey]*aggEntry{},
		packages: map[rowKey]*aggEntry{},
		keep:     max(opts.top(), DefaultTop),
	}
}

// Add folds cs into the aggregate. It keeps no reference to cs.
func (a *Aggregate) Add(cs *profile.ColdStart) {
	a.ColdStarts++
	if cs.HasInitDuration {
		a.WithInitDuration++
	}
	totals := cs.PhaseTotals()
	var beforeInvoke int64
	for _, p := range profile.Phases {
		d := a.phases[p]
		if d == nil {
			d = &dist{}
			a.phases[p] = d
		}
		d.add(totals[p].Us)
		if totals[p].Count > 0 {
			d.present++
		}
		if p != profile.PhaseInvoke {
			beforeInvoke += totals[p].Us
		}
	}
	imports := importsOf(cs, a.phase)
	fold(a.modules, a.scratch.rollup(imports, moduleName))
	fold(a.packages, a.scratch.rollup(imports, packageFunc(cs.Format)))
	a.addSlow(SlowColdStart{
		ID: cs.ID, Runtime: cs.Runtime, Boundary: cs.Boundary,
		InitDurationMs: cs.InitDurationMs, HasInitDuration: cs.HasInitDuration,
		BeforeInvokeUs: beforeInvoke, TotalUs: cs.TotalUs(),
	})
}

// fold adds one cold start's rows (one per key) to the distributions.
func fold(into map[rowKey]*aggEntry, rows []Row) {
	for _, r := range rows {
		k := rowKey{r.Phase, r.Name}
		e := into[k]
		if e == nil {
			e = &aggEntry{}
			into[k] = e
		}
		e.self.add(r.SelfUs)
		e.cumulative.add(r.CumulativeUs)
	}
}

func (a *Aggregate) addSlow(s SlowColdStart) {
	i := sort.Search(len(a.slowest), func(i int) bool { return slower(s, a.slowest[i]) })
	if i >= a.keep {
		return
	}
	a.slowest = append(a.slowest, SlowColdStart{})
	copy(a.slowest[i+1:], a.slowest[i:])
	a.slowest[i] = s
	if len(a.slowest) > a.keep {
		a.slowest = a.slowest[:a.keep]
	}
}

// slower orders cold starts: a known Init Duration first (largest first),
// then the imports before the first invoke, then the ID for stability.
func slower(a, b SlowColdStart) bool {
	if a.HasInitDuration != b.HasInitDuration {
		return a.HasInitDuration
	}
	if a.InitDurationMs != b.InitDurationMs {
		return a.InitDurationMs > b.InitDurationMs
	}
	if a.BeforeInvokeUs != b.BeforeInvokeUs {
		return a.BeforeInvokeUs > b.BeforeInvokeUs
	}
	return a.ID < b.ID
}

// Slowest returns the slowest cold starts, slowest first.
func (a *Aggregate) Slowest() []SlowColdStart { return a.slowest }

// Phases returns every phase's distribution in profile.Phases order.
func (a *Aggregate) Phases() []AggregatePhase {
	out := make([]AggregatePhase, 0, len(profile.Phases))
	for _, p := range profile.Phases {
		d := a.phases[p]
		if d == nil {
			d = &dist{}
		}
		out = append(out, AggregatePhase{Phase: p, ColdStarts: d.present, Us: d.stats()})
	}
	return out
}

// Modules returns the n modules (by phase) with the largest median
// cumulative time; n <= 0 returns all.
func (a *Aggregate) Modules(n int) []AggregateRow { return aggRows(a.modules, n) }

// Packages returns the n top-level packages (by phase) with the largest
// median cumulative time; n <= 0 returns all.
func (a *Aggregate) Packages(n int) []AggregateRow { return aggRows(a.packages, n) }

func aggRows(m map[rowKey]*aggEntry, n int) []AggregateRow {
	rows := make([]AggregateRow, 0, len(m))
	for k, e := range m {
		rows = append(rows, AggregateRow{
			Name: k.name, Phase: k.phase, ColdStarts: e.self.n,
			Self: e.self.stats(), Cumulative: e.cumulative.stats(),
		})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Cumulative.Median != b.Cumulative.Median {
			return a.Cumulative.Median > b.Cumulative.Median
		}
		if a.Cumulative.Max != b.Cumulative.Max {
			return a.Cumulative.Max > b.Cumulative.Max
		}
		if a.Phase != b.Phase {
			return phaseIndex(a.Phase) < phaseIndex(b.Phase)
		}
		return a.Name < b.Name
	})
	if n > 0 && len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

// exactSamples is how many values a dist keeps exactly before it switches
// to a histogram, so memory per (module, phase) stops growing with the
// number of cold starts: 2 KiB per metric while exact, then one map entry
// per 2 % band of values seen (a module whose time varies tenfold across
// cold starts fills about 120 bands, under 3 KiB). Keeping every sample
// would cost 16 bytes per module per cold start: 48 MB for 3,000 cold
// starts of 1,000 modules, and growing without bound. A t-digest or P²
// estimator would be smaller still but inexact for small fleets, where
// exact numbers are what people check by hand.
const exactSamples = 256

// histRatio is the width of a histogram bucket: values within a factor of
// 1.02 share a bucket, and a bucket reports its geometric middle, so a
// percentile read from the histogram is within 1 % of an observed value.
const histRatio = 1.02

var logHistRatio = math.Log(histRatio)

// A dist collects one metric's per-cold-start values: exactly while there
// are few, as a log-scale histogram beyond exactSamples. Count and max
// are always exact.
type dist struct {
	n       int
	max     int64
	present int // for phases: cold starts with at least one entry
	exact   []int64
	hist    map[int32]uint32 // bucket → count; nil while exact
}

func (d *dist) add(v int64) {
	if v < 0 {
		v = 0
	}
	if d.n == 0 || v > d.max {
		d.max = v
	}
	d.n++
	if d.hist == nil && len(d.exact) < exactSamples {
		d.exact = append(d.exact, v)
		return
	}
	if d.hist == nil {
		d.hist = make(map[int32]uint32)
		for _, x := range d.exact {
			d.hist[bucket(x)]++
		}
		d.exact = nil
	}
	d.hist[bucket(v)]++
}

// bucket returns v's histogram bucket; 0 has a bucket of its own (-1).
func bucket(v int64) int32 {
	if v <= 0 {
		return -1
	}
	return int32(math.Floor(math.Log(float64(v)) / logHistRatio))
}

// bucketValue is the value a bucket reports: its geometric middle.
func bucketValue(b int32) int64 {
	if b < 0 {
		return 0
	}
	return int64(math.Round(math.Exp((float64(b) + 0.5) * logHistRatio)))
}

func (d *dist) stats() Stats {
	if d.n == 0 {
		return Stats{}
	}
	return Stats{Median: d.quantile(0.5), P90: d.quantile(0.9), Max: d.max}
}

// quantile returns the nearest-rank q-quantile: the smallest value with at
// least q·n values at or below it.
func (d *dist) quantile(q float64) int64 {
	rank := int(math.Ceil(q * float64(d.n)))
	rank = min(max(rank, 1), d.n)
	if d.hist == nil {
		sort.Slice(d.exact, func(i, j int) bool { return d.exact[i] < d.exact[j] })
		return d.exact[rank-1]
	}
	buckets := make([]int32, 0, len(d.hist))
	for b := range d.hist {
		buckets = append(buckets, b)
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i] < buckets[j] })
	seen := 0
	for _, b := range buckets {
		seen += int(d.hist[b])
		if seen >= rank {
			return min(bucketValue(b), d.max)
		}
	}
	return d.max
}
