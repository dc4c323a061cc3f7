package parsers

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// Python 3.14's -X importtime=2 "cached" lines (CPython Python/import.c,
// import_ensure_initialized): printf("import time: cached    | cached     | %*s\n",
// import_level*2, name), the name right-aligned in a field twice the number
// of imports open; a timed line is printf("... | %*s%s\n", import_level*2, "",
// name) after its own import closed.

// cachedLine is one line of that format.
func cachedLine(level int, name string) string {
	return fmt.Sprintf("import time: cached    | cached     | %*s", 2*level, name)
}

// timedLine is one timed line of CPython's format.
func timedLine(self, cum int64, level int, name string) string {
	return fmt.Sprintf("import time: %9d | %10d | %*s%s", self, cum, 2*level, "", name)
}

// parentsOf parses log and maps each cached entry's line to its parent's
// line (0 at the top level).
func parentsOf(t *testing.T, log string) (map[int]int, *profile.ColdStart) {
	t.Helper()
	p, err := ReadAll(strings.NewReader(log), "in.log", Options{})
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
	parents := map[int]int{}
	var walk func(imp *profile.Import, parent int)
	walk = func(imp *profile.Import, parent int) {
		if imp.Cached {
			parents[imp.Line] = parent
		}
		for _, c := range imp.Children {
			walk(c, imp.Line)
		}
	}
	for _, top := range p.ColdStarts[0].Imports {
		walk(top, 0)
	}
	return parents, p.ColdStarts[0]
}

// TestCachedLinesHandChecked: small logs in CPython's exact format whose
// parents were worked out by hand from the program they stand for.
func TestCachedLinesHandChecked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lines []string
		want  map[int]int // cached line -> parent line (0: top level)
	}{{
		// b imports c; c looks up os and then collections.abc while it runs
		// (2 imports open: field 4 wide). "  os" says level 2 exactly; the
		// unindented collections.abc after it, with no import finished in
		// between, can only be as deep or deeper: c's as well, not b's.
		name: "a run of look-ups only goes deeper",
		lines: []string{
			timedLine(10, 10, 0, "a"),
			cachedLine(2, "os"),
			cachedLine(2, "collections.abc"),
			timedLine(20, 20, 1, "c"),
			timedLine(30, 50, 0, "b"),
		},
		want: map[int]int{3: 5, 4: 5},
	}, {
		// The top level looks up a (done), then b imports c, which looks up
		// a; then the top level looks up sys, and b again.
		name: "levels 0 to 2 with leading spaces where the name is short",
		lines: []string{
			timedLine(10, 10, 0, "a"),
			cachedLine(0, "a"),
			cachedLine(2, "a"),
			timedLine(20, 20, 1, "c"),
			cachedLine(1, "a"),
			timedLine(30, 50, 0, "b"),
			cachedLine(0, "sys"),
			cachedLine(0, "b"),
		},
		// Line 3 "a" (width 0, one letter): level 0. Line 4 "   a": level
		// 2, c's. Line 6 " a": level 1, b's. Lines 8 and 9 come after the
		// last timed line, where nothing closes again: "b" is level 0;
		// "sys" could be 0 or 1 (an import opened and never closed, in a
		// cut log), and the parser takes the lowest, which a whole log needs.
		want: map[int]int{3: 0, 4: 5, 6: 7, 8: 0, 9: 0},
	}, {
		// d (level 1) finishes, then the look-ups before e: field 4 wide
		// for e's own ("   a" could only be level 2) and an unindented
		// long name that must come between d's level and e's + 1.
		name: "closing to a shallower line bounds a run from above",
		lines: []string{
			timedLine(5, 5, 0, "a"),
			timedLine(10, 10, 2, "d"),
			cachedLine(2, "collections.abc"),
			timedLine(20, 30, 1, "c"),
			timedLine(30, 60, 0, "b"),
		},
		// collections.abc came after d (level 2) and before c (level 1)
		// closed: only level 2 fits, c's look-up.
		want: map[int]int{4: 5},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			log := "import time: self [us] | cumulative | imported package\n" + strings.Join(tt.lines, "\n") + "\n"
			got, cs := parentsOf(t, log)
			for line, want := range tt.want {
				if got[line] != want {
					t.Errorf("cached line %d %q: parent line %d, want %d", line, tt.lines[line-2], got[line], want)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("%d cached entries, want %d", len(got), len(tt.want))
			}
			// Look-ups are not imports: no count includes them.
			timed := 0
			for _, l := range tt.lines {
				if !strings.Contains(l, "cached") {
					timed++
				}
			}
			n := 0
			for _, pt := range cs.PhaseTotals() {
				n += pt.Count
			}
			if n != timed {
				t.Errorf("phases count %d entries, want the %d imports", n, timed)
			}
		})
	}
}

