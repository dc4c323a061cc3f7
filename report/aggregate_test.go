package report

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// TestAggregateMatchesRollup checks Add's one-pass walk against the plain
// definition: per cold start, rollup's rows by module and by package
// (which merge nested entries of the same key), then median, p90 and max
// over the cold starts of each key. Trees are random, with repeated and
// nested names in several packages, Node.js paths, every phase and one
// phase no parser produces.
func TestAggregateMatchesRollup(t *testing.T) {
	for _, phase := range []profile.Phase{"", profile.PhaseInit, profile.PhaseInvoke} {
		t.Run("phase="+string(phase), func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			agg := NewAggregate(Options{Phase: phase})
			modules := map[rowKey][]Row{}
			packages := map[rowKey][]Row{}
			for i := 0; i < 300; i++ { // over exactSamples for the common keys
				cs := randomColdStart(rng, i)
				agg.Add(cs)
				imports := importsOf(cs, phase)
				for _, r := range rollup(imports, moduleName) {
					modules[rowKey{r.Phase, r.Name}] = append(modules[rowKey{r.Phase, r.Name}], r)
				}
				for _, r := range rollup(imports, packageFunc(cs.Format)) {
					packages[rowKey{r.Phase, r.Name}] = append(packages[rowKey{r.Phase, r.Name}], r)
				}
				// Read mid-batch too (Add folds cold starts in batches),
				// and at the end.
				if i == 36 || i == 170 || i == 299 {
					if diff := cmp.Diff(referenceRows(modules), agg.Modules(0)); diff != "" {
						t.Errorf("after %d cold starts, modules (-rollup +aggregate):\n%s", i+1, diff)
					}
					if diff := cmp.Diff(referenceRows(packages), agg.Packages(0)); diff != "" {
						t.Errorf("after %d cold starts, packages (-rollup +aggregate):\n%s", i+1, diff)
					}
				}
			}
		})
	}
}

// referenceRows computes the aggregate rows from every cold start's
// rollup rows, in the order aggRows sorts them.
func referenceRows(byKey map[rowKey][]Row) []AggregateRow {
	rows := []AggregateRow{}
	for k, rs := range byKey {
		var self, cum dist
		for _, r := range rs {
			self.add(r.SelfUs)
			cum.add(r.CumulativeUs)
		}
		rows = append(rows, AggregateRow{Name: k.name, Phase: k.phase, ColdStarts: len(rs), Self: self.stats(), Cumulative: cum.stats()})
	}
	return topAggRows(rows, 0) // the report's own order, so rows line up
}

// randomColdStart builds a tree of up to four levels from a small set of
// names, so the same module and package recur at several depths.
func randomColdStart(rng *rand.Rand, i int) *profile.ColdStart {
	phases := []profile.Phase{profile.PhaseInterpreter, profile.PhaseRuntime, profile.PhaseInit, profile.PhaseInvoke, "odd"}
	cs := &profile.ColdStart{ID: fmt.Sprint("cs#", i), Format: profile.FormatPythonImporttime}
	names := []string{"a", "a.b", "a.c", "b", "b.x", "c"}
	if i%5 == 0 {
		cs.Format = profile.FormatNodeRequire
		names = []string{"@s/p/index.js", "@s/p/lib/x.js", "q/index.js", "q/a.js", "./app.js"}
	}
	var build func(depth int, phase profile.Phase) *profile.Import
	build = func(depth int, phase profile.Phase) *profile.Import {
		imp := &profile.Import{Name: names[rng.Intn(len(names))], Phase: phase, SelfUs: int64(rng.Intn(5000))}
		imp.CumulativeUs = imp.SelfUs
		for n := rng.Intn(4); depth < 4 && n > 0; n-- {
			c := build(depth+1, phase)
			imp.Children = append(imp.Children, c)
			imp.CumulativeUs += c.CumulativeUs
		}
		return imp
	}
	for n := 1 + rng.Intn(6); n > 0; n-- {
		cs.Imports = append(cs.Imports, build(1, phases[rng.Intn(len(phases))]))
	}
	return cs
}

// TestAggregatePhaseSlots pins phaseSlots to profile.Phases: Phases()
// reports them in that order.
func TestAggregatePhaseSlots(t *testing.T) {
	if diff := cmp.Diff(profile.Phases, phaseSlots[:]); diff != "" {
		t.Errorf("phaseSlots differ from profile.Phases (-want +got):\n%s", diff)
	}
}

