package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

func TestMannWhitneyP(t *testing.T) {
	tests := []struct {
		name string
		a, b []int64
		want float64
	}{
		{"3 vs 3 separated", []int64{1, 2, 3}, []int64{4, 5, 6}, 0.1},
		{"5 vs 5 separated", []int64{1, 2, 3, 4, 5}, []int64{10, 11, 12, 13, 14}, 2.0 / 252},
		{"interleaved", []int64{1, 3, 5, 7}, []int64{2, 4, 6, 8}, 0.6857142857142857},
		{"all equal", []int64{5, 5, 5}, []int64{5, 5, 5}, 1},
		{"2 vs 2 separated", []int64{1, 2}, []int64{3, 4}, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mannWhitneyP(tt.a, tt.b); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("p = %v, want %v", got, tt.want)
			}
			if got := mannWhitneyP(tt.b, tt.a); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("swapped: p = %v, want %v", got, tt.want)
			}
		})
	}
	// Ties use the normal approximation; 10 vs 10 clearly apart must be tiny.
	a := []int64{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	b := []int64{11, 11, 12, 12, 13, 13, 14, 14, 15, 15}
	if p := mannWhitneyP(a, b); p > 0.001 {
		t.Errorf("tied, separated: p = %v, want < 0.001", p)
	}
}

// afterColdStart is the fixture after a change: boto3 moved out of init
// into the handler (invoke), requests dropped, pydantic added, botocore.session faster.
func afterColdStart(id string, jitter int64) *profile.ColdStart {
	cs := fixtureColdStart(id, 1)
	var kept []*profile.Import
	for _, top := range cs.Imports {
		switch top.Name {
		case "requests":
			continue
		case "boto3":
			top.Walk(func(i *profile.Import, _ int) bool { i.Phase, i.RequestID = profile.PhaseInvoke, "req-1"; return true })
		}
		kept = append(kept, top)
	}
	kept = append(kept, inPhase(profile.PhaseInit, "", imp("pydantic", 30000+jitter))...)
	cs.Imports = kept
	return cs
}

// jittered is the fixture with every self time moved by a few µs, so many
// cold starts differ the way real runs do.
func jittered(cs *profile.ColdStart, k int64) *profile.ColdStart {
	cs.Walk(func(i *profile.Import, _ int) bool {
		d := (k*7+int64(len(i.Name)))%11 - 5
		i.SelfUs += d
		i.CumulativeUs += d
		return true
	})
	// Recompute cumulative times bottom-up so they stay consistent.
	var fix func(i *profile.Import) int64
	fix = func(i *profile.Import) int64 {
		i.CumulativeUs = i.SelfUs
		for _, c := range i.Children {
			i.CumulativeUs += fix(c)
		}
		return i.CumulativeUs
	}
	for _, top := range cs.Imports {
		fix(top)
	}
	return cs
}

func sideOf(name string, css ...*profile.ColdStart) *DiffSide {
	s := NewDiffSide(name)
	for _, cs := range css {
		s.Add(cs)
	}
	return s
}

func findRow(rows []DiffRow, name string) DiffRow {
	for _, r := range rows {
		if r.Name == name {
			return r
		}
	}
	return DiffRow{}
}

