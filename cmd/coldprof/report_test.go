package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/report"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/*/golden, README.md blocks)")

// TestReportCLI runs "coldprof report" in-process on logs from real
// interpreters (testdata/report/README.md says how each was made) and
// compares stdout and stderr separately with golden files.
func TestReportCLI(t *testing.T) {
	lambda, err := os.ReadFile("testdata/report/lambda.log")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{"table", []string{"testdata/report/lambda.log"}, "", 0},
		{"tree", []string{"--tree", "--min", "500us", "--depth", "3", "--top", "5", "testdata/report/lambda.log"}, "", 0},
		{"markdown", []string{"--format", "markdown", "--tree", "testdata/report/lambda.log"}, "", 0},
		{"json", []string{"--format=json", "testdata/report/lambda.log"}, "", 0},
		{"phase-invoke", []string{"--phase", "invoke", "testdata/report/lambda.log"}, "", 0},
		{"stdin", []string{"--top", "3", "-"}, string(lambda), 0},
		{"two-files", []string{"--top", "3", "testdata/report/lambda.log", "testdata/report/garbled.log"}, "", 0},
		{"pick-cold-start", []string{"--top", "3", "--cold-start", "testdata/report/garbled.log#1", "testdata/report/lambda.log", "testdata/report/garbled.log"}, "", 0},
		{"truncated", []string{"--top", "3", "testdata/report/truncated.log"}, "", 0},
		{"missing-file", []string{"--top", "3", "testdata/report/missing.log", "testdata/report/lambda.log"}, "", 1},
		{"no-profile", []string{"testdata/report/noprofile.log"}, "", 1},
		{"no-profile-beside-one", []string{"--top", "3", "testdata/report/noprofile.log", "testdata/report/lambda.log"}, "", 0},
		{"unknown-cold-start", []string{"--cold-start", "nope", "testdata/report/lambda.log"}, "", 1},
		{"bad-format", []string{"--format", "pdf", "testdata/report/lambda.log"}, "", 2},
		{"bad-phase", []string{"--phase", "warmup", "testdata/report/lambda.log"}, "", 2},
		{"bad-top", []string{"--top", "0", "testdata/report/lambda.log"}, "", 2},
		{"bad-min", []string{"--tree", "--min", "fast", "testdata/report/lambda.log"}, "", 2},
		{"min-without-tree", []string{"--min", "1ms", "testdata/report/lambda.log"}, "", 2},
		// The bundled sample of the README, and an aws logs tail export of two
		// log streams interleaved (testdata/python/README.md).
		{"sample-table", []string{"../../testdata/python/lambda-boto3-numpy-requests.log"}, "", 0},
		{"sample-markdown", []string{"--format", "markdown", "--tree", "--min", "10ms", "--depth", "6", "../../testdata/python/lambda-boto3-numpy-requests.log"}, "", 0},
		{"sample-init-tree", []string{"--phase", "init", "--tree", "--depth", "2", "--top", "5", "../../testdata/python/lambda-boto3-numpy-requests.log"}, "", 0},
		{"tail-aggregate", []string{"--top", "5", "../../testdata/python/tail-detailed.log"}, "", 0},
		{"tail-aggregate-markdown", []string{"--format", "markdown", "--top", "5", "../../testdata/python/tail-detailed.log"}, "", 0},
		{"tail-aggregate-json", []string{"--format", "json", "--phase", "invoke", "../../testdata/python/tail-detailed.log"}, "", 0},
		{"gzip", []string{"--top", "3", "testdata/report/lambda.log.gz"}, "", 0},
		{"bad-input-format", []string{"--input-format", "xml", "testdata/report/lambda.log"}, "", 2},
		{"unknown-flag", []string{"--colour", "testdata/report/lambda.log"}, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(tt.stdin), &stdout, &stderr, append([]string{"report"}, tt.args...))
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			golden(t, filepath.Join("testdata", "report", "golden", tt.name+".stdout"), stdout.Bytes())
			golden(t, filepath.Join("testdata", "report", "golden", tt.name+".stderr"), stderr.Bytes())
		})
	}
}

