package hooks_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/google/go-cmp/cmp"
)

// hookLine is one parsed "<prefix> self | cumulative | name" line.
type hookLine struct {
	Self, Cum int64
	Depth     int
	Name      string
}

// entry is a hook line reduced to what is deterministic across runs.
type entry struct {
	Name  string
	Depth int
}

var hookLineRE = regexp.MustCompile(`^(node|ruby) require: +(\d+) \| +(\d+) \| ( *)(\S.*)$`)

// parseHookLines splits stderr into the hook's lines (checking their exact
// grammar) and everything else.
func parseHookLines(t *testing.T, prefix, stderr string) (lines []hookLine, headers int, other []string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, prefix) {
			other = append(other, l)
			continue
		}
		if strings.HasPrefix(l, prefix+"self [us] | cumulative | ") {
			headers++
			continue
		}
		m := hookLineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("hook line does not match the grammar: %q", l)
		}
		// Widths are fixed: %9d and %10d.
		if want := len(prefix) + 9 + 3 + 10 + 3; strings.Index(l, m[4]+m[5]) != want {
			t.Errorf("columns misaligned in %q", l)
		}
		self, _ := strconv.ParseInt(m[2], 10, 64)
		cum, _ := strconv.ParseInt(m[3], 10, 64)
		if len(m[4])%2 != 0 {
			t.Errorf("odd indentation in %q", l)
		}
		lines = append(lines, hookLine{Self: self, Cum: cum, Depth: len(m[4]) / 2, Name: m[5]})
	}
	return lines, headers, other
}

// checkPostOrder builds the tree the way the parsers do (each line adopts
// the preceding parentless lines one level deeper) and checks the times add up.
func checkPostOrder(t *testing.T, lines []hookLine) {
	t.Helper()
	type open struct {
		depth int
		cum   int64
	}
	var pending []open
	for _, l := range lines {
		if l.Cum < l.Self {
			t.Errorf("%s: cumulative %d < self %d", l.Name, l.Cum, l.Self)
		}
		var children int64
		for len(pending) > 0 && pending[len(pending)-1].depth > l.Depth {
			top := pending[len(pending)-1]
			if top.depth != l.Depth+1 {
				t.Errorf("%s at depth %d adopts a line at depth %d", l.Name, l.Depth, top.depth)
			}
			children += top.cum
			pending = pending[:len(pending)-1]
		}
		// Integer truncation of each child can lose up to 1 µs per child.
		if l.Cum+int64(len(lines)) < children {
			t.Errorf("%s: cumulative %d < its children's %d", l.Name, l.Cum, children)
		}
		pending = append(pending, open{l.Depth, l.Cum})
	}
	for _, p := range pending {
		if p.depth != 0 {
			t.Errorf("a line at depth %d has no parent", p.depth)
		}
	}
}

func entries(lines []hookLine) []entry {
	out := make([]entry, len(lines))
	for i, l := range lines {
		out[i] = entry{l.Name, l.Depth}
	}
	return out
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// need puts the test in the full tier and fails it when tool is missing:
// CI installs every tool, so a skip there would hide the test.
func need(t *testing.T, tool string) {
	t.Helper()
	fullTier(t)
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (.ci/setup.d installs it)", tool)
	}
}

// hookDir writes the embedded hooks to a temporary directory, as coldprof
// run does, so the tests check the embedded copies.
func hookDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hooks dir") // a space, as paths may have
	if err := hooks.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testdata(t testing.TB, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nodeOptions(dir string) string {
	return `--require "` + filepath.Join(dir, filepath.FromSlash(hooks.NodeRequire)) + `"`
}

func TestWriteDirMatchesSource(t *testing.T) {
	dir := hookDir(t)
	for _, name := range []string{hooks.NodeRequire, hooks.NodeESMHooks, hooks.RubyRequire} {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: written copy differs from the source file", name)
		}
	}
}

func TestRubyRequire(t *testing.T) {
	need(t, "ruby")
	app := testdata(t, "ruby", "app")
	runner := testdata(t, "ruby", "run.rb")
	base := []string{"LAMBDA_TASK_ROOT=" + app}
	without := run(t, app, base, "ruby", runner)
	with := run(t, app, append(base, rubyEnv(hookDir(t), "")...), "ruby", runner)
	if with.code != 0 || without.code != 0 || with.stdout != without.stdout {
		t.Fatalf("with hook: exit %d stdout %q; without: exit %d stdout %q\nstderr:\n%s",
			with.code, with.stdout, without.code, without.stdout, with.stderr)
	}
	lines, headers, other := parseHookLines(t, "ruby require: ", with.stderr)
	if headers != 1 {
		t.Errorf("%d header lines, want 1", headers)
	}
	if len(other) != 0 && !(len(other) == 1 && other[0] == "") {
		t.Errorf("unexpected stderr lines: %q", other)
	}
	got := entries(lines)
	// json's own files and what set/time load vary with the Ruby version:
	// check the function's files and the stdlib names at their depths.
	var mine []entry
	for _, e := range got {
		if !strings.HasPrefix(e.Name, "json/") && e.Name != "ostruct" {
			mine = append(mine, e)
		}
	}
	want := []entry{
		{"json", 1},
		{"set", 3},
		{"lib/b.rb", 2},
		{"lib/a.rb", 1}, // the second require_relative is cached: one line
		{"lib/raises.rb", 1},
		{"handler.rb", 0},
		{"time", 1},
		{"lib/lazy.rb", 0},
	}
	// date and its extension load under time at depth 2/3 depending on version.
	mine = slices.DeleteFunc(mine, func(e entry) bool { return e.Name == "date" || e.Name == "date_core" })
	if diff := cmp.Diff(want, mine); diff != "" {
		t.Errorf("lines (-want +got):\n%s\nstderr:\n%s", diff, with.stderr)
	}
	for _, e := range got {
		if strings.HasPrefix(e.Name, "/") {
			t.Errorf("absolute name %q: stdlib and task-root files must be named as required", e.Name)
		}
	}
	checkPostOrder(t, lines)
}

