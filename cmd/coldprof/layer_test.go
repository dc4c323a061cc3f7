package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/layer"
)

// layerFixture is a minimal stand-in for coldprof's source: the module path
// and a wrapper main package, so these tests check the command, not the
// wrapper.
func layerFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                         "module " + layer.ModulePath + "\n\ngo 1.21\n",
		"cmd/coldprof-wrapper/main.go":   "package main\n\nfunc main() {}\n",
		"cmd/coldprof-proxy/main.go":     "package main\n\nfunc main() {}\n",
		"wrapper/hooks/node/require.cjs": "// hook\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLayerBuild(t *testing.T) {
	fullTier(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("no Go toolchain on PATH")
	}
	src := layerFixture(t)
	out := filepath.Join(t.TempDir(), "dist")
	var stdout, stderr bytes.Buffer
	code := run(strings.NewReader(""), &stdout, &stderr, []string{"layer", "build", "--arch", "x86_64", "-o", out, "--src", src})
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	zipPath := filepath.Join(out, "coldprof-layer-x86_64.zip")
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "coldprof-layer-arm64.zip")); err == nil {
		t.Error("--arch x86_64 also built arm64")
	}
	got := stdout.String()
	wants := []string{
		"x86_64  " + zipPath + "\n",
		fmt.Sprintf("sha256 %x\n", sha256.Sum256(data)),
		layer.FormatSize(int64(len(data))),
		"aws lambda publish-layer-version --layer-name coldprof-x86_64 --description 'coldprof wrapper " + coldprofVersion() + "' --compatible-architectures x86_64 --zip-file fileb://" + zipPath + " --query LayerVersionArn --output text\n",
		"  sh " + filepath.Join(src, "layer/examples/cli/attach.sh") + " FUNCTION_NAME LAYER_VERSION_ARN\n",
		"replaces the whole layer list and the whole environment",
		"  coldprof enable --function FUNCTION_NAME --layer LAYER_VERSION_ARN\n",
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("stdout lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "building") || !strings.Contains(stderr.String(), "building coldprof-wrapper for linux/amd64") {
		t.Errorf("progress belongs on stderr: stdout %q, stderr %q", got, stderr.String())
	}
}

func TestLayerUsageErrors(t *testing.T) {
	src := layerFixture(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"layer"}, 2, "layer needs a subcommand"},
		{"unknown subcommand", []string{"layer", "push"}, 2, `unknown layer subcommand "push"`},
		{"bad arch", []string{"layer", "build", "--arch", "sparc"}, 2, `--arch: unknown architecture "sparc"`},
		{"arguments", []string{"layer", "build", "extra"}, 2, "takes no arguments"},
		{"unknown flag", []string{"layer", "build", "--frob"}, 2, "unknown flag: --frob"},
		{"help", []string{"layer", "build", "--help"}, 0, "Usage: coldprof layer build"},
		{"src not the module", []string{"layer", "build", "--src", filepath.Join(src, "cmd")}, 1, "not the root of " + layer.ModulePath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(strings.NewReader(""), &stdout, &stderr, tt.args)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d stderr %q; want exit %d and %q", code, stderr.String(), tt.code, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestLayerNoGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", "")
	var stdout, stderr bytes.Buffer
	code := run(strings.NewReader(""), &stdout, &stderr, []string{"layer", "build", "-o", t.TempDir()})
	if code != 1 || !strings.Contains(stderr.String(), "no Go toolchain found") || !strings.Contains(stderr.String(), "install Go") {
		t.Errorf("exit %d stderr %q; want a clear no-toolchain error", code, stderr.String())
	}
}

func TestLayerNoSource(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no Go toolchain on PATH")
	}
	t.Chdir(t.TempDir()) // outside any clone of coldprof
	var stdout, stderr bytes.Buffer
	code := run(strings.NewReader(""), &stdout, &stderr, []string{"layer", "build", "-o", t.TempDir()})
	if code != 1 || !strings.Contains(stderr.String(), "coldprof's source not found") || !strings.Contains(stderr.String(), "--src DIR") {
		t.Errorf("exit %d stderr %q; want a clear no-source error saying what to do", code, stderr.String())
	}
}
