package parsers

import (
	"strings"
	"testing"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/google/go-cmp/cmp"
)

// TestLifecycle covers SnapStart, provisioned concurrency, init types and
// the request-ID rules on small logs; testdata/lifecycle holds whole ones.
func TestLifecycle(t *testing.T) {
	const startProxy = `=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler","proxy":true,"initType":"provisioned-concurrency"}`
	const startNoProxy = `=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler"}`
	tests := []struct {
		name     string
		in       string
		check    func(t *testing.T, cs *profile.ColdStart)
		tree     string
		warnings []string
	}{
		{
			name: "a START before init_done moves nothing when the proxy is on",
			in: itLines(startProxy, header, "1 1 0 a", "=START RequestId: r Version: 1", "2 2 0 b",
				`=coldprof: {"v":1,"ev":"init_done","t":2}`, `=coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r"}`, "3 3 0 c",
				`=coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"r"}`, "=END RequestId: r"),
			tree: "  a 1/1 init\n  b 2/2 init\n  c 3/3 invoke r\n",
			check: func(t *testing.T, cs *profile.ColdStart) {
				if cs.Boundary != profile.BoundaryExact || cs.InitType != profile.InitTypeProvisioned {
					t.Errorf("boundary %s init type %q", cs.Boundary, cs.InitType)
				}
			},
		},
		{
			name: "without proxy:true, init_done undoes a START that came before it",
			in: itLines(startNoProxy, header, "1 1 0 a", "=START RequestId: r Version: 1", "2 2 0 b",
				`=coldprof: {"v":1,"ev":"init_done","t":2}`, "=START RequestId: s Version: 1", "3 3 0 c", "=END RequestId: s"),
			tree:     "  a 1/1 init\n  b 2/2 init\n  c 3/3 invoke\n",
			warnings: []string{"in.log:6: a START line came before the init_done marker (platform lines are not ordered exactly with the function's output): the imports after it are counted as init"},
			check: func(t *testing.T, cs *profile.ColdStart) {
				if cs.Boundary != profile.BoundaryExact || len(cs.Invocations) != 1 || cs.Invocations[0].RequestID != "s" {
					t.Errorf("boundary %s invocations %+v", cs.Boundary, cs.Invocations)
				}
			},
		},
		{
			name: "a trusted START that END contradicts is the emulator's: its imports go back to init",
			in: itLines(header, "1 1 0 a", "=START RequestId: fake Version: 1", "2 2 0 b", "=END RequestId: real",
				"=REPORT RequestId: real\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB",
				"=START RequestId: two Version: 1", "3 3 0 c", "=END RequestId: two"),
			tree:     "  a 1/1 init\n  b 2/2 init\n  c 3/3 invoke two\n",
			warnings: []string{"in.log:5: the START line's request ID fake is not the one END/REPORT carry (real), as the runtime interface emulator prints it: the init/invoke boundary of this invocation is unknown; its imports are counted as init"},
			check: func(t *testing.T, cs *profile.ColdStart) {
				want := []profile.Invocation{{RequestID: "real", DurationMs: 5, BilledDurationMs: 5, MemorySizeMB: 128, MaxMemoryUsedMB: 60, Reported: true}, {RequestID: "two"}}
				if diff := cmp.Diff(want, cs.Invocations); diff != "" || cs.Boundary != profile.BoundaryUnknown {
					t.Errorf("boundary %s, invocations (-want +got):\n%s", cs.Boundary, diff)
				}
			},
		},
		{
			name: "a later START that END contradicts: its imports are tied to END's ID",
			in: itLines(header, "1 1 0 a", "=START RequestId: one Version: 1", "=END RequestId: one",
				"=START RequestId: fake Version: 1", "3 3 0 lazy", "=END RequestId: real", "=REPORT RequestId: real\tDuration: 2.00 ms"),
			tree:     "  a 1/1 init\n  lazy 3/3 invoke real\n",
			warnings: []string{"in.log:7: the START line's request ID fake is not the one END/REPORT carry (real), as the runtime interface emulator prints it: its imports are tied to real"},
			check: func(t *testing.T, cs *profile.ColdStart) {
				if cs.Boundary != profile.BoundaryPlatform || len(cs.Invocations) != 2 || cs.Invocations[1].RequestID != "real" {
					t.Errorf("boundary %s invocations %+v", cs.Boundary, cs.Invocations)
				}
			},
		},
		{
			name: "a SnapStart restore: restored marker, RESTORE_REPORT, REPORT's restore fields",
			in: itLines("=RESTORE_START Runtime Version: python:3.12.v7\tRuntime Version ARN: arn", `=coldprof: {"v":1,"ev":"restored","t":2}`,
				"=RESTORE_REPORT Restore Duration: 511.25 ms", "=START RequestId: r Version: 3", `=coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r"}`,
				"1 1 0 lazy", "=END RequestId: r",
				"=REPORT RequestId: r\tDuration: 41.37 ms\tBilled Duration: 42 ms\tMemory Size: 512 MB\tMax Memory Used: 88 MB\tRestore Duration: 600.00 ms\tBilled Restore Duration: 303 ms\t"),
			tree: "  lazy 1/1 invoke r\n",
			check: func(t *testing.T, cs *profile.ColdStart) {
				if !cs.Restored || cs.InitType != profile.InitTypeSnapStart || !cs.HasRestoreDuration || cs.RestoreDurationMs != 511.25 ||
					cs.BilledRestoreDurationMs != 303 || cs.HasInitDuration || cs.Boundary != profile.BoundaryExact {
					t.Errorf("cold start %+v", cs)
				}
			},
		},
		{
			name: "the snapshot's init: init_done via restore, INIT_REPORT",
			in: itLines(startNoProxy, header, "1 1 0 a", `=coldprof: {"v":1,"ev":"init_done","t":2,"via":"restore"}`,
				"=INIT_REPORT Init Duration: 1123.45 ms\tPhase: init\tStatus: success"),
			tree: "  a 1/1 init\n",
			check: func(t *testing.T, cs *profile.ColdStart) {
				want := []profile.InitReport{{DurationMs: 1123.45, HasDuration: true, Phase: "init", Status: "success"}}
				if diff := cmp.Diff(want, cs.InitReports); diff != "" || cs.Restored || cs.InitType != profile.InitTypeSnapStart ||
					cs.InitDurationFrom != profile.InitFromInitReport || len(cs.Invocations) != 0 {
					t.Errorf("init type %q restored %v from %q; INIT_REPORTs (-want +got):\n%s", cs.InitType, cs.Restored, cs.InitDurationFrom, diff)
				}
			},
		},
		{
			name: "Node.js: the runtime client's built-ins are runtime, its ES entry adopts them",
			in: "node require: self [us] | cumulative | imported module\n" +
				"node require:       100 |        100 | node:path\n" +
				"node require:       200 |        200 | node:http\n" +
				"node require:      1000 |       1000 | aws-lambda-ric/index.mjs\n" +
				"node require:        50 |         50 | aws-lambda-ric/rapid-client.node\n" +
				"node require:        30 |         30 |   node:zlib\n" +
				"node require:        40 |         70 | index.mjs\n" +
				"node require:         5 |          5 | node:os\n",
			tree: "  aws-lambda-ric/index.mjs 700/1000 runtime\n    node:path 100/100 runtime\n    node:http 200/200 runtime\n" +
				"  aws-lambda-ric/rapid-client.node 50/50 runtime\n  index.mjs 40/70 init\n    node:zlib 30/30 init\n  node:os 5/5 init\n",
		},
		{
			name: "Ruby: the runtime client's gem is runtime",
			in: "ruby require: self [us] | cumulative | required file\n" +
				"ruby require:        40 |         40 |   aws_lambda_ric/lib/aws_lambda_ric/bootstrap.rb\n" +
				"ruby require:       100 |        140 | aws_lambda_ric/lib/aws_lambda_ric.rb\n" +
				"ruby require:        70 |         70 | handler.rb\n",
			tree: "  aws_lambda_ric/lib/aws_lambda_ric.rb 100/140 runtime\n    aws_lambda_ric/lib/aws_lambda_ric/bootstrap.rb 40/40 runtime\n" +
				"  handler.rb 70/70 init\n",
		},
		{
			name: "a restored environment with no imports is still a cold start",
			in: itLines("=RESTORE_START Runtime Version: java:21.v20\tRuntime Version ARN: arn", "=RESTORE_REPORT Restore Duration: 120.50 ms",
				"=START RequestId: r Version: 3", "=END RequestId: r", "=REPORT RequestId: r\tDuration: 5.00 ms\tBilled Duration: 6 ms\tRestore Duration: 120.50 ms\tBilled Restore Duration: 90 ms"),
			tree: "",
			check: func(t *testing.T, cs *profile.ColdStart) {
				if !cs.Restored || cs.RestoreDurationMs != 120.5 || cs.Runtime != "java21" || len(cs.Invocations) != 1 {
					t.Errorf("cold start %+v", cs)
				}
			},
		},
		{
			// The top-level lines of CPython 3.12.1's -X importtime for
			// python -m awslambdaric (a stand-in package; the real one is on
			// PyPI), children left out: runpy starts the client.
			name: "python -m awslambdaric in a container image",
			in: "import time: self [us] | cumulative | imported package\n" +
				"import time:      7381 |       7381 | site\n" +
				"import time:       110 |        110 | runpy\n" +
				"import time:      1472 |       1472 | awslambdaric\n" +
				"import time:      4964 |       4964 | awslambdaric.bootstrap\n" +
				"import time:       300 |        300 | boto3\n",
			tree: "  site 7381/7381 interpreter\n  runpy 110/110 runtime\n  awslambdaric 1472/1472 runtime\n" +
				"  awslambdaric.bootstrap 4964/4964 runtime\n  boto3 300/300 init\n",
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
			if len(p.ColdStarts) != 1 {
				t.Fatalf("%d cold starts", len(p.ColdStarts))
			}
			cs := p.ColdStarts[0]
			if diff := cmp.Diff(tt.tree, dumpImports(cs.Imports)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, cs)
			}
		})
	}
}

