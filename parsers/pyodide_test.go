package parsers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// Genuine CPython 3.14 output: Pyodide 314.0.8 (CPython 3.14.2 compiled to
// WebAssembly) run under Node.js by testdata/python/pyodide/capture.mjs,
// with -X importtime (=1) and -X importtime=2. Each log has a .truth file
// the capture derived from CPython's "import" audit events, not from the
// log's indentation: every import line's parent (see the script's header).

// pyodideCaptures are the stored captures.
var pyodideCaptures = []string{"pyodide-3.14-lambda.log", "pyodide-3.14-lambda-cached.log"}

// A rawImportLine is one "import time:" data line as read by a regular
// expression, apart from the parser.
type rawImportLine struct {
	num         int // 1-based line number
	cached      bool
	field       string // what follows "| " after the second '|': indent and name
	name        string
	self, cum   int64
	indentLevel int // timed lines: leading spaces / 2
}

var (
	rawTimed  = regexp.MustCompile(`^import time:\s+(\d+) \|\s+(\d+) \| (.*)$`)
	rawCached = regexp.MustCompile(`^import time: cached    \| cached     \| (.*)$`)
)

func rawImportLines(log string) []rawImportLine {
	var out []rawImportLine
	for i, l := range strings.Split(log, "\n") {
		if m := rawCached.FindStringSubmatch(l); m != nil {
			out = append(out, rawImportLine{num: i + 1, cached: true, field: m[1], name: strings.TrimLeft(m[1], " ")})
		} else if m := rawTimed.FindStringSubmatch(l); m != nil {
			self, _ := strconv.ParseInt(m[1], 10, 64)
			cum, _ := strconv.ParseInt(m[2], 10, 64)
			name := strings.TrimLeft(m[3], " ")
			out = append(out, rawImportLine{num: i + 1, field: m[3], name: name, self: self, cum: cum, indentLevel: (len(m[3]) - len(name)) / 2})
		}
	}
	return out
}

// readTruth reads "<line> <parent line>" pairs.
func readTruth(t *testing.T, text string) map[int]int {
	t.Helper()
	truth := map[int]int{}
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		var line, parent int
		if _, err := fmt.Sscan(l, &line, &parent); err != nil {
			t.Fatalf("truth line %q: %v", l, err)
		}
		truth[line] = parent
	}
	if len(truth) == 0 {
		t.Fatal("empty truth")
	}
	return truth
}

// parsedParents maps every entry's line to its parent's line (0: top level).
func parsedParents(cs *profile.ColdStart) (map[int]int, map[int]*profile.Import) {
	parents, byLine := map[int]int{}, map[int]*profile.Import{}
	var walk func(imp *profile.Import, parent int)
	walk = func(imp *profile.Import, parent int) {
		parents[imp.Line], byLine[imp.Line] = parent, imp
		for _, c := range imp.Children {
			walk(c, imp.Line)
		}
	}
	for _, top := range cs.Imports {
		walk(top, 0)
	}
	return parents, byLine
}

// pyodideCaptureStats is what checkPyodideCapture measured.
type pyodideCaptureStats struct {
	timed, cached, withTruth int
	// Cached look-ups after the audit hook started (where the truth is):
	// placed exactly, placed under an import that was open then but not
	// the innermost, and placed under one that was not open.
	exact, openNotInnermost, notOpen  int
	determined, guessed, guessedWrong int
	cachedDepths                      map[int]int // true depth -> cached look-ups
}