func TestCompareOneColdStartEach(t *testing.T) {
	d := Compare(sideOf("before.log", fixtureColdStart("b", 1)), sideOf("after.log", afterColdStart("a", 0)))
	type summary struct {
		Change       Change
		Verdict      Verdict
		Delta        int64
		Before, From profile.Phase
	}
	got := map[string]summary{}
	for _, r := range append(append([]DiffRow{d.Total}, d.Phases...), d.Modules...) {
		got[r.Name] = summary{r.Change, r.Verdict, r.DeltaUs, r.PhaseBefore, r.PhaseAfter}
	}
	want := map[string]summary{
		"pydantic": {ChangeAppeared, VerdictUnknown, 30000, "", profile.PhaseInit},
		"requests": {ChangeDisappeared, VerdictUnknown, -12400, profile.PhaseInvoke, ""},
		"boto3":    {ChangeUnchanged, VerdictUnknown, 0, profile.PhaseInit, profile.PhaseInvoke},
		"init":     {ChangeSlower, VerdictUnknown, 30000 - 36000, "", ""},
		"invoke":   {ChangeSlower, VerdictUnknown, 36000 - 12400, "", ""},
		"total":    {ChangeSlower, VerdictUnknown, 30000 - 12400, "", ""},
	}
	// init lost boto3 (36 ms) and gained pydantic (30 ms): faster.
	want["init"] = summary{ChangeFaster, VerdictUnknown, -6000, "", ""}
	for name, w := range want {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if d.Modules[0].Name != "pydantic" {
		t.Errorf("largest change first: got %s", d.Modules[0].Name)
	}
	// Packages: urllib3 (7 ms under requests) and urllib3.util roll up into
	// one package that disappeared; botocore moved with boto3.
	pkgs := map[string]summary{}
	for _, r := range d.Packages {
		pkgs[r.Name] = summary{r.Change, r.Verdict, r.DeltaUs, r.PhaseBefore, r.PhaseAfter}
	}
	wantPkgs := map[string]summary{
		"urllib3":  {ChangeDisappeared, VerdictUnknown, -7000, profile.PhaseInvoke, ""},
		"botocore": {ChangeUnchanged, VerdictUnknown, 0, profile.PhaseInit, profile.PhaseInvoke},
		"json":     {ChangeUnchanged, VerdictUnknown, 0, profile.PhaseRuntime, profile.PhaseRuntime},
	}
	for name, w := range wantPkgs {
		if diff := cmp.Diff(w, pkgs[name]); diff != "" {
			t.Errorf("package %s (-want +got):\n%s", name, diff)
		}
	}
}

func manySides(n int) (*DiffSide, *DiffSide) {
	before, after := NewDiffSide("before/"), NewDiffSide("after/")
	for k := 0; k < n; k++ {
		before.Add(jittered(fixtureColdStart("b", 1), int64(k)))
		after.Add(jittered(afterColdStart("a", int64(k*3)), int64(k+3)))
	}
	return before, after
}

func TestCompareManyColdStarts(t *testing.T) {
	before, after := manySides(6)
	d := Compare(before, after)
	pyd := findRow(d.Modules, "pydantic")
	if pyd.Change != ChangeAppeared || pyd.Verdict != VerdictSignificant {
		t.Errorf("pydantic: %s %s, want a significant appearance", pyd.Change, pyd.Verdict)
	}
	// json.decoder only moved by jitter: within run-to-run spread.
	jd := findRow(d.Modules, "json.decoder")
	if jd.Verdict != VerdictNoise || jd.P == nil || *jd.P < significanceLevel {
		t.Errorf("json.decoder: verdict %s p %v, want noise", jd.Verdict, jd.P)
	}
	if d.Before.ColdStarts != 6 || d.Total.Before.N != 6 {
		t.Errorf("before side: %+v, total %+v", d.Before, d.Total.Before)
	}
}

func TestDiffGoldens(t *testing.T) {
	one := Compare(sideOf("before.log", fixtureColdStart("b", 1)), sideOf("after.log", afterColdStart("a", 0)))
	many := func() *Diff {
		b, a := manySides(5)
		d := Compare(b, a)
		gates := mustGates(t, "init>+50ms", "total>+10%", "module:pydantic>+20ms", "module:json.decoder>+0ms")
		d.Check(gates, b, a)
		return d
	}()
	tests := []struct {
		golden string
		d      *Diff
		format Format
	}{
		{"testdata/diff/one.md", one, FormatMarkdown},
		{"testdata/diff/many.md", many, FormatMarkdown},
		{"testdata/diff/many.txt", many, FormatTable},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteDiff(&buf, tt.d, tt.format, DiffOptions{MinUs: 100}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, buf.Bytes())
		})
	}
}

func TestWriteDiffJSON(t *testing.T) {
	b, a := manySides(4)
	d := Compare(b, a)
	var buf bytes.Buffer
	if err := WriteDiff(&buf, d, FormatJSON, DiffOptions{}); err != nil {
		t.Fatal(err)
	}
	var back Diff
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), `"gates": []`) {
		t.Error("gates should be [] not null")
	}
}

func mustGates(t *testing.T, exprs ...string) []Gate {
	t.Helper()
	var gates []Gate
	for _, e := range exprs {
		g, err := ParseGate(e)
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, g)
	}
	return gates
}