// TestCachedLinesTruth reads logs made by testdata/python/generate.py
// (add_lookups): real -X importtime logs with cached lines inserted where a
// simulated run of each module's code looks modules up, printed with
// CPython's format strings, and a .truth file naming the module that made
// each look-up. A cached line whose level the log determines (leading
// spaces, or bounds that leave one level) must be under its true parent;
// every other one must sit at a level the log allows (the parser's guess:
// a sibling of the next timed line, kept within the bounds).
func TestCachedLinesTruth(t *testing.T) {
	for _, name := range []string{"cached-3.14.log", "cached-3.14-lambda.log"} {
		t.Run(name, func(t *testing.T) {
			log := readFile(t, name)
			truth := map[int]int{}
			for _, l := range strings.Split(strings.TrimSpace(readFile(t, strings.TrimSuffix(name, ".log")+".truth")), "\n") {
				if strings.HasPrefix(l, "#") {
					continue
				}
				f := strings.Fields(l)
				line, err1 := strconv.Atoi(f[0])
				parent, err2 := strconv.Atoi(f[1])
				if len(f) != 2 || err1 != nil || err2 != nil {
					t.Fatalf("truth line %q", l)
				}
				truth[line] = parent
			}
			got, cs := parentsOf(t, log)
			lines := strings.Split(log, "\n")
			feasible := cachedFeasibleLevels(lines)
			levelOf := func(parent int) int {
				if parent == 0 {
					return 0
				}
				return timedLevel(lines[parent-1]) + 1
			}
			var determined, guessedWrong, wrong int
			for line, parent := range truth {
				set := feasible[line]
				if !set[levelOf(parent)] {
					t.Errorf("line %d: the true level %d is not one the log allows %v: the simulation and the model disagree", line, levelOf(parent), set)
				}
				placed, ok := got[line]
				if !ok {
					t.Errorf("line %d: no cached entry", line)
					continue
				}
				if placed != parent {
					wrong++
				}
				if !set[levelOf(placed)] {
					t.Errorf("line %d %q: placed at level %d (under line %d), outside %v", line, lines[line-1], levelOf(placed), placed, set)
				}
				if len(set) == 1 {
					determined++
					if placed != parent {
						t.Errorf("line %d %q: parent line %d, want %d", line, lines[line-1], placed, parent)
					}
				} else if placed != parent {
					guessedWrong++
				}
			}
			if len(got) != len(truth) {
				t.Errorf("%d cached entries, want %d", len(got), len(truth))
			}
			t.Logf("%d cached lines: %d placed by the log alone, %d best guesses of which %d are wrong; %d under a wrong parent in all",
				len(truth), determined, len(truth)-determined, guessedWrong, wrong)
			counted := 0
			for _, pt := range cs.PhaseTotals() {
				counted += pt.Count
			}
			if want := strings.Count(log, "import time: ") - strings.Count(log, "cached    |") - 1; counted != want {
				t.Errorf("phases count %d entries, want the %d imports", counted, want)
			}
		})
	}
}

// timedLevel is a timed line's level, -1 for any other line.
func timedLevel(line string) int {
	if !strings.HasPrefix(line, "import time:") || strings.Contains(line, "cached    |") || strings.Contains(line, "self [us]") {
		return -1
	}
	name := line[strings.LastIndex(line, "|")+2:]
	return (len(name) - len(strings.TrimLeft(name, " "))) / 2
}

// cachedFeasibleLevels says, for each cached line (1-based), which levels
// CPython could have printed it at, by brute force from the rules alone: a
// line with leading spaces s has level (s+len(name))/2, one without at most
// len(name)/2; between two timed lines at levels p and n imports only open
// and then one closes, so the run's levels never go down and lie in
// [p, n+1] ([0, ∞) before the first timed line, [p, ∞) after the last).
func cachedFeasibleLevels(lines []string) map[int]map[int]bool {
	out := map[int]map[int]bool{}
	prev := 0
	var run []int              // 1-based line numbers of the current run
	settle := func(next int) { // next: the closing timed line's level, -1 for none
		type bounds struct{ lo, hi int }
		own := make([]bounds, len(run))
		for i, n := range run {
			field := lines[n-1][strings.LastIndex(lines[n-1], "|")+2:]
			name := strings.TrimLeft(field, " ")
			if s := len(field) - len(name); s > 0 {
				own[i] = bounds{(s + len(name)) / 2, (s + len(name)) / 2}
			} else {
				own[i] = bounds{0, len(name) / 2}
			}
			own[i].lo = max(own[i].lo, prev)
			if next >= 0 {
				own[i].hi = min(own[i].hi, next+1)
			}
		}
		for i, n := range run {
			set := map[int]bool{}
			for v := own[i].lo; v <= own[i].hi; v++ {
				ok, at := true, 0
				for j := 0; j < i && ok; j++ { // the lowest levels before it
					at = max(at, own[j].lo)
					ok = at <= own[j].hi
				}
				ok = ok && at <= v
				at = v
				for j := i + 1; j < len(run) && ok; j++ { // and after it
					at = max(at, own[j].lo)
					ok = at <= own[j].hi
				}
				if ok {
					set[v] = true
				}
			}
			out[n] = set
		}
		run = run[:0]
	}
	for i, l := range lines {
		switch {
		case strings.Contains(l, "import time: cached    |"):
			run = append(run, i+1)
		case timedLevel(l) >= 0:
			settle(timedLevel(l))
			prev = timedLevel(l)
		}
	}
	settle(-1)
	return out
}

