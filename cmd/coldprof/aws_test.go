package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi/fakeaws"
	"github.com/coldprof/coldprof/report"
)

const testLayer = "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:3"

func fakeFunction(runtime string, env map[string]string, layers ...string) map[string]any {
	var ls []any
	for _, l := range layers {
		ls = append(ls, map[string]any{"Arn": l, "CodeSize": 1000})
	}
	return map[string]any{
		"FunctionName": "my-fn", "Runtime": runtime, "PackageType": "Zip", "Architectures": []string{"x86_64"},
		"RevisionId": "rev-0", "LastUpdateStatus": "Successful", "Layers": ls,
		"Environment":   map[string]any{"Variables": env},
		"LoggingConfig": map[string]any{"LogFormat": "Text", "LogGroup": "/aws/lambda/my-fn"},
	}
}

// runCLI runs coldprof in-process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(strings.NewReader(""), &out, &errOut, args)
	return code, out.String(), errOut.String()
}

func init() {
	// Throttling tests should not wait the SDK's real back-off.
	testOnlyMaxBackoff = time.Millisecond
}

func puts(s *fakeaws.Server) int {
	s.Lock()
	defer s.Unlock()
	n := 0
	for _, r := range s.Requests {
		if r.Method == "PUT" {
			n++
		}
	}
	return n
}

