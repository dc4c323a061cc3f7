package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// rptProfile is two cold starts: the sample, and a second one from another
// log stream without Init Duration whose boto3 took longer and that loaded
// no numpy.
func rptProfile() *profile.Profile {
	a := rptSample()
	b := rptSample()
	b.ID, b.HasInitDuration, b.Boundary = "2026/11/21/[$LATEST]b7c1", false, profile.BoundaryHeuristic
	b.Runtime, b.Handler = "", ""
	b.Imports[3].CumulativeUs = 300000
	b.Imports[3].SelfUs = 105000
	b.Imports = append(b.Imports[:4], b.Imports[5:]...) // no numpy
	return &profile.Profile{
		ColdStarts: []*profile.ColdStart{a, b},
		Warnings:   []profile.Warning{{Where: "app.log:7", Message: "line cut short"}},
	}
}

func TestWriteGolden(t *testing.T) {
	one := &profile.Profile{ColdStarts: []*profile.ColdStart{rptSample()}}
	tests := []struct {
		name string
		p    *profile.Profile
		opts Options
	}{
		{"one.table", one, Options{Format: FormatTable}},
		{"one.tree.table", one, Options{Format: FormatTable, Tree: true, MinUs: 1000, Depth: 3, Top: 3}},
		{"one.init.table", one, Options{Format: FormatTable, Phase: profile.PhaseInit, Tree: true}},
		{"one.markdown", one, Options{Format: FormatMarkdown, Tree: true, MinUs: 1000}},
		{"one.json", one, Options{Format: FormatJSON}},
		{"two.table", rptProfile(), Options{Format: FormatTable, Top: 4}},
		{"two.markdown", rptProfile(), Options{Format: FormatMarkdown, Top: 4}},
		{"two.json", rptProfile(), Options{Format: FormatJSON}},
		{"two.cold-start.table", rptProfile(), Options{Format: FormatTable, ColdStart: "2026/11/21/[$LATEST]b7c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, ProfileSource(tt.p), tt.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "report", tt.name), out.Bytes())
		})
	}
}

// TestJSONSchema decodes the JSON report generically and checks the field
// names design.md fixes, the nulls for unknown values and [] for empty lists.
func TestJSONSchema(t *testing.T) {
	var out bytes.Buffer
	if err := Write(&out, ProfileSource(rptProfile()), Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	wantKeys := func(where string, m any, want ...string) {
		t.Helper()
		obj, ok := m.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T, want an object", where, m)
		}
		var got []string
		for k := range obj {
			got = append(got, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", where, diff)
		}
	}
	wantKeys("report", doc, "schemaVersion", "coldStarts", "warnings", "aggregate")
	if doc["schemaVersion"] != float64(1) {
		t.Errorf("schemaVersion = %v, want 1", doc["schemaVersion"])
	}
	css := doc["coldStarts"].([]any)
	if len(css) != 2 {
		t.Fatalf("%d cold starts, want 2", len(css))
	}
	for i, c := range css {
		wantKeys("coldStart", c, "id", "runtime", "handler", "format", "initDurationMs", "boundary", "phases", "imports",
			"initializationType", "restored", "restoreDurationMs", "billedRestoreDurationMs", "initReports", "invocations",
			"findings", "initParts", "functions", "sampler")
		for _, inv := range c.(map[string]any)["invocations"].([]any) {
			wantKeys("invocation", inv, "requestId", "durationMs", "billedDurationMs", "maxMemoryUsedMb", "importsUs")
		}
		cs := c.(map[string]any)
		wantKeys("phases", cs["phases"], "interpreter", "runtime", "init", "invoke")
		for _, p := range cs["phases"].(map[string]any) {
			wantKeys("phase", p, "us", "count")
		}
		var walk func(imps []any)
		walk = func(imps []any) {
			for _, imp := range imps {
				wantKeys("import", imp, "name", "selfUs", "cumulativeUs", "phase", "requestId", "children")
				children, ok := imp.(map[string]any)["children"].([]any)
				if !ok {
					t.Fatalf("children of %v is not a list", imp)
				}
				walk(children)
			}
		}
		walk(cs["imports"].([]any))
		if i == 1 {
			for _, k := range []string{"runtime", "handler", "initDurationMs"} {
				if v, ok := cs[k]; !ok || v != nil {
					t.Errorf("cold start 2: %s = %v, want null", k, v)
				}
			}
		}
	}
	first := css[0].(map[string]any)["imports"].([]any)[0].(map[string]any)
	if v, ok := first["requestId"]; !ok || v != nil {
		t.Errorf("requestId of an init entry = %v, want null", v)
	}
	for _, w := range doc["warnings"].([]any) {
		wantKeys("warning", w, "where", "message")
	}

	// Decoding into the exported types round-trips the values.
	var rep JSONReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := NewJSONColdStart(rptProfile().ColdStarts[0], "")
	if diff := cmp.Diff(want, rep.ColdStarts[0]); diff != "" {
		t.Errorf("cold start 1 after a round trip (-want +got):\n%s", diff)
	}
	if rep.Aggregate == nil || rep.Aggregate.Count != 2 {
		t.Errorf("aggregate = %+v, want one over 2 cold starts", rep.Aggregate)
	}
}

// TestJSONEmptyLists checks that a cold start without imports and a report
// without warnings encode empty lists as [], never null.
func TestJSONEmptyLists(t *testing.T) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{{ID: "x#1", Boundary: profile.BoundaryUnknown}}}
	var out bytes.Buffer
	if err := Write(&out, ProfileSource(p), Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{`"imports": []`, `"warnings": []`, `"runtime": null`, `"initDurationMs": null`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"aggregate"`) {
		t.Errorf("one cold start should have no aggregate:\n%s", s)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		p       *profile.Profile
		opts    Options
		wantErr string
		wantIs  error
	}{
		{"no cold start", &profile.Profile{}, Options{}, "no cold start", ErrNoColdStart},
		{"no such ID", rptProfile(), Options{ColdStart: "nope"}, `no cold start with ID "nope" among the 2 read (IDs such as "app.log#1", "2026/11/21/[$LATEST]b7c1")`, ErrNoColdStart},
		{"unknown format", rptProfile(), Options{Format: "pdf"}, `unknown report format "pdf"`, nil},
		{"unknown phase", rptProfile(), Options{Phase: "warmup"}, `unknown phase "warmup"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Write(&out, ProfileSource(tt.p), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if out.Len() > 0 {
				t.Errorf("wrote %q on error, want nothing", out.String())
			}
		})
	}
}

// TestManyColdStartsHideDetails checks that past maxDetails cold starts the
// text report shows the aggregate and points to --cold-start.
func TestManyColdStartsHideDetails(t *testing.T) {
	p := &profile.Profile{}
	for i := 0; i <= maxDetails; i++ {
		cs := rptSample()
		cs.ID = "s#" + string(rune('a'+i))
		p.ColdStarts = append(p.ColdStarts, cs)
	}
	var out bytes.Buffer
	if err := Write(&out, ProfileSource(p), Options{Format: FormatTable}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "Across 6 cold starts") || !strings.Contains(s, "--cold-start ID") {
		t.Errorf("want the aggregate and a --cold-start hint:\n%s", s)
	}
	if strings.Contains(s, "Cold start s#a") {
		t.Errorf("want no per-cold-start section past %d:\n%s", maxDetails, s)
	}
}
