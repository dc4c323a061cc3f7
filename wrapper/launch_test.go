package wrapper

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/coldprof/coldprof/wrapper/marker"
)

// A bare "python" is told apart without running it: by where its symlinks
// lead, then by the standard library beside it.
func TestPythonMajorBare(t *testing.T) {
	root := t.TempDir()
	mk := func(path string) string {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return full
	}
	py311 := mk("a/bin/python3.11")
	if err := os.Symlink(py311, filepath.Join(root, "a/bin/python")); err != nil {
		t.Fatal(err)
	}
	py2 := mk("b/bin/python")
	os.MkdirAll(filepath.Join(root, "b/lib/python2.7"), 0o755)
	py3lib := mk("c/bin/python")
	os.MkdirAll(filepath.Join(root, "c/lib/python3.12"), 0o755)
	bare := mk("d/bin/python")
	tests := []struct {
		argv0 string
		env   []string
		want  int
	}{
		{filepath.Join(root, "a/bin/python"), nil, 3},
		{"python", []string{"PATH=" + filepath.Join(root, "a/bin")}, 3},
		{py2, nil, 2},
		{py3lib, nil, 3},
		{bare, nil, 0},
		{bare, []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12"}, 3},
		{"/usr/bin/python2.7", nil, 2},
	}
	for _, tt := range tests {
		p := Plan{Argv: []string{tt.argv0}, Env: tt.env}
		if got := pythonMajor(&p); got != tt.want {
			t.Errorf("pythonMajor(%s, %q) = %d, want %d", tt.argv0, tt.env, got, tt.want)
		}
	}
}

func TestValidateOverrides(t *testing.T) {
	file := filepath.Join(t.TempDir(), "preload.cjs")
	os.WriteFile(file, []byte(""), 0o644)
	long := strings.Repeat("-X importtime ", 100<<10/14)
	tests := []struct {
		name     string
		validate func(string) ([]string, error)
		good     []string
		bad      []string
	}{
		{"python", validatePythonFlags,
			[]string{"-X importtime", "-Ximporttime", "-X importtime -X frozen_modules=off", "-X importtime=2 -u -B", "-OO -W ignore::DeprecationWarning", "-X tracemalloc=5 -X int_max_str_digits=0"},
			[]string{"garbage", "-Q nonsense", "-c pass", "-m mod", "-V", "--version", "-h", "-i", "-X", "-X bogus", "-X frozen_modules=maybe", "-X tracemalloc=0", "-P",
				"--check-hash-based-pycs default", `-X "importtime"`, "-X importtime\n-c", "-X 'a b'", long, "-u x.py", "-"}},
		{"node", validateNodeOptions,
			[]string{"--enable-source-maps", "--max-old-space-size=100", "--max-old-space-size 100", "--require " + file, "-r " + file, "--import=" + file, "--unhandled-rejections=strict -C dev"},
			[]string{"--bogus", "--require", "--require ./rel.js", "--require /nonexistent.js", "--inspect-brk", "--max-old-space-size=x", "--enable-source-maps=1",
				"--version", "-e 1", `--require "` + file + `"`, "--no-warnings\n--bogus", long, "--title=a\\b"}},
		{"java", validateJavaOptions,
			[]string{"-verbose:class", "-Dfoo=bar -XX:TieredStopAtLevel=1", "-XX:+UseSerialGC -Xshare:auto", "-Xss1m"},
			[]string{"-Xbogus", "-XX:+Bogus", "-Xlog:bogus", "-Xlog:class+load", "-Xms1g", "-Xss1k", "-version", "-jar x.jar", "x", `-D"a=b"`, long}},
		{"ruby", validateRubyOpt,
			[]string{"-W0", "-w -W:no-deprecated", "--disable=gems,did_you_mean", "--enable-frozen-string-literal", "-I/opt/lib", "-r" + file, "-Eutf-8"},
			[]string{"--bogus", "-h", "-x", "-v", "-rset", "-r/nonexistent", "-E bogus", "-Ebogus", "--backtrace-limit=5", "-Irel", long, "-W0\t'x'"}},
	}
	for _, tt := range tests {
		for _, v := range tt.good {
			if _, err := tt.validate(v); err != nil {
				t.Errorf("%s: %q refused: %v", tt.name, v, err)
			}
		}
		for _, v := range tt.bad {
			if _, err := tt.validate(v); err == nil {
				t.Errorf("%s: %.40q accepted", tt.name, v)
			} else if len(v) > 3 && strings.Contains(err.Error(), strings.TrimSpace(v)) {
				t.Errorf("%s: the error %q quotes the value", tt.name, err)
			}
		}
	}
}

// A bad override gives one warning naming the variable (never its value)
// and the default injection.
func TestPlanBadOverrideUsesDefault(t *testing.T) {
	for _, v := range []string{"garbage", "-Q nonsense", "-c import os; os.system('x')", "'", "a\nb", strings.Repeat("x", 100<<10)} {
		p := NewPlan([]string{"/usr/bin/python3", "app.py"}, []string{"COLDPROF_PYTHON_FLAGS=" + v, "COLDPROF_SAMPLER=off"})
		if p.Injected != "-X importtime" || len(p.Warnings) != 1 || !strings.HasPrefix(p.Warnings[0], EnvPythonFlags+" ") {
			t.Errorf("%.20q: injected %q warnings %q", v, p.Injected, p.Warnings)
		}
		if len(v) > 1 && strings.Contains(p.Warnings[0], v) {
			t.Errorf("warning quotes the value: %q", p.Warnings[0])
		}
	}
}

func TestBoundValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/opt/coldprof/hooks", "/opt/coldprof/hooks"},
		{"a\x1b]0;title\x07b\r\n", "a?]0;title?b??"},
		{"é日本", "é日本"},
		{"\xff\xfe", "??"},
		{strings.Repeat("a", 20), strings.Repeat("a", 20)},
		{strings.Repeat("a", 30), strings.Repeat("a", 17) + "…"},
		{strings.Repeat("é", 15), strings.Repeat("é", 8) + "…"},
	}
	for _, tt := range tests {
		max := 20
		if got := boundValue(tt.in, max); got != tt.want || len(got) > max {
			t.Errorf("boundValue(%q) = %q, want %q (at most %d bytes)", tt.in, got, tt.want, max)
		}
	}
}

