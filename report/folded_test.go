package report

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

func TestWriteFoldedGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		p      *profile.Profile
	}{
		{"one cold start", "testdata/pictures/one.folded", fixtureProfile("2026/11/22/[$LATEST]abc")},
		{"two cold starts", "testdata/pictures/two.folded", fixtureProfile("first", "second")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFolded(&buf, tt.p); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, buf.Bytes())
		})
	}
}

// TestWriteFoldedWeights checks what a flame graph built from the lines
// shows: every line well formed, sorted, rooted at a phase, and the weights
// of a phase adding up to the self times of its imports.
func TestWriteFoldedWeights(t *testing.T) {
	p := fixtureProfile("only")
	var buf bytes.Buffer
	if err := WriteFolded(&buf, p); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if !sort.StringsAreSorted(lines) {
		t.Error("lines are not sorted")
	}
	perPhase := map[string]int64{}
	for _, line := range lines {
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			t.Fatalf("line %q has no weight", line)
		}
		w, err := strconv.ParseInt(line[sp+1:], 10, 64)
		if err != nil || w <= 0 {
			t.Errorf("line %q: weight %q is not a positive integer", line, line[sp+1:])
		}
		root, _, _ := strings.Cut(line[:sp], ";")
		perPhase[root] += w
		if strings.ContainsAny(line, "\n\r") {
			t.Errorf("line %q contains a line break", line)
		}
	}
	want := map[string]int64{}
	p.ColdStarts[0].Walk(func(i *profile.Import, _ int) bool {
		want["["+string(i.Phase)+"]"] += i.SelfUs
		return true
	})
	for phase, w := range want {
		if perPhase[phase] != w {
			t.Errorf("phase %s weighs %d, want %d (the sum of its self times)", phase, perPhase[phase], w)
		}
	}
	if len(perPhase) != len(want) {
		t.Errorf("root frames %v, want the phases %v", perPhase, want)
	}
	// Duplicate stacks merge: the hostile name's ';' must not split it.
	if !strings.Contains(buf.String(), "[init];</script><img src=x onerror=\"document.body.dataset.pwned=1\">:evil\u2028&amp: 100\n") {
		t.Errorf("hostile name not written as one frame:\n%s", buf.String())
	}
}

func TestWriteFoldedMergesDuplicates(t *testing.T) {
	cs := &profile.ColdStart{ID: "dup", Boundary: profile.BoundaryUnknown, Imports: inPhase(profile.PhaseInit, "",
		imp("a", 5, imp("b", 7)),
		imp("a", 3, imp("b", 1)),
	)}
	var buf bytes.Buffer
	if err := WriteFolded(&buf, &profile.Profile{ColdStarts: []*profile.ColdStart{cs}}); err != nil {
		t.Fatal(err)
	}
	want := "[init];a 8\n[init];a;b 8\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
