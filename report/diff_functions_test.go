package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

func TestDiffFunctions(t *testing.T) {
	before, after := NewDiffSide("before"), NewDiffSide("after")
	for i := 0; i < 4; i++ {
		before.Add(readSamplerLog(t, "constructed-python.log").ColdStarts[0])
		cs := readSamplerLog(t, "constructed-python.log").ColdStarts[0]
		// load_config's samples take twice as long after.
		for k := range cs.Samples {
			if top := cs.Stacks[cs.Samples[k].Stack]; cs.Frames[top[len(top)-1]].Function == "load_config" {
				cs.Samples[k].WeightUs *= 2
			}
		}
		after.Add(cs)
	}
	d := Compare(before, after)
	var row *DiffRow
	for i := range d.Functions {
		if d.Functions[i].Name == "/var/task/app.py:12 load_config" {
			row = &d.Functions[i]
		}
	}
	if row == nil {
		t.Fatalf("no load_config row in %+v", d.Functions)
	}
	// 45 ms in init + 1 ms in invoke before, twice that after.
	if row.Before.MedianUs != 46000 || row.After.MedianUs != 92000 || row.Change != ChangeSlower || row.Verdict != VerdictSignificant {
		t.Errorf("load_config: %+v", row)
	}
	if row.PhaseBefore != profile.PhaseInit {
		t.Errorf("phase %q, want init", row.PhaseBefore)
	}
	var out bytes.Buffer
	if err := WriteDiff(&out, d, FormatTable, DiffOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Functions (sampled, outside imports)") || !strings.Contains(out.String(), "/var/task/app.py:12 load_config") {
		t.Errorf("table diff lacks the functions:\n%s", out.String())
	}
	// A gate can name a function.
	m, err := ParseMetric("function:/var/task/app.py:12 load_config")
	if err != nil || m.Kind != MetricFunction {
		t.Fatalf("ParseMetric: %+v, %v", m, err)
	}
	if got := compareMetric(before, after, m); got.After.MedianUs != 92000 {
		t.Errorf("gate metric: %+v", got)
	}

	g, err := ParseGate("function:/var/task/app.py:1 <module>>+20ms")
	if err != nil || g.Metric.Module != "/var/task/app.py:1 <module>" || g.Limit != 20000 || !g.Growth {
		t.Errorf("ParseGate of a <module> gate: %+v, %v", g, err)
	}

	// A side without samples leaves functions out.
	plain := NewDiffSide("plain")
	plain.Add(rptSample())
	if d := Compare(plain, after); len(d.Functions) != 0 {
		t.Errorf("functions compared against a side without samples: %+v", d.Functions)
	}
}
