package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// rptFillJSON sets every field of the value v points at, recursively, from
// rng: pointers nil or set, slices nil, empty or with elements, strings and
// floats from lists of the odd ones. A field of a kind it does not know
// fails the test, so a new field of the JSON types is filled too and must
// be written by jsonWriter.
func rptFillJSON(t *testing.T, rng *rand.Rand, v reflect.Value) {
	t.Helper()
	strs := []string{"", "python3.12", `q"uote\`, "<b>&amp;</b>", "bad \xff utf8", "\u2028", "tab\tnl\n"}
	floats := []float64{0, math.Copysign(0, -1), 345.75, -5, 1e-7, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, 5e-324, math.MaxFloat64, 0.1}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[rng.Intn(len(strs))])
	case reflect.Bool:
		v.SetBool(rng.Intn(2) == 1)
	case reflect.Int, reflect.Int64:
		v.SetInt(rng.Int63n(1<<40) - 1<<39)
	case reflect.Float64:
		v.SetFloat(floats[rng.Intn(len(floats))])
	case reflect.Pointer:
		if rng.Intn(3) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		rptFillJSON(t, rng, v.Elem())
	case reflect.Slice:
		switch n := rng.Intn(5); n {
		case 0:
			v.SetZero()
		default:
			v.Set(reflect.MakeSlice(v.Type(), n-1, n-1))
			for i := range n - 1 {
				rptFillJSON(t, rng, v.Index(i))
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Type == reflect.TypeFor[[]JSONImport]() {
				continue // a tree, set by the caller
			}
			rptFillJSON(t, rng, v.Field(i))
		}
	default:
		t.Fatalf("rptFillJSON: %s of kind %s: teach it (and jsonWriter) this kind", v.Type(), v.Kind())
	}
}

// TestJSONColdStartFieldsMatchMarshal checks jsonWriter against
// json.MarshalIndent on cold starts whose every field is set at random.
func TestJSONColdStartFieldsMatchMarshal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := range 500 {
		var j JSONColdStart
		rptFillJSON(t, rng, reflect.ValueOf(&j).Elem())
		j.Imports = []JSONImport{} // written from the import tree, which is empty here
		want, err := json.MarshalIndent(j, "    ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		w := bufio.NewWriter(&got)
		if err := writeJSONColdStartOf(w, &j, nil); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if !bytes.Equal(want, got.Bytes()) {
			t.Fatalf("trial %d: jsonWriter differs from json.MarshalIndent (-marshal +writer):\n%s", trial, cmp.Diff(string(want), got.String()))
		}
	}
}

// TestJSONColdStartRefusedFloat checks that a float encoding/json refuses
// fails the cold start with encoding/json's error, its output cut after
// the members before the one that holds it (and their comma), as the
// member-by-member MarshalIndent that jsonWriter replaced left it.
func TestJSONColdStartRefusedFloat(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		member string
		set    func(j *JSONColdStart)
	}{
		{"initDurationMs", func(j *JSONColdStart) { j.InitDurationMs = &inf }},
		{"restoreDurationMs", func(j *JSONColdStart) { j.RestoreDurationMs = &nan }},
		{"initReports", func(j *JSONColdStart) { j.InitReports = []JSONInitReport{{DurationMs: &inf}} }},
		{"invocations", func(j *JSONColdStart) {
			j.Invocations = []JSONInvocation{{RequestID: "r1"}, {RequestID: "r2", BilledDurationMs: &inf}}
		}},
		{"findings", func(j *JSONColdStart) { j.Findings = []Finding{{ID: "init-cost", USDPerMillion: &inf}} }},
	}
	for _, c := range cases {
		t.Run(c.member, func(t *testing.T) {
			j := NewJSONColdStart(rptSample(), "")
			full, err := json.MarshalIndent(j, "    ", "  ")
			if err != nil {
				t.Fatal(err)
			}
			c.set(&j)
			_, wantErr := json.Marshal(j)
			if wantErr == nil {
				t.Fatal("encoding/json accepts the bad float")
			}
			var got bytes.Buffer
			w := bufio.NewWriter(&got)
			err = writeJSONColdStartOf(w, &j, rptSample().Imports)
			w.Flush()
			if err == nil || err.Error() != wantErr.Error() {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			cut := strings.Index(string(full), "\n      \""+c.member+"\": ")
			if want := full[:cut]; !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output (-want +got):\n%s", cmp.Diff(string(want), got.String()))
			}
		})
	}
}

// TestJSONTreeFacts checks jsonTreeFacts against PhaseTotals and
// hasOrigins on the fuzz profiles' odd trees (cached entries, odd phases)
// and a Java log with origins, for every phase filter.
func TestJSONTreeFacts(t *testing.T) {
	css := append(rptFuzzProfile(bytes.Repeat([]byte{7, 0x41, 0x82, 0xc3, 0x0a, 0x13, 0x99}, 40)).ColdStarts, rptJava(), rptSample())
	odd := rptSample()
	odd.Imports[0].Children[0].Cached = true
	odd.Imports[len(odd.Imports)-1].Children = append(odd.Imports[len(odd.Imports)-1].Children, &profile.Import{Name: "o", Origin: "x.jar", Cached: true})
	css = append(css, odd)
	for i, cs := range css {
		for _, phase := range append([]profile.Phase{""}, profile.Phases...) {
			totals, origins := jsonTreeFacts(cs, phase)
			want := cs.PhaseTotals()
			for _, p := range profile.Phases {
				if totals[p] != want[p] {
					t.Errorf("cold start %d, phase %q: %s totals %+v, want %+v", i, phase, p, totals[p], want[p])
				}
			}
			if w := hasOrigins(importsOf(cs, phase)); origins != w {
				t.Errorf("cold start %d, phase %q: origins %v, want %v", i, phase, origins, w)
			}
		}
	}
}
