package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox"
	"github.com/coldprof/coldprof/wrapper"
	"github.com/google/go-cmp/cmp"
)

// TestMain lets the test binary stand in for the coldprof executable: run
// starts os.Executable() as the wrapper (hidden command) when no
// coldprof-wrapper binary is found, and the wrapper re-executes it as the
// runtime-API proxy.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == sandbox.WrapperArg || os.Args[1] == wrapper.ProxyArg) {
		os.Exit(run(os.Stdin, os.Stdout, os.Stderr, os.Args[1:]))
	}
	// Use the wrapper package built into this binary, not an installed one.
	os.Setenv("PATH", withoutWrapperOnPath(os.Getenv("PATH")))
	os.Exit(m.Run())
}

// testPythons lists the interpreters for the end-to-end tests: Debian's
// python3 (with boto3/numpy/requests when installed), python3 on PATH and
// two pyenv versions at the ends of the supported range.
func testPythons(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		found["debian"] = "/usr/bin/python3"
	}
	if p := realPython3(); p != "" {
		found["python3"] = p
	}
	home, _ := os.UserHomeDir()
	for _, v := range []string{"3.8", "3.13"} {
		if m, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions", v+".*/bin/python"+v)); len(m) > 0 {
			found[v] = m[0]
		} else {
			t.Logf("pyenv CPython %s not found: not tested", v)
		}
	}
	if len(found) == 0 {
		t.Fatal("no Python interpreter found")
	}
	return found
}

// realPython3 is the interpreter python3 on PATH runs, past pyenv's shell
// shims (which add a tenth of a second to every start), "" when none.
func realPython3() string {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// runArgs runs "coldprof run args…" in-process. The wrapper, found as the
// test binary itself, runs through TestMain.
//
// Lambda's limits, coldprof run's defaults (init 10 s, 3 s per invocation),
// become hang guards first (a later flag in args wins): init of the
// realistic and bytecode functions took 2-8 s on this machine under load,
// and no test here is about the defaults.
func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code = run(strings.NewReader(""), &out, &errb, append([]string{"run", "--init-timeout", "60s", "--timeout", "30s"}, args...))
	t.Logf("coldprof run %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	return code, out.String(), errb.String()
}

// withoutWrapperOnPath drops PATH entries holding a coldprof-wrapper, so
// the tests use the wrapper package built into this binary.
func withoutWrapperOnPath(path string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(dir, "coldprof-wrapper")); err != nil {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

type jsonReport struct {
	ColdStarts []struct {
		Runtime        *string
		Handler        *string
		Boundary       string
		InitDurationMs *float64
		Imports        []jsonImport
	}
}

type jsonImport struct {
	Name      string
	Phase     string
	RequestID *string
	Children  []jsonImport
}

var responseLine = regexp.MustCompile(`invocation (\d) of \d \(([0-9a-f-]{36}), (\w+)\)`)

func TestRunPhases(t *testing.T) {
	fullTier(t)
	taskRoot := filepath.Join("..", "..", "testdata", "functions", "python")
	for name, python := range testPythons(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			log := filepath.Join(t.TempDir(), "run.log")
			code, stdout, stderr := runArgs(t, "--handler", "app.lambda_handler", "--runtime", "python3",
				"--python", python, "--task-root", taskRoot, "-n", "3", "--responses", "--format", "json",
				"--log", log, "--timeout", "20s")
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
			if len(ids) != 3 {
				t.Fatalf("want 3 responses on stderr, got:\n%s", stderr)
			}
			var rep jsonReport
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("report is not JSON: %v\n%s", err, stdout)
			}
			if len(rep.ColdStarts) != 1 {
				t.Fatalf("%d cold starts, want 1", len(rep.ColdStarts))
			}
			cs := rep.ColdStarts[0]
			if cs.Boundary != "exact" {
				t.Errorf("boundary = %q, want exact", cs.Boundary)
			}
			if cs.Handler == nil || *cs.Handler != "app.lambda_handler" || cs.InitDurationMs == nil || *cs.InitDurationMs <= 0 {
				t.Errorf("handler %v, init duration %v", cs.Handler, cs.InitDurationMs)
			}
			got := map[string]string{} // module → phase[/invocation] where it first loaded
			var walk func([]jsonImport)
			walk = func(imps []jsonImport) {
				for _, imp := range imps {
					where := imp.Phase
					if imp.RequestID != nil {
						for n, id := range ids {
							if id == *imp.RequestID {
								where += "/" + n
							}
						}
					}
					if _, seen := got[imp.Name]; !seen {
						got[imp.Name] = where
					}
					walk(imp.Children)
				}
			}
			walk(cs.Imports)
			want := map[string]string{
				"coldprof_runtime":      "runtime",
				"xml.etree.ElementTree": "init",
				"smtplib":               "invoke/1", // lazy, first call only (then cached)
				"statistics":            "invoke/2", // second call only
			}
			if strings.Contains(stderr, `"heavy": ["boto3", "numpy", "requests"]`) {
				want["boto3"], want["numpy"], want["requests"] = "init", "init", "init"
			}
			for mod := range got {
				if _, ok := want[mod]; !ok {
					delete(got, mod)
				}
			}
			// The handler-time imports are top-level entries, not nested.
			for _, imp := range cs.Imports {
				if imp.Phase == "invoke" && imp.Name != "smtplib" && imp.Name != "statistics" {
					t.Errorf("unexpected top-level invoke import %q", imp.Name)
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("top-level imports by phase (-want +got):\n%s", d)
			}
			// The log holds the platform lines in Lambda's order.
			data, _ := os.ReadFile(log)
			var platform []string
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) > 0 && slices.Contains([]string{"INIT_START", "INIT_REPORT", "START", "END", "REPORT"}, f[0]) {
					platform = append(platform, f[0])
				}
			}
			if d := cmp.Diff(strings.Fields("INIT_START START END REPORT START END REPORT START END REPORT"), platform); d != "" {
				t.Errorf("platform lines (-want +got):\n%s", d)
			}
		})
	}
}

