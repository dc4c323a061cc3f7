package report

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestWritePictureFormats checks that Write routes each picture format to
// its renderer and applies the cold-start and phase selection.
func TestWritePictureFormats(t *testing.T) {
	p := fixtureProfile("a", "b")
	renderers := map[Format]func(io.Writer, *profile.Profile) error{
		FormatHTML: WriteHTML, FormatSpeedscope: WriteSpeedscope, FormatTrace: WriteTrace, FormatFolded: WriteFolded,
	}
	for f, render := range renderers {
		t.Run(string(f), func(t *testing.T) {
			if !f.Known() {
				t.Errorf("format %q not in Formats", f)
			}
			var want, got bytes.Buffer
			if err := render(&want, p); err != nil {
				t.Fatal(err)
			}
			if err := Write(&got, ProfileSource(p), Options{Format: f}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want.Bytes(), got.Bytes()) {
				t.Errorf("Write(%s) differs from its renderer", f)
			}
		})
	}
	t.Run("phase and cold start", func(t *testing.T) {
		var got bytes.Buffer
		if err := Write(&got, ProfileSource(p), Options{Format: FormatFolded, Phase: profile.PhaseInit, ColdStart: "b"}); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(got.String()), "\n") {
			if !strings.HasPrefix(line, "[init];") {
				t.Errorf("line %q outside the init phase of one cold start", line)
			}
		}
		if !strings.Contains(got.String(), "[init];boto3;botocore 18000\n") {
			t.Errorf("cold start b (times doubled) missing:\n%s", got.String())
		}
	})
}
