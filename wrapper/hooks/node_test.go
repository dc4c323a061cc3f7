package hooks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
	"github.com/google/go-cmp/cmp"
)

// The Node.js hook's tests run on every Node.js of nodeBinaries (20, 22, 24,
// 26): Node 20 times ES modules with module.register and its hooks thread,
// 22 and later with module.registerHooks in the main thread; the trees must
// come out the same.

// forEachNode runs fn as a subtest per Node.js version, in the full tier.
func forEachNode(t *testing.T, fn func(t *testing.T, node nodeBinary)) {
	t.Helper()
	fullTier(t)
	for _, n := range nodeBinaries(t) {
		t.Run(n.Name, func(t *testing.T) { fn(t, n) })
	}
}

// nodeTree parses the hook's lines with the parsers package, as coldprof
// reads them from a log, and renders the tree: one line per entry, two
// spaces per level. It also checks the lines' grammar and times (see
// parseHookLines, checkPostOrder) and that nothing else is on stderr but
// the lines in allowed.
func nodeTree(t *testing.T, stderr string, allowed ...string) string {
	t.Helper()
	lines, headers, other := parseHookLines(t, "node require: ", stderr)
	if headers != 1 {
		t.Errorf("%d header lines, want 1", headers)
	}
	for _, l := range other {
		if l != "" && !slices.ContainsFunc(allowed, func(a string) bool { return strings.Contains(l, a) }) {
			t.Errorf("stray line on stderr: %q", l)
		}
	}
	checkPostOrder(t, lines)
	p, err := parsers.ReadAll(strings.NewReader(stderr), "stderr", parsers.Options{})
	if err != nil {
		t.Fatalf("parsing: %v\n%s", err, stderr)
	}
	if err := p.CheckValid(); err != nil {
		t.Errorf("profile: %v", err)
	}
	for _, w := range p.Warnings {
		t.Errorf("parser warning: %s", w)
	}
	if len(p.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1\n%s", len(p.ColdStarts), stderr)
	}
	cs := p.ColdStarts[0]
	if cs.Format != profile.FormatNodeRequire {
		t.Errorf("format %q", cs.Format)
	}
	var b strings.Builder
	n := 0
	cs.Walk(func(imp *profile.Import, depth int) bool {
		n++
		var children int64
		for _, c := range imp.Children {
			children += c.CumulativeUs
		}
		// Each child's time is truncated to whole µs on its own: allow 1 µs each.
		if imp.CumulativeUs+int64(len(imp.Children)) < children || imp.SelfUs > imp.CumulativeUs {
			t.Errorf("%s: self %d, cumulative %d, children %d", imp.Name, imp.SelfUs, imp.CumulativeUs, children)
		}
		b.WriteString(strings.Repeat("  ", depth) + imp.Name + "\n")
		return true
	})
	if n != len(lines) {
		t.Errorf("%d entries from %d lines", n, len(lines))
	}
	return b.String()
}

// findUs is the self and cumulative time of the first entry named name.
func findUs(t *testing.T, stderr, name string) (self, cum int64) {
	t.Helper()
	lines, _, _ := parseHookLines(t, "node require: ", stderr)
	for _, l := range lines {
		if l.Name == name {
			return l.Self, l.Cum
		}
	}
	t.Errorf("no line for %s", name)
	return 0, 0
}

func TestNodeCommonJS(t *testing.T) {
	app := testdata(t, "node", "app")
	runner := testdata(t, "node", "run-cjs.js")
	dir := hookDir(t)
	// The runner plays the runtime client: LAMBDA_RUNTIME_DIR holds it.
	base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=index.handler", "LAMBDA_RUNTIME_DIR=" + filepath.Dir(runner)}
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		without := run(t, app, base, node.Path, runner)
		with := run(t, app, append(base, "NODE_OPTIONS="+nodeOptions(dir)), node.Path, runner)
		if with.code != 0 || without.code != 0 || with.stdout != without.stdout {
			t.Fatalf("with the hook: exit %d stdout %q; without: exit %d stdout %q\nstderr:\n%s",
				with.code, with.stdout, without.code, without.stdout, with.stderr)
		}
		want := `/var/runtime/run-cjs.js
  node:path
  index.js
    node:fs
    lib/a.js
      lib/b.js
    fakepkg/lib/index.js
      fakepkg/lib/util.js
    @scope/pkg/dist/sub.js
    lib/cycle-a.js
      lib/cycle-b.js
    lib/throws.js
  lib/lazy.js
    node:os
`
		// lib/cycle-b.js's require of cycle-a is a cache hit: no line;
		// lib/throws.js threw, is timed, and the error reached index.js.
		if diff := cmp.Diff(want, nodeTree(t, with.stderr)); diff != "" {
			t.Errorf("tree (-want +got):\n%s\nstderr:\n%s", diff, with.stderr)
		}
	})
}

