package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/report"
)

// TestReportPyodideCaptures reports on the genuine CPython 3.14 captures
// (Pyodide, testdata/python/pyodide-3.14-*.log) as a user would: no
// warnings, and each request's invoke-imports finding names exactly the
// modules the log shows it importing at the top level between its
// invoke_start and invoke_end markers; Python 3.14's cached look-ups there
// (json, base64, time) are none of them.
func TestReportPyodideCaptures(t *testing.T) {
	for _, name := range []string{"pyodide-3.14-lambda.log", "pyodide-3.14-lambda-cached.log"} {
		t.Run(name, func(t *testing.T) {
			path := "../../testdata/python/" + name
			var stdout, stderr bytes.Buffer
			if code := run(strings.NewReader(""), &stdout, &stderr, []string{"report", "--format", "json", path}); code != 0 {
				t.Fatalf("exit status %d: %s", code, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("warnings: %s", stderr.String())
			}
			var rep report.JSONReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.ColdStarts) != 1 {
				t.Fatalf("%d cold starts", len(rep.ColdStarts))
			}
			got := map[string][]string{}
			for _, f := range rep.ColdStarts[0].Findings {
				if f.ID == report.FindingInvokeImports && f.RequestID != nil {
					got[*f.RequestID] = f.Modules
				}
			}
			// From the log's lines alone.
			want := map[string][]string{}
			start := regexp.MustCompile(`"ev":"invoke_start".*"requestId":"([^"]+)"`)
			top := regexp.MustCompile(`^import time:\s+\d+ \|\s+\d+ \| (\S+)$`)
			cur := ""
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(data), "\n") {
				switch m := start.FindStringSubmatch(l); {
				case m != nil:
					cur = m[1]
				case strings.Contains(l, `"ev":"invoke_end"`):
					cur = ""
				case cur != "":
					if m := top.FindStringSubmatch(l); m != nil {
						want[cur] = append(want[cur], m[1])
					}
				}
			}
			if len(want) != 2 {
				t.Fatalf("the log shows imports in %d requests, want 2", len(want))
			}
			// The finding ranks by time; compare as sets.
			for id := range want {
				slices.Sort(want[id])
				slices.Sort(got[id])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("invoke-imports modules per request (-the log's +the report's):\n%s", diff)
			}
		})
	}
}
