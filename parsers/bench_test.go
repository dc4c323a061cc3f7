package parsers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// benchTargetBytes is the size of the generated aws logs tail files:
// 200 MB, or COLDPROF_BENCH_MB megabytes (to show that peak memory does not
// grow with the input).
func benchTargetBytes() int {
	if mb, err := strconv.Atoi(os.Getenv("COLDPROF_BENCH_MB")); err == nil && mb > 0 {
		return mb * 1e6
	}
	return 200e6
}

var (
	benchMu    sync.Mutex
	benchDir   string
	benchFiles = map[int]string{}
)

// tailFile writes (once per process) a ~200 MB file shaped like
// "aws logs tail --format detailed" output of many cold starts: the real
// lines of the testdata logs, each prefixed with a timestamp and a log
// stream name, with `concurrent` streams interleaved at a time (1: one
// stream after another, as tail --log-stream-names prints one). It lives in
// a temporary directory and is never committed.
func tailFile(b *testing.B, concurrent int) string {
	benchMu.Lock()
	defer benchMu.Unlock()
	if path, ok := benchFiles[concurrent]; ok {
		return path
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "coldprof-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	}
	path := filepath.Join(benchDir, fmt.Sprintf("tail-%d.log", concurrent))
	if err := writeTailFile(path, concurrent); err != nil {
		b.Fatal(err)
	}
	benchFiles[concurrent] = path
	return path
}

// TestMain removes the benchmark file.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func writeTailFile(path string, concurrent int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeTail(f, concurrent, benchTargetBytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeTail writes about target bytes of tail-shaped text to out.
func writeTail(out io.Writer, concurrent, target int) error {
	var sources [][]string
	for _, name := range []string{"lambda-boto3-numpy-requests.log", "lambda-3.12.log", "lambda-3.8.log", "platform-3.12.log"} {
		data, err := os.ReadFile(filepath.Join(pyData, name))
		if err != nil {
			return err
		}
		sources = append(sources, strings.Split(strings.TrimRight(string(data), "\n"), "\n"))
	}
	w := bufio.NewWriterSize(out, 1<<20)
	t := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	written, env := 0, 0
	for written < target {
		// Execution environments that start together: aws logs tail
		// interleaves their events by time.
		type open struct {
			stream string
			lines  []string
		}
		var group []open
		for range concurrent {
			env++
			group = append(group, open{
				stream: fmt.Sprintf("2026/11/22/[$LATEST]%032x", env),
				lines:  sources[env%len(sources)],
			})
		}
		for left := true; left; {
			left = false
			for k := range group {
				for range 2 {
					if len(group[k].lines) == 0 {
						break
					}
					left = true
					t = t.Add(137 * time.Microsecond)
					n, err := fmt.Fprintf(w, "%s %s %s\n", t.Format("2006-01-02T15:04:05.000000+00:00"), group[k].stream, group[k].lines[0])
					if err != nil {
						return err
					}
					written += n
					group[k].lines = group[k].lines[1:]
				}
			}
		}
	}
	return w.Flush()
}

// TestMemoryBounded streams 40 MB of four interleaved tail streams through
// the envelope's decoder and the Reader, generated on the fly and dropped as
// read, and checks that the live heap stays far below the input: bounded by
// the cold starts still starting, not by what was read.
func TestMemoryBounded(t *testing.T) {
	fullTier(t) // reads 40 MB
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTail(pw, 4, 40e6)) }()
	dec, err := envelope.Open(pr, "tail.log", envelope.FormatTail)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(dec, "tail.log", Options{})
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n++; n%100 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n < 500 || len(r.Warnings()) != 0 {
		t.Fatalf("%d cold starts, warnings %v", n, r.Warnings())
	}
	if peak > 10e6 {
		t.Errorf("live heap reached %.1f MB reading 40 MB", float64(peak)/1e6)
	}
	t.Logf("%d cold starts, live heap at most %.1f MB", n, float64(peak)/1e6)
}

