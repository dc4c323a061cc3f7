package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/report"
)

// TestDiffCLI runs "coldprof diff" in-process on real logs
// (testdata/diff/README.md): five cold starts of a handler importing boto3
// and numpy at init, five of the same handler importing them lazily.
// Timings differ per run, so it checks directions and exit codes.
func TestDiffCLI(t *testing.T) {
	before1, err := os.ReadFile("testdata/diff/before/1.log")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		wantStdout []string
		wantStderr []string
	}{
		{"directories", []string{"testdata/diff/before", "testdata/diff/after"}, "", 0,
			[]string{"5 cold starts", "boto3", "init → invoke", "Mann-Whitney"}, nil},
		{"markdown", []string{"--format", "markdown", "testdata/diff/before/", "testdata/diff/after/"}, "", 0,
			[]string{"### coldprof diff", "| init |", "| boto3 | init → invoke |"}, nil},
		{"single files", []string{"testdata/diff/before/1.log", "testdata/diff/after/1.log"}, "", 0,
			[]string{"1 cold start", "One cold start on a side"}, nil},
		{"stdin before", []string{"-", "testdata/diff/after/2.log"}, string(before1), 0,
			[]string{"coldprof diff: stdin → testdata/diff/after/2.log"}, nil},
		{"gates pass", []string{"--fail-on", "init>+50ms", "--fail-on", "module:boto3>+10s", "--fail-on", "package:botocore>+10s", "testdata/diff/before", "testdata/diff/after"}, "", 0,
			[]string{"Gates", "init>+50ms", "pass"}, nil},
		{"gate fails", []string{"--fail-on", "invoke>+50ms", "--fail-on", "init>+50ms", "testdata/diff/before/1.log", "testdata/diff/after/1.log"}, "", 1,
			[]string{"FAIL"}, []string{"FAIL invoke>+50ms: invoke +", "1 of 2 gates failed"}},
		// Across five cold starts per side invoke grew by more than 50 ms
		// too, but these logs were made on a loaded machine and the growth
		// is within run-to-run spread: the gate passes and says why.
		{"growth within noise passes", []string{"--fail-on", "invoke>+50ms", "testdata/diff/before", "testdata/diff/after"}, "", 0,
			[]string{"over the limit but within run-to-run spread"}, nil},
		{"value gate fails", []string{"--fail-on", "invoke>1ms", "testdata/diff/before/1.log", "testdata/diff/after/1.log"}, "", 1,
			nil, []string{"FAIL invoke>1ms"}},
		{"percent gate fails", []string{"--fail-on", "invoke>+10%", "testdata/diff/before/1.log", "testdata/diff/after/1.log"}, "", 1,
			nil, []string{"FAIL invoke>+10%"}},
		{"bad gate", []string{"--fail-on", "init>50", "testdata/diff/before", "testdata/diff/after"}, "", 2, nil, []string{"not a duration"}},
		{"bad format", []string{"--format", "html", "testdata/diff/before", "testdata/diff/after"}, "", 2, nil, []string{"unknown --format"}},
		{"one argument", []string{"testdata/diff/before"}, "", 2, nil, []string{"want two arguments"}},
		{"both stdin", []string{"-", "-"}, "", 2, nil, []string{"only one of BEFORE and AFTER"}},
		{"missing", []string{"testdata/diff/nope", "testdata/diff/after"}, "", 1, nil, []string{"testdata/diff/nope"}},
		{"no cold start", []string{"testdata/diff/README.md", "testdata/diff/after"}, "", 1, nil, []string{"no cold start found"}},
		{"help", []string{"--help"}, "", 0, nil, []string{"--fail-on 'init>+50ms'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(tt.stdin), &stdout, &stderr, append([]string{"diff"}, tt.args...))
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

// TestDiffCLIJSON checks what the logs were made to show: boto3 and numpy
// moved from init to invoke, so init got faster (standing out from the
// spread of five cold starts per side) and invoke slower.
func TestDiffCLIJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(strings.NewReader(""), &stdout, &stderr, []string{"diff", "--format", "json", "testdata/diff/before", "testdata/diff/after"}); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	var d report.Diff
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Before.ColdStarts != 5 || d.After.ColdStarts != 5 {
		t.Fatalf("cold starts %d and %d, want 5 and 5", d.Before.ColdStarts, d.After.ColdStarts)
	}
	phase := map[string]report.DiffRow{}
	for _, r := range d.Phases {
		phase[r.Name] = r
	}
	if r := phase["init"]; r.Change != report.ChangeFaster || r.Verdict != report.VerdictSignificant {
		t.Errorf("init: %s %s, want significantly faster", r.Change, r.Verdict)
	}
	if r := phase["invoke"]; r.Change != report.ChangeSlower || r.P == nil {
		t.Errorf("invoke: %s, p %v, want slower with a p-value", r.Change, r.P)
	}
	for _, r := range d.Modules {
		if r.Name == "boto3" || r.Name == "numpy" {
			if r.PhaseBefore != "init" || r.PhaseAfter != "invoke" {
				t.Errorf("%s: %s → %s, want init → invoke", r.Name, r.PhaseBefore, r.PhaseAfter)
			}
		}
	}
}

// TestReportBudget runs "coldprof report --budget" on one real cold start
// (init about 760 ms, boto3 about 490 ms in testdata/diff/before/1.log) and
// on five.
func TestReportBudget(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStderr []string
	}{
		{"within budget", []string{"--budget", "init=5s", "--budget", "module:boto3=5s", "testdata/diff/before/1.log"}, 0,
			[]string{"pass init=5s: init (imports in the init phase) ", "pass module:boto3=5s: module boto3 "}},
		{"over budget", []string{"--budget", "init=100ms", "--budget", "total=60s", "testdata/diff/before/1.log"}, 1,
			[]string{"FAIL init=100ms: init ", "pass total=60s", "over budget"}},
		{"medians of many", []string{"--format", "json", "--budget", "init=1ms", "testdata/diff/before/1.log", "testdata/diff/before/2.log",
			"testdata/diff/before/3.log", "testdata/diff/before/4.log", "testdata/diff/before/5.log"}, 1,
			[]string{"FAIL init=1ms: init (imports in the init phase) median ", "of 5 cold starts"}},
		{"absent module", []string{"--budget", "module:nonexistent=5s", "testdata/diff/before/1.log"}, 1,
			[]string{"FAIL module:nonexistent=5s: module nonexistent is in no cold start (of 1): check the name", "over budget"}},
		{"not a duration", []string{"--budget", "init=fast", "testdata/diff/before/1.log"}, 2,
			[]string{`bad gate "init=fast": "fast" is not a duration like 50ms`}},
		{"bad budget", []string{"--budget", "init>+5ms", "testdata/diff/before/1.log"}, 2, []string{"--budget"}},
		{"growth is not a budget", []string{"--budget", "init=+5ms", "testdata/diff/before/1.log"}, 2, []string{"coldprof diff --fail-on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(""), &stdout, &stderr, append([]string{"report"}, tt.args...))
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tt.code != 2 && stdout.Len() == 0 {
				t.Error("no report on stdout")
			}
		})
	}
}

// TestDiffCLIGolden keeps the whole output for the real logs: the Markdown
// a pull request would get, and the table. go test -update rewrites them.
func TestDiffCLIGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"testdata/diff/golden/dirs.md", []string{"--format", "markdown", "--top", "10", "--min", "1ms", "--fail-on", "init>+50ms", "--fail-on", "module:boto3>+20ms", "testdata/diff/before", "testdata/diff/after"}},
		{"testdata/diff/golden/files.txt", []string{"--top", "8", "testdata/diff/before/1.log", "testdata/diff/after/1.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(strings.NewReader(""), &stdout, &stderr, append([]string{"diff"}, tt.args...)); code != 0 {
				t.Fatalf("exit status %d: %s", code, stderr.String())
			}
			golden(t, tt.golden, stdout.Bytes())
		})
	}
}
