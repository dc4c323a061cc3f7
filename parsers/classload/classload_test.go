package classload

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
	"github.com/google/go-cmp/cmp"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Load
		res  Result
	}{
		{"cds default decorators", "[0.057s][info][class,load] java.lang.Object source: shared objects file",
			Load{Class: "java.lang.Object", Source: "shared objects file", Kind: KindCDS, Origin: OriginCDS, UptimeNs: 57_000_000, HasTime: true}, Parsed},
		{"dynamic archive", "[0.100s][info][class,load] com.x.Y source: shared objects file (top)",
			Load{Class: "com.x.Y", Source: "shared objects file (top)", Kind: KindCDS, Origin: OriginCDS, UptimeNs: 100_000_000, HasTime: true}, Parsed},
		{"jrt uptimenanos", "[21180051ns][info][class,load] sun.nio.cs.UTF_8$Encoder source: jrt:/java.base",
			Load{Class: "sun.nio.cs.UTF_8$Encoder", Source: "jrt:/java.base", Kind: KindJRT, Origin: "jrt:/java.base", UptimeNs: 21180051, HasTime: true}, Parsed},
		{"directory", "[0.043s][info][class,load] Hello source: file:/app/classes/",
			Load{Class: "Hello", Source: "file:/app/classes/", Kind: KindDir, Origin: "/app/classes/", UptimeNs: 43_000_000, HasTime: true}, Parsed},
		{"jar", "[32354276ns][info][class,load] libdep.Dep source: file:/var/task/lib/dep.jar",
			Load{Class: "libdep.Dep", Source: "file:/var/task/lib/dep.jar", Kind: KindJar, Origin: "/var/task/lib/dep.jar", UptimeNs: 32354276, HasTime: true}, Parsed},
		{"jar url", "[1ns][info][class,load] a.B source: jar:file:/var/task/lib/x.jar!/",
			Load{Class: "a.B", Source: "jar:file:/var/task/lib/x.jar!/", Kind: KindJar, Origin: "/var/task/lib/x.jar", UptimeNs: 1, HasTime: true}, Parsed},
		{"lambda hidden class", "[0.051s][info][class,load] Hello$$Lambda$1/0x00007f8ca8000a08 source: Hello",
			Load{Class: "Hello$$Lambda$1/0x00007f8ca8000a08", Source: "Hello", Kind: KindHidden, Origin: "Hello", UptimeNs: 51_000_000, HasTime: true}, Parsed},
		{"jdk21 lambda", "[0.051s][info][class,load] Hello$$Lambda/0x0000000801001000 source: Hello",
			Load{Class: "Hello$$Lambda/0x0000000801001000", Source: "Hello", Kind: KindHidden, Origin: "Hello", UptimeNs: 51_000_000, HasTime: true}, Parsed},
		{"lookup define", "[0.057s][info][class,load] java.lang.invoke.LambdaForm$MH/0x00007f8ca8000400 source: __JVM_LookupDefineClass__",
			Load{Class: "java.lang.invoke.LambdaForm$MH/0x00007f8ca8000400", Source: "__JVM_LookupDefineClass__", Kind: KindDynamic, Origin: "__JVM_LookupDefineClass__", UptimeNs: 57_000_000, HasTime: true}, Parsed},
		{"padded level and prefix", "2024-11-22T10:00:00.000Z\tabc\t[0.018s][info ][class,load] java.io.Serializable source: shared objects file",
			Load{Class: "java.io.Serializable", Source: "shared objects file", Kind: KindCDS, Origin: OriginCDS, UptimeNs: 18_000_000, HasTime: true}, Parsed},
		{"all uptimes, finest wins", "[0.041s][40ms][40123456ns][10555][10557][info][class,load] Hello source: file:/app/",
			Load{Class: "Hello", Source: "file:/app/", Kind: KindDir, Origin: "/app/", UptimeNs: 40123456, HasTime: true}, Parsed},
		{"uptimemillis and timemillis", "[1732250000123ms][40ms][info][class,load] Hello source: file:/app/",
			Load{Class: "Hello", Source: "file:/app/", Kind: KindDir, Origin: "/app/", UptimeNs: 40_000_000, HasTime: true}, Parsed},
		{"no decorators", "[class,load] Hello source: file:/app/",
			Load{Class: "Hello", Source: "file:/app/", Kind: KindDir, Origin: "/app/"}, Parsed},
		{"jdk8 rt.jar", "[Loaded java.lang.Object from /usr/lib/jvm/java-8/jre/lib/rt.jar]",
			Load{Class: "java.lang.Object", Source: "/usr/lib/jvm/java-8/jre/lib/rt.jar", Kind: KindJar, Origin: "/usr/lib/jvm/java-8/jre/lib/rt.jar"}, Parsed},
		{"jdk8 cds", "[Loaded java.lang.String from shared objects file]",
			Load{Class: "java.lang.String", Source: "shared objects file", Kind: KindCDS, Origin: OriginCDS}, Parsed},
		{"jdk8 dir", "[Loaded Foo from file:/path/]",
			Load{Class: "Foo", Source: "file:/path/", Kind: KindDir, Origin: "/path/"}, Parsed},
		{"jdk8 define", "[Loaded sun.reflect.GeneratedMethodAccessor1 from __JVM_DefineClass__]",
			Load{Class: "sun.reflect.GeneratedMethodAccessor1", Source: "__JVM_DefineClass__", Kind: KindDynamic, Origin: "__JVM_DefineClass__"}, Parsed},
		{"debug details", "[0.018s][debug][class,load]  klass: 0x00007ff403000d68 super: 0x0 loader: [loader data: 0x0 of 'bootstrap']", Load{}, Skipped},
		{"debug details without level", "[class,load]  klass: 0x00007ff403000d68 super: 0x0", Load{}, Skipped},
		{"picked up", "Picked up JAVA_TOOL_OPTIONS: -Xlog:class+load=info:stderr:uptimenanos,level,tags", Load{}, NotClassLoad},
		{"other tags", "[0.1s][info][class,load,cause] Hello", Load{}, NotClassLoad},
		{"python line", "import time:       123 |        456 | json", Load{}, NotClassLoad},
		{"empty body", "[0.1s][info][class,load]", Load{}, Malformed},
		{"no class", "[0.1s][info][class,load]  source: jrt:/java.base", Load{}, Malformed},
		{"jdk8 empty", "[Loaded  from x]", Load{}, Malformed},
		{"unterminated tags", "[0.1s][info][class,load", Load{}, NotClassLoad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res := ParseLine([]byte(tt.line))
			if res != tt.res {
				t.Fatalf("result %d, want %d", res, tt.res)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	var tl Timeline
	at := func(class string, ns int64) Load { return Load{Class: class, UptimeNs: ns, HasTime: true} }
	var got []Entry
	for i, l := range []Load{at("A", 1_000_000), at("B", 1_250_000), at("C", 3_000_000), at("D", 500_000)} {
		if e, ok := tl.Add(l, i+1); ok {
			got = append(got, e)
		}
	}
	if e, ok := tl.Cut(); ok {
		got = append(got, e)
	}
	if _, ok := tl.Cut(); ok {
		t.Error("second Cut returned an entry")
	}
	want := []Entry{
		{Load: at("A", 1_000_000), Line: 1, Us: 250},
		{Load: at("B", 1_250_000), Line: 2, Us: 1750},
		{Load: at("C", 3_000_000), Line: 3, Us: 0}, // D's uptime went back: a new JVM
		{Load: at("D", 500_000), Line: 4, Us: 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRealLogs reads logs a real JDK 17 wrote (testdata/java/README.md) and
// checks each kind against the raw text.
func TestRealLogs(t *testing.T) {
	for _, name := range []string{"jdk17-uptimenanos.log", "jdk17-default-decorators.log", "jdk17-debug-padded.log"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "java", name))
			if err != nil {
				t.Fatal(err)
			}
			entries, warnings, err := ReadAll(bytes.NewReader(data), name)
			if err != nil || len(warnings) != 0 {
				t.Fatalf("err %v, warnings %v", err, warnings)
			}
			text := string(data)
			// Only info-level lines are loads; debug lines repeat "[class,load]".
			infoLines := strings.Count(text, "[info][class,load]") + strings.Count(text, "[info ][class,load]")
			if len(entries) != infoLines {
				t.Errorf("%d entries, %d info class,load lines", len(entries), infoLines)
			}
			kinds := map[Kind]int{}
			var sumUs int64
			for _, e := range entries {
				kinds[e.Kind]++
				sumUs += e.Us
				if !e.HasTime {
					t.Fatalf("line %d: no time", e.Line)
				}
			}
			if want := strings.Count(text, "source: shared objects file"); kinds[KindCDS] != want {
				t.Errorf("%d CDS classes, %d lines say so", kinds[KindCDS], want)
			}
			if want := strings.Count(text, "source: jrt:/"); kinds[KindJRT] != want {
				t.Errorf("%d jrt classes, %d lines say so", kinds[KindJRT], want)
			}
			if kinds[KindJar] != 1 || kinds[KindDir] != 1 || kinds[KindHidden] != 1 || kinds[KindDynamic] == 0 || kinds[KindUnknown] != 0 {
				t.Errorf("kinds %v: want 1 jar (dep.jar), 1 dir (example.Handler), 1 lambda, some dynamic, no unknown", kinds)
			}
			// Gaps add up to the span from the first load to the last.
			span := (entries[len(entries)-1].UptimeNs - entries[0].UptimeNs) / 1000
			if sumUs > span || span-sumUs > int64(len(entries)) {
				t.Errorf("attributed %d µs, span %d µs", sumUs, span)
			}
			var imports []*profile.Import
			for _, e := range entries {
				imports = append(imports, e.Import())
			}
			cds := SharedArchive(imports)
			if cds.Classes != kinds[KindCDS] || cds.TotalClasses != len(entries) || cds.TotalUs != sumUs {
				t.Errorf("SharedArchive = %+v", cds)
			}
			byOrigin := ByOrigin(imports)
			found := false
			for _, g := range byOrigin {
				if strings.HasSuffix(g.Key, "/dep.jar") && g.Count == 1 {
					found = true
				}
			}
			if !found {
				t.Errorf("dep.jar missing from ByOrigin: %v", byOrigin)
			}
		})
	}
}

func TestRollUp(t *testing.T) {
	imports := []*profile.Import{
		{Name: "java.util.HashMap", SelfUs: 10, Origin: OriginCDS},
		{Name: "java.util.HashMap$Node", SelfUs: 5, Origin: OriginCDS},
		{Name: "example.Handler", SelfUs: 100, Origin: "/var/task/"},
		{Name: "example.Handler$$Lambda$1/0x0000000800c01000", SelfUs: 1, Origin: "example.Handler"},
		{Name: "Hello", SelfUs: 2, Origin: "/app/"},
	}
	wantPkg := []Group{{"example", 101, 2}, {"java.util", 15, 2}, {"", 2, 1}}
	if diff := cmp.Diff(wantPkg, ByPackage(imports)); diff != "" {
		t.Errorf("ByPackage (-want +got):\n%s", diff)
	}
	wantOrigin := []Group{{"/var/task/", 100, 1}, {OriginCDS, 15, 2}, {"/app/", 2, 1}, {"example.Handler", 1, 1}}
	if diff := cmp.Diff(wantOrigin, ByOrigin(imports)); diff != "" {
		t.Errorf("ByOrigin (-want +got):\n%s", diff)
	}
	if got, want := SharedArchive(imports), (CDS{Classes: 2, TotalClasses: 5, Us: 15, TotalUs: 118}); got != want {
		t.Errorf("SharedArchive = %+v, want %+v", got, want)
	}
}

// TestRealJVM compiles the test app and runs it with exactly what the
// wrapper appends to JAVA_TOOL_OPTIONS, keeping a value the user set.
func TestRealJVM(t *testing.T) {
	fullTier(t)
	for _, tool := range []string{"java", "javac", "jar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed", tool)
		}
	}
	app, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "java", "app"))
	dir := t.TempDir()
	runTool(t, dir, nil, "javac", "-d", "lib", filepath.Join(app, "lib", "src", "libdep", "Dep.java"))
	runTool(t, dir, nil, "jar", "cf", "dep.jar", "-C", "lib", ".")
	runTool(t, dir, nil, "javac", "-cp", "dep.jar", "-d", "classes", filepath.Join(app, "src", "example", "Handler.java"))
	user := "-Dcoldprof.test=1"
	stdout, stderr := runTool(t, dir, []string{"JAVA_TOOL_OPTIONS=" + user + " " + Inject}, "java", "-cp", "classes:dep.jar", "example.Handler")
	if stdout != "HELLO WORLD A\n" {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.HasPrefix(stderr, "Picked up JAVA_TOOL_OPTIONS: "+user+" "+Inject+"\n") {
		t.Errorf("stderr does not start with the JVM's Picked up line:\n%.200s", stderr)
	}
	entries, warnings, err := ReadAll(strings.NewReader(stderr), "stderr")
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	names := map[string]Entry{}
	for _, e := range entries {
		names[profile.JavaPackage(e.Class)+"|"+e.Class] = e
	}
	if e, ok := names["example|example.Handler"]; !ok || e.Kind != KindDir || e.Origin != filepath.Join(dir, "classes")+"/" {
		t.Errorf("example.Handler: %+v", e)
	}
	if e, ok := names["libdep|libdep.Dep"]; !ok || e.Kind != KindJar || e.Origin != filepath.Join(dir, "dep.jar") {
		t.Errorf("libdep.Dep: %+v", e)
	}
	if len(entries) < 300 || entries[0].Class != "java.lang.Object" {
		t.Errorf("%d entries, first %+v", len(entries), entries[0])
	}

	// -verbose:class, what the wrapper injects when it cannot tell the Java
	// version: the same lines on stdout, millisecond uptimes.
	stdout, _ = runTool(t, dir, []string{"JAVA_TOOL_OPTIONS=-verbose:class"}, "java", "-cp", "classes:dep.jar", "example.Handler")
	verbose, warnings, err := ReadAll(strings.NewReader(stdout), "stdout")
	if err != nil || len(warnings) != 0 || len(verbose) < 300 || !strings.Contains(stdout, "\nHELLO WORLD A\n") {
		t.Fatalf("-verbose:class: %d entries, err %v, warnings %v", len(verbose), err, warnings)
	}
	for _, e := range verbose {
		if !e.HasTime || e.UptimeNs%1_000_000 != 0 {
			t.Fatalf("-verbose:class entry %+v: want a millisecond uptime", e)
		}
	}
}