func TestEnableDisableCommands(t *testing.T) {
	s := fakeaws.New(t)
	original := map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/datadog_wrapper", "DD_API_KEY": "secret-value", "Q": `"quoted" \ <b>`}
	s.Lock() // the server reads these on its own goroutine
	s.Functions["my-fn"] = fakeFunction("java17", original, "arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Extension:65")
	s.Unlock()

	code, stdout, stderr := runCLI(t, "enable", "--function", "my-fn", "--layer", testLayer, "--dry-run")
	if code != 0 {
		t.Fatalf("enable --dry-run: exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{
		"enable my-fn (region eu-west-1, revision rev-0)\n",
		"  + " + testLayer + "\n",
		"  ~ AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper (was /opt/datadog_wrapper)\n",
		"  + COLDPROF_NEXT_WRAPPER=/opt/datadog_wrapper\n",
		"environment (2 other variables unchanged):\n",
		"dry run: nothing changed\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "secret-value") {
		t.Error("dry run printed an unchanged variable's value")
	}
	if puts(s) != 0 {
		t.Fatal("--dry-run updated the function")
	}

	code, stdout, stderr = runCLI(t, "enable", "--function", "my-fn", "--layer", testLayer)
	if code != 0 || !strings.Contains(stdout, "updated to revision rev-1") || !strings.Contains(stdout, "coldprof logs --function my-fn") {
		t.Fatalf("enable: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "enable", "--function", "my-fn", "--layer", testLayer)
	if code != 1 || !strings.Contains(stderr, "coldprof: my-fn: an update of the function is in progress") {
		t.Errorf("enable during the update: exit %d, stderr %q", code, stderr)
	}
	s.Lock()
	s.Functions["my-fn"]["LastUpdateStatus"] = "Successful"
	s.Unlock()
	code, _, stderr = runCLI(t, "enable", "--function", "my-fn")
	if code != 1 || !strings.Contains(stderr, "already enabled") {
		t.Errorf("enable twice: exit %d, stderr %q", code, stderr)
	}

	code, stdout, stderr = runCLI(t, "disable", "--function", "my-fn")
	if code != 0 || !strings.Contains(stdout, "  - "+testLayer+"\n") {
		t.Fatalf("disable: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	s.Lock()
	got := s.Functions["my-fn"]["Environment"].(map[string]any)["Variables"]
	layers := s.Functions["my-fn"]["Layers"]
	s.Unlock()
	if diff := cmp.Diff(original, got); diff != "" {
		t.Errorf("variables after enable then disable (-want +got):\n%s", diff)
	}
	if ls, _ := json.Marshal(layers); !strings.Contains(string(ls), "Datadog-Extension:65") || strings.Contains(string(ls), "coldprof") {
		t.Errorf("layers after disable: %s", ls)
	}
}

func TestAWSCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   map[string]any
		args []string
		code int
		want string
	}{
		{"enable without --function", nil, []string{"enable"}, 2, "enable: --function NAME is required"},
		{"disable with an argument", nil, []string{"disable", "--function", "f", "x"}, 2, "disable takes no arguments"},
		{"provided runtime refused", fakeFunction("provided.al2023", nil), []string{"enable", "--function", "my-fn", "--layer", testLayer},
			1, "coldprof: my-fn: runtime provided.al2023 ignores AWS_LAMBDA_EXEC_WRAPPER"},
		{"not found", nil, []string{"enable", "--function", "other", "--layer", testLayer}, 1, "coldprof: function other not found in region eu-west-1"},
		{"disable when not enabled", fakeFunction("python3.12", nil), []string{"disable", "--function", "my-fn"}, 1, "not enabled by coldprof enable"},
		{"logs without a source", nil, []string{"logs"}, 2, "give --function NAME or --log-group GROUP"},
		{"logs with both", nil, []string{"logs", "--function", "f", "--log-group", "g"}, 2, "one of them"},
		{"logs bad since", nil, []string{"logs", "--log-group", "g", "--since", "yesterday"}, 2, `--since: "yesterday" is neither a duration`},
		{"logs until before since", nil, []string{"logs", "--log-group", "g", "--since", "2026-11-22", "--until", "2026-11-21"}, 2, "is not after --since"},
		{"logs save and format", nil, []string{"logs", "--log-group", "g", "--save", "x.json", "--format", "json"}, 2, "choose one"},
		{"logs missing group", nil, []string{"logs", "--log-group", "/aws/lambda/none"}, 1, "log group /aws/lambda/none not found in region eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeaws.New(t)
			if tt.fn != nil {
				s.Lock() // the server reads these on its own goroutine
				s.Functions["my-fn"] = tt.fn
				s.Unlock()
			}
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if puts(s) != 0 {
				t.Error("the function was updated")
			}
		})
	}
}

// exportPages splits a filter-log-events export into pages of n events.
func exportPages(t *testing.T, file string, n int) [][]map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The export may hold several pages one after another, as the CLI prints them.
	var events []map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var page struct{ Events []map[string]any }
		if err := dec.Decode(&page); err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	var pages [][]map[string]any
	for len(events) > 0 {
		k := min(n, len(events))
		pages = append(pages, events[:k])
		events = events[k:]
	}
	return pages
}

// coldStartsJSON returns a JSON report's coldStarts, re-encoded compactly
// (comparing the decoded trees with cmp takes seconds; the strings do not).
func coldStartsJSON(t *testing.T, report string) string {
	t.Helper()
	var v struct{ ColdStarts json.RawMessage }
	if err := json.Unmarshal([]byte(report), &v); err != nil {
		t.Fatalf("report %q: %v", report, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v.ColdStarts); err != nil || b.Len() < 100 {
		t.Fatalf("coldStarts %q: %v", v.ColdStarts, err)
	}
	return b.String()
}

func TestLogsCommand(t *testing.T) {
	const export = "../../testdata/exports/filter-log-events.json"
	code, want, stderr := runCLI(t, "report", "--format", "json", export)
	if code != 0 {
		t.Fatalf("report of the export: exit %d: %s", code, stderr)
	}
	s := fakeaws.New(t)
	// The function logs to a custom group, which --function must find.
	fn := fakeFunction("python3.12", nil)
	fn["LoggingConfig"] = map[string]any{"LogFormat": "Text", "LogGroup": "/custom/my-fn"}
	s.Lock() // the server reads these on its own goroutine
	s.Functions["my-fn"] = fn
	s.Unlock()
	pages := exportPages(t, export, 25)
	if len(pages) < 3 {
		t.Fatalf("only %d pages: the test needs several", len(pages))
	}
	s.Lock() // the server reads these on its own goroutine
	s.LogPages["/custom/my-fn"] = pages
	s.Throttle = 1 // the first call (GetFunctionConfiguration) is throttled and retried
	s.Unlock()

	code, got, stderr := runCLI(t, "logs", "--function", "my-fn", "--since", "2026-11-22T00:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("logs: exit %d: %s", code, stderr)
	}
	if coldStartsJSON(t, want) != coldStartsJSON(t, got) {
		t.Errorf("logs --format json differs from report of the same events:\n%s\n%s", want, got)
	}
	if !strings.Contains(stderr, "read ") || !strings.Contains(stderr, " pages from /custom/my-fn (since 2026-11-22T00:00:00Z)") {
		t.Errorf("no progress summary on stderr: %q", stderr)
	}

	// --save writes the events; coldprof report reads them back the same.
	saved := filepath.Join(t.TempDir(), "cold.json")
	code, stdout, stderr := runCLI(t, "logs", "--log-group", "/custom/my-fn", "--since", "2h", "--save", saved)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "coldprof report "+saved) {
		t.Fatalf("logs --save: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, again, stderr := runCLI(t, "report", "--format", "json", saved)
	if code != 0 {
		t.Fatalf("report of the saved events: exit %d: %s", code, stderr)
	}
	if coldStartsJSON(t, want) != coldStartsJSON(t, again) {
		t.Errorf("report of --save output differs from the original's:\n%s\n%s", want, again)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(saved), ".coldprof-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestLogsNoColdStart(t *testing.T) {
	s := fakeaws.New(t)
	s.Lock() // the server reads these on its own goroutine
	s.LogPages["/aws/lambda/quiet"] = [][]map[string]any{{{"logStreamName": "s", "timestamp": 1, "message": "hello\n"}}}
	s.Unlock()
	code, stdout, stderr := runCLI(t, "logs", "--log-group", "/aws/lambda/quiet")
	if code != 1 || !strings.Contains(stderr, "no cold start in /aws/lambda/quiet since ") || stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

// TestLogsCommandJava checks that coldprof logs reads what coldprof report
// reads: the JVM's class-load log too, not only the built-in lines.
func TestLogsCommandJava(t *testing.T) {
	data, err := os.ReadFile("../../testdata/java/jdk17-default-decorators.log")
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if line != "" {
			events = append(events, map[string]any{"logStreamName": "java-stream", "timestamp": 1000 + i, "message": line})
		}
	}
	s := fakeaws.New(t)
	s.Lock() // the server reads these on its own goroutine
	s.LogPages["/aws/lambda/java-fn"] = [][]map[string]any{events}
	s.Unlock()
	code, stdout, stderr := runCLI(t, "logs", "--log-group", "/aws/lambda/java-fn", "--format", "json")
	if code != 0 {
		t.Fatalf("logs: exit %d: %s", code, stderr)
	}
	var rep report.JSONReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.ColdStarts) != 1 || rep.ColdStarts[0].Format != "java-classload" || len(rep.ColdStarts[0].Imports) == 0 {
		t.Errorf("want one java-classload cold start with classes; got %+v", rep.ColdStarts)
	}
}

func TestUndoVariableName(t *testing.T) {
	if awsapi.UndoVar != "COLDPROF_UNDO" {
		t.Errorf("UndoVar = %s", awsapi.UndoVar)
	}
}

// TestAttachScriptMatchesEnable runs layer/examples/cli/attach.sh with the
// real AWS CLI and jq against the fake Lambda server, and coldprof enable on
// an identical function: both must leave the same layers and variables
// (enable also leaves its COLDPROF_UNDO record).
func TestAttachScriptMatchesEnable(t *testing.T) {
	fullTier(t)
	for _, tool := range []string{"aws", "jq", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed", tool)
		}
	}
	if err := exec.Command("aws", "--version").Run(); err != nil {
		t.Fatalf("the aws CLI does not run: %v", err)
	}
	s := fakeaws.New(t)
	s.Lock() // the server reads these on its own goroutine
	s.Settled = true
	s.Unlock()
	env := map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument", "Q": `"quoted" \ <b> grüß`, "EMPTY": ""}
	layers := []string{"arn:aws:lambda:eu-west-1:123456789012:layer:deps:3", "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:2"}
	s.Lock() // the server reads these on its own goroutine
	s.Functions["by-script"] = fakeFunction("python3.12", env, layers...)
	s.Functions["by-enable"] = fakeFunction("python3.12", env, layers...)
	s.Unlock()

	script, err := filepath.Abs("../../layer/examples/cli/attach.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script, "by-script", testLayer)
	cmd.Dir = t.TempDir()
	// The CLI reads an empty AWS_PROFILE as a profile named "": drop the
	// variables the fake server blanked.
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "AWS_") || v != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_DEFAULT_REGION=eu-west-1") // AWS CLI v1 does not read AWS_REGION
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("attach.sh with the real aws CLI: %v\n%s", err, out)
	}
	if code, _, stderr := runCLI(t, "enable", "--function", "by-enable", "--layer", testLayer); code != 0 {
		t.Fatalf("enable: %s", stderr)
	}
	s.Lock()
	defer s.Unlock()
	byScript, _ := json.Marshal([]any{s.Functions["by-script"]["Environment"], s.Functions["by-script"]["Layers"]})
	enabled := s.Functions["by-enable"]["Environment"].(map[string]any)["Variables"].(map[string]string)
	if enabled[awsapi.UndoVar] == "" {
		t.Fatal("enable left no undo record")
	}
	delete(enabled, awsapi.UndoVar)
	byEnable, _ := json.Marshal([]any{s.Functions["by-enable"]["Environment"], s.Functions["by-enable"]["Layers"]})
	if string(byScript) != string(byEnable) {
		t.Errorf("attach.sh and coldprof enable differ:\nscript %s\nenable %s", byScript, byEnable)
	}
	wantLayers := `[{"Arn":"arn:aws:lambda:eu-west-1:123456789012:layer:deps:3","CodeSize":1000},{"Arn":"` + testLayer + `","CodeSize":1000}]`
	if !strings.HasSuffix(string(byScript), ","+wantLayers+"]") || !strings.Contains(string(byScript), `"COLDPROF_NEXT_WRAPPER":"/opt/otel-instrument"`) {
		t.Errorf("attach.sh left %s; want the older coldprof layer replaced in place and the wrapper chained", byScript)
	}
}

func TestLogsSaveFailure(t *testing.T) {
	s := fakeaws.New(t)
	s.Lock() // the server reads these on its own goroutine
	s.LogPages["/aws/lambda/my-fn"] = exportPages(t, "../../testdata/exports/filter-log-events.json", 25)
	s.Unlock()
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "cold.json")
	code, stdout, stderr := runCLI(t, "logs", "--log-group", "/aws/lambda/my-fn", "--save", missing)
	if code != 1 || !strings.Contains(stderr, "no such file or directory") || strings.Contains(stderr, "stopped reading") || stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q; want the file error", code, stdout, stderr)
	}
}

