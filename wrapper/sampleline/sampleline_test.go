package sampleline

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// docExample is the package comment's example, as a writer emits it.
const docExample = `coldprof-sampler: {"v":1,"ev":"begin","pid":8,"t":1764876543210000,"lang":"python","intervalUs":5000}
coldprof-sampler: {"v":1,"ev":"frames","pid":8,"first":0,"frames":[["<module>","/var/task/app.py",1],["load_config","/var/task/app.py",12]]}
coldprof-sampler: {"v":1,"ev":"stacks","pid":8,"first":0,"stacks":[[-1,0],[0,1]]}
coldprof-sampler: {"v":1,"ev":"samples","pid":8,"t":1764876543215100,"s":[[0,5100],[1,5020],[1,4990]]}
coldprof-sampler: {"v":1,"ev":"cut","pid":8,"t":1764876543226000,"at":"init_done"}
coldprof-sampler: {"v":1,"ev":"end","pid":8,"t":1764876543226000,"stoppedBy":"init_done","samples":3,"dropped":0}
`

func TestParseDocExample(t *testing.T) {
	want := []Event{
		{V: 1, Kind: Begin, PID: 8, TimeUs: 1764876543210000, Lang: "python", IntervalUs: 5000},
		{V: 1, Kind: Frames, PID: 8, Frames: []Frame{{"<module>", "/var/task/app.py", 1}, {"load_config", "/var/task/app.py", 12}}},
		{V: 1, Kind: Stacks, PID: 8, Stacks: []Stack{{-1, 0}, {0, 1}}},
		{V: 1, Kind: Samples, PID: 8, TimeUs: 1764876543215100, Samples: []Sample{{0, 5100}, {1, 5020}, {1, 4990}}},
		{V: 1, Kind: Cut, PID: 8, TimeUs: 1764876543226000, At: CutAtInitDone},
		{V: 1, Kind: End, PID: 8, TimeUs: 1764876543226000, StoppedBy: StoppedByInitDone, SampleCount: 3},
	}
	lines := strings.SplitAfter(strings.TrimSuffix(docExample, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		got, err := Parse([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("line %d (-want +got):\n%s", i+1, diff)
		}
		// The encoder writes exactly what the doc shows.
		if enc := string(Append(nil, got)); enc != strings.TrimSuffix(line, "\n")+"\n" {
			t.Errorf("line %d: Append wrote\n%s want\n%s", i+1, enc, line)
		}
	}
}

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		line string
		obj  string
		ok   bool
	}{
		{`coldprof-sampler: {"v":1}`, `{"v":1}`, true},
		{`2026-12-04T10:00:00Z  stream coldprof-sampler: {"a":2} `, `{"a":2} `, true},
		{`coldprof: {"v":1,"ev":"start"}`, "", false},
		{`coldprof-sampler: not json`, "", false},
		{``, "", false},
	} {
		obj, ok := Find([]byte(tc.line))
		if ok != tc.ok || string(obj) != tc.obj {
			t.Errorf("Find(%q) = %q, %v; want %q, %v", tc.line, obj, ok, tc.obj, tc.ok)
		}
	}
}

