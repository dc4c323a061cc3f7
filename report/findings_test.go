package report

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// fimp builds an entry whose self time is its cumulative time minus its
// children's, as the interpreters report them.
func fimp(name string, cumUs int64, phase profile.Phase, children ...*profile.Import) *profile.Import {
	self := cumUs
	for _, c := range children {
		self -= c.CumulativeUs
	}
	return &profile.Import{Name: name, SelfUs: self, CumulativeUs: cumUs, Phase: phase, Children: children}
}

// cached is a Python 3.14 "cached" line: already loaded, no time.
func cached(name string, phase profile.Phase) *profile.Import {
	return &profile.Import{Name: name, Phase: phase, Cached: true}
}

func withRequest(imp *profile.Import, id string) *profile.Import {
	imp.Walk(func(i *profile.Import, _ int) bool { i.RequestID = id; return true })
	return imp
}

func findingsWithID(fs []Finding, id string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

func savings(f Finding) int64 {
	if f.SavingsUs == nil {
		return -1
	}
	return *f.SavingsUs
}

func TestInvokeImportsThreshold(t *testing.T) {
	for _, tc := range []struct {
		name   string
		costUs int64
		reqID  string
		fires  bool
	}{
		{"under 1 ms stays silent", invokeImportsMinUs - 1, "req-1", false},
		{"1 ms fires", invokeImportsMinUs, "req-1", true},
		{"no request ID still fires, and says so", 50_000, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime, Imports: []*profile.Import{
				fimp("json", 3000, profile.PhaseInit),
				withRequest(fimp("pandas", tc.costUs, profile.PhaseInvoke, fimp("pandas.core", tc.costUs/2, profile.PhaseInvoke)), tc.reqID),
			}}
			got := findingsWithID(Findings(cs, FindingOptions{}), FindingInvokeImports)
			if (len(got) == 1) != tc.fires || len(got) > 1 {
				t.Fatalf("got %d invoke-imports findings, want fires=%v: %+v", len(got), tc.fires, got)
			}
			if !tc.fires {
				return
			}
			f := got[0]
			if savings(f) != tc.costUs || f.Basis != BasisMeasured {
				t.Errorf("saving %d (%s), want %d measured", savings(f), f.Basis, tc.costUs)
			}
			if len(f.Modules) != 1 || f.Modules[0] != "pandas" {
				t.Errorf("modules %v, want [pandas] (only top-level invoke entries)", f.Modules)
			}
			switch {
			case tc.reqID != "" && (f.RequestID == nil || *f.RequestID != tc.reqID):
				t.Errorf("requestId %v, want %s", f.RequestID, tc.reqID)
			case tc.reqID == "" && (f.RequestID != nil || len(f.Unseen) == 0):
				t.Errorf("without a request ID: requestId %v, unseen %v; want nil and a note", f.RequestID, f.Unseen)
			}
			if !strings.Contains(f.Action, "global scope") || !strings.Contains(f.Action, "lazy") {
				t.Errorf("action must say both sides: %s", f.Action)
			}
		})
	}
}

// TestInvokeImportsLeavesOutCachedLookups: Python 3.14's cached look-ups
// in a request (genuine output, testdata/python/pyodide-3.14-lambda-cached.log,
// has "json", "base64" and a "time" that _datetime looks up) load nothing:
// they are no module the request imported.
func TestInvokeImportsLeavesOutCachedLookups(t *testing.T) {
	cached := func(name string) *profile.Import {
		imp := withRequest(fimp(name, 0, profile.PhaseInvoke), "req-a")
		imp.Cached = true
		return imp
	}
	cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime, Imports: []*profile.Import{
		cached("base64"),
		withRequest(fimp("difflib", 29_000, profile.PhaseInvoke), "req-a"),
		cached("json"),
		cached("time"),
	}}
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingInvokeImports)
	if len(got) != 1 {
		t.Fatalf("got %d findings: %+v", len(got), got)
	}
	if f := got[0]; len(f.Modules) != 1 || f.Modules[0] != "difflib" || !strings.Contains(f.Title, "importing 1 module ") || len(f.Evidence) != 1 {
		t.Errorf("modules %v, title %q, evidence %v: want difflib alone", f.Modules, f.Title, f.Evidence)
	}
}

func TestInvokeImportsPerRequest(t *testing.T) {
	cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime, Imports: []*profile.Import{
		withRequest(fimp("pandas", 300_000, profile.PhaseInvoke), "req-a"),
		withRequest(fimp("smtplib", 4_000, profile.PhaseInvoke), "req-b"),
		withRequest(fimp("difflib", 2_000, profile.PhaseInvoke), "req-a"),
	}}
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingInvokeImports)
	if len(got) != 2 {
		t.Fatalf("got %d findings, want one per request: %+v", len(got), got)
	}
	if *got[0].RequestID != "req-a" || savings(got[0]) != 302_000 || *got[1].RequestID != "req-b" || savings(got[1]) != 4_000 {
		t.Errorf("got %s %d, %s %d; want req-a 302000, req-b 4000", *got[0].RequestID, savings(got[0]), *got[1].RequestID, savings(got[1]))
	}
}