// TestAggregatePhasesMatchPhaseTotals checks the phase distributions
// computed in Add's walk against ColdStart.PhaseTotals.
func TestAggregatePhasesMatchPhaseTotals(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	agg := NewAggregate(Options{Phase: profile.PhaseInit}) // the filter must not change phases
	var us [4]dist
	for i := 0; i < 50; i++ {
		cs := randomColdStart(rng, i)
		agg.Add(cs)
		totals := cs.PhaseTotals()
		for k, p := range profile.Phases {
			us[k].add(totals[p].Us)
			if totals[p].Count > 0 {
				us[k].present++
			}
		}
	}
	var want []AggregatePhase
	for k, p := range profile.Phases {
		want = append(want, AggregatePhase{Phase: p, ColdStarts: us[k].present, Us: us[k].stats()})
	}
	if diff := cmp.Diff(want, agg.Phases()); diff != "" {
		t.Errorf("phases (-PhaseTotals +aggregate):\n%s", diff)
	}
}

// TestBuckets checks the histogram's buckets: monotone in the value, and
// each reports a value within 0.8 % of every value in it.
func TestBuckets(t *testing.T) {
	prev := int32(0)
	for v := int64(1); v < 1<<40; v += 1 + v/97 {
		b := bucket(v)
		if b < prev {
			t.Fatalf("bucket(%d) = %d, below the previous value's %d", v, b, prev)
		}
		prev = b
		got := bucketValue(b)
		if diff := float64(got-v) / float64(v); diff > 0.008 || diff < -0.008 {
			t.Fatalf("bucketValue(bucket(%d)) = %d, %.2f %% off", v, got, 100*diff)
		}
	}
}

// TestAggregateSaysWhenQuantilesAreApproximate checks that the table,
// Markdown and JSON reports say the medians are exact up to exactSamples
// cold starts and give the histogram's error bound beyond that.
func TestAggregateSaysWhenQuantilesAreApproximate(t *testing.T) {
	for _, n := range []int{exactSamples, exactSamples + 1} {
		agg := NewAggregate(Options{})
		for i := range n {
			agg.Add(&profile.ColdStart{ID: fmt.Sprint(i), Imports: []*profile.Import{
				{Name: "boto3", SelfUs: 184200, CumulativeUs: 184200, Phase: profile.PhaseInit}}})
		}
		bound := fmt.Sprintf("within %.2f %%", QuantileErrorPct)
		for _, format := range []Format{FormatTable, FormatMarkdown, FormatJSON} {
			var b strings.Builder
			if err := WriteAggregate(&b, agg, Options{Format: format}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if format == FormatJSON {
				bound = `"quantileErrorPct": 0.78125`
			}
			if approx := n > exactSamples; strings.Contains(out, bound) != approx {
				t.Errorf("%d cold starts, %s: mentions %q = %v, want %v:\n%s", n, format, bound, !approx, approx, out)
			}
			if !strings.Contains(out, "184.20 ms") && format != FormatJSON {
				t.Errorf("%d cold starts, %s: no median of 184.20 ms:\n%s", n, format, out)
			}
		}
	}
}

// TestDistAddAllMatchesAdd checks that adding values in batches (as
// Aggregate.fold does) leaves a dist exactly as adding them one by one:
// negatives, the switch to a histogram inside a batch, and batches after it.
func TestDistAddAllMatchesAdd(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 50; trial++ {
		var one, batched dist
		for added := 0; added < 700; {
			batch := make([]int64, 1+rng.Intn(foldBatch))
			for i := range batch {
				batch[i] = rng.Int63n(1<<uint(1+rng.Intn(30))) - 50
				one.add(batch[i])
			}
			batched.addAll(batch)
			added += len(batch)
			if !reflect.DeepEqual(one, batched) {
				t.Fatalf("trial %d, after %d values (-add +addAll):\n%s", trial, added, cmp.Diff(one, batched, cmp.AllowUnexported(dist{}, histogram{}, histBucket{})))
			}
		}
	}
}

// TestAggregateAddedCached checks that Add tells whether the cold start
// has cached entries exactly as hasCached does (the findings rely on it),
// with cached entries anywhere, under a phase filter too.
func TestAggregateAddedCached(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for _, phase := range []profile.Phase{"", profile.PhaseInit, profile.PhaseInvoke} {
		agg := NewAggregate(Options{Phase: phase})
		sawCached, sawNone := false, false
		for i := 0; i < 400; i++ {
			cs := randomColdStart(rng, i)
			odds := 1 + rng.Intn(40)
			cs.Walk(func(imp *profile.Import, _ int) bool {
				imp.Cached = rng.Intn(odds) == 0
				return true
			})
			agg.Add(cs)
			want := hasCached(cs)
			if agg.addedCached != want {
				t.Fatalf("phase %q, cold start %d: addedCached = %v, hasCached = %v", phase, i, agg.addedCached, want)
			}
			sawCached, sawNone = sawCached || want, sawNone || !want
		}
		if !sawCached || !sawNone {
			t.Fatalf("phase %q: the cold starts were all %v", phase, sawCached)
		}
	}
}
