package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/coldprof/coldprof/profile"
	"github.com/google/go-cmp/cmp"
)

// rptJava is a small Java cold start: boot classes from the shared archive
// and the JDK image, the runtime client, the function's classes from its
// directory and a jar, and one class loaded while handling a request.
func rptJava() *profile.ColdStart {
	class := func(name, origin string, phase profile.Phase, us int64) *profile.Import {
		return &profile.Import{Name: name, Origin: origin, Phase: phase, SelfUs: us, CumulativeUs: us}
	}
	const (
		cds  = profile.OriginSharedArchive
		base = "jrt:/java.base"
		task = "/var/task/"
		jar  = "/var/task/lib/dep.jar"
	)
	lazy := class("example.LazyThing", task, profile.PhaseInvoke, 700)
	lazy.RequestID = "8f5a-1"
	return &profile.ColdStart{
		ID: "java.log#1", Runtime: "java17", Handler: "example.Fn::handleRequest",
		Format: profile.FormatJavaClassLoad, Boundary: profile.BoundaryExact, Source: "java.log", Line: 1,
		Invocations: []profile.Invocation{{RequestID: "8f5a-1", DurationMs: 3}},
		Imports: []*profile.Import{
			class("java.lang.Object", cds, profile.PhaseInterpreter, 100),
			class("java.lang.String", cds, profile.PhaseInterpreter, 300),
			class("sun.launcher.LauncherHelper", base, profile.PhaseInterpreter, 2000),
			class("coldprof.runtime.AWSLambda", "/tmp/classes/", profile.PhaseRuntime, 900),
			class("java.net.URLClassLoader", cds, profile.PhaseRuntime, 400),
			class("example.Fn", task, profile.PhaseInit, 500),
			class("libdep.Dep", jar, profile.PhaseInit, 4000),
			class("libdep.Dep$Inner", jar, profile.PhaseInit, 1000),
			class("java.util.regex.Pattern", base, profile.PhaseInit, 1500),
			lazy,
		},
	}
}

func TestWriteGoldenJava(t *testing.T) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{rptJava()}}
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"java.table", Options{Format: FormatTable}},
		{"java.init.table", Options{Format: FormatTable, Phase: profile.PhaseInit}},
		{"java.markdown", Options{Format: FormatMarkdown}},
		{"java.json", Options{Format: FormatJSON}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, ProfileSource(p), tt.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "report", tt.name), out.Bytes())
		})
	}
}

func TestAnalyzeOrigins(t *testing.T) {
	s := Analyze(rptJava(), Options{})
	want := []Row{
		{Name: "/var/task/lib/dep.jar", Phase: profile.PhaseInit, SelfUs: 5000, CumulativeUs: 5000, Count: 2},
		{Name: "jrt:/java.base", Phase: profile.PhaseInterpreter, SelfUs: 2000, CumulativeUs: 2000, Count: 1},
		{Name: "jrt:/java.base", Phase: profile.PhaseInit, SelfUs: 1500, CumulativeUs: 1500, Count: 1},
		{Name: "/tmp/classes/", Phase: profile.PhaseRuntime, SelfUs: 900, CumulativeUs: 900, Count: 1},
		{Name: "/var/task/", Phase: profile.PhaseInvoke, SelfUs: 700, CumulativeUs: 700, Count: 1},
		{Name: "/var/task/", Phase: profile.PhaseInit, SelfUs: 500, CumulativeUs: 500, Count: 1},
		{Name: profile.OriginSharedArchive, Phase: profile.PhaseInterpreter, SelfUs: 400, CumulativeUs: 400, Count: 2},
		{Name: profile.OriginSharedArchive, Phase: profile.PhaseRuntime, SelfUs: 400, CumulativeUs: 400, Count: 1},
	}
	if diff := cmp.Diff(want, s.Origins); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&ArchiveShare{Count: 3, TotalCount: 10, SelfUs: 800, TotalUs: 11400}, s.SharedArchive); diff != "" {
		t.Errorf("shared archive (-want +got):\n%s", diff)
	}

	// An entry without an origin among others with one is "(unknown)".
	cs := rptJava()
	cs.Imports[5].Origin = ""
	if got := Analyze(cs, Options{Phase: profile.PhaseInit}).Origins; len(got) != 3 || got[2].Name != NoOrigin {
		t.Errorf("init origins %+v, want 3 with %s last", got, NoOrigin)
	}

	// No origins at all (Python): no roll-up, no shared archive.
	py := Analyze(rptSample(), Options{})
	if py.Origins != nil || py.SharedArchive != nil {
		t.Errorf("Python cold start: origins %v, shared archive %v", py.Origins, py.SharedArchive)
	}
}

// TestJSONOrigins: the JSON report lists every origin and the shared
// archive for Java, and adds neither field for a cold start without origins.
func TestJSONOrigins(t *testing.T) {
	var out bytes.Buffer
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{rptJava(), rptSample()}}
	if err := Write(&out, ProfileSource(p), Options{Format: FormatJSON, Top: 1}); err != nil {
		t.Fatal(err)
	}
	var generic struct {
		ColdStarts []map[string]json.RawMessage `json:"coldStarts"`
	}
	if err := json.Unmarshal(out.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	var origins []JSONOriginRow
	if err := json.Unmarshal(generic.ColdStarts[0]["origins"], &origins); err != nil || len(origins) != 8 {
		t.Errorf("java origins: %v, %d rows, want 8 (every one, whatever --top)", err, len(origins))
	}
	var cds JSONSharedArchive
	if err := json.Unmarshal(generic.ColdStarts[0]["sharedArchive"], &cds); err != nil || cds != (JSONSharedArchive{Count: 3, TotalCount: 10, SelfUs: 800, TotalSelfUs: 11400}) {
		t.Errorf("sharedArchive %+v, %v", cds, err)
	}
	for _, key := range []string{"origins", "sharedArchive"} {
		if _, ok := generic.ColdStarts[1][key]; ok {
			t.Errorf("Python cold start has %q", key)
		}
	}
}
