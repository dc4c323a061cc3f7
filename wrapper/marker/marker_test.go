package marker

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestAppendParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
	}{
		{"start", Event{V: 1, Kind: Start, TimeUs: 1732250000123456, Runtime: "python3.12", Handler: "app.lambda_handler", Wrapper: "0.1.0", Injected: "-X importtime", Proxy: true}},
		{"start with lifecycle", Event{V: 1, Kind: Start, TimeUs: 5, Runtime: "python3.13", InitType: "snap-start", Arch: "arm64", SamplerUs: 5000, Proxy: true}},
		{"init done by restore", Event{V: 1, Kind: InitDone, TimeUs: 6, Via: ViaRestore}},
		{"restored", Event{V: 1, Kind: Restored, TimeUs: 7}},
		{"invoke", Event{V: 1, Kind: InvokeStart, TimeUs: 1, RequestID: "8f5e0c1e-1d2c-4a7b-9a55-0f3f1b2c3d4e"}},
		{"end", Event{V: 1, Kind: InvokeEnd, TimeUs: 2, RequestID: "r", Status: StatusError}},
		{"odd text", Event{V: 1, Kind: Warning, TimeUs: 3, Message: "quote \" back \\ tab \t nl \n cr \r nul \x00 del \x7f é 日本 \u2028"}},
		{"invalid utf8", Event{V: 1, Kind: Warning, TimeUs: 4, Message: "bad \xff byte"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := Append(nil, tt.ev)
			if strings.Count(string(line), "\n") != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("marker is not exactly one line: %q", line)
			}
			// encoding/json must accept the object and agree on the values.
			obj, ok := Find(line)
			if !ok {
				t.Fatalf("Find: no marker in %q", line)
			}
			var std map[string]any
			if err := json.Unmarshal(obj, &std); err != nil {
				t.Fatalf("encoding/json rejects %q: %v", obj, err)
			}
			if std["ev"] != string(tt.ev.Kind) {
				t.Errorf("encoding/json reads ev %v, want %q", std["ev"], tt.ev.Kind)
			}
			got, err := Parse(line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", line, err)
			}
			want := tt.ev
			want.Message = strings.ToValidUTF8(want.Message, "\ufffd")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if msg, _ := std["msg"].(string); msg != want.Message {
				t.Errorf("encoding/json msg = %q, want %q", msg, want.Message)
			}
		})
	}
}

func TestParseWithPrefixAndUnknownKeys(t *testing.T) {
	line := "2026-11-22T04:00:00.123456+00:00 2026/11/22/[$LATEST]abc coldprof: " +
		`{"v":2,"ev":"invoke_start","t":42,"requestId":"id-1","future":{"a":[1,2.5e3,null,true,"x"]},"handler":null}  `
	got, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{V: 2, Kind: InvokeStart, TimeUs: 42, RequestID: "id-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	bad := []string{
		"no marker here",
		"coldprof: ",
		"coldprof: {",
		`coldprof: {"v":1}`, // no ev
		`coldprof: {"v":1,"ev":"start"} trailing`, // junk after the object
		`coldprof: {"v":1,"ev":"start","t":1.5}`,  // t must be an integer
		`coldprof: {"v":1,"ev":"start",}`,
		`coldprof: {"v":1,"ev":"st` + "\x01" + `art"}`,
		`coldprof: {"v":1,"ev":"start","msg":"\q"}`,
	}
	for _, line := range bad {
		if e, err := Parse([]byte(line)); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", line, e)
		}
	}
}

func TestSurrogatePairs(t *testing.T) {
	e, err := Parse([]byte(`coldprof: {"ev":"warning","msg":"\ud83d\ude00 \u00e9 \ud800x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "😀 é \ufffdx"; e.Message != want {
		t.Errorf("msg = %q, want %q", e.Message, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12"}`))
	f.Add([]byte(`x coldprof: {"v":1,"ev":"warning","msg":"\u00e9\ud83d\ude00","z":[{"a":null}]}`))
	f.Add(Append(nil, Event{Kind: InvokeEnd, RequestID: "r", Status: StatusResponse}))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := Parse(line)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip through Append.
		again, err := Parse(Append(nil, e))
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", e, err)
		}
		if e.V == 0 {
			e.V = Version
		}
		for _, s := range []string{string(e.Kind), e.Runtime, e.Handler, e.Wrapper, e.Injected, e.RequestID, e.Status, e.Message} {
			if !utf8.ValidString(s) {
				t.Fatalf("Parse returned invalid UTF-8 %q", s)
			}
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", line, diff)
		}
	})
}

// TestSyntaxErrorIsOneLine: a warning quotes the error, and a warning is
// one line of stderr with its file:line in front (errors.Join put
// "at byte N" on a line of its own).
func TestSyntaxErrorIsOneLine(t *testing.T) {
	for _, line := range []string{`coldprof: {"kind":`, `coldprof: {"kind":"start",}`, `coldprof: {x}`} {
		_, err := Parse([]byte(line))
		if err == nil {
			t.Fatalf("Parse(%q) accepted it", line)
		}
		if !errors.Is(err, ErrSyntax) || strings.ContainsAny(err.Error(), "\n\r") || !strings.Contains(err.Error(), " at byte ") {
			t.Errorf("Parse(%q) = %q, want ErrSyntax at a byte, on one line", line, err)
		}
	}
}