func TestHeavyGlobalImportThresholds(t *testing.T) {
	for _, tc := range []struct {
		name        string
		pkgUs       int64
		otherUs     int64 // another global import, to set the share
		fires       bool
		wantSavings int64
	}{
		{"under 5 ms stays silent", heavyImportMinUs - 1, 0, false, 0},
		{"5 ms and most of init fires", heavyImportMinUs, 0, true, heavyImportMinUs},
		{"6 ms but under 5 % of init stays silent", 6_000, 200_000, false, 0},
		{"at 5 % of init fires", 10_000, 190_000, true, 10_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imports := []*profile.Import{fimp("heavy", tc.pkgUs, profile.PhaseInit, fimp("heavy.core", tc.pkgUs/2, profile.PhaseInit))}
			if tc.otherUs > 0 {
				imports = append(imports, fimp("other", tc.otherUs, profile.PhaseInit))
			}
			cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime, Handler: "app.handler", Imports: imports}
			var got []Finding
			for _, f := range findingsWithID(Findings(cs, FindingOptions{}), FindingHeavyImport) {
				if f.Modules[0] == "heavy" {
					got = append(got, f)
				}
			}
			if (len(got) == 1) != tc.fires {
				t.Fatalf("got %+v, want fires=%v", got, tc.fires)
			}
			if tc.fires && (savings(got[0]) != tc.wantSavings || got[0].Basis != BasisUpperBound || len(got[0].Unseen) == 0) {
				t.Errorf("saving %d %s unseen %v, want %d upper-bound with what was not seen", savings(got[0]), got[0].Basis, got[0].Unseen, tc.wantSavings)
			}
		})
	}
}

// TestHeavyGlobalImportPython314 checks the exclusive cost against a truth
// computed by hand. The handler imports three packages at global scope:
//
//	alpha 100 ms: alpha.x 20 ms, shared 30 ms (shared.c 10 ms inside it)
//	beta   50 ms: beta.y 10 ms, shared (cached: beta needs it too)
//	gamma   6 ms: alpha.x (cached: gamma needs it too)
//
// Removing alpha leaves shared (beta imports it) and alpha.x (gamma does):
// 100 - 30 - 20 = 50 ms. beta's modules are its own: 50 ms. gamma is 6 ms,
// under 5 % of the 156 ms of imports: silent. All measured (cached lines).
func TestHeavyGlobalImportPython314(t *testing.T) {
	init := profile.PhaseInit
	cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime, Handler: "app.handler", Imports: []*profile.Import{
		fimp("site", 2_000, profile.PhaseInterpreter),
		fimp("alpha", 100_000, init,
			fimp("alpha.x", 20_000, init),
			fimp("shared", 30_000, init, fimp("shared.c", 10_000, init))),
		fimp("beta", 50_000, init, fimp("beta.y", 10_000, init), cached("shared", init)),
		fimp("gamma", 6_000, init, cached("alpha.x", init)),
	}}
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingHeavyImport)
	want := map[string]int64{"alpha": 50_000, "beta": 50_000}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d: %+v", len(got), len(want), got)
	}
	for _, f := range got {
		if w, ok := want[f.Modules[0]]; !ok || savings(f) != w || f.Basis != BasisMeasured {
			t.Errorf("%s: saving %d %s, want %d measured", f.Modules[0], savings(f), f.Basis, want[f.Modules[0]])
		}
	}

	// The same tree as Python 3.13 prints it: no cached lines, so nothing
	// says beta and gamma need alpha's modules; alpha's figure is its
	// whole time, an upper bound.
	cs.Imports[2].Children = cs.Imports[2].Children[:1]
	cs.Imports[3].Children = nil
	for _, f := range findingsWithID(Findings(cs, FindingOptions{}), FindingHeavyImport) {
		if f.Modules[0] == "alpha" && (savings(f) != 100_000 || f.Basis != BasisUpperBound) {
			t.Errorf("3.13 alpha: %d %s, want 100000 upper-bound", savings(f), f.Basis)
		}
	}
}

func TestHeavyGlobalImportLooksThroughTheHandler(t *testing.T) {
	// Node.js: the handler file is the top-level entry; its requires are the global scope.
	init := profile.PhaseInit
	cs := &profile.ColdStart{ID: "t", Format: profile.FormatNodeRequire, Handler: "index.handler", Imports: []*profile.Import{
		fimp("index.js", 90_000, init, fimp("node_modules/lodash/lodash.js", 60_000, init), fimp("node_modules/uuid/index.js", 20_000, init)),
	}}
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingHeavyImport)
	if len(got) != 2 || !strings.HasPrefix(got[0].Title, "lodash") || savings(got[0]) != 60_000 {
		t.Fatalf("got %+v, want lodash 60 ms then uuid", got)
	}
	// Java's class-load times are not costs: never this rule.
	cs.Format = profile.FormatJavaClassLoad
	if got := findingsWithID(Findings(cs, FindingOptions{}), FindingHeavyImport); len(got) != 0 {
		t.Errorf("java: %+v, want none", got)
	}
}

// sampled builds a cold start with one frame table and samples of the
// given stacks (function names, root first; files from the name: "F@file").
type sampleSpec struct {
	stack    []string
	weightUs int64
	phase    profile.Phase
	count    int
}

func sampled(init float64, specs ...sampleSpec) *profile.ColdStart {
	cs := &profile.ColdStart{ID: "s", Format: profile.FormatPythonImporttime, InitDurationMs: init, HasInitDuration: init > 0,
		Sampler: &profile.SamplerInfo{Lang: "python", IntervalUs: 5000, StoppedBy: profile.StoppedByInvokeEnd}}
	frames := map[string]int{}
	t := int64(1_000_000)
	for _, sp := range specs {
		var st []int
		for _, name := range sp.stack {
			fn, file, _ := strings.Cut(name, "@")
			i, ok := frames[name]
			if !ok {
				i = len(cs.Frames)
				frames[name] = i
				cs.Frames = append(cs.Frames, profile.Frame{Function: fn, File: file, Line: 1})
			}
			st = append(st, i)
		}
		cs.Stacks = append(cs.Stacks, st)
		for range sp.count {
			t += sp.weightUs
			cs.Samples = append(cs.Samples, profile.Sample{TimeUs: t, WeightUs: sp.weightUs, Stack: len(cs.Stacks) - 1, Phase: sp.phase})
		}
	}
	return cs
}