func TestRubyErrorsUnchanged(t *testing.T) {
	need(t, "ruby")
	dir := t.TempDir()
	write(t, dir, "main.rb", "require_relative 'bad'\n")
	write(t, dir, "bad.rb", "raise ArgumentError, 'bad file'\n")
	write(t, dir, "missing.rb", "begin\n  require 'no_such_gem_zz'\nrescue LoadError => e\n  puts e.path\nend\nrequire_relative 'nope'\n")
	env := rubyEnv(hookDir(t), "")
	for _, script := range []string{"main.rb", "missing.rb"} {
		without := run(t, dir, nil, "ruby", script)
		with := run(t, dir, env, "ruby", script)
		if with.code != without.code || with.code == 0 || with.stdout != without.stdout {
			t.Errorf("%s: exit %d stdout %q with the hook; %d %q without", script, with.code, with.stdout, without.code, without.stdout)
		}
		_, _, other := parseHookLines(t, "ruby require: ", with.stderr)
		// The error message is the same; the backtrace has the hook's frames.
		_, msg, _ := strings.Cut(strings.SplitN(without.stderr, "\n", 2)[0], "': ")
		if msg == "" || !strings.Contains(strings.Join(other, "\n"), msg) {
			t.Errorf("%s: error differs:\nwith:\n%s\nwithout:\n%s", script, with.stderr, without.stderr)
		}
	}
}

// TestRubyHookFailureKeepsLoading breaks the clock the hook uses.
func TestRubyHookFailureKeepsLoading(t *testing.T) {
	need(t, "ruby")
	app := testdata(t, "ruby", "app")
	runner := testdata(t, "ruby", "run.rb")
	tmp := t.TempDir()
	breaker := write(t, tmp, "breaker.rb", "module Process\n  def self.clock_gettime(*) = raise('clock broken')\nend\n")
	base := []string{"LAMBDA_TASK_ROOT=" + app}
	without := run(t, app, base, "ruby", runner)
	with := run(t, app, append(base, rubyEnv(hookDir(t), "-r"+breaker)...), "ruby", runner)
	if with.code != 0 || with.stdout != without.stdout {
		t.Errorf("with a broken hook: exit %d, stdout %q; want 0, %q\nstderr:\n%s", with.code, with.stdout, without.stdout, with.stderr)
	}
}

// rubyEnv loads the hook the way the wrapper does: RUBYOPT cannot quote a
// path with spaces, so the hook's folder goes on RUBYLIB and RUBYOPT names
// the file only. before goes first in RUBYOPT.
func rubyEnv(dir, before string) []string {
	lib := filepath.Join(dir, filepath.Dir(filepath.FromSlash(hooks.RubyRequire)))
	opt := strings.TrimSpace(before + " -r" + strings.TrimSuffix(filepath.Base(hooks.RubyRequire), ".rb"))
	return []string{"RUBYLIB=" + lib, "RUBYOPT=" + opt}
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHooksNotInherited: a ruby process the function starts does not load
// the hook (its lines would mix into the function's log), and the function
// sees RUBYOPT and RUBYLIB as the user set them (Node.js: node_test.go).
func TestHooksNotInherited(t *testing.T) {
	dir := hookDir(t)
	t.Run("ruby", func(t *testing.T) {
		need(t, "ruby")
		env := rubyEnv(dir, "-W0")
		env[0] = "RUBYLIB=/nowhere:" + strings.TrimPrefix(env[0], "RUBYLIB=")
		r := run(t, t.TempDir(), env, "ruby", "-e", `puts ENV["RUBYOPT"], ENV["RUBYLIB"]; system("ruby", "-e", "require 'set'") or exit 3`)
		if r.code != 0 || r.stdout != "-W0\n/nowhere\n" {
			t.Errorf("exit %d, RUBYOPT and RUBYLIB seen as %q", r.code, r.stdout)
		}
		if n := strings.Count(r.stderr, "ruby require: self [us]"); n != 1 {
			t.Errorf("%d headers, want 1:\n%s", n, r.stderr)
		}
	})
}

// TestRubyLoad: Kernel#load is timed every time it runs a file; a load of a
// missing file raises as without the hook and prints nothing.
func TestRubyLoad(t *testing.T) {
	need(t, "ruby")
	dir := t.TempDir()
	write(t, dir, "loaded.rb", "COUNT = (defined?(COUNT) ? COUNT : 0) + 1 unless defined?(DONE)\nrequire 'set'\n")
	write(t, dir, "main.rb", "load './loaded.rb'\nload 'loaded.rb', true\nbegin\n  load 'nope.rb'\nrescue LoadError => e\n  puts e.message\nend\nputs COUNT\n")
	without := run(t, dir, nil, "ruby", "-W0", "main.rb")
	with := run(t, dir, rubyEnv(hookDir(t), "-W0"), "ruby", "-W0", "main.rb")
	if with.code != 0 || with.stdout != without.stdout {
		t.Fatalf("exit %d stdout %q with the hook; %d %q without", with.code, with.stdout, without.code, without.stdout)
	}
	lines, _, _ := parseHookLines(t, "ruby require: ", with.stderr)
	want := []entry{{"set", 1}, {"loaded.rb", 0}, {"loaded.rb", 0}}
	if diff := cmp.Diff(want, entries(lines)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
