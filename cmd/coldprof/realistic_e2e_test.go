package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The realistic function of issue 12 (testdata/functions/realistic): boto3,
// numpy and requests at global scope, a boto3 client and resource created
// at top level, configuration loading, pandas imported in the handler. It
// prints its own perf_counter measurement of each step ("coldprof-truth:"
// lines), the truth the report's sampled attribution is held to.
var realisticDir = filepath.Join("..", "..", "testdata", "functions", "realistic")

// realisticCredentials stand for the execution role's credentials, which
// Lambda puts in the function's environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, per the Lambda developer
// guide's runtime environment variables): without them botocore probes the
// instance metadata service while it creates the clients, which a function
// on Lambda does not do.
var realisticCredentials = []string{
	"--env", "AWS_ACCESS_KEY_ID=AKIAEXAMPLEFAKEKEY00",
	"--env", "AWS_SECRET_ACCESS_KEY=fake-secret-for-local-runs",
	"--env", "AWS_SESSION_TOKEN=fake-session-token",
}

// realisticJSON is the part of the JSON report (schema version 1) the checks read.
type realisticJSON struct {
	ColdStarts []struct {
		InitDurationMs *float64 `json:"initDurationMs"`
		Invocations    []struct {
			RequestID string `json:"requestId"`
		} `json:"invocations"`
		Imports   []realisticImport `json:"imports"`
		InitParts *struct {
			InterpreterUs int64 `json:"interpreterUs"`
			RuntimeUs     int64 `json:"runtimeUs"`
			ImportsUs     int64 `json:"importsUs"`
			CodeUs        int64 `json:"codeUs"`
			UnexplainedUs int64 `json:"unexplainedUs"`
		} `json:"initParts"`
		Functions []struct {
			Name    string `json:"name"`
			File    string `json:"file"`
			Phase   string `json:"phase"`
			TotalUs int64  `json:"totalUs"`
		} `json:"functions"`
		Sampler *struct {
			Samples   int     `json:"samples"`
			StoppedBy *string `json:"stoppedBy"`
		} `json:"sampler"`
		Findings []struct {
			ID        string `json:"id"`
			RequestID string `json:"requestId"`
		} `json:"findings"`
	} `json:"coldStarts"`
}

type realisticImport struct {
	Name         string            `json:"name"`
	Phase        string            `json:"phase"`
	CumulativeUs int64             `json:"cumulativeUs"`
	RequestID    string            `json:"requestId"`
	Children     []realisticImport `json:"children"`
}

// realisticTruth is one "coldprof-truth: NAME MS MODULES" line: a step's
// wall time and the modules first imported while it ran.
type realisticTruth struct {
	wallUs  int64
	modules map[string]bool
}

func realisticTruths(t *testing.T, log []byte) map[string]realisticTruth {
	t.Helper()
	truths := map[string]realisticTruth{}
	for _, line := range strings.Split(string(log), "\n") {
		rest, ok := strings.CutPrefix(line, "coldprof-truth: ")
		if !ok {
			continue
		}
		fields := strings.Split(rest, " ")
		if len(fields) != 3 {
			t.Fatalf("truth line %q: want NAME MS MODULES", line)
		}
		ms, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			t.Fatalf("truth line %q: %v", line, err)
		}
		modules := map[string]bool{}
		for _, m := range strings.Split(fields[2], ",") {
			if m != "" {
				modules[m] = true
			}
		}
		truths[fields[0]] = realisticTruth{wallUs: int64(ms * 1000), modules: modules}
	}
	return truths
}

// importsAmong sums the cumulative time of the outermost init imports of
// the given modules: the exact import time a step spent, which the report
// counts under imports rather than under the step's function.
func importsAmong(entries []realisticImport, modules map[string]bool) int64 {
	var sum int64
	for _, e := range entries {
		if e.Phase == "init" && modules[e.Name] {
			sum += e.CumulativeUs
			continue
		}
		sum += importsAmong(e.Children, modules)
	}
	return sum
}

