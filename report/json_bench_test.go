package report

import (
	"bufio"
	"encoding/json"
	"io"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// rptDeepColdStart is a pathological cold start: n imports in chains
// nested up to depth deep (the parsers' limit is 512), where indentation
// makes the JSON grow with the square of the depth.
func rptDeepColdStart(n, depth int) *profile.ColdStart {
	cs := &profile.ColdStart{ID: "deep#1", Boundary: profile.BoundaryUnknown}
	var stack []*profile.Import
	for range n {
		imp := &profile.Import{Name: "package.module", Phase: profile.PhaseInit, SelfUs: 1, CumulativeUs: 10}
		if len(stack) == 0 || len(stack) >= depth {
			cs.Imports = append(cs.Imports, imp)
			stack = append(stack[:0], imp)
			continue
		}
		parent := stack[len(stack)-1]
		parent.Children = append(parent.Children, imp)
		stack = append(stack, imp)
	}
	return cs
}

// BenchmarkJSONDeepColdStart compares writeJSONColdStart, which streams the
// import tree, with the json.MarshalIndent of the whole cold start it
// replaced (the same bytes), on a tenth of the 200,000 imports
// report/BENCHMARKS.md measured: marshal allocates a gigabyte per operation
// even so. Run with -benchtime 1x.
func BenchmarkJSONDeepColdStart(b *testing.B) {
	cs := rptDeepColdStart(20_000, 512)
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := bufio.NewWriter(io.Discard)
			if err := writeJSONColdStart(w, cs, ""); err != nil {
				b.Fatal(err)
			}
			w.Flush()
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := json.MarshalIndent(NewJSONColdStart(cs, ""), "    ", "  ")
			if err != nil {
				b.Fatal(err)
			}
			io.Discard.Write(out)
		}
	})
}

// BenchmarkJSONImports measures writing the import trees of a fleet's cold
// starts (names interned, as the parsers make them): the part of
// --format json that grows with the input.
func BenchmarkJSONImports(b *testing.B) {
	fleet := rptInternedFleet(64)
	w := bufio.NewWriter(io.Discard)
	in := new(jsonIndenter)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := writeJSONImports(w, in, fleet[i%len(fleet)].Imports, 6); err != nil {
			b.Fatal(err)
		}
	}
}
