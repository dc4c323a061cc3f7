// Package runtimes holds the small Lambda runtime clients coldprof ships in
// its binary, so "coldprof run" works where Lambda's own clients
// (awslambdaric and friends) are not installed. Each runtime has its own
// file and embedded directory; they are written to a temporary directory at
// run time.
package runtimes

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed python/bootstrap.py python/coldprof_runtime.py
var pythonFiles embed.FS

// PythonModule is the name of the Python client's module; its import is the
// runtime phase of a cold start run by coldprof.
const PythonModule = "coldprof_runtime"

// WritePython writes the Python runtime client into dir and returns the path
// of its bootstrap script (the counterpart of Lambda's
// /var/runtime/bootstrap.py): run it as "python3 BOOTSTRAP".
func WritePython(dir string) (string, error) {
	for _, name := range []string{"bootstrap.py", PythonModule + ".py"} {
		data, err := pythonFiles.ReadFile("python/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("writing the Python runtime client: %w", err)
		}
	}
	return filepath.Join(dir, "bootstrap.py"), nil
}

// PythonInfo is what coldprof needs to know about an interpreter.
type PythonInfo struct {
	// Version is "3.12" for CPython 3.12.x.
	Version string
	// Awslambdaric is true when Lambda's runtime client can be imported.
	Awslambdaric bool
}

// Runtime is the Lambda runtime identifier for the interpreter ("python3.12").
func (p PythonInfo) Runtime() string { return "python" + p.Version }

// probeScript prints the version and whether awslambdaric is installed,
// without importing it.
const probeScript = `import sys, importlib.util
print("%d.%d" % sys.version_info[:2])
print(importlib.util.find_spec("awslambdaric") is not None)`

// ProbePython runs the interpreter once to learn its version and whether
// awslambdaric is installed.
func ProbePython(ctx context.Context, python string) (PythonInfo, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-c", probeScript)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return PythonInfo{}, fmt.Errorf("running %s: %w: %s", python, err, msg)
		}
		return PythonInfo{}, fmt.Errorf("running %s: %w", python, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "3.") {
		return PythonInfo{}, fmt.Errorf("%s: not a Python 3 interpreter (printed %q)", python, out)
	}
	return PythonInfo{Version: lines[0], Awslambdaric: lines[1] == "True"}, nil
}
