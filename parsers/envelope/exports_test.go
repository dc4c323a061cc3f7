package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureEvent is one canonical CloudWatch event of
// testdata/exports/events.json, from which every export there was written.
type fixtureEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
}

func loadFixtureEvents(t *testing.T) (text, jsonLog []fixtureEvent) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exportsDir, "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]fixtureEvent
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc["text"]) < 100 || len(doc["jsonlog"]) < 10 {
		t.Fatalf("events.json holds %d + %d events; regenerate it", len(doc["text"]), len(doc["jsonlog"]))
	}
	return doc["text"], doc["jsonlog"]
}

const exportsDir = "../../testdata/exports"

// decoded is a Record without its line, which the fixture test checks only
// for order (table tests pin exact lines).
type decoded struct {
	Stream   string
	TimeUs   int64
	Text     string
	Platform bool
}

func decodeFile(t *testing.T, name string, format Format) ([]decoded, Format, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(exportsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var warnings []string
	var detected Format
	dec, err := Open(f, name, format, WithWarn(func(where, msg string) { warnings = append(warnings, where+": "+msg) }),
		WithDetected(func(f Format) { detected = f }))
	if err != nil {
		t.Fatal(err)
	}
	var got []decoded
	for {
		rec, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return got, detected, warnings
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rec.Line <= 0 {
			t.Errorf("%s: record %q has line %d", name, rec.Text, rec.Line)
		}
		got = append(got, decoded{rec.Stream, rec.TimeUs, string(rec.Text), rec.Platform})
	}
}

// Each shape's quirks, as lambda-runtime.md §5 gives them.
func rstrip(s string) string { return strings.TrimRight(s, " \t\n\r\f\v") }

func compactIfJSON(s string) string {
	var buf bytes.Buffer
	if strings.HasPrefix(s, "{") && json.Compact(&buf, []byte(s)) == nil {
		return buf.String()
	}
	return s
}

func expect(events []fixtureEvent, text func(fixtureEvent) string, stream func(fixtureEvent) string, timeUs func(fixtureEvent) int64) []decoded {
	var want []decoded
	for _, e := range events {
		want = append(want, decoded{Stream: stream(e), TimeUs: timeUs(e), Text: text(e)})
	}
	return want
}

func TestExportFixtures(t *testing.T) {
	textEvents, jsonLogEvents := loadFixtureEvents(t)
	var streamA []fixtureEvent
	for _, e := range textEvents {
		if e.LogStreamName == textEvents[0].LogStreamName {
			streamA = append(streamA, e)
		}
	}
	stored := func(e fixtureEvent) string { return strings.TrimSuffix(e.Message, "\n") }
	stream := func(e fixtureEvent) string { return e.LogStreamName }
	noStream := func(fixtureEvent) string { return "" }
	ms := func(e fixtureEvent) int64 { return e.Timestamp * 1000 }
	seconds := func(e fixtureEvent) int64 { return e.Timestamp / 1000 * 1e6 }
	rawLines := func(events []fixtureEvent) []decoded {
		var want []decoded
		for _, e := range events {
			for _, line := range strings.Split(stored(e), "\n") {
				want = append(want, decoded{Text: line})
			}
		}
		return want
	}
	// The JSON-log-format cold start, as the TEXT lines it stands for.
	platformLines := map[string]string{
		"platform.initStart":   "INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:" + strings.Repeat("cd", 32) + "\tInitialization Type: on-demand",
		"platform.start":       "START RequestId: 6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f Version: $LATEST",
		"platform.runtimeDone": "END RequestId: 6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
		"platform.report":      "REPORT RequestId: 6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f\tDuration: 18.59 ms\tBilled Duration: 19 ms\tMemory Size: 2048 MB\tMax Memory Used: 246 MB\tInit Duration: 390.22 ms",
	}
	jsonLog := func(withEnvelope bool) []decoded {
		var want []decoded
		for _, e := range jsonLogEvents {
			d := decoded{Text: stored(e)}
			if withEnvelope {
				d.Stream, d.TimeUs = e.LogStreamName, e.Timestamp*1000
			}
			var ev struct{ Time, Type string }
			if json.Unmarshal([]byte(e.Message), &ev) == nil && ev.Type != "" {
				d.Text, d.Platform = platformLines[ev.Type], true
				if d.Text == "" {
					t.Fatalf("no TEXT line for %s", ev.Type)
				}
				if !withEnvelope {
					us, _, _, _, _ := parseISO([]byte(ev.Time))
					d.TimeUs = us
				}
			}
			want = append(want, d)
		}
		return want
	}

	tests := []struct {
		file   string
		format Format
		want   []decoded
	}{
		{"raw.txt", FormatRaw, rawLines(streamA)},
		{"tail.txt", FormatTail, expect(textEvents, func(e fixtureEvent) string { return rstrip(e.Message) }, stream, ms)},
		{"tail.txt.gz", FormatTail, expect(textEvents, func(e fixtureEvent) string { return rstrip(e.Message) }, stream, ms)},
		{"tail-short.txt", FormatTailShort, expect(streamA, func(e fixtureEvent) string { return rstrip(e.Message) }, noStream, seconds)},
		{"tail-json.txt", FormatTailJSON, expect(textEvents, func(e fixtureEvent) string { return compactIfJSON(rstrip(e.Message)) }, stream, ms)},
		{"sam.txt", FormatSAM, expect(textEvents, func(e fixtureEvent) string { return compactIfJSON(stored(e)) }, stream, ms)},
		{"sam-tz.txt", FormatSAM, expect(textEvents, func(e fixtureEvent) string { return compactIfJSON(stored(e)) }, stream, ms)},
		{"sam.json", FormatSAMJSON, expect(textEvents, stored, stream, ms)},
		{"filter-log-events.json", FormatFilterLogEvents, expect(textEvents, stored, stream, ms)},
		{"filter-log-events-maxitems.json", FormatFilterLogEvents, expect(textEvents, stored, stream, ms)},
		{"get-log-events.json", FormatGetLogEvents, expect(streamA, stored, noStream, ms)},
		{"insights.json", FormatInsightsJSON, expect(textEvents, stored, stream, ms)},
		{"insights.csv", FormatInsightsCSV, expect(textEvents, stored, stream, ms)},
		{"lambda-json.log", FormatLambdaJSON, jsonLog(false)},
		{"filter-log-events-jsonlog.json", FormatFilterLogEvents, jsonLog(true)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			for _, format := range []Format{FormatAuto, tt.format} {
				got, detected, warnings := decodeFile(t, tt.file, format)
				if detected != tt.format {
					t.Errorf("%s: detected %s, want %s", format, detected, tt.format)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: records (-want +got):\n%s", format, diff)
				}
				wantWarnings := 0
				if tt.format == FormatTailShort {
					wantWarnings = 1 // no stream names
				}
				if len(warnings) != wantWarnings {
					t.Errorf("%s: warnings %q, want %d", format, warnings, wantWarnings)
				}
			}
		})
	}
}
