package hooks_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// BenchmarkSamplerInit starts a realistic function's init with the sampler
// off and on (at 5 ms, the default), alternating the order in every
// iteration so that the machine's load drifts over both alike, and reports
// medians:
//
//	off-init-ms, on-init-ms   wall time from starting the process to the
//	                          runtime asking for its first event
//	off-cpu-ms, on-cpu-ms     the process's CPU time (all threads) by then
//	pair-wall-%, pair-cpu-%   median over iterations of (on - off) / off of
//	                          the two runs of one iteration
//	samples/s                 samples written per second of init (the rate
//	                          actually achieved)
//	lines, bytes              sampler lines and bytes one cold start wrote
//
// "Off" is the function with the hook in place but no COLDPROF_SAMPLER_*
// variables (Python: the sitecustomize runs and only chains; Node.js: the
// require hook alone), so the figures are the sampler's own cost.
//
// Run: COLDPROF_TEST=full go test -run XXX -bench SamplerInit -benchtime 15x ./wrapper/hooks/
// (COLDPROF_BENCH_INTERVAL_US=10000 to try another interval).
// See BENCHMARKS.md for figures.
func BenchmarkSamplerInit(b *testing.B) {
	fullTier(b)
	interval := "5000"
	if v := os.Getenv("COLDPROF_BENCH_INTERVAL_US"); v != "" {
		interval = v // to compare other intervals with the default
	}
	dir := filepath.Join(b.TempDir(), "hooks dir")
	if err := hooks.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	pyHooks := filepath.Join(dir, "python")
	runtimePy := testdata(b, "sampler", "runtime.py")
	b.Run("python-app", func(b *testing.B) {
		if _, err := os.Stat("/usr/bin/python3"); err != nil {
			b.Skip("no /usr/bin/python3")
		}
		app := testdata(b, "functions", "python")
		off := []string{"PYTHONPATH=" + pyHooks}
		on := []string{"PYTHONPATH=" + pyHooks, "COLDPROF_SAMPLER_INTERVAL_US=" + interval}
		benchSampler(b, app, off, on, "/usr/bin/python3", runtimePy, "app")
	})
	b.Run("node-aws-sdk", func(b *testing.B) {
		if _, err := os.Stat(testdata(b, "node", "realistic", "node_modules", "@aws-sdk", "client-s3")); err != nil {
			b.Skip("testdata/node/realistic has no node_modules: run npm ci there")
		}
		off := []string{"NODE_OPTIONS=" + nodeOptions(dir)}
		on := []string{"NODE_OPTIONS=" + nodeOptions(dir), "COLDPROF_SAMPLER_INTERVAL_US=" + interval}
		benchSampler(b, testdata(b, "sampler"), off, on, "node", "runtime.js", "sdk_client.js")
	})
}

func benchSampler(b *testing.B, dir string, off, on []string, argv ...string) {
	var offWall, onWall, offCPU, onCPU, pairWall, pairCPU, rate, lines, bytes []float64
	for i := 0; i < b.N; i++ {
		var a, c runtimeRun
		if i%2 == 0 {
			a = runRuntime(b, dir, off, true, argv...)
			c = runRuntime(b, dir, on, true, argv...)
		} else {
			c = runRuntime(b, dir, on, true, argv...)
			a = runRuntime(b, dir, off, true, argv...)
		}
		if a.code != 0 || c.code != 0 {
			b.Fatalf("exit %d / %d:\n%s", a.code, c.code, c.stderr)
		}
		s := decodeSampler(b, c.stderr)
		if s.Cut == nil {
			b.Fatalf("no cut line:\n%s", c.stderr)
		}
		aw, cw := float64(a.initDoneUs-a.startUs)/1e3, float64(c.initDoneUs-c.startUs)/1e3
		ac, cc := a.truth["_initCpu"]*1e3, c.truth["_initCpu"]*1e3
		offWall, onWall, offCPU, onCPU = append(offWall, aw), append(onWall, cw), append(offCPU, ac), append(onCPU, cc)
		pairWall = append(pairWall, 100*(cw-aw)/aw)
		pairCPU = append(pairCPU, 100*(cc-ac)/ac)
		var n int
		for _, sm := range s.Samples {
			if sm.TimeUs <= s.Cut.TimeUs {
				n++
			}
		}
		rate = append(rate, float64(n)/(float64(s.Cut.TimeUs-s.Begin.TimeUs)/1e6))
		lines, bytes = append(lines, float64(s.Lines)), append(bytes, float64(s.Bytes))
	}
	b.ReportMetric(medianF(offWall), "off-init-ms")
	b.ReportMetric(medianF(onWall), "on-init-ms")
	b.ReportMetric(medianF(offCPU), "off-cpu-ms")
	b.ReportMetric(medianF(onCPU), "on-cpu-ms")
	b.ReportMetric(medianF(pairWall), "pair-wall-%")
	b.ReportMetric(medianF(pairCPU), "pair-cpu-%")
	b.ReportMetric(medianF(rate), "samples/s")
	b.ReportMetric(medianF(lines), "lines")
	b.ReportMetric(medianF(bytes), "bytes")
	b.ReportMetric(0, "ns/op")
}

func medianF(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
