//go:build unix

package main

import (
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReportFile runs "coldprof report" end to end (decode, parse,
// aggregate, render) on the export named by COLDPROF_BENCH_FILE, which
// report/BENCHMARKS.md says how to generate (it is ~200 MB, so it is not
// made here). It reports MB/s (wall), MB per CPU-second of the whole
// process, and the largest heap the Go runtime held.
//
//	COLDPROF_BENCH_FILE=/tmp/tail200.txt go test ./cmd/coldprof -run '^$' -bench ReportFile -benchtime 2x
func BenchmarkReportFile(b *testing.B) {
	path := os.Getenv("COLDPROF_BENCH_FILE")
	if path == "" {
		b.Skip("set COLDPROF_BENCH_FILE to a generated export (see report/BENCHMARKS.md)")
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, args := range []struct {
		name string
		args []string
	}{
		{"table", []string{path}},
		{"json", []string{"--format", "json", path}},
	} {
		b.Run(args.name, func(b *testing.B) {
			b.SetBytes(info.Size())
			cpu0 := cpuTime()
			peak := startHeapSampler()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := runReport(nil, io.Discard, io.Discard, args.args); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(info.Size())*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
			b.ReportMetric(float64(peak())/1e6, "peak-heap-MB")
		})
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startHeapSampler samples the heap's live objects every 10 ms until the
// returned function is called, which gives the largest seen.
func startHeapSampler() func() uint64 {
	runtime.GC()
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}
