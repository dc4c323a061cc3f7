// Package hooks ships the require hooks coldprof-wrapper injects into Node.js
// and Ruby, and the init samplers it injects into Python and Node.js
// (python/sitecustomize.py, node/sampler.cjs; lines as wrapper/sampleline
// defines them, see README.md), and writes them to disk where a runtime can
// load them.
//
// In a Lambda layer the files live under /opt/coldprof/hooks (the layer
// builder copies this package's node/, python/ and ruby/ folders there); coldprof run
// writes the embedded copies to a temporary directory with WriteDir and points
// the wrapper at it with COLDPROF_HOOK_DIR. The hook files are plain
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
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Paths of the hook files, relative to the hook directory (slash-separated).
const (
	// NodeRequire is preloaded with NODE_OPTIONS="--require <dir>/node/coldprof-require.cjs".
	NodeRequire = "node/coldprof-require.cjs"
	// NodeESMHooks is registered by NodeRequire with module.register; it must
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
)

// EnvHookDir names the environment variable that tells coldprof-wrapper where
// the hook directory is when it is not next to the wrapper executable.
const EnvHookDir = "COLDPROF_HOOK_DIR"

//go:embed node/coldprof-require.cjs node/esm-hooks.mjs ruby/coldprof_require.rb
//go:embed node/sampler.cjs python/sitecustomize.py python/coldprof_sampler.py
var files embed.FS

// Files returns the embedded hook files, laid out as in the hook directory.
func Files() fs.FS { return files }

// WriteDir writes every hook file under dir, creating folders as needed, so
// dir can be given to the wrapper as COLDPROF_HOOK_DIR.
func WriteDir(dir string) error {
	return fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return fmt.Errorf("writing hook file: %w", err)
		}
		return nil
	})
}