// TestNodeESM: an ES module handler imported as Lambda's runtime does, with
// an ES module tree, a CommonJS package under an ES module, a CommonJS file
// loaded through createRequire, builtins, and an import() inside the handler.
func TestNodeESM(t *testing.T) {
	app := testdata(t, "node", "app")
	runner := testdata(t, "node", "run-esm.mjs")
	dir := hookDir(t)
	base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=handler.handler"}
	// ES modules in evaluation order (children first) at depth 1, each with
	// its fetch and evaluation and the CommonJS loads it made under it; the
	// builtins the graph imported; the import() in the handler a graph of
	// its own.
	want := `handler.mjs
  esm/leaf.mjs
  esm/dep.mjs
    lib/a.js
      lib/b.js
        node:path
  fakepkg/lib/index.js
    fakepkg/lib/util.js
  node:fs
  node:module
esm/lazy.mjs
  esm/lazy-dep.mjs
  node:os
`
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		without := run(t, app, base, node.Path, runner)
		with := run(t, app, append(append(base, "NODE_OPTIONS="+nodeOptions(dir)), esmEnv(node)...), node.Path, runner)
		if with.code != 0 || without.code != 0 || with.stdout != without.stdout {
			t.Fatalf("with the hook: exit %d stdout %q; without: exit %d stdout %q\nstderr:\n%s",
				with.code, with.stdout, without.code, without.stdout, with.stderr)
		}
		if diff := cmp.Diff(want, nodeTree(t, with.stderr)); diff != "" {
			t.Errorf("tree (-want +got):\n%s\nstderr:\n%s", diff, with.stderr)
		}
		// dep.mjs spins a loop at its top level: its evaluation must show,
		// apart from the CommonJS it required.
		if self, cum := findUs(t, with.stderr, "esm/dep.mjs"); self < 100 || cum <= self {
			t.Errorf("esm/dep.mjs self %d µs, cumulative %d: its evaluation or its requires are missing", self, cum)
		}

		// COLDPROF_NODE_ESM=0: only CommonJS lines.
		off := run(t, app, append(base, "NODE_OPTIONS="+nodeOptions(dir), "COLDPROF_NODE_ESM=0"), node.Path, runner)
		wantOff := "lib/a.js\n  lib/b.js\n    node:path\nfakepkg/lib/index.js\n  fakepkg/lib/util.js\n"
		if diff := cmp.Diff(wantOff, nodeTree(t, off.stderr)); diff != "" || off.stdout != without.stdout {
			t.Errorf("COLDPROF_NODE_ESM=0 (-want +got):\n%s\nstdout %q", diff, off.stdout)
		}
	})
}

// TestNodeESMWithoutRegisterHooks takes module.registerHooks away on Node 22
// and 24, as on Node 22.0-22.14 and 23.0-23.4: the hook falls back to
// module.register and its hooks thread and gives the same tree. (Node 26
// would print its deprecation of module.register, which no released Node
// 26 reaches: they all have registerHooks.)
func TestNodeESMWithoutRegisterHooks(t *testing.T) {
	app := testdata(t, "node", "app")
	runner := testdata(t, "node", "run-esm.mjs")
	dir := hookDir(t)
	remover := write(t, t.TempDir(), "no-register-hooks.cjs", "delete require('module').registerHooks;\n")
	base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=handler.handler"}
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		if node.Name != "node22" && node.Name != "node24" {
			t.Skip("only Node 22 and 24 have both module.register without a warning and registerHooks to take away")
		}
		with := run(t, app, append(base, `NODE_OPTIONS=--require "`+remover+`" `+nodeOptions(dir), "COLDPROF_NODE_ESM=1"), node.Path, runner)
		reference := run(t, app, append(base, "NODE_OPTIONS="+nodeOptions(dir)), node.Path, runner)
		if with.code != 0 {
			t.Fatalf("exit %d\n%s", with.code, with.stderr)
		}
		if diff := cmp.Diff(nodeTree(t, reference.stderr), nodeTree(t, with.stderr)); diff != "" {
			t.Errorf("module.register's tree differs from registerHooks' (-registerHooks +register):\n%s", diff)
		}
	})
}

