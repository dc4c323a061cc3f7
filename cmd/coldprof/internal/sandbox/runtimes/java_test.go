package runtimes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/emulator"
	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/profile"
)

func TestJavaClient(t *testing.T) {
	fullTier(t)
	needTool(t, "java", "javac", "jar")
	ctx := context.Background()
	rtDir := t.TempDir()
	classes, err := BuildJava(ctx, rtDir, "")
	if err != nil {
		t.Fatal(err)
	}
	// The function's task root as Lambda lays it out: classes at the root,
	// dependencies in lib/*.jar.
	src := testdataDir(t, "java", "app")
	task := t.TempDir()
	tmp := t.TempDir()
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
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

	java, _ := exec.LookPath("java")
	handler := "example.Fn::handleRequest"
	// The java17 runtime's shape: flags, -classpath, main class, handler last.
	log, results := coldStart(t, rtDir, task, handler, "java17", []string{`{"n":1}`, `{"n":2}`},
		java, "-XX:+UseSerialGC", "-Xshare:auto", "-classpath", classes, JavaMainClass, handler)
	for _, r := range results {
		if r.Status != emulator.StatusSuccess || !strings.Contains(string(r.Payload), `"lazy":"lazy 0"`) {
			t.Fatalf("invocation %s: %s %s\nlog:\n%s", r.RequestID, r.Status, r.Payload, log)
		}
	}
	cs := parseOne(t, log, parsers.Options{})
	if cs.Format != profile.FormatJavaClassLoad {
		t.Errorf("format %q", cs.Format)
	}
	checkPhases(t, cs, results, log, []wantPhase{
		// The JVM's boot, before the main class (parsers' Java rules).
		{"java.lang.Object", profile.PhaseInterpreter},
		{"coldprof.runtime.AWSLambda", profile.PhaseRuntime},
		// Loaded by the client's warm-up before the handler, not by the
		// first Runtime API call after it: runtime, not init.
		{"sun.net.www.http.HttpClient", profile.PhaseRuntime},
		{"sun.net.spi.DefaultProxySelector", profile.PhaseRuntime},
		{"example.Fn", profile.PhaseInit}, {"libdep.Dep", profile.PhaseInit},
		{"example.LazyThing", profile.PhaseInvoke},
	})
	if c := classload.SharedArchive(cs.Imports); c.Classes == 0 || c.Classes == c.TotalClasses {
		t.Errorf("shared archive: %+v", c)
	}
}
