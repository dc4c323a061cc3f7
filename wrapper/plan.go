package wrapper

import "strings"

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
	Injected string
	// Warnings are messages for warning markers; they never hold environment values.
	Warnings []string
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
	// injected (COLDPROF_PYTHON_FLAGS); inject gets its value, "" when unset.
	overrideVar string
	// inject edits p.Argv and p.Env to turn profiling on and returns a
	// description of what it injected for the start marker. An error leaves
	// the command unchanged and becomes a warning marker.
	inject func(p *Plan, override string) (injected string, err error)
}

// runtimes is the table of supported runtimes, tried in order. Add a runtime
// with one entry here and its inject function in a file of its own.
var runtimes = [...]runtimeSupport{
	{family: "python", interpreter: isPythonInterpreter, overrideVar: EnvPythonFlags, inject: injectPython},
	{family: "nodejs", interpreter: isNodeInterpreter, overrideVar: EnvNodeOptions, inject: injectNode},
	{family: "java", interpreter: isJavaInterpreter, overrideVar: EnvJavaOptions, inject: injectJava},
	{family: "ruby", interpreter: isRubyInterpreter, overrideVar: EnvRubyOpt, inject: injectRuby},
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
	p := Plan{Argv: argv, Env: environ}
	p.Handler, _ = lookupEnv(environ, envHandler)
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
	p.Runtime, p.Family = label, rt.family
	var override string
	if rt.overrideVar != "" {
		override, _ = lookupEnv(environ, rt.overrideVar)
	}
	trial := p
	injected, err := rt.inject(&trial, override)
	if err != nil {
		p.Warnings = append(p.Warnings, err.Error())
		return p
	}
	trial.Injected = injected
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