func runTool(t *testing.T, dir string, env []string, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"[0.057s][info][class,load] java.lang.Object source: shared objects file",
		"[21180051ns][info ][class,load] a.B source: jar:file:/x.jar!/",
		"[Loaded java.lang.Object from /rt.jar]",
		"[class,load] X",
		"[9999999999999999999ns][class,load] X source: Y",
		"[.s][ms][ns][s][class,load]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		l, res := ParseLine(line)
		if res == Parsed && (l.Class == "" || strings.ContainsRune(l.Class, ' ')) {
			t.Errorf("parsed class %q from %q", l.Class, line)
		}
		if l.UptimeNs < 0 {
			t.Errorf("negative uptime from %q", line)
		}
	})
}

// recorder plays the Reader: it offers lines to a Grammar and records what
// it hands out; introduced is what the Reader would say.
type recorder struct {
	got        []string
	introduced bool
}

func (r *recorder) line(g *Grammar, text string) bool {
	done, newProcess, claimed := g.Line([]byte(text), r.introduced)
	r.add(done)
	if newProcess {
		r.got = append(r.got, "new process")
	}
	return claimed
}

func (r *recorder) add(entries []Entry) {
	for _, e := range entries {
		r.got = append(r.got, fmt.Sprintf("%s %d %s", e.Class, e.Us, e.Origin))
	}
}

