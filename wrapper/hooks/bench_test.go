package hooks_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// The hook benchmarks load a real module tree with and without the hook,
// alternating the two in every iteration so that the machine's load drifts
// over both alike, and report medians:
//
//	base-load-ms  wall time the program measured around its requires, no hook
//	hook-load-ms  the same with the hook
//	added-%       (hook - base) / base, of those wall times
//	base-cpu-ms, hook-cpu-ms, added-cpu-%  the same for the CPU time the
//	              process used during the requires: much less disturbed by
//	              other processes on a shared machine than wall time
//	added-min-cpu-% the same between the fastest runs of each
//	pair-cpu-%    median over iterations of (hook - base) / base CPU time of
//	              the two runs of one iteration
//	base-run-ms, hook-run-ms  the whole process, start to exit
//
// Run: go test -run XXX -bench Hook -benchtime 20x ./wrapper/hooks/
// See BENCHMARKS.md for figures.

// A sample is one run: the load's wall and CPU time as the program measured
// them, and the whole process's wall and CPU (user+system) time.
type sample struct{ load, cpu, run, runCPU time.Duration }

func measure(b *testing.B, dir string, env []string, name string, args ...string) sample {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v", name, args, err)
	}
	run := time.Since(start)
	runCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fields := strings.Fields(stdout.String())
	if len(fields) != 2 {
		b.Fatalf("load times %q: want \"<wall µs> <cpu µs>\"", stdout.String())
	}
	var us [2]int64
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatalf("load time %q: %v", f, err)
		}
		us[i] = n
	}
	return sample{time.Duration(us[0]) * time.Microsecond, time.Duration(us[1]) * time.Microsecond, run, runCPU}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func benchPair(b *testing.B, dir string, hookEnv []string, name string, args ...string) {
	var baseLoad, hookLoad, baseCPU, hookCPU, baseRun, hookRun []time.Duration
	for i := 0; i < b.N; i++ {
		first, second := []string(nil), hookEnv
		if i%2 == 1 {
			first, second = second, first
		}
		a := measure(b, dir, first, name, args...)
		c := measure(b, dir, second, name, args...)
		if i%2 == 1 {
			a, c = c, a
		}
		baseLoad, hookLoad = append(baseLoad, a.load), append(hookLoad, c.load)
		baseCPU, hookCPU = append(baseCPU, a.cpu), append(hookCPU, c.cpu)
		baseRun, hookRun = append(baseRun, a.run), append(hookRun, c.run)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(median(baseLoad)), "base-load-ms")
	b.ReportMetric(ms(median(hookLoad)), "hook-load-ms")
	b.ReportMetric(100*(ms(median(hookLoad))-ms(median(baseLoad)))/ms(median(baseLoad)), "added-%")
	b.ReportMetric(ms(median(baseCPU)), "base-cpu-ms")
	b.ReportMetric(ms(median(hookCPU)), "hook-cpu-ms")
	b.ReportMetric(100*(ms(median(hookCPU))-ms(median(baseCPU)))/ms(median(baseCPU)), "added-cpu-%")
	b.ReportMetric(100*(ms(slices.Min(hookCPU))-ms(slices.Min(baseCPU)))/ms(slices.Min(baseCPU)), "added-min-cpu-%")
	// Each pair ran back to back, so their ratio cancels slow drifts of the
	// machine's load; the median of the ratios is the steadiest figure.
	ratios := make([]time.Duration, len(baseCPU))
	for i := range baseCPU {
		ratios[i] = time.Duration(1e6 * float64(hookCPU[i]-baseCPU[i]) / float64(baseCPU[i]))
	}
	b.ReportMetric(float64(median(ratios))/1e4, "pair-cpu-%")
	b.ReportMetric(ms(median(baseRun)), "base-run-ms")
	b.ReportMetric(ms(median(hookRun)), "hook-run-ms")
	b.ReportMetric(0, "ns/op") // the wall time of the pair says nothing; the metrics above do
}

// BenchmarkRubyHook loads a tree of Ruby's standard library (json, net/http,
// openssl, yaml, erb, csv, …: testdata/ruby/load.rb) with and without the
// require hook.
func BenchmarkRubyHook(b *testing.B) {
	if _, err := exec.LookPath("ruby"); err != nil {
		b.Skip("ruby is not installed")
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "ruby"))
	hookDir := b.TempDir()
	if err := hooks.WriteDir(hookDir); err != nil {
		b.Fatal(err)
	}
	env := []string{"RUBYLIB=" + filepath.Join(hookDir, "ruby"), "RUBYOPT=-rcoldprof_require"}
	benchPair(b, dir, env, "ruby", "load.rb")
}