// TestInitTypeFromJSONLog reads initializationType from the JSON log
// format's platform.initStart, through the envelope decoder.
func TestInitTypeFromJSONLog(t *testing.T) {
	in := `{"time":"2026-12-01T09:00:00.000Z","type":"platform.initStart","record":{"initializationType":"provisioned-concurrency","phase":"init","runtimeVersion":"python:3.12.v7","runtimeVersionArn":"arn"}}` + "\n" +
		itLines(header, "1 1 0 a") +
		`{"time":"2026-12-01T09:00:00.813Z","type":"platform.initReport","record":{"initializationType":"provisioned-concurrency","phase":"init","status":"success","metrics":{"durationMs":812.34}}}` + "\n"
	dec, err := envelope.Open(strings.NewReader(in), "in.log", envelope.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadDecoder(dec, "in.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	if cs.InitType != profile.InitTypeProvisioned || cs.InitDurationMs != 812.34 || cs.InitDurationFrom != profile.InitFromInitReport {
		t.Errorf("init type %q, init %v from %q", cs.InitType, cs.InitDurationMs, cs.InitDurationFrom)
	}
}

// TestInitReportWithoutDuration: a platform.initReport of the JSON log
// format without metrics (rewritten "INIT_REPORT\tPhase: …") is still read.
func TestInitReportWithoutDuration(t *testing.T) {
	in := `{"time":"2026-12-01T09:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v7","runtimeVersionArn":"arn"}}` + "\n" +
		itLines(header, "1 1 0 a") +
		`{"time":"2026-12-01T09:00:10.000Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"timeout"}}` + "\n"
	dec, err := envelope.Open(strings.NewReader(in), "in.log", envelope.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadDecoder(dec, "in.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	if len(cs.InitReports) != 1 || cs.InitReports[0].Status != "timeout" || cs.InitReports[0].Phase != "init" || cs.InitReports[0].HasDuration || cs.HasInitDuration {
		t.Errorf("init reports %+v, init duration %v %v", cs.InitReports, cs.InitDurationMs, cs.HasInitDuration)
	}
}
