package parsers

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/python/golden")

const pyData = "../testdata/python"

// The request IDs testdata/python/sim/bootstrap.py hands its invocations.
const (
	request1 = "8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b"
	request2 = "0d3c5b7a-9e1f-4a2b-8c6d-5e4f3a2b1c0d"
)

// readLog parses a testdata log, failing the test on an error.
func readLog(t *testing.T, name string) (*profile.Profile, []profile.Warning) {
	t.Helper()
	p, err := readLogErr(t, name)
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Warnings
}

func readLogErr(t *testing.T, name string) (*profile.Profile, error) {
	t.Helper()
	f, err := os.Open(filepath.Join(pyData, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ReadAll(f, name, Options{})
	if p != nil {
		if verr := p.CheckValid(); verr != nil {
			t.Fatalf("%s: %v", name, verr)
		}
	}
	return p, err
}

var dataLine = regexp.MustCompile(`import time: +(-?\d+|cached) +\| +(\d+|cached) +\| `)

// countDataLines counts the importtime data lines of a file, the number of
// entries a lossless parse must produce.
func countDataLines(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pyData, name))
	if err != nil {
		t.Fatal(err)
	}
	return len(dataLine.FindAll(b, -1))
}

func countEntries(cs *profile.ColdStart) int {
	n := 0
	cs.Walk(func(*profile.Import, int) bool { n++; return true })
	return n
}

// checkTimes asserts importtime's own invariant on every node: cumulative =
// self + children's cumulative, within one microsecond of rounding each.
func checkTimes(t *testing.T, cs *profile.ColdStart) {
	t.Helper()
	cs.Walk(func(imp *profile.Import, _ int) bool {
		var sum int64
		for _, c := range imp.Children {
			sum += c.CumulativeUs
		}
		if d := imp.CumulativeUs - imp.SelfUs - sum; d > int64(len(imp.Children))+2 || d < -int64(len(imp.Children))-2 {
			t.Errorf("%s line %d: cumulative %d != self %d + children %d", imp.Name, imp.Line, imp.CumulativeUs, imp.SelfUs, sum)
		}
		return true
	})
}

// topByName returns the first top-level entry called name.
func topByName(cs *profile.ColdStart, name string) *profile.Import {
	for _, imp := range cs.Imports {
		if imp.Name == name {
			return imp
		}
	}
	return nil
}

// readClean parses a testdata log that must hold exactly one cold start,
// read without warnings, with one entry per data line and importtime's
// time invariant on every node.
func readClean(t *testing.T, name string) *profile.ColdStart {
	t.Helper()
	p, warnings := readLog(t, name)
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("got %d cold starts, want 1", len(p.ColdStarts))
	}
	cs := p.ColdStarts[0]
	if got, want := countEntries(cs), countDataLines(t, name); got != want {
		t.Errorf("entries = %d, want one per data line: %d", got, want)
	}
	checkTimes(t, cs)
	return cs
}

// A phaseWant is the phase (and request ID) a top-level entry must have.
type phaseWant struct {
	phase profile.Phase
	id    string
}

// checkTopPhases checks the phases of named top-level entries.
func checkTopPhases(t *testing.T, cs *profile.ColdStart, want map[string]phaseWant) {
	t.Helper()
	for name, w := range want {
		imp := topByName(cs, name)
		if imp == nil {
			t.Errorf("no top-level %s", name)
			continue
		}
		if imp.Phase != w.phase || imp.RequestID != w.id {
			t.Errorf("%s: phase %s request %q, want %s %q", name, imp.Phase, imp.RequestID, w.phase, w.id)
		}
	}
}

func TestLambdaLogsAllVersions(t *testing.T) {
	for _, v := range []string{"3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"} {
		name := "lambda-" + v + ".log"
		t.Run(name, func(t *testing.T) {
			cs := readClean(t, name)
			if cs.Boundary != profile.BoundaryExact || cs.Runtime != "python"+v || cs.Handler != "app.handler" ||
				cs.Format != profile.FormatPythonImporttime || !cs.HasInitDuration || cs.Truncated || cs.ID != name+"#1" {
				t.Errorf("cold start = %+v", *cs)
			}
			var ids []string
			for _, inv := range cs.Invocations {
				ids = append(ids, inv.RequestID)
			}
			if diff := cmp.Diff([]string{request1, request2}, ids); diff != "" {
				t.Errorf("invocations (-want +got):\n%s", diff)
			}
			// The interpreter phase ends with site; the runtime's own
			// loading nests under bootstrap; the handler module has no line
			// and its imports are top-level init entries; handler-time
			// imports belong to the invocation that made them.
			site := -1
			for i, imp := range cs.Imports {
				if imp.Name == "site" {
					site = i
				}
			}
			if site < 0 {
				t.Fatal("no site entry")
			}
			for i, imp := range cs.Imports[:site+1] {
				if imp.Phase != profile.PhaseInterpreter {
					t.Errorf("entry %d %s: phase %s, want interpreter", i, imp.Name, imp.Phase)
				}
			}
			checkTopPhases(t, cs, map[string]phaseWant{
				"bootstrap":                   {profile.PhaseRuntime, ""},
				"csv":                         {profile.PhaseInit, ""},
				"email.mime.text":             {profile.PhaseInit, ""},
				"nonexistent_coldprof_module": {profile.PhaseInit, ""},
				"xml.dom.minidom":             {profile.PhaseInvoke, request1},
				"difflib":                     {profile.PhaseInvoke, request2},
			})
			if topByName(cs, "app") != nil || topByName(cs, "html.parser") != nil {
				t.Error("modules loaded with importlib.import_module must have no line")
			}
		})
	}
}

