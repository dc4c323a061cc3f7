package envelope

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rec is a Record with a string Text, for comparing.
type rec struct {
	Stream   string
	Line     int
	TimeUs   int64
	Text     string
	Platform bool
}

func decodeAll(t testing.TB, in string, format Format) ([]rec, []string) {
	t.Helper()
	var warnings []string
	dec, err := Open(strings.NewReader(in), "in.log", format, WithWarn(func(where, msg string) {
		warnings = append(warnings, where+": "+msg)
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got []rec
	for {
		r, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return got, warnings
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec{r.Stream, r.Line, r.TimeUs, string(r.Text), r.Platform})
	}
}

const (
	streamA = "2026/11/22/[$LATEST]0123abcd4567ef890123abcd4567ef89"
	streamB = "2026/11/22/[56]374cd0123456789abcdef012345679741"
	t0      = int64(1795344994686000) // 2026-11-22T10:56:34.686Z
)

func TestDecoders(t *testing.T) {
	report := "REPORT RequestId: 8f5a\tDuration: 26.33 ms\tBilled Duration: 27 ms"
	tests := []struct {
		name   string
		format Format
		in     string
		want   []rec
		warn   []string
	}{
		{
			name:   "raw",
			format: FormatRaw,
			in:     "import time: self [us] | cumulative | imported package\nimport time:       180 |        180 |   _io\r\n\n  indented\ttab  \n",
			want: []rec{
				{Line: 1, Text: "import time: self [us] | cumulative | imported package"},
				{Line: 2, Text: "import time:       180 |        180 |   _io"},
				{Line: 4, Text: "  indented\ttab  "},
			},
		},
		{
			name:   "tail detailed, two streams, multi-line event, empty message",
			format: FormatTail,
			in: "2026-11-22T10:56:34.686000+00:00 " + streamA + " import time:       180 |        180 |   _io\n" +
				"2026-11-22T10:56:34.686000+00:00 " + streamB + " [ERROR]\tfailed\n" +
				"Traceback (most recent call last):\n" +
				"\n" +
				"  File \"app.py\", line 3\n" +
				"2026-11-22T10:56:34.687001+00:00 " + streamA + " " + report + "\n" +
				"2026-11-22T10:56:34.688000+00:00 " + streamA + " \n" +
				"2026-11-22T10:56:34.689000+00:00 " + streamA + "  two  spaces\n",
			want: []rec{
				{Stream: streamA, Line: 1, TimeUs: t0, Text: "import time:       180 |        180 |   _io"},
				{Stream: streamB, Line: 2, TimeUs: t0, Text: "[ERROR]\tfailed\nTraceback (most recent call last):\n\n  File \"app.py\", line 3"},
				{Stream: streamA, Line: 6, TimeUs: t0 + 1001, Text: report},
				{Stream: streamA, Line: 7, TimeUs: t0 + 2000, Text: ""},
				{Stream: streamA, Line: 8, TimeUs: t0 + 3000, Text: " two  spaces"},
			},
		},
		{
			name:   "tail json: whole second, pretty-printed JSON message, number message",
			format: FormatTailJSON,
			in: "2026-11-22T10:56:34+00:00 " + streamA + " START RequestId: 8f5a Version: $LATEST\n" +
				"2026-11-22T10:56:34.686000+00:00 " + streamA + "\n" +
				"{\n    \"level\": \"INFO\",\n    \"message\": \"a  b\"\n}\n" +
				"2026-11-22T10:56:34.686000+00:00 " + streamA + " \n42\n",
			want: []rec{
				{Stream: streamA, Line: 1, TimeUs: t0 - 686000, Text: "START RequestId: 8f5a Version: $LATEST"},
				{Stream: streamA, Line: 2, TimeUs: t0, Text: `{"level":"INFO","message":"a  b"}`},
				{Stream: streamA, Line: 7, TimeUs: t0, Text: "42"},
			},
		},
		{
			name:   "tail --color on",
			format: FormatTail,
			in: "\x1b[32m2026-11-22T10:56:34.686000+00:00\x1b[0m \x1b[36m" + streamA + "\x1b[0m import time:       180 |        180 |   _io\n" +
				"\x1b[32m2026-11-22T10:56:34.687000+00:00\x1b[0m \x1b[36m" + streamA + "\x1b[0m END RequestId: 8f5a\n",
			want: []rec{
				{Stream: streamA, Line: 1, TimeUs: t0, Text: "import time:       180 |        180 |   _io"},
				{Stream: streamA, Line: 2, TimeUs: t0 + 1000, Text: "END RequestId: 8f5a"},
			},
		},
		{
			name:   "sam: JSON-log-format platform event re-indented",
			format: FormatSAM,
			in:     streamA + " 2026-11-22T10:56:34.686000 {\n  \"time\": \"2026-11-22T10:56:34.686Z\",\n  \"type\": \"platform.start\",\n  \"record\": {\n    \"requestId\": \"8f5a\",\n    \"version\": \"$LATEST\"\n  }\n}\n",
			want:   []rec{{Stream: streamA, Line: 1, TimeUs: t0, Platform: true, Text: "START RequestId: 8f5a Version: $LATEST"}},
		},
		{
			name:   "tail json: JSON-log-format platform event pretty-printed",
			format: FormatTailJSON,
			in:     "2026-11-22T10:56:34.686000+00:00 " + streamA + "\n{\n    \"time\": \"2026-11-22T10:56:34.686Z\",\n    \"type\": \"platform.runtimeDone\",\n    \"record\": {\n        \"requestId\": \"8f5a\",\n        \"status\": \"success\"\n    }\n}\n",
			want:   []rec{{Stream: streamA, Line: 1, TimeUs: t0, Platform: true, Text: "END RequestId: 8f5a"}},
		},
		{
			name:   "tail short",
			format: FormatTailShort,
			in:     "2026-11-22T10:56:34 INIT_START Runtime Version: python:3.12.v7\n2026-11-22T10:56:35 import time: 1 | 1 | x\ncontinued\n",
			want: []rec{
				{Line: 1, TimeUs: t0 - 686000, Text: "INIT_START Runtime Version: python:3.12.v7"},
				{Line: 2, TimeUs: t0 - 686000 + 1e6, Text: "import time: 1 | 1 | x\ncontinued"},
			},
			warn: []string{"in.log: aws logs tail --format short carries no log stream names: cold starts of different execution environments cannot be told apart where they interleave; use --format detailed"},
		},
		{
			name:   "sam: naive and aware times, fraction dropped at zero, trailing tab kept, JSON re-indented",
			format: FormatSAM,
			in: streamB + " 2026-11-22T10:56:34.686000 " + report + "\t\n" +
				streamB + " 2026-11-22T10:56:35+00:00 {\n  \"time\": \"x\",\n  \"n\": 1\n}\n" +
				streamA + " 2026-11-22T10:56:34.686000+00:00 END RequestId: 8f5a\n",
			want: []rec{
				{Stream: streamB, Line: 1, TimeUs: t0, Text: report + "\t"},
				{Stream: streamB, Line: 2, TimeUs: t0 + 314000, Text: `{"time":"x","n":1}`},
				{Stream: streamA, Line: 6, TimeUs: t0, Text: "END RequestId: 8f5a"},
			},
		},
		{
			name:   "sam json",
			format: FormatSAMJSON,
			in: `{"logStreamName": "` + streamA + `", "timestamp": 1795344994686, "message": "import time: 1 | 1 | x\n", "ingestionTime": 1795344994900, "eventId": "1"}` + "\n" +
				`{"logStreamName": "` + streamB + `", "timestamp": 1795344994687, "message": "a\tb  \n", "ingestionTime": 1795344994900, "eventId": "2"}` + "\n",
			want: []rec{
				{Stream: streamA, Line: 1, TimeUs: t0, Text: "import time: 1 | 1 | x"},
				{Stream: streamB, Line: 2, TimeUs: t0 + 1000, Text: "a\tb  "},
			},
		},
		{
			name:   "filter-log-events: two pages, nextToken and NextToken",
			format: FormatFilterLogEvents,
			in: "{\n    \"events\": [\n        {\n            \"logStreamName\": \"" + streamA + "\",\n            \"timestamp\": 1795344994686,\n" +
				"            \"message\": \"START RequestId: 8f5a Version: $LATEST\\n\",\n            \"ingestionTime\": 1,\n            \"eventId\": \"9\"\n        }\n    ],\n" +
				"    \"searchedLogStreams\": [],\n    \"nextToken\": \"abc\"\n}\n" +
				`{"events":[{"logStreamName":"` + streamB + `","timestamp":1795344994687,"message":"x\ty\n"},` + "\n" +
				`{"logStreamName":"` + streamB + `","timestamp":1795344994688,"message":"multi\nline\n"}],"NextToken":"eyJ9"}`,
			want: []rec{
				{Stream: streamA, Line: 3, TimeUs: t0, Text: "START RequestId: 8f5a Version: $LATEST"},
				{Stream: streamB, Line: 14, TimeUs: t0 + 1000, Text: "x\ty"},
				{Stream: streamB, Line: 15, TimeUs: t0 + 2000, Text: "multi\nline"},
			},
		},
		{
			name:   "get-log-events: no stream, empty last page",
			format: FormatGetLogEvents,
			in: `{"events":[{"timestamp":1795344994686,"message":"END RequestId: 8f5a\n","ingestionTime":1}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}` + "\n" +
				`{"events":[],"nextForwardToken":"f/1","nextBackwardToken":"b/2"}` + "\n",
			want: []rec{{Line: 1, TimeUs: t0, Text: "END RequestId: 8f5a"}},
		},
		{
			name:   "insights json: newest first is reversed, rows without @message skipped",
			format: FormatInsightsJSON,
			in: `{"results":[` + "\n" +
				`[{"field":"@timestamp","value":"2026-11-22 10:56:34.687"},{"field":"@message","value":"second\n"},{"field":"@logStream","value":"` + streamA + `"},{"field":"@ptr","value":"p2"}],` + "\n" +
				`[{"field":"@timestamp","value":"2026-11-22 10:56:34.686"},{"field":"@message","value":"first\n"},{"field":"@logStream","value":"` + streamA + `"},{"field":"@ptr","value":"p1"}]` + "\n" +
				`],"statistics":{"recordsMatched":2.0},"status":"Complete"}`,
			want: []rec{
				{Stream: streamA, Line: 3, TimeUs: t0, Text: "first"},
				{Stream: streamA, Line: 2, TimeUs: t0 + 1000, Text: "second"},
			},
		},
		{
			name:   "insights rows as a bare array (--query results), newest first",
			format: FormatInsightsJSON,
			in: "[\n" +
				`[{"field":"@timestamp","value":"2026-11-22 10:56:34.687"},{"field":"@message","value":"second"},{"field":"@logStream","value":"s"}],` + "\n" +
				`[{"field":"@timestamp","value":"2026-11-22 10:56:34.686"},{"field":"@message","value":"first"},{"field":"@logStream","value":"s"}]` + "\n]\n",
			want: []rec{
				{Stream: "s", Line: 3, TimeUs: t0, Text: "first"},
				{Stream: "s", Line: 2, TimeUs: t0 + 1000, Text: "second"},
			},
		},
		{
			name:   "insights csv: quoted multi-line cell, mixed order sorted",
			format: FormatInsightsCSV,
			in: "@timestamp,@message,@logStream,@log\n" +
				"2026-11-22 10:56:34.687,\"b\tline\nsecond \"\"line\"\"\n\"," + streamA + ",1:/aws/lambda/f\n" +
				"2026-11-22 10:56:34.686,a," + streamA + ",1:/aws/lambda/f\n" +
				"2026-11-22 10:56:34.688,c," + streamB + ",1:/aws/lambda/f\n",
			want: []rec{
				{Stream: streamA, Line: 5, TimeUs: t0, Text: "a"},
				{Stream: streamA, Line: 2, TimeUs: t0 + 1000, Text: "b\tline\nsecond \"line\""},
				{Stream: streamB, Line: 6, TimeUs: t0 + 2000, Text: "c"},
			},
		},
		{
			name:   "lambda json log format: platform events become TEXT lines",
			format: FormatLambdaJSON,
			in: `{"time":"2026-11-22T10:56:34.686Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.mainlinev2.v7","runtimeVersionArn":"arn:aws:lambda:eu-central-1::runtime:ab"}}` + "\n" +
				"import time:       180 |        180 |   _io\n" +
				`{"time":"2026-11-22T10:56:34.700Z","type":"platform.start","record":{"requestId":"8f5a","version":"$LATEST"}}` + "\n" +
				`{"timestamp":"2026-11-22T10:56:34Z","level":"INFO","message":"app log","requestId":"8f5a"}` + "\n" +
				`{"time":"2026-11-22T10:56:34.750Z","type":"platform.runtimeDone","record":{"requestId":"8f5a","status":"success","metrics":{"durationMs":1.056}}}` + "\n" +
				`{"time":"2026-11-22T10:56:34.751Z","type":"platform.report","record":{"requestId":"8f5a","metrics":{"durationMs":18.593,"billedDurationMs":19,"memorySizeMB":2048,"maxMemoryUsedMB":246,"initDurationMs":124.616},"status":"timeout"}}` + "\n" +
				`{"time":"2026-11-22T10:56:44.751Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"error","errorType":"Runtime.ExitError","metrics":{"durationMs":1236.04}}}` + "\n" +
				`{"time":"2026-11-22T10:56:44.752Z","type":"platform.telemetrySubscription","record":{"name":"x"}}` + "\n",
			want: []rec{
				{Line: 1, TimeUs: t0, Platform: true, Text: "INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:ab\tInitialization Type: on-demand"},
				{Line: 2, Text: "import time:       180 |        180 |   _io"},
				{Line: 3, TimeUs: t0 + 14000, Platform: true, Text: "START RequestId: 8f5a Version: $LATEST"},
				{Line: 4, Text: `{"timestamp":"2026-11-22T10:56:34Z","level":"INFO","message":"app log","requestId":"8f5a"}`},
				{Line: 5, TimeUs: t0 + 64000, Platform: true, Text: "END RequestId: 8f5a"},
				{Line: 6, TimeUs: t0 + 65000, Platform: true, Text: "REPORT RequestId: 8f5a\tDuration: 18.59 ms\tBilled Duration: 19 ms\tMemory Size: 2048 MB\tMax Memory Used: 246 MB\tInit Duration: 124.62 ms\tStatus: timeout"},
				{Line: 7, TimeUs: t0 + 10065000, Platform: true, Text: "INIT_REPORT Init Duration: 1236.04 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\tInitialization Type: on-demand"},
				{Line: 8, Text: `{"time":"2026-11-22T10:56:44.752Z","type":"platform.telemetrySubscription","record":{"name":"x"}}`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, format := range []Format{tt.format, FormatAuto} {
				got, warnings := decodeAll(t, tt.in, format)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: (-want +got):\n%s", format, diff)
				}
				if diff := cmp.Diff(tt.warn, warnings); diff != "" {
					t.Errorf("%s: warnings (-want +got):\n%s", format, diff)
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head string
		want Format
	}{
		{"", FormatRaw},
		{"import time: self [us] | cumulative | imported package\n", FormatRaw},
		{"\xef\xbb\xbfSTART RequestId: x Version: $LATEST\n", FormatRaw},
		{"2026-11-22T10:56:34.686000+00:00 " + streamA + " hi\n", FormatTail},
		{"2026-11-22T10:56:34.686000+00:00 my-stream hi\n", FormatTail},
		{"2026-11-22T10:56:34+00:00 " + streamA + " hi\n", FormatTailJSON},
		{"2026-11-22T10:56:34.686000+00:00 " + streamA + "\n{\n    \"a\": 1\n}\n", FormatTailJSON},
		{"2026-11-22T10:56:34 hi\n", FormatTailShort},
		{streamA + " 2026-11-22T10:56:34.686000 hi\n", FormatSAM},
		{"2026/11/22/python3.12[$LATEST]0123abcd 2026-11-22T10:56:34+00:00 hi\n", FormatSAM},
		{`{"logStreamName": "s", "timestamp": 1, "message": "m", "ingestionTime": 2, "eventId": "3"}` + "\n", FormatSAMJSON},
		{"{\n    \"events\": [\n        {\n            \"logStreamName\": \"s\",", FormatFilterLogEvents},
		{"{\n    \"events\": [],\n    \"searchedLogStreams\": []\n}\n", FormatFilterLogEvents},
		{"{\n    \"events\": [\n        {\n            \"timestamp\": 1,\n            \"message\": \"m\",\n            \"ingestionTime\": 2", FormatGetLogEvents},
		{`{"events":[],"nextForwardToken":"f/1"}`, FormatGetLogEvents},
		{"{\n    \"results\": [\n        [\n", FormatInsightsJSON},
		{"{\"status\": \"Complete\", \"results\": []}", FormatInsightsJSON},
		{"[\n    [\n        {\"field\": \"@message\"", FormatInsightsJSON},
		{"[\n    {\"logStreamName\": \"s\"", FormatFilterLogEvents},
		{"@timestamp,@message,@logStream,@log\n", FormatInsightsCSV},
		{"\"@timestamp\",\"@message\"\n", FormatInsightsCSV},
		{`{"time":"2026-11-22T10:56:34.686Z","type":"platform.initStart","record":{}}` + "\n", FormatLambdaJSON},
		{`{"timestamp":"2026-11-22T10:56:34Z","level":"INFO","message":"m"}` + "\n", FormatLambdaJSON},
		{"2026-11-22T10:56:34.686Z\t8f5a\tINFO\tnode log line\n", FormatRaw},
		{"[INFO]\t2026-11-22T10:56:34.686Z\t8f5a\tpython log\n", FormatRaw},
		{"2026-11-22T10:56:34.686000+00:00 " + streamA + "\n{\n    \"time\": 1\n}\n", FormatTailJSON},
	}
	for _, tt := range tests {
		t.Run(tt.head, func(t *testing.T) {
			if got := Sniff([]byte(tt.head)); got != tt.want {
				t.Errorf("Sniff = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if got, err := ParseFormat(""); err != nil || got != FormatAuto {
		t.Errorf(`ParseFormat("") = %q, %v; want auto`, got, err)
	}
	if _, err := ParseFormat("cloudtrail"); err == nil || !strings.Contains(err.Error(), "filter-log-events") {
		t.Errorf("ParseFormat(cloudtrail) error = %v, want the list of formats", err)
	}
}

func TestGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, "2026-11-22T10:56:34.686000+00:00 "+streamA+" hello\n")
	zw.Close()
	got, _ := decodeAll(t, buf.String(), FormatAuto)
	want := []rec{{Stream: streamA, Line: 1, TimeUs: t0, Text: "hello"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// A truncated gzip stream is an I/O error naming the input.
	dec, err := Open(bytes.NewReader(buf.Bytes()[:buf.Len()-10]), "cut.gz", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = dec.Next()
	}
	if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "cut.gz: gzip") {
		t.Errorf("truncated gzip: err = %v, want a gzip error naming cut.gz", err)
	}
	if _, err := Open(strings.NewReader("\x1f\x8bnot gzip"), "bad.gz", FormatAuto); err == nil || !strings.Contains(err.Error(), "bad.gz") {
		t.Errorf("bad gzip header: err = %v", err)
	}
}

func TestWarnings(t *testing.T) {
	big := strings.Repeat("a", splitLimits[0])
	rest := strings.Repeat("b", 1000)
	tests := []struct {
		name   string
		format Format
		in     string
		want   []rec
		warn   []string
	}{
		{
			name:   "split event rejoined",
			format: FormatSAMJSON,
			in: fmt.Sprintf(`{"logStreamName":"s","timestamp":1,"message":%q}`+"\n", big) +
				fmt.Sprintf(`{"logStreamName":"s","timestamp":1,"message":%q}`+"\n", rest+"\n") +
				`{"logStreamName":"s","timestamp":2,"message":"next\n"}` + "\n",
			want: []rec{{Stream: "s", Line: 1, TimeUs: 1000, Text: big + rest}, {Stream: "s", Line: 3, TimeUs: 2000, Text: "next"}},
			warn: []string{"in.log:1: 2 events rejoined into one line of 263118 bytes: CloudWatch splits lines longer than its event size limit"},
		},
		{
			name:   "split event whose rest is elsewhere",
			format: FormatSAMJSON,
			in: fmt.Sprintf(`{"logStreamName":"s","timestamp":1,"message":%q}`+"\n", big) +
				`{"logStreamName":"t","timestamp":1,"message":"other stream\n"}` + "\n",
			want: []rec{{Stream: "s", Line: 1, TimeUs: 1000, Text: big}, {Stream: "t", Line: 2, TimeUs: 1000, Text: "other stream"}},
			warn: []string{"in.log:1: event of 262118 bytes is at CloudWatch's event size limit and the next event does not continue it: the line was probably cut short"},
		},
		{
			name:   "split event at the end",
			format: FormatRaw,
			in:     big,
			want:   []rec{{Line: 1, Text: big}},
			warn:   []string{"in.log:1: event of 262118 bytes is at CloudWatch's event size limit and the next event does not continue it: the line was probably cut short"},
		},
		{
			name:   "out of order in one stream, not across streams",
			format: FormatSAMJSON,
			in: `{"logStreamName":"s","timestamp":5,"message":"a"}` + "\n" +
				`{"logStreamName":"t","timestamp":1,"message":"other stream may be older"}` + "\n" +
				`{"logStreamName":"s","timestamp":3,"message":"b"}` + "\n" +
				`{"logStreamName":"s","timestamp":2,"message":"c"}` + "\n",
			want: []rec{
				{Stream: "s", Line: 1, TimeUs: 5000, Text: "a"},
				{Stream: "t", Line: 2, TimeUs: 1000, Text: "other stream may be older"},
				{Stream: "s", Line: 3, TimeUs: 3000, Text: "b"},
				{Stream: "s", Line: 4, TimeUs: 2000, Text: "c"},
			},
			warn: []string{
				"in.log:3: event is 2.000 ms older than the event at line 1 of the same log stream s: events are out of time order, so import trees and phases may be wrong (export events in stored order, e.g. with filter-log-events or aws logs tail)",
				"in.log: 2 events out of time order in log stream s",
			},
		},
		{
			name:   "malformed JSON page skipped to the next page",
			format: FormatFilterLogEvents,
			in: "{\n    \"events\": [\n        {\"logStreamName\": \"s\", \"timestamp\": 1, \"message\": \"ok\\n\"},\n        {\"logStreamName\": \"s\", \"timestamp\": 2 \"message\": \"broken\"}\n    ]\n}\n" +
				"{\n    \"events\": [\n        {\"logStreamName\": \"s\", \"timestamp\": 3, \"message\": \"after\\n\"}\n    ]\n}\n",
			want: []rec{{Stream: "s", Line: 3, TimeUs: 1000, Text: "ok"}, {Stream: "s", Line: 9, TimeUs: 3000, Text: "after"}},
			warn: []string{"in.log:4: malformed JSON: invalid character '\"' after object key:value pair; skipped to line 7"},
		},
		{
			name:   "bad field type skips only that event",
			format: FormatFilterLogEvents,
			in:     `{"events":[{"logStreamName":"s","timestamp":"x","message":"bad"},` + "\n" + `{"logStreamName":"s","timestamp":2,"message":"good"}]}`,
			want:   []rec{{Stream: "s", Line: 2, TimeUs: 2000, Text: "good"}},
			warn:   []string{"in.log:1: event with a bad timestamp field (string); skipped"},
		},
		{
			name:   "truncated JSON",
			format: FormatFilterLogEvents,
			in:     "{\"events\":[{\"logStreamName\":\"s\",\"timestamp\":1,\"message\":\"ok\"},\n{\"logStreamName\":\"s\",\"times",
			want:   []rec{{Stream: "s", Line: 1, TimeUs: 1000, Text: "ok"}},
			warn:   []string{"in.log:2: malformed JSON: input ends inside a JSON value (truncated?); rest of input skipped"},
		},
		{
			name:   "event without message",
			format: FormatSAMJSON,
			in:     `{"logStreamName":"s","timestamp":1}` + "\n" + `{"logStreamName":"s","timestamp":1,"message":"m"}` + "\n",
			want:   []rec{{Stream: "s", Line: 2, TimeUs: 1000, Text: "m"}},
			warn:   []string{"in.log:1: log event without a message; skipped"},
		},
		{
			name:   "text before the first tail event",
			format: FormatTail,
			in:     "garbage\nmore\n2026-11-22T10:56:34.686000+00:00 s m\n",
			want:   []rec{{Line: 1, Text: "garbage"}, {Line: 2, Text: "more"}, {Stream: "s", Line: 3, TimeUs: t0, Text: "m"}},
			warn:   []string{"in.log:1: line does not start like aws logs tail output; read as plain text"},
		},
		{
			name:   "Insights rows without @logStream",
			format: FormatInsightsJSON,
			in:     `{"results":[[{"field":"@timestamp","value":"2026-11-22 10:56:34.686"},{"field":"@message","value":"m"}]]}`,
			want:   []rec{{Line: 1, TimeUs: t0, Text: "m"}},
			warn:   []string{"in.log:1: Logs Insights rows without @logStream: events of different execution environments cannot be told apart (include @logStream in the query's fields)"},
		},
		{
			name:   "over-long raw line",
			format: FormatRaw,
			in:     "a\n" + strings.Repeat("x", MaxLineBytes+10) + "\nb\n",
			want:   []rec{{Line: 1, Text: "a"}, {Line: 2, Text: strings.Repeat("x", MaxLineBytes)}, {Line: 3, Text: "b"}},
			warn:   []string{"in.log:2: line longer than 2097152 bytes cut there"},
		},
		{
			name:   "over-long tail line",
			format: FormatTail,
			in:     "2026-11-22T10:56:34.686000+00:00 s " + strings.Repeat("x", MaxLineBytes) + "\n2026-11-22T10:56:34.686000+00:00 s b\n",
			want:   []rec{{Stream: "s", Line: 1, TimeUs: t0, Text: strings.Repeat("x", MaxLineBytes-35)}, {Stream: "s", Line: 2, TimeUs: t0, Text: "b"}},
			warn:   []string{"in.log:1: line longer than 2097152 bytes cut there"},
		},
		{
			name:   "CSV without @message",
			format: FormatInsightsCSV,
			in:     "@timestamp,count()\n2026-11-22 10:56:34.686,3\n",
			warn:   []string{"in.log:1: CSV header has no @message column; nothing to read (export a query with fields @timestamp, @message, @logStream)"},
		},
		{
			name:   "CSV short row and bad quote",
			format: FormatInsightsCSV,
			in:     "@timestamp,@logStream,@message\n2026-11-22 10:56:34.686,s\n2026-11-22 10:56:34.687,s,ok\n",
			want:   []rec{{Stream: "s", Line: 3, TimeUs: t0 + 1000, Text: "ok"}},
			warn:   []string{"in.log:2: row has 2 columns, the header 3; skipped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := decodeAll(t, tt.in, tt.format)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warn, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseISO(t *testing.T) {
	tests := []struct {
		in   string
		us   int64
		n    int
		ok   bool
		frac bool
		zone bool
	}{
		{"2026-11-22T10:56:34.686000+00:00 x", t0, 32, true, true, true},
		{"2026-11-22T10:56:34.686Z", t0, 24, true, true, true},
		{"2026-11-22 10:56:34.686", t0, 23, true, true, false},
		{"2026-11-22T12:56:34.686+02:00", t0, 29, true, true, true},
		{"2026-11-22T10:56:34", t0 - 686000, 19, true, false, false},
		{"2026-11-22T10:56:34.6860001", t0, 27, true, true, false},
		{"1970-01-01T00:00:00", 0, 19, true, false, false},
		{"2026-13-22T10:56:34", 0, 0, false, false, false},
		{"2026-11-22T10:56:34.", 0, 0, false, false, false},
		{"2026-11-22T10:56:34+0", 0, 0, false, false, false},
		{"2026/11/22T10:56:34", 0, 0, false, false, false},
	}
	for _, tt := range tests {
		us, n, frac, zone, ok := parseISO([]byte(tt.in))
		if us != tt.us || n != tt.n || ok != tt.ok || frac != tt.frac || zone != tt.zone {
			t.Errorf("parseISO(%q) = %d, %d, %v, %v, %v; want %d, %d, %v, %v, %v", tt.in, us, n, frac, zone, ok, tt.us, tt.n, tt.frac, tt.zone, tt.ok)
		}
	}
}

// TestClock checks the minute cache against parseISO on lines that share
// and change minutes, offsets and shapes.
func TestClock(t *testing.T) {
	var c clock
	for _, in := range []string{
		"2026-11-22T10:56:34.686000+00:00 a",
		"2026-11-22T10:56:59.999999+00:00 b",
		"2026-11-22T10:56:00.000000+00:00 c",
		"2026-11-22T10:57:00.000001+00:00 d",
		"2026-11-22T10:57:01+00:00 e",
		"2026-11-22T10:57:02.000000+02:00 f",
		"2026-11-22T10:57:03.000000+00:00 g",
		"2026-11-22T10:57:0x.000000+00:00 h",
		"2026-11-22T10:57:04.000000+0000 i",
		"1969-12-31T23:59:59.500000+00:00 j",
		"1969-12-31T23:59:58.500000+00:00 k",
	} {
		us, n, frac, zone, ok := c.parse([]byte(in))
		wus, wn, wfrac, wzone, wok := parseISO([]byte(in))
		if us != wus || n != wn || frac != wfrac || zone != wzone || ok != wok {
			t.Errorf("%q: clock %d %d %v %v %v, parseISO %d %d %v %v %v", in, us, n, frac, zone, ok, wus, wn, wfrac, wzone, wok)
		}
	}
}

// TestInsightsWindows checks results longer than one window: each window
// is ordered on its own and the rows held are released between windows.
func TestInsightsWindows(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"results":[`)
	const n = 2*insightsWindow + 500
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		// Newest first within each window, as the console sorts.
		w, k := i/insightsWindow, insightsWindow-1-i%insightsWindow
		ms := int64(w*insightsWindow + k)
		fmt.Fprintf(&b, `[{"field":"@timestamp","value":"%s"},{"field":"@message","value":"m%d"},{"field":"@logStream","value":"s"}]`,
			time.UnixMilli(1795344994000+ms).UTC().Format("2006-01-02 15:04:05.000"), ms)
	}
	b.WriteString("]}")
	dec, err := Open(strings.NewReader(b.String()), "in", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	count, maxRows := 0, 0
	last := int64(0)
	for {
		r, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.TimeUs < last {
			t.Fatalf("record %d at %d after %d", count, r.TimeUs, last)
		}
		last = r.TimeUs
		maxRows = max(maxRows, len(dec.(*checker).src.(*cwJSON).rows))
		count++
	}
	if count != n {
		t.Errorf("decoded %d rows, want %d", count, n)
	}
	if maxRows > insightsWindow {
		t.Errorf("held %d rows at once, want at most %d", maxRows, insightsWindow)
	}
}

func TestANSIStripper(t *testing.T) {
	in := "\x1b[32mgreen\x1b[0m plain \x1b[1;36mbold cyan\x1b[0m lone\x1b esc \x1b\x1b[0mx \x1b[2Jcleared"
	want := "green plain bold cyan lone\x1b esc \x1bx cleared"
	for _, chunk := range []int{1, 2, 3, 100} {
		got, err := io.ReadAll(&ansiStripper{r: iotestChunks(in, chunk)})
		if err != nil || string(got) != want {
			t.Errorf("chunks of %d: %q, %v; want %q", chunk, got, err, want)
		}
	}
}

// iotestChunks reads s at most n bytes at a time.
func iotestChunks(s string, n int) io.Reader {
	return &chunkReader{s: s, n: n}
}

type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[k:]
	return k, nil
}
