package wrapper

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTool is the go command: on PATH, else in $GOROOT/bin.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// The wrapper sits on every cold start's critical path and the proxy starts
// beside the runtime: neither may link networking (net's package init, its
// poller, and with cgo on a dynamically linked binary), nor anything else
// heavy. Adding such an import to either fails here.
func TestBinariesLinkNoNet(t *testing.T) {
	fullTier(t)
	forbidden := []string{"net", "net/http", "os/user", "runtime/cgo", "crypto", "encoding/json", "os/exec", "reflect", "fmt"}
	for _, pkg := range []string{"../cmd/coldprof-wrapper", "../cmd/coldprof-proxy"} {
		out, err := exec.Command(goTool(), "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		if !deps["syscall"] {
			t.Fatalf("go list -deps %s: %q does not look like a dependency list", pkg, out)
		}
		for _, f := range forbidden {
			if deps[f] {
				t.Errorf("%s links %s", pkg, f)
			}
		}
	}
}

// Every build of the wrapper and the proxy is static, also a plain `go
// build` or `go install` with cgo on (the default where a C compiler is
// installed): a dynamically linked wrapper would load ld.so and libc on
// every cold start. They are static because they link no package that uses
// cgo (TestBinariesLinkNoNet); this checks the result.
func TestStaticBuilds(t *testing.T) {
	fullTier(t)
	dir := t.TempDir()
	build := exec.Command(goTool(), "build", "-o", dir+"/", "../cmd/coldprof-wrapper", "../cmd/coldprof-proxy")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, name := range []string{"coldprof-wrapper", ProxyName} {
		f, err := elf.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s built with CGO_ENABLED=1 is dynamically linked (has an ELF interpreter)", name)
			}
		}
		f.Close()
	}
}
