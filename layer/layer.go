// Package layer builds coldprof's AWS Lambda layer: one zip per architecture
// holding the coldprof-wrapper and coldprof-proxy binaries at the zip root
// (so they land at /opt/coldprof-wrapper and /opt/coldprof-proxy, where the
// wrapper looks for the proxy) and the runtime hooks under coldprof/ (so
// they land at /opt/coldprof/…).
//
// Build runs in four steps:
//
//  1. find the module's source (FindSource) and a Go toolchain (FindGo);
//  2. cross-compile cmd/coldprof-wrapper and cmd/coldprof-proxy for each
//     architecture, static,
//     trimmed and stripped, with a fixed build ID;
//  3. check each binary's ELF header against the architecture (CheckELF),
//     because a wrong binary only fails later, in Lambda, as exit status 126;
//  4. write each zip (WriteZip) with explicit Unix modes, sorted entries and
//     fixed timestamps, so two builds of the same source are byte-identical.
//
// The deployment examples a user pastes live in layer/examples and are
// checked by this package's tests.
package layer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
)

// ModulePath is the Go module whose source the layer is built from.
const ModulePath = "github.com/coldprof/coldprof"

// WrapperPackage is the package, relative to the module root, built into the
// layer's /opt/coldprof-wrapper.
const WrapperPackage = "./cmd/coldprof-wrapper"

// WrapperName is the wrapper's name at the zip root; Lambda unpacks layers
// into /opt, so AWS_LAMBDA_EXEC_WRAPPER must be WrapperPath.
const (
	WrapperName = "coldprof-wrapper"
	WrapperPath = "/opt/" + WrapperName
)

// ProxyPackage is the Runtime API proxy's package, built into the layer's
// /opt/coldprof-proxy under ProxyName (package wrapper's ProxyName: the
// wrapper starts the proxy found next to itself).
const (
	ProxyPackage = "./cmd/coldprof-proxy"
	ProxyName    = "coldprof-proxy"
)

// binaries are the programs each zip holds at its root.
var binaries = []struct{ name, pkg string }{
	{WrapperName, WrapperPackage},
	{ProxyName, ProxyPackage},
}

// HooksDir is where the runtime hooks live in the source tree, and
// HooksZipDir where they go in the zip, so /opt/coldprof/hooks in Lambda,
// where package wrapper/hooks says the wrapper finds them.
const (
	HooksDir    = "wrapper/hooks"
	HooksZipDir = "coldprof/hooks"
)

// hookPatterns are the file names (path.Match patterns on the base name)
// under HooksDir that the layer ships. Files in directories named testdata and
// test files (*_test.*, test_*) are never shipped. Extend this list when a
// runtime gets a hook of a new kind. The .pyc files are the Python hooks'
// checked byte code (wrapper/hooks.PythonBytecodeDir), which spares every
// cold start their compilation in the read-only layer.
var hookPatterns = []string{"*.cjs", "*.mjs", "*.js", "*.rb", "*.py", "*.pyc"}

// An Arch is a Lambda instruction set architecture, named as Lambda names it.
type Arch string

// The architectures Lambda offers.
const (
	X86_64 Arch = "x86_64"
	ARM64  Arch = "arm64"
)

// Arches lists every architecture in the order builds run and results print.
var Arches = []Arch{X86_64, ARM64}

// GOARCH is the Go architecture that runs on a.
func (a Arch) GOARCH() string {
	switch a {
	case X86_64:
		return "amd64"
	case ARM64:
		return "arm64"
	}
	return ""
}

// machine is the ELF machine a binary for a must declare.
func (a Arch) machine() elf.Machine {
	switch a {
	case X86_64:
		return elf.EM_X86_64
	case ARM64:
		return elf.EM_AARCH64
	}
	return elf.EM_NONE
}

// goEnv pins the instruction set level to the lowest Lambda runs, so the
// binary does not depend on the builder's GOAMD64/GOARM64 settings.
func (a Arch) goEnv() []string {
	switch a {
	case X86_64:
		return []string{"GOARCH=amd64", "GOAMD64=v1"}
	case ARM64:
		return []string{"GOARCH=arm64", "GOARM64=v8.0"}
	}
	return nil
}

