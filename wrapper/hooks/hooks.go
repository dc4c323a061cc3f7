// Package hooks ships the require hooks coldprof-wrapper injects into Node.js
// and Ruby, and the init samplers it injects into Python and Node.js
// (python/sitecustomize.py, node/sampler.cjs; lines as wrapper/sampleline
// defines them, see README.md), and writes them to disk where a runtime can
// load them.
//
// In a Lambda layer the files live under /opt/coldprof/hooks (the layer
// builder copies this package's folders there); coldprof run writes the
// embedded copies to a temporary directory with WriteDir and points the
// wrapper at it with COLDPROF_HOOK_DIR. The wrapper carries them too: when
// no hook directory has the file it needs (installed with go install, copied
// into an image without the layer's folder) it writes them once with Extract
// to a private directory under /tmp. The hook files are plain
// JavaScript and Ruby: no build step, no dependency.
//
// The grammar the hooks write, one line per loaded unit when it finishes
// (post-order, like CPython's -X importtime), is:
//
//	node require: %9d | %10d | <2*depth spaces><name>
//	ruby require: %9d | %10d | <2*depth spaces><name>
//
// self and cumulative microseconds, preceded once by a header line
// "node require: self [us] | cumulative | imported module" (Ruby: "... | required file").
package hooks

import (
	"embed"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// Paths of the hook files, relative to the hook directory (slash-separated).
const (
	// NodeRequire is preloaded with NODE_OPTIONS="--require <dir>/node/coldprof-require.cjs".
	NodeRequire = "node/coldprof-require.cjs"
	// NodeESMHooks is registered by NodeRequire with module.register where
	// module.registerHooks is missing (Node 18 and 20); it must
	// sit next to it.
	NodeESMHooks = "node/esm-hooks.mjs"
	// RubyRequire is loaded with RUBYOPT="-r<dir>/ruby/coldprof_require.rb".
	RubyRequire = "ruby/coldprof_require.rb"
	// NodeSampler is loaded by NodeRequire when COLDPROF_SAMPLER_INTERVAL_US is set.
	NodeSampler = "node/sampler.cjs"
	// PythonSitecustomize starts the Python sampler: its folder goes first on PYTHONPATH.
	PythonSitecustomize = "python/sitecustomize.py"
	// PythonSampler is the sampler module PythonSitecustomize imports.
	PythonSampler = "python/coldprof_sampler.py"
	// PythonSamplerLines is the sampler's encoder, which PythonSampler
	// compiles when it first writes (at the cut, off the init path).
	PythonSamplerLines = "python/coldprof_sampler_lines.py"
	// PythonBytecodeDir holds the byte code of the Python files above for
	// the CPython versions Lambda runs, in checked-hash .pyc files
	// (PEP 552): the interpreter uses them while they match the source's
	// hash and compiles the source otherwise, and a layer is read-only, so
	// without them every cold start would compile the sampler.
	PythonBytecodeDir = "python/__pycache__"
)

// EnvHookDir names the environment variable that tells coldprof-wrapper where
// the hook directory is when it is not next to the wrapper executable.
const EnvHookDir = "COLDPROF_HOOK_DIR"

// Every file in every folder of this package (node/, ruby/, python/, and any
// added later) is a hook file: the pattern names folders, not files, so a new
// file comes along without editing it. Go files and testdata live at the top
// level, which the pattern does not match.
//
//go:embed */*
var files embed.FS

// Files returns the embedded hook files, laid out as in the hook directory.
func Files() fs.FS { return files }

// WriteDir writes every hook file under dir, creating folders as needed, so
// dir can be given to the wrapper as COLDPROF_HOOK_DIR.
func WriteDir(dir string) error {
	return writeTree(dir, 0o755, 0o644)
}

// writeTree writes the embedded files under dir with the given modes. It uses
// os and strings only: the wrapper links this package, and fmt or
// path/filepath would add to every cold start's binary.
func writeTree(dir string, dirMode, fileMode fs.FileMode) error {
	return fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skipped(name) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := dir + "/" + name
		if d.IsDir() {
			return os.MkdirAll(target, dirMode)
		}
		data, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, fileMode); err != nil {
			return errors.New("writing hook file: " + err.Error())
		}
		return nil
	})
}

