package report

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// rptFleetColdStart builds a cold start of 50 packages × 10 modules (500
// entries, the size of a boto3 + numpy + requests cold start) whose times
// vary by seed, as a fleet's cold starts do.
func rptFleetColdStart(seed int64) *profile.ColdStart {
	rng := rand.New(rand.NewSource(seed))
	cs := &profile.ColdStart{ID: fmt.Sprint("fleet#", seed), Boundary: profile.BoundaryExact,
		HasInitDuration: true, InitDurationMs: 300 + 200*rng.Float64()}
	for p := 0; p < 50; p++ {
		pkg := fmt.Sprintf("pkg%02d", p)
		top := &profile.Import{Name: pkg, Phase: profile.PhaseInit}
		for m := 0; m < 9; m++ {
			self := int64(50 + rng.Intn(2000))
			top.Children = append(top.Children, &profile.Import{
				Name: fmt.Sprintf("%s.mod%d", pkg, m), Phase: profile.PhaseInit, SelfUs: self, CumulativeUs: self})
			top.CumulativeUs += self
		}
		top.SelfUs = int64(100 + rng.Intn(500))
		top.CumulativeUs += top.SelfUs
		cs.Imports = append(cs.Imports, top)
	}
	return cs
}

// BenchmarkAggregateAdd measures folding one 500-entry cold start into an
// aggregate that already holds many.
func BenchmarkAggregateAdd(b *testing.B) {
	fleet := make([]*profile.ColdStart, 64)
	for i := range fleet {
		fleet[i] = rptFleetColdStart(int64(i))
	}
	a := NewAggregate(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Add(fleet[i%len(fleet)])
	}
}

// BenchmarkAggregateAddInterned is BenchmarkAggregateAdd with the module
// names shared between cold starts, as the parsers intern them.
func BenchmarkAggregateAddInterned(b *testing.B) {
	fleet := rptInternedFleet(64)
	a := NewAggregate(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Add(fleet[i%len(fleet)])
	}
}

// rptInternedFleet is n fleet cold starts whose equal names share one
// string, as the parsers intern them.
func rptInternedFleet(n int) []*profile.ColdStart {
	fleet := make([]*profile.ColdStart, n)
	names := map[string]string{}
	for i := range fleet {
		fleet[i] = rptFleetColdStart(int64(i))
		fleet[i].Walk(func(imp *profile.Import, _ int) bool {
			if s, ok := names[imp.Name]; ok {
				imp.Name = s
			} else {
				names[imp.Name] = imp.Name
			}
			return true
		})
	}
	return fleet
}

// TestAggregateMemoryBounded checks that the aggregate's heap stops growing
// with the number of cold starts once every key holds exactSamples values:
// 1,200 cold starts must not cost much more than 400.
func TestAggregateMemoryBounded(t *testing.T) {
	fullTier(t) // builds 1,600 cold starts
	heapAfter := func(n int) uint64 {
		a := NewAggregate(Options{})
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i++ {
			a.Add(rptFleetColdStart(int64(i)))
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(a)
		return after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
	}
	small, large := heapAfter(400), heapAfter(1200)
	t.Logf("aggregate heap: %d KiB after 400 cold starts, %d KiB after 1,200", small>>10, large>>10)
	if large > small*3/2 {
		t.Errorf("aggregate grew from %d KiB to %d KiB between 400 and 1,200 cold starts; want it bounded", small>>10, large>>10)
	}
}
