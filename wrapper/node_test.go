package wrapper

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/parsers/classload"
	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/google/go-cmp/cmp"
)

// hookTree writes the embedded hooks to a temporary directory whose path
// has a space in it, as a user's may.
func hookTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "coldprof hooks")
	if err := hooks.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHookFileNames keeps the wrapper's names in step with package hooks.
func TestHookFileNames(t *testing.T) {
	if nodeHookFile != hooks.NodeRequire || rubyHookDir+"/"+rubyHookName+".rb" != hooks.RubyRequire || EnvHookDir != hooks.EnvHookDir {
		t.Errorf("hook names differ from package hooks: %q %q %q", nodeHookFile, rubyHookDir+"/"+rubyHookName, EnvHookDir)
	}
	if javaClassLoadLog != classload.Inject {
		t.Errorf("javaClassLoadLog %q, classload.Inject %q", javaClassLoadLog, classload.Inject)
	}
}

// nodeArgv is the nodejs18.x bootstrap's command line at 128 MB (reference
// 1.3); Node 20 and 22 are expected to match.
var nodeArgv = []string{"/var/lang/bin/node", "--expose-gc", "--max-http-header-size", "81920",
	"--max-semi-space-size=6", "--max-old-space-size=116", "/var/runtime/index.mjs"}

// java17Argv is the java17 runtime's command line (reference 1.4): the
// handler is the last argument.
var java17Argv = []string{"/var/lang/bin/java", "-XX:MaxHeapSize=891289k", "-XX:+UseSerialGC", "-Xshare:on",
	"-XX:SharedArchiveFile=/var/lang/lib/server/runtime.jsa", "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1",
	"--add-opens=java.base/java.io=ALL-UNNAMED", "-classpath",
	"/var/runtime/lib/aws-lambda-java-core-1.2.3.jar:/var/runtime/lib/aws-lambda-java-runtime-interface-client-2.4.1-linux-x86_64.jar",
	"com.amazonaws.services.lambda.runtime.api.client.AWSLambda", "com.example.App::handleRequest"}

var java11Argv = []string{"/var/lang/bin/java", "-XX:MaxHeapSize=111412k", "-Xshare:on",
	"-XX:SharedArchiveFile=/var/lang/lib/server/runtime.jsa", "-classpath", "/var/runtime/lib/aws-lambda-java-core-1.2.3.jar",
	"lambdainternal.AWSLambda"}