// ZipName is the file name of a's layer zip.
func (a Arch) ZipName() string { return "coldprof-layer-" + string(a) + ".zip" }

// LayerName is the name the printed publish command gives a's layer. Layers
// are per architecture, so the name says which.
func (a Arch) LayerName() string { return "coldprof-" + string(a) }

// ParseArches parses a comma-separated list such as "x86_64,arm64". It
// accepts Go's names (amd64) too, and returns the architectures in Arches
// order without duplicates.
func ParseArches(s string) ([]Arch, error) {
	want := map[Arch]bool{}
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "x86_64", "amd64", "x86-64":
			want[X86_64] = true
		case "arm64", "aarch64":
			want[ARM64] = true
		case "":
		default:
			return nil, fmt.Errorf("unknown architecture %q: Lambda offers x86_64 and arm64", strings.TrimSpace(f))
		}
	}
	var out []Arch
	for _, a := range Arches {
		if want[a] {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no architecture given: use x86_64, arm64 or both")
	}
	return out, nil
}

// ErrNoGo is returned when no Go toolchain can be found to build the wrapper.
var ErrNoGo = errors.New("no Go toolchain found: the layer is built from source; install Go (https://go.dev/dl/) and put `go` on PATH, or set GOROOT")

// ErrNoSource is returned when coldprof's module source cannot be found.
var ErrNoSource = errors.New("coldprof's source not found: run this inside a clone of " + ModulePath + " (git clone https://" + ModulePath + "), or pass --src DIR")

// FindGo returns the path of the go command: `go` on PATH, else
// $GOROOT/bin/go.
func FindGo() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", ErrNoGo
}

// FindSource returns the root of coldprof's module source. It looks in start
// and its parents for a go.mod declaring ModulePath, then in the Go module
// cache for the version this program was built from (after `go install
// github.com/coldprof/coldprof/cmd/coldprof@VERSION`). goCmd may be empty
// when no toolchain is known; the module cache is then skipped.
func FindSource(start, goCmd string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if goCmd != "" {
		if dir, ok := moduleCacheSource(goCmd); ok {
			return dir, nil
		}
	}
	return "", ErrNoSource
}

// isModuleRoot reports whether dir holds coldprof's go.mod.
func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == ModulePath
		}
	}
	return false
}

// moduleCacheSource finds this program's own module version in the module
// cache, where `go install …@version` left it.
func moduleCacheSource(goCmd string) (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Path != ModulePath || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "", false
	}
	out, err := exec.Command(goCmd, "env", "GOMODCACHE").Output()
	if err != nil {
		return "", false
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(ModulePath)+"@"+info.Main.Version)
	return dir, isModuleRoot(dir)
}