// Environment-derived values in warnings and the start marker stay bounded:
// a 100 KB COLDPROF_HOOK_DIR and a 100 KB override.
func TestRunBoundedValues(t *testing.T) {
	huge := "/" + strings.Repeat("d", 100<<10)
	f := newFake(t, nil, nil)
	f.ExtractHooks = nil
	f.Run([]string{"w", "/usr/bin/node", "index.js"}, []string{"COLDPROF_HOOK_DIR=" + huge, "COLDPROF_NODE_OPTIONS=" + strings.Repeat("--no-warnings ", 8<<10),
		"_HANDLER=" + huge, "AWS_EXECUTION_ENV=AWS_Lambda_nodejs" + huge})
	for _, line := range strings.SplitAfter(f.stderr.String(), "\n") {
		if len(line) > 2048 {
			t.Errorf("a %d-byte line: %.200s", len(line), line)
		}
	}
	if !strings.Contains(f.stderr.String(), "…") {
		t.Errorf("the hook directory was not cut:\n%.500s", f.stderr.String())
	}
}

// TestRunReentry: a wrapper exec'd with the environment a wrapper prepared
// (COLDPROF_NEXT_WRAPPER naming coldprof-wrapper) runs the command as it is
// given: no second injection, no second proxy, no further chaining.
func TestRunReentry(t *testing.T) {
	self := filepath.Join(t.TempDir(), "coldprof-wrapper")
	os.WriteFile(self, []byte("#!/bin/sh\n"), 0o755)
	env := []string{"AWS_LAMBDA_RUNTIME_API=169.254.100.1:9001", "COLDPROF_NEXT_WRAPPER=" + self, "COLDPROF_SAMPLER=off"}
	first := newFake(t, nil, nil)
	first.Run([]string{self, "/usr/bin/python3", "app.py"}, env)
	if len(first.calls) != 1 || first.calls[0].Path != self {
		t.Fatalf("first round: %+v", first.calls)
	}
	handed := first.calls[0]
	second := newFake(t, nil, nil)
	second.Run(append([]string{self}, handed.Argv[1:]...), handed.Env)
	if len(second.calls) != 1 || len(second.proxies) != 0 {
		t.Fatalf("second round: %d execs, %d proxies: %+v", len(second.calls), len(second.proxies), second.calls)
	}
	got := second.calls[0]
	if strings.Join(got.Argv, " ") != "/usr/bin/python3 -X importtime app.py" || strings.Join(got.Env, "\n") != strings.Join(handed.Env, "\n") {
		t.Errorf("second round exec'd %q", got.Argv)
	}
	if evs, _ := events(t, second.stderr.String()); len(evs) != 1 || evs[0].Kind != marker.Warning {
		t.Errorf("second round markers %+v", evs)
	}
}

