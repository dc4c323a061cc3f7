package layer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/coldprof/coldprof/wrapper/marker"
)

// The real layer, built from this module's source once per test run and
// shared by the tests below (two cross-compiles take a while on a cold
// build cache).
var realBuild struct {
	once    sync.Once
	dir     string
	results []Result
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realBuild.dir != "" {
		os.RemoveAll(realBuild.dir)
	}
	os.Exit(code)
}

// realLayer builds (once) both zips from the module this test lives in.
func realLayer(t *testing.T) []Result {
	t.Helper()
	g := goCmd(t)
	realBuild.once.Do(func() {
		src, err := FindSource(".", "")
		if err != nil {
			realBuild.err = err
			return
		}
		if realBuild.dir, err = os.MkdirTemp("", "coldprof-layer-test-"); err != nil {
			realBuild.err = err
			return
		}
		realBuild.results, realBuild.err = Build(context.Background(), Options{SourceDir: src, GoCmd: g, OutDir: realBuild.dir})
	})
	if realBuild.err != nil {
		t.Fatalf("building the real layer: %v", realBuild.err)
	}
	return realBuild.results
}

func TestRealLayer(t *testing.T) {
	fullTier(t)
	results := realLayer(t)
	if len(results) != len(Arches) {
		t.Fatalf("built %d zips, want %d", len(results), len(Arches))
	}
	// Every hook the wrapper embeds for `coldprof run` is shipped, unchanged.
	want := map[string]string{}
	err := fs.WalkDir(hooks.Files(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(hooks.Files(), name)
		want[HooksZipDir+"/"+name] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		data, err := os.ReadFile(res.Path)
		if err != nil {
			t.Fatal(err)
		}
		if res.Size > 2<<20 {
			t.Errorf("%s layer is %s, over the 2 MiB target", res.Arch, FormatSize(res.Size))
		}
		got := map[string]string{}
		var names []string
		for _, e := range readZip(t, data) {
			names = append(names, e.Name)
			switch {
			case e.Name == WrapperName || e.Name == ProxyName:
				if e.Mode != 0o755 {
					t.Errorf("%s: %s mode %v, want 0755", res.Arch, e.Name, e.Mode)
				}
				if err := CheckELF([]byte(e.Data), res.Arch); err != nil {
					t.Errorf("%s: %v", res.Arch, err)
				}
			case e.Mode.IsDir():
				if e.Mode.Perm() != 0o755 || !strings.HasPrefix(e.Name, "coldprof/") {
					t.Errorf("%s: directory %s mode %v", res.Arch, e.Name, e.Mode)
				}
			default:
				if e.Mode != 0o644 {
					t.Errorf("%s: %s mode %v, want 0644", res.Arch, e.Name, e.Mode)
				}
				got[e.Name] = e.Data
			}
		}
		if len(names) < 2 || names[0] != ProxyName || names[1] != WrapperName {
			t.Errorf("%s: first entries %v, want %s, %s", res.Arch, names[:min(2, len(names))], ProxyName, WrapperName)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: hook files in the zip (-embedded +zip):\n%s", res.Arch, diff)
		}
	}
}

// TestRealLayerUnzip extracts the layer with Info-ZIP's unzip, which, like
// Lambda, restores Unix modes from the entries: the wrapper must come out
// executable and run.
func TestRealLayerUnzip(t *testing.T) {
	fullTier(t)
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Fatal("unzip not installed")
	}
	res := realLayer(t)[0]
	opt := t.TempDir()
	if out, err := exec.Command(unzip, "-q", res.Path, "-d", opt).CombinedOutput(); err != nil {
		t.Fatalf("unzip: %v\n%s", err, out)
	}
	st, err := os.Stat(filepath.Join(opt, WrapperName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("unzipped wrapper mode %v, want 0755", st.Mode())
	}
	hook, err := os.Stat(filepath.Join(opt, filepath.FromSlash(HooksZipDir), filepath.FromSlash(hooks.NodeRequire)))
	if err != nil || hook.Mode().Perm() != 0o644 {
		t.Errorf("unzipped Node.js hook: %v, %v; want mode 0644 at %s/%s", hook, err, HooksZipDir, hooks.NodeRequire)
	}
	// With no command the wrapper has nothing to exec and says so, the way
	// Lambda's bootstrap would: it ran.
	cmd := exec.Command(filepath.Join(opt, WrapperName))
	cmd.Env = lambdaEnv("AWS_Lambda_python3.11")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), marker.Prefix) {
		t.Errorf("the unzipped wrapper printed %q, want a coldprof marker", out)
	}
	// The wrapper finds the unzipped proxy beside it and starts it.
	cmd = exec.Command(filepath.Join(opt, WrapperName), "/bin/sh", "-c", "exit 0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"}
	cmd.WaitDelay = 10 * time.Second
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"proxy":true`) || strings.Contains(string(out), "proxy not started") {
		t.Errorf("the unzipped wrapper with a Runtime API printed %q (%v), want a start marker with the proxy on", out, err)
	}
}

func TestRealLayerReproducible(t *testing.T) {
	fullTier(t)
	first := realLayer(t)
	src, err := FindSource(".", "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(context.Background(), Options{SourceDir: src, GoCmd: goCmd(t), OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		a, errA := os.ReadFile(first[i].Path)
		b, errB := os.ReadFile(second[i].Path)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) || first[i].SHA256 != second[i].SHA256 {
			t.Errorf("%s: two builds differ (%s, %s)", first[i].Arch, first[i].SHA256, second[i].SHA256)
		}
	}
}

// TestWrapperDoesNotLinkAWSSDK keeps the wrapper small and fast to start:
// only the coldprof command talks to AWS.
func TestWrapperDoesNotLinkAWSSDK(t *testing.T) {
	src, err := FindSource(".", "")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goCmd(t), "list", "-deps", WrapperPackage)
	cmd.Dir = src
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", WrapperPackage, err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") {
			t.Errorf("coldprof-wrapper links %s", dep)
		}
	}
	if !strings.Contains(string(out), "github.com/coldprof/coldprof/wrapper\n") {
		t.Errorf("go list -deps output does not list the wrapper package:\n%s", out)
	}
}

// realPython returns the path of a real CPython binary (not a pyenv shim),
// as the Lambda bootstrap would pass it.
func realPython(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 not installed")
	}
	out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatalf("python3 does not run: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// lambdaEnv is a small Lambda-like environment for running the wrapper
// here: no proxy (no Runtime API to talk to), the host's PATH and HOME.
func lambdaEnv(executionEnv string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		"AWS_EXECUTION_ENV=" + executionEnv, "COLDPROF_PHASES=off",
		"LAMBDA_TASK_ROOT=/var/task", "AWS_LAMBDA_FUNCTION_NAME=layer-test",
	}
	return append(env, extra...)
}

// startMarker returns the wrapper's start marker from stderr.
func startMarker(t *testing.T, stderr string) marker.Event {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		if _, ok := marker.Find(sc.Bytes()); !ok {
			continue
		}
		e, err := marker.Parse(sc.Bytes())
		if err != nil {
			t.Fatalf("bad marker %q: %v", sc.Text(), err)
		}
		if e.Kind == marker.Start {
			return e
		}
	}
	t.Fatalf("no start marker on stderr:\n%s", stderr)
	return marker.Event{}
}

// pythonReport is what the test's stand-in for /var/runtime/bootstrap.py
// prints about the process it runs in.
const pythonReport = `import json, os, sys
print(json.dumps({
    "xoptions": sorted(k for k in sys._xoptions),
    "argv": sys.argv,
    "handler": os.environ.get("_HANDLER"),
    "origHandler": os.environ.get("ORIG_HANDLER"),
    "pythonPath": os.environ.get("PYTHONPATH"),
    "lwa": os.environ.get("AWS_LWA_READY"),
}))
`

type pythonSeen struct {
	XOptions    []string
	Argv        []string
	Handler     string
	OrigHandler *string
	PythonPath  *string
	LWA         *string
}

func TestUnpackedLayerProfilesPython(t *testing.T) {
	fullTier(t)
	python := realPython(t)
	opt := unpack(t, realLayer(t)[0].Path)
	bootstrap := filepath.Join(t.TempDir(), "bootstrap.py")
	writeTree(t, filepath.Dir(bootstrap), map[string]string{"bootstrap.py": pythonReport})

	cmd := exec.Command(filepath.Join(opt, WrapperName), python, bootstrap)
	cmd.Env = lambdaEnv("AWS_Lambda_python3.11", "_HANDLER=app.handler")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wrapper from the layer: %v\n%s", err, stderr.String())
	}
	var seen pythonSeen
	if err := json.Unmarshal(stdout.Bytes(), &seen); err != nil {
		t.Fatalf("python's report %q: %v", stdout.String(), err)
	}
	if !cmp.Equal(seen.XOptions, []string{"importtime"}) || !cmp.Equal(seen.Argv, []string{bootstrap}) {
		t.Errorf("python ran with -X %v argv %v, want -X importtime and the bootstrap unchanged", seen.XOptions, seen.Argv)
	}
	if !strings.Contains(stderr.String(), "import time: self [us] | cumulative | imported package") ||
		!strings.Contains(stderr.String(), "| encodings") {
		t.Errorf("no import time: lines on stderr:\n%s", stderr.String())
	}
	if e := startMarker(t, stderr.String()); !strings.HasPrefix(e.Runtime, "python") || e.Injected == "" {
		t.Errorf("start marker %+v, want a python runtime and what was injected", e)
	}
}

// Scripts that behave like other vendors' wrappers, as read in their
// repositories (see shared/reference/lambda-runtime.md section 3). coldprof
// runs them through COLDPROF_NEXT_WRAPPER.
var vendorWrappers = map[string]string{
	// OpenTelemetry's Python otel-instrument: swaps the handler for its own
	// and puts its packages first on the path.
	"otel-instrument": `#!/bin/sh
