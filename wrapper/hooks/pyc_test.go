package hooks_test

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// The Python hooks ship their byte code for the CPython versions Lambda runs
// (python3.9 to python3.13), so that no cold start compiles them: the hook
// folder is read-only in a layer, so the interpreter cannot cache what it
// compiles there. The files are checked-hash .pyc files (PEP 552): CPython
// hashes the source when it imports and compiles it afresh when the hash
// differs, so a stale .pyc costs time, never correctness.
//
// After editing a Python hook, regenerate them (needs pyenv's 3.9 to 3.13):
//
//	COLDPROF_TEST=full go test ./wrapper/hooks -run PythonBytecode -update-pyc

var updatePyc = flag.Bool("update-pyc", false, "rewrite python/__pycache__ with pyenv's interpreters")

// pycModules are the Python hooks the interpreter loads on a cold start.
var pycModules = []string{"sitecustomize", "coldprof_sampler", "coldprof_sampler_lines"}

// pycMinors are the CPython 3 minor versions whose byte code is shipped.
var pycMinors = []int{9, 10, 11, 12, 13}

func pycName(module string, minor int) string {
	return fmt.Sprintf("%s.cpython-3%d.pyc", module, minor)
}

// TestPythonBytecodeShipped: every module has its byte code for every
// version in the embedded files, in checked-hash form, and nothing else is
// in the folder (a stray timestamp .pyc from a local run would be shipped).
func TestPythonBytecodeShipped(t *testing.T) {
	var want []string
	for _, m := range pycModules {
		if _, err := fs.Stat(hooks.Files(), "python/"+m+".py"); err != nil {
			t.Errorf("python/%s.py: %v", m, err)
		}
		for _, minor := range pycMinors {
			want = append(want, pycName(m, minor))
		}
	}
	slices.Sort(want)
	entries, err := fs.ReadDir(hooks.Files(), hooks.PythonBytecodeDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		data, err := fs.ReadFile(hooks.Files(), hooks.PythonBytecodeDir+"/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 16 || binary.LittleEndian.Uint32(data[4:8]) != 3 {
			t.Errorf("%s: not a checked-hash .pyc (flags %x)", e.Name(), data[4:min(8, len(data))])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %v, want %v", hooks.PythonBytecodeDir, got, want)
	}
	dir := t.TempDir()
	if err := hooks.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(hooks.PythonBytecodeDir), want[0])); err != nil {
		t.Errorf("WriteDir does not write the byte code: %v", err)
	}
}

// TestPythonBytecodeCurrent: each shipped .pyc is what that CPython version
// accepts for the source as it is now (its magic number and the source's
// hash), for pyenv's 3.9 to 3.13 and Debian's python3; with -update-pyc it
// rewrites them first.
func TestPythonBytecodeCurrent(t *testing.T) {
	fullTier(t)
	home, _ := os.UserHomeDir()
	src := filepath.FromSlash("python")
	interpreters := map[string]int{}
	for _, minor := range pycMinors {
		m, _ := filepath.Glob(filepath.Join(home, ".pyenv", "versions", fmt.Sprintf("3.%d.*", minor), "bin", "python"))
		if len(m) == 0 {
			t.Fatalf("no pyenv Python 3.%d", minor)
		}
		interpreters[m[len(m)-1]] = minor
	}
	if *updatePyc {
		if err := os.RemoveAll(filepath.Join(src, "__pycache__")); err != nil {
			t.Fatal(err)
		}
		for py, minor := range interpreters {
			for _, m := range pycModules {
				script := "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], dfile=sys.argv[3], doraise=True, " +
					"invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)"
				out, err := exec.Command(py, "-c", script, filepath.Join(src, m+".py"),
					filepath.Join(src, "__pycache__", pycName(m, minor)), m+".py").CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", py, err, out)
				}
			}
		}
		t.Log("rewrote", filepath.Join(src, "__pycache__"), "(rebuild to embed them)")
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		out, err := exec.Command("/usr/bin/python3", "-c", "import sys; print(sys.version_info[1])").Output()
		if err != nil {
			t.Fatal(err)
		}
		var minor int
		if _, err := fmt.Sscan(string(out), &minor); err == nil && slices.Contains(pycMinors, minor) {
			interpreters["/usr/bin/python3"] = minor
		}
	}
	// What CPython's SourceLoader checks before it uses a .pyc: the magic
	// number, the flags, and for checked-hash files the source's hash.
	check := `import importlib.util, sys
src, pyc = sys.argv[1], sys.argv[2]
data, source = open(pyc, "rb").read(), open(src, "rb").read()
if data[:4] != importlib.util.MAGIC_NUMBER:
    print("magic number", data[:4], "is not this interpreter's", importlib.util.MAGIC_NUMBER)
elif int.from_bytes(data[4:8], "little") != 3:
    print("not checked-hash")
elif data[8:16] != importlib.util.source_hash(source):
    print("stale: the source changed since it was compiled (run the test with -update-pyc)")
else:
    print("ok")
`
	for py, minor := range interpreters {
		for _, m := range pycModules {
			out, err := exec.Command(py, "-c", check, filepath.Join(src, m+".py"),
				filepath.Join(src, "__pycache__", pycName(m, minor))).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "ok" {
				t.Errorf("%s, %s: %v %s", py, pycName(m, minor), err, out)
			}
		}
	}
}