// The real binary, chained to itself through COLDPROF_NEXT_WRAPPER (by its
// path, a copy and a symlink), starts the command once, with one injection
// and one proxy.
func TestExecReentry(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "copy")
	data, _ := os.ReadFile(bin)
	os.WriteFile(copyPath, data, 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(bin, link)
	script := filepath.Join(dir, "argv.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755)
	for _, next := range []string{bin, copyPath, link} {
		done := make(chan struct{})
		var out, stderr string
		var code int
		go func() {
			defer close(done)
			out, stderr, code = runWrapped(t, dir, []string{"COLDPROF_NEXT_WRAPPER=" + next, "COLDPROF_PYTHON_FLAGS=-B"}, "/usr/bin/python3", "-c", "import sys; print(sys.argv[1:], sys.flags.dont_write_bytecode)", "x")
		}()
		select {
		case <-done:
		case <-time.After(60 * time.Second): // a hang guard only
			t.Fatalf("%s: still running after 60 s (re-exec loop)", next)
		}
		if code != 0 || out != "['x'] 1\n" {
			t.Errorf("%s: exit %d stdout %q stderr:\n%.1000s", next, code, out, stderr)
		}
		if n := strings.Count(stderr, `"ev":"start"`); n != 1 {
			t.Errorf("%s: %d start markers", next, n)
		}
	}
}

func TestHelpVersion(t *testing.T) {
	for _, arg := range []string{"--help", "--version"} {
		var out, errOut bytes.Buffer
		w := New(&errOut)
		w.Stdout = &out
		code, done := w.helpOrVersion([]string{"coldprof-wrapper", arg})
		if !done || code != 0 || out.Len() == 0 || errOut.Len() != 0 {
			t.Errorf("%s: done %v code %d stdout %q", arg, done, code, out.String())
		}
	}
	if _, done := New(nil).helpOrVersion([]string{"w", "--help", "x"}); done {
		t.Errorf("--help with more arguments was taken as a flag")
	}
	if _, done := New(nil).helpOrVersion([]string{"w", "/usr/bin/python3"}); done {
		t.Errorf("a command was taken as a flag")
	}
}

// The start marker carries the init type (only Lambda's four values), the
// architecture and the sampler interval.
func TestRunStartMarkerFields(t *testing.T) {
	sampler := fakeHookDir(t)
	for _, tt := range []struct {
		env      []string
		initType string
		sampler  int64
	}{
		{[]string{"AWS_LAMBDA_INITIALIZATION_TYPE=snap-start"}, "snap-start", 0},
		{[]string{"AWS_LAMBDA_INITIALIZATION_TYPE=\x1b[2Jbogus"}, "", 0},
		{[]string{"AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency", "COLDPROF_HOOK_DIR=" + sampler}, "provisioned-concurrency", 10000}, // Python's default
		{[]string{"COLDPROF_HOOK_DIR=" + sampler, "COLDPROF_SAMPLE_INTERVAL=2ms"}, "", 2000},
		{[]string{"COLDPROF_HOOK_DIR=" + sampler, "COLDPROF_SAMPLER=off"}, "", 0},
	} {
		f := newFake(t, nil, nil)
		f.ExtractHooks = nil
		f.Run([]string{"w", "/usr/bin/python3", "app.py"}, tt.env)
		m := startMarker(t, f.stderr.String())
		if m.InitType != tt.initType || m.Arch == "" || m.SamplerUs != tt.sampler {
			t.Errorf("%q: start marker %+v", tt.env, m)
		}
	}
}

// fakeHookDir is a hook directory with the sampler's files (empty).
func fakeHookDir(t *testing.T) string {
	dir := t.TempDir()
	for _, rel := range []string{pythonSitecustomize, nodeHookFile, nodeSamplerFile} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
		os.WriteFile(filepath.Join(dir, rel), nil, 0o644)
	}
	return dir
}