func TestNewPlanNodeJavaRuby(t *testing.T) {
	dir := hookTree(t)
	nodeHook := filepath.Join(dir, "node", "coldprof-require.cjs")
	quoted := `--require "` + nodeHook + `"`
	rubyLib := filepath.Join(dir, "ruby")
	layer := t.TempDir() // the layer's layout: <dir>/coldprof-wrapper, <dir>/coldprof/hooks
	if err := hooks.WriteDir(filepath.Join(layer, "coldprof", "hooks")); err != nil {
		t.Fatal(err)
	}
	layerHook := "--require " + filepath.Join(layer, "coldprof", "hooks", "node", "coldprof-require.cjs")
	jdk17 := fakeJDK(t, "jdk17", "bin/java", `JAVA_VERSION="17.0.15"`)
	jdk11 := fakeJDK(t, "jdk11", "bin/java", `JAVA_VERSION="11.0.2"`)
	jdk8 := fakeJDK(t, "jdk8", "jre/bin/java", `JAVA_VERSION="1.8.0_392"`)
	noRelease := fakeJDK(t, "somejvm", "bin/java", "")
	modular := fakeJDK(t, "runtime", "bin/java", "")
	os.MkdirAll(filepath.Join(filepath.Dir(filepath.Dir(modular)), "lib"), 0o755)
	os.WriteFile(filepath.Join(filepath.Dir(filepath.Dir(modular)), "lib", "modules"), []byte("jimage"), 0o644)
	rtJar := fakeJDK(t, "oldjre", "bin/java", "")
	os.MkdirAll(filepath.Join(filepath.Dir(filepath.Dir(rtJar)), "lib"), 0o755)
	os.WriteFile(filepath.Join(filepath.Dir(filepath.Dir(rtJar)), "lib", "rt.jar"), []byte("zip"), 0o644)
	corretto21 := fakeJDK(t, "java-21-amazon-corretto", "bin/java", "")
	java17 := append([]string{jdk17}, java17Argv[1:]...)
	java11 := append([]string{jdk11}, java11Argv[1:]...)
	java8 := append([]string{jdk8}, java11Argv[1:]...)
	type want struct {
		runtime  string
		injected string
		env      map[string]string // variables to check ("" = must be unset)
		warnings int
	}
	tests := []struct {
		name string
		argv []string
		env  []string
		want want
	}{
		{"nodejs20.x", nodeArgv, []string{"AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x", "COLDPROF_HOOK_DIR=" + dir},
			want{runtime: "nodejs20.x", injected: "NODE_OPTIONS+=" + quoted, env: map[string]string{"NODE_OPTIONS": quoted}}},
		{"node keeps user NODE_OPTIONS", nodeArgv, []string{"NODE_OPTIONS=--enable-source-maps", "COLDPROF_HOOK_DIR=" + dir + "/"},
			want{runtime: "node", injected: "NODE_OPTIONS+=" + quoted, env: map[string]string{"NODE_OPTIONS": "--enable-source-maps " + quoted}}},
		{"COLDPROF_NODE_OPTIONS", nodeArgv, []string{"NODE_OPTIONS=--x", "COLDPROF_NODE_OPTIONS= --enable-source-maps  --max-old-space-size 100 ", "COLDPROF_HOOK_DIR=/nonexistent"},
			want{runtime: "node", injected: "NODE_OPTIONS+=--enable-source-maps --max-old-space-size=100", env: map[string]string{"NODE_OPTIONS": "--x --enable-source-maps --max-old-space-size=100"}}},
		{"COLDPROF_NODE_OPTIONS refused: the default", nodeArgv, []string{"NODE_OPTIONS=--x", "COLDPROF_NODE_OPTIONS=--cpu-prof", "COLDPROF_HOOK_DIR=" + dir},
			want{runtime: "node", injected: "NODE_OPTIONS+=" + quoted, env: map[string]string{"NODE_OPTIONS": "--x " + quoted}, warnings: 1}},
		{"node hook missing: unchanged", nodeArgv, []string{"NODE_OPTIONS=--x", "COLDPROF_HOOK_DIR=/nonexistent"},
			want{runtime: "node", env: map[string]string{"NODE_OPTIONS": "--x"}, warnings: 1}},
		{"node hook next to the exec wrapper", nodeArgv, []string{"AWS_LAMBDA_EXEC_WRAPPER=" + filepath.Dir(dir) + "/coldprof-wrapper"},
			want{runtime: "node", warnings: 1, env: map[string]string{"NODE_OPTIONS": ""}}}, // dir is "coldprof hooks", not coldprof/hooks
		{"node hook in the layer layout", nodeArgv, []string{"AWS_LAMBDA_EXEC_WRAPPER=" + layer + "/coldprof-wrapper"},
			want{runtime: "node", injected: "NODE_OPTIONS+=" + layerHook, env: map[string]string{"NODE_OPTIONS": layerHook}}},
		{"java17", java17, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17", "JAVA_TOOL_OPTIONS=-XX:+UseSerialGC"},
			want{runtime: "java17", injected: "JAVA_TOOL_OPTIONS+=" + javaClassLoadLog, env: map[string]string{"JAVA_TOOL_OPTIONS": "-XX:+UseSerialGC " + javaClassLoadLog}}},
		{"java11", java11, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java11"},
			want{runtime: "java11", injected: "JAVA_TOOL_OPTIONS+=" + javaClassLoadLog, env: map[string]string{"JAVA_TOOL_OPTIONS": javaClassLoadLog}}},
		{"JDK 8 layout: no -Xlog", java8, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java8.al2"},
			want{runtime: "java8.al2", injected: "JAVA_TOOL_OPTIONS+=-verbose:class", env: map[string]string{"JAVA_TOOL_OPTIONS": "-verbose:class"}}},
		{"JDK 8 that AWS_EXECUTION_ENV calls java17: the JVM decides", java8, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17"},
			want{runtime: "java17", injected: "JAVA_TOOL_OPTIONS+=-verbose:class", env: map[string]string{"JAVA_TOOL_OPTIONS": "-verbose:class"}}},
		{"version in the path", []string{corretto21, "-jar", "app.jar"}, nil,
			want{runtime: "java", injected: "JAVA_TOOL_OPTIONS+=" + javaClassLoadLog, env: map[string]string{"JAVA_TOOL_OPTIONS": javaClassLoadLog}}},
		{"no release file, lib/modules: JDK 9+", []string{modular, "-jar", "app.jar"}, nil,
			want{runtime: "java", injected: "JAVA_TOOL_OPTIONS+=" + javaClassLoadLog, env: map[string]string{"JAVA_TOOL_OPTIONS": javaClassLoadLog}}},
		{"no release file, rt.jar: JDK 8", []string{rtJar, "-jar", "app.jar"}, nil,
			want{runtime: "java", injected: "JAVA_TOOL_OPTIONS+=-verbose:class", env: map[string]string{"JAVA_TOOL_OPTIONS": "-verbose:class"}}},
		{"java, version unknown: left alone", []string{noRelease, "-jar", "app.jar"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17"},
			want{runtime: "java17", env: map[string]string{"JAVA_TOOL_OPTIONS": ""}, warnings: 1}},
		{"java, not found: left alone", []string{"/nonexistent/bin/java", "-jar", "app.jar"}, nil,
			want{runtime: "java", env: map[string]string{"JAVA_TOOL_OPTIONS": ""}, warnings: 1}},
		{"user's -Xlog on stderr is not reconfigured", java17, []string{"JAVA_TOOL_OPTIONS=-Xlog:class+load=info:stderr"},
			want{runtime: "java", env: map[string]string{"JAVA_TOOL_OPTIONS": "-Xlog:class+load=info:stderr"}, warnings: 1}},
		{"COLDPROF_JAVA_OPTIONS", java17, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java21", "COLDPROF_JAVA_OPTIONS=-verbose:class -XX:TieredStopAtLevel=1"},
			want{runtime: "java21", injected: "JAVA_TOOL_OPTIONS+=-verbose:class -XX:TieredStopAtLevel=1", env: map[string]string{"JAVA_TOOL_OPTIONS": "-verbose:class -XX:TieredStopAtLevel=1"}}},
		{"COLDPROF_JAVA_OPTIONS refused", java17, []string{"COLDPROF_JAVA_OPTIONS=-Xbogus"},
			want{runtime: "java", injected: "JAVA_TOOL_OPTIONS+=" + javaClassLoadLog, env: map[string]string{"JAVA_TOOL_OPTIONS": javaClassLoadLog}, warnings: 1}},
		{"ruby3.3", []string{"/var/lang/bin/ruby", "/var/runtime/index.rb"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_ruby3.3", "RUBYLIB=/var/runtime/lib", "COLDPROF_HOOK_DIR=" + dir},
			want{runtime: "ruby3.3", injected: "RUBYOPT+=-rcoldprof_require", env: map[string]string{"RUBYOPT": "-rcoldprof_require", "RUBYLIB": "/var/runtime/lib:" + rubyLib}}},
		{"ruby keeps RUBYOPT", []string{"ruby3.2", "x.rb"}, []string{"RUBYOPT=-W0", "COLDPROF_HOOK_DIR=" + dir},
			want{runtime: "ruby3.2", injected: "RUBYOPT+=-rcoldprof_require", env: map[string]string{"RUBYOPT": "-W0 -rcoldprof_require", "RUBYLIB": rubyLib}}},
		{"ruby hook missing", []string{"ruby", "x.rb"}, []string{"RUBYOPT=-W0", "COLDPROF_HOOK_DIR=/nonexistent"},
			want{runtime: "ruby", env: map[string]string{"RUBYOPT": "-W0", "RUBYLIB": ""}, warnings: 1}},
		{"COLDPROF_RUBYOPT", []string{"ruby", "x.rb"}, []string{"COLDPROF_RUBYOPT=-W0  -r" + layer + "/coldprof/hooks/ruby/coldprof_require", "COLDPROF_HOOK_DIR=/nonexistent"},
			want{runtime: "ruby", injected: "RUBYOPT+=-W0 -r" + layer + "/coldprof/hooks/ruby/coldprof_require", env: map[string]string{"RUBYOPT": "-W0 -r" + layer + "/coldprof/hooks/ruby/coldprof_require", "RUBYLIB": ""}}},
		{"COLDPROF_RUBYOPT refused", []string{"ruby", "x.rb"}, []string{"COLDPROF_RUBYOPT=-rprofile", "COLDPROF_HOOK_DIR=" + dir},
			want{runtime: "ruby", injected: "RUBYOPT+=-rcoldprof_require", env: map[string]string{"RUBYOPT": "-rcoldprof_require", "RUBYLIB": rubyLib}, warnings: 1}},
		{"rubyist, not ruby", []string{"/usr/bin/rubyist", "x"}, nil, want{warnings: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv := append([]string(nil), tt.argv...)
			p := NewPlan(argv, tt.env)
			// Node, Java and Ruby get environment only: argv is untouched.
			if diff := cmp.Diff(tt.argv, p.Argv); diff != "" {
				t.Errorf("argv changed (-want +got):\n%s", diff)
			}
			if p.Runtime != tt.want.runtime || p.Injected != tt.want.injected || len(p.Warnings) != tt.want.warnings {
				t.Errorf("runtime %q injected %q warnings %q; want %q %q %d", p.Runtime, p.Injected, p.Warnings, tt.want.runtime, tt.want.injected, tt.want.warnings)
			}
			for k, v := range tt.want.env {
				got, ok := p.Getenv(k)
				if v == "" && ok || v != "" && got != v {
					t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
				}
			}
			for _, w := range p.Warnings {
				for _, kv := range tt.env {
					if _, val, _ := strings.Cut(kv, "="); len(val) > 3 && strings.Contains(w, val) && !strings.HasPrefix(val, "/") {
						t.Errorf("warning %q prints an environment value", w)
					}
				}
			}
		})
	}
}

// fakeJDK makes a JVM layout: <root>/<name>/<bin> (an empty executable) and,
// unless release is "", <root>/<name>/release. It returns the java path.
func fakeJDK(t *testing.T, name, bin, release string) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), name)
	java := filepath.Join(home, bin)
	if err := os.MkdirAll(filepath.Dir(java), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(java, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if release != "" {
		if err := os.WriteFile(filepath.Join(home, "release"), []byte("IMPLEMENTOR=\"x\"\n"+release+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return java
}

func TestHookDir(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{nil, "/opt/coldprof/hooks"},
		{[]string{"AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper"}, "/opt/coldprof/hooks"},
		{[]string{"AWS_LAMBDA_EXEC_WRAPPER=/var/task/bin/coldprof-wrapper"}, "/var/task/bin/coldprof/hooks"},
		{[]string{"AWS_LAMBDA_EXEC_WRAPPER=relative/wrapper"}, "/opt/coldprof/hooks"},
		{[]string{"AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper", "COLDPROF_HOOK_DIR=/tmp/h/"}, "/tmp/h"},
	}
	for _, tt := range tests {
		p := Plan{Env: tt.env}
		if got := hookDir(&p); got != tt.want {
			t.Errorf("hookDir(%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestQuoteNodeOption(t *testing.T) {
	for in, want := range map[string]string{
		"/opt/coldprof/hooks/node/x.cjs": "/opt/coldprof/hooks/node/x.cjs",
		"/a b/x.cjs":                     `"/a b/x.cjs"`,
		`/a"b\c`:                         `"/a\"b\\c"`,
	} {
		if got := quoteNodeOption(in); got != want {
			t.Errorf("quoteNodeOption(%q) = %q, want %q", in, got, want)
		}
	}
}

// runWrapped runs argv through the real coldprof-wrapper binary and returns
// stdout, stderr and the exit code.
func runWrapped(t *testing.T, dir string, env []string, argv ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(wrapperBinary(t), argv...)
	cmd.Dir = dir
	cmd.Env = baseEnv(append([]string{"COLDPROF_PHASES=off"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func startMarker(t *testing.T, stderr string) marker.Event {
	t.Helper()
	evs, _ := events(t, stderr)
	for _, e := range evs {
		if e.Kind == marker.Start {
			return e
		}
	}
	t.Fatalf("no start marker in:\n%s", stderr)
	return marker.Event{}
}

func TestExecNode(t *testing.T) {
	fullTier(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	app, _ := filepath.Abs("../testdata/node/app")
	runner, _ := filepath.Abs("../testdata/node/run-cjs.js")
	dir := hookTree(t)
	env := []string{"LAMBDA_TASK_ROOT=" + app, "AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x", "NODE_OPTIONS=--no-deprecation"}
	plainOut, _, plainCode := runWrapped(t, app, append(env, "COLDPROF_DISABLE=1"), node, runner)
	out, stderr, code := runWrapped(t, app, append(env, "COLDPROF_HOOK_DIR="+dir), node, runner)
	if code != 0 || plainCode != 0 || out != plainOut {
		t.Fatalf("exit %d stdout %q, without the hook %d %q; stderr:\n%s", code, out, plainCode, plainOut, stderr)
	}
	if m := startMarker(t, stderr); m.Runtime != "nodejs20.x" || !strings.Contains(m.Injected, "coldprof-require.cjs") {
		t.Errorf("start marker %+v", m)
	}
	if !strings.Contains(stderr, "node require: self [us] | cumulative | imported module\n") ||
		!strings.Contains(stderr, "|     fakepkg/lib/index.js\n") {
		t.Errorf("no require lines:\n%s", stderr)
	}

	// A missing hook directory: one warning, and the wrapper's own copy of
	// the hooks (written under TMPDIR) profiles the function, which runs
	// exactly as before.
	tmp := t.TempDir()
	out, stderr, code = runWrapped(t, app, append(env, "COLDPROF_HOOK_DIR=/nonexistent", "TMPDIR="+tmp), node, runner)
	evs, _ := events(t, stderr)
	if code != 0 || out != plainOut || len(evs) != 2 || evs[0].Kind != marker.Warning || !strings.Contains(stderr, "node require:") ||
		!strings.Contains(evs[1].Injected, tmp+"/coldprof-hooks-") {
		t.Errorf("missing hook: exit %d stdout %q markers %+v", code, out, evs)
	}
}

func TestExecRuby(t *testing.T) {
	fullTier(t)
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Fatal("ruby is not installed")
	}
	app, _ := filepath.Abs("../testdata/ruby/app")
	runner, _ := filepath.Abs("../testdata/ruby/run.rb")
	dir := hookTree(t)
	env := []string{"LAMBDA_TASK_ROOT=" + app, "AWS_EXECUTION_ENV=AWS_Lambda_ruby3.3", "RUBYOPT=-W0"}
	plainOut, _, plainCode := runWrapped(t, app, append(env, "COLDPROF_DISABLE=1"), ruby, runner)
	out, stderr, code := runWrapped(t, app, append(env, "COLDPROF_HOOK_DIR="+dir), ruby, runner)
	if code != 0 || plainCode != 0 || out != plainOut {
		t.Fatalf("exit %d stdout %q, without the hook %d %q; stderr:\n%s", code, out, plainCode, plainOut, stderr)
	}
	if m := startMarker(t, stderr); m.Runtime != "ruby3.3" || m.Injected != "RUBYOPT+=-rcoldprof_require" {
		t.Errorf("start marker %+v", m)
	}
	if !strings.Contains(stderr, "ruby require: self [us] | cumulative | required file\n") ||
		!strings.Contains(stderr, "|   lib/a.rb\n") {
		t.Errorf("no require lines:\n%s", stderr)
	}
}

// TestExecJava runs a JVM through the wrapper with the java17 shape: the
// main class and a handler-like last argument stay where they are, the
// user's JAVA_TOOL_OPTIONS stays, class-load lines come out on stderr.
func TestExecJava(t *testing.T) {
	fullTier(t)
	java, dir := compileJava(t, `public class Main { public static void main(String[] a) { System.out.println("last=" + a[a.length-1] + " prop=" + System.getProperty("user.prop")); } }`)
	env := []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17", "JAVA_TOOL_OPTIONS=-Duser.prop=kept"}
	out, stderr, code := runWrapped(t, dir, env, java, "-Xshare:auto", "-cp", dir, "Main", "com.example.App::handleRequest")
	if code != 0 || out != "last=com.example.App::handleRequest prop=kept\n" {
		t.Fatalf("exit %d stdout %q; stderr:\n%.2000s", code, out, stderr)
	}
	if !strings.Contains(stderr, "Picked up JAVA_TOOL_OPTIONS: -Duser.prop=kept "+javaClassLoadLog+"\n") {
		t.Errorf("no Picked up line with both options:\n%.500s", stderr)
	}
	entries, _, err := classload.ReadAll(strings.NewReader(stderr), "stderr")
	if err != nil || len(entries) < 300 {
		t.Fatalf("%d class loads (%v)", len(entries), err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Class == "Main" && e.Kind == classload.KindDir && e.HasTime
	}
	if !found {
		t.Errorf("class Main not loaded from %s with a time", dir)
	}
}