// esmEnv is what a test of ES module timing adds to the environment: on
// Node 18 and 20 (no module.registerHooks) ES modules are timed only with
// COLDPROF_NODE_ESM=1.
func esmEnv(node nodeBinary) []string {
	if node.Name == "node18" || node.Name == "node20" {
		return []string{"COLDPROF_NODE_ESM=1"}
	}
	return nil
}

// TestNodeESMOptInWithoutRegisterHooks: where module.registerHooks is
// missing (Node 18 and 20, and 22 with it taken away) an ES module handler
// gets, by default, its CommonJS loads timed and one warning marker that the
// report lists, and no hooks thread; with registerHooks the same default
// times the ES modules and warns of nothing.
func TestNodeESMOptInWithoutRegisterHooks(t *testing.T) {
	app := testdata(t, "node", "app")
	runner := testdata(t, "node", "run-esm.mjs")
	dir := hookDir(t)
	remover := write(t, t.TempDir(), "no-register-hooks.cjs", "delete require('module').registerHooks;\n")
	base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=handler.handler"}
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		options := nodeOptions(dir)
		switch node.Name {
		case "node18", "node20":
		case "node22":
			options = `--require "` + remover + `" ` + options
		default:
			r := run(t, app, append(base, "NODE_OPTIONS="+options), node.Path, runner)
			if strings.Contains(r.stderr, `"ev":"warning"`) || !strings.Contains(nodeTree(t, r.stderr), "esm/dep.mjs") {
				t.Errorf("with registerHooks: a warning, or ES modules untimed:\n%s", r.stderr)
			}
			return
		}
		without := run(t, app, base, node.Path, runner)
		r := run(t, app, append(base, "NODE_OPTIONS="+options), node.Path, runner)
		if r.code != 0 || r.stdout != without.stdout {
			t.Fatalf("exit %d, stdout %q, want %q\n%s", r.code, r.stdout, without.stdout, r.stderr)
		}
		if n := strings.Count(r.stderr, `coldprof: {"v":1,"ev":"warning"`); n != 1 {
			t.Errorf("%d warning markers, want 1:\n%s", n, r.stderr)
		}
		lines, _, _ := parseHookLines(t, "node require: ", r.stderr)
		want := []entry{{"node:path", 2}, {"lib/b.js", 1}, {"lib/a.js", 0}, {"fakepkg/lib/util.js", 1}, {"fakepkg/lib/index.js", 0}}
		if diff := cmp.Diff(want, entries(lines)); diff != "" {
			t.Errorf("CommonJS lines (-want +got):\n%s\n%s", diff, r.stderr)
		}
		p, err := parsers.ReadAll(strings.NewReader(r.stderr), "stderr", parsers.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var said bool
		for _, w := range p.Warnings {
			said = said || strings.Contains(w.Message, "ES modules not timed (only CommonJS)") && strings.Contains(w.Message, "COLDPROF_NODE_ESM=1")
		}
		if !said {
			t.Errorf("the report's warnings do not say ES modules were not timed: %q", p.Warnings)
		}
	})
}

// TestNodeDynamicImportFromCommonJS: a CommonJS handler that imports an ES
// module inside the handler. Registered ES module hooks slow every require()
// down, so a CommonJS handler gets them only with COLDPROF_NODE_ESM=1, on
// every Node version.
func TestNodeDynamicImportFromCommonJS(t *testing.T) {
	app := t.TempDir()
	write(t, app, "index.js", "'use strict';\nrequire('./util.js');\nexports.handler = async () => (await import('./lazy.mjs')).v;\n")
	write(t, app, "util.js", "exports.u = 1;\n")
	write(t, app, "lazy.mjs", "import { d } from './lazy-dep.mjs';\nexport const v = 'lazy+' + d;\n")
	write(t, app, "lazy-dep.mjs", "export const d = 'dep';\n")
	runner := write(t, t.TempDir(), "run.js", "require(process.env.LAMBDA_TASK_ROOT + '/index.js').handler().then((v) => console.log(v));\n")
	dir := hookDir(t)
	base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=index.handler", "LAMBDA_RUNTIME_DIR=" + filepath.Dir(runner)}
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		timed := "/var/runtime/run.js\n  index.js\n    util.js\nlazy.mjs\n  lazy-dep.mjs\n"
		for _, force := range []string{"", "1"} {
			r := run(t, app, append(base, "NODE_OPTIONS="+nodeOptions(dir), "COLDPROF_NODE_ESM="+force), node.Path, runner)
			if r.code != 0 || r.stdout != "lazy+dep\n" {
				t.Fatalf("exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
			}
			want := timed
			if force == "" {
				want = "/var/runtime/run.js\n  index.js\n    util.js\n"
			}
			if diff := cmp.Diff(want, nodeTree(t, r.stderr)); diff != "" {
				t.Errorf("COLDPROF_NODE_ESM=%q: tree (-want +got):\n%s\nstderr:\n%s", force, diff, r.stderr)
			}
		}
	})
}

