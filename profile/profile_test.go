package profile

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sample is a cold start with one entry per phase and a nested invoke import.
func sample() *ColdStart {
	return &ColdStart{
		ID:       "s#1",
		Boundary: BoundaryExact,
		Imports: []*Import{
			{Name: "encodings", SelfUs: 10, CumulativeUs: 30, Phase: PhaseInterpreter,
				Children: []*Import{{Name: "codecs", SelfUs: 20, CumulativeUs: 20, Phase: PhaseInterpreter}}},
			{Name: "awslambdaric", SelfUs: 100, CumulativeUs: 100, Phase: PhaseRuntime},
			{Name: "boto3", SelfUs: 5, CumulativeUs: 500, Phase: PhaseInit,
				Children: []*Import{
					{Name: "botocore", SelfUs: 400, CumulativeUs: 495, Phase: PhaseInit,
						Children: []*Import{{Name: "json", SelfUs: 95, CumulativeUs: 95, Phase: PhaseInit}}},
				}},
			{Name: "pandas", SelfUs: 7, CumulativeUs: 7, Phase: PhaseInvoke, RequestID: "r1"},
		},
	}
}

func TestPhaseTotals(t *testing.T) {
	got := sample().PhaseTotals()
	want := map[Phase]PhaseTotal{
		PhaseInterpreter: {Us: 30, Count: 2},
		PhaseRuntime:     {Us: 100, Count: 1},
		PhaseInit:        {Us: 500, Count: 3},
		PhaseInvoke:      {Us: 7, Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PhaseTotals (-want +got):\n%s", diff)
	}
	if got, want := sample().TotalUs(), int64(637); got != want {
		t.Errorf("TotalUs = %d, want %d", got, want)
	}
}

func TestWalkOrderAndPruning(t *testing.T) {
	var names []string
	sample().Walk(func(imp *Import, depth int) bool {
		names = append(names, imp.Name)
		return imp.Name != "botocore" // skip botocore's children
	})
	want := []string{"encodings", "codecs", "awslambdaric", "boto3", "botocore", "pandas"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Walk order (-want +got):\n%s", diff)
	}
}

func TestCheckValid(t *testing.T) {
	if err := (&Profile{ColdStarts: []*ColdStart{sample()}}).CheckValid(); err != nil {
		t.Fatalf("valid profile rejected: %v", err)
	}
	tests := []struct {
		name  string
		spoil func(cs *ColdStart)
	}{
		{"unknown boundary", func(cs *ColdStart) { cs.Boundary = "guess" }},
		{"unknown phase", func(cs *ColdStart) { cs.Imports[1].Phase = "startup" }},
		{"negative time", func(cs *ColdStart) { cs.Imports[2].Children[0].SelfUs = -1 }},
		{"child in another phase", func(cs *ColdStart) { cs.Imports[2].Children[0].Phase = PhaseInvoke }},
		{"request ID outside invoke", func(cs *ColdStart) { cs.Imports[1].RequestID = "r1" }},
		{"nil child", func(cs *ColdStart) { cs.Imports[0].Children = append(cs.Imports[0].Children, nil) }},
		{"nil import", func(cs *ColdStart) { cs.Imports = append(cs.Imports, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := sample()
			tt.spoil(cs)
			err := (&Profile{ColdStarts: []*ColdStart{cs}}).CheckValid()
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("CheckValid = %v, want an error wrapping ErrInvalid", err)
			}
		})
	}
	if err := (&Profile{ColdStarts: []*ColdStart{nil}}).CheckValid(); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil cold start: CheckValid = %v, want ErrInvalid", err)
	}
}