func TestGrammar(t *testing.T) {
	g := &Grammar{}
	s := &recorder{}
	lines := []struct {
		text    string
		claimed bool
	}{
		{"Picked up JAVA_TOOL_OPTIONS: " + Inject, true},
		{"[1000000ns][info][class,load] java.lang.Object source: shared objects file", true},
		{"[1000000ns][debug][class,load] klass: 0x0", true},
		{"[1500000ns][info][class,load] a.B source: file:/x.jar", true},
		{"START RequestId: 1", false},
		{"[9000000ns][info][class,load] a.C source: jrt:/java.base", true},
		{"[500000ns][info][class,load] java.lang.Object source: shared objects file", true},
		{"[class,load] broken: no class source: x", true},
	}
	for _, l := range lines {
		if got := s.line(g, l.text); got != l.claimed {
			t.Errorf("Line(%q) = %v", l.text, got)
		}
		if l.text == "START RequestId: 1" {
			s.add(g.Boundary()) // what the Reader does before a phase change
		}
	}
	s.add(g.Flush())
	want := []string{
		"new process",
		"java.lang.Object 500 " + OriginCDS,
		"a.B 0 /x.jar", // cut at the boundary: the idle time is nobody's
		"a.C 0 jrt:/java.base",
		"new process", // uptime went back
		"java.lang.Object 0 " + OriginCDS,
	}
	if diff := cmp.Diff(want, s.got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestGrammarChildJVM: in a cold start begun by a marker, a JVM the function
// starts (its own Picked up line, uptimes from zero) splits nothing, and
// each JVM's classes are timed against its own uptimes even when their lines
// interleave.
func TestGrammarChildJVM(t *testing.T) {
	g := &Grammar{}
	s := &recorder{introduced: true}
	for _, line := range []string{
		"Picked up JAVA_TOOL_OPTIONS: " + Inject,
		"[1000000ns][info][class,load] p.A source: file:/var/task/",
		"[5000000000ns][info][class,load] p.B source: file:/var/task/",
		"Picked up JAVA_TOOL_OPTIONS: " + Inject,
		"[20000000ns][info][class,load] c.X source: shared objects file",
		"[5001000000ns][info][class,load] p.C source: file:/var/task/",
		"[22000000ns][info][class,load] c.Y source: shared objects file",
		"[5004000000ns][info][class,load] p.D source: file:/var/task/",
		"[25000000ns][info][class,load] c.Z source: shared objects file",
	} {
		if !s.line(g, line) {
			t.Errorf("Line(%q) not claimed", line)
		}
	}
	s.add(g.Boundary())
	// After a boundary each JVM goes on with its own uptimes.
	s.line(g, "[6000000000ns][info][class,load] p.E source: file:/var/task/")
	s.line(g, "[30000000ns][info][class,load] c.W source: shared objects file")
	s.line(g, "[6000500000ns][info][class,load] p.F source: file:/var/task/")
	s.add(g.Flush())
	want := []string{
		"p.A 4999000 /var/task/",
		"p.B 1000 /var/task/",
		"c.X 2000 " + OriginCDS,
		"p.C 3000 /var/task/",
		"c.Y 3000 " + OriginCDS,
		"p.D 0 /var/task/", // cut at the boundary
		"c.Z 0 " + OriginCDS,
		"p.E 500 /var/task/", // each JVM on its own clock after it
		"p.F 0 /var/task/",   // the end
		"c.W 0 " + OriginCDS,
	}
	if diff := cmp.Diff(want, s.got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
