package report

import (
	"bufio"
	"io"
	"os"
	"testing"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

// rptBenchColdStarts reads the cold starts of COLDPROF_REPORT_BENCH_FILE
// (a small export, e.g. `decodebench gen tail 20`: ~100 cold starts, held
// in memory), or skips b.
func rptBenchColdStarts(b *testing.B) []*profile.ColdStart {
	path := os.Getenv("COLDPROF_REPORT_BENCH_FILE")
	if path == "" {
		b.Skip("set COLDPROF_REPORT_BENCH_FILE to a small generated export (see report/BENCHMARKS.md)")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	p, err := parsers.ReadAll(f, path, parsers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return p.ColdStarts
}

// BenchmarkOutputSide measures the report's work per cold start after
// parsing, on real parsed cold starts: the aggregate (ten passes over the
// file's cold starts, so past exactSamples), the findings, and a cold
// start's JSON. ns/op is per cold start.
func BenchmarkOutputSide(b *testing.B) {
	css := rptBenchColdStarts(b)
	b.Run("aggregate", func(b *testing.B) {
		var a *Aggregate
		for i := 0; i < b.N; i++ {
			if i%(10*len(css)) == 0 {
				a = NewAggregate(Options{})
			}
			a.Add(css[i%len(css)])
		}
		a.Modules(0)
	})
	b.Run("findings", func(b *testing.B) {
		found := NewFindingsAggregate(FindingOptions{})
		for i := 0; i < b.N; i++ {
			found.Add(css[i%len(css)])
		}
	})
	b.Run("json", func(b *testing.B) {
		w := bufio.NewWriter(io.Discard)
		for i := 0; i < b.N; i++ {
			cs := css[i%len(css)]
			if err := writeJSONColdStartFindings(w, cs, "", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
