package report

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

func TestAnalyzeTotals(t *testing.T) {
	s := Analyze(rptSample(), Options{})
	wantPhases := []PhaseRow{
		{profile.PhaseInterpreter, 2500, 3},
		{profile.PhaseRuntime, 12000, 4},
		{profile.PhaseInit, 280000, 7},
		{profile.PhaseInvoke, 4000, 3},
	}
	if diff := cmp.Diff(wantPhases, s.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if s.TotalUs != 298500 {
		t.Errorf("TotalUs = %d, want 298500", s.TotalUs)
	}
	if s.BeforeInvokeUs != 294500 {
		t.Errorf("BeforeInvokeUs = %d, want 294500 (all but invoke)", s.BeforeInvokeUs)
	}
}

// TestRollupNoDoubleCount checks the package roll-up: nested entries of the
// same package add their self time but not their cumulative time, while a
// package nested under another package keeps its own cumulative.
func TestRollupNoDoubleCount(t *testing.T) {
	const it = profile.PhaseInit
	imports := []*profile.Import{
		rptImport("boto3", it, 5, 100,
			rptImport("botocore", it, 10, 80,
				rptImport("botocore.session", it, 30, 70,
					rptImport("botocore.client", it, 40, 40))),
			rptImport("boto3.session", it, 15, 15)),
		// A second, separate botocore subtree (e.g. a later lazy import).
		rptImport("botocore.waiter", it, 7, 7),
	}
	got := topRows(rollup(imports, pythonPackage), 10, byCumulative)
	want := []Row{
		{Name: "boto3", Phase: it, SelfUs: 20, CumulativeUs: 100, Count: 2},
		{Name: "botocore", Phase: it, SelfUs: 87, CumulativeUs: 87, Count: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

// TestRollupByPhase keeps the same module in two phases apart.
func TestRollupByPhase(t *testing.T) {
	imports := []*profile.Import{
		rptImport("botocore", profile.PhaseInit, 10, 10),
		rptImport("botocore.waiter", profile.PhaseInvoke, 3, 3),
	}
	got := topRows(rollup(imports, pythonPackage), 10, byCumulative)
	want := []Row{
		{Name: "botocore", Phase: profile.PhaseInit, SelfUs: 10, CumulativeUs: 10, Count: 1},
		{Name: "botocore", Phase: profile.PhaseInvoke, SelfUs: 3, CumulativeUs: 3, Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestPackageOf(t *testing.T) {
	tests := []struct {
		format profile.Format
		name   string
		want   string
	}{
		{profile.FormatPythonImporttime, "botocore.session", "botocore"},
		{profile.FormatPythonImporttime, "_io", "_io"},
		{profile.FormatPythonImporttime, ".weird", ".weird"},
		{profile.FormatJavaClassLoad, "com.amazonaws.services.s3.AmazonS3", "com.amazonaws"},
		{profile.FormatJavaClassLoad, "Main", DefaultPackage},
		{profile.FormatJavaClassLoad, "libdep.Dep", "libdep"},
		{profile.FormatJavaClassLoad, "libdep.Dep$Inner", "libdep"},
		{profile.FormatJavaClassLoad, "java.lang.String", "java.lang"},
		{profile.FormatNodeRequire, "/var/task/node_modules/@aws-sdk/client-s3/dist-cjs/index.js", "@aws-sdk/client-s3"},
		{profile.FormatNodeRequire, "node_modules/uuid/dist/index.js", "uuid"},
		{profile.FormatNodeRequire, "node:fs", "fs"},
		{profile.FormatNodeRequire, "index.js", FunctionPackage},
		{profile.FormatNodeRequire, "handler.mjs", FunctionPackage},
		{profile.FormatNodeRequire, "lib/db.js", "lib"},
		{profile.FormatNodeRequire, "fakepkg/lib/index.js", "fakepkg"},
		{profile.FormatNodeRequire, "/var/runtime/index.mjs", "/var/runtime"},
		{profile.FormatNodeRequire, "/var/runtime/node_modules/x/y.js", "x"},
		{profile.FormatNodeRequire, "/opt/other/file.js", "/opt/other/file.js"},
		{profile.FormatNodeRequire, "node_modules/index.js", "index.js"}, // a package named so
		{profile.FormatRubyRequire, "handler.rb", FunctionPackage},
		{profile.FormatRubyRequire, "lib/a.rb", "lib"},
		{profile.FormatRubyRequire, "json", "json"},
		{profile.FormatRubyRequire, "net/http", "net"},
		{profile.FormatRubyRequire, "aws-sdk-core/lib/seahorse.rb", "aws-sdk-core"},
		{profile.FormatRubyRequire, ".rb", ".rb"},
		{profile.FormatJavaClassLoad, "Hello$$Lambda$1/0x00007f8ca8000a08", DefaultPackage},
		{profile.FormatJavaClassLoad, "java.lang.invoke.LambdaForm$MH/0x0000000800c01000", "java.lang"},
		{profile.FormatJavaClassLoad, "example.Fn$$Lambda$14/0x0000000800c01000", "example"},
		{profile.FormatJavaClassLoad, ".Odd", DefaultPackage},
		{profile.FormatJavaClassLoad, "[Ljava.lang.String;", "java.lang"},
		{profile.FormatJavaClassLoad, "[I", "java.lang"},
		{profile.FormatJavaClassLoad, "com.example.Outer$Inner", "com.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := packageFunc(tt.format)(tt.name); got != tt.want {
				t.Errorf("package of %q = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestPruneTree(t *testing.T) {
	const it = profile.PhaseInit
	imports := []*profile.Import{
		rptImport("a", it, 10, 100,
			rptImport("a.big", it, 50, 80, rptImport("a.big.deep", it, 30, 30)),
			rptImport("a.small1", it, 4, 4),
			rptImport("a.small2", it, 6, 6)),
		rptImport("tiny", it, 2, 2),
	}
	tests := []struct {
		name  string
		min   int64
		depth int
		want  []TreeRow
	}{
		{"no pruning", 0, 0, []TreeRow{
			{Name: "a", Phase: it, SelfUs: 10, CumulativeUs: 100},
			{Name: "a.big", Phase: it, Depth: 1, SelfUs: 50, CumulativeUs: 80},
			{Name: "a.big.deep", Phase: it, Depth: 2, SelfUs: 30, CumulativeUs: 30},
			{Name: "a.small1", Phase: it, Depth: 1, SelfUs: 4, CumulativeUs: 4},
			{Name: "a.small2", Phase: it, Depth: 1, SelfUs: 6, CumulativeUs: 6},
			{Name: "tiny", Phase: it, SelfUs: 2, CumulativeUs: 2},
		}},
		{"min 10", 10, 0, []TreeRow{
			{Name: "a", Phase: it, SelfUs: 10, CumulativeUs: 100},
			{Name: "a.big", Phase: it, Depth: 1, SelfUs: 50, CumulativeUs: 80},
			{Name: "a.big.deep", Phase: it, Depth: 2, SelfUs: 30, CumulativeUs: 30},
			{Name: "…", Phase: it, Depth: 1, SelfUs: 10, CumulativeUs: 10, Hidden: 2},
			{Name: "…", Phase: it, SelfUs: 2, CumulativeUs: 2, Hidden: 1},
		}},
		{"depth 2", 0, 2, []TreeRow{
			{Name: "a", Phase: it, SelfUs: 10, CumulativeUs: 100},
			{Name: "a.big", Phase: it, Depth: 1, SelfUs: 50, CumulativeUs: 80},
			{Name: "…", Phase: it, Depth: 2, SelfUs: 30, CumulativeUs: 30, Hidden: 1},
			{Name: "a.small1", Phase: it, Depth: 1, SelfUs: 4, CumulativeUs: 4},
			{Name: "a.small2", Phase: it, Depth: 1, SelfUs: 6, CumulativeUs: 6},
			{Name: "tiny", Phase: it, SelfUs: 2, CumulativeUs: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, pruneTree(imports, tt.min, tt.depth)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPruneTreePhaseRuns gives each top-level phase its own folded row,
// in log order.
func TestPruneTreePhaseRuns(t *testing.T) {
	imports := []*profile.Import{
		rptImport("site", profile.PhaseInterpreter, 1, 1),
		rptImport("encodings", profile.PhaseInterpreter, 2, 2),
		rptImport("json", profile.PhaseRuntime, 1, 1),
		rptImport("boto3", profile.PhaseInit, 9, 9),
	}
	got := pruneTree(imports, 5, 0)
	want := []TreeRow{
		{Name: "…", Phase: profile.PhaseInterpreter, SelfUs: 3, CumulativeUs: 3, Hidden: 2},
		{Name: "…", Phase: profile.PhaseRuntime, SelfUs: 1, CumulativeUs: 1, Hidden: 1},
		{Name: "boto3", Phase: profile.PhaseInit, SelfUs: 9, CumulativeUs: 9},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestAggregateQuantiles checks median, p90 and max against values worked
// out by hand (nearest rank: the ceil(q·n)-th smallest).
func TestAggregateQuantiles(t *testing.T) {
	a := NewAggregate(Options{})
	// Ten cold starts load "mod" with cumulative times 10..100 ms in a
	// scrambled order; the first three also load "extra".
	cums := []int64{70, 20, 100, 40, 10, 90, 30, 60, 80, 50}
	for i, ms := range cums {
		imports := []*profile.Import{rptImport("mod", profile.PhaseInit, ms*1000/2, ms*1000)}
		if i < 3 {
			imports = append(imports, rptImport("extra", profile.PhaseInvoke, 1000*int64(i+1), 1000*int64(i+1)))
		}
		a.Add(&profile.ColdStart{ID: string(rune('a' + i)), Imports: imports, Boundary: profile.BoundaryExact,
			HasInitDuration: i%2 == 0, InitDurationMs: float64(ms) + 100})
	}
	if a.ColdStarts != 10 || a.WithInitDuration != 5 {
		t.Errorf("ColdStarts, WithInitDuration = %d, %d, want 10, 5", a.ColdStarts, a.WithInitDuration)
	}
	got := a.Modules(0)
	want := []AggregateRow{
		// n=10: median is the 5th smallest (50 ms), p90 the 9th (90 ms).
		{Name: "mod", Phase: profile.PhaseInit, ColdStarts: 10,
			Self:       Stats{Median: 25000, P90: 45000, Max: 50000},
			Cumulative: Stats{Median: 50000, P90: 90000, Max: 100000}},
		// n=3 (1, 2, 3 ms): median is the 2nd, p90 the ceil(2.7)=3rd.
		{Name: "extra", Phase: profile.PhaseInvoke, ColdStarts: 3,
			Self:       Stats{Median: 2000, P90: 3000, Max: 3000},
			Cumulative: Stats{Median: 2000, P90: 3000, Max: 3000}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	phases := a.Phases()
	wantInvoke := AggregatePhase{Phase: profile.PhaseInvoke, ColdStarts: 3,
		// Over all ten cold starts: seven zeros, then 1, 2, 3 ms.
		Us: Stats{Median: 0, P90: 2000, Max: 3000}}
	if diff := cmp.Diff(wantInvoke, phases[3]); diff != "" {
		t.Errorf("invoke phase (-want +got):\n%s", diff)
	}
	slow := a.Slowest()
	var ids []string
	for _, s := range slow {
		ids = append(ids, s.ID)
	}
	// With Init Duration first (a=170, c=200, e=110, g=130, i=180 → c i a g e),
	// then the rest by imports before invoke (b=20, d=40, f=90, h=60, j=50 → f h j d b).
	wantIDs := []string{"c", "i", "a", "g", "e", "f", "h", "j", "d", "b"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("slowest (-want +got):\n%s", diff)
	}
}

// TestAggregateSlowestBounded keeps only the slowest few.
func TestAggregateSlowestBounded(t *testing.T) {
	a := NewAggregate(Options{Top: 2})
	for i := 0; i < 50; i++ {
		a.Add(&profile.ColdStart{ID: string(rune('A' + i)), HasInitDuration: true, InitDurationMs: float64(i)})
	}
	if got := len(a.Slowest()); got != DefaultTop {
		t.Fatalf("kept %d, want %d", got, DefaultTop)
	}
	if a.Slowest()[0].InitDurationMs != 49 || a.Slowest()[DefaultTop-1].InitDurationMs != 40 {
		t.Errorf("slowest = %+v, want 49 down to 40", a.Slowest())
	}
}

// TestDistHistogram checks that past exactSamples values a dist still gives
// percentiles within 1 % and keeps count and max exact.
func TestDistHistogram(t *testing.T) {
	var d dist
	const n = 10000
	for i := int64(n); i >= 1; i-- { // 1..10000 µs, descending
		d.add(i * 100)
	}
	d.add(0)
	if d.exact != nil || d.hist == nil {
		t.Fatalf("dist of %d values is still exact", d.n)
	}
	s := d.stats()
	check := func(name string, got, want int64) {
		t.Helper()
		if math.Abs(float64(got-want)) > 0.01*float64(want) {
			t.Errorf("%s = %d, want %d ± 1 %%", name, got, want)
		}
	}
	// n+1 values 0, 100, …, 1e6: the median is the 5001st smallest (500000),
	// p90 the 9001st (900000).
	check("median", s.Median, 500000)
	check("p90", s.P90, 900000)
	if s.Max != 1000000 || d.n != n+1 {
		t.Errorf("max, n = %d, %d, want 1000000, %d", s.Max, d.n, n+1)
	}
}

func TestDistExactSmall(t *testing.T) {
	var d dist
	for _, v := range []int64{5, 1, 4, 2, 3} {
		d.add(v)
	}
	if got, want := d.stats(), (Stats{Median: 3, P90: 5, Max: 5}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text   string
		width  int
		indent string
		want   string
	}{
		{"a b c", 80, "", "a b c"},
		{"aaa bbb ccc", 7, "  ", "aaa bbb\n  ccc"},
		{"took 345.70 ms (98.5 %) in all", 12, "", "took\n345.70 ms\n(98.5 %) in\nall"},
		{"averyveryverylongword x", 5, "", "averyveryverylongword\nx"},
		{"", 10, "", ""},
	}
	for _, tt := range tests {
		if got := wrap(tt.text, tt.width, tt.indent); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}

// TestDistHistogramIdenticalValues checks that many identical cold starts
// report their value exactly past exactSamples (3,000 cold starts of
// 184.20 ms once gave a median of 183.30 ms, the bucket's middle).
func TestDistHistogramIdenticalValues(t *testing.T) {
	var d dist
	for range 3000 {
		d.add(184200)
	}
	if got, want := d.stats(), (Stats{Median: 184200, P90: 184200, Max: 184200}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// TestDistHistogramErrorBound checks QuantileErrorPct against the exact
// nearest-rank quantiles of sorted copies, over random distributions of
// several shapes past exactSamples, and that the value reported lies
// between the smallest and largest value seen.
func TestDistHistogramErrorBound(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	shapes := map[string]func() int64{
		"uniform":     func() int64 { return 1 + rng.Int63n(2_000_000) },
		"lognormal":   func() int64 { return int64(math.Exp(rng.NormFloat64()*1.5 + 11)) },
		"two-modes":   func() int64 { return []int64{184_200, 3_100_000}[rng.Intn(2)] + rng.Int63n(50) },
		"small":       func() int64 { return rng.Int63n(300) },
		"few-values":  func() int64 { return []int64{0, 999, 1001, 65_537, 10_000_019}[rng.Intn(5)] },
		"heavy-tails": func() int64 { return int64(1000 / (rng.Float64() + 1e-6)) },
	}
	for name, draw := range shapes {
		for _, n := range []int{exactSamples + 1, 1000, 20000} {
			var d dist
			values := make([]int64, n)
			for i := range values {
				values[i] = draw()
				d.add(values[i])
			}
			if d.hist == nil {
				t.Fatalf("%s/%d: still exact", name, n)
			}
			slices.Sort(values)
			for _, q := range []float64{0.5, 0.9, 0.01, 0.99, 1} {
				rank := min(max(int(math.Ceil(q*float64(n))), 1), n)
				want, got := values[rank-1], d.quantile(q)
				if off := math.Abs(float64(got-want)) / float64(max(want, 1)) * 100; off > QuantileErrorPct {
					t.Errorf("%s/%d: q%.2f = %d, exact %d: %.3f %% off, bound %.3f %%", name, n, q, got, want, off, QuantileErrorPct)
				}
				if got < values[0] || got > values[n-1] {
					t.Errorf("%s/%d: q%.2f = %d outside the values seen [%d, %d]", name, n, q, got, values[0], values[n-1])
				}
			}
		}
	}
}
