package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

func TestComputedAggregate(t *testing.T) {
	rows := []AggregateRow{
		{Name: "small", ColdStarts: 7, Cumulative: Stats{Median: 10, P90: 20, Max: 30}},
		{Name: "big", ColdStarts: 9, Cumulative: Stats{Median: 500, P90: 900, Max: 1000}},
		{Name: "mid", ColdStarts: 8, Cumulative: Stats{Median: 100, P90: 200, Max: 300}},
	}
	a := NewComputedAggregate("the test", rows, []string{"Nothing about phases."})
	if !a.Computed() || a.ColdStarts != 9 {
		t.Errorf("Computed, ColdStarts = %v, %d, want true, 9", a.Computed(), a.ColdStarts)
	}
	if diff := cmp.Diff([]AggregateRow{rows[1], rows[2]}, a.Modules(2)); diff != "" {
		t.Errorf("Modules(2) (-want +got):\n%s", diff)
	}
	if len(a.Phases()) != 0 || len(a.Packages(0)) != 0 || len(a.Slowest()) != 0 {
		t.Errorf("phases, packages, slowest = %v, %v, %v; want none", a.Phases(), a.Packages(0), a.Slowest())
	}

	var table bytes.Buffer
	if err := WriteAggregate(&table, a, Options{Top: 2}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Across up to 9 log streams\n", "  computed by:  the test\n", "  cannot know:  Nothing about phases.\n",
		"Top 2 modules by median cumulative time\n", "| big    |"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if strings.Contains(table.String(), "PHASE") || strings.Contains(table.String(), "small") {
		t.Errorf("table has a PHASE column or more than --top rows:\n%s", table.String())
	}

	var js bytes.Buffer
	if err := WriteAggregate(&js, a, Options{Format: FormatJSON, Top: 1}); err != nil {
		t.Fatal(err)
	}
	var rep JSONReport
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	if rep.SchemaVersion != 1 || rep.ColdStarts == nil || len(rep.ColdStarts) != 0 || rep.Aggregate == nil ||
		len(rep.Aggregate.Modules) != 3 || rep.Aggregate.Source != "the test" || len(rep.Aggregate.Limits) != 1 {
		t.Errorf("JSON report = %+v, want no cold starts and an aggregate of all 3 modules with source and limits", rep)
	}

	if err := WriteAggregate(&js, a, Options{Format: FormatFolded}); err == nil || !strings.Contains(err.Error(), "table, markdown or json") {
		t.Errorf("folded: err = %v, want one naming the formats that work", err)
	}
}

// TestWriteAggregateOfColdStarts renders an ordinary aggregate alone with
// the sections the report shows above its cold starts.
func TestWriteAggregateOfColdStarts(t *testing.T) {
	a := NewAggregate(Options{})
	a.Add(rptSample())
	a.Add(rptSample())
	var b bytes.Buffer
	if err := WriteAggregate(&b, a, Options{Format: FormatMarkdown}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Across 2 cold starts\n", "#### Phases\n", "| " + string(profile.PhaseInit) + " | 2 |", "#### Slowest cold starts\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
