package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/insights"
	"github.com/coldprof/coldprof/report"
)

// TestInsightsPatternMatchesImporttime runs the query's filter and parse
// pattern (Go's RE2 reads Insights' (?<name>…) groups the same way) over
// the -X importtime output of every CPython found here, and checks the
// captures against a plain split of each line on '|'.
func TestInsightsPatternMatchesImporttime(t *testing.T) {
	fullTier(t)
	home, _ := os.UserHomeDir()
	pythons, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions/3.*/bin/python3.[0-9]*"))
	pythons = append(pythons, "/usr/bin/python3")
	filter := regexp.MustCompile(`^import time:\s+\d`)
	parse := regexp.MustCompile(insights.Pattern)
	tried := 0
	for _, py := range pythons {
		if strings.HasSuffix(py, "-config") {
			continue
		}
		out, err := exec.Command(py, "-X", "importtime", "-c", "import json, email.mime.text, asyncio").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("import time:")) {
			continue // 3.6 has no -X importtime
		}
		tried++
		t.Run(py, func(t *testing.T) {
			lines := 0
			for _, line := range strings.Split(string(out), "\n") {
				if !strings.HasPrefix(line, "import time:") {
					continue
				}
				parts := strings.Split(strings.TrimPrefix(line, "import time:"), "|")
				self, selfErr := strconv.Atoi(strings.TrimSpace(parts[0]))
				if selfErr != nil { // the header: "self [us] | cumulative | imported package"
					if filter.MatchString(line) {
						t.Errorf("filter matches the header %q", line)
					}
					continue
				}
				lines++
				cumulative, _ := strconv.Atoi(strings.TrimSpace(parts[1]))
				module := strings.TrimSpace(parts[2])
				m := parse.FindStringSubmatch(line)
				if !filter.MatchString(line) || m == nil {
					t.Errorf("pattern does not match %q", line)
					continue
				}
				got := []string{m[parse.SubexpIndex("self_us")], m[parse.SubexpIndex("cumulative_us")], m[parse.SubexpIndex("module")]}
				want := []string{strconv.Itoa(self), strconv.Itoa(cumulative), module}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%q: (-want +got):\n%s", line, diff)
				}
			}
			if lines < 20 {
				t.Errorf("only %d import lines from %s", lines, py)
			}
		})
	}
	if tried == 0 {
		t.Fatal("no CPython 3.7+ found (pyenv or /usr/bin/python3)")
	}
}

func TestInsightsQueryCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		wantOut    []string // substrings of stdout
		wantStderr string   // substring of stderr
	}{
		{name: "default", args: nil, wantOut: []string{"| parse @message /" + insights.Pattern + "/\n", "by module\n", "| limit 1000\n"}},
		{name: "limit", args: []string{"--limit", "25"}, wantOut: []string{"| limit 25\n"}},
		{name: "bad limit", args: []string{"--limit", "0"}, code: 2, wantStderr: "--limit must be 1 to 10000, not 0"},
		{name: "stray argument", args: []string{"results.json"}, code: 2, wantStderr: `did you mean --read results.json?`},
		{name: "help", args: []string{"--help"}, wantStderr: "aws logs start-query --log-group-name /aws/lambda/FUNCTION"},
		{
			name: "read results",
			args: []string{"--read", "../../testdata/exports/insights-query-results.json"},
			wantOut: []string{
				"Across up to 3012 log streams\n",
				"  computed by:  CloudWatch Logs Insights (coldprof insights-query)\n",
				"  cannot know:  No phases:",
				"a stream that held\n                several cold starts counts once.",
				"| MODULE       | COLD STARTS | SELF MEDIAN | SELF P90 | SELF MAX | CUM MEDIAN |   CUM P90 |   CUM MAX |\n" +
					"+--------------+-------------+-------------+----------+----------+------------+-----------+-----------+\n" +
					"| boto3        |        3012 |     1.50 ms |  2.10 ms |  9.00 ms |  210.04 ms | 260.31 ms | 901.22 ms |\n" +
					"| json.decoder |        2980 |     0.31 ms |  0.46 ms |  2.21 ms |    1.20 ms |   1.79 ms |   8.80 ms |\n",
			},
		},
		{
			name:    "read results as markdown, top 1",
			args:    []string{"--read", "../../testdata/exports/insights-query-results.json", "--format", "markdown", "--top", "1"},
			wantOut: []string{"### Across up to 3012 log streams\n", "- **cannot know:** No phases:", "#### Top 1 modules by median cumulative time\n", "| boto3 | 3012 | 1.50 ms |"},
		},
		{name: "read as html", args: []string{"--read", "x.json", "--format", "html"}, code: 2, wantStderr: `--format "html": the results are an aggregate; use table, markdown or json`},
		{name: "format without read", args: []string{"--format", "json"}, code: 2, wantStderr: "--format and --top shape the report of --read RESULTS.json"},
		{name: "read missing", args: []string{"--read", "nope.json"}, code: 1, wantStderr: "insights-query: open nope.json"},
		{name: "read a row without numbers", args: []string{"--read", "testdata/insights/no-numbers.json"}, code: 1, wantStderr: "row 1 (boto3) lacks some of cold_starts"},
		{name: "read other JSON", args: []string{"--read", "../../testdata/exports/insights.json"}, code: 1, wantStderr: "row 1 has no module field: are these the results of coldprof insights-query?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(""), &stdout, &stderr, append([]string{"insights-query"}, tt.args...))
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if tt.code != 0 && stdout.Len() > 0 {
				t.Errorf("stdout on failure: %s", stdout.String())
			}
		})
	}
}