// TestReportHelp checks that --help teaches: synopsis, flags and an example,
// on stderr, with status 0.
func TestReportHelp(t *testing.T) {
	for _, args := range [][]string{{"report", "--help"}, {"help", "report"}} {
		var stdout, stderr bytes.Buffer
		if code := run(strings.NewReader(""), &stdout, &stderr, args); code != 0 {
			t.Errorf("%v: exit status %d, want 0", args, code)
		}
		if stdout.Len() > 0 {
			t.Errorf("%v: help on stdout %q, want it on stderr", args, stdout.String())
		}
		for _, want := range []string{"Usage: coldprof report", "--format", "--cold-start", "Examples:", "coldprof report testdata/python/"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%v: help lacks %q:\n%s", args, want, stderr.String())
			}
		}
	}
}

// TestReportJSONDecodes checks the CLI's JSON against the schema types and
// the phases the markers in the log define.
func TestReportJSONDecodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(strings.NewReader(""), &stdout, &stderr, []string{"report", "--format", "json", "testdata/report/lambda.log"}); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	var rep report.JSONReport
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != 1 || len(rep.ColdStarts) != 1 {
		t.Fatalf("schemaVersion %d, %d cold starts; want 1, 1", rep.SchemaVersion, len(rep.ColdStarts))
	}
	cs := rep.ColdStarts[0]
	if cs.Boundary != "exact" || cs.Runtime == nil || cs.InitDurationMs == nil {
		t.Errorf("cold start = %+v, want an exact boundary, a runtime and an Init Duration", cs)
	}
	var names []string
	for _, imp := range cs.Imports {
		if imp.Phase == "invoke" {
			names = append(names, imp.Name)
			if imp.RequestID == nil || *imp.RequestID != "8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b" {
				t.Errorf("invoke entry %s has request ID %v", imp.Name, imp.RequestID)
			}
		}
	}
	if diff := cmp.Diff([]string{"csv"}, names); diff != "" {
		t.Errorf("invoke-phase imports (-want +got):\n%s", diff)
	}
}

// TestReportJSONInvariants decodes the JSON of the bundled sample and checks
// design.md's definitions against the imports themselves: a phase's us is
// the sum of its top-level entries' cumulativeUs, its count the number of its
// entries at any depth, and a child shares its root's phase.
func TestReportJSONInvariants(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"report", "--format", "json", "../../testdata/python/lambda-boto3-numpy-requests.log"}
	if code := run(strings.NewReader(""), &stdout, &stderr, args); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	var rep report.JSONReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1", len(rep.ColdStarts))
	}
	cs := rep.ColdStarts[0]
	type total struct {
		us    int64
		count int
	}
	got := map[string]total{}
	var count func(imp report.JSONImport, phase string) int
	count = func(imp report.JSONImport, phase string) int {
		if imp.Phase != phase {
			t.Errorf("%s is in phase %s under a %s root", imp.Name, imp.Phase, phase)
		}
		n := 1
		for _, c := range imp.Children {
			n += count(c, phase)
		}
		return n
	}
	for _, imp := range cs.Imports {
		tt := got[imp.Phase]
		tt.us += imp.CumulativeUs
		tt.count += count(imp, imp.Phase)
		got[imp.Phase] = tt
	}
	want := map[string]total{
		"interpreter": {cs.Phases.Interpreter.Us, cs.Phases.Interpreter.Count},
		"runtime":     {cs.Phases.Runtime.Us, cs.Phases.Runtime.Count},
		"init":        {cs.Phases.Init.Us, cs.Phases.Init.Count},
		"invoke":      {cs.Phases.Invoke.Us, cs.Phases.Invoke.Count},
	}
	for phase, w := range want {
		if got[phase] != w {
			t.Errorf("phase %s: imports add up to %+v, phases say %+v", phase, got[phase], w)
		}
	}
	if cs.Phases.Init.Count == 0 || cs.Phases.Invoke.Count == 0 {
		t.Errorf("phases %+v: want both init and invoke entries in the sample", cs.Phases)
	}
}

// golden compares got with the file at path, or rewrites it under -update
// (removing it when got is empty). A missing golden reads as empty; on a
// mismatch got is left beside it as PATH.got (ignored by git).
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if len(got) == 0 {
			os.Remove(path)
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs (got written to %s.got; go test -update accepts it)\n%s", path, path, cmp.Diff(string(want), string(got)))
	}
}