// TestTransformedLogsKeepTheTree parses the derived logs (CRLF, collapsed
// spaces, aws logs tail prefixes) and compares their trees with the trees
// of the real logs they were made from.
func TestTransformedLogsKeepTheTree(t *testing.T) {
	tests := []struct {
		name, original string
	}{
		{"crlf.log", "lambda-3.11.log"},
		{"collapsed.log", "lambda-3.9.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := readLog(t, tt.original)
			got, warnings := readLog(t, tt.name)
			if len(warnings) != 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if len(got.ColdStarts) != 1 {
				t.Fatalf("got %d cold starts, want 1", len(got.ColdStarts))
			}
			w, g := *want.ColdStarts[0], *got.ColdStarts[0]
			w.ID, w.Source, w.Imports, g.ID, g.Source, g.Imports = "", "", nil, "", "", nil
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("cold start differs from %s (-want +got):\n%s", tt.original, diff)
			}
			if diff := cmp.Diff(dumpImports(want.ColdStarts[0].Imports), dumpImports(got.ColdStarts[0].Imports)); diff != "" {
				t.Errorf("tree differs from %s (-want +got):\n%s", tt.original, diff)
			}
		})
	}
}

func TestTruncatedLog(t *testing.T) {
	p, warnings := readLog(t, "truncated.log")
	full, _ := readLog(t, "lambda-3.10.log")
	cs := p.ColdStarts[0]
	if !cs.Truncated {
		t.Error("Truncated not set")
	}
	wantWarnings := []string{
		"truncated.log:119: malformed python-importtime line: only one '|' separator (line cut short?)",
		"truncated.log:118: cold start truncated.log#1 ends while imports were still loading: 2 completed entries whose parents never finished are listed at top level",
	}
	if diff := cmp.Diff(wantWarnings, warningStrings(warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Everything complete before the cut is reported as in the full log.
	n := len(cs.Imports) - 2
	if diff := cmp.Diff(dumpImports(full.ColdStarts[0].Imports[:n]), dumpImports(cs.Imports[:n])); diff != "" {
		t.Errorf("complete entries differ (-want +got):\n%s", diff)
	}
	// The two completed entries whose parents (email.mime.text and the
	// modules above _header_value_parser) were still loading at the cut.
	var orphans []string
	for _, imp := range cs.Imports[n:] {
		orphans = append(orphans, imp.Name)
	}
	if diff := cmp.Diff([]string{"email.mime", "email._header_value_parser"}, orphans); diff != "" {
		t.Errorf("entries listed at top level (-want +got):\n%s", diff)
	}
}

func warningStrings(ws []profile.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

// TestGolden compares whole parses with golden dumps.
func TestGolden(t *testing.T) {
	for _, name := range []string{
		"lambda-3.12.log", "lambda-boto3-numpy-requests.log", "platform-3.12.log",
		"rie-3.12.log", "plain-3.12.log", "import-module-3.7.log", "cached-3.14.log",
		"threads-3.13.log", "spawn-3.12.log", "truncated.log", "pyodide-3.14-lambda-cached.log",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := readLogErr(t, name)
			if err != nil {
				t.Fatal(err)
			}
			got := dumpProfile(p) + "warnings:\n" + strings.Join(warningStrings(p.Warnings), "\n") + "\n"
			golden(t, filepath.Join(pyData, "golden", strings.TrimSuffix(name, ".log")+".tree"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", path, diff)
	}
}

// dumpProfile renders cold starts as indented text for golden files.
func dumpProfile(p *profile.Profile) string {
	var b strings.Builder
	for _, cs := range p.ColdStarts {
		fmt.Fprintf(&b, "cold start %s runtime=%q handler=%q format=%s boundary=%s truncated=%v", cs.ID, cs.Runtime, cs.Handler, cs.Format, cs.Boundary, cs.Truncated)
		if cs.HasInitDuration {
			fmt.Fprintf(&b, " init=%.2fms", cs.InitDurationMs)
		}
		b.WriteString("\n")
		for _, inv := range cs.Invocations {
			fmt.Fprintf(&b, "  invocation %s %.2fms\n", inv.RequestID, inv.DurationMs)
		}
		b.WriteString(dumpImports(cs.Imports))
	}
	return b.String()
}

func dumpImports(imps []*profile.Import) string {
	var b strings.Builder
	for _, top := range imps {
		top.Walk(func(imp *profile.Import, depth int) bool {
			fmt.Fprintf(&b, "%s%s %d/%d %s", strings.Repeat("  ", depth+1), imp.Name, imp.SelfUs, imp.CumulativeUs, imp.Phase)
			if imp.RequestID != "" {
				b.WriteString(" " + imp.RequestID)
			}
			if imp.Cached {
				b.WriteString(" cached")
			}
			b.WriteString("\n")
			return true
		})
	}
	return b.String()
}

func TestInterleavedStreams(t *testing.T) {
	f, err := os.Open(filepath.Join(pyData, "tail-detailed.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := envelope.Open(f, "tail-detailed.log", envelope.FormatTail)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadDecoder(dec, "tail-detailed.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	a, _ := readLog(t, "lambda-3.12.log")
	b, _ := readLog(t, "platform-3.12.log")
	if len(p.ColdStarts) != 2 {
		t.Fatalf("got %d cold starts, want 2", len(p.ColdStarts))
	}
	for i, want := range []*profile.ColdStart{a.ColdStarts[0], b.ColdStarts[0]} {
		got := p.ColdStarts[i]
		if got.ID != []string{"2026/11/22/[$LATEST]0a1b2c3d4e5f40718293a4b5c6d7e8f9", "2026/11/22/[$LATEST]f9e8d7c6b5a4403928171615a4b3c2d1"}[i] {
			t.Errorf("cold start %d ID = %s", i, got.ID)
		}
		if got.Boundary != want.Boundary {
			t.Errorf("cold start %d boundary %s, want %s", i, got.Boundary, want.Boundary)
		}
		if diff := cmp.Diff(dumpImports(want.Imports), dumpImports(got.Imports)); diff != "" {
			t.Errorf("cold start %d differs from its stream's own log (-want +got):\n%s", i, diff)
		}
	}
}

func TestNoProfile(t *testing.T) {
	for _, in := range []string{"", "garbage text\n", "START RequestId: x Version: 1\nEND RequestId: x\n", "\x00\x01\x02"} {
		_, err := ReadAll(strings.NewReader(in), "in.log", Options{})
		if !errors.Is(err, ErrNoProfile) {
			t.Errorf("ReadAll(%q) error = %v, want ErrNoProfile", in, err)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pyData, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestColdprofRunLog reads a log made by `coldprof run`: the real
// coldprof-wrapper with its runtime-API proxy markers, coldprof's runtime
// client and local Runtime API with Lambda's platform lines.
func TestColdprofRunLog(t *testing.T) {
	cs := readClean(t, "coldprof-run-3.12.log")
	if cs.Boundary != profile.BoundaryExact || cs.Runtime != "python3.12" || cs.Handler != "app.handler" || !cs.HasInitDuration || len(cs.Invocations) != 2 {
		t.Fatalf("cold start = %+v", *cs)
	}
	req1, req2 := cs.Invocations[0].RequestID, cs.Invocations[1].RequestID
	checkTopPhases(t, cs, map[string]phaseWant{
		"coldprof_runtime":            {profile.PhaseRuntime, ""},
		"csv":                         {profile.PhaseInit, ""},
		"email.mime.text":             {profile.PhaseInit, ""},
		"xml.dom.minidom":             {profile.PhaseInvoke, req1},
		"difflib":                     {profile.PhaseInvoke, req2},
		"site":                        {profile.PhaseInterpreter, ""},
		"encodings.utf_8":             {profile.PhaseInterpreter, ""},
		"html.entities":               {profile.PhaseInvoke, req1},
		"nonexistent_coldprof_module": {profile.PhaseInit, ""},
	})
}

func TestIOErrorIsFatalWithPosition(t *testing.T) {
	fire := errors.New("disk on fire")
	in := io.MultiReader(strings.NewReader(itLines(header, "1 1 0 a")), iotest.ErrReader(fire))
	_, err := ReadAll(in, "in.log", Options{})
	if !errors.Is(err, fire) || err.Error() != "in.log: after line 2: disk on fire" {
		t.Errorf("err = %v", err)
	}
}