// TestEnableLostResponse: the update is applied but its response is lost;
// the SDK's retry carries the old revision ID and gets 412. coldprof reads
// the function again: its own change is in place, so enable succeeds (it
// said "nothing was changed: run the command again"). When someone else
// changed the function in between, it says what state the function is in.
func TestEnableLostResponse(t *testing.T) {
	s := fakeaws.New(t)
	s.Lock()
	s.Functions["my-fn"] = fakeFunction("python3.12", map[string]string{"A": "1"})
	s.Functions["my-fn"]["LastUpdateStatus"] = "Successful"
	s.LoseUpdates = 1
	s.Unlock()
	code, stdout, stderr := runCLI(t, "enable", "--function", "my-fn", "--layer", testLayer)
	if code != 0 || !strings.Contains(stdout, "updated to revision rev-1") {
		t.Errorf("enable with a lost response: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	s.Lock()
	puts, env := 0, s.Functions["my-fn"]["Environment"].(map[string]any)["Variables"].(map[string]string)
	for _, r := range s.Requests {
		if r.Method == "PUT" {
			puts++
		}
	}
	s.Functions["my-fn"]["LastUpdateStatus"] = "Successful"
	s.Unlock()
	if puts < 2 || env["AWS_LAMBDA_EXEC_WRAPPER"] != "/opt/coldprof-wrapper" {
		t.Errorf("%d updates (want the lost one and the SDK's retry), wrapper %q", puts, env["AWS_LAMBDA_EXEC_WRAPPER"])
	}

	// Someone else's change lands between the lost response and the retry.
	s.Lock()
	s.LoseUpdates = 1
	s.AfterLostUpdate = func(s *fakeaws.Server, name string) {
		s.Functions[name]["Environment"] = map[string]any{"Variables": map[string]string{"A": "2"}}
		s.Functions[name]["Layers"] = []any{}
		s.Functions[name]["RevisionId"] = s.NextRevision()
	}
	s.Unlock()
	code, _, stderr = runCLI(t, "disable", "--function", "my-fn")
	if code != 1 || !strings.Contains(stderr, "does not have coldprof's change: it is at revision rev-3 with layers (none) and AWS_LAMBDA_EXEC_WRAPPER unset; run the command again") {
		t.Errorf("disable after someone else's change: exit %d, stderr %q", code, stderr)
	}
}

// TestLogsUnreachableGivesUpAsEnableDoes: logs is patient with throttling
// (10 tries) but not with an endpoint that drops every connection: it
// makes no more tries than enable (the SDK's 3), counted at the endpoint.
// It once retried ten times with back-off, silent for about two minutes.
func TestLogsUnreachableGivesUpAsEnableDoes(t *testing.T) {
	fakeaws.New(t) // the environment: static credentials, a region
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close() // no answer: the client sees the connection end
		}
	}()
	t.Setenv("AWS_ENDPOINT_URL", "http://"+ln.Addr().String())
	tries := func(args ...string) int32 {
		accepted.Store(0)
		code, _, stderr := runCLI(t, args...)
		if code != 1 || strings.Contains(stderr, "WARN") {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, stderr)
		}
		return accepted.Load()
	}
	enable := tries("enable", "--function", "my-fn", "--layer", testLayer)
	logs := tries("logs", "--log-group", "/aws/lambda/my-fn", "--since", "1h")
	if enable == 0 || logs > enable {
		t.Errorf("logs tried %d connections, enable %d: want logs no more than enable", logs, enable)
	}
}

// TestSDKLogsStayOffStderr: with no credentials the SDK tries the EC2
// instance metadata service; one that refuses IMDSv2 tokens made the SDK
// print "WARN falling back to IMDSv1" on coldprof's stderr.
func TestSDKLogsStayOffStderr(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden) // no IMDSv2 token
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	fakeaws.New(t)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "false",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": ""} {
		t.Setenv(k, v)
	}
	code, _, stderr := runCLI(t, "logs", "--log-group", "/aws/lambda/my-fn", "--since", "1h")
	if code != 1 || strings.Contains(stderr, "WARN") || strings.Contains(stderr, "IMDSv1") || !strings.Contains(stderr, "no AWS credentials found") {
		t.Errorf("exit %d, stderr %q; want exit 1, the credentials explanation and no SDK log lines", code, stderr)
	}
}
