package report

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestRealCapturePython checks the report of a real capture (the real
// wrapper, proxy and Python sampler; testdata/sampler/README.md) against the
// function's known work, within ±25 %: the top-level busy loop (300 ms) and
// sleep (150 ms) in init, the handler's busy loop (50 ms) in invoke under
// its request ID, and init explained to well under 15 %.
func TestRealCapturePython(t *testing.T) {
	p := readSamplerLog(t, "coldprof-run-python3.11.log")
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	cs := p.ColdStarts[0]
	fn := func(name string, phase profile.Phase) Function {
		for _, f := range NewFunctions(cs) {
			if f.Name == name && f.File == "/var/task/app.py" && f.Phase == phase {
				return f
			}
		}
		t.Fatalf("no %s in %s", name, phase)
		return Function{}
	}
	within := func(what string, got, truth int64) {
		t.Helper()
		if got < truth*3/4 || got > truth*5/4 {
			t.Errorf("%s: %d µs sampled, truth %d µs ±25 %%", what, got, truth)
		}
	}
	within("busy_loop in init", fn("busy_loop", profile.PhaseInit).TotalUs, 300000)
	within("load_config in init", fn("load_config", profile.PhaseInit).TotalUs, 150000)
	// The sampler gives the time up to its stop (invoke_end) to the last
	// stack it saw, here the handler's: the handler's bound takes that
	// sample's weight as slack, as the sampler's own tests do for samples
	// straddling the function.
	var atStop int64
	for _, s := range cs.Samples {
		if s.TimeUs == cs.Sampler.StopUs {
			atStop += s.WeightUs
		}
	}
	handler := fn("handler", profile.PhaseInvoke).TotalUs
	if handler < 50000*3/4 || handler > 50000*5/4+atStop {
		t.Errorf("handler in invoke: %d µs sampled, truth 50000 µs ±25 %% (+%d µs at the stop)", handler, atStop)
	}
	// The handler's samples carry the first invocation's request ID.
	first := cs.Invocations[0].RequestID
	for _, s := range cs.Samples {
		st := cs.Stacks[s.Stack]
		if cs.Frames[st[len(st)-1]].Function == "busy_loop" && s.Phase == profile.PhaseInvoke && s.RequestID != first {
			t.Errorf("a handler sample has request ID %q, want %q", s.RequestID, first)
		}
	}
	parts := NewInitParts(cs)
	if parts == nil || !parts.Sampled || !parts.Exact || cs.Sampler.StoppedBy != profile.StoppedByInvokeEnd {
		t.Fatalf("parts %+v, sampler %+v", parts, cs.Sampler)
	}
	if parts.UnexplainedUs*100 >= parts.TotalUs*15 {
		t.Errorf("unexplained %d µs of %d µs: not well under 15 %%", parts.UnexplainedUs, parts.TotalUs)
	}
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"sampled-real.table", Options{Format: FormatTable}},
		{"sampled-real.markdown", Options{Format: FormatMarkdown}},
	} {
		var out bytes.Buffer
		if err := Write(&out, ProfileSource(p), tt.opts); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", "report", tt.name), out.Bytes())
	}
}

// TestRealCaptureNode checks the report of a real Node.js capture (the real
// wrapper, proxy and Node.js sampler stopped at the cut;
// testdata/sampler/README.md): the function's top-level busy loop and
// @aws-sdk client, as the function measured them (its coldprof-test-truth
// line), within ±25 % in init, and the report's goldens.
func TestRealCaptureNode(t *testing.T) {
	p := readSamplerLog(t, "coldprof-run-node20.log")
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	cs := p.ColdStarts[0]
	if cs.Sampler == nil || cs.Sampler.StoppedBy != profile.StoppedByInitDone {
		t.Fatalf("sampler %+v, want stopped at init_done", cs.Sampler)
	}
	// The truths the function printed (coldprof-test-truth in the log), µs.
	for name, truth := range map[string]int64{"busyLoop": 300781, "makeClient": 214267} {
		var got int64
		for _, s := range cs.Samples {
			if s.Phase != profile.PhaseInit {
				continue
			}
			for _, f := range cs.Stacks[s.Stack] {
				if cs.Frames[f].Function == name {
					got += s.WeightUs
					break
				}
			}
		}
		if got < truth*3/4 || got > truth*5/4 {
			t.Errorf("%s in init: %d µs sampled, truth %d µs ±25 %%", name, got, truth)
		}
	}
	parts := NewInitParts(cs)
	if parts == nil || !parts.Sampled || !parts.Exact {
		t.Fatalf("parts %+v", parts)
	}
	var out bytes.Buffer
	if err := Write(&out, ProfileSource(p), Options{Format: FormatTable}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "report", "sampled-real-node.table"), out.Bytes())
}
