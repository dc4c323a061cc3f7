package report

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestTopRowsMatchesSort checks topRows' selection of the first n against
// sorting every row, on random roll-ups with many equal times.
func TestTopRowsMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 4))
	for trial := range 300 {
		var rows []Row
		seen := map[rowKey]bool{}
		for range rng.IntN(60) {
			r := Row{Name: fmt.Sprintf("m%d", rng.IntN(30)), Phase: profile.Phases[rng.IntN(len(profile.Phases))],
				SelfUs: rng.Int64N(5), CumulativeUs: rng.Int64N(8)}
			if !seen[rowKey{r.Phase, r.Name}] {
				seen[rowKey{r.Phase, r.Name}] = true
				rows = append(rows, r)
			}
		}
		for _, order := range []rowOrder{bySelf, byCumulative} {
			for _, n := range []int{0, 1, 3, 10, len(rows), len(rows) + 1} {
				want := append([]Row(nil), rows...)
				sort.Slice(want, func(i, j int) bool {
					a, b := want[i], want[j]
					av, bv := a.CumulativeUs, b.CumulativeUs
					if order == bySelf {
						av, bv = a.SelfUs, b.SelfUs
					}
					if av != bv {
						return av > bv
					}
					if a.Phase != b.Phase {
						return phaseIndex(a.Phase) < phaseIndex(b.Phase)
					}
					return a.Name < b.Name
				})
				want = want[:min(n, len(want))]
				if got := topRows(rows, n, order); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("trial %d, order %d, n %d:\ngot  %v\nwant %v", trial, order, n, got, want)
				}
			}
		}
	}
}
