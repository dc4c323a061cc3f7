package wrapper

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
)

// A matrixRuntime is one real interpreter and a tiny program for it that
// prints its arguments and exits with status 3.
type matrixRuntime struct {
	name string
	argv []string
	env  []string
}

// matrixRuntimes finds the interpreters on this machine: Debian's python3,
// pyenv's 2.7 and 3.x, node (the machine's and the cached majors), java
// (with a compiled class) and ruby.
func matrixRuntimes(t *testing.T) []matrixRuntime {
	var rts []matrixRuntime
	const pyProg = "import sys; print(sys.argv[1:]); sys.exit(3)"
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		rts = append(rts, matrixRuntime{"python3", []string{"/usr/bin/python3", "-c", pyProg, "a b", "-X"}, nil})
	}
	home, _ := os.UserHomeDir()
	pys, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions/*/bin/python[23].*"))
	bare, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions/*/bin/python")) // symlinks to python2 or python3.x
	pys = append(pys, bare...)
	re := regexp.MustCompile(`/python([23]\.\d+)?$`)
	for _, py := range pys {
		if re.MatchString(py) {
			version := filepath.Base(filepath.Dir(filepath.Dir(py)))
			rts = append(rts, matrixRuntime{"pyenv-" + version + "-" + filepath.Base(py), []string{py, "-c", pyProg, "a b", "-X"}, nil})
		}
	}
	const nodeProg = "console.log(JSON.stringify(process.argv.slice(1))); process.exit(3)"
	if node, err := exec.LookPath("node"); err == nil {
		rts = append(rts, matrixRuntime{"node", []string{node, "-e", nodeProg, "a b"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x"}})
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(home, ".cache")
	}
	nodes, _ := filepath.Glob(filepath.Join(cache, "coldprof/node/*/bin/node"))
	for _, node := range nodes {
		major := filepath.Base(filepath.Dir(filepath.Dir(node)))
		rts = append(rts, matrixRuntime{"node" + major, []string{node, "-e", nodeProg, "a b"}, nil})
	}
	if _, err := exec.LookPath("javac"); err == nil {
		java, dir := compileJava(t, `public class Main { public static void main(String[] a) { System.out.println(String.join("|", a)); System.exit(3); } }`)
		rts = append(rts, matrixRuntime{"java", []string{java, "-Xshare:auto", "-cp", dir, "Main", "a b", "com.example.App::handleRequest"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_java17"}})
	}
	if ruby, err := exec.LookPath("ruby"); err == nil {
		rts = append(rts, matrixRuntime{"ruby", []string{ruby, "-e", "puts ARGV.inspect; exit 3", "a b"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_ruby3.3"}})
	}
	if len(rts) == 0 {
		t.Skip("no interpreter on this machine")
	}
	return rts
}

// matrixInputs are the bad inputs: every coldprof setting with garbage,
// quotes, newlines, a 100 KB value; overrides each runtime refuses; a next
// wrapper that is the wrapper itself, missing, or not executable; a bad
// initialization type; an AWS_EXECUTION_ENV naming another runtime.
func matrixInputs(t *testing.T, self string) map[string][]string {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec")
	os.WriteFile(notExec, []byte("x"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(self, link)
	huge := strings.Repeat("x", 100<<10)
	in := map[string][]string{
		"defaults":               nil,
		"garbage settings":       {"COLDPROF_DISABLE=maybe", "COLDPROF_PHASES=\x1b[2J", "COLDPROF_SAMPLE=NaN", "COLDPROF_INVOKE_MARKERS=-1", "COLDPROF_SAMPLER=sometimes", "COLDPROF_SAMPLE_INTERVAL=0", "COLDPROF_SAMPLER_TICK=\x1b[2Jsometimes"},
		"100 KB settings":        {"COLDPROF_DISABLE=" + huge, "COLDPROF_PHASES=" + huge, "COLDPROF_SAMPLE=" + huge, "COLDPROF_SAMPLE_INTERVAL=" + huge, "COLDPROF_SAMPLER_TICK=" + huge, "COLDPROF_HOOK_DIR=/" + huge},
		"next wrapper: itself":   {"COLDPROF_NEXT_WRAPPER=" + self},
		"next wrapper: symlink":  {"COLDPROF_NEXT_WRAPPER=" + link},
		"next wrapper: missing":  {"COLDPROF_NEXT_WRAPPER=/nonexistent/wrapper"},
		"next wrapper: not exec": {"COLDPROF_NEXT_WRAPPER=" + notExec},
		"hook dir missing":       {"COLDPROF_HOOK_DIR=/nonexistent", "TMPDIR=" + t.TempDir()},
		"init type garbage":      {"AWS_LAMBDA_INITIALIZATION_TYPE=\x07bogus\n"},
		"proxy on":               {"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"},
		"ticks: thread":          {"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9", "COLDPROF_SAMPLER_TICK=thread"},
		"exec env of another":    {"AWS_EXECUTION_ENV=AWS_Lambda_java8.al2"},
	}
	for _, v := range []string{"garbage", "-Q nonsense", "--bogus", "-Xbogus", `"unterminated`, "'", "a\nb", "-c 1", "--version", huge} {
		in["overrides "+strings.ToValidUTF8(v[:min(len(v), 12)], "?")] = []string{
			"COLDPROF_PYTHON_FLAGS=" + v, "COLDPROF_NODE_OPTIONS=" + v, "COLDPROF_JAVA_OPTIONS=" + v, "COLDPROF_RUBYOPT=" + v,
		}
	}
	return in
}

// TestFaultMatrix runs every real interpreter with every bad input through
// the wrapper and checks the function starts and behaves as without it:
// the same stdout and exit status, at most one start marker, every wrapper
// line a valid marker of bounded length.
func TestFaultMatrix(t *testing.T) {
	fullTier(t)
	bin := wrapperBinary(t)
	rts := matrixRuntimes(t)
	inputs := matrixInputs(t, bin)
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	run := func(t *testing.T, argv, env []string) (stdout, stderr string, code int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a hang guard only
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("still running after 60 s: %q", argv)
		}
		return o.String(), e.String(), cmd.ProcessState.ExitCode()
	}
	for _, rt := range rts {
		t.Run(rt.name, func(t *testing.T) {
			wantOut, _, wantCode := run(t, rt.argv, baseEnv(rt.env...))
			if wantCode != 3 {
				t.Fatalf("without the wrapper: exit %d, stdout %q", wantCode, wantOut)
			}
			for _, name := range names {
				env := baseEnv(append(append([]string{}, rt.env...), inputs[name]...)...)
				out, stderr, code := run(t, append([]string{bin}, rt.argv...), env)
				if code != wantCode || out != wantOut {
					t.Errorf("%s: exit %d stdout %q, want %d %q; stderr:\n%.1500s", name, code, out, wantCode, wantOut, stderr)
					continue
				}
				starts := 0
				for _, line := range strings.SplitAfter(stderr, "\n") {
					if _, ok := marker.Find([]byte(line)); !ok {
						continue
					}
					e, err := marker.Parse([]byte(line))
					if err != nil || len(line) > 2048 {
						t.Errorf("%s: bad or long marker (%v): %.300q", name, err, line)
					}
					if e.Kind == marker.Start {
						starts++
					}
				}
				if starts > 1 {
					t.Errorf("%s: %d start markers", name, starts)
				}
				// With the defaults, Python 3.7+ is profiled and Python 2 is
				// left alone (it has no -X importtime; 3.6 ignores it).
				if name == "defaults" && strings.HasPrefix(rt.name, "pyenv-") && !strings.HasPrefix(rt.name, "pyenv-3.6.") {
					py2 := strings.HasPrefix(rt.name, "pyenv-2.")
					if profiled := strings.Contains(stderr, "import time:"); profiled == py2 {
						t.Errorf("%s: import time lines %v, Python 2 %v:\n%.1000s", name, profiled, py2, stderr)
					}
				}
			}
		})
	}
}

// TestOverrideAllowListsReal checks the override allow-lists against the
// real runtimes: every NODE_OPTIONS option is in each Node.js's own
// allow-list (process.allowedNodeEnvironmentFlags), and a value using every
// allowed option of a runtime starts it with the same stdout as without.
func TestOverrideAllowListsReal(t *testing.T) {
	fullTier(t)
	preload := filepath.Join(t.TempDir(), "preload.cjs")
	os.WriteFile(preload, []byte("// empty\n"), 0o644)
	rubyLib := filepath.Join(t.TempDir(), "noop.rb")
	os.WriteFile(rubyLib, []byte("# empty\n"), 0o644)
	samples := map[string]string{
		"python": "-b -B -d -E -I -O -q -R -s -S -u -v -OO -W ignore::DeprecationWarning -Wdefault -X importtime -X importtime=2 -X frozen_modules=off -X dev -X utf8 -X utf8=1 -X tracemalloc=2 -X showrefcount -X no_debug_ranges -X warn_default_encoding -X faulthandler -X int_max_str_digits=0 -X pycache_prefix=" + t.TempDir(),
		"node": "--enable-source-maps --no-deprecation --no-warnings --throw-deprecation --trace-deprecation --trace-warnings --pending-deprecation --preserve-symlinks --trace-uncaught --trace-exit --zero-fill-buffers " +
			"--max-old-space-size=200 --max-semi-space-size 8 --stack-trace-limit=20 --unhandled-rejections=strict --dns-result-order=ipv4first --disable-proto=delete --conditions=dev -C prod --title=fn --require " + preload + " -r " + preload + " --import=" + preload,
		"java": "-verbose:gc -Dx.y=z -Xss1m -Xshare:auto -XX:+TieredCompilation -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData",
		"ruby": "-w -W0 -W:no-deprecated -W:experimental --verbose -U --disable=did_you_mean --enable-frozen-string-literal -I/tmp -r" + rubyLib + " -Eutf-8",
	}
	for name, v := range samples {
		validate := map[string]func(string) ([]string, error){"python": validatePythonFlags, "node": validateNodeOptions, "java": validateJavaOptions, "ruby": validateRubyOpt}[name]
		if _, err := validate(v); err != nil {
			t.Fatalf("%s sample refused: %v", name, err)
		}
	}
	rts := matrixRuntimes(t)
	for _, rt := range rts {
		t.Run(rt.name, func(t *testing.T) {
			base := filepath.Base(rt.argv[0])
			var env []string
			switch {
			case strings.HasPrefix(base, "python3"):
				opts, _ := validatePythonFlags(samples["python"])
				argv := append(append([]string{rt.argv[0]}, opts...), rt.argv[1:]...)
				want, _ := exec.Command(rt.argv[0], rt.argv[1:]...).Output()
				got, err := exec.Command(argv[0], argv[1:]...).Output()
				if code := exitCode(err); code != 3 || string(got) != string(want) {
					t.Errorf("with every allowed flag: exit %d stdout %q, want 3 %q (%v)", code, got, want, err)
				}
				return
			case base == "python" || strings.HasPrefix(base, "python2"):
				return // Python 2 and bare names are never given overrides blindly
			case base == "node":
				out, err := exec.Command(rt.argv[0], "-p", "JSON.stringify([...process.allowedNodeEnvironmentFlags])").Output()
				if err != nil {
					t.Fatal(err)
				}
				for opt := range nodeOptions {
					if !strings.Contains(string(out), `"`+opt+`"`) {
						t.Errorf("%s is not in this Node.js's NODE_OPTIONS allow-list", opt)
					}
				}
				opts, _ := validateNodeOptions(samples["node"])
				quoted := make([]string, len(opts))
				for i, o := range opts {
					quoted[i] = quoteNodeOption(o)
				}
				env = []string{"NODE_OPTIONS=" + strings.Join(quoted, " ")}
			case base == "java":
				env = []string{"JAVA_TOOL_OPTIONS=" + samples["java"]}
			case base == "ruby":
				env = []string{"RUBYOPT=" + samples["ruby"]}
			}
			plain := exec.Command(rt.argv[0], rt.argv[1:]...)
			plain.Env = baseEnv()
			want, _ := plain.Output()
			cmd := exec.Command(rt.argv[0], rt.argv[1:]...)
			cmd.Env = baseEnv(env...)
			got, err := cmd.Output()
			// -verbose:gc may add lines to stdout; the program's line must be there.
			if code := exitCode(err); code != 3 || !strings.Contains(string(got), strings.TrimSpace(string(want))) {
				t.Errorf("with every allowed option: exit %d stdout %q, want 3 %q (%v)", code, got, want, err)
			}
		})
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
