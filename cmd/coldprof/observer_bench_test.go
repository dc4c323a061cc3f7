//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
)

// The observer effect: how much longer a real function's cold start is with
// the coldprof layer on than without it. wrapper/BENCHMARKS.md ("Observer
// effect") has the command, the figures and how to read them.

// observerVariant is one way of running the function.
type observerVariant struct {
	name    string
	wrapper bool     // through coldprof-wrapper; false: the runtime started directly
	env     []string // coldprof run --env values
	bin     string   // where coldprof, coldprof-wrapper and coldprof-proxy are, if not the ones built here
}

var observerVariants = []observerVariant{
	{name: "none"},
	{name: "disabled", wrapper: true, env: []string{"COLDPROF_DISABLE=1"}},
	{name: "wrapper", wrapper: true, env: []string{"COLDPROF_PHASES=off", "COLDPROF_SAMPLER=off"}},
	{name: "proxy", wrapper: true, env: []string{"COLDPROF_SAMPLER=off"}},
	// Everything on: the sampler too (Python's default; Node.js samples only
	// when asked, COLDPROF_SAMPLER=on).
	{name: "all", wrapper: true, env: []string{"COLDPROF_SAMPLER=on"}},
}

// observerFunction is a function and the coldprof run flags that run it.
type observerFunction struct {
	name string
	args []string
	env  []string     // coldprof run's environment besides the benchmark's
	need func() error // nil when the function can run here
}

func observerFunctions() []observerFunction {
	return []observerFunction{
		{
			// The README's example: boto3, numpy and requests at global
			// scope (Debian's python3-boto3, -numpy, -requests).
			name: "python",
			args: []string{"--handler", "app.lambda_handler", "--runtime", "python3", "--python", "/usr/bin/python3",
				"--task-root", "../../testdata/functions/python"},
			need: func() error {
				out, err := exec.Command("/usr/bin/python3", "-c", "import boto3, numpy, requests").CombinedOutput()
				if err != nil {
					return fmt.Errorf("/usr/bin/python3 needs boto3, numpy and requests (apt-get install python3-boto3 python3-numpy python3-requests): %v: %s", err, out)
				}
				return nil
			},
		},
		nodeFunction("node", ""), // the machine's node (Node 20 here)
		// Lambda's nodejs22.x and 24.x runtimes, where the ES module hooks
		// are module.registerHooks (in-thread) rather than Node 20's
		// module.register (a loader thread): .ci/setup.d/40-node-versions.sh.
		nodeFunction("node22", "22"),
		nodeFunction("node24", "24"),
	}
}

// nodeFunction is an ES module handler importing @aws-sdk/client-s3, run
// by the machine's node (major "") or by the cached Node.js major.
func nodeFunction(name, major string) observerFunction {
	fn := observerFunction{
		name: name,
		args: []string{"--handler", "s3.handler", "--runtime", "nodejs", "--task-root", "../../testdata/node/realistic"},
	}
	var nodeDir string
	if major != "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		nodeDir = filepath.Join(cache, "coldprof", "node", major, "bin")
		fn.env = []string{"PATH=" + nodeDir + string(os.PathListSeparator) + os.Getenv("PATH")}
	}
	fn.need = func() error {
		if _, err := os.Stat("../../testdata/node/realistic/node_modules/@aws-sdk/client-s3"); err != nil {
			return fmt.Errorf("run bash .ci/setup.d/20-npm-realistic.sh first: %v", err)
		}
		if nodeDir != "" {
			if _, err := os.Stat(filepath.Join(nodeDir, "node")); err != nil {
				return fmt.Errorf("run bash .ci/setup.d/40-node-versions.sh first: %v", err)
			}
		}
		return nil
	}
	return fn
}

// observerColdStart is what one cold start measured.
type observerColdStart struct {
	initMs, durationMs float64 // REPORT's Init Duration and the first invocation's Duration
	cpuMs              float64 // user+system CPU of the function's process tree, its whole life
}

