package parsers

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// readConstructed reads testdata/sampler/constructed-python.log, a log
// written by hand so that every sample's phase is known: see the times in
// its lines (offsets from the start marker's t, 1000000000 µs).
func readSamplerLog(t *testing.T, name string) *profile.Profile {
	t.Helper()
	f, err := os.Open("../testdata/sampler/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadAll(f, name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSamplesConstructed(t *testing.T) {
	p := readSamplerLog(t, "constructed-python.log")
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1", len(p.ColdStarts))
	}
	cs := p.ColdStarts[0]
	if cs.StartUs != 1000000000 || cs.InitDoneUs != 1000100000 {
		t.Errorf("StartUs, InitDoneUs = %d, %d", cs.StartUs, cs.InitDoneUs)
	}
	wantInfo := profile.SamplerInfo{Lang: "python", IntervalUs: 5000, StartUs: 1000010000, StopUs: 1000112000, StoppedBy: profile.StoppedByInvokeEnd, Samples: 6}
	if diff := cmp.Diff(&wantInfo, cs.Sampler); diff != "" {
		t.Errorf("Sampler (-want +got):\n%s", diff)
	}
	if len(cs.Frames) != 8 || cs.Frames[5] != (profile.Frame{Function: "load_config", File: "/var/task/app.py", Line: 12}) {
		t.Errorf("Frames = %v", cs.Frames)
	}
	// Stacks are materialised root first, in order of first use.
	stack := func(s profile.Sample) string {
		var names []string
		for _, f := range cs.Stacks[s.Stack] {
			names = append(names, cs.Frames[f].Function)
		}
		return strings.Join(names, ";")
	}
	type got struct {
		T, W     int64
		Stack    string
		Phase    profile.Phase
		ID       string
		InImport bool
	}
	const base = 1000000000
	want := []got{
		{20000, 10000, "<module>", profile.PhaseRuntime, "", false},
		{25000, 5000, "<module>;wait_next", profile.PhaseRuntime, "", false},
		{55000, 30000, "<module>;_gcd_import;<module>;_find_and_load;<module>", profile.PhaseInit, "", true},
		{95000, 40000, "<module>;_gcd_import;<module>;load_config", profile.PhaseInit, "", false},
		// The next sample (in handler) spans init_done (100000) and
		// invoke_start (101000): it is cut there, and the pieces before
		// invoke_start go to the previous sample's stack (load_config).
		{100000, 5000, "<module>;_gcd_import;<module>;load_config", profile.PhaseInit, "", false},
		{101000, 1000, "<module>;_gcd_import;<module>;load_config", profile.PhaseInvoke, "", false},
		{105000, 4000, "<module>;handler", profile.PhaseInvoke, "req-1", false},
		{110000, 5000, "<module>;handler", profile.PhaseInvoke, "req-1", false},
	}
	var have []got
	for _, s := range cs.Samples {
		have = append(have, got{s.TimeUs - base, s.WeightUs, stack(s), s.Phase, s.RequestID, s.InImport})
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
}

func TestSamplesBadInput(t *testing.T) {
	const head = "coldprof: {\"v\":1,\"ev\":\"start\",\"t\":100}\nimport time: self [us] | cumulative | imported package\nimport time:       10 |         10 | site\n"
	for _, tc := range []struct {
		name, log string
		warn      string // a warning containing this, at line
		line      int
		samples   int
	}{
		{"orphan samples", head + `coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":200,"s":[[0,5]]}` + "\n", "without its begin line", 4, 0},
		{"malformed", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":"x"}` + "\n", "malformed sampler line", 4, 0},
		{"undefined stack", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",1]]}
coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,0]]}
coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":160,"s":[[0,10],[3,5],[0,5]]}
coldprof-sampler: {"v":1,"ev":"end","pid":1,"t":170,"stoppedBy":"exit","samples":3,"dropped":0}
`, "stack 3, which is not defined", 7, 2},
		{"stack names a later frame", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,4]]}
coldprof-sampler: {"v":1,"ev":"end","pid":1,"t":170,"stoppedBy":"exit","samples":0,"dropped":0}
`, "not defined before it", 5, 0},
		{"lost frames line", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":2,"frames":[["f","a.py",1]]}
coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,2]]}
coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":160,"s":[[0,10]]}
coldprof-sampler: {"v":1,"ev":"end","pid":1,"t":170,"stoppedBy":"exit","samples":1,"dropped":0}
`, "frame IDs continue at 2, expected 0", 5, 1},
		{"no end line", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",1]]}
coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,0]]}
coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":160,"s":[[0,10]]}
`, "without an end line", 4, 1},
		{"second process", head + `coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"begin","pid":2,"t":150,"lang":"python","intervalUs":5}
coldprof-sampler: {"v":1,"ev":"end","pid":1,"t":170,"stoppedBy":"exit","samples":0,"dropped":0}
`, "second process (2)", 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadAll(strings.NewReader(tc.log), "in.log", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.CheckValid(); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, w := range p.Warnings {
				if strings.Contains(w.Message, tc.warn) && w.Where == "in.log:"+strconv.Itoa(tc.line) {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning %q at in.log:%d in %v", tc.warn, tc.line, p.Warnings)
			}
			if n := len(p.ColdStarts[0].Samples); n != tc.samples {
				t.Errorf("%d samples, want %d", n, tc.samples)
			}
		})
	}
}