const (
	bse = "<frozen importlib._bootstrap_external>"
	bs  = "<frozen importlib._bootstrap>"
)

// compileStack is what the sampler sees while importlib compiles a module
// the handler imports (reference/sampler-notes.md).
var compileStack = []string{"<module>@/var/runtime/bootstrap.py", "main@/var/runtime/bootstrap.py", "import_module@/usr/lib/python3.12/importlib/__init__.py",
	"_find_and_load@" + bs, "exec_module@" + bse, "<module>@/var/task/app.py", "_find_and_load@" + bs,
	"exec_module@" + bse, "get_code@" + bse, "source_to_code@" + bse, "_call_with_frames_removed@" + bs}

// qualnameCompileStack is compileStack as the sampler names frames on
// Python 3.11+ (co_qualname: methods carry their class).
var qualnameCompileStack = []string{"<module>@/var/runtime/bootstrap.py", "main@/var/runtime/bootstrap.py",
	"_find_and_load@" + bs, "_LoaderBasics.exec_module@" + bse, "<module>@/var/task/app.py", "_find_and_load@" + bs,
	"_LoaderBasics.exec_module@" + bse, "SourceLoader.get_code@" + bse, "SourceLoader.source_to_code@" + bse, "_call_with_frames_removed@" + bs}

func TestBytecodeCompileThresholds(t *testing.T) {
	pycLoad := []string{"<module>@/var/task/app.py", "_find_and_load@" + bs, "get_code@" + bse, "_compile_bytecode@" + bse}
	// app.py's next import looking for its file: where a compile's time
	// lands when compile() ends before the sampler's GIL request is forced.
	appImports := compileStack[:7:7]
	nextStat := append(appImports, "_find_and_load_unlocked@"+bs, "_find_spec@"+bs, "find_spec@"+bse, "_path_stat@"+bse)
	childBody := append(appImports, "exec_module@"+bse, "_call_with_frames_removed@"+bs, "<module>@/var/task/lib/m1.py")
	appWork := append(compileStack[:6:6], "load_config@/var/task/app.py")
	otherStat := append(childBody, "_find_and_load@"+bs, "find_spec@"+bse, "_path_stat@"+bse)
	extension := append(appImports, "_load_unlocked@"+bs, "module_from_spec@"+bs, "create_module@"+bse, "_call_with_frames_removed@"+bs)
	for _, tc := range []struct {
		name  string
		specs []sampleSpec
		want  int64 // -1: silent
	}{
		{"one sample of 5 ms fires: a compile stack is proof", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 1}}, 5_000},
		{"one sample under 5 ms does not", []sampleSpec{{compileStack, 4_000, profile.PhaseInit, 1}}, -1},
		{"two samples under 5 ms", []sampleSpec{{compileStack, 2_000, profile.PhaseInit, 2}}, -1},
		{"one compile and its import's stats reach 5 ms", []sampleSpec{{compileStack, 2_000, profile.PhaseInit, 1}, {nextStat, 2_000, profile.PhaseInit, 2}}, 6_000},
		{"stats alone are no evidence", []sampleSpec{{nextStat, 10_000, profile.PhaseInit, 20}}, -1},
		{"two samples of 5 ms fire", []sampleSpec{{compileStack, 2_500, profile.PhaseInit, 2}}, 5_000},
		{"bytecode loaded, not compiled", []sampleSpec{{pycLoad, 5_000, profile.PhaseInit, 100}}, -1},
		{"3.11+ names methods by qualname", []sampleSpec{{qualnameCompileStack, 5_000, profile.PhaseInit, 3}}, 15_000},
		{"the runtime's own compiles are not the function's", []sampleSpec{{compileStack, 5_000, profile.PhaseRuntime, 10}}, -1},
		{"a compile's time on the next import's stat counts", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 1}, {nextStat, 10_000, profile.PhaseInit, 1},
			{compileStack, 5_000, profile.PhaseInit, 1}, {nextStat, 10_000, profile.PhaseInit, 2}}, 40_000},
		{"a stat right after the importer's own work does not", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 2}, {appWork, 50_000, profile.PhaseInit, 1},
			{nextStat, 10_000, profile.PhaseInit, 1}}, 10_000},
		{"module bodies and extension modules do not", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 2}, {childBody, 20_000, profile.PhaseInit, 3},
			{extension, 20_000, profile.PhaseInit, 2}, {nextStat, 10_000, profile.PhaseInit, 1}}, 10_000},
		{"an importer never seen compiling does not", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 2}, {otherStat, 10_000, profile.PhaseInit, 3}}, 10_000},
		{"init and invoke both count", []sampleSpec{{compileStack, 5_000, profile.PhaseInit, 40}, {compileStack, 5_000, profile.PhaseInvoke, 4}, {pycLoad, 5_000, profile.PhaseInit, 10}}, 220_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsWithID(Findings(sampled(1000, tc.specs...), FindingOptions{}), FindingBytecodeCompile)
			if tc.want < 0 {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || savings(got[0]) != tc.want || got[0].Basis != BasisEstimate {
				t.Fatalf("got %+v, want one estimate of %d µs", got, tc.want)
			}
			if !strings.Contains(got[0].Action, "compileall") || got[0].Method == "" {
				t.Errorf("action %q / method %q: want compileall and how it was estimated", got[0].Action, got[0].Method)
			}
			if len(got[0].Functions) == 0 || got[0].Functions[0] != "/var/task/app.py:1 <module>" {
				t.Errorf("importer %v, want the handler module", got[0].Functions)
			}
		})
	}
}