// children lists this process's child processes: after a run none of the
// run's may be left, not even as zombies.
func children(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("/proc/self/task/*/children")
	if len(files) == 0 {
		t.Skip("no /proc/self/task/*/children here")
	}
	var pids []string
	for _, f := range files {
		data, _ := os.ReadFile(f)
		pids = append(pids, strings.Fields(string(data))...)
	}
	return pids
}

func TestRunBadInput(t *testing.T) {
	fullTier(t)
	python := realPython3()
	if python == "" {
		t.Fatal("python3 not found")
	}
	bad := filepath.Join("..", "..", "testdata", "functions", "python-bad")
	short := []string{"--runtime", "python3", "--python", python, "--task-root", bad}
	cases := []struct {
		name string
		args []string
		// want: exit status, stderr and log must match these; the report
		// (stdout) must mention reportHas when not empty.
		code      int
		stderr    []string
		log       []string
		reportHas string
	}{
		{
			name:   "command does not exist",
			args:   []string{"--handler", "app.handler", "--", "/nonexistent/python3", "bootstrap.py"},
			code:   1,
			stderr: []string{`exited during init \(exit status 127\)`, `/nonexistent/python3: does not exist`},
			log:    []string{`(?m)^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError$`},
		},
		{
			name:      "exits during init",
			args:      append([]string{"--handler", "exits.handler"}, short...),
			code:      1,
			stderr:    []string{`exited during init \(exit status 3\)`, `exits.py: giving up during init`},
			log:       []string{`(?m)^INIT_REPORT .*\tStatus: error\tError Type: Runtime.ExitError$`},
			reportHas: "xml.etree.ElementTree",
		},
		{
			name: "hangs in init",
			// 5 s: the report must show the import done before the hang,
			// and a loaded machine has taken over a second to start
			// Python through the wrapper.
			args:      append([]string{"--handler", "hangs.handler", "--init-timeout", "5s"}, short...),
			code:      1,
			stderr:    []string{`init did not finish within --init-timeout 5s; the runtime was killed`},
			log:       []string{`(?m)^INIT_REPORT Init Duration: 5\d\d\d\.\d\d ms\tPhase: init\tStatus: timeout$`},
			reportHas: "xml.etree.ElementTree",
		},
		{
			name:      "import error",
			args:      append([]string{"--handler", "broken.handler"}, short...),
			code:      1,
			stderr:    []string{`init failed after [\d.]+m?s: Runtime.ImportModuleError: Unable to import module 'broken': No module named 'module_that_does_not_exist_anywhere'`},
			log:       []string{`(?m)^INIT_REPORT .*\tStatus: error\tError Type: Runtime.ImportModuleError$`, `(?m)^\[ERROR\] Runtime.ImportModuleError: `},
			reportHas: "xml.etree.ElementTree",
		},
		{
			name: "posts to an unknown request ID",
			// 3 s for the runtime to get its event, post the wrong ID
			// through the proxy and print the answer before the kill (a
			// loaded machine, the -race build of the proxy in CI).
			args:   []string{"--handler", "x.handler", "--timeout", "3s", "--task-root", bad, "--", python, "wrong_id_runtime.py"},
			code:   1,
			stderr: []string{`invocation 1 of 1 timed out after --timeout 3s; the runtime was killed; the runtime API rejected: POST /2018-06-01/runtime/invocation/not-the-real-id/response: 400 InvalidRequestID`},
			log:    []string{`wrong_id_runtime: HTTP 400 {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, `Task timed out after 3.00 seconds`, `\tStatus: timeout\n`},
		},
		{
			name:      "garbage on stderr",
			args:      append([]string{"--handler", "garbage.handler", "-n", "2"}, short...),
			code:      0,
			log:       []string{`no newline at the end of this one\n`, `(?m)^REPORT RequestId: .*\tInit Duration: `},
			reportHas: "xml.etree.ElementTree",
		},
		{
			name:      "handler raises",
			args:      append([]string{"--handler", "raises.handler", "-n", "2"}, short...),
			code:      1,
			stderr:    []string{`invocation 1 of 2 failed: ValueError: raises.py always raises`, `invocation 2 of 2 failed`, `2 of 2 invocations failed`},
			log:       []string{`(?m)^\[ERROR\] ValueError: raises.py always raises$`},
			reportHas: "csv ",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := children(t)
			log := filepath.Join(t.TempDir(), "run.log")
			start := time.Now()
			code, stdout, stderr := runArgs(t, append([]string{"--log", log, "--tree", "--min", "0"}, c.args...)...)
			if d := time.Since(start); d > time.Minute { // a hang guard only
				t.Errorf("took %s", d)
			}
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			for _, re := range c.stderr {
				if !regexp.MustCompile(re).MatchString(stderr) {
					t.Errorf("stderr lacks %q:\n%s", re, stderr)
				}
			}
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range c.log {
				if !regexp.MustCompile(re).Match(data) {
					t.Errorf("log lacks %q:\n%s", re, tail(data))
				}
			}
			if c.reportHas != "" && !strings.Contains(stdout, c.reportHas) {
				t.Errorf("report lacks %q:\n%s\nstderr:\n%s", c.reportHas, stdout, stderr)
			}
			if after := children(t); len(after) > len(before) {
				t.Errorf("child processes left: before %v, after %v", before, after)
			}
		})
	}
}

func tail(b []byte) string {
	lines := strings.Split(string(b), "\n")
	var keep []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "import time:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestRunFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to run", nil, "nothing to run"},
		{"runtime without handler", []string{"--runtime", "python3"}, "needs --handler"},
		{"unknown runtime", []string{"--runtime", "dotnet8", "--handler", "a.b"}, `--runtime "dotnet8" is not supported`},
		{"bad report flag", []string{"--format", "bogus", "--handler", "a.b", "--runtime", "python3"}, `unknown --format "bogus"`},
		{"unknown flag", []string{"--frobnicate", "--handler", "a.b", "--runtime", "python3"}, "unknown flag: --frobnicate"},
		{"negative n", []string{"-n", "-1", "--handler", "a.b", "--runtime", "python3"}, "-n must be 0 or more"},
		{"bad memory", []string{"--memory", "64", "--handler", "a.b", "--runtime", "python3"}, "--memory must be between 128 and 10240"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, c.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, c.want)
			}
		})
	}
}

func TestRunBadEvent(t *testing.T) {
	dir := t.TempDir()
	ev := filepath.Join(dir, "ev.json")
	os.WriteFile(ev, []byte("{not json"), 0o644)
	code, _, stderr := runArgs(t, "--event", ev, "--handler", "a.b", "--runtime", "python3")
	if code != 1 || !strings.Contains(stderr, ev+": not valid JSON") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// run's own flags and the report's are one flag set; the command is what
// follows "--", flags in it included.
func TestRunFlagSet(t *testing.T) {
	var f runFlags
	fs, rf := runFlagSet(&f)
	err := fs.Parse([]string{
		"-n", "3", "--format", "json", "--tree", "--handler=app.h", "--responses", "-n5", "--min", "2ms", "-o", "r.json", "--", "python3", "-X", "--format",
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.invocations != 5 || f.handler != "app.h" || !f.responses {
		t.Errorf("run's flags: %+v", f)
	}
	cfg, err := rf.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Opts.Format != "json" || !cfg.Opts.Tree || cfg.Opts.MinUs != 2000 || cfg.Output != "r.json" {
		t.Errorf("report's flags: %+v", cfg)
	}
	if d := cmp.Diff([]string{"python3", "-X", "--format"}, fs.Args()); d != "" {
		t.Errorf("command (-want +got):\n%s", d)
	}
}

func TestRunEvents(t *testing.T) {
	fullTier(t)
	python := realPython3()
	if python == "" {
		t.Fatal("python3 not found")
	}
	ev := filepath.Join(t.TempDir(), "b.json")
	os.WriteFile(ev, []byte(`{"b": 2}`+"\n"), 0o644)
	var out, errb bytes.Buffer
	code := run(strings.NewReader(` {"a": 1} `), &out, &errb, []string{"run",
		"--handler", "echo.handler", "--runtime", "python3", "--python", python,
		"--task-root", filepath.Join("..", "..", "testdata", "functions", "python-echo"),
		"--event", "-", "--event", ev, "-n", "3", "--responses", "--function-name", "echo-fn", "--format", "json"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var events []string
	for _, line := range strings.Split(errb.String(), "\n") {
		if _, resp, ok := strings.Cut(line, "success): "); ok {
			events = append(events, resp)
		}
	}
	want := []string{
		`{"event": {"a": 1}, "function": "echo-fn"}`,
		`{"event": {"b": 2}, "function": "echo-fn"}`,
		`{"event": {"a": 1}, "function": "echo-fn"}`,
	}
	if d := cmp.Diff(want, events); d != "" {
		t.Errorf("responses (-want +got):\n%s\nstderr:\n%s", d, errb.String())
	}
	if !strings.Contains(out.String(), `"boundary": "exact"`) && !strings.Contains(out.String(), `"boundary":"exact"`) {
		t.Errorf("report:\n%s", out.String())
	}
}

// A python3 with awslambdaric installed runs it, in its container form
// ("python -m awslambdaric HANDLER", in the task root), instead of the
// embedded client. A stand-in package shows what it was given.
func TestRunUsesAwslambdaric(t *testing.T) {
	fullTier(t)
	python := realPython3()
	if python == "" {
		t.Fatal("python3 not found")
	}
	site := t.TempDir()
	pkg := filepath.Join(site, "awslambdaric")
	os.Mkdir(pkg, 0o755)
	os.WriteFile(filepath.Join(pkg, "__init__.py"), nil, 0o644)
	os.WriteFile(filepath.Join(pkg, "__main__.py"), []byte(
		"import os, sys\nprint('fake awslambdaric', sys.argv[1:], os.getcwd() == os.environ['LAMBDA_TASK_ROOT'])\nsys.exit(9)\n"), 0o644)
	t.Setenv("PYTHONPATH", site)
	log := filepath.Join(t.TempDir(), "run.log")
	taskRoot, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "functions", "python-echo"))
	code, _, stderr := runArgs(t, "--handler", "echo.handler", "--runtime", "python3", "--python", python,
		"--task-root", taskRoot, "--log", log)
	data, _ := os.ReadFile(log)
	if code != 1 || !strings.Contains(stderr, "has awslambdaric: using it as the runtime client") ||
		!strings.Contains(stderr, "exited during init (exit status 9)") ||
		!strings.Contains(string(data), "fake awslambdaric ['echo.handler'] True") {
		t.Errorf("exit %d\nstderr:\n%s\nlog:\n%s", code, stderr, tail(data))
	}
}

// A coldprof-wrapper binary runs when --wrapper names it. One on PATH that
// was not built from the same source as coldprof (here: the test binary,
// which has no VCS stamp) is passed over, and stderr says so and why.
func TestRunWithWrapperBinary(t *testing.T) {
	fullTier(t)
	python := realPython3()
	if python == "" {
		t.Fatal("python3 not found")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "coldprof-wrapper")
	// The wrapper starts the coldprof-proxy beside it, as `go install ./cmd/...` puts them.
	if out, err := exec.Command("go", "build", "-o", dir+"/", "github.com/coldprof/coldprof/cmd/coldprof-wrapper", "github.com/coldprof/coldprof/cmd/coldprof-proxy").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	self, _ := os.Executable()
	path, argv, why, err := sandbox.FindWrapper("")
	if err != nil || path != self || len(argv) != 2 || !strings.Contains(why, "passed over "+bin) {
		t.Errorf("FindWrapper = %q %q %q %v, want coldprof itself, passing over %s", path, argv, why, err, bin)
	}
	taskRoot := filepath.Join("..", "..", "testdata", "functions", "python-echo")
	for _, tt := range []struct {
		args    []string
		running string
	}{
		{[]string{"--wrapper", bin}, "running " + bin + " " + python},
		{nil, "running " + self + " " + sandbox.WrapperArg + " " + python},
	} {
		code, stdout, stderr := runArgs(t, append(tt.args, "--handler", "echo.handler", "--runtime", "python3",
			"--python", python, "--task-root", taskRoot, "--format", "json")...)
		if code != 0 || !strings.Contains(stderr, tt.running) || !strings.Contains(stderr, "coldprof: wrapper: ") {
			t.Errorf("%v: exit %d, want %q\n%s", tt.args, code, tt.running, stderr)
		}
		var rep jsonReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.ColdStarts) != 1 || rep.ColdStarts[0].Boundary != "exact" {
			t.Errorf("%v: report %v %s", tt.args, err, stdout)
		}
	}
}
