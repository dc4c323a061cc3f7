package envelope

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/coldprof/coldprof/parsers/envelope/internal/benchgen"
)

// benchDir holds the generated benchmark inputs; TestMain removes it.
var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchInput returns a generated export of the given kind ("tail" or
// "filter-log-events"), COLDPROF_BENCH_MB megabytes large (default 64),
// writing it on first use.
func benchInput(b *testing.B, kind string) (string, int64) {
	b.Helper()
	mb := 64
	if s := os.Getenv("COLDPROF_BENCH_MB"); s != "" {
		var err error
		if mb, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "coldprof-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	}
	path := filepath.Join(benchDir, fmt.Sprintf("%s-%dMB", kind, mb))
	if info, err := os.Stat(path); err == nil {
		return path, info.Size()
	}
	imports, err := benchgen.ImportLines(filepath.Join(exportsDir, "raw.txt"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if kind == "tail" {
		err = benchgen.Tail(f, imports, int64(mb)<<20)
	} else {
		err = benchgen.FilterLogEvents(f, imports, int64(mb)<<20)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, info.Size()
}

// BenchmarkDecode decodes whole exports and reports MB/s, records and the
// memory the Go runtime took from the OS (a high-water mark).
func BenchmarkDecode(b *testing.B) {
	for _, kind := range []string{"tail", "filter-log-events"} {
		b.Run(kind, func(b *testing.B) {
			path, size := benchInput(b, kind)
			b.SetBytes(size)
			b.ResetTimer()
			cpu0 := cpuSeconds()
			records := 0
			for range b.N {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				dec, err := Open(f, path, FormatAuto)
				if err != nil {
					b.Fatal(err)
				}
				records = 0
				for {
					_, err := dec.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					records++
				}
				f.Close()
			}
			b.StopTimer()
			cpu := cpuSeconds() - cpu0
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(records), "records")
			b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
			b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu, "MB/cpu-s")
		})
	}
}

// cpuSeconds is the process's user plus system CPU time: on a shared
// machine wall-clock MB/s understates what one core does.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkGrepCount is the baseline: `grep -c` over the same file.
func BenchmarkGrepCount(b *testing.B) {
	if _, err := exec.LookPath("grep"); err != nil {
		b.Skip("no grep")
	}
	for _, kind := range []string{"tail", "filter-log-events"} {
		b.Run(kind, func(b *testing.B) {
			path, size := benchInput(b, kind)
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				out, err := exec.Command("grep", "-c", "import time", path).Output()
				if err != nil {
					b.Fatal(err, string(out))
				}
			}
		})
	}
}
