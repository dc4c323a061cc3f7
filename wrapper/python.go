package wrapper

import (
	"errors"
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
// override (COLDPROF_PYTHON_FLAGS) replaces the flags: split on white space,
// no quoting; empty means the default.
func injectPython(p *Plan, override string) (string, error) {
	if !isPythonInterpreter(pathBase(p.Argv[0])) {
		return "", errors.New("runtime is Python but the interpreter's name is not python*; nothing injected")
	}
	flags := pythonDefaultFlags
	if f := strings.Fields(override); len(f) > 0 {
		flags = f
	}
	p.InsertArgs(1, flags...)
	if p.Handler == "" {
		p.Handler = awslambdaricHandler(p.Argv[1+len(flags):])
	}
	return strings.Join(flags, " "), nil
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