func TestInitCodeHotspotThresholds(t *testing.T) {
	body := []string{"<module>@/var/runtime/bootstrap.py", "_find_and_load@" + bs, "<module>@/var/task/app.py"}
	client := append(append([]string(nil), body...), "client@/opt/boto3/__init__.py", "create_client@/opt/botocore/session.py")
	config := append(append([]string(nil), body...), "load_config@/var/task/app.py")
	anImport := append(append([]string(nil), body...), "_find_and_load@"+bs, "<module>@/opt/numpy/__init__.py")
	for _, tc := range []struct {
		name  string
		init  float64
		specs []sampleSpec
		want  map[string]int64
	}{
		{"12 % of init fires, 4 % does not", 500, []sampleSpec{{client, 5_000, profile.PhaseInit, 12}, {config, 5_000, profile.PhaseInit, 4}}, map[string]int64{"client": 60_000}},
		{"under 10 ms does not fire even at a large share", 50, []sampleSpec{{client, 3_000, profile.PhaseInit, 3}}, map[string]int64{}},
		{"imports are not code", 500, []sampleSpec{{anImport, 5_000, profile.PhaseInit, 50}, {config, 5_000, profile.PhaseInit, 6}}, map[string]int64{"load_config": 30_000}},
		{"invoke samples are not init", 500, []sampleSpec{{client, 5_000, profile.PhaseInvoke, 50}}, map[string]int64{}},
		{"without Init Duration the sampled time is the base", 0, []sampleSpec{{client, 5_000, profile.PhaseInit, 10}, {config, 5_000, profile.PhaseInit, 10}},
			map[string]int64{"client": 50_000, "load_config": 50_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsWithID(Findings(sampled(tc.init, tc.specs...), FindingOptions{}), FindingCodeHotspot)
			have := map[string]int64{}
			for _, f := range got {
				fn := f.Functions[0][strings.LastIndexByte(f.Functions[0], ' ')+1:]
				have[fn] = savings(f)
			}
			if fmt.Sprint(have) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v (create_client is client's own work, not a second finding)", have, tc.want)
			}
		})
	}
}

func TestNetworkInInitThresholds(t *testing.T) {
	runtimeWait := []string{"<module>@/var/runtime/bootstrap.py", "next@/var/runtime/bootstrap.py",
		"HTTPConnectionPool._make_request@/usr/lib/python3/dist-packages/urllib3/connectionpool.py", "SocketIO.readinto@/usr/lib/python3.11/socket.py"}
	importSocket := []string{"<module>@/var/runtime/bootstrap.py", "_find_and_load@" + bs, "<module>@/var/task/app.py",
		"_find_and_load@" + bs, "<module>@/usr/lib/python3.11/socket.py"}
	wait := []string{"<module>@/var/runtime/bootstrap.py", "_find_and_load@" + bs, "<module>@/var/task/app.py", "get_secret@/var/task/app.py", "urlopen@/usr/lib/python3.12/urllib/request.py",
		"create_connection@/usr/lib/python3.12/socket.py", "getaddrinfo@/usr/lib/python3.12/socket.py"}
	tlsSetup := []string{"<module>@/var/runtime/bootstrap.py", "_find_and_load@" + bs, "<module>@/var/task/app.py", "get_secret@/var/task/app.py",
		"create_default_context@/usr/lib/python3.12/ssl.py", "SSLContext.__new__@/usr/lib/python3.12/ssl.py"}
	for _, tc := range []struct {
		name  string
		specs []sampleSpec
		want  int64
	}{
		{"under 5 ms", []sampleSpec{{wait, 1_000, profile.PhaseInit, 4}}, -1},
		{"building a TLS context is CPU, not waiting", []sampleSpec{{tlsSetup, 5_000, profile.PhaseInit, 20}}, -1},
		{"5 ms fires", []sampleSpec{{wait, 1_000, profile.PhaseInit, 5}}, 5_000},
		{"waiting in a request is not init", []sampleSpec{{wait, 5_000, profile.PhaseInvoke, 20}}, -1},
		{"the runtime's own wait for its first event is not the function's", []sampleSpec{{runtimeWait, 5_000, profile.PhaseInit, 20}}, -1},
		{"importing socket is not waiting", []sampleSpec{{importSocket, 5_000, profile.PhaseInit, 20}}, -1},
		{"runtime phase counts (before the first invoke)", []sampleSpec{{wait, 5_000, profile.PhaseRuntime, 2}, {wait, 5_000, profile.PhaseInit, 2}}, 20_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findingsWithID(Findings(sampled(1000, tc.specs...), FindingOptions{}), FindingNetworkInInit)
			if tc.want < 0 {
				if len(got) != 0 {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || savings(got[0]) != tc.want {
				t.Fatalf("got %+v, want %d µs", got, tc.want)
			}
			if len(got[0].Functions) != 1 || got[0].Functions[0] != "/var/task/app.py:1 get_secret" {
				t.Errorf("the call that waited: %v, want the function's own get_secret", got[0].Functions)
			}
		})
	}
}

func TestSampleRulesSurviveDamagedTables(t *testing.T) {
	cs := sampled(100, sampleSpec{compileStack, 5_000, profile.PhaseInit, 3})
	cs.Samples = append(cs.Samples, profile.Sample{Stack: 99, WeightUs: 5000, Phase: profile.PhaseInit}, profile.Sample{Stack: -1})
	cs.Stacks = append(cs.Stacks, []int{0, 1000})
	cs.Samples = append(cs.Samples, profile.Sample{Stack: len(cs.Stacks) - 1, WeightUs: 5000, Phase: profile.PhaseInit})
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingBytecodeCompile)
	if len(got) != 1 || savings(got[0]) != 15_000 {
		t.Errorf("got %+v, want the 3 good samples' 15 ms", got)
	}
}