// checkRealistic holds one cold start of the realistic function to issue
// 12's bar: "where init went" leaves well under 15 % of Init Duration
// unexplained, configuration loading and client creation are attributed
// within ±25 % of the function's own measurement (less the imports they ran,
// which the report counts exactly under imports), and the handler's pandas
// import lands in invoke with the first request's ID.
//
// requireEnd also asks for the sampler's end line (stopped by invoke_end).
// A live run cannot: coldprof run kills the runtime's process group as soon
// as the last response is posted, and the sampler writes its last lines
// from its own thread a moment later, so now and then they are lost (about
// one cold start in ten with a fast first invocation here; reported).
//
// The two timing bars (the unexplained share, the ±25 %) are returned as
// problems rather than failed at once: on a loaded machine a stall outside
// the sampled process (the wrapper's start, the proxy) grows the unexplained
// part, and a descheduled sampler can misplace one step's end. The caller
// decides how many cold starts to give them; everything else fails here.
func checkRealistic(t *testing.T, log, reportJSON []byte, requireEnd bool) (problems []string) {
	t.Helper()
	var rep realisticJSON
	if err := json.Unmarshal(reportJSON, &rep); err != nil {
		t.Fatalf("%v\n%s", err, reportJSON)
	}
	if len(rep.ColdStarts) != 1 {
		t.Fatalf("%d cold starts, want 1", len(rep.ColdStarts))
	}
	cs := rep.ColdStarts[0]
	if cs.Sampler == nil || cs.Sampler.Samples == 0 {
		t.Fatalf("sampler %+v: want samples", cs.Sampler)
	}
	switch stop := cs.Sampler.StoppedBy; {
	case stop != nil && *stop == "invoke_end":
	case stop == nil && !requireEnd:
		t.Logf("the sampler's end line is missing (coldprof run stopped the runtime before the sampler wrote it)")
	default:
		t.Fatalf("sampler stopped by %v, want invoke_end", stop)
	}
	if cs.InitDurationMs == nil || cs.InitParts == nil {
		t.Fatalf("Init Duration %v, parts %+v", cs.InitDurationMs, cs.InitParts)
	}
	p := cs.InitParts
	total := p.InterpreterUs + p.RuntimeUs + p.ImportsUs + p.CodeUs + p.UnexplainedUs
	if initUs := int64(*cs.InitDurationMs*1000 + 0.5); total < initUs-1 || total > initUs+1 {
		t.Errorf("init parts add up to %d µs, Init Duration is %d µs", total, initUs)
	}
	if p.UnexplainedUs < 0 {
		t.Errorf("unexplained %d µs: negative", p.UnexplainedUs)
	} else if p.UnexplainedUs*100 >= total*15 {
		problems = append(problems, fmt.Sprintf("unexplained %d µs of %d µs (%.1f %%): want well under 15 %%", p.UnexplainedUs, total, 100*float64(p.UnexplainedUs)/float64(total)))
	}
	t.Logf("init %d µs: interpreter %d, runtime %d, imports %d, code %d, unexplained %d (%.1f %%)",
		total, p.InterpreterUs, p.RuntimeUs, p.ImportsUs, p.CodeUs, p.UnexplainedUs, 100*float64(p.UnexplainedUs)/float64(total))

	truths := realisticTruths(t, log)
	for _, step := range []string{"load_config", "create_clients"} {
		truth, ok := truths[step]
		if !ok {
			t.Fatalf("the log has no coldprof-truth line for %s", step)
		}
		want := truth.wallUs - importsAmong(cs.Imports, truth.modules)
		var got int64 = -1
		for _, f := range cs.Functions {
			if f.Name == step && f.Phase == "init" && strings.HasSuffix(f.File, "/orders.py") {
				got = f.TotalUs
			}
		}
		if got < 0 {
			t.Errorf("%s: not among the sampled init functions", step)
			continue
		}
		if want <= 0 {
			t.Errorf("%s: truth %d µs (%d µs wall less the imports it ran): not positive", step, want, truth.wallUs)
		} else if got < want*3/4 || got > want*5/4 {
			problems = append(problems, fmt.Sprintf("%s: %d µs sampled, truth %d µs (%d µs wall less the imports it ran): not within ±25 %%", step, got, want, truth.wallUs))
		}
		t.Logf("%s: %d µs sampled, truth %d µs (%+.1f %%)", step, got, want, 100*float64(got-want)/float64(want))
	}

	if len(cs.Invocations) == 0 || cs.Invocations[0].RequestID == "" {
		t.Fatalf("invocations %+v: want the first request's ID", cs.Invocations)
	}
	first := cs.Invocations[0].RequestID
	var pandas []realisticImport
	for _, e := range cs.Imports {
		if e.Name == "pandas" {
			pandas = append(pandas, e)
		}
	}
	if len(pandas) != 1 || pandas[0].Phase != "invoke" || pandas[0].RequestID != first {
		t.Errorf("pandas imports %+v: want one, in invoke, request %s", pandas, first)
	}
	lazy := false
	for _, f := range cs.Findings {
		lazy = lazy || f.ID == "invoke-imports" && f.RequestID == first
	}
	if !lazy {
		t.Errorf("findings %+v: want invoke-imports for request %s", cs.Findings, first)
	}
	return problems
}

