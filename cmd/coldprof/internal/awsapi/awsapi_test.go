package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi/fakeaws"
	"github.com/coldprof/coldprof/parsers/envelope"
)

// trickyEnv holds values a careless read-modify-write would damage:
// quotes, backslashes, JSON-looking text, HTML characters (which some JSON
// encoders escape), non-ASCII, newlines, an empty value.
var trickyEnv = map[string]string{
	"DB_URL":     `postgres://u:p@h/db?x="1"&y=\n`,
	"GREETING":   "grüß dich 🚀",
	"JSON_BLOB":  `{"a": [1, 2], "b": "<c>"}`,
	"EMPTY":      "",
	"DOLLAR":     "$HOME `id`",
	"MULTI_LINE": "a\nb\r\n\tc",
	"HTML":       "<script>&amp;</script>",
}

func testConfig(t *testing.T) Settings {
	t.Helper()
	return Settings{MaxBackoff: time.Millisecond}
}

func load(t *testing.T, s Settings) (cfgRegion string, get func(string) (Function, error), apply func(Function, Change) (string, error)) {
	t.Helper()
	ctx := context.Background()
	cfg, err := LoadConfig(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Region,
		func(name string) (Function, error) { return GetFunction(ctx, cfg, name) },
		func(fn Function, c Change) (string, error) { return Apply(ctx, cfg, fn, c) }
}

func function(env map[string]string, layers ...string) map[string]any {
	var ls []any
	for _, l := range layers {
		ls = append(ls, map[string]any{"Arn": l, "CodeSize": 1000})
	}
	fn := map[string]any{
		"FunctionName": "my-fn", "FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:my-fn",
		"Runtime": "python3.12", "Handler": "app.handler", "PackageType": "Zip", "Architectures": []string{"x86_64"},
		"MemorySize": 512, "Timeout": 10, "RevisionId": "rev-0", "LastUpdateStatus": "Successful",
		"LoggingConfig": map[string]any{"LogFormat": "Text", "LogGroup": "/aws/lambda/my-fn"},
		"Layers":        ls,
	}
	if env != nil {
		fn["Environment"] = map[string]any{"Variables": env}
	}
	return fn
}

// serverEnv returns the function's variables as the server holds them.
func serverEnv(t *testing.T, s *fakeaws.Server) (map[string]string, []string) {
	t.Helper()
	s.Lock()
	defer s.Unlock()
	data, _ := json.Marshal(s.Functions["my-fn"])
	var fn struct {
		Environment struct{ Variables map[string]string }
		Layers      []struct{ Arn string }
	}
	if err := json.Unmarshal(data, &fn); err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range fn.Layers {
		layers = append(layers, l.Arn)
	}
	return fn.Environment.Variables, layers
}

func TestEnableDisableThroughTheSDK(t *testing.T) {
	s := fakeaws.New(t)
	original := map[string]string{WrapperVar: "/opt/otel-instrument"}
	for k, v := range trickyEnv {
		original[k] = v
	}
	s.Functions["my-fn"] = function(original, depsLayer, otelLayer)
	_, get, apply := load(t, testConfig(t))

	fn, err := get("my-fn")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(original, fn.Env); diff != "" {
		t.Fatalf("variables read (-want +got):\n%s", diff)
	}
	ch, err := PlanEnable(fn, coldprofLayer)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := apply(fn, ch)
	if err != nil {
		t.Fatal(err)
	}
	if rev == "" || rev == fn.RevisionID {
		t.Errorf("new revision %q", rev)
	}
	// The update was conditional on the revision read.
	var update struct {
		RevisionId  string
		Layers      []string
		Environment struct{ Variables map[string]string }
	}
	last := s.Requests[len(s.Requests)-1]
	if last.Method != "PUT" || json.Unmarshal(last.Body, &update) != nil || update.RevisionId != "rev-0" {
		t.Fatalf("update request %s %s %s: want a PUT with RevisionId rev-0", last.Method, last.Path, last.Body)
	}
	if !strings.Contains(last.Authorization, "/eu-west-1/lambda/aws4_request") {
		t.Errorf("request not signed for lambda in eu-west-1: %q", last.Authorization)
	}
	env, layers := serverEnv(t, s)
	for k, v := range original {
		if k != WrapperVar && env[k] != v {
			t.Errorf("%s = %q after enable, want %q byte for byte", k, env[k], v)
		}
	}
	if env[WrapperVar] != WrapperPath || env[NextWrapperVar] != "/opt/otel-instrument" || env[UndoVar] == "" {
		t.Errorf("after enable %s=%q %s=%q %s=%q", WrapperVar, env[WrapperVar], NextWrapperVar, env[NextWrapperVar], UndoVar, env[UndoVar])
	}
	if diff := cmp.Diff([]string{depsLayer, otelLayer, coldprofLayer}, layers); diff != "" {
		t.Errorf("layers after enable (-want +got):\n%s", diff)
	}

	// Lambda settles; disable reads the new revision and restores.
	s.Lock()
	s.Functions["my-fn"]["LastUpdateStatus"] = "Successful"
	s.Unlock()
	fn, err = get("my-fn")
	if err != nil {
		t.Fatal(err)
	}
	back, err := PlanDisable(fn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apply(fn, back); err != nil {
		t.Fatal(err)
	}
	env, layers = serverEnv(t, s)
	if diff := cmp.Diff(original, env); diff != "" {
		t.Errorf("variables after enable then disable (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{depsLayer, otelLayer}, layers); diff != "" {
		t.Errorf("layers after enable then disable (-want +got):\n%s", diff)
	}
}

func TestRevisionConflict(t *testing.T) {
	s := fakeaws.New(t)
	s.Functions["my-fn"] = function(map[string]string{"A": "1"})
	// Someone else updates the function between our read and our write.
	s.AfterGet = func(s *fakeaws.Server, name string) {
		s.Functions[name]["Environment"] = map[string]any{"Variables": map[string]string{"A": "1", "THEIRS": "kept"}}
		s.Functions[name]["RevisionId"] = s.NextRevision()
	}
	_, get, apply := load(t, testConfig(t))
	fn, err := get("my-fn")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := PlanEnable(fn, coldprofLayer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = apply(fn, ch)
	if err == nil || !strings.Contains(err.Error(), "changed while coldprof was updating it") {
		t.Fatalf("apply error %v, want the revision conflict explained", err)
	}
	env, _ := serverEnv(t, s)
	if env["THEIRS"] != "kept" || env[WrapperVar] != "" {
		t.Errorf("the concurrent change was overwritten: %v", env)
	}
}

func TestEnvironmentErrorRead(t *testing.T) {
	s := fakeaws.New(t)
	fn := function(nil)
	fn["Environment"] = map[string]any{"Error": map[string]any{"ErrorCode": "AccessDeniedException", "Message": "Lambda was unable to decrypt the environment variables"}}
	s.Functions["my-fn"] = fn
	_, get, _ := load(t, testConfig(t))
	got, err := get("my-fn")
	if err != nil {
		t.Fatal(err)
	}
	if got.EnvError != "AccessDeniedException: Lambda was unable to decrypt the environment variables" {
		t.Errorf("EnvError %q", got.EnvError)
	}
	if _, err := PlanEnable(got, coldprofLayer); err == nil {
		t.Error("PlanEnable accepted a function whose variables it cannot see")
	}
}

func TestThrottlingRetried(t *testing.T) {
	s := fakeaws.New(t)
	s.Functions["my-fn"] = function(nil)
	s.Throttle = 2
	_, get, _ := load(t, testConfig(t))
	if _, err := get("my-fn"); err != nil {
		t.Fatalf("two throttles then success: %v", err)
	}
	if len(s.Requests) != 3 {
		t.Errorf("%d requests, want 3 (two throttled, one answered)", len(s.Requests))
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, s *fakeaws.Server)
		fn    string
		want  string
		code  string // AWS's error code, for errors AWS answered
	}{
		{"not found", nil, "nope", "function nope not found in region eu-west-1", "ResourceNotFoundException"},
		{"access denied names the action", func(t *testing.T, s *fakeaws.Server) { s.Denied["lambda:GetFunctionConfiguration"] = true },
			"my-fn", "access denied: your AWS identity may not call lambda:GetFunctionConfiguration on function my-fn", "AccessDeniedException"},
		{"throttled past the retries", func(t *testing.T, s *fakeaws.Server) { s.Throttle = 100 },
			"my-fn", "AWS throttled lambda:GetFunctionConfiguration after 3 attempts", "TooManyRequestsException"},
		{"no credentials", func(t *testing.T, s *fakeaws.Server) {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		}, "my-fn", "no AWS credentials found", ""},
		{"wrong region name", func(t *testing.T, s *fakeaws.Server) {
			t.Setenv("AWS_ENDPOINT_URL", "")
			t.Setenv("AWS_REGION", "eu-nowhere-9.invalid")
		}, "my-fn", `cannot resolve lambda.eu-nowhere-9.invalid.amazonaws.com: is region "eu-nowhere-9.invalid" right?`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeaws.New(t)
			s.Functions["my-fn"] = function(nil)
			if tt.setup != nil {
				tt.setup(t, s)
			}
			_, get, _ := load(t, testConfig(t))
			_, err := get(tt.fn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant one containing %q", err, tt.want)
			}
			var explained *Error
			if tt.code != "" && (!errors.As(err, &explained) || explained.Code != tt.code) {
				t.Errorf("error %#v, want an *Error with code %s", err, tt.code)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestNoRegion(t *testing.T) {
	fakeaws.New(t)
	t.Setenv("AWS_REGION", "")
	_, err := LoadConfig(context.Background(), Settings{})
	if err != ErrNoRegion {
		t.Errorf("LoadConfig without a region: %v, want ErrNoRegion", err)
	}
	cfg, err := LoadConfig(context.Background(), Settings{Region: "us-east-2"})
	if err != nil || cfg.Region != "us-east-2" {
		t.Errorf("--region: %v %v", cfg.Region, err)
	}
}

func TestServiceSpecificEndpoint(t *testing.T) {
	s := fakeaws.New(t)
	s.Functions["my-fn"] = function(nil)
	// The generic endpoint goes nowhere; Lambda's own variable wins.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", s.URL)
	_, get, _ := load(t, testConfig(t))
	if _, err := get("my-fn"); err != nil {
		t.Fatalf("with AWS_ENDPOINT_URL_LAMBDA: %v", err)
	}
}

func TestProfileEndpointURL(t *testing.T) {
	s := fakeaws.New(t)
	s.Functions["my-fn"] = function(nil)
	dir := t.TempDir()
	config := dir + "/config"
	writeFile(t, config, "[profile local]\nregion = ap-south-1\nendpoint_url = "+s.URL+"\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n")
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_REGION", "")
	region, get, _ := load(t, Settings{Profile: "local", MaxBackoff: time.Millisecond})
	if region != "ap-south-1" {
		t.Errorf("region %q from the profile", region)
	}
	if _, err := get("my-fn"); err != nil {
		t.Fatalf("with the profile's endpoint_url: %v", err)
	}
	if auth := s.Requests[len(s.Requests)-1].Authorization; !strings.Contains(auth, "Credential=AKIDPROFILE/") || !strings.Contains(auth, "/ap-south-1/lambda/") {
		t.Errorf("signed with %q, want the profile's key and region", auth)
	}
}

func TestFetchLogsPages(t *testing.T) {
	s := fakeaws.New(t)
	const group = "/aws/lambda/my-fn"
	stream := "2026/11/22/[$LATEST]0123456789abcdef"
	var want []string
	var pages [][]map[string]any
	for p := 0; p < 4; p++ {
		var page []map[string]any
		for i := 0; i < 3 && p != 2; i++ { // page 2 is empty, as FilterLogEvents pages can be
			msg := fmt.Sprintf("import time: %9d | %10d | mod_%d_%d\n", 10*p+i, 10*p+i, p, i)
			page = append(page, map[string]any{"logStreamName": stream, "timestamp": 1763800000000 + int64(10*p+i),
				"message": msg, "ingestionTime": 1763800000500, "eventId": fmt.Sprint(p*10 + i)})
			want = append(want, strings.TrimSuffix(msg, "\n"))
		}
		pages = append(pages, page)
	}
	s.LogPages[group] = pages
	s.Throttle = 2 // the first two calls are throttled and retried

	cfg, err := LoadConfig(context.Background(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var progress []LogStats
	start := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	stats, err := FetchLogs(context.Background(), cfg, LogQuery{Group: group, Start: start, End: start.Add(time.Hour), Filter: `"import time"`}, &out,
		func(st LogStats) { progress = append(progress, st) })
	if err != nil {
		t.Fatal(err)
	}
	if stats != (LogStats{Pages: 4, Events: 9}) || len(progress) != 4 {
		t.Errorf("stats %+v after %d progress calls, want 4 pages, 9 events", stats, len(progress))
	}
	var tokens []string
	for _, r := range s.Requests {
		var in struct {
			NextToken     string `json:"nextToken"`
			StartTime     int64  `json:"startTime"`
			EndTime       int64  `json:"endTime"`
			FilterPattern string `json:"filterPattern"`
		}
		json.Unmarshal(r.Body, &in)
		tokens = append(tokens, in.NextToken)
		if in.StartTime != start.UnixMilli() || in.EndTime != start.Add(time.Hour).UnixMilli() || in.FilterPattern != `"import time"` {
			t.Errorf("request %s: wrong time range or filter", r.Body)
		}
		if !strings.Contains(r.Authorization, "/eu-west-1/logs/aws4_request") {
			t.Errorf("request not signed for logs: %q", r.Authorization)
		}
	}
	if diff := cmp.Diff([]string{"", "", "", "token-1", "token-2", "token-3"}, tokens); diff != "" {
		t.Errorf("nextToken per request (-want +got):\n%s", diff)
	}

	// What FetchLogs wrote reads back through coldprof's own decoder for
	// `aws logs filter-log-events` output, stream names and times intact.
	dec, err := envelope.Open(&out, "saved.json", envelope.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Stream != stream || rec.TimeUs < 1763800000000*1000 {
			t.Errorf("record stream %q time %d", rec.Stream, rec.TimeUs)
		}
		got = append(got, string(rec.Text))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events read back (-want +got):\n%s", diff)
	}
}

func TestFetchLogsErrors(t *testing.T) {
	s := fakeaws.New(t)
	cfg, err := LoadConfig(context.Background(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = FetchLogs(context.Background(), cfg, LogQuery{Group: "/aws/lambda/none", Start: time.Now()}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "log group /aws/lambda/none not found in region eu-west-1") {
		t.Errorf("missing group: %v", err)
	}
	s.LogPages["/aws/lambda/x"] = nil
	s.Denied["logs:FilterLogEvents"] = true
	_, err = FetchLogs(context.Background(), cfg, LogQuery{Group: "/aws/lambda/x", Start: time.Now()}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "may not call logs:FilterLogEvents on log group /aws/lambda/x") {
		t.Errorf("access denied: %v", err)
	}
}

func TestExplainAccessDeniedNamesTheRefusedAction(t *testing.T) {
	op := Op{Action: "lambda:UpdateFunctionConfiguration", Resource: "function my-fn", Region: "eu-west-1"}
	tests := []struct {
		msg  string
		want string
	}{
		{"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:1",
			"may not call lambda:GetLayerVersion on the resource it names (function my-fn or its layers)"},
		{"User: x is not authorized to perform: lambda:UpdateFunctionConfiguration on resource: y",
			"may not call lambda:UpdateFunctionConfiguration on function my-fn"},
		{"Access denied", "may not call lambda:UpdateFunctionConfiguration on function my-fn"},
		{"perform: nonsense", "may not call lambda:UpdateFunctionConfiguration on function my-fn"},
	}
	for _, tt := range tests {
		err := Explain(&smithy.GenericAPIError{Code: "AccessDeniedException", Message: tt.msg}, op)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Explain(%q) = %v, want %q", tt.msg, err, tt.want)
		}
	}
}