// Options says what Build builds and where.
type Options struct {
	// SourceDir is the module root (see FindSource).
	SourceDir string
	// GoCmd is the go command (see FindGo).
	GoCmd string
	// Arches are the architectures to build; empty means all.
	Arches []Arch
	// OutDir receives the zips; it is created if missing.
	OutDir string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// A Result describes one written layer zip.
type Result struct {
	Arch   Arch
	Path   string // the zip file
	Size   int64  // bytes
	SHA256 string // hex
	Files  []File // the entries, in zip order, Data omitted
}

// Build cross-compiles the wrapper for each architecture, checks the
// binaries and writes one layer zip per architecture into opt.OutDir.
func Build(ctx context.Context, opt Options) ([]Result, error) {
	arches := opt.Arches
	if len(arches) == 0 {
		arches = Arches
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	hooks, err := CollectHooks(opt.SourceDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "coldprof-layer-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	var results []Result
	for _, arch := range arches {
		var files []File
		for _, b := range binaries {
			fmt.Fprintf(progress, "building %s for linux/%s\n", b.name, arch.GOARCH())
			bin := filepath.Join(tmp, b.name+"-"+string(arch))
			if err := BuildBinary(ctx, opt.GoCmd, opt.SourceDir, b.pkg, arch, bin); err != nil {
				return nil, err
			}
			data, err := os.ReadFile(bin)
			if err != nil {
				return nil, err
			}
			if err := CheckELF(data, arch); err != nil {
				return nil, fmt.Errorf("checking %s for %s: %w", b.name, arch, err)
			}
			files = append(files, File{Name: b.name, Mode: 0o755, Data: data})
		}
		files = append(files, hooks...)
		var zipped bytes.Buffer
		if err := WriteZip(&zipped, files); err != nil {
			return nil, err
		}
		out := filepath.Join(opt.OutDir, arch.ZipName())
		if err := os.WriteFile(out, zipped.Bytes(), 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(zipped.Bytes())
		res := Result{Arch: arch, Path: out, Size: int64(zipped.Len()), SHA256: hex.EncodeToString(sum[:])}
		for _, f := range sortedEntries(files) {
			f.Data = nil
			res.Files = append(res.Files, f)
		}
		results = append(results, res)
	}
	return results, nil
}

// BuildWrapper compiles WrapperPackage for linux/arch into out (see
// BuildBinary).
func BuildWrapper(ctx context.Context, goCmd, srcDir string, arch Arch, out string) error {
	return BuildBinary(ctx, goCmd, srcDir, WrapperPackage, arch, out)
}

// BuildBinary compiles pkg (relative to the module root) for linux/arch
// into out. The flags make the build reproducible: no cgo (a static binary
// that runs on every Lambda OS), -trimpath (no local paths), no VCS stamp (a
// dirty work tree would change the bytes), a fixed build ID, and -s -w (no
// symbol tables).
func BuildBinary(ctx context.Context, goCmd, srcDir, pkg string, arch Arch, out string) error {
	if arch.GOARCH() == "" {
		return fmt.Errorf("unknown architecture %q", arch)
	}
	cmd := exec.CommandContext(ctx, goCmd, "build",
		"-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=",
		"-o", out, pkg)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GOWORK=off")
	cmd.Env = append(cmd.Env, arch.goEnv()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("building %s for %s in %s: %s", pkg, arch, srcDir, msg)
	}
	return nil
}

// CheckELF checks that data is a 64-bit, little-endian, statically linked
// Linux executable for arch. Lambda would otherwise fail to start the
// wrapper, which shows up only as a runtime exit in the function's logs.
func CheckELF(data []byte, arch Arch) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not an ELF binary: %w", err)
	}
	defer f.Close()
	switch {
	case f.Class != elf.ELFCLASS64:
		return fmt.Errorf("ELF class %v, want %v", f.Class, elf.ELFCLASS64)
	case f.Data != elf.ELFDATA2LSB:
		return fmt.Errorf("ELF data %v, want %v", f.Data, elf.ELFDATA2LSB)
	case f.Machine != arch.machine():
		return fmt.Errorf("ELF machine %v, want %v for %s", f.Machine, arch.machine(), arch)
	case f.Type != elf.ET_EXEC:
		return fmt.Errorf("ELF type %v, want %v", f.Type, elf.ET_EXEC)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (has an ELF interpreter); build with CGO_ENABLED=0")
		}
	}
	return nil
}

// CollectHooks reads the runtime hooks under srcDir/HooksDir that match
// hookPatterns, named as they go into the zip (HooksZipDir/…). A missing
// hooks directory yields no hooks, not an error.
func CollectHooks(srcDir string) ([]File, error) {
	root := filepath.Join(srcDir, filepath.FromSlash(HooksDir))
	var files []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !IsHook(d.Name()) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: path.Join(HooksZipDir, filepath.ToSlash(rel)), Mode: 0o644, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collecting hooks: %w", err)
	}
	return files, nil
}

// IsHook reports whether a file named name (a base name) under HooksDir is
// shipped in the layer.
func IsHook(name string) bool {
	base := strings.TrimSuffix(name, path.Ext(name))
	if strings.HasSuffix(base, "_test") || strings.HasPrefix(base, "test_") || strings.HasSuffix(base, ".test") {
		return false
	}
	for _, pat := range hookPatterns {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// FormatSize prints n bytes for people: "812,345 bytes (793 KiB)".
func FormatSize(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s bytes (%.0f KiB)", b.String(), float64(n)/1024)
}

// sortedEntries returns the zip's entries as WriteZip writes them.
func sortedEntries(files []File) []File {
	out := append([]File(nil), files...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
