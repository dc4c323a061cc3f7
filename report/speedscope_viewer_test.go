package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestSpeedscopeImportsOutputs loads the speedscope, trace and folded
// outputs in speedscope's own importer, in headless chromium. speedscope
// comes from npm and is not vendored: run
//
//	npm pack speedscope && tar xzf speedscope-*.tgz
//	COLDPROF_SPEEDSCOPE=$PWD/package/dist/release/index.html go test ./report -run Speedscope
//
// The page loads a profile through #localProfilePath (how speedscope's own
// CLI hands it a file) and titles itself after the profile once the import
// succeeded; a failed import leaves the title "speedscope".
func TestSpeedscopeImportsOutputs(t *testing.T) {
	index := os.Getenv("COLDPROF_SPEEDSCOPE")
	if index == "" {
		t.Skip("COLDPROF_SPEEDSCOPE not set (path to speedscope's dist/release/index.html from `npm pack speedscope`)")
	}
	p := fixtureProfile("a", "b")
	tests := []struct {
		file      string
		write     func(io.Writer, *profile.Profile) error
		wantTitle string
	}{
		{"coldprof.speedscope.json", WriteSpeedscope, "coldprof import profile - speedscope"},
		{"coldprof.trace.json", WriteTrace, "coldprof.trace.json - speedscope"},
		{"coldprof.folded", WriteFolded, "coldprof.folded - speedscope"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf, p); err != nil {
				t.Fatal(err)
			}
			loader := filepath.Join(t.TempDir(), "load.js")
			js := fmt.Sprintf("speedscope.loadFileFromBase64(%q, %q)\n", tt.file, base64.StdEncoding.EncodeToString(buf.Bytes()))
			if err := os.WriteFile(loader, []byte(js), 0o644); err != nil {
				t.Fatal(err)
			}
			dom := runChromium(t, "--allow-file-access-from-files", "--dump-dom", "file://"+index+"#localProfilePath="+loader)
			m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(dom)
			if m == nil || string(m[1]) != tt.wantTitle {
				t.Errorf("speedscope title %q, want %q (import failed?)", m, tt.wantTitle)
			}
		})
	}
}