export PYTHONPATH="/var/runtime:/opt/python${PYTHONPATH:+:$PYTHONPATH}"
export ORIG_HANDLER="$_HANDLER"
export _HANDLER="otel_wrapper.lambda_handler"
exec "$@"
`,
	// OpenTelemetry's Node.js otel-handler: appends a preload to NODE_OPTIONS.
	"otel-handler": `#!/bin/sh
export NODE_OPTIONS="${NODE_OPTIONS} --import ${OTEL_INIT}"
exec "$@"
`,
	// Datadog's datadog_wrapper for Java: inserts its JVM flags right after
	// the interpreter and drops -XX:-TieredCompilation.
	"datadog_wrapper": `#!/bin/bash
args=("$@")
if [[ "$1" == *java ]]; then
	rest=()
	for a in "${args[@]:1}"; do
		[ "$a" = "-XX:-TieredCompilation" ] || rest+=("$a")
	done
	args=("$1" "-Ddd.agent.loaded=true" "-XX:TieredStopAtLevel=1" "${rest[@]}")
fi
exec "${args[@]}"
`,
	// Lambda Web Adapter's bootstrap as an exec wrapper: sets its variables
	// and runs the command.
	"bootstrap": `#!/bin/sh
export AWS_LWA_READY=1
exec "$@"
`,
}

// chainLayer unpacks the x86_64 layer and puts the vendor wrappers next to
// it, in /opt as their own layers would.
func chainLayer(t *testing.T) string {
	t.Helper()
	opt := unpack(t, realLayer(t)[0].Path)
	for name, script := range vendorWrappers {
		if err := os.WriteFile(filepath.Join(opt, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return opt
}

func TestChainPython(t *testing.T) {
	fullTier(t)
	python := realPython(t)
	opt := chainLayer(t)
	bootstrap := filepath.Join(t.TempDir(), "bootstrap.py")
	writeTree(t, filepath.Dir(bootstrap), map[string]string{"bootstrap.py": pythonReport})
	s := func(v string) *string { return &v }
	tests := []struct {
		next string
		want pythonSeen
	}{
		{"otel-instrument", pythonSeen{XOptions: []string{"importtime"}, Argv: []string{bootstrap},
			Handler: "otel_wrapper.lambda_handler", OrigHandler: s("app.handler"), PythonPath: s("/var/runtime:/opt/python")}},
		{"bootstrap", pythonSeen{XOptions: []string{"importtime"}, Argv: []string{bootstrap},
			Handler: "app.handler", LWA: s("1")}},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(opt, WrapperName), python, bootstrap)
			cmd.Env = lambdaEnv("AWS_Lambda_python3.11", "_HANDLER=app.handler",
				"COLDPROF_NEXT_WRAPPER="+filepath.Join(opt, tt.next))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			var seen pythonSeen
			if err := json.Unmarshal(stdout.Bytes(), &seen); err != nil {
				t.Fatalf("python's report %q: %v", stdout.String(), err)
			}
			if diff := cmp.Diff(tt.want, seen); diff != "" {
				t.Errorf("what python saw through coldprof then %s (-want +got):\n%s", tt.next, diff)
			}
			if !strings.Contains(stderr.String(), "import time:") {
				t.Errorf("no import time: lines through the chain:\n%s", stderr.String())
			}
			if strings.Contains(stderr.String(), `"ev":"warning"`) {
				t.Errorf("the wrapper warned:\n%s", stderr.String())
			}
		})
	}
}

func TestChainNode(t *testing.T) {
	fullTier(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not installed")
	}
	opt := chainLayer(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"init.mjs":  "globalThis.__otelInit = true;\n",
		"index.mjs": "console.log(JSON.stringify({execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS, otel: globalThis.__otelInit === true}));\n",
	})
	init := filepath.Join(dir, "init.mjs")
	// The Node.js bootstrap's command line (reference section 1.3).
	argv := []string{node, "--expose-gc", "--max-http-header-size", "81920", "--max-semi-space-size=6", "--max-old-space-size=116", filepath.Join(dir, "index.mjs")}
	cmd := exec.Command(filepath.Join(opt, WrapperName), argv...)
	cmd.Env = lambdaEnv("AWS_Lambda_nodejs20.x", "_HANDLER=index.handler", "NODE_OPTIONS=--enable-source-maps",
		"OTEL_INIT="+init, "COLDPROF_NEXT_WRAPPER="+filepath.Join(opt, "otel-handler"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var seen struct {
		ExecArgv    []string
		NodeOptions string
		Otel        bool
	}
	if err := json.Unmarshal(stdout.Bytes(), &seen); err != nil {
		t.Fatalf("node's report %q: %v\nstderr:\n%s", stdout.String(), err, stderr.String())
	}
	for _, flag := range argv[1:6] {
		if !contains(seen.ExecArgv, flag) {
			t.Errorf("node's execArgv %v lost %s", seen.ExecArgv, flag)
		}
	}
	if !seen.Otel || !strings.HasPrefix(seen.NodeOptions, "--enable-source-maps") || !strings.HasSuffix(seen.NodeOptions, " --import "+init) {
		t.Errorf("NODE_OPTIONS %q (otel init ran: %v): want the function's options kept and the vendor's appended", seen.NodeOptions, seen.Otel)
	}
	// The hook takes its own --require back out of NODE_OPTIONS (the
	// function sees the value it set), so check where it came from in the
	// start marker and that it ran.
	if e := startMarker(t, stderr.String()); !strings.Contains(e.Injected, filepath.Join(opt, HooksZipDir)) || !strings.Contains(stderr.String(), "node require:") {
		t.Errorf("coldprof injected %q (want the layer's hook, found beside the wrapper), stderr:\n%.1000s", e.Injected, stderr.String())
	}
}

func TestChainJava(t *testing.T) {
	fullTier(t)
	java, errJava := exec.LookPath("java")
	javac, errJavac := exec.LookPath("javac")
	if errJava != nil || errJavac != nil {
		t.Fatal("java/javac not installed")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash not installed (the Datadog-like wrapper is a bash script)")
	}
	opt := chainLayer(t)
	classes := t.TempDir()
	writeTree(t, classes, map[string]string{"Report.java": `import java.lang.management.ManagementFactory;