func TestNodeUncaughtErrorUnchanged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.js", "require('./bad');\n")
	write(t, dir, "bad.js", "throw new TypeError('bad module');\n")
	hooksDir := hookDir(t)
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		without := run(t, dir, nil, node.Path, "main.js")
		with := run(t, dir, []string{"NODE_OPTIONS=" + nodeOptions(hooksDir)}, node.Path, "main.js")
		if with.code != without.code || with.code == 0 {
			t.Errorf("exit code %d with the hook, %d without; want equal and non-zero", with.code, without.code)
		}
		for _, r := range []result{with, without} {
			if !strings.Contains(r.stderr, "TypeError: bad module") {
				t.Errorf("error message missing from stderr:\n%s", r.stderr)
			}
		}
		lines, _, _ := parseHookLines(t, "node require: ", with.stderr)
		if got := entries(lines); !slices.Contains(got, entry{"bad.js", 1}) {
			t.Errorf("the throwing module has no line: %v", got)
		}
	})
}

// TestNodeHookFailureKeepsLoading breaks the clock and stderr writes the hook
// uses: the program must still run, with the same output, CommonJS and ES
// modules alike.
func TestNodeHookFailureKeepsLoading(t *testing.T) {
	app := testdata(t, "node", "app")
	breaker := write(t, t.TempDir(), "breaker.cjs", `
const fs = require('fs');
process.hrtime.bigint = () => { throw new Error('clock broken'); };
if (globalThis.performance) globalThis.performance.now = () => { throw new Error('clock broken'); };
const orig = fs.writeSync;
fs.writeSync = (fd, ...rest) => { if (fd === 2) throw new Error('stderr broken'); return orig(fd, ...rest); };
`)
	dir := hookDir(t)
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		for _, tc := range []struct{ runner, handler string }{{"run-cjs.js", "index.handler"}, {"run-esm.mjs", "handler.handler"}} {
			runner := testdata(t, "node", tc.runner)
			base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=" + tc.handler}
			without := run(t, app, base, node.Path, runner)
			with := run(t, app, append(append(base, `NODE_OPTIONS=--require "`+breaker+`" `+nodeOptions(dir)), esmEnv(node)...), node.Path, runner)
			if with.code != 0 || with.stdout != without.stdout {
				t.Errorf("%s with a broken hook: exit %d, stdout %q; want 0, %q\nstderr:\n%s", tc.runner, with.code, with.stdout, without.stdout, with.stderr)
			}
		}
	})
}

// TestNodeESMErrorsUnchanged: an ES module graph with top-level await, a
// module whose last line is a comment without a newline, and a module that
// throws. The program must fail exactly as without the hook, and a graph
// that evaluates must be timed with its await.
func TestNodeESMErrorsUnchanged(t *testing.T) {
	runner := testdata(t, "node", "run-esm.mjs")
	good := t.TempDir()
	write(t, good, "handler.mjs", "import { v } from './tail.mjs';\nawait new Promise((r) => setTimeout(r, 20));\nexport const handler = async () => v;\n")
	write(t, good, "tail.mjs", "export const v = 'tail'; // no newline at the end")
	bad := t.TempDir()
	write(t, bad, "handler.mjs", "import './bad.mjs';\nexport const handler = async () => 1;\n")
	write(t, bad, "bad.mjs", "throw new RangeError('bad es module');\n")
	hooksDir := hookDir(t)
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		for _, tc := range []struct {
			root string
			code int
			want string
		}{{good, 0, "handler.mjs\n  tail.mjs\n"}, {bad, 1, "handler.mjs\n"}} {
			base := []string{"LAMBDA_TASK_ROOT=" + tc.root, "_HANDLER=handler.handler"}
			without := run(t, tc.root, base, node.Path, runner)
			with := run(t, tc.root, append(append(base, "NODE_OPTIONS="+nodeOptions(hooksDir)), esmEnv(node)...), node.Path, runner)
			if with.code != tc.code || without.code != tc.code || with.stdout != without.stdout {
				t.Errorf("%s: exit %d stdout %q with the hook, %d %q without; want exit %d", tc.root, with.code, with.stdout, without.code, without.stdout, tc.code)
			}
			var allowed []string
			if tc.code != 0 {
				// The error as node prints it, without the hook too; the
				// graph that never finished is printed at exit.
				_, _, allowed = parseHookLines(t, "node require: ", without.stderr)
				if !strings.Contains(with.stderr, "RangeError: bad es module") {
					t.Errorf("error missing with the hook:\n%s", with.stderr)
				}
			}
			if diff := cmp.Diff(tc.want, nodeTree(t, with.stderr, allowed...)); diff != "" {
				t.Errorf("tree (-want +got):\n%s\nstderr:\n%s", diff, with.stderr)
			}
			if tc.code == 0 {
				// libuv runs timers against its loop clock, in whole ms: a
				// 20 ms setTimeout can resolve after 19.6 ms by hrtime
				// (measured on Node 20 and 24).
				if self, _ := findUs(t, with.stderr, "handler.mjs"); self < 19000 {
					t.Errorf("handler.mjs self %d µs, want its 20 ms top-level await in it", self)
				}
			}
		}
	})
}