// checkPyodideCapture checks a genuine capture's parse against what the
// log's lines and its truth say independently of the parser.
func checkPyodideCapture(t *testing.T, log, truthText string) pyodideCaptureStats {
	t.Helper()
	p, err := ReadAll(strings.NewReader(log), "capture.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Warnings {
		t.Errorf("warning: %s", w)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts", len(p.ColdStarts))
	}
	cs := p.ColdStarts[0]
	if cs.Runtime != "python3.14" || cs.Boundary != profile.BoundaryExact || len(cs.Invocations) != 2 || !cs.HasInitDuration {
		t.Errorf("cold start: runtime %q boundary %s, %d invocations, Init Duration %v", cs.Runtime, cs.Boundary, len(cs.Invocations), cs.HasInitDuration)
	}
	raw := rawImportLines(log)
	truth := readTruth(t, truthText)
	rawByLine := map[int]rawImportLine{}
	var st pyodideCaptureStats
	var topCum int64
	var tops []int
	for _, l := range raw {
		rawByLine[l.num] = l
		if l.cached {
			st.cached++
			continue
		}
		st.timed++
		if l.indentLevel == 0 {
			topCum += l.cum
			tops = append(tops, l.num)
		}
	}
	if want := strings.Count(log, "import time:") - 1; st.timed+st.cached != want {
		t.Fatalf("the regular expressions read %d import lines of %d", st.timed+st.cached, want)
	}

	// Counts and times: cached look-ups are neither imports nor time.
	count, total := 0, int64(0)
	for _, pt := range cs.PhaseTotals() {
		count += pt.Count
		total += pt.Us
	}
	if count != st.timed {
		t.Errorf("the phases count %d imports, the log has %d timed lines", count, st.timed)
	}
	if total != topCum {
		t.Errorf("the phases' time is %d µs, the log's top-level cumulative times add up to %d µs", total, topCum)
	}
	parents, byLine := parsedParents(cs)
	if len(byLine) != st.timed+st.cached {
		t.Errorf("%d entries, want %d", len(byLine), st.timed+st.cached)
	}
	var gotTops []int
	for _, top := range cs.Imports {
		if !top.Cached {
			gotTops = append(gotTops, top.Line)
		}
	}
	if fmt.Sprint(gotTops) != fmt.Sprint(tops) {
		t.Errorf("top-level imports at lines %v, the log's unindented timed lines are %v", gotTops, tops)
	}
	for num, imp := range byLine {
		l, ok := rawByLine[num]
		switch {
		case !ok:
			t.Errorf("entry %q at line %d, which is no import line", imp.Name, num)
		case imp.Name != l.name || imp.Cached != l.cached:
			t.Errorf("line %d: entry %q cached=%v, the line says %q cached=%v", num, imp.Name, imp.Cached, l.name, l.cached)
		case imp.Cached && (imp.SelfUs != 0 || imp.CumulativeUs != 0 || len(imp.Children) != 0):
			t.Errorf("line %d: cached %q has times %d/%d and %d children", num, imp.Name, imp.SelfUs, imp.CumulativeUs, len(imp.Children))
		case !imp.Cached && (imp.SelfUs != l.self || imp.CumulativeUs != l.cum):
			t.Errorf("line %d: %q %d/%d µs, Python printed %d/%d", num, imp.Name, imp.SelfUs, imp.CumulativeUs, l.self, l.cum)
		}
	}

	// Nesting of timed lines as the indentation says (post-order), for
	// every line; and as the audit events say, where the truth is.
	var pending []rawImportLine
	for _, l := range raw {
		if l.cached {
			continue
		}
		for len(pending) > 0 && pending[len(pending)-1].indentLevel > l.indentLevel {
			c := pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			if parents[c.num] != l.num {
				t.Errorf("line %d %q: parent line %d, its indentation says %d", c.num, c.name, parents[c.num], l.num)
			}
		}
		pending = append(pending, l)
	}
	for _, c := range pending {
		if c.indentLevel != 0 {
			t.Errorf("line %d %q: indented, but no line closes its parent", c.num, c.name)
		}
	}

	// CPython's format, checked against the truth's depths: a timed line
	// has 2*level spaces, a cached one its name right-aligned in a field
	// 2*level wide (level: the imports open when it was printed).
	depth := map[int]int{0: -1}
	var depthOf func(line int) int
	depthOf = func(line int) int {
		if d, ok := depth[line]; ok {
			return d
		}
		parent, ok := truth[line]
		if !ok {
			t.Fatalf("truth: line %d has no parent", line)
		}
		depth[line] = depthOf(parent) + 1
		return depth[line]
	}
	for line, parent := range truth {
		l, ok := rawByLine[line]
		if !ok {
			t.Fatalf("truth names line %d, which is no import line", line)
		}
		if parent != 0 {
			if pl, ok := rawByLine[parent]; !ok || pl.cached || parent < line {
				t.Fatalf("truth: line %d's parent %d is not a timed line after it", line, parent)
			}
		}
		level := depthOf(line)
		if want := fmt.Sprintf("%*s%s", 2*level, "", l.name); !l.cached && l.field != want {
			t.Errorf("line %d: %q, CPython's format at level %d is %q", line, l.field, level, want)
		}
		if want := fmt.Sprintf("%*s", 2*level, l.name); l.cached && l.field != want {
			t.Errorf("line %d: %q, CPython's format at level %d is %q", line, l.field, level, want)
		}
	}

	// Where each entry went, against the truth.
	lines := strings.Split(log, "\n")
	feasible := cachedFeasibleLevels(lines)
	levelOf := func(parent int) int {
		if parent == 0 {
			return 0
		}
		return timedLevel(lines[parent-1]) + 1
	}
	for line, parent := range truth {
		st.withTruth++
		got, ok := parents[line]
		if !ok {
			t.Errorf("line %d: no entry", line)
			continue
		}
		if rawByLine[line].cached {
			if st.cachedDepths == nil {
				st.cachedDepths = map[int]int{}
			}
			st.cachedDepths[depthOf(line)]++
		}
		if !rawByLine[line].cached {
			if got != parent {
				t.Errorf("line %d %q: parent line %d, the audit events say %d", line, rawByLine[line].name, got, parent)
			}
			continue
		}
		set := feasible[line]
		if !set[levelOf(parent)] {
			t.Errorf("line %d: the true level %d is not one the model allows %v", line, levelOf(parent), set)
		}
		if !set[levelOf(got)] {
			t.Errorf("line %d %q: placed at level %d, outside %v", line, lines[line-1], levelOf(got), set)
		}
		if len(set) == 1 {
			st.determined++
			if got != parent {
				t.Errorf("line %d %q: parent line %d, the log allows only the true %d", line, lines[line-1], got, parent)
			}
		} else {
			st.guessed++
			if got != parent {
				st.guessedWrong++
			}
		}
		// Open at that point: the true parent or one of its ancestors.
		switch {
		case got == parent:
			st.exact++
		case isTrueAncestor(truth, parent, got):
			st.openNotInnermost++
		default:
			st.notOpen++
		}
	}

	// Phases from the markers, by line: a top-level import whose subtree
	// (from the truth) began after invoke_start is that request's.
	stage := make([]string, len(lines)+1) // request ID or "" for each line
	cur := ""
	for i, l := range lines {
		if m := regexp.MustCompile(`"ev":"invoke_start".*"requestId":"([^"]+)"`).FindStringSubmatch(l); m != nil {
			cur = m[1]
		} else if strings.Contains(l, `"ev":"invoke_end"`) {
			cur = ""
		}
		stage[i+1] = cur
	}
	first := map[int]int{} // line -> the first line of its subtree
	for line := range truth {
		for a := line; a != 0; a = truth[a] {
			if f, ok := first[a]; !ok || line < f {
				first[a] = line
			}
		}
	}
	for _, top := range cs.Imports {
		f, ok := first[top.Line]
		if top.Cached || !ok {
			continue // before the audit hook: start-up, never a request's
		}
		want := stage[f]
		if got := top.RequestID; (top.Phase == profile.PhaseInvoke) != (want != "") || got != want {
			t.Errorf("line %d %q: phase %s request %q; its subtree began at line %d, request %q", top.Line, top.Name, top.Phase, got, f, want)
		}
	}
	return st
}