// readAllColdStarts parses path with dec and drops each cold start, as a
// streaming consumer would; it returns the count and the peak heap seen.
func readAllColdStarts(b *testing.B, dec envelope.Decoder) (n int, peak uint64) {
	r := NewReader(dec, "tail.log", Options{Warn: func(profile.Warning) {}})
	var ms runtime.MemStats
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, peak
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
		if n%256 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
}

func benchmarkTail(b *testing.B, concurrent int, decode func(io.Reader) envelope.Decoder) {
	path := tailFile(b, concurrent)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	var peak uint64
	var coldStarts int
	cpu := cpuTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n, p := readAllColdStarts(b, decode(f))
		f.Close()
		coldStarts, peak = n, max(peak, p)
	}
	reportCPU(b, info.Size(), cpuTime()-cpu)
	b.ReportMetric(float64(coldStarts), "coldstarts/op")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
}

// cpuTime is the CPU time this process used so far (user + system, all
// threads, GC included). On a shared machine it is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the throughput per CPU-second of the loop.
func reportCPU(b *testing.B, size int64, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

// BenchmarkReaderTailRaw parses a tail file of one stream after another as
// raw text (every line a record, its prefix skipped by the line grammars):
// the parser's own cost, without the envelope's.
func BenchmarkReaderTailRaw(b *testing.B) {
	benchmarkTail(b, 1, func(r io.Reader) envelope.Decoder { return envelope.NewRawText(r) })
}

// BenchmarkReaderTail parses a tail file of four interleaved streams as
// coldprof report does: through the envelope's aws logs tail decoder, one
// builder per log stream.
func BenchmarkReaderTail(b *testing.B) {
	benchmarkTail(b, 4, func(r io.Reader) envelope.Decoder {
		dec, err := envelope.Open(r, "tail.log", envelope.FormatTail)
		if err != nil {
			b.Fatal(err)
		}
		return dec
	})
}

// BenchmarkReaderTailPrefetch is BenchmarkReaderTail with the envelope
// decoding on a goroutine of its own (envelope.WithPrefetch): with -cpu 2,
// decoding and parsing use two cores.
func BenchmarkReaderTailPrefetch(b *testing.B) {
	benchmarkTail(b, 4, func(r io.Reader) envelope.Decoder {
		dec, err := envelope.Open(r, "tail.log", envelope.FormatTail, envelope.WithPrefetch())
		if err != nil {
			b.Fatal(err)
		}
		return dec
	})
}

// BenchmarkGrepCount is the baseline: grep -c 'import time:' over the same
// file, the least any tool can do to find the lines.
func BenchmarkGrepCount(b *testing.B) {
	path := tailFile(b, 4)
	grep, err := exec.LookPath("grep")
	if err != nil {
		b.Skip("grep not installed")
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	var cpu time.Duration
	for b.Loop() {
		cmd := exec.Command(grep, "-c", "import time:", path)
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || n == 0 {
			b.Fatalf("grep -c: %q", out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	reportCPU(b, info.Size(), cpu)
}

// BenchmarkLine measures the per-line loop alone on importtime lines with
// an aws logs tail prefix, the common path.
func BenchmarkLine(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(pyData, "lambda-boto3-numpy-requests.log"))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if bytes.Contains(l, importTimePrefix) && !bytes.Contains(l, []byte("self [us]")) {
			lines = append(lines, append([]byte("2026-11-22T05:00:00.000137+00:00 2026/11/22/[$LATEST]0a1b2c3d4e5f40718293a4b5c6d7e8f9 "), l...))
		}
	}
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	b.SetBytes(size)
	b.ReportAllocs()
	r := NewReader(envelope.NewRawText(strings.NewReader("")), "bench", Options{Warn: func(profile.Warning) {}})
	st := &stream{}
	cpu := cpuTime()
	for b.Loop() {
		for i, l := range lines {
			r.line(st, l, i+1)
		}
		st.cs = nil // drop the cold start, as Next's consumer would
	}
	reportCPU(b, size, cpuTime()-cpu)
}