// A hostile chain of stacks each the child of the previous, all sampled,
// must not cost quadratic time or unbounded memory: stacks keep their root
// end at maxStackDepth frames.
func TestSamplesDeepChain(t *testing.T) {
	var b strings.Builder
	b.WriteString("coldprof: {\"v\":1,\"ev\":\"start\",\"t\":100}\nimport time: self [us] | cumulative | imported package\nimport time:       10 |         10 | site\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}` + "\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",1]]}` + "\n")
	const n = 20000
	for first := 0; first < n; first += 400 {
		b.WriteString(`coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":` + strconv.Itoa(first) + `,"stacks":[`)
		for k := first; k < first+400; k++ {
			if k > first {
				b.WriteByte(',')
			}
			b.WriteString("[" + strconv.Itoa(k-1) + ",0]")
		}
		b.WriteString("]}\n")
	}
	for first := 0; first < n; first += 400 {
		b.WriteString(`coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":` + strconv.Itoa(200+first) + `,"s":[`)
		for k := first; k < first+400; k++ {
			if k > first {
				b.WriteByte(',')
			}
			b.WriteString("[" + strconv.Itoa(k) + ",1]")
		}
		b.WriteString("]}\n")
	}
	p, err := ReadAll(strings.NewReader(b.String()), "deep.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	ints := 0
	for _, s := range cs.Stacks {
		if len(s) > maxStackDepth {
			t.Fatalf("a stack of %d frames", len(s))
		}
		ints += len(s)
	}
	if ints > maxStackInts {
		t.Errorf("%d frame indices kept, bound %d", ints, maxStackInts)
	}
	if len(cs.Samples)+cs.Sampler.Dropped != n {
		t.Errorf("%d samples + %d dropped, want %d", len(cs.Samples), cs.Sampler.Dropped, n)
	}
}

// FuzzSamples feeds sampler lines (mutated from the constructed log's)
// through the whole Reader: no panic, every cold start valid, every sample's
// weight within the span its lines cover.
func FuzzSamples(f *testing.F) {
	b, err := os.ReadFile("../testdata/sampler/constructed-python.log")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("coldprof-sampler: {\"v\":1,\"ev\":\"begin\",\"pid\":1,\"t\":1,\"lang\":\"node\",\"intervalUs\":1}\ncoldprof-sampler: {\"v\":1,\"ev\":\"stacks\",\"pid\":1,\"first\":0,\"stacks\":[[-1,0],[0,0]]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadAll(bytes.NewReader(data), "fuzz", Options{MaxOpenStreams: 2})
		if err != nil && p == nil {
			t.Fatalf("nil profile with %v", err)
		}
		if err := p.CheckValid(); err != nil {
			t.Fatal(err)
		}
		for _, cs := range p.ColdStarts {
			for _, st := range cs.Stacks {
				if len(st) > maxStackDepth {
					t.Fatalf("stack of %d frames", len(st))
				}
			}
			if len(cs.Samples) > maxSamples*2 {
				t.Fatalf("%d samples", len(cs.Samples))
			}
		}
		for _, w := range p.Warnings {
			if !strings.HasPrefix(w.Where, "fuzz") {
				t.Errorf("warning without position: %v", w)
			}
		}
	})
}

func TestSamplerRulesNode(t *testing.T) {
	frames := []profile.Frame{
		{Function: "(root)"},
		{Function: "Module._load", File: "node:internal/modules/cjs/loader"},
		{Function: "coldprofLoad", File: "/opt/coldprof/hooks/coldprof-require.cjs"},
		{Function: "", File: "/var/runtime/index.mjs"},
		{Function: "", File: "/var/task/index.js"},
		{Function: "makeClient", File: "/var/task/index.js"},
	}
	sr := samplerRulesFor("node")
	for _, tc := range []struct {
		stack    []int
		inImport bool
		phase    profile.Phase
	}{
		{[]int{0, 3}, false, profile.PhaseRuntime},
		{[]int{0, 3, 2, 1}, true, profile.PhaseRuntime}, // the runtime's own require: the hook's frame is not the function's
		{[]int{0, 3, 2, 1, 4}, true, profile.PhaseInit},
		{[]int{0, 4, 5}, false, profile.PhaseInit},
	} {
		if got := sr.inImport(frames, tc.stack); got != tc.inImport {
			t.Errorf("%v: inImport %v", tc.stack, got)
		}
		if got := sr.phaseBeforeInitEnd(frames, tc.stack); got != tc.phase {
			t.Errorf("%v: phase %v, want %v", tc.stack, got, tc.phase)
		}
	}
}

// More sampler lines than any sampler writes: past maxSamplerBytes the rest
// are dropped with one warning naming the line where it happened.
func TestSamplesByteBound(t *testing.T) {
	fullTier(t) // over a second: it parses 4 MB of sampler lines
	var b strings.Builder
	b.WriteString("coldprof: {\"v\":1,\"ev\":\"start\",\"t\":100}\nimport time: self [us] | cumulative | imported package\nimport time:       10 |         10 | site\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}` + "\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",1]]}` + "\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,0]]}` + "\n")
	line := `coldprof-sampler: {"v":1,"ev":"samples","pid":1,"t":200,"s":[` + strings.Repeat("[0,1],", 650) + "[0,1]]}\n"
	lines := maxSamplerBytes/len(line) + 50
	for i := 0; i < lines; i++ {
		b.WriteString(line)
	}
	p, err := ReadAll(strings.NewReader(b.String()), "big.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	if n := len(cs.Samples); n > maxSamplerBytes/6 || n < 1000 {
		t.Errorf("%d samples kept from %d lines", n, lines)
	}
	found := 0
	for _, w := range p.Warnings {
		if strings.Contains(w.Message, "sampler lines in one cold start") {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d bound warnings, want 1: %v", found, p.Warnings)
	}
}

// TestSamplesSplitBound: samples cut at phase boundaries must stay within
// the sample bound. Out-of-order sample lines, each a sample standing for
// minutes across every invocation, would otherwise turn 4 MB of log into
// dozens of model samples per raw sample (hundreds of MB).
func TestSamplesSplitBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("coldprof: {\"v\":1,\"ev\":\"start\",\"t\":100}\nimport time: self [us] | cumulative | imported package\nimport time:       10 |         10 | site\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"begin","pid":1,"t":150,"lang":"python","intervalUs":5}` + "\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",1]]}` + "\n")
	b.WriteString(`coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,0]]}` + "\n")
	b.WriteString("coldprof: {\"v\":1,\"ev\":\"init_done\",\"t\":200}\n")
	tm := 300
	for i := 0; i < maxInvokeMarks/2; i++ {
		fmt.Fprintf(&b, "coldprof: {\"v\":1,\"ev\":\"invoke_start\",\"t\":%d,\"requestId\":\"r%d\"}\n", tm, i)
		fmt.Fprintf(&b, "coldprof: {\"v\":1,\"ev\":\"invoke_end\",\"t\":%d,\"requestId\":\"r%d\",\"status\":\"response\"}\n", tm+10, i)
		tm += 20
	}
	const raw = 6000 // × 65 pieces each: well over maxSamples
	line := fmt.Sprintf("coldprof-sampler: {\"v\":1,\"ev\":\"samples\",\"pid\":1,\"t\":%d,\"s\":[[0,%d]]}\n", tm+10, tm)
	for i := 0; i < raw; i++ {
		b.WriteString(line)
	}
	p, err := ReadAll(strings.NewReader(b.String()), "split.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	cs := p.ColdStarts[0]
	if limit := maxSamples + 2*(maxInvokeMarks+1) + 1; len(cs.Samples) > limit {
		t.Errorf("%d model samples from %d raw ones, bound %d", len(cs.Samples), raw, limit)
	}
	if !cs.Sampler.Truncated || cs.Sampler.Dropped == 0 {
		t.Errorf("sampler %+v: want the samples past the bound counted as dropped", cs.Sampler)
	}
}