func TestNodeManyFilesThreshold(t *testing.T) {
	for _, n := range []int{nodeManyFilesMin - 1, nodeManyFilesMin} {
		var files []*profile.Import
		for i := range n {
			files = append(files, fimp(fmt.Sprintf("node_modules/pkg%d/index.js", i%7), 100, profile.PhaseInit))
		}
		// Built-ins are not files.
		files = append(files, fimp("node:fs", 100, profile.PhaseInit), fimp("path", 100, profile.PhaseInit))
		cs := &profile.ColdStart{ID: "n", Format: profile.FormatNodeRequire, Imports: []*profile.Import{fimp("index.js", int64(n+2)*100+500, profile.PhaseInit, files...)}}
		got := findingsWithID(Findings(cs, FindingOptions{}), FindingNodeManyFiles)
		// index.js itself is a file too.
		if fires := n+1 >= nodeManyFilesMin; (len(got) == 1) != fires {
			t.Fatalf("%d files: got %+v, want fires=%v", n+1, got, fires)
		}
		if len(got) == 1 && (!strings.Contains(got[0].Title, fmt.Sprint(n+1)+" files") || got[0].SavingsUs != nil || len(got[0].Unseen) == 0) {
			t.Errorf("%+v: want the count, no saving (the log cannot split resolving from running) and what was not seen", got[0])
		}
	}
	// Python never gets it.
	cs := &profile.ColdStart{Format: profile.FormatPythonImporttime}
	for range 300 {
		cs.Imports = append(cs.Imports, fimp("m/x.js", 1, profile.PhaseInit))
	}
	if got := findingsWithID(Findings(cs, FindingOptions{}), FindingNodeManyFiles); len(got) != 0 {
		t.Errorf("python: %+v", got)
	}
}

func TestJavaCDSThresholds(t *testing.T) {
	for _, tc := range []struct {
		classes, shared int
		fires           bool
	}{
		{javaCDSMinClasses - 1, 0, false},
		{javaCDSMinClasses, javaCDSMinClasses * 2 / 5, true},
		{1000, 499, true},
		{1000, 500, false},
	} {
		var imports []*profile.Import
		for i := range tc.classes {
			origin := "file:/var/task/lib/app.jar"
			if i < tc.shared {
				origin = profile.OriginSharedArchive
			}
			imports = append(imports, &profile.Import{Name: fmt.Sprintf("c.C%d", i), SelfUs: 10, CumulativeUs: 10, Phase: profile.PhaseInit, Origin: origin})
		}
		cs := &profile.ColdStart{Format: profile.FormatJavaClassLoad, Imports: imports}
		got := findingsWithID(Findings(cs, FindingOptions{}), FindingJavaCDS)
		if (len(got) == 1) != tc.fires {
			t.Errorf("%d classes, %d shared: got %+v, want fires=%v", tc.classes, tc.shared, got, tc.fires)
		}
		if len(got) == 1 && (got[0].SavingsUs != nil || !strings.Contains(got[0].Action, "docs.aws.amazon.com")) {
			t.Errorf("%+v: want no saving (class-load times are not costs) and AWS's guide cited", got[0])
		}
	}
}

func TestInitCost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		initMs    float64
		memoryMB  int
		arch      string
		opts      FindingOptions
		wantUSD   float64 // 0: not priced
		nearLimit bool
	}{
		// 1 s × 128 MB = 0.125 GB-s; × $0.0000133334 × 1e6 = $1.666675.
		{"arm64 from the marker", 1000, 128, "arm64", FindingOptions{}, 1.666675, false},
		// 0.5 s × 1024 MB = 0.5 GB-s × $0.0000166667 × 1e6 = $8.33335.
		{"x86_64 from --arch wins", 500, 1024, "arm64", FindingOptions{Arch: "x86_64"}, 8.33335, false},
		{"--price overrides the table", 1000, 2048, "", FindingOptions{PricePerGBSecond: 0.00001}, 20, false},
		{"unknown arch: not priced", 1000, 128, "", FindingOptions{}, 0, false},
		{"unknown memory: not priced", 1000, 0, "arm64", FindingOptions{}, 0, false},
		{"near the 10 s limit", 6000, 128, "x86_64", FindingOptions{}, 6 * 0.125 * 0.0000166667 * 1e6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := &profile.ColdStart{ID: "c", InitDurationMs: tc.initMs, HasInitDuration: true, Arch: tc.arch,
				Invocations: []profile.Invocation{{RequestID: "r1"}, {RequestID: "r2", MemorySizeMB: int64(tc.memoryMB)}}}
			got := findingsWithID(Findings(cs, tc.opts), FindingInitCost)
			if len(got) != 1 {
				t.Fatalf("got %+v, want one init-cost", got)
			}
			f := got[0]
			if tc.wantUSD == 0 {
				if f.USDPerMillion != nil || len(f.Unseen) == 0 {
					t.Errorf("priced %v, unseen %v: want no price and why", f.USDPerMillion, f.Unseen)
				}
			} else if f.USDPerMillion == nil || math.Abs(*f.USDPerMillion-tc.wantUSD) > 1e-6 {
				t.Errorf("price %v, want %.6f", f.USDPerMillion, tc.wantUSD)
			}
			if strings.Contains(f.Title, "of the 10 s limit") != tc.nearLimit {
				t.Errorf("title %q: near limit want %v", f.Title, tc.nearLimit)
			}
		})
	}
	if got := findingsWithID(Findings(&profile.ColdStart{}, FindingOptions{}), FindingInitCost); len(got) != 0 {
		t.Errorf("no init time: %+v, want none", got)
	}
	// Provisioned concurrency bills and limits init otherwise: not priced, no 10 s talk.
	pc := &profile.ColdStart{InitDurationMs: 9000, HasInitDuration: true, Arch: "x86_64", InitType: profile.InitTypeProvisioned,
		Invocations: []profile.Invocation{{MemorySizeMB: 1024}}}
	got := findingsWithID(Findings(pc, FindingOptions{}), FindingInitCost)
	if len(got) != 1 || got[0].USDPerMillion != nil || strings.Contains(got[0].Title, "10 s") {
		t.Errorf("provisioned: %+v, want unpriced and no on-demand limit", got)
	}
	// No initialization type in the log, but a successful INIT_REPORT and no
	// REPORT Init Duration: init ran ahead of requests (report.KindAhead), so
	// neither the on-demand price nor the 10 s limit applies.
	ahead := &profile.ColdStart{InitDurationMs: 9000, HasInitDuration: true, InitDurationFrom: profile.InitFromInitReport, Arch: "x86_64",
		InitReports: []profile.InitReport{{DurationMs: 9000, HasDuration: true, Phase: "init", Status: "success"}},
		Invocations: []profile.Invocation{{MemorySizeMB: 1024}}}
	if KindOf(ahead) != KindAhead {
		t.Fatalf("kind %s, want %s", KindOf(ahead), KindAhead)
	}
	got = findingsWithID(Findings(ahead, FindingOptions{}), FindingInitCost)
	if len(got) != 1 || got[0].USDPerMillion != nil || strings.Contains(got[0].Title, "10 s") {
		t.Errorf("ahead of requests: %+v, want unpriced and no on-demand limit", got)
	}
}