func TestPlanSampler(t *testing.T) {
	dir := fakeHookDir(t)
	cfg := DefaultConfig()
	cfg.SampleInterval, cfg.SampleIntervalSet = 3*time.Millisecond, true
	p := PlanWith([]string{"/usr/bin/python3", "app.py"}, []string{"COLDPROF_HOOK_DIR=" + dir, "PYTHONPATH=/user/lib"}, Options{Config: cfg, PID: 4242})
	for k, want := range map[string]string{"PYTHONPATH": dir + "/python:/user/lib", EnvSamplerIntervalUs: "3000", EnvSamplerPID: "4242"} {
		if got, _ := p.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if p.SamplerUs != 3000 || len(p.Warnings) != 0 {
		t.Errorf("SamplerUs %d, warnings %q", p.SamplerUs, p.Warnings)
	}
	p = PlanWith([]string{"/usr/bin/python3", "-S", "app.py"}, []string{"COLDPROF_HOOK_DIR=" + dir}, Options{Config: cfg, PID: 4242})
	if _, set := p.Getenv(EnvSamplerIntervalUs); set || p.SamplerUs != 0 || len(p.Warnings) != 1 {
		t.Errorf("-S: sampler on, warnings %q", p.Warnings)
	}
	cfg.Sampler = false
	p = PlanWith([]string{"/usr/bin/python3", "app.py"}, []string{"COLDPROF_HOOK_DIR=" + dir}, Options{Config: cfg, PID: 4242})
	if _, set := p.Getenv("PYTHONPATH"); set || p.SamplerUs != 0 {
		t.Errorf("COLDPROF_SAMPLER=off: PYTHONPATH set or sampler %d", p.SamplerUs)
	}
	// Node.js: off unless asked for (COLDPROF_SAMPLER=on), then the
	// sampler file beside the injected hook.
	cfg.Sampler = true
	p = PlanWith([]string{"/var/lang/bin/node", "/var/runtime/index.mjs"}, []string{"COLDPROF_HOOK_DIR=" + dir}, Options{Config: cfg, PID: 7})
	if _, set := p.Getenv(EnvSamplerIntervalUs); set || p.SamplerUs != 0 || len(p.Warnings) != 0 {
		t.Errorf("node by default: sampler %d, warnings %q", p.SamplerUs, p.Warnings)
	}
	cfg.SamplerAsked = true
	p = PlanWith([]string{"/var/lang/bin/node", "/var/runtime/index.mjs"}, []string{"COLDPROF_HOOK_DIR=" + dir}, Options{Config: cfg, PID: 7})
	if v, _ := p.Getenv(EnvSamplerPID); v != "7" || p.SamplerUs != 3000 {
		t.Errorf("node: %s=%q sampler %d", EnvSamplerPID, v, p.SamplerUs)
	}
	if _, set := p.Getenv("PYTHONPATH"); set {
		t.Errorf("node got PYTHONPATH")
	}
	// Unset, the interval is the runtime's default: 10 ms for Python,
	// 5 ms for Node.js.
	cfg.SampleIntervalSet = false
	for argv, want := range map[string]int64{"/usr/bin/python3 app.py": 10000, "/var/lang/bin/node /var/runtime/index.mjs": 5000} {
		p = PlanWith(strings.Fields(argv), []string{"COLDPROF_HOOK_DIR=" + dir}, Options{Config: cfg, PID: 7})
		if v, _ := p.Getenv(EnvSamplerIntervalUs); p.SamplerUs != want || v != strconv.FormatInt(want, 10) {
			t.Errorf("%s by default: interval %q µs, SamplerUs %d; want %d", argv, v, p.SamplerUs, want)
		}
	}
}

func TestLoadConfigSampler(t *testing.T) {
	for _, tt := range []struct {
		env      []string
		on       bool
		asked    bool // on for Node.js too
		interval time.Duration
		warnings int
	}{
		{nil, true, false, 5 * time.Millisecond, 0},
		{[]string{"COLDPROF_SAMPLER=off"}, false, false, 5 * time.Millisecond, 0},
		{[]string{"COLDPROF_SAMPLER=on"}, true, true, 5 * time.Millisecond, 0},
		{[]string{"COLDPROF_SAMPLER=maybe"}, true, false, 5 * time.Millisecond, 1},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=1ms"}, true, false, time.Millisecond, 0},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=100ms"}, true, false, 100 * time.Millisecond, 0},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=999us"}, true, false, 5 * time.Millisecond, 1},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=1s"}, true, false, 5 * time.Millisecond, 1},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=5"}, true, false, 5 * time.Millisecond, 1},
		{[]string{"COLDPROF_SAMPLE_INTERVAL=-1ms"}, true, false, 5 * time.Millisecond, 1},
	} {
		c, w := LoadConfig(tt.env)
		if c.Sampler != tt.on || c.SamplerAsked != tt.asked || c.SampleInterval != tt.interval || len(w) != tt.warnings {
			t.Errorf("%q: sampler %v (asked %v) %v warnings %q", tt.env, c.Sampler, c.SamplerAsked, c.SampleInterval, w)
		}
	}
}