// TestInsightsReadJSON reads the results back as the JSON aggregate report
// and checks every number and what it says it cannot know.
func TestInsightsReadJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(strings.NewReader(""), &stdout, &stderr, []string{"insights-query", "--read", "../../testdata/exports/insights-query-results.json", "--format", "json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got report.JSONReport
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	want := report.JSONReport{
		SchemaVersion: 1, ColdStarts: []report.JSONColdStart{}, Warnings: []report.JSONWarning{},
		Aggregate: &report.JSONAggregate{
			Count: 3012, Phases: []report.JSONAggPhase{}, Packages: []report.JSONAggRow{}, Slowest: []report.JSONSlowColdStart{},
			Modules: []report.JSONAggRow{
				{Name: "boto3", ColdStarts: 3012, SelfUs: report.JSONStats{Median: 1500, P90: 2100, Max: 9000},
					CumulativeUs: report.JSONStats{Median: 210044, P90: 260310, Max: 901223}},
				// self_p90_us is "455.5" in the results: rounded.
				{Name: "json.decoder", ColdStarts: 2980, SelfUs: report.JSONStats{Median: 310, P90: 456, Max: 2210},
					CumulativeUs: report.JSONStats{Median: 1204, P90: 1790, Max: 8801}},
			},
			Source: "CloudWatch Logs Insights (coldprof insights-query)",
			Limits: insights.Limits,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-want +got):\n%s", diff)
	}
}

// TestInsightsReadRejectsOtherFiles checks that --read refuses what is not
// Logs Insights results (a log, another export, coldprof's own report, an
// empty file) with a message saying what it got and exit status 1, instead
// of an empty report.
func TestInsightsReadRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var own bytes.Buffer
	if code := run(strings.NewReader(""), &own, io.Discard, []string{"report", "--format", "json", "testdata/diff/before/1.log"}); code != 0 {
		t.Fatalf("report: exit %d", code)
	}
	tests := map[string]string{
		write("own.json", own.String()):                      "this is a coldprof JSON report, not the query's results",
		"../../testdata/exports/filter-log-events.json":      "this is a log export (filter-log-events); give it to coldprof report",
		write("empty.json", ""):                              "the file holds no JSON value (it is empty)",
		write("array.json", "[1, 2]"):                        "the file holds a JSON array, not an object",
		write("other.json", `{"name": "x"}`):                 `no "results" field`,
		write("rows.json", `{"results": {"a": 1}}`):          `"results" is not an array of rows`,
		"testdata/diff/before/1.log":                         "it is not JSON",
		write("status.json", `{"results": [], "status": 7}`): `"status" is not a string`,
	}
	for file, want := range tests {
		var stdout, stderr bytes.Buffer
		code := run(strings.NewReader(""), &stdout, &stderr, []string{"insights-query", "--read", file})
		if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "not aws logs get-query-results output") || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want exit 1, no report, and %q", file, code, stdout.Len(), stderr.String(), want)
		}
	}
}
