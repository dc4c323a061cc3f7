package report

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestWriteGoldenSampled renders the constructed sampled log (its truths are
// in TestInitPartsConstructed) in every format.
func TestWriteGoldenSampled(t *testing.T) {
	p := readSamplerLog(t, "constructed-python.log")
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"sampled.table", Options{Format: FormatTable}},
		{"sampled.markdown", Options{Format: FormatMarkdown}},
		{"sampled.json", Options{Format: FormatJSON}},
		{"sampled.init.json", Options{Format: FormatJSON, Phase: profile.PhaseInit}},
		{"sampled.html", Options{Format: FormatHTML}},
		{"sampled.speedscope", Options{Format: FormatSpeedscope}},
		{"sampled.folded", Options{Format: FormatFolded}},
		{"sampled.init.folded", Options{Format: FormatFolded, Phase: profile.PhaseInit}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, ProfileSource(p), tt.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "report", tt.name), out.Bytes())
		})
	}
}

func TestSpeedscopeSampledProfile(t *testing.T) {
	p := readSamplerLog(t, "constructed-python.log")
	var buf bytes.Buffer
	if err := WriteSpeedscope(&buf, p); err != nil {
		t.Fatal(err)
	}
	_, evented, sampled := decodeSpeedscope(t, buf.Bytes())
	if len(evented) != 1 || len(sampled) != 1 {
		t.Fatalf("%d evented and %d sampled profiles, want 1 and 1", len(evented), len(sampled))
	}
	// Every sample piece, in time order: 8 of them weighing 100 ms (the
	// sampler ran 2 ms past the last sample before its end line).
	if got := len(sampled[0].Samples); got != 8 {
		t.Errorf("%d samples, want 8", got)
	}
	if sampled[0].EndValue != 100000 {
		t.Errorf("end value %d, want 100000", sampled[0].EndValue)
	}
}

func TestFoldedSampledStacks(t *testing.T) {
	p := readSamplerLog(t, "constructed-python.log")
	var buf bytes.Buffer
	if err := WriteFolded(&buf, p); err != nil {
		t.Fatal(err)
	}
	want := "[sampled];[init];<module> (/var/runtime/bootstrap.py:1);_gcd_import (<frozen importlib._bootstrap>:1);<module> (/var/task/app.py:1);load_config (/var/task/app.py:12) 45000\n"
	if !bytes.Contains(buf.Bytes(), []byte(want)) {
		t.Errorf("folded output lacks %q:\n%s", want, buf.String())
	}
}