// BenchmarkNodeHooks measures the Node.js hook on every Node.js of
// nodeBinaries, side by side: each iteration runs, for each version in turn,
// the program without and with the hook (alternating which goes first), so the
// machine's drifting load falls on all of them alike. Scenarios:
//
//	cjs         testdata/node/realistic/load.js: require('@aws-sdk/client-s3')
//	esm-s3      an ES module handler importing @aws-sdk/client-s3 (CommonJS)
//	esm-lodash  an ES module handler importing lodash-es (about 640 ES modules)
//
// Per version (prefix n20-, n22-, …) it reports the median CPU time of the
// load without and with the hook (base-ms, hook-ms), the median of the
// per-pair CPU ratios (pair-%), and the same ratio for the whole process's
// CPU time (run-pair-%: start-up, the Node 20 hooks thread included).
// Needs npm ci in testdata/node/realistic. Run:
//
//	go test -run XXX -bench NodeHooks -benchtime 20x ./wrapper/hooks/
//
// With COLDPROF_HOOKS_BASELINE set to another copy of the hooks folder (say
// main's: git archive main wrapper/hooks | tar -x -C DIR, then
// DIR/wrapper/hooks), each iteration runs that hook too, in a rotating
// order with the other two, and reports it the same way (old-ms,
// old-pair-%) and the median per-iteration ratio of this hook's CPU to it
// (new-vs-old-%). COLDPROF_BENCH_NODES (say "22,24,26") picks versions.
func BenchmarkNodeHooks(b *testing.B) {
	nodes := nodeBinaries(b)
	node, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "node"))
	realistic := filepath.Join(node, "realistic")
	if _, err := os.Stat(filepath.Join(realistic, "node_modules", "lodash-es")); err != nil {
		b.Skip("testdata/node/realistic has no node_modules: run npm ci there")
	}
	hookDir := b.TempDir()
	if err := hooks.WriteDir(hookDir); err != nil {
		b.Fatal(err)
	}
	hookEnv := []string{"NODE_OPTIONS=--require " + filepath.Join(hookDir, filepath.FromSlash(hooks.NodeRequire))}
	var oldEnv []string
	if dir := os.Getenv("COLDPROF_HOOKS_BASELINE"); dir != "" {
		old, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(hooks.NodeRequire)))
		if err == nil {
			_, err = os.Stat(old)
		}
		if err != nil {
			b.Fatalf("COLDPROF_HOOKS_BASELINE: %v", err)
		}
		oldEnv = []string{"NODE_OPTIONS=--require " + old}
	}
	if only := os.Getenv("COLDPROF_BENCH_NODES"); only != "" {
		keep := strings.Split(only, ",")
		nodes = slices.DeleteFunc(nodes, func(n nodeBinary) bool { return !slices.Contains(keep, strings.TrimPrefix(n.Name, "node")) })
	}
	for _, sc := range []struct {
		name, handler string
		args          []string
	}{
		{"cjs", "load.handler", []string{filepath.Join(realistic, "load.js")}},
		{"esm-s3", "s3.handler", []string{filepath.Join(node, "load-esm.mjs"), "s3.mjs"}},
		{"esm-lodash", "lodash.handler", []string{filepath.Join(node, "load-esm.mjs"), "lodash.mjs"}},
	} {
		b.Run(sc.name, func(b *testing.B) {
			b.Setenv("LAMBDA_TASK_ROOT", realistic)
			b.Setenv("_HANDLER", sc.handler)
			type series struct{ base, hook, pair, runPair, old, oldPair, newVsOld []time.Duration }
			all := make([]series, len(nodes))
			envs := [][]string{nil, hookEnv}
			if oldEnv != nil {
				envs = append(envs, oldEnv)
			}
			for i := 0; i < b.N; i++ {
				for v, n := range nodes {
					// Each variant goes first, second, … in turn.
					got := make([]sample, len(envs))
					for k := range envs {
						at := (k + i + v) % len(envs)
						got[at] = measure(b, realistic, envs[at], n.Path, sc.args...)
					}
					x, y := got[0], got[1]
					s := &all[v]
					s.base, s.hook = append(s.base, x.cpu), append(s.hook, y.cpu)
					s.pair = append(s.pair, ratio(x.cpu, y.cpu))
					s.runPair = append(s.runPair, ratio(x.runCPU, y.runCPU))
					if oldEnv != nil {
						z := got[2]
						s.old = append(s.old, z.cpu)
						s.oldPair = append(s.oldPair, ratio(x.cpu, z.cpu))
						s.newVsOld = append(s.newVsOld, ratio(z.cpu, y.cpu))
					}
				}
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			for v, n := range nodes {
				p := "n" + strings.TrimPrefix(n.Name, "node") + "-"
				s := all[v]
				b.ReportMetric(ms(median(s.base)), p+"base-ms")
				b.ReportMetric(ms(median(s.hook)), p+"hook-ms")
				b.ReportMetric(float64(median(s.pair))/1e4, p+"pair-%")
				b.ReportMetric(float64(median(s.runPair))/1e4, p+"run-pair-%")
				if oldEnv != nil {
					b.ReportMetric(ms(median(s.old)), p+"old-ms")
					b.ReportMetric(float64(median(s.oldPair))/1e4, p+"old-pair-%")
					b.ReportMetric(float64(median(s.newVsOld))/1e4, p+"new-vs-old-%")
				}
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// ratio is (hook-base)/base as a Duration of 1e6 per unit (1e4 per per cent),
// so medians can be taken with median.
func ratio(base, hook time.Duration) time.Duration {
	return time.Duration(1e6 * float64(hook-base) / float64(base))
}