// Extract writes the embedded hooks once, atomically, into a private
// directory; concurrent wrappers agree on it; a directory of that name that
// is not private is never used.
func TestExtract(t *testing.T) {
	parent := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs {
		wg.Add(1)
		go func() { defer wg.Done(); dirs[i], errs[i] = hooks.Extract(parent) }()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	final := dirs[0]
	if !isRegularFile(final+"/"+nodeHookFile) || !isRegularFile(final+"/"+hooks.RubyRequire) {
		t.Fatalf("%s lacks hook files", final)
	}
	var st syscall.Stat_t
	syscall.Lstat(final, &st)
	if st.Mode&0o077 != 0 {
		t.Errorf("mode %o: open to others", st.Mode&0o777)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("%d entries left under the parent, want 1 (the losers' copies removed)", len(entries))
	}
	for _, d := range dirs {
		if d != final {
			t.Errorf("wrappers disagree: %s and %s", d, final)
		}
	}
	again, _ := hooks.Extract(parent)
	if again != final {
		t.Errorf("second start: %s", again)
	}

	// Someone else's directory (here: open to everyone) is not used.
	parent2 := t.TempDir()
	name := filepath.Base(final)
	os.Mkdir(filepath.Join(parent2, name), 0o777)
	os.Chmod(filepath.Join(parent2, name), 0o777)
	got, err := hooks.Extract(parent2)
	if err != nil || got == filepath.Join(parent2, name) || !isRegularFile(got+"/"+nodeHookFile) {
		t.Errorf("unsafe directory: got %s, %v", got, err)
	}
	// A symlink in its place is not followed.
	parent3 := t.TempDir()
	os.Symlink(final, filepath.Join(parent3, name))
	if got, _ := hooks.Extract(parent3); got == filepath.Join(parent3, name) {
		t.Errorf("a symlink was used")
	}
}

// Without a hook directory the wrapper writes its own copy and uses it.
func TestRunSelfContained(t *testing.T) {
	parent := t.TempDir()
	f := newFake(t, nil, nil)
	f.ExtractHooks = hooks.Extract
	f.Run([]string{"w", "/usr/bin/node", "index.js"}, []string{"TMPDIR=" + parent, "AWS_LAMBDA_EXEC_WRAPPER=/nonexistent/coldprof-wrapper", "COLDPROF_PHASES=off"})
	m := startMarker(t, f.stderr.String())
	if !strings.Contains(m.Injected, parent+"/coldprof-hooks-") {
		t.Errorf("start marker %+v", m)
	}
	if evs, _ := events(t, f.stderr.String()); len(evs) != 1 {
		t.Errorf("markers %+v; want only the start", evs)
	}
}

// FuzzValidateOverrides: no panic on any value, and whatever is accepted is
// bounded, printable and free of quoting.
func FuzzValidateOverrides(f *testing.F) {
	for _, s := range []string{"-X importtime", "--require /etc/hostname", "-verbose:class -Dx=y", "-W0 -r/etc/hostname", "-X", "--max-old-space-size", "\"", "-Xss1k", "-W:no-", "-E:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, validate := range []func(string) ([]string, error){validatePythonFlags, validateNodeOptions, validateJavaOptions, validateRubyOpt} {
			out, err := validate(v)
			if err != nil {
				if strings.Contains(err.Error(), v) && len(v) > 8 {
					t.Fatalf("error quotes the value: %v", err)
				}
				continue
			}
			if len(strings.Join(out, " ")) > maxOverrideBytes || len(out) > maxOverrideTokens {
				t.Fatalf("accepted %d bytes in %d options", len(strings.Join(out, " ")), len(out))
			}
			for _, o := range out {
				if o == "" || strings.ContainsAny(o, "\"'\\`\x00\n\r\t ") {
					t.Fatalf("accepted option %q", o)
				}
			}
		}
	})
}

