package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRunLangPhases runs each runtime's test function through coldprof run
// and checks, in the JSON report, that global loads are init, handler-time
// loads are invoke with the first request's ID, and the boundary is exact.
func TestRunLangPhases(t *testing.T) {
	fullTier(t)
	javaTask := t.TempDir()
	tests := []struct {
		name, runtime, handler, taskRoot string
		tools                            []string
		setup                            func(t *testing.T)
		init, invoke                     []string
	}{
		{"node commonjs", "nodejs", "index.handler", filepath.Join("..", "..", "testdata", "node", "app"), []string{"node"}, nil,
			[]string{"index.js", "lib/a.js", "fakepkg/lib/index.js"}, []string{"lib/lazy.js"}},
		{"node esm", "nodejs", "handler.handler", filepath.Join("..", "..", "testdata", "node", "app"), []string{"node"}, nil,
			[]string{"handler.mjs", "esm/dep.mjs"}, []string{"esm/lazy.mjs"}},
		{"ruby", "ruby", "handler.handler", filepath.Join("..", "..", "testdata", "ruby", "app"), []string{"ruby"}, nil,
			[]string{"handler.rb", "lib/a.rb"}, []string{"lib/lazy.rb"}},
		{"java", "java", "example.Fn::handleRequest", javaTask, []string{"java", "javac", "jar"}, func(t *testing.T) { buildJavaTask(t, javaTask) },
			[]string{"example.Fn", "libdep.Dep"}, []string{"example.LazyThing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tool := range tt.tools {
				if _, err := exec.LookPath(tool); err != nil {
					t.Fatalf("%s is not installed", tool)
				}
			}
			if tt.setup != nil {
				tt.setup(t)
			}
			args := []string{"--handler", tt.handler, "--runtime", tt.runtime, "--task-root", tt.taskRoot,
				"-n", "2", "--responses", "--format", "json", "--timeout", "20s", "--init-timeout", "60s"}
			if tt.name == "node esm" {
				// The machine's Node 20 times ES modules only when asked.
				args = append(args, "--env", "COLDPROF_NODE_ESM=1")
			}
			code, stdout, stderr := runArgs(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
			}
			ids := map[string]string{}
			for _, m := range responseLine.FindAllStringSubmatch(stderr, -1) {
				if m[3] != "success" {
					t.Errorf("invocation %s: %s", m[1], m[3])
				}
				ids[m[1]] = m[2]
			}
			var rep jsonReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.ColdStarts) != 1 {
				t.Fatalf("report: %v, %d cold starts\n%s", err, len(rep.ColdStarts), stdout)
			}
			cs := rep.ColdStarts[0]
			if cs.Boundary != "exact" {
				t.Errorf("boundary %q, want exact", cs.Boundary)
			}
			phases := map[string]jsonImport{}
			var walk func([]jsonImport)
			walk = func(imps []jsonImport) {
				for _, imp := range imps {
					if _, seen := phases[imp.Name]; !seen {
						phases[imp.Name] = imp
					}
					walk(imp.Children)
				}
			}
			walk(cs.Imports)
			for _, name := range tt.init {
				if imp, ok := phases[name]; !ok || imp.Phase != "init" {
					t.Errorf("%s: %+v, want init", name, imp)
				}
			}
			for _, name := range tt.invoke {
				imp, ok := phases[name]
				if !ok || imp.Phase != "invoke" || imp.RequestID == nil || *imp.RequestID != ids["1"] {
					t.Errorf("%s: %+v, want invoke in request %s", name, imp, ids["1"])
				}
			}
		})
	}
}

// buildJavaTask lays out the Java test function as Lambda does: classes at
// the task root, dependencies in lib/*.jar.
func buildJavaTask(t *testing.T, task string) {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "java", "app")
	tmp := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	// One javac for the function and its dependency (each javac costs
	// seconds on a loaded machine); then the dependency goes into a jar.
	run("javac", "-d", tmp, filepath.Join(src, "lib", "src", "libdep", "Dep.java"),
		filepath.Join(src, "src", "example", "Fn.java"), filepath.Join(src, "src", "example", "LazyThing.java"))
	if err := os.MkdirAll(filepath.Join(task, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	run("jar", "cf", filepath.Join(task, "lib", "dep.jar"), "-C", tmp, "libdep")
	if err := os.Rename(filepath.Join(tmp, "example"), filepath.Join(task, "example")); err != nil {
		t.Fatal(err)
	}
}
