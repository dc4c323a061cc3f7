package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// validateSpeedscope checks a speedscope file the way speedscope's importer
// relies on it: the schema address, known frame indices, and per profile
// balanced open/close events (each close matching the innermost open frame)
// with non-decreasing times inside [startValue, endValue]. It returns the
// number of open events and each profile's end value.
func validateSpeedscope(t *testing.T, data []byte) (opens int, ends []int64) {
	t.Helper()
	file, evented, _ := decodeSpeedscope(t, data)
	if file.Schema != speedscopeSchema {
		t.Errorf("$schema %q", file.Schema)
	}
	for _, prof := range evented {
		if prof.Type != "evented" || prof.Unit != "microseconds" {
			t.Errorf("profile %q: type %q unit %q", prof.Name, prof.Type, prof.Unit)
		}
		if !strings.Contains(prof.Name, "reconstructed") {
			t.Errorf("profile %q does not say its timeline is reconstructed", prof.Name)
		}
		var stack []int
		last := prof.StartValue
		for i, e := range prof.Events {
			if e.Frame < 0 || e.Frame >= len(file.Shared.Frames) {
				t.Fatalf("profile %q event %d: frame %d out of range", prof.Name, i, e.Frame)
			}
			if e.At < last || e.At > prof.EndValue {
				t.Fatalf("profile %q event %d: at %d after %d or past end %d", prof.Name, i, e.At, last, prof.EndValue)
			}
			last = e.At
			switch e.Type {
			case "O":
				stack = append(stack, e.Frame)
				opens++
			case "C":
				if len(stack) == 0 || stack[len(stack)-1] != e.Frame {
					t.Fatalf("profile %q event %d closes frame %d, innermost open is %v", prof.Name, i, e.Frame, stack)
				}
				stack = stack[:len(stack)-1]
			default:
				t.Fatalf("profile %q event %d: type %q", prof.Name, i, e.Type)
			}
		}
		if len(stack) != 0 {
			t.Errorf("profile %q leaves %d frames open", prof.Name, len(stack))
		}
		ends = append(ends, prof.EndValue)
	}
	return opens, ends
}

func TestWriteSpeedscopeIsValid(t *testing.T) {
	for name, p := range traceProfiles() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSpeedscope(&buf, p); err != nil {
				t.Fatal(err)
			}
			opens, ends := validateSpeedscope(t, buf.Bytes())
			imports := 0
			for _, cs := range p.ColdStarts {
				imports += countImports(cs)
			}
			if opens < imports {
				t.Errorf("%d open events for %d imports", opens, imports)
			}
			if len(ends) != len(p.ColdStarts) {
				t.Fatalf("%d profiles for %d cold starts", len(ends), len(p.ColdStarts))
			}
			if name == "broken arithmetic" {
				return // times do not add up; the layout stretches to fit
			}
			for i, cs := range p.ColdStarts {
				if ends[i] != cs.TotalUs() {
					t.Errorf("cold start %s: profile ends at %d, its imports total %d", cs.ID, ends[i], cs.TotalUs())
				}
			}
		})
	}
}

// decodeSpeedscope decodes a speedscope file strictly, its profiles into
// evented (the import timelines) and sampled ones (validated here: known
// frames, one weight per sample, weights adding up to the profile's span).
func decodeSpeedscope(t *testing.T, data []byte) (speedscopeFile, []speedscopeEvents, []speedscopeSampled) {
	t.Helper()
	var raw struct {
		speedscopeFile
		Profiles []json.RawMessage `json:"profiles"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("not a speedscope file: %v", err)
	}
	var evented []speedscopeEvents
	var sampled []speedscopeSampled
	for i, p := range raw.Profiles {
		var kind struct{ Type string }
		json.Unmarshal(p, &kind)
		strict := json.NewDecoder(bytes.NewReader(p))
		strict.DisallowUnknownFields()
		switch kind.Type {
		case "evented":
			var e speedscopeEvents
			if err := strict.Decode(&e); err != nil {
				t.Fatalf("profile %d: %v", i, err)
			}
			evented = append(evented, e)
		case "sampled":
			var sp speedscopeSampled
			if err := strict.Decode(&sp); err != nil {
				t.Fatalf("profile %d: %v", i, err)
			}
			if len(sp.Samples) != len(sp.Weights) {
				t.Errorf("profile %q: %d samples, %d weights", sp.Name, len(sp.Samples), len(sp.Weights))
			}
			var sum int64
			for k, st := range sp.Samples {
				for _, f := range st {
					if f < 0 || f >= len(raw.Shared.Frames) {
						t.Fatalf("profile %q sample %d: frame %d out of range", sp.Name, k, f)
					}
				}
				sum += sp.Weights[k]
			}
			if sum != sp.EndValue-sp.StartValue {
				t.Errorf("profile %q: weights add up to %d, span %d", sp.Name, sum, sp.EndValue-sp.StartValue)
			}
			sampled = append(sampled, sp)
		default:
			t.Fatalf("profile %d: type %q", i, kind.Type)
		}
	}
	return raw.speedscopeFile, evented, sampled
}
