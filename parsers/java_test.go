package parsers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/profile"
	"github.com/google/go-cmp/cmp"
)

// The Reader's Java path: package classload's grammar fed by the Reader.

// TestReaderWithGrammar reads a real JDK 17 log through parsers.ReadAll with
// its class-load grammar.
func TestReaderWithGrammar(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "java", "jdk17-uptimenanos.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadAll(f, "jdk17-uptimenanos.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1", len(p.ColdStarts))
	}
	cs := p.ColdStarts[0]
	data, _ := os.ReadFile(f.Name())
	if want := strings.Count(string(data), "[class,load]"); cs.Format != profile.FormatJavaClassLoad || len(cs.Imports) != want {
		t.Errorf("format %q, %d imports, want %d", cs.Format, len(cs.Imports), want)
	}
	if c := classload.SharedArchive(cs.Imports); c.Classes < 500 || c.Classes == c.TotalClasses {
		t.Errorf("shared archive %+v", c)
	}
}

// TestReaderBoundary: the class before a phase boundary keeps its phase and
// gets no time; the wait for the invocation is nobody's.
func TestReaderBoundary(t *testing.T) {
	log := strings.Join([]string{
		`coldprof: {"v":1,"ev":"start","t":1732250000000000,"runtime":"java17","handler":"a.Fn::handle"}`,
		"Picked up JAVA_TOOL_OPTIONS: " + classload.Inject,
		"[1000000ns][info][class,load] a.A source: file:/var/task/",
		"[2000000ns][info][class,load] a.B source: file:/var/task/lib/b.jar",
		`coldprof: {"v":1,"ev":"init_done","t":1732250000100000}`,
		`coldprof: {"v":1,"ev":"invoke_start","t":1732250001000000,"requestId":"r1"}`,
		"[900000000ns][info][class,load] a.C source: shared objects file",
		"[901000000ns][info][class,load] a.D source: jrt:/java.base",
		`coldprof: {"v":1,"ev":"invoke_end","t":1732250001100000,"requestId":"r1"}`,
	}, "\n") + "\n"
	p, err := ReadAll(strings.NewReader(log), "boundary.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts", len(p.ColdStarts))
	}
	type got struct {
		Name      string
		Us        int64
		Phase     profile.Phase
		RequestID string
		Origin    string
	}
	var all []got
	for _, imp := range p.ColdStarts[0].Imports {
		all = append(all, got{imp.Name, imp.SelfUs, imp.Phase, imp.RequestID, imp.Origin})
	}
	want := []got{
		{"a.A", 1000, profile.PhaseInit, "", "/var/task/"},
		{"a.B", 0, profile.PhaseInit, "", "/var/task/lib/b.jar"},
		{"a.C", 1000, profile.PhaseInvoke, "r1", classload.OriginCDS},
		{"a.D", 0, profile.PhaseInvoke, "r1", "jrt:/java.base"},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p.ColdStarts[0].Boundary != profile.BoundaryExact {
		t.Errorf("boundary %q", p.ColdStarts[0].Boundary)
	}
}