// TestExecSamplerHandOff runs real Pythons through the wrapper with a hook
// directory whose python/sitecustomize.py reports what it was handed: it is
// loaded first, sees the interval and a PID equal to its own (the wrapper
// exec'd it), and the user's PYTHONPATH still works after it.
func TestExecSamplerHandOff(t *testing.T) {
	fullTier(t)
	dir := t.TempDir()
	hookDir := filepath.Join(dir, "hooks")
	os.MkdirAll(filepath.Join(hookDir, "python"), 0o755)
	os.WriteFile(filepath.Join(hookDir, "python", "sitecustomize.py"), []byte(
		"import os, sys\nsys.stderr.write('sampler-hook pid=%s us=%s same=%s\\n' % (os.environ.get('COLDPROF_SAMPLER_PID'), os.environ.get('COLDPROF_SAMPLER_INTERVAL_US'), os.environ.get('COLDPROF_SAMPLER_PID') == str(os.getpid())))\n"), 0o644)
	user := filepath.Join(dir, "user")
	os.MkdirAll(user, 0o755)
	os.WriteFile(filepath.Join(user, "usermod.py"), []byte("VALUE = 'from the user path'\n"), 0o644)
	for label, py := range pythons(t) {
		t.Run(label, func(t *testing.T) {
			out, stderr, code := runWrapped(t, dir, []string{"COLDPROF_HOOK_DIR=" + hookDir, "PYTHONPATH=" + user, "COLDPROF_SAMPLE_INTERVAL=2ms"},
				py, "-c", "import usermod; print(usermod.VALUE)")
			if code != 0 || out != "from the user path\n" {
				t.Fatalf("exit %d stdout %q stderr:\n%.1500s", code, out, stderr)
			}
			if !strings.Contains(stderr, "us=2000 same=True\n") {
				t.Errorf("sitecustomize did not see the hand-off:\n%.1500s", stderr)
			}
			if m := startMarker(t, stderr); m.SamplerUs != 2000 {
				t.Errorf("start marker sampler %d", m.SamplerUs)
			}
		})
	}
}

// TestExecJavaDetection: the JVM decides the class-load form. A fake JDK 8
// layout (release file JAVA_VERSION="1.8.0_392") gets -verbose:class even
// when AWS_EXECUTION_ENV names java17; a JVM without a release file or a
// version in its path is left alone.
func TestExecJavaDetection(t *testing.T) {
	fullTier(t)
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"JTO=$JAVA_TOOL_OPTIONS\"\n"
	jdk8 := filepath.Join(dir, "jdk8u", "jre", "bin", "java")
	unknown := filepath.Join(dir, "somejvm", "bin", "java")
	for _, java := range []string{jdk8, unknown} {
		os.MkdirAll(filepath.Dir(java), 0o755)
		os.WriteFile(java, []byte(script), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "jdk8u", "release"), []byte("JAVA_VERSION=\"1.8.0_392\"\n"), 0o644)
	env := []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17", "JAVA_TOOL_OPTIONS=-Dkept=1"}
	if out, stderr, code := runWrapped(t, dir, env, jdk8, "-cp", ".", "Main"); code != 0 || out != "JTO=-Dkept=1 -verbose:class\n" {
		t.Errorf("JDK 8: exit %d stdout %q stderr:\n%s", code, out, stderr)
	}
	out, stderr, code := runWrapped(t, dir, env, unknown, "-cp", ".", "Main")
	if code != 0 || out != "JTO=-Dkept=1\n" || !strings.Contains(stderr, "cannot tell the JVM's version") {
		t.Errorf("unknown JVM: exit %d stdout %q stderr:\n%s", code, out, stderr)
	}
}

