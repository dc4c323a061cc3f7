package wrapper

import (
	"slices"
	"strings"
)

// A Plan is what the wrapper will exec: the command line and environment the
// runtime starts with, and what was done to them.
type Plan struct {
	// Argv is the command to exec; Argv[0] is the interpreter (or the next
	// wrapper). Exec resolves Argv[0] like the shell does.
	Argv []string
	// Env is the runtime's environment.
	Env []string
	// Runtime is the runtime detected ("python3.12"), "" when unknown.
	Runtime string
	// Family is the runtime table entry that matched ("python"), "" when none.
	Family string
	// Handler is the function's handler (from _HANDLER), "" when unknown.
	Handler string
	// Injected says what was injected ("-X importtime"), "" when nothing.
	// Values that came from the environment in it are bounded (boundValue).
	Injected string
	// SamplerUs is the in-runtime sampler's interval in µs, 0 when it is off.
	SamplerUs int64
	// Warnings are messages for warning markers; they never hold environment
	// values unbounded (paths are cut by boundValue, override values are
	// never quoted).
	Warnings []string

	opts  Options
	hooks *hookLocator // shared with trial copies: extraction runs once
	// hookDirUsed is the hook directory inject took its hook file from, ""
	// when no hook file was used.
	hookDirUsed string
}

// Options are what the plan needs besides argv and the environment: the
// configuration (already read) and the wrapper's own facts and effects.
type Options struct {
	Config Config
	// Executable is the wrapper's own path (os.Executable), "" when unknown:
	// a layer's hook files sit beside it in coldprof/hooks.
	Executable string
	// PID is the wrapper's process ID, which the runtime keeps across exec;
	// the sampler samples only in that process.
	PID int
	// ExtractHooks makes the embedded hook files available and returns their
	// directory; it is called at most once, and only when no hook directory
	// holds a file the plan needs. nil: no fallback.
	ExtractHooks func() (string, error)
}

// InsertArgs inserts args into p.Argv before index i (1 = right after the
// interpreter). p.Argv is copied, never modified in place, so the caller's
// original argv stays intact.
func (p *Plan) InsertArgs(i int, args ...string) {
	out := make([]string, 0, len(p.Argv)+len(args))
	out = append(out, p.Argv[:i]...)
	out = append(out, args...)
	p.Argv = append(out, p.Argv[i:]...)
}

// Getenv returns the value of key in p.Env and whether it is set.
func (p *Plan) Getenv(key string) (string, bool) { return lookupEnv(p.Env, key) }

// Setenv sets key to value in p.Env (a copy; the original is not modified).
func (p *Plan) Setenv(key, value string) { p.Env = setEnv(p.Env, key, value) }

// A runtimeSupport plugs one language into the launch plan: how to recognise
// it and what to inject. This is the extension point described in the
// package documentation.
type runtimeSupport struct {
	// family names the runtime as AWS_EXECUTION_ENV does after
	// "AWS_Lambda_": "python" matches AWS_Lambda_python3.12.
	family string
	// interpreter reports whether an interpreter file name (no directory)
	// belongs to this runtime.
	interpreter func(base string) bool
	// overrideVar names the variable whose value replaces what is
	// injected (COLDPROF_PYTHON_FLAGS).
	overrideVar string
	// validate checks an override against the runtime's own option grammar
	// and returns its options, one per element; an error (which must not
	// quote the value) makes the plan use the default with a warning.
	validate func(value string) ([]string, error)
	// inject edits p.Argv and p.Env to turn profiling on and returns a
	// description of what it injected for the start marker. override is the
	// validated override, nil for the default. An error leaves the command
	// unchanged and becomes a warning marker.
	inject func(p *Plan, override []string) (injected string, err error)
	// sampler, when the runtime has an in-runtime sampler, turns it on
	// after a successful inject (COLDPROF_SAMPLER) and returns warnings.
	sampler func(p *Plan) []string
}