func TestParseAcceptsPrefixTextUnknownKeysAndTrailingSpace(t *testing.T) {
	line := "2026-12-04T10:00:00.000Z\tcoldprof-sampler: {\"v\":1,\"ev\":\"cut\",\"pid\":3,\"t\":9,\"at\":\"init_done\",\"future\":{\"x\":[1,2]}} \r\n"
	got, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{V: 1, Kind: Cut, PID: 3, TimeUs: 9, At: "init_done"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseEndWithError(t *testing.T) {
	got, err := Parse([]byte(`coldprof-sampler: {"v":1,"ev":"end","pid":1,"t":5,"stoppedBy":"error","samples":0,"dropped":0,"msg":"frame walk failed"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.StoppedBy != StoppedByError || got.Message != "frame walk failed" {
		t.Errorf("got %+v", got)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name, obj string
		want      error
		mention   string
	}{
		{"no prefix", ``, ErrNotSampler, ""},
		{"bad json", `{"v":1,`, ErrSyntax, ""},
		{"trailing garbage", `{"v":1,"ev":"cut","pid":1,"t":1,"at":"init_done"} x`, ErrSyntax, ""},
		{"no v", `{"ev":"cut","pid":1,"t":1,"at":"init_done"}`, ErrMissingKey, `"v"`},
		{"no pid", `{"v":1,"ev":"cut","t":1,"at":"init_done"}`, ErrMissingKey, `"pid"`},
		{"null pid", `{"v":1,"ev":"cut","pid":null,"t":1,"at":"init_done"}`, ErrMissingKey, `"pid"`},
		{"newer version", `{"v":2,"ev":"cut","pid":1,"t":1,"at":"init_done"}`, ErrVersion, "2"},
		{"unknown event", `{"v":1,"ev":"pause","pid":1}`, ErrValue, "pause"},
		{"begin without interval", `{"v":1,"ev":"begin","pid":1,"t":1,"lang":"node"}`, ErrMissingKey, `"intervalUs"`},
		{"frames without first", `{"v":1,"ev":"frames","pid":1,"frames":[]}`, ErrMissingKey, `"first"`},
		{"stacks without stacks", `{"v":1,"ev":"stacks","pid":1,"first":0}`, ErrMissingKey, `"stacks"`},
		{"samples without t", `{"v":1,"ev":"samples","pid":1,"s":[]}`, ErrMissingKey, `"t"`},
		{"cut without at", `{"v":1,"ev":"cut","pid":1,"t":1}`, ErrMissingKey, `"at"`},
		{"end without dropped", `{"v":1,"ev":"end","pid":1,"t":1,"stoppedBy":"exit","samples":0}`, ErrMissingKey, `"dropped"`},
		{"short frame", `{"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py"]]}`, ErrSyntax, "2 elements"},
		{"frame line text", `{"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py","1"]]}`, ErrSyntax, ""},
		{"negative frame line", `{"v":1,"ev":"frames","pid":1,"first":0,"frames":[["f","a.py",-1]]}`, ErrValue, ""},
		{"negative first", `{"v":1,"ev":"stacks","pid":1,"first":-1,"stacks":[]}`, ErrValue, ""},
		{"parent below -1", `{"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-2,0]]}`, ErrValue, ""},
		{"three-element stack", `{"v":1,"ev":"stacks","pid":1,"first":0,"stacks":[[-1,0,4]]}`, ErrValue, ""},
		{"fractional dt", `{"v":1,"ev":"samples","pid":1,"t":1,"s":[[0,1.5]]}`, ErrValue, ""},
		{"negative dt", `{"v":1,"ev":"samples","pid":1,"t":1,"s":[[0,-3]]}`, ErrValue, ""},
		{"negative t", `{"v":1,"ev":"cut","pid":1,"t":-1,"at":"init_done"}`, ErrValue, ""},
		{"negative dropped", `{"v":1,"ev":"end","pid":1,"t":1,"stoppedBy":"exit","samples":0,"dropped":-1}`, ErrValue, ""},
		{"huge t", `{"v":1,"ev":"cut","pid":1,"t":99999999999999999999,"at":"init_done"}`, ErrSyntax, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := tc.obj
			if tc.want != ErrNotSampler {
				line = Prefix + tc.obj
			}
			_, err := Parse([]byte(line))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestAppendKeepsOneLine(t *testing.T) {
	e := Event{Kind: Frames, PID: 1, First: 4, Frames: []Frame{{"a\nb\u2028", "c\"\\\xff", 3}}}
	line := Append(nil, e)
	if strings.Count(string(line), "\n") != 1 || !strings.HasSuffix(string(line), "\n") {
		t.Fatalf("Append wrote more than one line: %q", line)
	}
	got, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{V: 1, Kind: Frames, PID: 1, First: 4, Frames: []Frame{{"a\nb\u2028", "c\"\\\ufffd", 3}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, line := range strings.Split(docExample, "\n") {
		f.Add([]byte(line))
	}
	f.Add([]byte(`x coldprof-sampler: {"v":1,"ev":"end","pid":0,"t":0,"stoppedBy":"error","samples":1,"dropped":2,"msg":"\u00e9\ud83d\ude00","z":[{"a":null}]}`))
	f.Add([]byte(`coldprof-sampler: {"v":1,"ev":"stacks","pid":1,"first":7,"stacks":[[-1,0],[0,"1"]]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := Parse(line)
		if err != nil {
			return
		}
		strs := []string{string(e.Kind), e.Lang, e.At, e.StoppedBy, e.Message}
		for _, fr := range e.Frames {
			strs = append(strs, fr.Function, fr.File)
		}
		for _, s := range strs {
			if !utf8.ValidString(s) {
				t.Fatalf("Parse returned invalid UTF-8 %q", s)
			}
		}
		// Whatever parses must survive a round trip through Append.
		again, err := Parse(Append(nil, e))
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", e, err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", line, diff)
		}
	})
}
