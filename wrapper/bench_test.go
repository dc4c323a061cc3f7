package wrapper

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/coldprof/coldprof/wrapper/internal/fakeapi"
)

// The AWS-documented sample wrapper (lambda-runtime.md section 2), verbatim.
const awsBashWrapper = `#!/bin/bash
args=("$@")
extra_args=("-X" "importtime")
args=("${args[@]:0:$#-1}" "${extra_args[@]}" "${args[@]: -1}")
exec "${args[@]}"
`

// startVariant is one way of starting the same program.
type startVariant struct {
	name string
	argv []string
	env  []string
}

// runOnce starts argv (stdio to /dev/null) and waits for that PID to exit,
// returning the wall time and the CPU time (user+system) that PID used: the
// wrapper and the program it exec'd, not the proxy child. The proxy is not
// waited for: only the runtime's start is on the critical path. CPU time
// moves far less than wall time with the load of a shared box. rqWait is
// the time the PID's thread spent runnable but waiting for a CPU (its
// /proc/PID/schedstat, read from the zombie before it is reaped): where
// wall time goes that is neither its CPU time nor sleep.
func runOnce(b *testing.B, v startVariant, devnull *os.File) (wall, cpu, rqWait time.Duration) {
	start := time.Now()
	pid, err := syscall.ForkExec(v.argv[0], v.argv, &syscall.ProcAttr{
		Env:   v.env,
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()},
	})
	if err != nil {
		b.Fatalf("%s: %v", v.name, err)
	}
	// waitid(P_PID, pid, WEXITED|WNOWAIT): see the exit, leave the zombie.
	var info [128]byte
	if _, _, errno := syscall.Syscall6(syscall.SYS_WAITID, 1, uintptr(pid), uintptr(unsafe.Pointer(&info[0])), 4|0x01000000, 0, 0); errno != 0 {
		b.Fatal(errno)
	}
	wall = time.Since(start)
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat"); err == nil {
		if f := strings.Fields(string(stat)); len(f) >= 2 {
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			rqWait = time.Duration(ns)
		}
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	if _, err := syscall.Wait4(pid, &ws, 0, &ru); err != nil {
		b.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		b.Fatalf("%s: exit status %v", v.name, ws)
	}
	// Wait for the proxy child too (it exits with the runtime; as the
	// subreaper the harness inherits it): its last moments would otherwise
	// land on the next variant's measurement.
	for {
		if _, err := syscall.Wait4(-1, &ws, 0, nil); err == syscall.ECHILD {
			break
		}
	}
	return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rqWait
}

// benchStarts runs the variants interleaved (one of each per iteration, in
// a shuffled order, so that no variant always follows the same one) and
// reports each one's median start-to-exit time, CPU time and run-queue wait.
func benchStarts(b *testing.B, variants []startVariant) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	// Orphaned proxy children are re-parented to us, so we can reap them.
	syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0)
	for _, v := range variants {
		runOnce(b, v, devnull) // warm the page cache
	}
	walls := make([][]time.Duration, len(variants))
	cpus := make([][]time.Duration, len(variants))
	waits := make([][]time.Duration, len(variants))
	b.ResetTimer()
	order := rand.New(rand.NewPCG(1, 2))
	perm := make([]int, len(variants))
	for i := 0; i < b.N; i++ {
		for j := range perm {
			perm[j] = j
		}
		order.Shuffle(len(perm), func(x, y int) { perm[x], perm[y] = perm[y], perm[x] })
		for _, k := range perm {
			wall, cpu, wait := runOnce(b, variants[k], devnull)
			walls[k] = append(walls[k], wall)
			cpus[k] = append(cpus[k], cpu)
			waits[k] = append(waits[k], wait)
		}
	}
	b.StopTimer()
	for k, v := range variants {
		b.ReportMetric(float64(median(walls[k]).Microseconds()), v.name+"-µs")
		b.ReportMetric(float64(median(cpus[k]).Microseconds()), v.name+"-cpu-µs")
		b.ReportMetric(float64(median(waits[k]).Microseconds()), v.name+"-rqwait-µs")
	}
	reapOrphans()
}