func TestFindingsRanked(t *testing.T) {
	cs := &profile.ColdStart{ID: "r", Format: profile.FormatPythonImporttime, Handler: "app.handler", InitDurationMs: 400, HasInitDuration: true, Imports: []*profile.Import{
		fimp("small", 20_000, profile.PhaseInit),
		fimp("big", 200_000, profile.PhaseInit),
		withRequest(fimp("lazy", 90_000, profile.PhaseInvoke), "r1"),
	}}
	var ids []string
	for _, f := range Findings(cs, FindingOptions{}) {
		ids = append(ids, fmt.Sprintf("%s:%d", f.ID, savings(f)))
	}
	want := "heavy-global-import:200000 invoke-imports:90000 heavy-global-import:20000 init-cost:-1"
	if strings.Join(ids, " ") != want {
		t.Errorf("order %s, want %s", strings.Join(ids, " "), want)
	}
}

func TestFindingsAggregateMedian(t *testing.T) {
	a := NewFindingsAggregate(FindingOptions{})
	for _, cost := range []int64{10_000, 30_000, 20_000} {
		a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime, Imports: []*profile.Import{fimp("boto3", cost, profile.PhaseInit)}})
	}
	a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime}) // fired in 3 of 4
	got := a.Findings()
	if len(got) != 1 || savings(got[0]) != 20_000 || !strings.HasPrefix(got[0].Evidence[0], "fired in 3 of 4 cold starts") {
		t.Fatalf("got %+v, want boto3's median 20 ms, fired in 3 of 4", got)
	}
}