// isTrueAncestor reports whether anc is an ancestor of line in the truth.
func isTrueAncestor(truth map[int]int, line, anc int) bool {
	for a := line; a != 0; a = truth[a] {
		if truth[a] == anc {
			return true
		}
	}
	return false
}

// TestPyodideCaptures reads the stored genuine captures.
func TestPyodideCaptures(t *testing.T) {
	for _, name := range pyodideCaptures {
		t.Run(name, func(t *testing.T) {
			st := checkPyodideCapture(t, readFile(t, name), readFile(t, strings.TrimSuffix(name, ".log")+".truth"))
			t.Logf("%d imports, %d cached look-ups; %d lines with truth; cached look-ups by true depth %v", st.timed, st.cached, st.withTruth, st.cachedDepths)
			if st.cached > 0 {
				t.Logf("cached look-ups with truth: %d placed by the log alone, %d best guesses of which %d are wrong; "+
					"%d exact, %d under an import open then but not the innermost, %d under one not open then",
					st.determined, st.guessed, st.guessedWrong, st.exact, st.openNotInnermost, st.notOpen)
			}
			if strings.Contains(name, "cached") != (st.cached > 0) {
				t.Errorf("%d cached lines", st.cached)
			}
			if st.cached > 0 && len(st.cachedDepths) < 3 {
				t.Errorf("cached look-ups at true depths %v: the capture should cover several", st.cachedDepths)
			}
			// What app_stdlib.py does, as the parse shows it: the failing
			// import and the import in a function called at global scope
			// are init's top-level imports; the handler's imports are the
			// requests'.
			p, err := ReadAll(strings.NewReader(readFile(t, name)), name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			phases := map[string]string{}
			for _, top := range p.ColdStarts[0].Imports {
				if !top.Cached {
					phases[top.Name] = string(top.Phase) + " " + top.RequestID
				}
			}
			for name, want := range map[string]string{
				"nonexistent_coldprof_module": "init ",
				"configparser":                "init ",
				"csv":                         "invoke 8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b",
				"hashlib":                     "invoke 8f5e2a4c-1b6d-4e7f-9a0b-3c2d1e0f9a8b",
				"difflib":                     "invoke 0d3c5b7a-9e1f-4a2b-8c6d-5e4f3a2b1c0d",
				"bootstrap":                   "runtime ",
				"site":                        "interpreter ",
			} {
				if phases[name] != want {
					t.Errorf("top-level %s: %q, want %q", name, phases[name], want)
				}
			}
		})
	}
}

// TestPyodideLive runs Pyodide now, as the stored captures were made, and
// checks that the fresh output parses to the same structure (names,
// nesting, look-ups, phases; not timings): a change of CPython's or
// Pyodide's format is caught here.
func TestPyodideLive(t *testing.T) {
	fullTier(t)
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	node := filepath.Join(cache, "coldprof", "node", "22", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		t.Skipf("no Node.js 22 at %s: run .ci/setup.d/40-node-versions.sh", node)
	}
	if _, err := os.Stat(filepath.Join(cache, "coldprof", "pyodide", "314.0.8", "package", "pyodide.asm.wasm")); err != nil {
		t.Skipf("no Pyodide 314.0.8 in %s: run .ci/setup.d/50-pyodide.sh", filepath.Join(cache, "coldprof", "pyodide"))
	}
	for _, tt := range []struct{ name, importtime string }{
		{"pyodide-3.14-lambda.log", "1"},
		{"pyodide-3.14-lambda-cached.log", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, truth := filepath.Join(dir, "out.log"), filepath.Join(dir, "out.truth")
			cmd := exec.Command(node, filepath.Join(pyData, "pyodide", "capture.mjs"), "--importtime", tt.importtime, "--lambda",
				"--handler", "app_stdlib.handler", "--out", out, "--truth", truth, filepath.Join(pyData, "sim", "run_sim.py"))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, b)
			}
			fresh, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			freshTruth, err := os.ReadFile(truth)
			if err != nil {
				t.Fatal(err)
			}
			checkPyodideCapture(t, string(fresh), string(freshTruth))
			stored := readFile(t, tt.name)
			if got, want := structureOf(t, string(fresh)), structureOf(t, stored); got != want {
				t.Errorf("a fresh capture's structure differs from %s's: regenerate it (command in testdata/python/README.md) if Pyodide changed on purpose\nfresh:\n%s", tt.name, got)
			}
			if want := readFile(t, strings.TrimSuffix(tt.name, ".log")+".truth"); string(freshTruth) != want {
				t.Errorf("the fresh truth differs from the stored one")
			}
		})
	}
}

// structureOf is a parse without its timings: every entry's name, depth,
// whether cached and its phase, and the log's other lines' kinds.
func structureOf(t *testing.T, log string) string {
	t.Helper()
	p, err := ReadAll(strings.NewReader(log), "capture.log", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, cs := range p.ColdStarts {
		fmt.Fprintf(&b, "%s %s %s %d invocations\n", cs.Runtime, cs.Handler, cs.Boundary, len(cs.Invocations))
		cs.Walk(func(imp *profile.Import, depth int) bool {
			fmt.Fprintf(&b, "%s%s %s %s cached=%v line=%d\n", strings.Repeat("  ", depth), imp.Name, imp.Phase, imp.RequestID, imp.Cached, imp.Line)
			return true
		})
	}
	return b.String()
}
