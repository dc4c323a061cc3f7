package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// decodeJSONPaths decodes in with the JSON decoder, with or without the fast
// path, and returns every record and warning as text.
func decodeJSONPaths(in string, fast bool) []string {
	var out []string
	d := newCWJSON(strings.NewReader(in), "f", func(where, msg string) {
		if strings.HasPrefix(msg, "malformed JSON") {
			// resync places these by json.SyntaxError.Offset, which
			// json.Decoder gives relative to the value it was reading
			// for some errors and absolute for others; behind the fast
			// path's prefix the same error can land on another line.
			where = "f:?"
		}
		out = append(out, "warn "+where+" "+msg)
	})
	d.noFastPath = !fast
	for n := 0; n <= len(in)+1; n++ {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, "error "+err.Error())
		}
		out = append(out, fmt.Sprintf("%s %d %d %q", rec.Stream, rec.Line, rec.TimeUs, rec.Text))
	}
	return append(out, "no progress")
}

// fastPageCases are pages the fast path must decode exactly as
// json.Decoder does, from the common shape to everything it hands over.
var fastPageCases = []string{
	"{\n    \"events\": [\n        {\n            \"logStreamName\": \"s1\",\n            \"timestamp\": 1795344994686,\n            \"message\": \"import time: 1 | 2 | x\\n\",\n            \"ingestionTime\": 1795344994700,\n            \"eventId\": \"123\"\n        },\n        {\"logStreamName\": \"s2\", \"timestamp\": 5, \"message\": \"b\"}\n    ],\n    \"searchedLogStreams\": [],\n    \"nextToken\": \"tok\"\n}\n{\"events\": [{\"logStreamName\": \"s1\", \"timestamp\": 6, \"message\": \"c\"}]}\n",
	`{"events": []}`,
	`{"events": [ ], "nextToken": "x"}{"events":[{"message":"m"}]}`,
	// Handed over: a \u escape, a float, a nested value, null, a case variant, a duplicate.
	`{"events": [{"message":"a"},{"message":"\u00e9"},{"message":"b","ingestionTime":1.5},{"message":"c","x":{"y":[1]}},{"message":null},{"MESSAGE":"d"},{"message":"e","message":"f"},{"message":"g"}]}`,
	// Syntax errors at every place between and inside events.
	`{"events": [,{"message":"a"}]}` + "\n" + `{"events":[{"message":"b"}]}`,
	`{"events": [{"message":"a"},]}` + "\n" + `{"events":[{"message":"b"}]}`,
	`{"events": [{"message":"a"} {"message":"b"}]}` + "\n" + `{"events":[{"message":"c"}]}`,
	`{"events": [{"message":"a"},,{"message":"b"}]}`,
	`{"events": [{"message":"a",}]}` + "\n" + `{"events":[{"message":"c"}]}`,
	`{"events": [{"message":"a" "timestamp":1}]}`,
	`{"events": [{"message":"a","timestamp":01}]}`,
	`{"events": [{"message":"a","timestamp":-}]}`,
	`{"events": [{"message":"a","x":1.}]}`,
	"{\"events\": [{\"message\":\"a\tb\"}]}",
	"{\"events\": [{\"mes\x01sage\":\"a\"}]}",
	`{"events": [{"message":"a\x"}]}`,
	"{\"events\": [{\"message\":\"\xff\"}]}",
	`{"events": [{"message":"a","timestamp":"1"}]}`,
	`{"events": [{"message":"a"}`,
	`{"events": [{"message":"a`,
	`{"events": [{"message":"a"}, 7, "x", {"message":"b"}]}`,
	`{"events": [{"message":"a"}]]`,
	`{"events": {"message":"a"}, "events": [{"message":"b"}]}`,
	`[{"logStreamName":"s","timestamp":1,"message":"bare"}]`,
}

func TestFastPageMatchesDecoder(t *testing.T) {
	for i, in := range fastPageCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, got := decodeJSONPaths(in, false), decodeJSONPaths(in, true)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("input %q\njson.Decoder:\n%s\nfast path:\n%s", in, strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// TestFastPageLargeEvent hands an event over maxFastEventBytes to the decoder.
func TestFastPageLargeEvent(t *testing.T) {
	big := strings.Repeat("x", maxFastEventBytes+10)
	in := `{"events":[{"message":"a"},{"message":"` + big + `"},{"message":"b"}]}`
	got := decodeJSONPaths(in, true)
	if len(got) != 3 || !strings.Contains(got[1], "xxxx") || got[2] != ` 1 0 "b"` {
		t.Errorf("got %d records, want a, the big one, b", len(got))
	}
}

// FuzzFastPage checks that the fast path decodes any input exactly as
// json.Decoder alone: the same records, warnings and errors.
//
//	go test ./parsers/envelope -run XXX -fuzz '^FuzzFastPage$' -fuzztime 50s -fuzzminimizetime 3s
func FuzzFastPage(f *testing.F) {
	for _, in := range fastPageCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, got := decodeJSONPaths(string(in), false), decodeJSONPaths(string(in), true)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Fatalf("json.Decoder:\n%s\nfast path:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
	})
}

// FuzzFastParseStrict checks that fastParse accepts only valid JSON (the
// fast path gives it bytes no decoder has checked) and then decodes it as
// encoding/json does.
//
//	go test ./parsers/envelope -run XXX -fuzz '^FuzzFastParseStrict$' -fuzztime 50s -fuzzminimizetime 3s
func FuzzFastParseStrict(f *testing.F) {
	f.Add([]byte(`{"logStreamName":"s","timestamp":1795344994686,"message":"a\tb\n","ingestionTime":1,"eventId":"9"}`))
	f.Add([]byte(`{"message":"a","timestamp":-0}`))
	f.Add([]byte("{\"k\x01\":1}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast, slow cwEvent
		if !fast.fastParse(in) {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("fastParse accepted invalid JSON %q", in)
		}
		if err := slow.slowParse(in); err != nil {
			t.Fatalf("fastParse accepted %q, encoding/json: %v", in, err)
		}
		if string(fast.stream) != string(slow.stream) || string(fast.message) != string(slow.message) ||
			fast.hasMessage != slow.hasMessage || fast.timestampMs != slow.timestampMs {
			t.Fatalf("fast %q %q %v %d, encoding/json %q %q %v %d", fast.stream, fast.message, fast.hasMessage, fast.timestampMs,
				slow.stream, slow.message, slow.hasMessage, slow.timestampMs)
		}
	})
}
