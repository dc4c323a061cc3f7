package wrapper

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coldprof/coldprof/wrapper/hooks"
	"github.com/coldprof/coldprof/wrapper/marker"
)

// Version is the wrapper's version, written in every start marker. Releases
// set it at link time (-ldflags "-X github.com/coldprof/coldprof/wrapper.Version=…").
var Version = "0.1.0-dev"

// Exit statuses when the original command itself cannot be exec'd, the same
// as Lambda's bootstrap uses for a missing or non-executable wrapper.
const (
	ExitNotFound      = 127
	ExitNotExecutable = 126
)

// A Wrapper runs the wrapper: config, plan, proxy, markers, exec. Its fields
// are the process's effects, so tests can replace them; New fills them with
// the real ones.
type Wrapper struct {
	// Stderr receives the marker lines and the exec-failure message.
	Stderr io.Writer
	// Exec replaces the process (syscall.Exec). It returns only on failure;
	// a nil return is treated as success (a test double).
	Exec func(path string, argv, env []string) error
	// StartProxy starts the runtime-API proxy forwarding to upstream for a
	// runtime that will run with env, and returns env as the runtime must
	// get it (AWS_LAMBDA_RUNTIME_API pointing at the proxy, and the
	// sampler's pipe when the sampler is on).
	StartProxy func(upstream string, invokeMarkers int, env []string) ([]string, error)
	// Now gives marker timestamps.
	Now func() time.Time
	// Random returns a number in [0, 1) for COLDPROF_SAMPLE.
	Random func() float64
	// Executable returns the wrapper's own path (os.Executable).
	Executable func() (string, error)
	// Getpid returns the wrapper's process ID (the runtime's, after exec).
	Getpid func() int
	// ExtractHooks writes the embedded hook files into a private directory
	// under parent and returns it (hooks.Extract); the plan calls it only
	// when no hook directory has the file it needs.
	ExtractHooks func(parent string) (string, error)
	// Stdout receives --help and --version.
	Stdout io.Writer
}

// New returns a Wrapper with the real effects, writing to stderr.
func New(stderr io.Writer) *Wrapper {
	return &Wrapper{
		Stderr:       stderr,
		Exec:         syscall.Exec,
		StartProxy:   StartProxy,
		Now:          time.Now,
		Random:       rand.Float64, // the runtime's generator: no seeding, no crypto set-up
		Getpid:       os.Getpid,
		Executable:   os.Executable,
		ExtractHooks: hooks.Extract,
		Stdout:       fdWriter(1),
	}
}

// Usage is what coldprof-wrapper --help prints.
const Usage = `coldprof-wrapper profiles an AWS Lambda cold start: where its time goes, by
module, class or file, and exactly where init ends.

Usage:
  AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper   (on the function)
  coldprof-wrapper COMMAND [ARG...]                (runs COMMAND profiled)
  coldprof-wrapper --help | --version

Lambda's runtime bootstrap runs it with the runtime's command line; it turns
on the runtime's profiling, writes "coldprof: " marker lines to stderr and
execs the command (same PID). It never stops the function from starting:
anything it cannot do becomes one warning line and the command runs as it
would without it. Read the log with "coldprof report".

Configuration (environment variables, all optional): COLDPROF_DISABLE,
COLDPROF_PHASES, COLDPROF_SAMPLE, COLDPROF_INVOKE_MARKERS,
COLDPROF_NEXT_WRAPPER, COLDPROF_SAMPLER, COLDPROF_SAMPLE_INTERVAL,
COLDPROF_SAMPLER_TICK, COLDPROF_HOOK_DIR, COLDPROF_PYTHON_FLAGS, COLDPROF_NODE_OPTIONS,
COLDPROF_JAVA_OPTIONS, COLDPROF_RUBYOPT. See the README's wrapper
configuration table.
`

// Main is the wrapper's entry point for any binary that embeds it (the
// coldprof-wrapper command, or coldprof acting as the wrapper). args is the
// process's full argv (args[0] is the wrapper itself), environ its
// environment. It execs the runtime and returns only if that failed, with
// the exit status to use. (The proxy is a binary of its own,
// cmd/coldprof-proxy, so that the wrapper links no networking code.)
//
// An *os.File stderr is written with plain write(2) calls: os.File turns
// EPIPE on descriptor 2 into a fatal SIGPIPE, and a broken stderr must not
// stop the function from starting.
func Main(args, environ []string, stderr io.Writer) int {
	stderr = rawWriter(stderr)
	w := New(stderr)
	if code, done := w.helpOrVersion(args); done {
		return code
	}
	return w.Run(args, environ)
}