// TestHTMLFindingsPanel: the page carries each cold start's findings, with
// the modules a click highlights, and the panel the script fills.
func TestHTMLFindingsPanel(t *testing.T) {
	cs := &profile.ColdStart{ID: "h", Format: profile.FormatPythonImporttime, Boundary: profile.BoundaryExact, Imports: []*profile.Import{
		fimp("boto3", 200_000, profile.PhaseInit, fimp("botocore", 150_000, profile.PhaseInit)),
	}}
	var buf strings.Builder
	if err := WriteHTML(&buf, &profile.Profile{ColdStarts: []*profile.ColdStart{cs}}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{`<ol id="findings"`, `"findings":[{"id":"heavy-global-import"`, `"modules":["boto3"]`, "function showFindings()"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// FuzzFindings feeds the rules cold starts built from arbitrary bytes
// (frame tables, stacks with any indices, samples, imports): no panic,
// and every finding has an id, a title, a basis and an action.
func FuzzFindings(f *testing.F) {
	f.Add([]byte("\x03\x01\x02\x00\x05\x09\xff"), "get_code", 500.0)
	f.Add([]byte{}, "", 0.0)
	f.Add([]byte("\x00\x00\x00\x00"), "SourceLoader.source_to_code", -1.0)
	f.Fuzz(func(t *testing.T, data []byte, name string, initMs float64) {
		names := []string{name, "<module>", "_find_and_load", "get_code", "source_to_code", "getaddrinfo", "Module._load"}
		files := []string{"<frozen importlib._bootstrap_external>", "/usr/lib/python3.12/socket.py", "node:net", "/var/task/app.py"}
		cs := &profile.ColdStart{ID: "f", Format: profile.FormatPythonImporttime, InitDurationMs: initMs, HasInitDuration: initMs != 0,
			Invocations: []profile.Invocation{{MemorySizeMB: int64(len(data))}}, Arch: "arm64"}
		phases := profile.Phases
		for i, b := range data {
			switch b % 4 {
			case 0:
				cs.Frames = append(cs.Frames, profile.Frame{Function: names[int(b)%len(names)], File: files[int(b)%len(files)], Line: i})
			case 1:
				var st []int
				for _, c := range data[i:min(len(data), i+int(b%8))] {
					st = append(st, int(c)-3)
				}
				cs.Stacks = append(cs.Stacks, st)
			case 2:
				cs.Samples = append(cs.Samples, profile.Sample{WeightUs: int64(b) * 1000, Stack: int(b%16) - 2, Phase: phases[int(b)%len(phases)]})
			default:
				imp := fimp(names[int(b)%len(names)], int64(b)*100, phases[int(b)%len(phases)])
				imp.Cached = b%8 == 3
				cs.Imports = append(cs.Imports, imp)
			}
		}
		a := NewFindingsAggregate(FindingOptions{})
		for _, fs := range [][]Finding{a.Add(cs), a.Findings()} {
			for _, fd := range fs {
				if fd.ID == "" || fd.Title == "" || fd.Basis == "" || fd.Action == "" {
					t.Fatalf("incomplete finding %+v", fd)
				}
			}
		}
	})
}

// TestFindingsAggregateCountsEveryFiring: the aggregate keeps at most 1000
// findings per group, but how often a finding fired must count them all.
func TestFindingsAggregateCountsEveryFiring(t *testing.T) {
	const n = 1500
	a := NewFindingsAggregate(FindingOptions{})
	for i := 0; i < n; i++ {
		a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime, HasInitDuration: true, InitDurationMs: 800,
			Imports: []*profile.Import{withRequest(fimp("pandas", 20_000, profile.PhaseInvoke), fmt.Sprintf("req-%d", i))}})
	}
	want := fmt.Sprintf("fired in %d of %d cold starts", n, n)
	for _, id := range []string{FindingInitCost, FindingInvokeImports} {
		got := findingsWithID(a.Findings(), id)
		if len(got) != 1 || !strings.HasPrefix(got[0].Evidence[0], want) {
			t.Fatalf("%s: got %+v, want evidence starting %q", id, got, want)
		}
		if id == FindingInvokeImports && !strings.Contains(got[0].Title, fmt.Sprintf("median of %d cold starts", n)) {
			t.Errorf("%s title %q, want median of %d cold starts", id, got[0].Title, n)
		}
	}
}

// TestBytecodeRuleStackWithoutImporter: a stack whose outermost frame is
// importlib's own (a truncated or hostile stack) has no importer; the rule
// must skip it, not index the stack at -1.
func TestBytecodeRuleStackWithoutImporter(t *testing.T) {
	bs, bse := "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"
	cs := &profile.ColdStart{ID: "t", Format: profile.FormatPythonImporttime,
		Frames: []profile.Frame{{Function: "_find_and_load", File: bs}, {Function: "get_code", File: bse}, {Function: "source_to_code", File: bse}},
		Stacks: [][]int{{0, 1, 2}, {0}},
		Samples: []profile.Sample{
			{Stack: 0, WeightUs: 6_000, Phase: profile.PhaseInit},
			{Stack: 1, WeightUs: 6_000, Phase: profile.PhaseInit},
		}}
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingBytecodeCompile)
	if len(got) != 1 || savings(got[0]) != 6_000 {
		t.Errorf("got %+v, want the compile sample's 6 ms", got)
	}
}

// TestSamplerUnseenWithoutDrops: a sampler whose lines end without an end
// line is truncated with nothing counted as dropped; the finding must say
// so, not that 0 samples were lost to the line bound.
func TestSamplerUnseenWithoutDrops(t *testing.T) {
	body := []string{"<module>@/var/runtime/bootstrap.py", "_find_and_load@" + bs, "<module>@/var/task/app.py", "load_config@/var/task/app.py"}
	cs := sampled(500, sampleSpec{body, 5_000, profile.PhaseInit, 12})
	cs.Sampler.Truncated, cs.Sampler.Dropped, cs.Sampler.StoppedBy = true, 0, ""
	got := findingsWithID(Findings(cs, FindingOptions{}), FindingCodeHotspot)
	if len(got) != 1 {
		t.Fatalf("got %+v, want one hotspot", got)
	}
	unseen := strings.Join(got[0].Unseen, "; ")
	if strings.Contains(unseen, "0 samples") || !strings.Contains(unseen, "end line") {
		t.Errorf("unseen %q: want the missing end line named, not 0 dropped samples", unseen)
	}
}

// TestFindingsAggregateOneFindingPerRule: a rule that fires once per cold
// start (here python-bytecode-compile) is one finding of the aggregate,
// however its evidence ranks the importers in each cold start; a finding
// naming the same modules in another order is the same finding.
func TestFindingsAggregateOneFindingPerRule(t *testing.T) {
	libStack := append([]string(nil), compileStack...)
	libStack[5] = "<module>@/var/task/lib.py"
	a := NewFindingsAggregate(FindingOptions{})
	a.Add(sampled(1000, sampleSpec{compileStack, 5_000, profile.PhaseInit, 3}, sampleSpec{libStack, 5_000, profile.PhaseInit, 1}))
	a.Add(sampled(1000, sampleSpec{compileStack, 5_000, profile.PhaseInit, 1}, sampleSpec{libStack, 5_000, profile.PhaseInit, 3}))
	for _, imports := range [][]*profile.Import{
		{withRequest(fimp("pandas", 20_000, profile.PhaseInvoke), "r1"), withRequest(fimp("numpy", 10_000, profile.PhaseInvoke), "r1")},
		{withRequest(fimp("pandas", 10_000, profile.PhaseInvoke), "r2"), withRequest(fimp("numpy", 20_000, profile.PhaseInvoke), "r2")},
	} {
		a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime, Imports: imports})
	}
	for _, id := range []string{FindingBytecodeCompile, FindingInvokeImports} {
		if got := findingsWithID(a.Findings(), id); len(got) != 1 || !strings.HasPrefix(got[0].Evidence[0], "fired in 2 of 4 cold starts") {
			t.Errorf("%s: got %d findings %+v, want one that fired in 2 of 4", id, len(got), got)
		}
	}
}