// TestNodeESMCompileCountsToItsModule: a handler imports a big ES module
// (10,000 exported functions, about 1.2 MB, whose compilation takes tens of
// ms) and then two tiny ones. The big module's compilation must never be
// charged to the tiny module loaded after it (an earlier version of the
// synchronous hook did: tiny.mjs showed 110-125 ms on Node 22-26); with the
// synchronous hook (Node 22+) it counts to big.mjs itself.
func TestNodeESMCompileCountsToItsModule(t *testing.T) {
	runner := testdata(t, "node", "run-esm.mjs")
	app := t.TempDir()
	var big strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&big, "export function f%d(x) { const a = [x, %d, x * %d]; return a.map((v) => v + %d).reduce((s, v) => s + v, 0); }\n", i, i, i, i)
	}
	write(t, app, "big.mjs", big.String())
	write(t, app, "tiny.mjs", "export const t = 1;\n")
	write(t, app, "tiny2.mjs", "export const t2 = 2;\n")
	write(t, app, "handler.mjs", "import { f1 } from './big.mjs';\nimport { t } from './tiny.mjs';\nimport { t2 } from './tiny2.mjs';\nexport const handler = async () => f1(t + t2);\n")
	hooksDir := hookDir(t)
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		base := []string{"LAMBDA_TASK_ROOT=" + app, "_HANDLER=handler.handler"}
		with := run(t, app, append(append(base, "NODE_OPTIONS="+nodeOptions(hooksDir)), esmEnv(node)...), node.Path, runner)
		if with.code != 0 {
			t.Fatalf("exit %d\n%s", with.code, with.stderr)
		}
		if diff := cmp.Diff("handler.mjs\n  big.mjs\n  tiny.mjs\n  tiny2.mjs\n", nodeTree(t, with.stderr)); diff != "" {
			t.Fatalf("tree (-want +got):\n%s\nstderr:\n%s", diff, with.stderr)
		}
		_, handlerCum := findUs(t, with.stderr, "handler.mjs")
		_, bigCum := findUs(t, with.stderr, "big.mjs")
		_, tinyCum := findUs(t, with.stderr, "tiny.mjs")
		_, tiny2Cum := findUs(t, with.stderr, "tiny2.mjs")
		t.Logf("handler.mjs %d µs, big.mjs %d, tiny.mjs %d, tiny2.mjs %d", handlerCum, bigCum, tinyCum, tiny2Cum)
		if 10*(tinyCum+tiny2Cum) > handlerCum {
			t.Errorf("tiny.mjs %d µs and tiny2.mjs %d µs of the handler's %d µs: a neighbour's compilation was charged to them", tinyCum, tiny2Cum, handlerCum)
		}
		if node.Name != "node18" && node.Name != "node20" && 2*bigCum < handlerCum {
			t.Errorf("big.mjs %d µs of the handler's %d µs: its compilation should count to it", bigCum, handlerCum)
		}
	})
}

