package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/report"
)

// reportFindings runs coldprof report --format json on the logs and
// returns each cold start's findings and the aggregate's.
func reportFindings(t *testing.T, args ...string) (perColdStart [][]report.Finding, aggregate []report.Finding) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb, append([]string{"report", "--format", "json"}, args...)); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep report.JSONReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, cs := range rep.ColdStarts {
		perColdStart = append(perColdStart, cs.Findings)
	}
	if rep.Aggregate != nil {
		aggregate = rep.Aggregate.Findings
	}
	return perColdStart, aggregate
}

// TestReadmeExampleFindingsGolden pins the findings of the README's example
// log (a real Python 3.11 cold start with boto3, numpy and requests).
func TestReadmeExampleFindingsGolden(t *testing.T) {
	per, _ := reportFindings(t, "--arch", "arm64", filepath.Join("..", "..", "testdata", "python", "lambda-boto3-numpy-requests.log"))
	got, err := json.MarshalIndent(per, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "report", "golden", "readme-example.findings.json")
	if flag.Lookup("update").Value.String() == "true" {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got; go test -update accepts):\n%s", golden, d)
	}
}

// TestWalkthroughFindings: the README walkthrough's real logs, where
// heavy-global-import fires for boto3 before and must not after.
func TestWalkthroughFindings(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "walkthrough")
	per, agg := reportFindings(t, filepath.Join(dir, "before.log"))
	if len(per) != 5 {
		t.Fatalf("%d cold starts in before.log, want 5", len(per))
	}
	for i, fs := range per {
		heavy := findingIDs(fs, report.FindingHeavyImport)
		if len(heavy) != 1 || heavy[0].Modules[0] != "boto3" || heavy[0].Basis != report.BasisUpperBound {
			t.Errorf("cold start %d: heavy-global-import %+v, want boto3, upper-bound", i+1, heavy)
		}
	}
	if heavy := findingIDs(agg, report.FindingHeavyImport); len(heavy) != 1 || *heavy[0].SavingsUs < 200_000 {
		t.Errorf("aggregate heavy-global-import %+v, want boto3's median (about 360 ms)", heavy)
	}
	per, agg = reportFindings(t, filepath.Join(dir, "after.log"))
	for i, fs := range append(per, agg) {
		if heavy := findingIDs(fs, report.FindingHeavyImport); len(heavy) != 0 {
			t.Errorf("after, cold start %d: heavy-global-import %+v, want none", i+1, heavy)
		}
	}
}

// TestPython314CachedMakesHeavyImportMeasured: on a real Python 3.14 log
// (-X importtime=2, with cached lines) heavy-global-import is measured.
func TestPython314CachedMakesHeavyImportMeasured(t *testing.T) {
	per, _ := reportFindings(t, filepath.Join("..", "..", "testdata", "python", "cached-3.14.log"))
	heavy := findingIDs(per[0], report.FindingHeavyImport)
	if len(heavy) == 0 {
		t.Fatal("no heavy-global-import on the 3.14 log")
	}
	for _, f := range heavy {
		if f.Basis != report.BasisMeasured || len(f.Unseen) != 0 {
			t.Errorf("%s: basis %s, unseen %v; want measured", f.Title, f.Basis, f.Unseen)
		}
	}
}

// TestRealCaptureHotspots: the sampler's real capture (testdata/sampler:
// a 300 ms busy loop and a 150 ms sleep at top level, then a boto3 client)
// gives init-code-hotspot findings for those functions, within ±25 % of
// the known work, and none for the runtime's own frames.
func TestRealCaptureHotspots(t *testing.T) {
	per, _ := reportFindings(t, filepath.Join("..", "..", "testdata", "sampler", "coldprof-run-python3.11.log"))
	want := map[string]int64{"busy_loop": 300_000, "load_config": 150_000}
	for _, f := range findingIDs(per[0], report.FindingCodeHotspot) {
		fn := f.Functions[0][bytes.LastIndexByte([]byte(f.Functions[0]), ' ')+1:]
		truth, ok := want[fn]
		if !ok {
			if fn != "client" { // boto3.client: real work, no known truth
				t.Errorf("unexpected hotspot %s", f.Functions[0])
			}
			continue
		}
		delete(want, fn)
		if got := *f.SavingsUs; float64(got) < 0.75*float64(truth) || float64(got) > 1.25*float64(truth) {
			t.Errorf("%s: %d µs, want %d ±25 %%", fn, got, truth)
		}
	}
	if len(want) > 0 {
		t.Errorf("no hotspot for %v", want)
	}
}