func TestParseGate(t *testing.T) {
	tests := []struct {
		expr    string
		want    Gate
		wantErr string
	}{
		{"init>+50ms", Gate{Expr: "init>+50ms", Metric: Metric{Kind: MetricPhase, Phase: profile.PhaseInit}, Growth: true, Limit: 50000}, ""},
		{"total>+10%", Gate{Expr: "total>+10%", Metric: Metric{Kind: MetricTotal}, Growth: true, Percent: true, Limit: 10}, ""},
		{"module:boto3>+20ms", Gate{Expr: "module:boto3>+20ms", Metric: Metric{Kind: MetricModule, Module: "boto3"}, Growth: true, Limit: 20000}, ""},
		{"init>800ms", Gate{Expr: "init>800ms", Metric: Metric{Kind: MetricPhase, Phase: profile.PhaseInit}, Limit: 800000}, ""},
		{"invoke>+1.5s", Gate{Expr: "invoke>+1.5s", Metric: Metric{Kind: MetricPhase, Phase: profile.PhaseInvoke}, Growth: true, Limit: 1500000}, ""},
		{"init<+50ms", Gate{}, "want METRIC>+DURATION"},
		{"boot>+50ms", Gate{}, `unknown metric "boot"`},
		{"module:>+5ms", Gate{}, "unknown metric"},
		{"package:botocore>+5ms", Gate{Expr: "package:botocore>+5ms", Metric: Metric{Kind: MetricPackage, Module: "botocore"}, Growth: true, Limit: 5000}, ""},
		{"package:>+5ms", Gate{}, "unknown metric"},
		{"init>+50", Gate{}, "not a duration"},
		{"init>10%", Gate{}, "a percentage limits growth"},
		{"init>+x%", Gate{}, "not a percentage"},
		{"init>-5ms", Gate{}, "not a duration"},
		{"init>+NaN%", Gate{}, "not a percentage"},
		{"init>+Inf%", Gate{}, "not a percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := ParseGate(tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBudget(t *testing.T) {
	g, err := ParseBudget("init=800ms")
	if err != nil || g.Growth || g.Limit != 800000 || g.Metric.Phase != profile.PhaseInit || g.Expr != "init=800ms" {
		t.Errorf("init=800ms: %+v %v", g, err)
	}
	for _, bad := range []string{"init", "init=+5ms", "init=5%", "nope=5ms", "init=5"} {
		if _, err := ParseBudget(bad); err == nil {
			t.Errorf("%q parsed, want an error", bad)
		}
	}
}

func TestGates(t *testing.T) {
	oneBefore, oneAfter := sideOf("b", fixtureColdStart("b", 1)), sideOf("a", afterColdStart("a", 0))
	manyBefore, manyAfter := manySides(6)
	tests := []struct {
		name       string
		before     *DiffSide
		after      *DiffSide
		gate       string
		wantFailed bool
		wantText   string
	}{
		{"module appeared over limit", oneBefore, oneAfter, "module:pydantic>+20ms", true, "pydantic +30.00 ms"},
		{"module appeared under limit", oneBefore, oneAfter, "module:pydantic>+40ms", false, ""},
		{"package disappeared", oneBefore, oneAfter, "package:urllib3>+0ms", false, "urllib3 -7.00 ms (7.00 ms → 0.00 ms)"},
		{"package value", oneBefore, oneAfter, "package:pydantic>10ms", true, "pydantic 30.00 ms after"},
		{"phase got faster", oneBefore, oneAfter, "init>+0ms", false, "init -6.00 ms"},
		{"total percent", oneBefore, oneAfter, "total>+10%", true, "+28.6 %"},
		{"total percent loose", oneBefore, oneAfter, "total>+50%", false, ""},
		{"value gate", oneBefore, oneAfter, "init>20ms", true, "init 31.10 ms after (limit 20.00 ms)"},
		{"noise does not fail", manyBefore, manyAfter, "module:json.decoder>+0ms", false, "within run-to-run spread"},
		{"significant fails", manyBefore, manyAfter, "module:pydantic>+20ms", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(tt.before, tt.after)
			failed := d.Check(mustGates(t, tt.gate), tt.before, tt.after)
			if failed != tt.wantFailed || d.Gates[0].Failed != tt.wantFailed {
				t.Errorf("failed %v, want %v: %+v", failed, tt.wantFailed, d.Gates[0])
			}
			if !strings.Contains(d.Gates[0].Measured, tt.wantText) {
				t.Errorf("measured %q, want it to contain %q", d.Gates[0].Measured, tt.wantText)
			}
		})
	}
}

func TestBudgetSourceRecords(t *testing.T) {
	p := fixtureProfile("a", "b", "c")
	var gates []Gate
	for _, b := range []string{"init=70ms", "module:requests=20ms", "module:absent=1ms"} {
		g, err := ParseBudget(b)
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, g)
	}
	src := NewBudgetSource(ProfileSource(p), gates)
	var buf bytes.Buffer
	if err := Write(&buf, src, Options{Format: FormatFolded}); err != nil {
		t.Fatal(err)
	}
	results, failed := src.Results()
	// Medians over scales 1, 2, 3: init 74.2 ms, requests 24.8 ms; absent
	// is in no cold start, which fails rather than pass as 0 µs.
	want := []bool{true, true, true}
	for i, r := range results {
		if r.Failed != want[i] {
			t.Errorf("%s: failed %v, want %v (%s)", r.Gate, r.Failed, want[i], r.Measured)
		}
	}
	if !failed || !strings.Contains(results[1].Measured, "median 24.80 ms of 3 cold starts") {
		t.Errorf("results %+v", results)
	}
	var lines bytes.Buffer
	if err := WriteGateResults(&lines, results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lines.String(), "FAIL init=70ms: init (imports in the init phase) median 74.20 ms of 3 cold starts, max 111.30 ms (budget 70.00 ms)\n") ||
		!strings.Contains(lines.String(), "FAIL module:absent=1ms: module absent is in no cold start (of 3): check the name") {
		t.Errorf("gate lines:\n%s", lines.String())
	}
}