// TestExecJavaUserClassLogging: with the real JDK, a function's own
// class-load logging stays where it was: -verbose:class keeps writing the
// same lines to stdout beside the wrapper's stderr log, and a function that
// logs to stderr itself is left alone.
func TestExecJavaUserClassLogging(t *testing.T) {
	fullTier(t)
	java, dir := compileJava(t, `public class Main { public static void main(String[] a) { System.out.println("done"); } }`)
	count := func(s, sub string) int { return strings.Count(s, sub) }
	for _, user := range []string{"-verbose:class", "-Xlog:class+load=info:stderr"} {
		env := []string{"JAVA_TOOL_OPTIONS=" + user}
		plainOut, plainErr, _ := runWrapped(t, dir, append(env, "COLDPROF_DISABLE=1"), java, "-Xshare:off", "-cp", dir, "Main")
		out, stderr, code := runWrapped(t, dir, env, java, "-Xshare:off", "-cp", dir, "Main")
		if code != 0 || !strings.Contains(out, "done\n") {
			t.Fatalf("%s: exit %d stdout tail %q", user, code, out[max(0, len(out)-200):])
		}
		if got, want := count(out, "class,load"), count(plainOut, "class,load"); got != want || want < 100 && user == "-verbose:class" {
			t.Errorf("%s: %d class-load lines on stdout, %d without the wrapper", user, got, want)
		}
		// The user's own lines, with the JVM's default decorators.
		userLine := regexp.MustCompile(`(?m)^\[\d+\.\d+s\]\[info\]\[class,load\] `)
		if got, want := len(userLine.FindAllString(stderr, -1)), len(userLine.FindAllString(plainErr, -1)); user != "-verbose:class" && (got != want || want < 100) {
			t.Errorf("%s: the user's stderr log changed: %d lines, %d without the wrapper", user, got, want)
		}
	}
}

// The layer's hooks are found beside the wrapper's own executable when
// AWS_LAMBDA_EXEC_WRAPPER does not say where it is.
func TestHookBesideExecutable(t *testing.T) {
	opt := t.TempDir()
	if err := hooks.WriteDir(filepath.Join(opt, "coldprof", "hooks")); err != nil {
		t.Fatal(err)
	}
	extracted := false
	p := PlanWith([]string{"/usr/bin/node", "index.js"}, nil, Options{Config: DefaultConfig(), Executable: opt + "/coldprof-wrapper",
		ExtractHooks: func() (string, error) { extracted = true; return "", os.ErrNotExist }})
	if want := "NODE_OPTIONS+=--require " + opt + "/coldprof/hooks/" + nodeHookFile; p.Injected != want || extracted || len(p.Warnings) != 0 {
		t.Errorf("injected %q, extracted %v, warnings %q; want %q", p.Injected, extracted, p.Warnings, want)
	}
}

// compileJava compiles one class Main from source into a temporary
// directory and returns the java binary and that directory; it skips t when
// the JDK is not installed.
func compileJava(t testing.TB, source string) (java, dir string) {
	t.Helper()
	fullTier(t) // a real JVM; CI installs it, so a missing one fails
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal("java is not installed")
	}
	if _, err := exec.LookPath("javac"); err != nil {
		t.Fatal("javac is not installed")
	}
	dir = t.TempDir()
	src := filepath.Join(dir, "Main.java")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("javac", "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return java, dir
}