// skipped reports whether an embedded path is not a hook: a build
// by-product (Python's byte-code caches, but for the checked byte code of
// the sampler in python/__pycache__, which spares every cold start its
// compilation: see pyc_test.go) or a test (testdata folders, test_* and
// *_test.* files, as the layer builder skips them).
func skipped(name string) bool {
	if name == PythonBytecodeDir || hasPrefix(name, PythonBytecodeDir+"/") && hasSuffix(name, ".pyc") {
		return false
	}
	base := name
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			base = name[i+1:]
			break
		}
	}
	stem := base
	for i := len(base) - 1; i > 0; i-- {
		if base[i] == '.' {
			stem = base[:i]
			break
		}
	}
	return base == "__pycache__" || base == "testdata" || hasSuffix(base, ".pyc") ||
		len(stem) >= 5 && stem[:5] == "test_" || hasSuffix(stem, "_test") || hasSuffix(stem, ".test")
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// ContentID names the embedded files' content: a hash of every path and
// byte, so hooks of different wrapper builds never share a directory.
func ContentID() string {
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a, 64 bits
	h := uint64(offset)
	fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skipped(name) {
			return nil
		}
		data, _ := files.ReadFile(name)
		for _, part := range [][]byte{[]byte(name), {0}, data, {0}} {
			for _, c := range part {
				h = (h ^ uint64(c)) * prime
			}
		}
		return nil
	})
	return strconv.FormatUint(h, 36)
}

// Extract makes the embedded hooks available under parent (Lambda's /tmp)
// and returns their directory, for a wrapper that finds no hook directory
// (installed with go install, copied into a container image without the
// layer's folder). The directory is private to the user, named for the
// user and the content, and written once: the first wrapper writes a fresh
// directory of its own (mode 0700) and renames it into place, so a runtime
// never sees a half-written tree, and a wrapper that loses the race uses the
// winner's. A directory of that name that is not the user's own private
// directory (another user's, a symlink, group- or world-writable) is never
// used: the fresh copy is used instead and stays behind.
func Extract(parent string) (string, error) {
	uid := os.Getuid()
	name := "coldprof-hooks-" + strconv.Itoa(uid) + "-" + ContentID()
	final := parent + "/" + name
	err := checkPrivate(final, uid)
	if err == nil {
		return final, nil
	}
	tmp, mkErr := os.MkdirTemp(parent, "."+name+".")
	if mkErr != nil {
		return "", mkErr
	}
	if err := writeTree(tmp, 0o700, 0o600); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return tmp, nil // final is someone else's or unsafe: keep the fresh copy
	}
	if err := os.Rename(tmp, final); err != nil {
		if checkPrivate(final, uid) == nil { // another wrapper won the race
			os.RemoveAll(tmp)
			return final, nil
		}
		return tmp, nil
	}
	return final, nil
}

// checkPrivate returns nil when dir is a real directory (not a symlink)
// owned by uid that no one else can write to or list, fs.ErrNotExist when it
// does not exist, and another error when it exists but must not be used.
func checkPrivate(dir string, uid int) error {
	var st syscall.Stat_t
	if err := syscall.Lstat(dir, &st); err != nil {
		if err == syscall.ENOENT {
			return fs.ErrNotExist
		}
		return err
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
		return errors.New(dir + " is not a directory")
	case int(st.Uid) != uid:
		return errors.New(dir + " belongs to another user")
	case st.Mode&0o077 != 0:
		return errors.New(dir + " is open to other users")
	}
	return nil
}
