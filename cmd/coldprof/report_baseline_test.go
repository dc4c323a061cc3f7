//go:build unix

package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReportFileMatchesBaseline checks that this build prints what another
// coldprof binary prints (stdout, stderr, exit status) for the export named
// by COLDPROF_BENCH_FILE, in every format and a few options: the check
// that a throughput change kept the output byte-identical on an input too
// large for a golden file. COLDPROF_BASELINE names the other binary (built
// from main, as report/BENCHMARKS.md says); without both it is skipped.
//
//	COLDPROF_BENCH_FILE=/tmp/tail200.txt COLDPROF_BASELINE=/tmp/coldprof-main \
//	  go test ./cmd/coldprof -run ReportFileMatchesBaseline -v
func TestReportFileMatchesBaseline(t *testing.T) {
	path, baseline := os.Getenv("COLDPROF_BENCH_FILE"), os.Getenv("COLDPROF_BASELINE")
	if path == "" || baseline == "" {
		t.Skip("set COLDPROF_BENCH_FILE and COLDPROF_BASELINE (see report/BENCHMARKS.md)")
	}
	for _, args := range [][]string{
		{},
		{"--format", "json"},
		{"--format", "markdown"},
		{"--format", "html"},
		{"--format", "folded"},
		{"--tree", "--format", "json", "--phase", "init", "--depth", "3"},
		{"--phase", "invoke"},
		{"--top", "25", "--budget", "init=1ms", "--budget", "module:email=1ms"},
	} {
		name := strings.Join(args, " ")
		if name == "" {
			name = "table"
		}
		args := append(args, path)
		t.Run(name, func(t *testing.T) {
			var want, got [2]digest
			args = append([]string{"report"}, args...)
			cmd := exec.Command(baseline, args...)
			cmd.Stdout, cmd.Stderr = want[0].init(), want[1].init()
			wantCode := 0
			if err := cmd.Run(); err != nil {
				var exit *exec.ExitError
				if !errors.As(err, &exit) {
					t.Fatal(err)
				}
				wantCode = exit.ExitCode()
			}
			if code := run(strings.NewReader(""), got[0].init(), got[1].init(), args); code != wantCode {
				t.Errorf("exit status %d here, %d from %s", code, wantCode, baseline)
			}
			for i, name := range []string{"stdout", "stderr"} {
				if got[i].String() != want[i].String() {
					t.Errorf("%s differs: %s here, %s from %s", name, &got[i], &want[i], baseline)
				}
			}
		})
	}
}

// A digest counts and hashes what is written to it: the JSON of 200 MB of
// logs is 500 MB, too much to hold twice.
type digest struct {
	h hash.Hash
	n int64
}

func (d *digest) init() io.Writer {
	d.h = sha256.New()
	return d
}

func (d *digest) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return d.h.Write(p)
}

func (d *digest) String() string { return fmt.Sprintf("%d bytes, sha256 %x", d.n, d.h.Sum(nil)) }