// TestInvokeImportsNotForJava: a class's time in the class-load log is the
// time to the next class load (during a request, the handler's own work
// too), not what loading it cost: no "measured" import cost for Java.
func TestInvokeImportsNotForJava(t *testing.T) {
	cs := &profile.ColdStart{Format: profile.FormatJavaClassLoad, Imports: []*profile.Import{
		withRequest(fimp("example.LazyThing", 40_000, profile.PhaseInvoke), "r1"),
		withRequest(fimp("example.Other", 20_000, profile.PhaseInvoke), "r1"),
	}}
	if got := findingsWithID(Findings(cs, FindingOptions{}), FindingInvokeImports); len(got) != 0 {
		t.Errorf("got %+v, want none: class-load times are not costs", got)
	}
}

// TestFindingsAggregateRepresentativePastTheKeptOnes: past 1000 firings the
// finding shown is still the median cold start's (here it fires after the
// first 1000), its own figures agree with the median saving, and the group
// keeps a bounded sample. With savings and without (init-cost).
func TestFindingsAggregateRepresentativePastTheKeptOnes(t *testing.T) {
	const early, late = 1000, 1001 // the median (lower, nearest rank) is the first late one
	a := NewFindingsAggregate(FindingOptions{})
	for i := range early + late {
		cost, initMs := int64(10_000+i), 100.0
		if i >= early {
			cost, initMs = int64(100_000+i), 900
		}
		a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime, HasInitDuration: true, InitDurationMs: initMs,
			Imports: []*profile.Import{fimp("boto3", cost, profile.PhaseInit)}})
	}
	heavy := findingsWithID(a.Findings(), FindingHeavyImport)
	if len(heavy) != 1 {
		t.Fatalf("heavy-global-import: %+v, want one", heavy)
	}
	if got, want := savings(heavy[0]), int64(100_000+early); got != want {
		t.Errorf("median saving %d, want %d", got, want)
	}
	if want := formatMs(100_000 + early); !strings.Contains(heavy[0].Title, want) || strings.Contains(heavy[0].Evidence[0], "nearest") {
		t.Errorf("shown %q (%q), want the median cold start's finding, costing %s", heavy[0].Title, heavy[0].Evidence[0], want)
	}
	cost := findingsWithID(a.Findings(), FindingInitCost)
	if len(cost) != 1 || cost[0].InitUs == nil || *cost[0].InitUs != 900_000 || !strings.Contains(cost[0].Evidence[0], "shown for the median one") {
		t.Errorf("init-cost: %+v, want the median cold start's, init 900 ms", cost)
	}
	for key, g := range a.groups {
		if len(g.kept) > maxKeptFindings {
			t.Errorf("group %q keeps %d findings, more than %d", key, len(g.kept), maxKeptFindings)
		}
	}
}

// TestFindingsAggregateRepresentativeAtAnyCount: whatever the count, the
// finding shown is a real cold start's whose own figure is in its title,
// the median one when it was kept, else the nearest kept, and then its
// evidence says so.
func TestFindingsAggregateRepresentativeAtAnyCount(t *testing.T) {
	sawNearest := false
	for _, n := range []int{1, 2, 999, 1000, 1001, 2000, 2001, 4097} {
		a := NewFindingsAggregate(FindingOptions{})
		var all []int64
		for i := range n {
			cost := int64(10_000 + (i*7919)%n*10) // distinct, in a scrambled order
			all = append(all, cost)
			a.Add(&profile.ColdStart{Format: profile.FormatPythonImporttime, Imports: []*profile.Import{fimp("boto3", cost, profile.PhaseInit)}})
		}
		slices.Sort(all)
		med := all[(n-1)/2]
		f := findingsWithID(a.Findings(), FindingHeavyImport)
		if len(f) != 1 || savings(f[0]) != med {
			t.Fatalf("n=%d: %+v, want one finding with the median saving %d", n, f, med)
		}
		median := strings.Contains(f[0].Title, "costs init "+formatMs(med))
		nearest := strings.Contains(f[0].Evidence[0], "nearest to the median")
		if median == nearest {
			t.Errorf("n=%d: title %q, evidence %q: want the median one, or the nearest one saying so", n, f[0].Title, f[0].Evidence[0])
		}
		if nearest {
			// "…whose saving, X, is the nearest…": X is the shown one's own.
			own := regexp.MustCompile(`whose saving, ([0-9.]+ ms),`).FindStringSubmatch(f[0].Evidence[0])
			if own == nil || !strings.Contains(f[0].Title, "costs init "+own[1]) {
				t.Errorf("n=%d: title %q is not the cold start the evidence %q names", n, f[0].Title, f[0].Evidence[0])
			}
			sawNearest = true
		}
		if n <= maxKeptFindings && !median {
			t.Errorf("n=%d: every firing is kept, yet %q is not the median one (%s)", n, f[0].Title, formatMs(med))
		}
		if g := a.groups[findingKey(f[0])]; len(g.kept) > maxKeptFindings || g.fired != n {
			t.Errorf("n=%d: the group keeps %d findings of %d firings", n, len(g.kept), g.fired)
		}
	}
	if !sawNearest {
		t.Error("no count showed the nearest kept finding; the test no longer covers that case")
	}
}
