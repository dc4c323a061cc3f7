package parsers

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/marker"
)

func TestParseLoadFields(t *testing.T) {
	tests := []struct {
		name    string
		rest    string
		want    loadFields
		kind    fieldsKind
		problem string
	}{
		{"top level", "       123 |       4567 | json", loadFields{self: 123, cumulative: 4567, name: []byte("json")}, fieldsData, ""},
		{"nested", "        38 |         38 |       _stat", loadFields{self: 38, cumulative: 38, name: []byte("_stat"), spaces: 6}, fieldsData, ""},
		{"numbers wider than columns", " 1234567890 | 12345678901 | big", loadFields{self: 1234567890, cumulative: 12345678901, name: []byte("big")}, fieldsData, ""},
		{"CRLF and trailing blanks", "       123 |       4567 |   json.decoder \r", loadFields{self: 123, cumulative: 4567, name: []byte("json.decoder"), spaces: 2}, fieldsData, ""},
		{"unicode name", "         5 |          5 | données", loadFields{self: 5, cumulative: 5, name: []byte("données")}, fieldsData, ""},
		{"negative self (threads)", "    -31059 |       1936 |   string", loadFields{self: -31059, cumulative: 1936, name: []byte("string"), spaces: 2}, fieldsData, ""},
		{"collapsed", " 213 | 213 | simplejson", loadFields{self: 213, cumulative: 213, name: []byte("simplejson"), collapsed: true}, fieldsData, ""},
		{"cached 3.14", " cached    | cached     |     os", loadFields{cached: true, name: []byte("os"), spaces: 4}, fieldsData, ""},
		{"header", " self [us] | cumulative | imported package", loadFields{}, fieldsHeader, ""},
		{"no bars", " garbage", loadFields{}, fieldsMalformed, "no '|' separators"},
		{"cut short", "       543 |      2", loadFields{}, fieldsMalformed, "only one '|' separator (line cut short?)"},
		{"letters", "       12x |         38 | a", loadFields{}, fieldsMalformed, "self time is not a number"},
		{"empty cumulative", "        12 |            | a", loadFields{}, fieldsMalformed, "cumulative time is not a number"},
		{"self above cumulative", "        50 |         38 | a", loadFields{}, fieldsMalformed, "self time exceeds cumulative time"},
		{"no name", "        12 |         38 |    ", loadFields{}, fieldsMalformed, "no module name"},
		{"too many digits", " 1234567890123456789 | 1234567890123456789 | a", loadFields{}, fieldsMalformed, "self time is not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind, problem := parseLoadFields([]byte(tt.rest))
			if kind != tt.kind || problem != tt.problem {
				t.Fatalf("kind, problem = %v, %q; want %v, %q", kind, problem, tt.kind, tt.problem)
			}
			if kind != fieldsData {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(loadFields{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// parse reads text with ReadAll, collecting warnings as strings.
func parse(t *testing.T, text string, opts Options) (*profile.Profile, []string, error) {
	t.Helper()
	p, err := ReadAll(strings.NewReader(text), "in.log", opts)
	if verr := p.CheckValid(); verr != nil {
		t.Fatalf("invalid profile: %v", verr)
	}
	return p, warningStrings(p.Warnings), err
}

// lines joins importtime-shaped lines written compactly: "self cum level name".
func itLines(specs ...string) string {
	var b strings.Builder
	for _, s := range specs {
		if strings.HasPrefix(s, "=") {
			b.WriteString(s[1:] + "\n")
			continue
		}
		var self, cum, level int
		var name string
		if _, err := fmt.Sscan(s, &self, &cum, &level, &name); err != nil {
			panic(s)
		}
		fmt.Fprintf(&b, "import time: %9d | %10d | %*s%s\n", self, cum, level*2, "", name)
	}
	return b.String()
}

const header = "=import time: self [us] | cumulative | imported package"

// TestBadInputs pins every warning to its exact line, and checks what is
// still reported.
// TestParseDataColumns checks the fixed-column reader against the scan on
// lines as CPython prints them, with numbers of every width (past eight
// digits the columns path declines) and with one byte of the number
// columns changed to each value that matters.
func TestParseDataColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	numbers := []int64{0, 1, 9, 10, 99, 12345678, 99999999, 100000000, 1234567890}
	for range 200 {
		numbers = append(numbers, rng.Int64N(100_000_000))
	}
	accepted := 0
	for _, self := range numbers {
		cumulative := self + rng.Int64N(1000)
		line := []byte(fmt.Sprintf(" %9d | %10d | %*s%s", self, cumulative, 2*rng.IntN(12), "", "pkg.mod"))
		variants := [][]byte{line, append(slices.Clone(line), " \r"...), []byte(fmt.Sprintf(" %9d | %10d | %s", cumulative+1, cumulative, "x"))}
		for _, pos := range []int{0, 1, 5, 9, 10, 11, 12, 13, 14, 20, 22, 23, 24, 25} {
			for _, c := range []byte{' ', '0', '9', '/', ':', '|', '\t', '-', 0x80, 0xff} {
				v := slices.Clone(line)
				v[pos] = c
				variants = append(variants, v)
			}
		}
		for _, v := range variants {
			var columns, scan loadFields
			ok := parseDataColumns(v, &columns)
			okScan := parseDataScan(v, &scan)
			if ok {
				accepted++
				if !okScan || !reflect.DeepEqual(columns, scan) {
					t.Fatalf("%q: columns %+v, scan %+v (%v)", v, columns, scan, okScan)
				}
			}
		}
		if self < 100_000_000 && cumulative < 100_000_000 && !parseDataColumns(line, new(loadFields)) {
			t.Errorf("%q: not read by columns", line)
		}
	}
	if accepted < len(numbers) {
		t.Errorf("only %d lines read by columns", accepted)
	}
}

func TestBadInputs(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		warnings  []string
		tree      string // dumpImports of the only cold start; "" to skip
		truncated bool   // checked with tree
	}{
		{
			name:     "malformed numbers",
			in:       itLines(header, "10 10 0 a", "=import time:       12x |         38 | b", "5 5 0 c"),
			warnings: []string{"in.log:3: malformed python-importtime line: self time is not a number"},
			tree:     "  a 10/10 init\n  c 5/5 init\n",
		},
		{
			name:      "line cut short",
			in:        itLines(header, "10 10 1 a", "=import time:       543 |      2"),
			warnings:  []string{"in.log:3: malformed python-importtime line: only one '|' separator (line cut short?)", "in.log:2: cold start in.log#1 ends while imports were still loading: 1 completed entries whose parents never finished are listed at top level"},
			tree:      "  a 10/10 init\n",
			truncated: true,
		},
		{
			name:      "cut in a top-level line",
			in:        itLines(header, "10 10 0 a", "=import time:       543 |      2"),
			warnings:  []string{"in.log:3: malformed python-importtime line: only one '|' separator (line cut short?)"},
			tree:      "  a 10/10 init\n",
			truncated: true,
		},
		{
			name: "odd indentation",
			in:   itLines(header, "=import time:        10 |         10 |    a", "5 15 0 b"),
			warnings: []string{
				`in.log:2: indentation of "a" is an odd number of spaces (3); nesting may be off`,
			},
			tree: "  b 5/15 init\n    a 10/10 init\n",
		},
		{
			name:     "level jump (interleaved threads)",
			in:       itLines(header, "10 10 2 deep", "5 15 0 top"),
			warnings: []string{`in.log:3: nesting of "top" contradicts the times (it adopts entries more than one level deeper): output of several threads or processes is interleaved; the tree below is as printed`},
			tree:     "  top 5/15 init\n    deep 10/10 init\n",
		},
		{
			name:     "times contradict nesting",
			in:       itLines(header, "10 10 1 a", "10 10 1 b", "5 500 0 top"),
			warnings: []string{`in.log:4: nesting of "top" contradicts the times (its cumulative time 500 µs is not its self time 5 µs plus its children's): output of several threads or processes is interleaved; the tree below is as printed`},
		},
		{
			name:     "negative self time",
			in:       itLines(header, "=import time:    -31059 |       1936 | string"),
			warnings: []string{`in.log:2: nesting of "string" contradicts the times (its self time is negative, -31059 µs): output of several threads or processes is interleaved; the tree below is as printed`},
			tree:     "  string 0/1936 init\n",
		},
		{
			name: "new header while imports open",
			in:   itLines(header, "10 10 1 a", header, "7 7 0 b"),
			warnings: []string{
				"in.log:3: a new python-importtime header while 1 entries were still open: output of another process (multiprocessing spawn?) is mixed in; starting a new cold start",
				"in.log:2: cold start in.log#1 ends while imports were still loading: 1 completed entries whose parents never finished are listed at top level",
			},
		},
		{
			name:     "collapsed spaces that do not add up",
			in:       itLines("=import time: 10 | 10 | a", "=import time: 5 | 500 | b"),
			warnings: []string{`in.log:2: indentation is lost and no preceding entries add up to the children's time of "b"; it is kept without children`},
			tree:     "  a 10/10 init\n  b 5/500 init\n",
		},
		{
			name:     "collapsed spaces rebuilt",
			in:       itLines("=import time: 213 | 213 | simplejson", "=import time: 50 | 263 | simplejson.raw_json", "=import time: 7 | 7 | other"),
			tree:     "  simplejson.raw_json 50/263 init\n    simplejson 213/213 init\n  other 7/7 init\n",
			warnings: nil,
		},
		{
			// import json.decoder on 3.13: the real load deep inside json,
			// and a top-level json.decoder line wrapping it (A.3).
			name: "the same name twice",
			in:   itLines(header, "300 300 2 json.decoder", "50 350 1 json", "31 381 0 json.decoder"),
			tree: "  json.decoder 31/381 init\n    json 50/350 init\n      json.decoder 300/300 init\n",
		},
		{
			name:     "malformed marker",
			in:       itLines("=coldprof: {\"v\":1,\"ev\":", "1 1 0 a"),
			warnings: []string{"in.log:1: malformed coldprof marker: marker: malformed JSON object at byte 12"},
		},
		{
			name: "wrapper warning and init error markers",
			in:   itLines(`=coldprof: {"v":1,"ev":"warning","t":1,"msg":"proxy did not start"}`, "1 1 0 a", `=coldprof: {"v":1,"ev":"init_error","t":2,"msg":"Runtime.ImportModuleError"}`),
			warnings: []string{
				"in.log:1: coldprof-wrapper: proxy did not start",
				"in.log:3: the runtime reported an init error: Runtime.ImportModuleError",
			},
		},
		{
			name: "mixed formats",
			in:   itLines("1 1 0 a", "=node require:         2 |          2 | b"),
			warnings: []string{
				"in.log:2: node-require line in a python-importtime cold start",
			},
		},
		{
			name:     "START before any import line",
			in:       itLines("=START RequestId: fake Version: $LATEST", "1 1 0 a", "=END RequestId: real", "=REPORT RequestId: real\tInit Duration: 0.41 ms\tDuration: 3.00 ms\tBilled Duration: 3 ms"),
			warnings: []string{"in.log:1: START line before any import line (the order of the runtime interface emulator and of some log views): the init/invoke boundary of this invocation is unknown; its imports are counted as init"},
			tree:     "  a 1/1 init\n",
		},
		{
			name:     "INIT_START with no import lines",
			in:       itLines("=INIT_START Runtime Version: python:3.12.v7\tRuntime Version ARN: arn", "=START RequestId: r Version: 3", "=END RequestId: r", "=INIT_START Runtime Version: python:3.12.v7", header, "2 2 0 b"),
			warnings: []string{"in.log:1: a cold start with no load-time lines (is the coldprof wrapper set as AWS_LAMBDA_EXEC_WRAPPER, or -X importtime on?)"},
			tree:     "  b 2/2 init\n",
		},
		{
			name:     "wrapper that injected nothing",
			in:       itLines(`=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12"}`, `=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","injected":"-X importtime"}`, "1 1 0 a"),
			warnings: []string{"in.log:1: a cold start with no load-time lines: coldprof-wrapper ran but injected nothing (see its warning marker)"},
			tree:     "  a 1/1 init\n",
		},
		{
			name: "repeated warnings are counted",
			in:   strings.Repeat("import time: x | 1 | a\n", 8) + itLines("1 1 0 ok"),
			warnings: []string{
				"in.log:1: malformed python-importtime line: self time is not a number",
				"in.log:2: malformed python-importtime line: self time is not a number",
				"in.log:3: malformed python-importtime line: self time is not a number",
				"in.log:4: malformed python-importtime line: self time is not a number",
				"in.log:5: malformed python-importtime line: self time is not a number",
				`in.log: 3 more warnings like "malformed python-importtime line: self time is not a number" (the last at in.log:8)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := parse(t, tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if tt.tree != "" {
				if len(p.ColdStarts) != 1 {
					t.Fatalf("got %d cold starts", len(p.ColdStarts))
				}
				if diff := cmp.Diff(tt.tree, dumpImports(p.ColdStarts[0].Imports)); diff != "" {
					t.Errorf("tree (-want +got):\n%s", diff)
				}
				if got := p.ColdStarts[0].Truncated; got != tt.truncated {
					t.Errorf("Truncated = %v, want %v", got, tt.truncated)
				}
			}
		})
	}
}

// TestSplitting checks where one stream is cut into cold starts, and their IDs.
func TestSplitting(t *testing.T) {
	start := `=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler"}`
	initStart := "=INIT_START Runtime Version: python:3.13.mainlinev2.v3\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc"
	tests := []struct {
		name string
		in   string
		want []string // "ID runtime first-line names…"
	}{
		{"one process", itLines(header, "1 1 0 a", "2 2 0 b"), []string{"in.log#1  1 a b"}},
		{"header starts the next", itLines(header, "1 1 0 a", header, "2 2 0 b"), []string{"in.log#1  1 a", "in.log#2  3 b"}},
		{"lines before any header", itLines("1 1 0 a", header, "2 2 0 b"), []string{"in.log#1  1 a", "in.log#2  2 b"}},
		{"start marker introduces the header", itLines(start, header, "1 1 0 a", start, header, "2 2 0 b"), []string{"in.log#1 python3.12 1 a", "in.log#2 python3.12 4 b"}},
		{"INIT_START then start marker", itLines(initStart, start, header, "1 1 0 a", initStart, start, header, "2 2 0 b"), []string{"in.log#1 python3.13 1 a", "in.log#2 python3.13 5 b"}}, // INIT_START's runtime wins
		{"INIT_START alone", itLines(initStart, header, "1 1 0 a", initStart, "2 2 0 b"), []string{"in.log#1 python3.13 1 a", "in.log#2 python3.13 4 b"}},
		{"SnapStart restores", itLines("=RESTORE_START Runtime Version: python:3.12.v7\tRuntime Version ARN: arn", "=RESTORE_START Runtime Version: python:3.12.v7", "=START RequestId: r Version: 1", "=END RequestId: r", "=RESTORE_START Runtime Version: python:3.12.v7", "1 1 0 lazy"), []string{"in.log#1 python3.12 2", "in.log#2 python3.12 5 lazy"}},
		{"execution env hint", itLines(header, "=AWS_EXECUTION_ENV=AWS_Lambda_python3.11", "1 1 0 a"), []string{"in.log#1 python3.11 1 a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := parse(t, tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings: %v", warnings)
			}
			var got []string
			for _, cs := range p.ColdStarts {
				s := fmt.Sprintf("%s %s %d", cs.ID, cs.Runtime, cs.Line)
				for _, imp := range cs.Imports {
					s += " " + imp.Name
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPhasesFromMarkers covers the phase rules on small logs.
func TestPhasesFromMarkers(t *testing.T) {
	in := itLines(
		`=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler"}`,
		header,
		"5 5 0 encodings",
		"3 3 1 os",
		"4 7 0 site",
		"9 9 1 json",
		"20 29 0 awslambdaric.bootstrap",
		"30 30 0 boto3", // the handler's imports: no "app" line
		`=coldprof: {"v":1,"ev":"init_done","t":2}`,
		"2 2 0 late_after_init",
		`=coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}`,
		"8 8 0 pandas",
		"1 1 0 awslambdaric.lambda_literals", // the runtime's lazy import stays runtime
		`=coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"r1","status":"response"}`,
		`=coldprof: {"v":1,"ev":"invoke_start","t":5,"requestId":"r2"}`,
		"6 6 1 xml",
		"7 13 0 xml.dom",
		`=coldprof: {"v":1,"ev":"invoke_end","t":6,"requestId":"r2","status":"response"}`,
	)
	p, warnings, err := parse(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	want := "  encodings 5/5 interpreter\n  site 4/7 interpreter\n    os 3/3 interpreter\n" +
		"  awslambdaric.bootstrap 20/29 runtime\n    json 9/9 runtime\n  boto3 30/30 init\n" +
		"  late_after_init 2/2 invoke\n  pandas 8/8 invoke r1\n  awslambdaric.lambda_literals 1/1 runtime\n" +
		"  xml.dom 7/13 invoke r2\n    xml 6/6 invoke r2\n"
	cs := p.ColdStarts[0]
	if diff := cmp.Diff(want, dumpImports(cs.Imports)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cs.Boundary != profile.BoundaryExact || cs.Handler != "app.handler" {
		t.Errorf("boundary %s handler %q", cs.Boundary, cs.Handler)
	}
	if diff := cmp.Diff([]profile.Invocation{{RequestID: "r1"}, {RequestID: "r2"}}, cs.Invocations); diff != "" {
		t.Errorf("invocations (-want +got):\n%s", diff)
	}
}

// TestInvokeMarkersWithoutInitDone: a log that begins after init (a query
// window, a stream finished early) has invoke markers but no init_done.
// They still place what follows them, but the entries before them may be
// init or an earlier invocation: the boundary is not exact.
func TestInvokeMarkersWithoutInitDone(t *testing.T) {
	in := itLines(
		"4 4 0 before_marker",
		`=coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}`,
		"8 8 0 pandas",
		`=coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"r1","status":"response"}`,
	)
	p, _, err := parse(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	if want := "  before_marker 4/4 init\n  pandas 8/8 invoke r1\n"; dumpImports(cs.Imports) != want {
		t.Errorf("imports:\n%s\nwant:\n%s", dumpImports(cs.Imports), want)
	}
	if cs.Boundary != profile.BoundaryUnknown {
		t.Errorf("boundary %s, want %s", cs.Boundary, profile.BoundaryUnknown)
	}
}

func TestPlatformLines(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		boundary    profile.Boundary
		initMs      float64
		invocations []profile.Invocation
		tree        string
	}{
		{
			name: "Lambda order, prefixed by aws logs tail short format",
			in: itLines(
				"=2026-11-22T05:00:00 INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn",
				"=2026-11-22T05:00:00 import time:        10 |         10 | boto3",
				"=2026-11-22T05:00:01 START RequestId: a-1 Version: $LATEST",
				"=2026-11-22T05:00:01 import time:         4 |          4 | pandas",
				"=2026-11-22T05:00:01 END RequestId: a-1",
				"=2026-11-22T05:00:01 REPORT RequestId: a-1\tDuration: 26.33 ms\tBilled Duration: 27 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 345.75 ms",
				"=2026-11-22T05:00:02 START RequestId: a-2 Version: $LATEST",
				"=2026-11-22T05:00:02 END RequestId: a-2",
				"=2026-11-22T05:00:02 REPORT RequestId: a-2\tDuration: 1.50 ms\tBilled Duration: 2 ms \tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tStatus: timeout",
			),
			boundary: profile.BoundaryPlatform,
			initMs:   345.75,
			invocations: []profile.Invocation{
				{RequestID: "a-1", DurationMs: 26.33, BilledDurationMs: 27, MemorySizeMB: 1024, MaxMemoryUsedMB: 96, Reported: true},
				{RequestID: "a-2", DurationMs: 1.5, BilledDurationMs: 2, MemorySizeMB: 1024, MaxMemoryUsedMB: 96, Status: "timeout", Reported: true},
			},
			tree: "  boto3 10/10 init\n  pandas 4/4 invoke a-1\n",
		},
		{
			name: "runtime interface emulator order",
			in: itLines(
				"=START RequestId: fake-id Version: $LATEST",
				"1 1 0 boto3",
				"2 2 0 pandas",
				"=END RequestId: real-id",
				"=REPORT RequestId: real-id\tInit Duration: 0.41 ms\tDuration: 5.06 ms\tBilled Duration: 6 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t",
				"=START RequestId: second Version: $LATEST",
				"3 3 0 difflib",
				"=END RequestId: second",
			),
			boundary:    profile.BoundaryUnknown, // the second START is trustworthy, but init's end is not known
			initMs:      0.41,
			invocations: []profile.Invocation{{RequestID: "real-id", DurationMs: 5.06, BilledDurationMs: 6, MemorySizeMB: 3008, MaxMemoryUsedMB: 3008, Reported: true}, {RequestID: "second"}},
			tree:        "  boto3 1/1 init\n  pandas 2/2 init\n  difflib 3/3 invoke second\n",
		},
		{
			name: "INIT_REPORT (SnapStart, provisioned concurrency, init errors)",
			in: itLines(
				"=INIT_START Runtime Version: python:3.11.v20\tRuntime Version ARN: arn",
				"1 1 0 boto3",
				"=INIT_REPORT Init Duration: 10020.95 ms\tPhase: init\tStatus: timeout",
				"=REPORT RequestId: x\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tRestore Duration: 511.25 ms\tBilled Restore Duration: 303 ms\t",
			),
			boundary:    profile.BoundaryUnknown,
			initMs:      10020.95,
			invocations: []profile.Invocation{{RequestID: "x", DurationMs: 3000, BilledDurationMs: 3000, Reported: true}},
			tree:        "  boto3 1/1 init\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parse(t, tt.in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cs := p.ColdStarts[0]
			if cs.Boundary != tt.boundary || !cs.HasInitDuration || cs.InitDurationMs != tt.initMs {
				t.Errorf("boundary %s init %v %v; want %s %v", cs.Boundary, cs.HasInitDuration, cs.InitDurationMs, tt.boundary, tt.initMs)
			}
			if diff := cmp.Diff(tt.invocations, cs.Invocations); diff != "" {
				t.Errorf("invocations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.tree, dumpImports(cs.Imports)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMultiLineRecords reads records holding several lines, as JSON exports
// carry multi-line events, with CRLF inside.
func TestMultiLineRecords(t *testing.T) {
	rec := envelope.Record{Stream: "s", Line: 7, Text: []byte(itLines("1 1 1 a", "2 3 0 b", "=END RequestId: r-1", "=REPORT RequestId: r-1\tDuration: 2.00 ms\tInit Duration: 5.00 ms"))}
	rec.Text = bytes.ReplaceAll(bytes.TrimSuffix(rec.Text, []byte("\n")), []byte("\n"), []byte("\r\n"))
	r := NewReader(&sliceDecoder{recs: []envelope.Record{rec}}, "x", Options{})
	cs, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := dumpImports(cs.Imports); got != "  b 2/3 init\n    a 1/1 init\n" {
		t.Errorf("tree %q", got)
	}
	if cs.Imports[0].Line != 8 || len(cs.Invocations) != 1 || cs.Invocations[0].RequestID != "r-1" || cs.InitDurationMs != 5 {
		t.Errorf("line %d, invocations %+v, init %v", cs.Imports[0].Line, cs.Invocations, cs.InitDurationMs)
	}
}

// TestRequireLines reads the Node.js and Ruby hooks' lines, which share
// the importtime grammar under their own prefixes.
func TestRequireLines(t *testing.T) {
	for _, tt := range []struct {
		prefix string
		format profile.Format
	}{{"node require:", profile.FormatNodeRequire}, {"ruby require:", profile.FormatRubyRequire}} {
		t.Run(string(tt.format), func(t *testing.T) {
			in := strings.ReplaceAll(itLines(
				header, "10 10 1 /var/task/node_modules/lodash/lodash.js", "5 15 0 /var/task/index.js",
				"3 3 0 /var/runtime/Runtime.js",
			), "import time:", "2026-11-22T05:00:00.000Z\t"+tt.prefix)
			p, warnings, err := parse(t, in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings: %v", warnings)
			}
			cs := p.ColdStarts[0]
			want := "  /var/task/index.js 5/15 init\n    /var/task/node_modules/lodash/lodash.js 10/10 init\n  /var/runtime/Runtime.js 3/3 runtime\n"
			if diff := cmp.Diff(want, dumpImports(cs.Imports)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if cs.Format != tt.format {
				t.Errorf("format %s, want %s", cs.Format, tt.format)
			}
		})
	}
}

// classLog writes compact class loads as the JVM's class-load log (package
// parsers/classload reads it): "LOAD name micros" is a class whose uptime is
// the previous class's plus that class's micros, so that a class gets its
// own micros when its JVM's next class-load line follows before any phase
// change, and 0 otherwise (the time until the next load is unknown); "JVM
// START" is another JVM's first line, whose uptimes start below every
// earlier JVM's. Other lines are kept.
func classLog(in string) string {
	var b strings.Builder
	var uptimeNs, prevUs int64
	jvms := 0
	for _, line := range strings.SplitAfter(in, "\n") {
		var name string
		var us int64
		switch {
		case strings.HasPrefix(line, "JVM START"):
			jvms++
			uptimeNs, prevUs = int64(1000-jvms)*1e9, 0
			b.WriteString("Picked up JAVA_TOOL_OPTIONS: " + classload.Inject + "\n")
		case strings.HasPrefix(line, "LOAD "):
			if _, err := fmt.Sscanf(line, "LOAD %s %d", &name, &us); err != nil {
				panic(line)
			}
			if uptimeNs == 0 {
				uptimeNs = 1000e9
			}
			uptimeNs += prevUs * 1000
			prevUs = us
			fmt.Fprintf(&b, "[%dns][info][class,load] %s source: jrt:/java.base\n", uptimeNs, name)
		default:
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestGrammarSingleHeldEntry: a grammar's only entry, held back until the
// input ends, is not lost.
func TestGrammarSingleHeldEntry(t *testing.T) {
	p, _, err := parse(t, classLog("LOAD java.lang.Object 5\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dumpImports(p.ColdStarts[0].Imports); got != "  java.lang.Object 0/0 init\n" {
		t.Errorf("got %q", got)
	}
}

func TestGrammarPlugIn(t *testing.T) {
	in := "JVM START\nLOAD java.lang.Object 5\nLOAD lambdainternal.AWSLambda 7\n" +
		`coldprof: {"v":1,"ev":"init_done","t":2}` + "\nLOAD com.example.Handler 3\nJVM START\nLOAD java.lang.String 1\n"
	p, warnings, err := parse(t, classLog(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	var got []string
	for _, cs := range p.ColdStarts {
		got = append(got, fmt.Sprintf("%s %s %s\n%s", cs.ID, cs.Format, cs.Boundary, dumpImports(cs.Imports)))
	}
	want := []string{
		// The last class before init_done, before the next JVM and at the
		// end gets no time: the time until the next load is unknown.
		"in.log#1 java-classload exact\n  java.lang.Object 5/5 interpreter\n  lambdainternal.AWSLambda 0/0 runtime\n  com.example.Handler 0/0 invoke\n",
		"in.log#2 java-classload unknown\n  java.lang.String 0/0 init\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if origin := p.ColdStarts[0].Imports[0].Origin; origin != "jrt:/java.base" {
		t.Errorf("origin %q", origin)
	}
}

// TestTestdataMarkersAreTheRealGrammar checks that the markers the log
// generator printed are exactly what marker.Append writes.
func TestTestdataMarkersAreTheRealGrammar(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(pyData, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			line = bytes.TrimSuffix(line, []byte("\r"))
			obj, ok := marker.Find(line)
			if !ok {
				continue
			}
			ev, err := marker.Parse(line)
			if err != nil {
				t.Errorf("%s: %q: %v", f, line, err)
				continue
			}
			if got := marker.Append(nil, ev); string(got) != marker.Prefix+string(obj)+"\n" {
				t.Errorf("%s: marker %q is not spelled as marker.Append spells it: %q", f, obj, got)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no markers found in testdata")
	}
}

// TestNodeRequireRealLog reads the real output of the Node.js require hook
// (wrapper/hooks, loading @aws-sdk/client-s3) kept in testdata/node.
func TestNodeRequireRealLog(t *testing.T) {
	path := filepath.Join("..", "testdata", "node", "client-s3-require.log")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no Node.js hook log: %v", err)
	}
	p, warnings, err := parse(t, string(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	cs := p.ColdStarts[0]
	if cs.Format != profile.FormatNodeRequire {
		t.Errorf("format %s", cs.Format)
	}
	lines := bytes.Count(data, []byte("node require:")) - bytes.Count(data, []byte("self [us]"))
	if got := countEntries(cs); got != lines {
		t.Errorf("%d entries from %d lines", got, lines)
	}
	checkTimes(t, cs)
}

// TestManyStreams checks that an export of many interleaved streams is
// read with bounded memory: quiet streams whose cold start finished an
// invocation are completed early, and past MaxOpenStreams the least
// recently seen stream is, with a warning only if it was still starting.
func TestManyStreams(t *testing.T) {
	t.Run("quiet after REPORT", func(t *testing.T) {
		var recs []envelope.Record
		add := func(stream, text string) {
			recs = append(recs, envelope.Record{Stream: stream, Line: len(recs) + 1, Text: []byte(text)})
		}
		add("a", "import time:         5 |          5 | boto3")
		add("a", "REPORT RequestId: r1\tDuration: 1.00 ms\tInit Duration: 9.00 ms")
		for i := range idleRecords + idleRecords/4 {
			add("b", fmt.Sprintf("import time:         1 |          1 | m%d", i))
		}
		add("a", "import time:         7 |          7 | late")
		r := NewReader(&sliceDecoder{recs: recs}, "x", Options{})
		var got []string
		for {
			cs, err := r.Next()
			if err != nil {
				break
			}
			got = append(got, fmt.Sprintf("%s %d", cs.ID, len(cs.Imports)))
		}
		if diff := cmp.Diff([]string{"a 1", "b 5120", "a#2 1"}, got); diff != "" {
			t.Errorf("cold starts (-want +got):\n%s", diff)
		}
		want := []string{`x:5123: imports in stream "a" after its cold start was complete (quiet for a long time, or too many streams open at once): reported as a cold start of their own`}
		if diff := cmp.Diff(want, warningStrings(r.Warnings())); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
	})
	t.Run("more than MaxOpenStreams", func(t *testing.T) {
		var recs []envelope.Record
		for i := range 5 {
			recs = append(recs, envelope.Record{Stream: fmt.Sprint("s", i), Line: i + 1, Text: []byte("import time:         1 |          1 |   child")})
		}
		r := NewReader(&sliceDecoder{recs: recs}, "x", Options{MaxOpenStreams: 3})
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		if n != 5 {
			t.Errorf("%d cold starts, want 5", n)
		}
		w := strings.Join(warningStrings(r.Warnings()), "\n")
		if !strings.Contains(w, `x: more than 3 log streams open at once: finished stream "s0" early`) {
			t.Errorf("warnings: %s", w)
		}
	})
}

// sliceDecoder yields prepared records.
type sliceDecoder struct{ recs []envelope.Record }

func (d *sliceDecoder) Next() (envelope.Record, error) {
	if len(d.recs) == 0 {
		return envelope.Record{}, io.EOF
	}
	rec := d.recs[0]
	d.recs = d.recs[1:]
	return rec, nil
}

// TestLineLoopAllocations pins the per-line loop's promise: no allocation
// per line on the common path (blocks and names are shared), only a few per
// cold start.
func TestLineLoopAllocations(t *testing.T) {
	data := readFile(t, "lambda-boto3-numpy-requests.log")
	var lines [][]byte
	for _, l := range strings.Split(data, "\n") {
		if strings.Contains(l, "import time:") && !strings.Contains(l, "self [us]") {
			lines = append(lines, []byte("2026-11-22T05:00:00.000137+00:00 2026/11/22/[$LATEST]0a1b2c3 "+l))
		}
	}
	r := NewReader(&sliceDecoder{}, "x", Options{})
	st := &stream{}
	feed := func() {
		for i, l := range lines {
			r.line(st, l, i+1)
		}
		st.cs = nil
	}
	feed() // fill the name table
	allocs := testing.AllocsPerRun(20, feed)
	if perLine := allocs / float64(len(lines)); perLine > 0.05 {
		t.Errorf("%.0f allocations for %d lines (%.3f per line)", allocs, len(lines), perLine)
	}
}

// TestGrammarBoundary checks that the class-load grammar hands over the
// class it holds back at a phase change, so that it keeps the phase it was
// loaded in, and that the wait until the invocation is no class's time.
func TestGrammarBoundary(t *testing.T) {
	in := "JVM START\nLOAD com.example.Init 4\nLOAD com.example.Handler 5\n" + `coldprof: {"v":1,"ev":"init_done","t":2}` + "\n" +
		`coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}` + "\nLOAD com.example.Lazy 3\nLOAD com.example.Lazier 1\n"
	p, _, err := parse(t, classLog(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "  com.example.Init 4/4 init\n  com.example.Handler 0/0 init\n  com.example.Lazy 3/3 invoke r1\n  com.example.Lazier 0/0 invoke r1\n"
	if diff := cmp.Diff(want, dumpImports(p.ColdStarts[0].Imports)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