// helpOrVersion prints the usage or the version when that flag is the only
// argument. A runtime's command line always has the interpreter first, so
// these cannot be mistaken for one.
func (w *Wrapper) helpOrVersion(args []string) (code int, done bool) {
	if len(args) != 2 {
		return 0, false
	}
	switch args[1] {
	case "--help", "-help", "-h":
		io.WriteString(w.Stdout, Usage)
	case "--version", "-version":
		io.WriteString(w.Stdout, "coldprof-wrapper "+Version+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n")
	default:
		return 0, false
	}
	return 0, true
}

// markerArch names the wrapper's architecture as Lambda does ("x86_64",
// "arm64"), "" for any other.
func markerArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	}
	return ""
}

// tempDir is where the embedded hooks are written: TMPDIR when the
// function sets an absolute one, else /tmp (Lambda's writable folder).
func tempDir(environ []string) string {
	if dir, _ := lookupEnv(environ, "TMPDIR"); strings.HasPrefix(dir, "/") && len(dir) < 1024 {
		return strings.TrimRight(dir, "/")
	}
	return "/tmp"
}

// Run execs the runtime described by args (args[0] is the wrapper, args[1]
// the interpreter) with profiling turned on. It returns only when exec
// failed, with ExitNotFound or ExitNotExecutable; everything else fails open.
func (w *Wrapper) Run(args, environ []string) int {
	var argv []string
	if len(args) > 1 {
		argv = args[1:]
	}
	cfg, warnings := LoadConfig(environ)
	if cfg.Wrapped {
		// A wrapper already prepared this command (COLDPROF_NEXT_WRAPPER
		// naming coldprof-wrapper, a copy or a symlink of it): another
		// round would inject twice and start another proxy, forever.
		if !cfg.Disable {
			w.Stderr.Write(marker.Append(nil, marker.Event{Kind: marker.Warning, TimeUs: w.Now().UnixMicro(),
				Message: "coldprof-wrapper started again inside its own command (is " + EnvNextWrapper + " coldprof-wrapper?); running the command unchanged"}))
		}
		return w.execFirst(nil, launch{argv, environ, ""})
	}
	if cfg.Disable || cfg.Sample < 1 && w.Random() >= cfg.Sample {
		// Unsampled cold starts print nothing: the log shows Lambda's own
		// INIT lines for every cold start, so they can still be counted.
		return w.execFirst(nil, launch{argv, environ, ""})
	}
	opts := Options{Config: cfg}
	if w.Executable != nil {
		opts.Executable, _ = w.Executable()
	}
	if w.Getpid != nil {
		opts.PID = w.Getpid()
	}
	if w.ExtractHooks != nil {
		opts.ExtractHooks = func() (string, error) { return w.ExtractHooks(tempDir(environ)) }
	}
	plan := PlanWith(argv, environ, opts)
	warnings = append(warnings, plan.Warnings...)
	// The mark goes into the environment handed on, so a wrapper exec'd
	// with it (through COLDPROF_NEXT_WRAPPER) runs the command unchanged.
	if len(argv) > 0 {
		plan.Env = setEnv(plan.Env, EnvWrapped, strconv.Itoa(opts.PID))
	}

	proxy := false
	if cfg.Phases == PhasesProxy && len(argv) > 0 {
		upstream, _ := lookupEnv(environ, envRuntimeAPI)
		if upstream == "" {
			warnings = append(warnings, envRuntimeAPI+" is not set; no phase markers")
		} else if env, err := w.StartProxy(upstream, cfg.InvokeMarkers, plan.Env); err != nil {
			warnings = append(warnings, "runtime-API proxy not started, no phase markers: "+boundValue(err.Error(), maxMessage))
		} else {
			plan.Env = env
			proxy = true
		}
	}
	if !proxy {
		// No proxy, no ticks: the Python sampler uses its thread.
		plan.Env = unsetEnv(plan.Env, EnvSamplerTick)
	}

	launches := []launch{{plan.Argv, plan.Env, "the profiled command"}}
	if cfg.NextWrapper != "" {
		if reason := notExecutable(cfg.NextWrapper); reason != "" {
			warnings = append(warnings, EnvNextWrapper+" "+reason+"; running without it")
		} else {
			chained := append([]string{cfg.NextWrapper}, plan.Argv...)
			launches = append([]launch{{chained, plan.Env, EnvNextWrapper}}, launches...)
		}
	}
	launches = append(launches, launch{argv, environ, "the original command"})

	var buf []byte
	now := w.Now().UnixMicro()
	for _, msg := range warnings {
		buf = marker.Append(buf, marker.Event{Kind: marker.Warning, TimeUs: now, Message: msg})
	}
	buf = marker.Append(buf, marker.Event{
		Kind: marker.Start, TimeUs: now, Runtime: plan.Runtime, Handler: plan.Handler,
		Wrapper: Version, Injected: plan.Injected, Proxy: proxy,
		InitType: cfg.InitType, Arch: markerArch(runtime.GOARCH), SamplerUs: plan.SamplerUs,
	})
	w.Stderr.Write(buf) // one write: the lines cannot interleave; errors ignored (fail open)
	return w.execFirst(nil, launches...)
}

