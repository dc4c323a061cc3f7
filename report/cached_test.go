package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestCachedLookupsNotCounted: Python 3.14's cached look-ups stay in the
// model but load nothing, so no count, row, tree line or JSON import shows
// them.
func TestCachedLookupsNotCounted(t *testing.T) {
	lookup := func(name string) *profile.Import {
		return &profile.Import{Name: name, Phase: profile.PhaseInit, Cached: true}
	}
	cs := &profile.ColdStart{ID: "c", Format: profile.FormatPythonImporttime, Boundary: profile.BoundaryExact, Imports: []*profile.Import{
		{Name: "app", SelfUs: 10, CumulativeUs: 30, Phase: profile.PhaseInit, Children: []*profile.Import{
			lookup("os"),
			{Name: "json", SelfUs: 20, CumulativeUs: 20, Phase: profile.PhaseInit, Children: []*profile.Import{lookup("re")}},
			lookup("json"),
		}},
		lookup("sys"),
	}}
	s := Analyze(cs, Options{Tree: true})
	for _, p := range s.Phases {
		if p.Phase == profile.PhaseInit && p.Count != 2 {
			t.Errorf("init counts %d entries, want 2 (app, json)", p.Count)
		}
	}
	for _, rows := range [][]Row{s.TopSelf, s.TopCumulative, s.Packages} {
		for _, r := range rows {
			if r.Name == "os" || r.Name == "re" || r.Name == "sys" || r.Count != 1 {
				t.Errorf("row %+v: look-ups must not make or add to rows", r)
			}
		}
	}
	if len(s.Tree) != 2 {
		t.Errorf("tree %+v, want app and json only", s.Tree)
	}
	var got strings.Builder
	if err := Write(&got, ProfileSource(&profile.Profile{ColdStarts: []*profile.ColdStart{cs}}), Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ColdStarts []struct {
			Imports json.RawMessage `json:"imports"`
		} `json:"coldStarts"`
	}
	if err := json.Unmarshal([]byte(got.String()), &rep); err != nil || len(rep.ColdStarts) != 1 {
		t.Fatalf("json: %v\n%s", err, got.String())
	}
	imports := string(rep.ColdStarts[0].Imports)
	if strings.Count(imports, `"name"`) != 2 || strings.Contains(imports, `"os"`) || strings.Contains(imports, `"sys"`) {
		t.Errorf("JSON imports hold look-ups:\n%s", imports)
	}
	if want := NewJSONColdStart(cs, ""); len(want.Imports) != 1 || len(want.Imports[0].Children) != 1 {
		t.Errorf("NewJSONColdStart imports %+v, want app with json", want.Imports)
	}
}
