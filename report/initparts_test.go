package report

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

func readSamplerLog(t *testing.T, name string) *profile.Profile {
	t.Helper()
	f, err := os.Open("../testdata/sampler/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := parsers.ReadAll(f, name, parsers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The constructed log's truth, by hand (µs after the start marker):
// the sampler begins at 10000 (interpreter 10000); runtime: awslambdaric's
// import 15000 plus the samples in bootstrap.py outside imports, 10000 and
// 5000; imports: numpy 30000 (its sample inside the import is not counted
// again); code: load_config's 40000 and the 5000 of the next sample before
// init_done at 100000; Init Duration 120000 leaves 5000 unexplained.
func TestInitPartsConstructed(t *testing.T) {
	cs := readSamplerLog(t, "constructed-python.log").ColdStarts[0]
	got := NewInitParts(cs)
	want := &InitParts{InterpreterUs: 10000, RuntimeUs: 30000, ImportsUs: 30000, CodeUs: 45000, UnexplainedUs: 5000,
		TotalUs: 120000, FromInitDuration: true, Sampled: true, Exact: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFunctionsConstructed(t *testing.T) {
	cs := readSamplerLog(t, "constructed-python.log").ColdStarts[0]
	got := NewFunctions(cs)
	init, invoke, runtime := profile.PhaseInit, profile.PhaseInvoke, profile.PhaseRuntime
	want := []Function{
		// Largest total first, then largest self, then phase order.
		// init: under _gcd_import only, importlib's frames left out.
		{Name: "load_config", File: "/var/task/app.py", Line: 12, Phase: init, SelfUs: 45000, TotalUs: 45000, Samples: 2},
		{Name: "<module>", File: "/var/task/app.py", Line: 1, Phase: init, TotalUs: 45000, Samples: 2},
		{Name: "<module>", File: "/var/runtime/bootstrap.py", Line: 1, Phase: runtime, SelfUs: 10000, TotalUs: 15000, Samples: 2},
		// invoke: the whole stack. The sample in handler that spans init_done
		// and invoke_start gave its 1000 µs before invoke_start to the
		// previous stack (load_config), its 4000 after it to handler.
		{Name: "<module>", File: "/var/runtime/bootstrap.py", Line: 1, Phase: invoke, TotalUs: 10000, Samples: 3},
		{Name: "handler", File: "/var/task/app.py", Line: 20, Phase: invoke, SelfUs: 9000, TotalUs: 9000, Samples: 2},
		{Name: "wait_next", File: "/var/runtime/bootstrap.py", Line: 30, Phase: runtime, SelfUs: 5000, TotalUs: 5000, Samples: 1},
		{Name: "load_config", File: "/var/task/app.py", Line: 12, Phase: invoke, SelfUs: 1000, TotalUs: 1000, Samples: 1},
		{Name: "<module>", File: "/var/task/app.py", Line: 1, Phase: invoke, TotalUs: 1000, Samples: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestInitPartsWithoutSamples(t *testing.T) {
	cs := &profile.ColdStart{ID: "x", HasInitDuration: true, InitDurationMs: 100, Boundary: profile.BoundaryExact,
		Imports: []*profile.Import{
			rptImport("site", profile.PhaseInterpreter, 5000, 5000),
			rptImport("awslambdaric", profile.PhaseRuntime, 20000, 20000),
			rptImport("boto3", profile.PhaseInit, 40000, 40000),
			rptImport("pandas", profile.PhaseInvoke, 90000, 90000),
		}}
	got := NewInitParts(cs)
	want := &InitParts{InterpreterUs: 5000, RuntimeUs: 20000, ImportsUs: 40000, UnexplainedUs: 35000, TotalUs: 100000, FromInitDuration: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The span of the markers stands in for Init Duration; without either there are no parts.
	cs.HasInitDuration, cs.StartUs, cs.InitDoneUs = false, 1_000_000, 1_070_000
	if got := NewInitParts(cs); got.TotalUs != 70000 || got.UnexplainedUs != 5000 || got.FromInitDuration {
		t.Errorf("from markers: %+v", got)
	}
	cs.StartUs = 0
	if got := NewInitParts(cs); got != nil {
		t.Errorf("no total: %+v", got)
	}
	// More imports than an emulator's Init Duration: cut down, imports last.
	cs.HasInitDuration, cs.InitDurationMs = true, 50
	got = NewInitParts(cs)
	want = &InitParts{InterpreterUs: 5000, RuntimeUs: 5000, ImportsUs: 40000, TotalUs: 50000, FromInitDuration: true, OverUs: 15000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("over (-want +got):\n%s", diff)
	}
}

// Import machinery between the function's frames is left out; after its
// last frame it stays, as it is what the time went to (compiling source).
func TestFunctionFramesDropsImportMachinery(t *testing.T) {
	cs := &profile.ColdStart{Frames: []profile.Frame{
		{Function: "<module>", File: "/var/runtime/bootstrap.py"},
		{Function: "_gcd_import", File: "<frozen importlib._bootstrap>"},
		{Function: "_LoaderBasics.exec_module", File: "<frozen importlib._bootstrap_external>"},
		{Function: "<module>", File: "/var/task/app.py"},
		{Function: "SourceLoader.get_code", File: "<frozen importlib._bootstrap_external>"},
		{Function: "source_to_code", File: "<frozen importlib._bootstrap_external>"},
		{Function: "_call_with_frames_removed", File: "<frozen importlib._bootstrap>"},
	}}
	got := functionFrames(cs, []int{0, 1, 2, 3, 4, 5, 6}, profile.PhaseInit)
	if diff := cmp.Diff([]int{3, 4, 5, 6}, got); diff != "" {
		t.Errorf("init (-want +got):\n%s", diff)
	}
	got = functionFrames(cs, []int{0, 1, 2, 3}, profile.PhaseRuntime)
	if diff := cmp.Diff([]int{0, 3}, got); diff != "" {
		t.Errorf("runtime (-want +got):\n%s", diff)
	}
}