public class Report {
    public static void main(String[] args) {
        StringBuilder b = new StringBuilder();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) b.append(a).append('\n');
        b.append("--\n");
        for (String a : args) b.append(a).append('\n');
        b.append("--\n").append(System.getProperty("dd.agent.loaded")).append('\n');
        System.out.print(b);
    }
}
`})
	if out, err := exec.Command(javac, "-d", classes, filepath.Join(classes, "Report.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	// The Java 17 runtime's shape: JVM flags, class path, main class, handler last.
	argv := []string{java, "-XX:+UseSerialGC", "-XX:-TieredCompilation", "-Xshare:auto", "-classpath", classes, "Report", "example.Handler::handleRequest"}
	cmd := exec.Command(filepath.Join(opt, WrapperName), argv...)
	cmd.Env = lambdaEnv("AWS_Lambda_java17", "_HANDLER=example.Handler::handleRequest",
		"COLDPROF_NEXT_WRAPPER="+filepath.Join(opt, "datadog_wrapper"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	parts := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "--\n")
	if len(parts) != 3 {
		t.Fatalf("java's report %q", stdout.String())
	}
	// The JVM lists JAVA_TOOL_OPTIONS (where coldprof may inject) first, then
	// the command line: the vendor's flags must open the command line.
	jvmArgs := strings.Fields(parts[0])
	vendor := indexOf(jvmArgs, "-Ddd.agent.loaded=true")
	if vendor < 0 || vendor+1 >= len(jvmArgs) || jvmArgs[vendor+1] != "-XX:TieredStopAtLevel=1" || indexOf(jvmArgs, "-XX:+UseSerialGC") < vendor {
		t.Errorf("JVM flags %v: want the vendor's flags right after the interpreter, before the runtime's", jvmArgs)
	}
	if contains(jvmArgs, "-XX:-TieredCompilation") || !contains(jvmArgs, "-XX:+UseSerialGC") {
		t.Errorf("JVM flags %v: want -XX:-TieredCompilation dropped and the rest kept", jvmArgs)
	}
	if got := strings.TrimSpace(parts[1]); got != "example.Handler::handleRequest" {
		t.Errorf("program arguments %q, want the handler, last and alone", got)
	}
	if strings.TrimSpace(parts[2]) != "true" {
		t.Errorf("system property from the vendor flags: %q", parts[2])
	}
	if e := startMarker(t, stderr.String()); e.Injected != "" && !strings.Contains(stderr.String(), "[class,load]") {
		t.Errorf("coldprof injected %q but the JVM logged no class loading through the chain", e.Injected)
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