// TestCachedRunEndsAtPhaseBoundary is the shape genuine 3.14 output (the
// Pyodide capture, testdata/python/pyodide-3.14-lambda-cached.log) showed:
// the handler's last init statement looks up urllib.parse (unindented: the
// name is longer than its field), then init ends, and the first request
// imports hashlib, whose own look-ups and imports come first. At a phase
// boundary the runtime is between statements, with no import open, so the
// pending look-ups are settled there at their lowest level, the top: they
// are not hashlib's children, and hashlib is the request's import, not
// init's (its phase is its subtree's first line's).
func TestCachedRunEndsAtPhaseBoundary(t *testing.T) {
	log := strings.Join([]string{
		"import time: self [us] | cumulative | imported package",
		timedLine(10, 10, 0, "configparser"),
		cachedLine(0, "urllib.parse"),
		cachedLine(0, "urllib"),
		`coldprof: {"v":1,"ev":"init_done","t":2}`,
		`coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}`,
		cachedLine(0, "base64"),
		cachedLine(1, "zlib"),
		timedLine(5, 5, 1, "_hashlib"),
		timedLine(20, 25, 0, "hashlib"),
		`coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"r1","status":"response"}`,
	}, "\n") + "\n"
	got, cs := parentsOf(t, log)
	// urllib.parse and urllib: the top level (the boundary). base64 and
	// zlib: guesses between the boundary and _hashlib; base64 as short as
	// it is could be hashlib's or the top level's, and the parser's guess
	// (the next timed line's sibling) makes it hashlib's: allowed.
	for line, want := range map[int]int{3: 0, 4: 0} {
		if got[line] != want {
			t.Errorf("cached line %d: parent line %d, want %d", line, got[line], want)
		}
	}
	hashlib := topLevelImport(t, cs, "hashlib")
	if hashlib.Phase != profile.PhaseInvoke || hashlib.RequestID != "r1" {
		t.Errorf("hashlib: phase %s request %q, want invoke r1", hashlib.Phase, hashlib.RequestID)
	}
}

// TestCachedRunAcrossPlatformStart: without markers a platform line can
// land inside an import (START written before the runtime's lines reach
// the log, as in early-start.log), so it does not settle the look-ups
// before it: app, whose look-ups and boto3 straddle START, stays one
// init import, as it is in an -X importtime=1 log of the same run.
func TestCachedRunAcrossPlatformStart(t *testing.T) {
	log := strings.Join([]string{
		"INIT_START Runtime Version: python:3.14.v1\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:abab",
		"import time: self [us] | cumulative | imported package",
		timedLine(9800, 9800, 0, "awslambdaric.bootstrap"),
		cachedLine(0, "json"),
		cachedLine(0, "os"),
		"START RequestId: 55555555-eeee-4fff-8aaa-000000000005 Version: $LATEST",
		timedLine(60000, 60000, 1, "boto3"),
		timedLine(500, 60500, 0, "app"),
		timedLine(5200, 5200, 0, "smtplib"),
		"END RequestId: 55555555-eeee-4fff-8aaa-000000000005",
		"REPORT RequestId: 55555555-eeee-4fff-8aaa-000000000005\tDuration: 15.74 ms\tBilled Duration: 147 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 130.49 ms",
	}, "\n") + "\n"
	got, cs := parentsOf(t, log)
	app := topLevelImport(t, cs, "app")
	if app.Phase != profile.PhaseInit {
		t.Errorf("app: phase %s, want init (its import began before START)", app.Phase)
	}
	// json and os: app's look-ups (line 8), as the guess makes them (the
	// next timed line's siblings); settled by START they would be at the top.
	for _, line := range []int{4, 5} {
		if got[line] != 8 {
			t.Errorf("cached line %d: parent line %d, want 8 (app)", line, got[line])
		}
	}
}

// topLevelImport is cs's top-level entry named name, failing t without one.
func topLevelImport(t *testing.T, cs *profile.ColdStart, name string) *profile.Import {
	t.Helper()
	for _, imp := range cs.Imports {
		if imp.Name == name {
			return imp
		}
	}
	t.Fatalf("%s is not a top-level entry", name)
	return nil
}
