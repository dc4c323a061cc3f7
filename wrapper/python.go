package wrapper

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// pythonDefaultFlags are inserted right after the interpreter: CPython then
// writes one "import time:" line per import to stderr.
var pythonDefaultFlags = []string{"-X", "importtime"}

// isPythonInterpreter accepts python, python3, python3.12, python3.13t
// (free-threaded) and the like: "python", optional version digits and dots,
// optional ABI letters.
func isPythonInterpreter(base string) bool {
	rest, ok := strings.CutPrefix(base, "python")
	if !ok {
		return false
	}
	rest = strings.TrimRight(rest, "dmt")
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c == '.' && i > 0) {
			return false
		}
	}
	return true
}

// injectPython inserts the import-time flags right after the interpreter,
// before any of the original arguments (so it works for both
// "python3.12 /var/runtime/bootstrap.py" and "python -m awslambdaric h").
// A validated override (COLDPROF_PYTHON_FLAGS) replaces the flags. Python 2
// has no -X importtime and would not start with it, so it is left alone, and
// so is a bare "python" whose version cannot be told cheaply.
func injectPython(p *Plan, override []string) (string, error) {
	if !isPythonInterpreter(pathBase(p.Argv[0])) {
		return "", errors.New("runtime is Python but the interpreter's name is not python*; nothing injected")
	}
	switch pythonMajor(p) {
	case 2:
		return "", errors.New("the interpreter is Python 2, which has no -X importtime; running the command unchanged")
	case 0:
		return "", errors.New("cannot tell whether the interpreter \"python\" is Python 2 or 3 without running it; running the command unchanged (name it python3)")
	}
	flags := pythonDefaultFlags
	if override != nil {
		flags = override
	}
	p.InsertArgs(1, flags...)
	if p.Handler == "" {
		p.Handler = awslambdaricHandler(p.Argv[1+len(flags):])
	}
	return strings.Join(flags, " "), nil
}

// pythonMajor tells Python 2 from 3 without running the interpreter: by its
// name (python2.7, python3.12), for a bare "python" by the name its
// symlinks lead to (python -> python3 -> python3.12, as Debian and the
// official images have it), then by the standard library beside it
// (<prefix>/lib/python3.12), then by a Lambda runtime name in
// AWS_EXECUTION_ENV (every Lambda Python runtime is Python 3). 0: unknown.
func pythonMajor(p *Plan) int {
	if m := pythonMajorOfName(pathBase(p.Argv[0])); m != 0 {
		return m
	}
	path := lookPath(p.Argv[0], p.Env)
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		if m := pythonMajorOfName(pathBase(resolved)); m != 0 {
			return m
		}
		path = resolved
	}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		prefix := filepath.Dir(path[:i])
		found := 0
		for _, lib := range []string{"/lib", "/lib64"} {
			entries, _ := os.ReadDir(prefix + lib)
			for _, e := range entries {
				if m := pythonMajorOfName(e.Name()); m != 0 && e.IsDir() {
					if found != 0 && found != m {
						return 0 // both: the name does not say which this is
					}
					found = m
				}
			}
		}
		if found != 0 {
			return found
		}
	}
	if env, _ := p.Getenv(envExecutionEnv); strings.HasPrefix(env, execEnvPrefix+"python3") {
		return 3
	}
	return 0
}

// pythonMajorOfName returns 2 or 3 for python2*, python3* names, else 0.
func pythonMajorOfName(base string) int {
	switch {
	case strings.HasPrefix(base, "python2"):
		return 2
	case strings.HasPrefix(base, "python3"):
		return 3
	}
	return 0
}

// pythonSitecustomize is the sampler's start-up file in the hook directory;
// its folder goes first on PYTHONPATH.
const pythonSitecustomize = "python/sitecustomize.py"

// samplerPython puts the hook directory's python/ folder first on
// PYTHONPATH (the user's PYTHONPATH stays, after it), so the sampler's
// sitecustomize starts it and then runs any other sitecustomize.
// Interpreter flags that ignore PYTHONPATH (-E, -I) or skip site (-S) mean
// no sampler.
func samplerPython(p *Plan) []string {
	path, err := hookFile(p, pythonSitecustomize)
	if err != nil {
		if !embeddedHook(pythonSitecustomize) {
			return nil // neither the hook directory nor this build has a Python sampler
		}
		return []string{"no sampler: " + err.Error()}
	}
	if pythonSkipsSite(p.Argv[1:]) {
		return []string{"the interpreter runs with -E, -I or -S, so it would not load the sampler; no sampler"}
	}
	dir := path[:strings.LastIndexByte(path, '/')]
	if old, _ := p.Getenv("PYTHONPATH"); old != "" {
		dir += ":" + old
	}
	p.Setenv("PYTHONPATH", dir)
	setSamplerEnv(p, DefaultPythonSampleInterval)
	if p.opts.Config.SamplerTick == TickSignal {
		// Asks StartProxy for signal ticks; it keeps this only when the
		// sampler's pipe to the proxy is made (see StartProxy).
		p.Setenv(EnvSamplerTick, TickSignal)
	}
	return nil
}

// pythonSkipsSite reports whether the interpreter options before the script
// (or -c/-m) include -E, -I or -S, alone or combined (-sSE).
func pythonSkipsSite(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			if a == "--check-hash-based-pycs" {
				i++
			}
			continue
		}
		for k := 1; k < len(a); k++ {
			switch a[k] {
			case 'E', 'I', 'S':
				return true
			case 'X', 'W':
				if k == len(a)-1 {
					i++ // the value is the next argument
				}
				k = len(a)
			case 'c', 'm':
				return false
			}
		}
	}
	return false
}

// awslambdaricHandler returns the handler of a container-image command line,
// "python -m awslambdaric app.handler" (args are those after the
// interpreter), or "" for any other shape.
func awslambdaricHandler(args []string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-m" && args[i+1] == "awslambdaric" {
			if i+2 < len(args) {
				return args[i+2]
			}
			return ""
		}
		switch {
		case args[i] == "-X" || args[i] == "-W":
			i++ // the option's value
		case !strings.HasPrefix(args[i], "-") || args[i] == "-c":
			return "" // a script or a command: not the awslambdaric module
		}
	}
	return ""
}

// pathBase is filepath.Base without its special cases: "" stays "".
func pathBase(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