// TestJavaOverrideGCConflict: Lambda's Java bootstrap selects a collector
// (-XX:+UseSerialGC, reference/lambda-runtime.md §1.4); an allowed override
// selecting another one would make the JVM refuse to start ("Multiple
// garbage collectors selected"), so the plan drops it and uses the default.
func TestJavaOverrideGCConflict(t *testing.T) {
	for _, tc := range []struct {
		argv, env []string
		dropped   bool
	}{
		{[]string{"/usr/bin/java", "-XX:+UseSerialGC", "Main"}, []string{EnvJavaOptions + "=-XX:+UseParallelGC"}, true},
		{[]string{"/usr/bin/java", "Main"}, []string{EnvJavaOptions + "=-XX:+UseParallelGC", "JAVA_TOOL_OPTIONS=-XX:+UseG1GC"}, true},
		{[]string{"/usr/bin/java", "Main"}, []string{EnvJavaOptions + "=-XX:+UseSerialGC", "_JAVA_OPTIONS=-XX:+UseZGC"}, true},
		{[]string{"/usr/bin/java", "-XX:+UseSerialGC", "Main"}, []string{EnvJavaOptions + "=-XX:+UseSerialGC"}, false},
		{[]string{"/usr/bin/java", "-XX:+UseParallelOldGC", "Main"}, []string{EnvJavaOptions + "=-XX:+UseParallelGC"}, false},
		{[]string{"/usr/bin/java", "-XX:+UseG1GC", "-XX:-UseG1GC", "Main"}, []string{EnvJavaOptions + "=-XX:+UseParallelGC"}, false},
		{[]string{"/usr/bin/java", "-XX:+UseSerialGC", "-XX:+UseMaximumCompactionOnSystemGC", "Main"}, []string{EnvJavaOptions + "=-XX:+UseSerialGC"}, false},
	} {
		p := NewPlan(tc.argv, tc.env)
		override, _ := lookupEnv(tc.env, EnvJavaOptions)
		kept := strings.Contains(p.Injected, strings.TrimPrefix(override, EnvJavaOptions+"="))
		warned := strings.Contains(strings.Join(p.Warnings, "\n"), "garbage collector")
		if kept == tc.dropped || warned != tc.dropped {
			t.Errorf("%q %q: injected %q, warnings %q; want the override dropped: %v", tc.argv, tc.env, p.Injected, p.Warnings, tc.dropped)
		}
	}
}

// TestExecJavaOverrideGCConflict runs the real JVM as Lambda's bootstrap
// does (with -XX:+UseSerialGC) and an override selecting the parallel
// collector: the function must start.
func TestExecJavaOverrideGCConflict(t *testing.T) {
	fullTier(t)
	java, dir := compileJava(t, `public class Main { public static void main(String[] a) { System.out.println("done"); } }`)
	out, stderr, code := runWrapped(t, dir, []string{EnvJavaOptions + "=-XX:+UseParallelGC"}, java, "-XX:+UseSerialGC", "-Xshare:off", "-cp", dir, "Main")
	if code != 0 || !strings.Contains(out, "done\n") {
		t.Fatalf("exit %d stdout %q; stderr:\n%.1500s", code, out, stderr)
	}
}

// rubyEncodingCandidates are -E spellings to try on the allow-list.
var rubyEncodingCandidates = []string{"-EUTF-8", "-Eutf-8", "-EUTF-8:UTF-8", "--encoding=utf-8", "-EUTF8", "-Eutf8", "--encoding=UTF8", "-Eutf-8:utf8"}

func acceptedRubyEncodings() []string {
	var accepted []string
	for _, c := range rubyEncodingCandidates {
		if _, err := validateRubyOpt(c); err == nil {
			accepted = append(accepted, c)
		}
	}
	return accepted
}

// TestRubyOptEncodingNames: Ruby knows UTF-8 by that name only ("UTF8" is
// "unknown encoding name" and stops it).
func TestRubyOptEncodingNames(t *testing.T) {
	if accepted := acceptedRubyEncodings(); len(accepted) != 4 {
		t.Errorf("accepted %q, want the four UTF-8 spellings", accepted)
	}
}

// TestRubyOptEncodingNamesReal: every -E spelling the allow-list accepts
// starts the real ruby.
func TestRubyOptEncodingNamesReal(t *testing.T) {
	fullTier(t)
	for _, c := range acceptedRubyEncodings() {
		cmd := exec.Command("ruby", "-e", "puts 1")
		cmd.Env = baseEnv("RUBYOPT=" + c)
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "1\n" {
			t.Errorf("RUBYOPT=%s: %v %q", c, err, out)
		}
	}
}
