package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command's help is made the same way, from its flag set: a usage
// line, and pflag's flag list under "Flags:". The commands that print a
// report list the same report flags.
func TestHelpEveryCommand(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^Flags.*:\n(\s+(-\w, )?--[a-z-]+.*\n)+`)
	for name, cmd := range commands {
		if cmd.summary == "" {
			continue // hidden
		}
		for _, args := range [][]string{{"help", name}, {name, "--help"}, {name, "-h"}} {
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 || stdout != "" {
				t.Errorf("%q: exit %d, stdout %q", args, code, stdout)
			}
			if !strings.HasPrefix(stderr, "Usage: coldprof "+name) {
				t.Errorf("%q: help does not start with the usage line:\n%s", args, stderr)
			}
			if !flagLine.MatchString(stderr) && name != "version" {
				t.Errorf("%q: no generated flag list:\n%s", args, stderr)
			}
		}
	}
	for _, name := range []string{"report", "run", "logs", "diff"} {
		_, _, help := runCLI(t, "help", name)
		for _, flag := range []string{"--format string", "-o, --output string"} {
			if !strings.Contains(help, flag) {
				t.Errorf("%s --help lacks %s", name, flag)
			}
		}
		if name == "diff" {
			continue // a diff compares two sides; it has no tree, phase or budget
		}
		for _, flag := range []string{"--phase", "--top", "--min", "--depth", "--tree", "--cold-start", "--arch", "--price", "--budget"} {
			if !strings.Contains(help, flag+" ") {
				t.Errorf("%s --help lacks %s", name, flag)
			}
		}
	}
}

// report, run and logs check the report flags the same way, before doing
// anything else (run starts no process, logs calls no AWS API).
func TestReportFlagsCheckedAlike(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "pdf"}, `unknown --format "pdf"; use one of table, json, markdown, html, speedscope, trace, folded`},
		{[]string{"--top", "0"}, "--top must be at least 1, not 0"},
		{[]string{"--min", "2ms"}, "--min and --depth shape the import tree; add --tree"},
		{[]string{"--phase", "warmup"}, `unknown --phase "warmup"`},
		{[]string{"--budget", "init"}, "--budget: "},
		{[]string{"--arch", "sparc"}, `--arch must be x86_64 or arm64, not "sparc"`},
		{[]string{"--price", "-1"}, "--price must not be negative"},
	} {
		for _, cmd := range []string{"report", "run", "logs"} {
			args := append([]string{cmd}, tt.args...)
			if cmd == "report" {
				args = append(args, "testdata/report/lambda.log")
			}
			code, _, stderr := runCLI(t, args...)
			if code != 2 || !strings.Contains(stderr, "coldprof: "+cmd+": "+tt.want) {
				t.Errorf("%q: exit %d, stderr %q; want %q", args, code, stderr, tt.want)
			}
		}
	}
	code, _, stderr := runCLI(t, "diff", "--format", "html", "a", "b")
	if code != 2 || !strings.Contains(stderr, `diff: unknown --format "html"; use one of table, json, markdown`) {
		t.Errorf("diff --format html: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "logs", "--log-group", "g", "--save", "x.json", "--tree")
	if code != 2 || !strings.Contains(stderr, "--save writes the events, --tree shapes a report; choose one") {
		t.Errorf("logs --save --tree: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "run", "--handler", "a.b", "extra", "--", "python3")
	if code != 2 || !strings.Contains(stderr, `unexpected argument "extra": the command to run goes after --`) {
		t.Errorf("run with an argument before --: exit %d, %q", code, stderr)
	}
}

// -o/--output writes what stdout would get to a file, and only when the
// command succeeded: a failed report leaves no file behind.
func TestOutputFlag(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"report", "--format", "json", "testdata/report/lambda.log"},
		{"report", "--format", "html", "testdata/report/lambda.log"},
		{"diff", "testdata/diff/before", "testdata/diff/after"},
		{"insights-query", "--limit", "5"},
	} {
		code, want, stderr := runCLI(t, args...)
		if code != 0 || want == "" {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
		out := filepath.Join(dir, args[0]+".out")
		for _, flag := range []string{"-o", "--output"} {
			os.Remove(out)
			code, stdout, stderr := runCLI(t, append([]string{args[0], flag, out}, args[1:]...)...)
			got, err := os.ReadFile(out)
			if code != 0 || stdout != "" || err != nil || string(got) != want {
				t.Errorf("%q with %s: exit %d, stdout %q, stderr %q, file %v: %d bytes, want %d", args, flag, code, stdout, stderr, err, len(got), len(want))
			}
		}
	}
	out := filepath.Join(dir, "none.txt")
	if code, _, _ := runCLI(t, "report", "-o", out, "testdata/report/noprofile.log"); code != 1 {
		t.Errorf("report of a log without a cold start: exit %d", code)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 || fileExists(out) {
		t.Errorf("a failed report left files behind: %v", entries)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestVersionFlag(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.9.9"
	if code, stdout, _ := runCLI(t, "--version"); code != 0 || !strings.HasPrefix(stdout, "coldprof v9.9.9 ") {
		t.Errorf("--version with a link-time version: exit %d, %q", code, stdout)
	}
}

// insights-query --read opens its input as report does: stdin, and gzip.
func TestInsightsReadOpensLikeReport(t *testing.T) {
	const results = "../../testdata/exports/insights-query-results.json"
	code, want, stderr := runCLI(t, "insights-query", "--read", results)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	path := filepath.Join(t.TempDir(), "results.json.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, got, stderr := runCLI(t, "insights-query", "--read", path); code != 0 || got != want {
		t.Errorf("gzip: exit %d, stderr %q, output differs: %v", code, stderr, got != want)
	}
	var stdout, errb bytes.Buffer
	if code := run(bytes.NewReader(gz.Bytes()), &stdout, &errb, []string{"insights-query", "--read", "-"}); code != 0 || stdout.String() != want {
		t.Errorf("gzip on stdin: exit %d, stderr %q", code, errb.String())
	}
}
