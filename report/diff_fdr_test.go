package report

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

func TestBenjaminiHochberg(t *testing.T) {
	// Worked by hand: sorted p 0.01 0.02 0.03 0.04 0.5 with m=5 give
	// p·m/rank 0.05 0.05 0.05 0.05 0.5; the running minimum from the top
	// keeps them; input order is kept.
	got := benjaminiHochberg([]float64{0.5, 0.03, 0.01, 0.04, 0.02})
	want := []float64{0.5, 0.05, 0.05, 0.05, 0.05}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("q = %v, want %v", got, want)
		}
	}
	// A larger p-value lower in the ranking pulls the ones above it down:
	// 0.001 0.04 0.045 with m=3: 0.003, 0.06, 0.045 → 0.003, 0.045, 0.045.
	got = benjaminiHochberg([]float64{0.045, 0.001, 0.04})
	want = []float64{0.045, 0.003, 0.045}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("q = %v, want %v", got, want)
		}
	}
	if q := benjaminiHochberg([]float64{0.9, 0.95}); q[0] > 1 || q[1] > 1 {
		t.Errorf("q above 1: %v", q)
	}
}

// noisyColdStart is one cold start of a function whose 300 modules have
// fixed costs with multiplicative run-to-run noise: what two sets of cold
// starts of the same, untouched function look like.
func noisyColdStart(rng *rand.Rand, id string) *profile.ColdStart {
	cs := &profile.ColdStart{ID: id, Format: profile.FormatPythonImporttime, Boundary: profile.BoundaryExact}
	for m := range 300 {
		base := float64(200 + 37*m)
		us := int64(base * math.Exp(rng.NormFloat64()*0.25))
		cs.Imports = append(cs.Imports, &profile.Import{Name: fmt.Sprintf("mod%03d", m), SelfUs: us, CumulativeUs: us, Phase: profile.PhaseInit})
	}
	return cs
}

// TestDiffSameFunctionFlagsNothing diffs two sets of 10 cold starts of one
// untouched function: uncorrected p-values flag about 5 % of its 300
// modules on noise; the q-values flag none. Seeds are fixed, so the test
// is deterministic; several seeds guard against a lucky one.
func TestDiffSameFunctionFlagsNothing(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewSource(seed))
		before, after := NewDiffSide("before"), NewDiffSide("after")
		for i := range 10 {
			before.Add(noisyColdStart(rng, fmt.Sprint("b", i)))
			after.Add(noisyColdStart(rng, fmt.Sprint("a", i)))
		}
		d := Compare(before, after)
		rawFlags, flagged := 0, 0
		for _, r := range d.Modules {
			if r.P == nil || r.Q == nil {
				t.Fatalf("%s: p %v q %v, want both with 10 cold starts a side", r.Name, r.P, r.Q)
			}
			if *r.Q < *r.P {
				t.Fatalf("%s: q %v below p %v", r.Name, *r.Q, *r.P)
			}
			if *r.P < significanceLevel {
				rawFlags++
			}
			if r.Verdict == VerdictSignificant {
				flagged++
			}
		}
		if flagged != 0 {
			t.Errorf("seed %d: %d untouched modules flagged significant", seed, flagged)
		}
		if rawFlags == 0 {
			t.Errorf("seed %d: no raw p < 0.05 among 300 noisy modules; the test shows nothing", seed)
		}
	}
}

// TestDiffRealChangeSurvivesCorrection: a module that really got slower
// (3×, every cold start) stays significant among 300 noisy ones.
func TestDiffRealChangeSurvivesCorrection(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	before, after := NewDiffSide("before"), NewDiffSide("after")
	for i := range 10 {
		before.Add(noisyColdStart(rng, fmt.Sprint("b", i)))
		cs := noisyColdStart(rng, fmt.Sprint("a", i))
		cs.Imports[100].CumulativeUs *= 3
		cs.Imports[100].SelfUs *= 3
		after.Add(cs)
	}
	d := Compare(before, after)
	for _, r := range d.Modules {
		if want := r.Name == "mod100"; (r.Verdict == VerdictSignificant) != want {
			t.Errorf("%s: verdict %s (p %.4f, q %.4f), want significant=%v", r.Name, r.Verdict, *r.P, *r.Q, want)
		}
	}
}
