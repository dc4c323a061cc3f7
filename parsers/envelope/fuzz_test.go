package envelope

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzDecode decodes in with format and checks what must hold for any
// input: no panic, progress (at most one record per input byte, plus one),
// positive line numbers that never go back in line-ordered shapes.
func fuzzDecode(t *testing.T, in []byte, format Format) {
	dec, err := Open(strings.NewReader(string(in)), "fuzz", format, WithWarn(func(where, msg string) {
		if !strings.HasPrefix(where, "fuzz") || msg == "" {
			t.Fatalf("warning %q: %q", where, msg)
		}
	}))
	if err != nil {
		return // e.g. a broken gzip header
	}
	ordered := format != FormatInsightsJSON && format != FormatInsightsCSV && format != FormatAuto && format != FormatSAMJSON
	last := 0
	for n := 0; ; n++ {
		if n > len(in)+1 {
			t.Fatalf("%d records from %d bytes: no progress", n, len(in))
		}
		rec, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			return // I/O errors (gzip) end the input
		}
		if rec.Line < 1 || (ordered && rec.Line < last) {
			t.Fatalf("record %d: line %d after line %d", n, rec.Line, last)
		}
		last = rec.Line
	}
}

func addFixtureSeeds(f *testing.F, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(exportsDir, name))
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
}

func FuzzTail(f *testing.F) {
	addFixtureSeeds(f, "tail.txt", "tail-json.txt")
	f.Add([]byte("2026-11-22T10:56:34.686000+00:00 s m\ncont\n2026-11-22T10:56:34+00:00 s\n{\n  \"a\": 1\n}\n"))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatTail) })
}

func FuzzTailShort(f *testing.F) {
	addFixtureSeeds(f, "tail-short.txt")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatTailShort) })
}

func FuzzSAM(f *testing.F) {
	addFixtureSeeds(f, "sam.txt", "sam-tz.txt")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatSAM) })
}

func FuzzCloudWatchJSON(f *testing.F) {
	addFixtureSeeds(f, "filter-log-events.json", "get-log-events.json", "insights.json", "sam.json", "filter-log-events-jsonlog.json")
	f.Add([]byte(`[[{"field":"@message","value":"m"}],{"message":"x"}]`))
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatFilterLogEvents) })
}

func FuzzInsightsCSV(f *testing.F) {
	addFixtureSeeds(f, "insights.csv")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatInsightsCSV) })
}

func FuzzLambdaJSON(f *testing.F) {
	addFixtureSeeds(f, "lambda-json.log")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatLambdaJSON) })
}

func FuzzAuto(f *testing.F) {
	addFixtureSeeds(f, "tail.txt.gz", "raw.txt", "insights.csv", "sam.json")
	f.Fuzz(func(t *testing.T, in []byte) { fuzzDecode(t, in, FormatAuto) })
}