// TestRealisticCapture checks the committed capture
// (testdata/functions/realistic/orders.log) and goldens its text report.
func TestRealisticCapture(t *testing.T) {
	logPath := filepath.Join(realisticDir, "orders.log")
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(strings.NewReader(""), &out, &errb, []string{"report", "--format", "json", logPath}); code != 0 {
		t.Fatalf("report exit %d: %s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("warnings: %s", errb.String())
	}
	for _, p := range checkRealistic(t, log, out.Bytes(), true) {
		t.Error(p) // a committed capture: no chance involved
	}

	out.Reset()
	if code := run(strings.NewReader(""), &out, &errb, []string{"report", "--arch", "x86_64", logPath}); code != 0 {
		t.Fatalf("report exit %d: %s", code, errb.String())
	}
	golden := filepath.Join(realisticDir, "orders.report.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the report of %s differs from %s (go test -run RealisticCapture -update rewrites it)", logPath, golden)
	}
}

// TestRealisticEndToEnd runs the realistic function under coldprof run
// with the real wrapper, its runtime-API proxy and the in-runtime sampler
// on Debian's /usr/bin/python3, and holds the fresh cold start to the same
// bar as the committed capture.
func TestRealisticEndToEnd(t *testing.T) {
	fullTier(t)
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3, numpy, requests, pandas").CombinedOutput(); err != nil {
		t.Fatalf("%s lacks Debian's python3-boto3/-numpy/-requests/-pandas (.ci/setup.d/10-debian.sh): %v\n%s", python, err, out)
	}
	root := t.TempDir()
	for _, name := range []string{"orders.py", "orders-config.json"} {
		data, err := os.ReadFile(filepath.Join(realisticDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Up to three cold starts for the timing bars: a cold start stalled by
	// other work on the machine says nothing about the report, while a
	// report that misattributes fails all three.
	var problems []string
	for attempt := 1; attempt <= 3; attempt++ {
		problems = realisticColdStart(t, python, root)
		if len(problems) == 0 {
			return
		}
		t.Logf("cold start %d of at most 3: %s", attempt, strings.Join(problems, "; "))
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// realisticColdStart runs the realistic function once under coldprof run
// and checks it; it returns checkRealistic's timing problems.
func realisticColdStart(t *testing.T, python, root string) []string {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "orders.log")
	args := append([]string{"run", "--handler", "orders.handler", "--runtime", "python3", "--python", python,
		"--task-root", root, "-n", "2", "--log", logPath, "--format", "json",
		"--timeout", "60s", "--init-timeout", "60s"}, realisticCredentials...) // hang guards: on a loaded machine init took 8.4 s here and pandas takes seconds
	var out, errb bytes.Buffer
	if code := run(strings.NewReader(""), &out, &errb, args); code != 0 {
		t.Fatalf("coldprof run exit %d: %s", code, errb.String())
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	return checkRealistic(t, log, out.Bytes(), false)
}
