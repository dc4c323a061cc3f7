package report

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// poisonSource is a Recycler that overwrites every cold start handed back,
// as a recycling parser does with later cold starts: a report that still
// used one after Recycle would print the poison.
type poisonSource struct {
	Source
	t        *testing.T
	recycled map[*profile.ColdStart]bool
}

func (s *poisonSource) Recycle(cs *profile.ColdStart) {
	if s.recycled[cs] {
		s.t.Errorf("cold start %s recycled twice", cs.ID)
	}
	s.recycled[cs] = true
	cs.Walk(func(imp *profile.Import, _ int) bool {
		imp.Name, imp.SelfUs, imp.CumulativeUs = "POISON", 1e12, 1e12
		return true
	})
	cs.ID = "POISON"
}

// TestWriteRecycles checks that every format prints the same with a
// source whose cold starts are overwritten once handed back, and that
// the streaming formats hand back what they no longer need.
func TestWriteRecycles(t *testing.T) {
	fleet := func() *profile.Profile {
		p := &profile.Profile{}
		for i := 0; i < 3*maxDetails; i++ {
			p.ColdStarts = append(p.ColdStarts, rptFleetColdStart(int64(i)))
		}
		return p
	}
	gate, err := ParseBudget("module:pkg01=1ms")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []Format{FormatTable, FormatMarkdown, FormatJSON, FormatFolded} {
		for _, opts := range []Options{{Format: format}, {Format: format, ColdStart: "fleet#7"}, {Format: format, Tree: true, Phase: profile.PhaseInit}} {
			name := fmt.Sprintf("%s/%q/tree=%v", format, opts.ColdStart, opts.Tree)
			var want, got bytes.Buffer
			if err := Write(&want, ProfileSource(fleet()), opts); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			src := &poisonSource{Source: ProfileSource(fleet()), t: t, recycled: map[*profile.ColdStart]bool{}}
			if err := Write(&got, NewBudgetSource(src, []Gate{gate}), opts); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s: output differs when recycled cold starts are overwritten", name)
			}
			streaming := format == FormatTable || format == FormatJSON || format == FormatMarkdown
			if streaming && opts.ColdStart == "" && len(src.recycled) == 0 {
				t.Errorf("%s: no cold start handed back", name)
			}
		}
	}
}