// runtimes is the table of supported runtimes, tried in order. Add a runtime
// with one entry here and its inject function in a file of its own.
var runtimes = [...]runtimeSupport{
	{family: "python", interpreter: isPythonInterpreter, overrideVar: EnvPythonFlags, validate: validatePythonFlags, inject: injectPython, sampler: samplerPython},
	{family: "nodejs", interpreter: isNodeInterpreter, overrideVar: EnvNodeOptions, validate: validateNodeOptions, inject: injectNode, sampler: samplerNode},
	{family: "java", interpreter: isJavaInterpreter, overrideVar: EnvJavaOptions, validate: validateJavaOptions, inject: injectJava},
	{family: "ruby", interpreter: isRubyInterpreter, overrideVar: EnvRubyOpt, validate: validateRubyOpt, inject: injectRuby},
}

// Environment variables of Lambda the plan reads.
const (
	envExecutionEnv = "AWS_EXECUTION_ENV"
	envHandler      = "_HANDLER"
	envRuntimeAPI   = "AWS_LAMBDA_RUNTIME_API"
	execEnvPrefix   = "AWS_Lambda_"
)

// NewPlan builds the launch plan for argv (the command the wrapper was given:
// interpreter first, without the wrapper itself) and environ. It is a pure
// function: nothing is read from the process, nothing is started. When it
// cannot do better it returns argv and environ unchanged (with a warning
// saying why); it never panics.
func NewPlan(argv, environ []string) Plan {
	cfg, _ := LoadConfig(environ)
	return PlanWith(argv, environ, Options{Config: cfg})
}

// PlanWith is NewPlan with the configuration and the wrapper's facts given.
// Its only looks at the file system are the hook files' stats, the JVM's
// release file and a bare python's symlinks; its only effect is
// opts.ExtractHooks.
func PlanWith(argv, environ []string, opts Options) Plan {
	// COLDPROF_SAMPLER_TICK is the user's setting, and also what tells the
	// Python hook that the proxy will tick it: only samplerPython puts it
	// back, and StartProxy or Run take it out again when no proxy ticks.
	p := Plan{Argv: argv, Env: unsetEnv(environ, EnvSamplerTick), opts: opts, hooks: &hookLocator{}}
	handler, _ := lookupEnv(environ, envHandler)
	p.Handler = boundValue(handler, maxHandler)
	if len(argv) == 0 {
		p.Warnings = append(p.Warnings, "no command to run")
		return p
	}
	execEnv, _ := lookupEnv(environ, envExecutionEnv)
	rt, label := detectRuntime(argv[0], execEnv)
	if rt == nil {
		p.Warnings = append(p.Warnings, "runtime not recognised; running the command unchanged")
		return p
	}
	p.Runtime, p.Family = boundValue(label, maxRuntime), rt.family
	var override []string
	if rt.overrideVar != "" {
		if v, _ := lookupEnv(environ, rt.overrideVar); strings.TrimSpace(v) != "" {
			var err error
			if override, err = rt.validate(v); err != nil {
				p.Warnings = append(p.Warnings, rt.overrideVar+" is not valid for this runtime ("+err.Error()+"); using the default")
				override = nil
			}
		}
	}
	trial := p
	trial.Warnings = slices.Clip(p.Warnings) // appending to the trial's never writes into p's array
	injected, err := rt.inject(&trial, override)
	if err != nil {
		p.Warnings = append(trial.Warnings, boundValue(err.Error(), maxMessage))
		return p
	}
	trial.Injected = boundValue(injected, maxInjected)
	trial.Handler = boundValue(trial.Handler, maxHandler)
	if opts.Config.Sampler && rt.sampler != nil {
		trial.Warnings = append(trial.Warnings, rt.sampler(&trial)...)
	}
	return trial
}

// detectRuntime finds the table entry for an interpreter path and the value
// of AWS_EXECUTION_ENV, and the runtime's label for the start marker. The
// interpreter's file name decides (it is what flags are injected into);
// AWS_EXECUTION_ENV only names the version, or picks the runtime when the
// interpreter's name says nothing.
func detectRuntime(interpreter, execEnv string) (*runtimeSupport, string) {
	base := pathBase(interpreter)
	envName, _ := strings.CutPrefix(execEnv, execEnvPrefix)
	for i := range runtimes {
		rt := &runtimes[i]
		if rt.interpreter(base) {
			if strings.HasPrefix(envName, rt.family) {
				return rt, envName
			}
			return rt, base
		}
	}
	for i := range runtimes {
		rt := &runtimes[i]
		if envName != "" && strings.HasPrefix(envName, rt.family) {
			return rt, envName
		}
	}
	return nil, ""
}