// TestGateOnAbsentModuleFails checks that a --fail-on gate naming a module
// or package in neither side fails and says why, instead of passing as
// 0 µs → 0 µs.
func TestGateOnAbsentModuleFails(t *testing.T) {
	p := fixtureProfile("a", "b")
	before, after := NewDiffSide("before"), NewDiffSide("after")
	for _, cs := range p.ColdStarts {
		before.Add(cs)
		after.Add(cs)
	}
	for _, expr := range []string{"module:nonexistent>+5ms", "package:nonexistent>+5%", "module:nonexistent>1ms"} {
		g, err := ParseGate(expr)
		if err != nil {
			t.Fatal(err)
		}
		d := Compare(before, after)
		if !d.Check([]Gate{g}, before, after) {
			t.Errorf("%s passed: %+v", expr, d.Gates)
		}
		if !strings.Contains(d.Gates[0].Measured, "nonexistent is in no cold start on either side: check the name") {
			t.Errorf("%s: measured %q", expr, d.Gates[0].Measured)
		}
	}
	// A module on one side only is a real change, not a misspelling.
	g, _ := ParseGate("module:requests>+500ms")
	empty := NewDiffSide("empty")
	empty.Add(&profile.ColdStart{ID: "x"})
	d := Compare(empty, after)
	if d.Check([]Gate{g}, empty, after) {
		t.Errorf("module that appeared by less than the limit failed: %+v", d.Gates)
	}
}

// TestParseBudgetExplains checks that a bad budget says what is wrong, as
// a bad --fail-on gate does, rather than only "bad gate".
func TestParseBudgetExplains(t *testing.T) {
	for expr, want := range map[string]string{
		"init=fast":   `bad gate "init=fast": "fast" is not a duration like 50ms, 800us or 1.5s`,
		"nope=1ms":    `bad gate "nope=1ms": unknown metric "nope"`,
		"init":        `want METRIC=DURATION`,
		"init=+5ms":   `growth limits belong to coldprof diff --fail-on`,
		"module:=1ms": `unknown metric "module:"`,
		"total=-1ms":  `is not a duration`,
	} {
		_, err := ParseBudget(expr)
		if err == nil || !errors.Is(err, ErrBadGate) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBudget(%q) = %v, want an ErrBadGate containing %q", expr, err, want)
		}
	}
}

// FuzzParseGate: gate and budget expressions come from CI configuration;
// no input may panic, and an accepted gate has a known metric and a
// non-negative limit.
func FuzzParseGate(f *testing.F) {
	for _, s := range []string{"init>+50ms", "total>+10%", "module:boto3>+20ms", "init>800ms", "init=800ms", "module:>", ">+%", "init>+1e400%", "init>+NaN%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (Gate, error){ParseGate, ParseBudget} {
			g, err := parse(s)
			if err != nil {
				continue
			}
			if g.Limit < 0 || math.IsNaN(g.Limit) || g.Metric.String() == "" {
				t.Errorf("%q: accepted %+v", s, g)
			}
		}
	})
}
