package wrapper

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// BenchmarkStartHooks measures what finding the hook files costs a start:
// the layer's hook directory (stats only), the wrapper's own copy already
// written under TMPDIR (a later start: the content hash and a check of the
// directory), and the first start that writes it (files, then rename). The
// "runtime" is /bin/true under the name node, so the plan injects the Node.js
// hook; the proxy is off. Variants run interleaved; medians of wall and CPU
// time (user+system of the started PID). Run with -benchtime=200x.
func BenchmarkStartHooks(b *testing.B) {
	bin := wrapperBinary(b)
	dir := b.TempDir()
	node := filepath.Join(dir, "node")
	if err := os.Symlink("/bin/true", node); err != nil {
		b.Fatal(err)
	}
	layer := filepath.Join(dir, "layer-hooks")
	if err := hooks.WriteDir(layer); err != nil {
		b.Fatal(err)
	}
	later := filepath.Join(dir, "tmp-later")
	first := filepath.Join(dir, "tmp-first")
	os.Mkdir(later, 0o700)
	if _, err := hooks.Extract(later); err != nil {
		b.Fatal(err)
	}
	base := []string{"PATH=/usr/bin:/bin", "COLDPROF_PHASES=off", "AWS_LAMBDA_EXEC_WRAPPER=/nonexistent/coldprof-wrapper"}
	type variant struct {
		name    string
		env     []string
		prepare func()
	}
	variants := []variant{
		{"direct", base, nil},
		{"hook-dir", append(base, "COLDPROF_HOOK_DIR="+layer), nil},
		{"own-copy-later", append(base, "TMPDIR="+later), nil},
		{"own-copy-first", append(base, "TMPDIR="+first), func() {
			os.RemoveAll(first)
			os.Mkdir(first, 0o700)
		}},
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	walls := make([][]time.Duration, len(variants))
	cpus := make([][]time.Duration, len(variants))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range variants {
			j := (i + k) % len(variants)
			v := variants[j]
			if v.prepare != nil {
				v.prepare()
			}
			argv := []string{bin, node, "x"}
			if v.name == "direct" {
				argv = []string{node, "x"}
			}
			start := time.Now()
			pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Env: v.env, Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}})
			if err != nil {
				b.Fatal(err)
			}
			var ws syscall.WaitStatus
			var ru syscall.Rusage
			syscall.Wait4(pid, &ws, 0, &ru)
			walls[j] = append(walls[j], time.Since(start))
			cpus[j] = append(cpus[j], time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
			if !ws.Exited() || ws.ExitStatus() != 0 {
				b.Fatalf("%s: %v", v.name, ws)
			}
		}
	}
	b.StopTimer()
	med := func(s []time.Duration) time.Duration {
		s = append([]time.Duration(nil), s...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	for j, v := range variants {
		b.ReportMetric(float64(med(walls[j]).Microseconds()), v.name+"-wall-µs")
		b.ReportMetric(float64(med(cpus[j]).Microseconds()), v.name+"-cpu-µs")
	}
}
