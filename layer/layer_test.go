package layer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArches(t *testing.T) {
	tests := []struct {
		in      string
		want    []Arch
		wantErr string
	}{
		{"x86_64,arm64", []Arch{X86_64, ARM64}, ""},
		{"arm64,x86_64", []Arch{X86_64, ARM64}, ""},
		{"amd64", []Arch{X86_64}, ""},
		{" aarch64 , arm64 ", []Arch{ARM64}, ""},
		{"x86_64,", []Arch{X86_64}, ""},
		{"", nil, "no architecture"},
		{"mips", nil, `unknown architecture "mips"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseArches(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseArches(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseArches(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// zipEntry is what a test checks of one zip entry.
type zipEntry struct {
	Name string
	Mode fs.FileMode
	Data string
}

func readZip(t *testing.T, data []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		if f.CreatorVersion>>8 != 3 {
			t.Errorf("%s: creator OS %d, want 3 (Unix) so unzip honours the mode", f.Name, f.CreatorVersion>>8)
		}
		if !f.Modified.Equal(zipTime) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, zipTime)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{f.Name, f.Mode(), string(b)})
	}
	return out
}

func TestWriteZip(t *testing.T) {
	files := []File{
		{Name: "coldprof/ruby/require.rb", Mode: 0o644, Data: []byte("rb")},
		{Name: "coldprof-wrapper", Mode: 0o755, Data: []byte("\x7fELF")},
		{Name: "coldprof/node/require.cjs", Mode: 0o644, Data: []byte("js")},
	}
	var first, second bytes.Buffer
	if err := WriteZip(&first, files); err != nil {
		t.Fatal(err)
	}
	// The input order must not matter.
	reversed := []File{files[2], files[1], files[0]}
	if err := WriteZip(&second, reversed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two zips of the same files differ")
	}
	want := []zipEntry{
		{"coldprof-wrapper", 0o755, "\x7fELF"},
		{"coldprof/", fs.ModeDir | 0o755, ""},
		{"coldprof/node/", fs.ModeDir | 0o755, ""},
		{"coldprof/node/require.cjs", 0o644, "js"},
		{"coldprof/ruby/", fs.ModeDir | 0o755, ""},
		{"coldprof/ruby/require.rb", 0o644, "rb"},
	}
	if diff := cmp.Diff(want, readZip(t, first.Bytes())); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
}

func TestWriteZipRejects(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  string
	}{
		{"absolute", []File{{Name: "/opt/x", Mode: 0o644}}, "clean relative path"},
		{"parent", []File{{Name: "../x", Mode: 0o644}}, "clean relative path"},
		{"unclean", []File{{Name: "a//b", Mode: 0o644}}, "clean relative path"},
		{"empty", []File{{Name: "", Mode: 0o644}}, "clean relative path"},
		{"twice", []File{{Name: "a", Mode: 0o644}, {Name: "a", Mode: 0o755}}, "given twice"},
		{"symlink", []File{{Name: "a", Mode: fs.ModeSymlink | 0o777}}, "not a plain file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteZip(io.Discard, tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteZip error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestIsHook(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"coldprof-require.cjs", true},
		{"loader.mjs", true},
		{"require_hook.rb", true},
		{"hook.js", true},
		{"coldprof_sampler.cpython-311.pyc", true},
		{"hook_test.rb", false},
		{"test_hook.rb", false},
		{"hook.test.js", false},
		{"README.md", false},
		{"hooks.go", false},
	}
	for _, tt := range tests {
		if got := IsHook(tt.name); got != tt.want {
			t.Errorf("IsHook(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// writeTree creates files (slash paths → contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtureModule is a stand-in for coldprof's source: same module path, a
// trivial wrapper, hooks to ship and files that must not be shipped. It keeps
// the packaging tests independent of the real wrapper's state.
func fixtureModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod":                               "module " + ModulePath + "\n\ngo 1.21\n",
		"cmd/coldprof-wrapper/main.go":         "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"fixture wrapper\\n\") }\n",
		"cmd/coldprof-proxy/main.go":           "package main\n\nfunc main() {}\n",
		"wrapper/hooks/node/require.cjs":       "// node hook\n",
		"wrapper/hooks/ruby/require.rb":        "# ruby hook\n",
		"wrapper/hooks/ruby/require_test.rb":   "# a test, not shipped\n",
		"wrapper/hooks/hooks.go":               "package hooks\n",
		"wrapper/hooks/node/testdata/app.cjs":  "// test data, not shipped\n",
		"wrapper/hooks/node/README.md":         "not shipped\n",
		"wrapper/hooks/node/coldprof-esm.mjs":  "// esm hook\n",
		"wrapper/hooks/node/nested/deep.cjs":   "// deep\n",
		"unrelated/elsewhere.cjs":              "// not under hooks\n",
		"wrapper/hooks/node/.hidden/x.rb.orig": "not shipped\n",
	})
	return dir
}

func goCmd(t *testing.T) string {
	t.Helper()
	g, err := FindGo()
	if err != nil {
		t.Fatal("no Go toolchain on PATH: ", err)
	}
	return g
}

func TestCollectHooks(t *testing.T) {
	dir := fixtureModule(t)
	files, err := CollectHooks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		if f.Mode != 0o644 {
			t.Errorf("%s: mode %v, want 0644", f.Name, f.Mode)
		}
		got = append(got, f.Name)
	}
	sort.Strings(got)
	want := []string{"coldprof/hooks/node/coldprof-esm.mjs", "coldprof/hooks/node/nested/deep.cjs", "coldprof/hooks/node/require.cjs", "coldprof/hooks/ruby/require.rb"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}

	none, err := CollectHooks(t.TempDir())
	if err != nil || len(none) != 0 {
		t.Errorf("CollectHooks(no hooks dir) = %v, %v; want nothing, no error", none, err)
	}
}

func TestFindSource(t *testing.T) {
	dir := fixtureModule(t)
	deep := filepath.Join(dir, "wrapper", "hooks", "node")
	for _, start := range []string{dir, deep} {
		got, err := FindSource(start, "")
		if err != nil || got != dir {
			t.Errorf("FindSource(%s) = %q, %v; want %q", start, got, err, dir)
		}
	}
	other := t.TempDir()
	writeTree(t, other, map[string]string{"go.mod": "module example.com/other\n"})
	if _, err := FindSource(other, ""); !errors.Is(err, ErrNoSource) {
		t.Errorf("FindSource(other module) error %v, want ErrNoSource", err)
	}
}

func TestFindGoMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", "")
	if _, err := FindGo(); !errors.Is(err, ErrNoGo) {
		t.Fatalf("FindGo with an empty PATH: %v, want ErrNoGo", err)
	}
	if !strings.Contains(ErrNoGo.Error(), "install Go") {
		t.Errorf("ErrNoGo does not say what to do: %v", ErrNoGo)
	}
}

func TestFindGoFromGOROOT(t *testing.T) {
	g := goCmd(t)
	root := filepath.Dir(filepath.Dir(g))
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", root)
	got, err := FindGo()
	if err != nil || got != filepath.Join(root, "bin", "go") {
		t.Errorf("FindGo with GOROOT=%s: %q, %v", root, got, err)
	}
}

func TestCheckELF(t *testing.T) {
	fullTier(t)
	g := goCmd(t)
	dir := fixtureModule(t)
	bins := map[Arch][]byte{}
	for _, a := range Arches {
		out := filepath.Join(t.TempDir(), "w")
		if err := BuildWrapper(context.Background(), g, dir, a, out); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		bins[a] = b
	}
	tests := []struct {
		name string
		data []byte
		arch Arch
		want string // "" = valid
	}{
		{"amd64 as x86_64", bins[X86_64], X86_64, ""},
		{"arm64 as arm64", bins[ARM64], ARM64, ""},
		{"amd64 as arm64", bins[X86_64], ARM64, "ELF machine EM_X86_64, want EM_AARCH64"},
		{"arm64 as x86_64", bins[ARM64], X86_64, "ELF machine EM_AARCH64, want EM_X86_64"},
		{"shell script", []byte("#!/bin/sh\nexec \"$@\"\n"), X86_64, "not an ELF binary"},
		{"empty", nil, X86_64, "not an ELF binary"},
	}
	if sh, err := os.ReadFile("/bin/sh"); err == nil && bytes.HasPrefix(sh, []byte("\x7fELF")) {
		// A dynamically linked, position-independent system binary.
		tests = append(tests, struct {
			name string
			data []byte
			arch Arch
			want string
		}{"dynamic /bin/sh", sh, X86_64, "ELF"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckELF(tt.data, tt.arch)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckELF: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckELF error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildFixture(t *testing.T) {
	fullTier(t)
	g := goCmd(t)
	src := fixtureModule(t)
	build := func() []Result {
		res, err := Build(context.Background(), Options{SourceDir: src, GoCmd: g, OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first, second := build(), build()
	if len(first) != 2 || first[0].Arch != X86_64 || first[1].Arch != ARM64 {
		t.Fatalf("built %+v, want x86_64 then arm64", first)
	}
	for i, res := range first {
		a, err := os.ReadFile(res.Path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(second[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds of the same source differ", res.Arch)
		}
		sum := sha256.Sum256(a)
		if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(len(a)) {
			t.Errorf("%s: reported size %d sha256 %s, file has %d %x", res.Arch, res.Size, res.SHA256, len(a), sum)
		}
		if filepath.Base(res.Path) != "coldprof-layer-"+string(res.Arch)+".zip" {
			t.Errorf("zip named %s", res.Path)
		}
		entries := readZip(t, a)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name)
			switch {
			case e.Name == WrapperName || e.Name == ProxyName:
				if e.Mode != 0o755 {
					t.Errorf("%s: %s mode %v, want 0755", res.Arch, e.Name, e.Mode)
				}
				if err := CheckELF([]byte(e.Data), res.Arch); err != nil {
					t.Errorf("%s: %s in zip: %v", res.Arch, e.Name, err)
				}
			case e.Mode.IsDir():
				if e.Mode.Perm() != 0o755 {
					t.Errorf("%s: %s mode %v", res.Arch, e.Name, e.Mode)
				}
			case e.Mode != 0o644:
				t.Errorf("%s: %s mode %v, want 0644", res.Arch, e.Name, e.Mode)
			}
		}
		want := []string{"coldprof-proxy", "coldprof-wrapper", "coldprof/", "coldprof/hooks/", "coldprof/hooks/node/", "coldprof/hooks/node/coldprof-esm.mjs",
			"coldprof/hooks/node/nested/", "coldprof/hooks/node/nested/deep.cjs", "coldprof/hooks/node/require.cjs",
			"coldprof/hooks/ruby/", "coldprof/hooks/ruby/require.rb"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("%s: zip layout (-want +got):\n%s", res.Arch, diff)
		}
	}
}

func TestBuildReportsCompileErrors(t *testing.T) {
	fullTier(t)
	g := goCmd(t)
	src := fixtureModule(t)
	writeTree(t, src, map[string]string{"cmd/coldprof-wrapper/main.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	_, err := Build(context.Background(), Options{SourceDir: src, GoCmd: g, OutDir: t.TempDir(), Arches: []Arch{X86_64}})
	if err == nil || !strings.Contains(err.Error(), "undefinedThing") {
		t.Fatalf("Build of broken source: %v, want the compiler's message", err)
	}
}

func TestUnpackedLayerRunsFixture(t *testing.T) {
	fullTier(t)
	g := goCmd(t)
	src := fixtureModule(t)
	res, err := Build(context.Background(), Options{SourceDir: src, GoCmd: g, OutDir: t.TempDir(), Arches: []Arch{X86_64}})
	if err != nil {
		t.Fatal(err)
	}
	opt := unpack(t, res[0].Path)
	out, err := exec.Command(filepath.Join(opt, WrapperName)).Output()
	if err != nil || string(out) != "fixture wrapper\n" {
		t.Errorf("running the unpacked wrapper: %q, %v", out, err)
	}
}

// unpack extracts a layer zip the way Lambda does (into a fresh /opt, with
// the zip's modes) and returns that directory.
func unpack(t *testing.T, zipPath string) string {
	t.Helper()
	opt := filepath.Join(t.TempDir(), "opt")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(opt, filepath.FromSlash(f.Name))
		if f.Mode().IsDir() {
			if err := os.MkdirAll(p, f.Mode().Perm()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, f.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return opt
}
