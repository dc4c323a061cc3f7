package envelope

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Run each for at most a minute, with short minimisation (its default is
// 60 s per new input, which otherwise takes most of a short run):
//
//	go test ./parsers/envelope -run XXX -fuzz '^FuzzTail$' -fuzztime 50s -fuzzminimizetime 3s
//
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
	limit := len(in) + 1
	if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
		limit = 1100 * len(in) // deflate expands up to ~1032 times
	}
	for n := 0; ; n++ {
		if n > limit {
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
		if len(b) > 1024 {
			b = b[:1024] // small seeds keep minimisation short
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

// FuzzEventUnmarshal checks the fast event decoder against encoding/json
// on every valid JSON input.
func FuzzEventUnmarshal(f *testing.F) {
	f.Add([]byte(`{"logStreamName":"s","timestamp":1795344994686,"message":"a\tb\n","ingestionTime":1,"eventId":"9"}`))
	f.Add([]byte(`{"LOGSTREAMNAME":"s","timestamp":-1,"message":"\u00e9\ud800","x":[1,{"y":null}],"eventid":2.5e3}`))
	f.Add([]byte(`{"message":"dup","message":"last","timestamp":"x"}`))
	f.Add([]byte("{\"message\":\"\xff\xfe\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var fast, slow cwEvent
		fastErr := fast.UnmarshalJSON(in)
		slowErr := slow.slowParse(in)
		if (fastErr == nil) != (slowErr == nil) {
			t.Fatalf("fast error %v, encoding/json error %v", fastErr, slowErr)
		}
		if fastErr != nil {
			return
		}
		if string(fast.stream) != string(slow.stream) || string(fast.message) != string(slow.message) ||
			fast.hasMessage != slow.hasMessage || fast.timestampMs != slow.timestampMs {
			t.Fatalf("fast %q %q %v %d, encoding/json %q %q %v %d", fast.stream, fast.message, fast.hasMessage, fast.timestampMs,
				slow.stream, slow.message, slow.hasMessage, slow.timestampMs)
		}
	})
}