// TestNodeRealisticTree runs the hook over @aws-sdk/client-s3, required by a
// CommonJS program and imported by an ES module handler, and over lodash-es,
// a tree of about 640 ES modules (testdata/node/realistic, after npm ci there).
func TestNodeRealisticTree(t *testing.T) {
	fullTier(t)
	dir := testdata(t, "node", "realistic")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "lodash-es")); err != nil {
		t.Fatal("testdata/node/realistic has no node_modules: run npm ci there (.ci/setup.d/20-npm-realistic.sh)")
	}
	loadESM := testdata(t, "node", "load-esm.mjs")
	hooksDir := hookDir(t)
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		for _, tc := range []struct {
			name, handler string
			args          []string
			top, child    string
			minEntries    int
		}{
			{"cjs", "load.handler", []string{"load.js"}, "load.js", "@aws-sdk/client-s3/dist-cjs/index.js", 100},
			{"esm-s3", "s3.handler", []string{loadESM, "s3.mjs"}, "s3.mjs", "@aws-sdk/client-s3/dist-cjs/index.js", 100},
			{"esm-lodash", "lodash.handler", []string{loadESM, "lodash.mjs"}, "lodash.mjs", "lodash-es/lodash.js", 600},
		} {
			env := append([]string{"NODE_OPTIONS=" + nodeOptions(hooksDir), "LAMBDA_TASK_ROOT=" + dir, "_HANDLER=" + tc.handler}, esmEnv(node)...)
			r := run(t, dir, env, node.Path, tc.args...)
			if r.code != 0 {
				t.Fatalf("%s: exit %d:\n%s", tc.name, r.code, r.stderr)
			}
			tree := nodeTree(t, r.stderr)
			if n := strings.Count(tree, "\n"); n < tc.minEntries {
				t.Errorf("%s: %d entries, want at least %d", tc.name, n, tc.minEntries)
			}
			if top := strings.Index("\n"+tree, "\n"+tc.top+"\n"); top < 0 || !strings.Contains(tree[top:], "\n  "+tc.child+"\n") {
				t.Errorf("%s: want %s at depth 1 under %s at depth 0; tree ends:\n%s", tc.name, tc.child, tc.top, tree[max(0, len(tree)-400):])
			}
			for _, l := range strings.Split(tree, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "/") && !strings.Contains(l, "load-esm.mjs") {
					t.Errorf("%s: absolute name %q", tc.name, l)
				}
			}
		}
	})
}

// TestNodeHookNotInherited: a node process the function starts does not
// load the hook (its lines would mix into the function's log), and the
// function sees NODE_OPTIONS as the user set it.
func TestNodeHookNotInherited(t *testing.T) {
	dir := hookDir(t)
	script := `console.log(JSON.stringify(process.env.NODE_OPTIONS));
require('child_process').execFileSync(process.execPath, ['-e', 'require("os")'], {stdio: 'inherit'});`
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		r := run(t, t.TempDir(), []string{"NODE_OPTIONS=--no-deprecation " + nodeOptions(dir)}, node.Path, "-e", script)
		if r.code != 0 || r.stdout != "\"--no-deprecation\"\n" {
			t.Errorf("exit %d, NODE_OPTIONS seen as %s", r.code, r.stdout)
		}
		if n := strings.Count(r.stderr, "node require: self [us]"); n != 1 {
			t.Errorf("%d headers, want 1 (the child must not load the hook):\n%s", n, r.stderr)
		}
	})
}

// TestNodeHookMainThreadOnly checks that a worker thread, which Node
// preloads the hook into as well, prints nothing: the hook tells threads
// apart by process.chdir (see isWorkerThread), not worker_threads.
func TestNodeHookMainThreadOnly(t *testing.T) {
	dir := hookDir(t)
	script := `const { Worker } = require('worker_threads');
const w = new Worker("require('zlib'); require('worker_threads').parentPort.postMessage(process.chdir.disabled === true)", { eval: true });
w.on('message', (m) => console.log('worker ' + m));`
	forEachNode(t, func(t *testing.T, node nodeBinary) {
		r := run(t, t.TempDir(), []string{"NODE_OPTIONS=" + nodeOptions(dir)}, node.Path, "-e", script)
		if r.code != 0 || r.stdout != "worker true\n" {
			t.Errorf("exit %d, stdout %q", r.code, r.stdout)
		}
		if n := strings.Count(r.stderr, "node require: self [us]"); n != 1 {
			t.Errorf("%d headers, want 1 (the worker must not run the hook):\n%s", n, r.stderr)
		}
		if strings.Contains(r.stderr, "node:zlib") {
			t.Errorf("the worker's require is timed:\n%s", r.stderr)
		}
		if !strings.Contains(r.stderr, "node:worker_threads") {
			t.Errorf("the main thread's require of worker_threads is not timed:\n%s", r.stderr)
		}
	})
}