// TestReaderChildJVM: a java process the handler starts inherits
// JAVA_TOOL_OPTIONS and prints its own Picked up line; with the wrapper's
// start marker that is no new cold start: its classes are the invocation's.
// Without a marker (a bare log of two JVM runs) it is; two JVMs whose lines
// interleave cannot be told apart there.
func TestReaderChildJVM(t *testing.T) {
	body := []string{
		"Picked up JAVA_TOOL_OPTIONS: " + classload.Inject,
		"[1000000ns][info][class,load] a.A source: file:/var/task/",
		"[2000000ns][info][class,load] a.B source: file:/var/task/",
		`coldprof: {"v":1,"ev":"init_done","t":1732250000100000}`,
		`coldprof: {"v":1,"ev":"invoke_start","t":1732250001000000,"requestId":"r1"}`,
		"[900000000ns][info][class,load] a.C source: jrt:/java.base",
		"Picked up JAVA_TOOL_OPTIONS: " + classload.Inject,
		"[3000000ns][info][class,load] child.Main source: file:/tmp/",
		"[901000000ns][info][class,load] a.D source: jrt:/java.base",
		"[7000000ns][info][class,load] child.Dep source: file:/tmp/",
		`coldprof: {"v":1,"ev":"invoke_end","t":1732250001100000,"requestId":"r1"}`,
	}
	start := `coldprof: {"v":1,"ev":"start","t":1732250000000000,"runtime":"java17","handler":"a.Fn::handle"}`
	tests := []struct {
		name   string
		lines  []string
		starts []int // imports per cold start
		phases string
	}{
		{"start marker", append([]string{start}, body...), []int{6}, "a.A init, a.B init, a.C invoke r1, child.Main invoke r1, a.D invoke r1, child.Dep invoke r1"},
		{"INIT_START", append([]string{"INIT_START Runtime Version: java:17.v14\tRuntime Version ARN: arn"}, body...), []int{6}, ""},
		// Two JVM runs one after the other, as a plain java command logs them.
		{"bare log", []string{body[0], body[1], body[2], body[5], body[6], body[7], body[9]}, []int{3, 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := strings.Join(tt.lines, "\n") + "\n"
			p, err := ReadAll(strings.NewReader(log), "child.log", Options{})
			if err != nil {
				t.Fatal(err)
			}
			var starts []int
			for _, cs := range p.ColdStarts {
				starts = append(starts, len(cs.Imports))
			}
			if diff := cmp.Diff(tt.starts, starts); diff != "" {
				t.Fatalf("imports per cold start (-want +got):\n%s", diff)
			}
			if tt.phases == "" {
				return
			}
			var got []string
			for _, imp := range p.ColdStarts[0].Imports {
				got = append(got, strings.TrimSpace(string(imp.Phase)+" "+imp.RequestID))
				got[len(got)-1] = imp.Name + " " + got[len(got)-1]
			}
			if diff := cmp.Diff(tt.phases, strings.Join(got, ", ")); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
			var times []int64
			for _, imp := range p.ColdStarts[0].Imports {
				times = append(times, imp.SelfUs)
			}
			// a.C→a.D and child.Main→child.Dep on their own clocks; the
			// last of each JVM is cut at invoke_end.
			if diff := cmp.Diff([]int64{1000, 0, 1000, 4000, 0, 0}, times); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzGrammar feeds arbitrary logs through the Reader's class-load
// grammar: no panic, and every cold start passes the model's check (no
// negative times, phases set).
func FuzzGrammar(f *testing.F) {
	f.Add(strings.Join([]string{
		`coldprof: {"v":1,"ev":"start","t":1,"runtime":"java17","handler":"a.Fn::handle"}`,
		"Picked up JAVA_TOOL_OPTIONS: " + classload.Inject,
		"[1000000ns][info][class,load] java.lang.Object source: shared objects file",
		"[2000000ns][info][class,load] coldprof.runtime.AWSLambda source: file:/tmp/c/",
		"[3000000ns][info][class,load] java.io.File source: jrt:/java.base",
		"[4000000ns][info][class,load] a.Fn source: file:/var/task/",
		`coldprof: {"v":1,"ev":"init_done","t":2}`,
		`coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}`,
		"Picked up JAVA_TOOL_OPTIONS: " + classload.Inject,
		"[500000ns][info][class,load] child.Main source: file:/tmp/",
		"[5000000ns][info][class,load] a.Lazy source: file:/var/task/",
		"[Loaded java.lang.String from /rt.jar]",
	}, "\n"))
	f.Add("[0.020s][info][class,load] A source: x\n[0.010s][info][class,load] B source: y\nINIT_START Runtime Version: java:17\n[0.001s][info][class,load] C source: z\n")
	f.Fuzz(func(t *testing.T, log string) {
		p, err := ReadAll(strings.NewReader(log), "fuzz.log", Options{})
		if err != nil {
			return
		}
		if err := p.CheckValid(); err != nil {
			t.Errorf("invalid profile: %v", err)
		}
	})
}
