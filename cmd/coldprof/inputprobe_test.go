package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportSaysWhyNothingWasFound gives report inputs with no cold start,
// each a different mistake, and checks that each gets its own reason and
// exit status 1 (they all got the same "no -X importtime lines" before).
func TestReportSaysWhyNothingWasFound(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	platformOnly := "START RequestId: 1 Version: $LATEST\nhello\nEND RequestId: 1\nREPORT RequestId: 1\tDuration: 1.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\tInit Duration: 300.00 ms\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(platformOnly))
	zw.Close()
	binary := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00"), bytes.Repeat([]byte{0, 0xff, 0x13}, 100)...)
	var own bytes.Buffer
	if code := run(strings.NewReader(""), &own, &bytes.Buffer{}, []string{"report", "--format", "json", "testdata/report/lambda.log"}); code != 0 {
		t.Fatal("report --format json failed")
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"empty", []string{write("empty.log", nil)}, "it is empty"},
		{"binary", []string{write("a.out", binary)}, "it is binary data, not a log"},
		{"other JSON", []string{write("other.json", []byte(`{"foo": [1, 2, 3], "bar": {"x": 1}}`))}, "it is JSON but holds no log events coldprof reads"},
		{"passwd", []string{write("passwd", []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"))}, "neither Lambda's START/REPORT lines nor load-time lines"},
		{"forced shape", []string{"--input-format", "filter-log-events", write("wrong.json", []byte(`{"foo": 1}`))}, "nothing in it has the shape --input-format filter-log-events names"},
		{"wrapper off", []string{write("off.log", []byte(platformOnly))}, "AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper and the coldprof layer attached, and that its log level"},
		{"wrapper off, gzip", []string{write("off.log.gz", gz.Bytes())}, "coldprof-wrapper did not run"},
		{"insights results", []string{"../../testdata/exports/insights-query-results.json"}, "read them with coldprof insights-query --read ../../testdata/exports/insights-query-results.json"},
		{"own report", []string{write("report.json", own.Bytes())}, "this is a coldprof JSON report, not a log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(""), &stdout, &stderr, append([]string{"report"}, tt.args...))
			if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stdout %d bytes, stderr:\n%s\nwant exit 1 and %q", code, stdout.Len(), stderr.String(), tt.want)
			}
			if !strings.Contains(stderr.String(), "no cold start profile found") {
				t.Errorf("stderr lacks the no-profile error:\n%s", stderr.String())
			}
		})
	}
}

// TestReportReadsDirectory: a directory is read file by file, as diff
// reads one.
func TestReportReadsDirectory(t *testing.T) {
	var dirOut, filesOut, stderr bytes.Buffer
	if code := run(strings.NewReader(""), &dirOut, &stderr, []string{"report", "--format", "json", "testdata/diff/before"}); code != 0 {
		t.Fatalf("report DIR: exit %d: %s", code, stderr.String())
	}
	files, _ := filepath.Glob("testdata/diff/before/*")
	if code := run(strings.NewReader(""), &filesOut, &stderr, append([]string{"report", "--format", "json"}, files...)); code != 0 {
		t.Fatalf("report FILES: exit %d: %s", code, stderr.String())
	}
	if len(files) < 2 || dirOut.String() != filesOut.String() {
		t.Errorf("report of the directory differs from report of its %d files", len(files))
	}
}

// TestWarningsOneLineAndInert: a malformed marker's warning is one line
// with file:line (it was two), and a warning quoting the log cannot send
// escape sequences to the terminal.
func TestWarningsOneLineAndInert(t *testing.T) {
	log, err := os.ReadFile("testdata/report/lambda.log")
	if err != nil {
		t.Fatal(err)
	}
	// A module renamed to carry a window-title escape, for the table.
	log = bytes.ReplaceAll(log, []byte("| encodings\n"), []byte("| encodings\x1b]0;pwned\x07\n"))
	if !bytes.Contains(log, []byte("pwned")) {
		t.Fatal("lambda.log has no encodings import line to rename")
	}
	bad := append([]byte("coldprof: {\"v\":1,\"ev\":\n\x1b]0;pwned\x07import time: self [us] | cumulative | imported\x1b[2J package\n"), log...)
	path := filepath.Join(t.TempDir(), "bad.log")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	run(strings.NewReader(""), &stdout, &stderr, []string{"report", path})
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, path+":") {
			t.Errorf("a stderr line without file:line: %q", line)
		}
		if strings.Contains(line, "malformed coldprof marker") {
			found = strings.Contains(line, " at byte ")
		}
	}
	if !found {
		t.Errorf("no one-line marker warning with its byte:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), `encodings\x1b]0;pwned\x07`) {
		t.Errorf("the renamed module is not in the table, escaped:\n%s", stdout.String())
	}
	if bytes.ContainsAny(stderr.Bytes(), "\x1b\x07") || bytes.ContainsAny(stdout.Bytes(), "\x1b\x07") {
		t.Errorf("escape bytes reached the terminal:\n%q", stderr.String())
	}
}