// BenchmarkObserverEffect runs real functions through "coldprof run" with
// the layer off (no wrapper at all), disabled (COLDPROF_DISABLE=1), the
// wrapper only, wrapper + proxy, and everything on (the sampler too), one
// after another in a new random order each round; b.N is the number of
// rounds (plus the one the testing package runs first) and
// COLDPROF_OBSERVER_COLD_STARTS (default 2) the --cold-starts of each run.
// Its figures are medians and the medians of per-pair ratios against "none"
// (the same round and cold-start index).
func BenchmarkObserverEffect(b *testing.B) {
	fullTier(b)
	coldStarts := 2
	if v := os.Getenv("COLDPROF_OBSERVER_COLD_STARTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("COLDPROF_OBSERVER_COLD_STARTS=%q: want a positive integer", v)
		}
		coldStarts = n
	}
	variants := slices.Clone(observerVariants)
	// COLDPROF_OBSERVER_EXTRA adds variants through the wrapper, for a
	// breakdown: "name:K=V,K=V;name2:K=V" (e.g. noesm:COLDPROF_NODE_ESM=0).
	for _, spec := range strings.Split(os.Getenv("COLDPROF_OBSERVER_EXTRA"), ";") {
		if spec == "" {
			continue
		}
		name, envs, ok := strings.Cut(spec, ":")
		if !ok || name == "" {
			b.Fatalf("COLDPROF_OBSERVER_EXTRA: %q is not name:K=V,…", spec)
		}
		variants = append(variants, observerVariant{name: name, wrapper: true, env: strings.Split(envs, ",")})
	}
	// COLDPROF_OBSERVER_BASELINE names a directory with coldprof,
	// coldprof-wrapper and coldprof-proxy built from another commit (coldprof
	// run writes the hooks and samplers the wrapper uses, so all three):
	// "all-baseline" and "proxy-baseline" run them, for before/after in one run.
	if dir := os.Getenv("COLDPROF_OBSERVER_BASELINE"); dir != "" {
		variants = append(variants,
			observerVariant{name: "proxy-baseline", wrapper: true, env: []string{"COLDPROF_SAMPLER=off"}, bin: dir},
			observerVariant{name: "all-baseline", wrapper: true, env: []string{"COLDPROF_SAMPLER=on"}, bin: dir})
	}
	bin := b.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "../coldprof", "../coldprof-wrapper", "../coldprof-proxy", "./testdata/observer-shim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as the layer ships them
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, fn := range observerFunctions() {
		// The testing package runs each sub-benchmark once with b.N = 1
		// before the b.N asked for: its round counts too.
		results := map[string][]observerColdStart{}
		b.Run(fn.name, func(b *testing.B) {
			if err := fn.need(); err != nil {
				b.Skip(err)
			}
			b.Logf("load average before: %s", loadAverage())
			for round := 0; round < b.N; round++ {
				order := slices.Clone(variants)
				rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				for _, v := range order {
					got, err := runObserved(bin, fn, v, coldStarts, b.TempDir())
					if err != nil {
						b.Fatalf("%s, %s: %v", fn.name, v.name, err)
					}
					writeObserverCSV(b, fn.name, v.name, len(results[v.name]), got)
					results[v.name] = append(results[v.name], got...)
				}
			}
			b.Logf("load average after: %s", loadAverage())
			reportObserver(b, variants, results)
		})
	}
}

// writeObserverCSV appends each cold start to the file
// COLDPROF_OBSERVER_CSV names, if any (function, variant, pair index, Init
// Duration ms, first Duration ms, CPU ms, 1-minute load average), for
// looking at the distributions afterwards.
func writeObserverCSV(b *testing.B, function, variant string, first int, got []observerColdStart) {
	path := os.Getenv("COLDPROF_OBSERVER_CSV")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	load, _, _ := strings.Cut(loadAverage(), " ")
	for i, c := range got {
		fmt.Fprintf(f, "%s,%s,%d,%.2f,%.2f,%.1f,%s\n", function, variant, first+i, c.initMs, c.durationMs, c.cpuMs, load)
	}
}