// An fdWriter writes to a file descriptor with write(2), retrying short
// writes, and reports errors without raising SIGPIPE.
type fdWriter uintptr

func (fd fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := syscall.Write(int(fd), p[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// rawWriter replaces an *os.File with an fdWriter on its descriptor.
func rawWriter(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && f != nil {
		return fdWriter(f.Fd())
	}
	return w
}

// A launch is one command the wrapper may exec, named for warnings.
type launch struct {
	argv []string
	env  []string
	what string
}

// execFirst tries each launch in turn (the next one only if exec failed),
// skipping repeats, and reports the last failure the way Lambda's bootstrap
// does. prev is the launch that failed before, nil at first.
func (w *Wrapper) execFirst(prev *launch, launches ...launch) int {
	var err error
	var path string
	for i := range launches {
		l := &launches[i]
		if prev != nil && sameLaunch(*prev, *l) {
			continue
		}
		if prev != nil {
			msg := "exec of " + prev.what + " failed (" + err.Error() + "); running " + l.what
			w.Stderr.Write(marker.Append(nil, marker.Event{Kind: marker.Warning, TimeUs: w.Now().UnixMicro(), Message: msg}))
		}
		if len(l.argv) == 0 {
			path, err = "", errors.New("no command to run")
		} else {
			path = lookPath(l.argv[0], l.env)
			err = w.Exec(path, l.argv, l.env)
		}
		if err == nil {
			return 0
		}
		prev = l
	}
	if prev == nil || len(prev.argv) == 0 {
		io.WriteString(w.Stderr, "coldprof-wrapper: no command to run\n")
		return ExitNotFound
	}
	code, what := ExitNotExecutable, "is not an executable"
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		code, what = ExitNotFound, "does not exist"
	}
	io.WriteString(w.Stderr, "coldprof-wrapper: "+boundValue(path, maxPath)+": "+what+" ("+err.Error()+")\n")
	return code
}

func sameLaunch(a, b launch) bool {
	if len(a.argv) != len(b.argv) || len(a.env) != len(b.env) {
		return false
	}
	for i := range a.argv {
		if a.argv[i] != b.argv[i] {
			return false
		}
	}
	for i := range a.env {
		if a.env[i] != b.env[i] {
			return false
		}
	}
	return true
}

// lookPath resolves a command name without a slash through PATH in env, as
// the shell's exec does; a name with a slash, or one not found, is returned
// as it is (exec then reports the error).
func lookPath(name string, env []string) string {
	if name == "" || strings.Contains(name, "/") {
		return name
	}
	path, _ := lookupEnv(env, "PATH")
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		candidate := dir + "/" + name
		if notExecutable(candidate) == "" {
			return candidate
		}
	}
	return name
}

// notExecutable says why path cannot be exec'd ("does not exist", "is not an
// executable"), "" when it can.
func notExecutable(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "does not exist"
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR || syscall.Access(path, 1 /* X_OK */) != nil {
		return "is not an executable"
	}
	return ""
}