// median sorts s and returns its middle element.
func median(s []time.Duration) time.Duration {
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// reapOrphans waits for the exited proxy children re-parented to the test.
func reapOrphans() {
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil { // ECHILD: none left
			return
		}
		if pid == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func startVariants(b *testing.B, program []string, label string) []startVariant {
	bin := wrapperBinary(b)
	dir := b.TempDir()
	bash := filepath.Join(dir, "importtime_wrapper")
	if err := os.WriteFile(bash, []byte(awsBashWrapper), 0o755); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=/usr/bin:/bin", "AWS_EXECUTION_ENV=AWS_Lambda_python3.11", "_HANDLER=app.handler"}
	api := "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9" // never dialled: the program makes no request
	variants := []startVariant{
		{label + "-direct", program, env},
		{label + "-bash-wrapper", append([]string{bash}, program...), env},
		{label + "-coldprof-disabled", append([]string{bin}, program...), append(env, "COLDPROF_DISABLE=1")},
		{label + "-coldprof-noproxy", append([]string{bin}, program...), append(env, "COLDPROF_PHASES=off", api)},
		{label + "-coldprof-proxy", append([]string{bin}, program...), append(env, api)},
	}
	// A before/after comparison in one interleaved run: a wrapper binary
	// built from an earlier commit.
	if old := os.Getenv(envBenchBaseline); old != "" {
		variants = append(variants,
			startVariant{label + "-baseline-noproxy", append([]string{old}, program...), append(env, "COLDPROF_PHASES=off", api)},
			startVariant{label + "-baseline-proxy", append([]string{old}, program...), append(env, api)})
	}
	return variants
}

// envBenchBaseline names a coldprof-wrapper binary (e.g. built from an
// earlier commit) that BenchmarkStart also times, interleaved with the rest.
const envBenchBaseline = "COLDPROF_BENCH_BASELINE"

// BenchmarkStart compares starting a trivial program directly, through the
// AWS bash sample wrapper, and through coldprof-wrapper without and with
// the proxy. Run with a fixed count, e.g. -benchtime=300x.
func BenchmarkStart(b *testing.B) {
	b.Run("true", func(b *testing.B) {
		// The bash sample inserts -X importtime before the last argument:
		// harmless to true(1).
		benchStarts(b, startVariants(b, []string{"/bin/true", "x"}, "true"))
	})
	b.Run("python", func(b *testing.B) {
		py := "/usr/bin/python3"
		if _, err := os.Stat(py); err != nil {
			b.Skip("no /usr/bin/python3")
		}
		script := filepath.Join(b.TempDir(), "empty.py")
		os.WriteFile(script, nil, 0o644)
		// -S: a small, stable import set. Both wrappers inject -X importtime
		// (bash before the script, coldprof after the interpreter), so the
		// fair baseline is direct with -X importtime.
		v := startVariants(b, []string{py, "-S", script}, "python")
		v = append(v, startVariant{"python-direct-importtime", []string{py, "-X", "importtime", "-S", script}, v[0].env})
		benchStarts(b, v)
	})
}

// BenchmarkInvokeDeployed measures one invocation (GET next, POST
// response) against the fake Runtime API directly and through the proxy as
// deployed: the coldprof-proxy binary in its own process with GOMAXPROCS=1,
// started by startProxyExe. Two proxies: one with the default invoke-marker
// budget (10: the first ten invocations are parsed and marked, then it
// relays raw) and one with a budget of 0 (raw from the first invocation),
// so the timed invocations of the first show the steady state and the
// second how little the raw relay costs. It also reports each proxy's CPU
// time per invocation, from its threads' schedstat.
func BenchmarkInvokeDeployed(b *testing.B) {
	bin := proxyBinary(b)
	direct := fakeapi.New(b)
	targets := []fakeapi.Target{{Name: "direct", API: direct, Base: "http://" + direct.Addr()}}
	var pids []int
	for _, budget := range []int{DefaultInvokeMarkers, 0} {
		api := fakeapi.New(b)
		s, err := startProxyExe(proxySpec{argv: []string{bin}, upstream: api.Addr(), invokeMarkers: budget, exitPipe: true})
		if err != nil {
			b.Fatal(err)
		}
		syscall.Close(s.release) // as the wrapper's exec would: the proxy starts
		b.Cleanup(func() { syscall.Close(s.exitEnd) })
		pids = append(pids, s.pid)
		targets = append(targets, fakeapi.Target{Name: fmt.Sprintf("proxy-markers%d", budget), API: api, Base: "http://" + s.addr})
	}
	// Before/after in one interleaved run: a proxy from an earlier build,
	// started the same way (argv: the binary and its proxy argument).
	if old := os.Getenv(envBenchProxyBaseline); old != "" {
		api := fakeapi.New(b)
		s, err := startProxyExe(proxySpec{argv: strings.Fields(old), upstream: api.Addr(), invokeMarkers: DefaultInvokeMarkers, exitPipe: true})
		if err != nil {
			b.Fatal(err)
		}
		syscall.Close(s.release) // as the wrapper's exec would: the proxy starts
		b.Cleanup(func() { syscall.Close(s.exitEnd) })
		pids = append(pids, s.pid)
		targets = append(targets, fakeapi.Target{Name: "baseline-markers10", API: api, Base: "http://" + s.addr})
	}
	before := make([]int64, len(pids))
	for k, pid := range pids {
		before[k] = cpuNanos(b, pid)
	}
	fakeapi.BenchInvoke(b, targets)
	for k, pid := range pids {
		ns := cpuNanos(b, pid) - before[k]
		b.ReportMetric(float64(ns)/1e3/float64(b.N), targets[k+1].Name+"-cpu-µs/invoke")
	}
}

// pythonInvokeClient times invocations the way Lambda's Python runtime
// client makes them (http.client, one keep-alive connection per API),
// interleaved over the bases given, and prints each base's median µs.
const pythonInvokeClient = `import http.client, sys, time
n = int(sys.argv[1])
conns = [http.client.HTTPConnection(a) for a in sys.argv[2:]]
times = [[] for _ in conns]
def invoke(c):
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse(); r.read()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, b'{"ok":true}')
    c.getresponse().read()
for c in conns:
    invoke(c)
for i in range(n):
    for j in range(len(conns)):
        k = (i + j) % len(conns)
        t = time.perf_counter()
        invoke(conns[k])
        times[k].append(time.perf_counter() - t)
for t in times:
    t.sort()
    print("%.1f" % (t[len(t) // 2] * 1e6))
`

// BenchmarkInvokeDeployedPython is BenchmarkInvokeDeployed with a Python
// http.client runtime client (python3 on PATH) instead of Go's: direct,
// the proxy with the default budget, and the baseline proxy if given.
// b.N invocations per target, all in one Python process.
func BenchmarkInvokeDeployedPython(b *testing.B) {
	py, err := exec.LookPath("python3")
	if err != nil {
		b.Skip("no python3")
	}
	bin := proxyBinary(b)
	names := []string{"direct"}
	direct := fakeapi.New(b)
	direct.AutoEvents = true
	addrs := []string{direct.Addr()}
	proxies := [][]string{{bin}}
	if old := os.Getenv(envBenchProxyBaseline); old != "" {
		proxies = append(proxies, strings.Fields(old))
	}
	for k, argv := range proxies {
		api := fakeapi.New(b)
		api.AutoEvents = true
		s, err := startProxyExe(proxySpec{argv: argv, upstream: api.Addr(), invokeMarkers: DefaultInvokeMarkers, exitPipe: true})
		if err != nil {
			b.Fatal(err)
		}
		syscall.Close(s.release) // as the wrapper's exec would: the proxy starts
		b.Cleanup(func() { syscall.Close(s.exitEnd) })
		addrs = append(addrs, s.addr)
		names = append(names, []string{"proxy", "baseline"}[k])
	}
	b.ResetTimer()
	out, err := exec.Command(py, append([]string{"-c", pythonInvokeClient, strconv.Itoa(b.N)}, addrs...)...).Output()
	b.StopTimer()
	if err != nil {
		b.Fatalf("python client: %v", err)
	}
	meds := strings.Fields(string(out))
	if len(meds) != len(names) {
		b.Fatalf("python client printed %q", out)
	}
	first, _ := strconv.ParseFloat(meds[0], 64)
	for k, name := range names {
		v, _ := strconv.ParseFloat(meds[k], 64)
		b.ReportMetric(v, name+"-µs/invoke")
		if k > 0 {
			b.ReportMetric(v-first, name+"-added-µs/invoke")
		}
	}
}

// envBenchProxyBaseline names, space-separated, a proxy command from an
// earlier build (e.g. "/tmp/old/coldprof-wrapper __coldprof_proxy") that
// BenchmarkInvokeDeployed also times.
const envBenchProxyBaseline = "COLDPROF_BENCH_PROXY_BASELINE"

// cpuNanos is a process's CPU time in ns: the sum over its threads of
// /proc/PID/task/*/schedstat's first field (time on a CPU).
func cpuNanos(b *testing.B, pid int) int64 {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		b.Fatalf("no threads of %d: %v", pid, err)
	}
	var sum int64
	for _, task := range tasks {
		stat, err := os.ReadFile(task)
		if err != nil {
			continue // the thread exited
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(stat))[0], 10, 64)
		sum += ns
	}
	return sum
}