// runObserved runs fn through coldprof run as v, coldStarts cold starts of
// one event each, and returns what each measured.
func runObserved(bin string, fn observerFunction, v observerVariant, coldStarts int, dir string) ([]observerColdStart, error) {
	logPath := filepath.Join(dir, "run.log")
	cpuPath := filepath.Join(dir, "cpu")
	args := append([]string{"run", "--wrapper", filepath.Join(bin, "observer-shim"),
		"--cold-starts", strconv.Itoa(coldStarts), "-n", "1", "--log", logPath, "--format", "json"}, fn.args...)
	for _, e := range v.env {
		args = append(args, "--env", e)
	}
	tools := bin
	if v.bin != "" {
		tools = v.bin
	}
	cmd := exec.Command(filepath.Join(tools, "coldprof"), args...)
	wrapper := ""
	if v.wrapper {
		wrapper = filepath.Join(tools, "coldprof-wrapper")
	}
	cmd.Env = append(append(os.Environ(), fn.env...), "OBSERVER_SHIM_WRAPPER="+wrapper, "OBSERVER_SHIM_OUT="+cpuPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// With no wrapper (none, disabled) the log has no load-time lines and
	// coldprof run exits 1 after "no cold start profile found"; the log's
	// REPORT lines are what counts, checked below.
	runErr := cmd.Run()
	inits, err := reportLines(logPath)
	if err == nil && len(inits) != coldStarts {
		err = fmt.Errorf("%d cold starts with an Init Duration in the log, want %d", len(inits), coldStarts)
	}
	if err != nil {
		return nil, fmt.Errorf("%v (coldprof run: %v)\n%s", err, runErr, stderr.Bytes())
	}
	cpu, err := os.ReadFile(cpuPath)
	if err != nil {
		return nil, err
	}
	var cpus []float64
	for _, line := range strings.Split(strings.TrimSpace(string(cpu)), "\n") {
		var user, sys, rssKB float64
		if _, err := fmt.Sscan(line, &user, &sys, &rssKB); err != nil {
			return nil, fmt.Errorf("%s: bad line %q: %v", cpuPath, line, err)
		}
		cpus = append(cpus, (user+sys)/1000)
	}
	if len(cpus) != coldStarts {
		return nil, fmt.Errorf("%s: %d CPU lines, want %d", cpuPath, len(cpus), coldStarts)
	}
	for i := range inits {
		inits[i].cpuMs = cpus[i]
	}
	return inits, nil
}

// reportLines returns, for each cold start in a coldprof run log, the
// first REPORT line's Init Duration and Duration.
func reportLines(path string) ([]observerColdStart, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []observerColdStart
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "REPORT ") || !strings.Contains(line, "Init Duration: ") {
			continue
		}
		var cs observerColdStart
		for _, field := range strings.Split(line, "\t") {
			if v, ok := strings.CutPrefix(field, "Init Duration: "); ok {
				cs.initMs, err = strconv.ParseFloat(strings.TrimSuffix(v, " ms"), 64)
			} else if v, ok := strings.CutPrefix(field, "Duration: "); ok {
				cs.durationMs, err = strconv.ParseFloat(strings.TrimSuffix(v, " ms"), 64)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %v", path, line, err)
			}
		}
		out = append(out, cs)
	}
	return out, sc.Err()
}

// reportObserver logs a table of medians and per-pair ratios and reports
// the overheads against "none" as metrics.
func reportObserver(b *testing.B, variants []observerVariant, results map[string][]observerColdStart) {
	base := results["none"]
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "variant\tn\tinit ms\tinit vs none (95%% CI)\tfirst invoke ms\tinvoke vs none\tCPU ms\tCPU vs none\tCPU − none ms\t\n")
	for _, v := range variants {
		rs := results[v.name]
		initRatio, initLo, initHi := pairRatios(base, rs, func(c observerColdStart) float64 { return c.initMs })
		durRatio, _, _ := pairRatios(base, rs, func(c observerColdStart) float64 { return c.durationMs })
		cpuRatio, _, _ := pairRatios(base, rs, func(c observerColdStart) float64 { return c.cpuMs })
		var cpuDiff []float64
		for i := range rs {
			cpuDiff = append(cpuDiff, rs[i].cpuMs-base[i].cpuMs)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%+.1f %% (%+.1f … %+.1f)\t%.2f\t%+.1f %%\t%.1f\t%+.1f %%\t%+.1f\t\n", v.name, len(rs),
			median(field(rs, func(c observerColdStart) float64 { return c.initMs })), pct(initRatio), pct(initLo), pct(initHi),
			median(field(rs, func(c observerColdStart) float64 { return c.durationMs })), pct(durRatio),
			median(field(rs, func(c observerColdStart) float64 { return c.cpuMs })), pct(cpuRatio), median(cpuDiff))
		if v.name != "none" {
			b.ReportMetric(pct(initRatio), v.name+"-init-%")
			b.ReportMetric(pct(cpuRatio), v.name+"-cpu-%")
		}
	}
	tw.Flush()
	b.Logf("medians; \"vs none\" = median of per-pair ratios (same round and cold-start index) − 1, with a 95 %% CI of that median\n%s", table.String())
}

// pairRatios returns the median of a[i]/base[i] over the pairs and a 95 %
// confidence interval of that median (order statistics, normal
// approximation of the binomial).
func pairRatios(base, a []observerColdStart, get func(observerColdStart) float64) (med, lo, hi float64) {
	var r []float64
	for i := range a {
		if i < len(base) && get(base[i]) > 0 {
			r = append(r, get(a[i])/get(base[i]))
		}
	}
	if len(r) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	slices.Sort(r)
	n := float64(len(r))
	k := int(math.Floor(n/2 - 0.98*math.Sqrt(n)))
	j := int(math.Ceil(n/2 + 0.98*math.Sqrt(n)))
	k = max(k, 0)
	j = min(j, len(r)-1)
	return median(r), r[k], r[j]
}

func field(cs []observerColdStart, get func(observerColdStart) float64) []float64 {
	out := make([]float64, len(cs))
	for i, c := range cs {
		out[i] = get(c)
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func pct(ratio float64) float64 { return (ratio - 1) * 100 }

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
