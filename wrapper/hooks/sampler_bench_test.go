package hooks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// BenchmarkSamplerInit starts a realistic function's init with the sampler
// off and on (at 5 ms, the default), rotating the order in every iteration
// so that the machine's load drifts over all variants alike, and reports
// medians:
//
//	off-init-ms, on-init-ms   wall time from starting the process to the
//	                          runtime asking for its first event (what
//	                          Lambda reports as Init Duration)
//	off-cpu-ms, on-cpu-ms     the process's CPU time (all threads) by then
//	pair-wall-%, pair-cpu-%   median over iterations of (on - off) / off of
//	                          the runs of one iteration
//	samples/s                 samples written per second of init (the rate
//	                          actually achieved)
//	lines, bytes              sampler lines and bytes one cold start wrote
//
// "Off" is the function with the hook in place but no COLDPROF_SAMPLER_*
// variables (Python: the sitecustomize runs and only chains; Node.js: the
// require hook alone), so the figures are the sampler's own cost.
//
// With COLDPROF_BENCH_BEFORE_HOOKS set to another hook folder (an older
// sampler: `git archive main wrapper/hooks | tar -x -C /tmp/before`, then
// /tmp/before/wrapper/hooks), every iteration also runs that one, and the
// before-* figures and the ratios after/before of the same iteration
// (after-vs-before-wall-%, after-vs-before-cpu-%) compare the two side by
// side.
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
	dirs := []string{dir}
	if before := os.Getenv("COLDPROF_BENCH_BEFORE_HOOKS"); before != "" {
		dirs = append(dirs, before)
	}
	runtimePy := testdata(b, "sampler", "runtime.py")
	b.Run("python-app", func(b *testing.B) {
		if _, err := os.Stat("/usr/bin/python3"); err != nil {
			b.Skip("no /usr/bin/python3")
		}
		app := testdata(b, "functions", "python")
		var envs [][]string
		for _, d := range dirs {
			envs = append(envs, []string{"PYTHONPATH=" + filepath.Join(d, "python"), "COLDPROF_SAMPLER_INTERVAL_US=" + interval})
		}
		off := []string{"PYTHONPATH=" + filepath.Join(dir, "python")}
		benchSampler(b, app, off, envs, "/usr/bin/python3", runtimePy, "app")
	})
	b.Run("node-aws-sdk", func(b *testing.B) {
		if _, err := os.Stat(testdata(b, "node", "realistic", "node_modules", "@aws-sdk", "client-s3")); err != nil {
			b.Skip("testdata/node/realistic has no node_modules: run npm ci there")
		}
		var envs [][]string
		for _, d := range dirs {
			envs = append(envs, []string{"NODE_OPTIONS=" + nodeOptions(d), "COLDPROF_SAMPLER_INTERVAL_US=" + interval})
		}
		off := []string{"NODE_OPTIONS=" + nodeOptions(dir)}
		benchSampler(b, testdata(b, "sampler"), off, envs, "node", "runtime.js", "sdk_client.js")
	})
}

// benchSampler runs off and each of ons (the sampler under test first, an
// older one second) once per iteration, in rotating order.
func benchSampler(b *testing.B, dir string, off []string, ons [][]string, argv ...string) {
	n := len(ons) + 1
	wall := make([][]float64, n)
	cpu := make([][]float64, n)
	pairWall := make([][]float64, n)
	pairCPU := make([][]float64, n)
	var vsWall, vsCPU, rate, lines, bytes []float64
	for i := 0; i < b.N; i++ {
		runs := make([]runtimeRun, n)
		for k := 0; k < n; k++ {
			v := (i + k) % n // rotate which variant goes first
			env := off
			if v > 0 {
				env = ons[v-1]
			}
			runs[v] = runRuntime(b, dir, env, true, argv...)
			if runs[v].code != 0 {
				b.Fatalf("exit %d:\n%s", runs[v].code, runs[v].stderr)
			}
		}
		for v, r := range runs {
			w, c := float64(r.initDoneUs-r.startUs)/1e3, r.truth["_initCpu"]*1e3
			wall[v], cpu[v] = append(wall[v], w), append(cpu[v], c)
			if v > 0 {
				pairWall[v] = append(pairWall[v], 100*(w-wall[0][i])/wall[0][i])
				pairCPU[v] = append(pairCPU[v], 100*(c-cpu[0][i])/cpu[0][i])
			}
		}
		if n == 3 {
			vsWall = append(vsWall, 100*(wall[1][i]-wall[2][i])/wall[2][i])
			vsCPU = append(vsCPU, 100*(cpu[1][i]-cpu[2][i])/cpu[2][i])
		}
		s := decodeSampler(b, runs[1].stderr)
		if s.Cut == nil {
			b.Fatalf("no cut line:\n%s", runs[1].stderr)
		}
		var k int
		for _, sm := range s.Samples {
			if sm.TimeUs <= s.Cut.TimeUs {
				k++
			}
		}
		rate = append(rate, float64(k)/(float64(s.Cut.TimeUs-s.Begin.TimeUs)/1e6))
		lines, bytes = append(lines, float64(s.Lines)), append(bytes, float64(s.Bytes))
	}
	names := []string{"off", "on", "before"}
	for v := 0; v < n; v++ {
		b.ReportMetric(medianF(wall[v]), names[v]+"-init-ms")
		b.ReportMetric(medianF(cpu[v]), names[v]+"-cpu-ms")
		if v > 0 {
			prefix := "pair"
			if v == 2 {
				prefix = "before-pair"
			}
			b.ReportMetric(medianF(pairWall[v]), prefix+"-wall-%")
			b.ReportMetric(medianF(pairCPU[v]), prefix+"-cpu-%")
		}
	}
	if n == 3 {
		b.ReportMetric(medianF(vsWall), "after-vs-before-wall-%")
		b.ReportMetric(medianF(vsCPU), "after-vs-before-cpu-%")
	}
	b.ReportMetric(medianF(rate), "samples/s")
	b.ReportMetric(medianF(lines), "lines")
	b.ReportMetric(medianF(bytes), "bytes")
	b.ReportMetric(0, "ns/op")
	b.Log(loadAverage())
}

// loadAverage is /proc/loadavg's first three figures, for the record.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average: unknown"
	}
	var a, c, d float64
	if _, err := fmt.Sscan(string(data), &a, &c, &d); err != nil {
		return "load average: unknown"
	}
	return fmt.Sprintf("load average at the end: %.2f %.2f %.2f", a, c, d)
}

func medianF(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
