package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// rptFuzzProfile builds cold starts from arbitrary bytes: each byte opens a
// child, closes entries or starts a new top-level entry, with times and
// names taken from the data, so odd shapes (deep chains, zero and huge
// times, repeated names, empty cold starts) reach the analysis.
func rptFuzzProfile(data []byte) *profile.Profile {
	p := &profile.Profile{}
	var cs *profile.ColdStart
	var stack []*profile.Import
	names := []string{"a", "a.b", "a.b.c", "b", "`x|*_<", ""}
	for i, c := range data {
		if cs == nil || c == 0xff {
			cs = &profile.ColdStart{ID: string(rune('A' + len(p.ColdStarts)%26)), Boundary: profile.BoundaryHeuristic,
				HasInitDuration: c&1 == 1, InitDurationMs: float64(c)}
			p.ColdStarts = append(p.ColdStarts, cs)
			stack = stack[:0]
			continue
		}
		phase := profile.Phases[int(c>>6)%len(profile.Phases)]
		imp := &profile.Import{Name: names[int(c)%len(names)], SelfUs: int64(c) * int64(i+1), CumulativeUs: int64(c) << (c % 40)}
		switch {
		case c%5 == 0 && len(stack) > 0:
			stack = stack[:len(stack)-1]
			continue
		case c%3 == 0 || len(stack) == 0:
			imp.Phase = phase
			if phase == profile.PhaseInvoke {
				imp.RequestID = "req-1"
			}
			cs.Imports = append(cs.Imports, imp)
			stack = append(stack[:0], imp)
		default:
			parent := stack[len(stack)-1]
			imp.Phase = parent.Phase
			parent.Children = append(parent.Children, imp)
			stack = append(stack, imp)
		}
	}
	return p
}

// FuzzWrite checks that no profile makes a report panic and that the JSON
// report always decodes.
func FuzzWrite(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{0xff, 0x41, 0x82, 0xc3, 0x0a, 0xff, 0x13})
	f.Add(bytes.Repeat([]byte{7}, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Longer inputs only make deeper chains, and pretty-printed JSON
		// grows with the square of the depth (16 MB at depth 1,000, past
		// anything an import system nests), which slows fuzzing to a crawl.
		if len(data) > 400 {
			data = data[:400]
		}
		p := rptFuzzProfile(data)
		for _, format := range []Format{FormatTable, FormatMarkdown, FormatJSON} {
			var out bytes.Buffer
			err := Write(&out, ProfileSource(p), Options{Format: format, Tree: true, MinUs: int64(len(data)), Depth: len(data) % 4, Top: 3})
			if len(p.ColdStarts) == 0 {
				if err == nil {
					t.Fatalf("%s: no error for an empty profile", format)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == FormatJSON {
				var rep JSONReport
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatalf("JSON does not decode: %v", err)
				}
				if len(rep.ColdStarts) != len(p.ColdStarts) {
					t.Fatalf("%d cold starts in JSON, want %d", len(rep.ColdStarts), len(p.ColdStarts))
				}
				for _, cs := range p.ColdStarts {
					rptCheckStreamedColdStart(t, cs)
				}
			}
		}
	})
}

// rptCheckStreamedColdStart checks that writeJSONColdStart, which streams
// the import tree, writes the very bytes json.MarshalIndent writes for
// NewJSONColdStart: the JSON goldens only cover a few shapes.
func rptCheckStreamedColdStart(t *testing.T, cs *profile.ColdStart) {
	t.Helper()
	want, err := json.MarshalIndent(NewJSONColdStart(cs, ""), "    ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	w := bufio.NewWriter(&got)
	if err := writeJSONColdStart(w, cs, ""); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !bytes.Equal(want, got.Bytes()) {
		t.Fatalf("streamed cold start %s differs from json.MarshalIndent:\n%s", cs.ID, cmp.Diff(string(want), got.String()))
	}
}

// TestJSONStreamMatchesMarshal covers the shapes the goldens lack: names
// encoding/json escapes (HTML characters, invalid UTF-8, quotes), deep
// chains, origins and the shared archive.
func TestJSONStreamMatchesMarshal(t *testing.T) {
	odd := rptSample()
	odd.ID = "<a&b>\"\xff"
	odd.Imports[0].Name = "\x00<script>&\u2028\xfe"
	odd.Imports[0].Children[0].RequestID = "r\"1"
	cases := map[string]*profile.ColdStart{"sample": rptSample(), "odd names": odd, "java": rptJava()}
	for name, data := range map[string][]byte{"chain": bytes.Repeat([]byte{7}, 300), "mixed": {0xff, 0x41, 0x82, 0xc3, 0x0a, 0xff, 0x13}} {
		for i, cs := range rptFuzzProfile(data).ColdStarts {
			cases[fmt.Sprintf("%s %d", name, i)] = cs
		}
	}
	for name, cs := range cases {
		t.Run(name, func(t *testing.T) { rptCheckStreamedColdStart(t, cs) })
	}
}
