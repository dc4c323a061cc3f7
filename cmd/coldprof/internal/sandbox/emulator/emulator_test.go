package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/runtimeapi"
)

// syncBuffer is a log the emulator and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSuffix(s.b.String(), "\n"), "\n")
}

func start(t *testing.T, cfg Config) (*Emulator, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cfg.Log = log
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, log
}

func url(e *Emulator, path string) string {
	return "http://" + e.Addr() + "/2018-06-01/runtime/" + path
}

type reply struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, method, u string, header http.Header, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// invokeAsync runs Invoke in the background.
func invokeAsync(e *Emulator, ev Event) <-chan Result {
	ch := make(chan Result, 1)
	go func() {
		r, _ := e.Invoke(context.Background(), ev)
		ch <- r
	}()
	return ch
}

func TestInvocationCycle(t *testing.T) {
	e, log := start(t, Config{FunctionName: "fn", MemoryMB: 512, Region: "eu-west-1", Timeout: 5 * time.Second})
	e.BeginInit()
	res := invokeAsync(e, Event{Payload: []byte(`{"n":1}`), ClientContext: "cc", CognitoIdentity: "ci"})

	before := time.Now()
	next := do(t, "GET", url(e, "invocation/next"), nil, "")
	if next.code != 200 || next.body != `{"n":1}` {
		t.Fatalf("next = %d %q", next.code, next.body)
	}
	if err := e.WaitInit(context.Background()); err != nil {
		t.Fatalf("WaitInit: %v", err)
	}
	id := next.header.Get(runtimeapi.HeaderRequestID)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("request ID %q is not a UUID v4", id)
	}
	for h, want := range map[string]string{
		runtimeapi.HeaderInvokedFunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:fn",
		runtimeapi.HeaderClientContext:      "cc",
		runtimeapi.HeaderCognitoIdentity:    "ci",
		"Content-Type":                      "application/json",
	} {
		if got := next.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if tr := next.header.Get(runtimeapi.HeaderTraceID); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(tr) {
		t.Errorf("trace ID %q", tr)
	}
	deadline, err := strconv.ParseInt(next.header.Get(runtimeapi.HeaderDeadlineMs), 10, 64)
	if err != nil || deadline < before.Add(4*time.Second).UnixMilli() || deadline > time.Now().Add(5*time.Second).UnixMilli() {
		t.Errorf("deadline %q not about 5 s from now", next.header.Get(runtimeapi.HeaderDeadlineMs))
	}

	post := do(t, "POST", url(e, "invocation/"+id+"/response"), nil, `"ok"`)
	if post.code != 202 || post.body != `{"status":"OK"}` {
		t.Errorf("response = %d %s", post.code, post.body)
	}
	r := <-res
	if r.Status != StatusSuccess || string(r.Payload) != `"ok"` || r.RequestID != id {
		t.Errorf("result = %+v", r)
	}

	// A second invocation: REPORT has no Init Duration.
	res = invokeAsync(e, Event{Payload: []byte(`{}`)})
	next = do(t, "GET", url(e, "invocation/next"), nil, "")
	if next.header.Get(runtimeapi.HeaderClientContext) != "" || next.header.Get(runtimeapi.HeaderCognitoIdentity) != "" {
		t.Errorf("empty client context / cognito identity sent as headers: %v", next.header)
	}
	id2 := next.header.Get(runtimeapi.HeaderRequestID)
	post = do(t, "POST", url(e, "invocation/"+id2+"/error"), http.Header{runtimeapi.HeaderFunctionErrorType: {"Unhandled"}},
		`{"errorMessage":"boom","errorType":"ValueError","stackTrace":[]}`)
	if post.code != 202 {
		t.Errorf("error post = %d %s", post.code, post.body)
	}
	if r := <-res; r.Status != StatusError || r.ErrorType != "Unhandled" {
		t.Errorf("error result = %+v", r)
	}

	got := log.lines()
	want := []string{
		`^INIT_START Runtime Version: provided:local\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:[0-9a-f]{64}$`,
		`^START RequestId: ` + id + ` Version: \$LATEST$`,
		`^END RequestId: ` + id + `$`,
		`^REPORT RequestId: ` + id + `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: 0 MB\tInit Duration: \d+\.\d\d ms$`,
		`^START RequestId: ` + id2 + ` Version: \$LATEST$`,
		`^END RequestId: ` + id2 + `$`,
		`^REPORT RequestId: ` + id2 + `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: 0 MB$`,
	}
	matchLines(t, want, got)
}

func matchLines(t *testing.T, want, got []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("log has %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !regexp.MustCompile(want[i]).MatchString(got[i]) {
			t.Errorf("line %d = %q, want match for %q", i+1, got[i], want[i])
		}
	}
}

func TestAPIErrors(t *testing.T) {
	e, _ := start(t, Config{Timeout: 5 * time.Second})
	e.BeginInit()
	forbidden := func(from, to string) string {
		return `{"errorMessage":"State transition from ` + from + ` to ` + to +
			` failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}`
	}
	invalidID := `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`

	// Before the first next, no invocation can be answered.
	if r := do(t, "POST", url(e, "invocation/abc/response"), nil, "{}"); r.code != 403 || r.body != forbidden("Started", "InvocationResponse") {
		t.Errorf("response before next = %d %s", r.code, r.body)
	}
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	next := do(t, "GET", url(e, "invocation/next"), nil, "")
	id := next.header.Get(runtimeapi.HeaderRequestID)

	cases := []struct {
		name, method, path string
		code               int
		body               string
	}{
		{"unknown request ID", "POST", "invocation/not-" + id + "/response", 400, invalidID},
		{"unknown request ID on error", "POST", "invocation/nope/error", 400, invalidID},
		{"init error after init", "POST", "init/error", 403, forbidden("Running", "InitError")},
		{"wrong method on next", "POST", "invocation/next", 405, "method not allowed\n"},
		{"unknown path", "GET", "invocation/" + id + "/other", 404, "404 page not found\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := do(t, c.method, url(e, c.path), nil, "{}"); r.code != c.code || r.body != c.body {
				t.Errorf("%s %s = %d %q, want %d %q", c.method, c.path, r.code, r.body, c.code, c.body)
			}
		})
	}
	if r := do(t, "POST", url(e, "invocation/"+id+"/response"), http.Header{runtimeapi.HeaderResponseMode: {"bogus"}}, "{}"); r.code != 400 ||
		!strings.Contains(r.body, "InvalidFunctionResponseMode") {
		t.Errorf("bad response mode = %d %s", r.code, r.body)
	}
	if r := do(t, "POST", url(e, "invocation/"+id+"/response"), nil, "1"); r.code != 202 {
		t.Fatalf("response = %d %s", r.code, r.body)
	}
	if r := do(t, "POST", url(e, "invocation/"+id+"/response"), nil, "2"); r.code != 403 || r.body != forbidden("RuntimeResponseSentState", "InvocationResponse") {
		t.Errorf("double response = %d %s", r.code, r.body)
	}
	if r := do(t, "POST", url(e, "invocation/"+id+"/error"), nil, "{}"); r.code != 403 {
		t.Errorf("error after response = %d %s", r.code, r.body)
	}
	if got := e.Rejected(); len(got) < 2 || got[1] != "POST /2018-06-01/runtime/invocation/not-"+id+"/response: 400 InvalidRequestID" {
		t.Errorf("Rejected = %q", got)
	}
	if r := <-res; string(r.Payload) != "1" {
		t.Errorf("payload = %q, want the first response", r.Payload)
	}
}

func TestStreamingResponse(t *testing.T) {
	e, _ := start(t, Config{Timeout: 5 * time.Second})
	e.BeginInit()
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	id := do(t, "GET", url(e, "invocation/next"), nil, "").header.Get(runtimeapi.HeaderRequestID)

	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 3; i++ {
			pw.Write([]byte("chunk" + strconv.Itoa(i) + ";"))
			time.Sleep(5 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", url(e, "invocation/"+id+"/response"), pr)
	req.Header.Set(runtimeapi.HeaderResponseMode, "streaming")
	req.Trailer = http.Header{runtimeapi.HeaderFunctionErrorType: nil}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("streamed response = %d", resp.StatusCode)
	}
	if r := <-res; r.Status != StatusSuccess || string(r.Payload) != "chunk0;chunk1;chunk2;" {
		t.Errorf("result = %+v", r)
	}
}

func TestStreamingErrorTrailer(t *testing.T) {
	e, _ := start(t, Config{Timeout: 5 * time.Second})
	e.BeginInit()
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	id := do(t, "GET", url(e, "invocation/next"), nil, "").header.Get(runtimeapi.HeaderRequestID)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url(e, "invocation/"+id+"/response"), pr)
	req.Header.Set(runtimeapi.HeaderResponseMode, "streaming")
	req.Trailer = http.Header{runtimeapi.HeaderFunctionErrorType: nil, runtimeapi.HeaderFunctionErrorBody: nil}
	go func() {
		pw.Write([]byte("part"))
		req.Trailer.Set(runtimeapi.HeaderFunctionErrorType, "Runtime.StreamError")
		req.Trailer.Set(runtimeapi.HeaderFunctionErrorBody, base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"cut"}`)))
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := <-res; r.Status != StatusError || r.ErrorType != "Runtime.StreamError" || string(r.Payload) != `{"errorMessage":"cut"}` {
		t.Errorf("result = %+v", r)
	}
}

func TestInitError(t *testing.T) {
	e, log := start(t, Config{})
	e.BeginInit()
	body := `{"errorMessage":"Unable to import module 'app': No module named 'x'","errorType":"Runtime.ImportModuleError","stackTrace":[]}`
	if r := do(t, "POST", url(e, "init/error"), http.Header{runtimeapi.HeaderFunctionErrorType: {"Runtime.ImportModuleError"}}, body); r.code != 202 {
		t.Fatalf("init error = %d %s", r.code, r.body)
	}
	err := e.WaitInit(context.Background())
	ie, ok := err.(*InitError)
	if !ok || ie.Status != "error" || ie.ErrorType != "Runtime.ImportModuleError" || string(ie.Body) != body {
		t.Fatalf("WaitInit = %v", err)
	}
	if !strings.Contains(err.Error(), "No module named 'x'") {
		t.Errorf("error %q does not carry the message", err)
	}
	if r := do(t, "POST", url(e, "init/error"), nil, body); r.code != 403 {
		t.Errorf("second init error = %d", r.code)
	}
	if r := do(t, "GET", url(e, "invocation/next"), nil, ""); r.code != 403 {
		t.Errorf("next after init error = %d", r.code)
	}
	matchLines(t, []string{
		`^INIT_START `,
		`^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError$`,
	}, log.lines())
}

func TestInitTimeout(t *testing.T) {
	e, log := start(t, Config{InitTimeout: 50 * time.Millisecond})
	e.BeginInit()
	err := e.WaitInit(context.Background())
	ie, ok := err.(*InitError)
	if !ok || ie.Status != "timeout" || ie.Duration < 50*time.Millisecond {
		t.Fatalf("WaitInit = %v", err)
	}
	matchLines(t, []string{`^INIT_START `, `^INIT_REPORT Init Duration: (5\d|[6-9]\d|\d{3,})\.\d\d ms\tPhase: init\tStatus: timeout$`}, log.lines())
}

func TestExitDuringInit(t *testing.T) {
	e, log := start(t, Config{})
	e.BeginInit()
	e.RuntimeExited("exit status 1")
	if err, ok := e.WaitInit(context.Background()).(*InitError); !ok || err.ErrorType != ErrorTypeExit {
		t.Fatalf("WaitInit = %v", err)
	}
	matchLines(t, []string{`^INIT_START `, `^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError$`}, log.lines())
	if _, err := e.Invoke(context.Background(), Event{}); err != ErrRuntimeExited {
		t.Errorf("Invoke after exit = %v", err)
	}
}

func TestFunctionTimeout(t *testing.T) {
	e, log := start(t, Config{Timeout: 100 * time.Millisecond})
	e.BeginInit()
	// The runtime polls before the event is sent, so the 100 ms run
	// against a runtime already waiting. Sent first, the event timed out
	// unhanded whenever the poll took over 100 ms to arrive (a loaded
	// machine, -race), and the poll then waited for ever.
	got := make(chan reply, 1)
	go func() { got <- do(t, "GET", url(e, "invocation/next"), nil, "") }()
	if err := e.WaitInit(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	id := (<-got).header.Get(runtimeapi.HeaderRequestID)
	r := <-res
	if r.Status != StatusTimeout || r.Duration < 90*time.Millisecond {
		t.Errorf("result = %+v", r)
	}
	if p := do(t, "POST", url(e, "invocation/"+id+"/response"), nil, "late"); p.code != 403 {
		t.Errorf("late response = %d %s", p.code, p.body)
	}
	matchLines(t, []string{
		`^INIT_START `,
		`^START RequestId: ` + id,
		`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + id + ` Task timed out after 0\.10 seconds$`,
		`^END RequestId: ` + id + `$`,
		`^REPORT RequestId: ` + id + `\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tInit Duration: [\d.]+ ms\tStatus: timeout$`,
	}, log.lines())
}

func TestExitDuringInvocation(t *testing.T) {
	e, log := start(t, Config{Timeout: 5 * time.Second, MaxMemoryUsedMB: func() int { return 42 }})
	e.BeginInit()
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	id := do(t, "GET", url(e, "invocation/next"), nil, "").header.Get(runtimeapi.HeaderRequestID)
	e.RuntimeExited("signal: killed")
	if r := <-res; r.Status != StatusExited || r.ErrorType != ErrorTypeExit {
		t.Errorf("result = %+v", r)
	}
	matchLines(t, []string{
		`^INIT_START `,
		`^START RequestId: ` + id,
		`^END RequestId: ` + id + `$`,
		`\tMax Memory Used: 42 MB\tInit Duration: [\d.]+ ms\tStatus: error\tError Type: Runtime.ExitError$`,
	}, log.lines())
}

// A runtime that polls before any event is queued waits, as on Lambda.
func TestNextLongPolls(t *testing.T) {
	e, _ := start(t, Config{Timeout: 5 * time.Second})
	e.BeginInit()
	got := make(chan reply, 1)
	go func() { got <- do(t, "GET", url(e, "invocation/next"), nil, "") }()
	if err := e.WaitInit(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		t.Fatalf("next returned %d before an event was queued", r.code)
	case <-time.After(100 * time.Millisecond):
	}
	res := invokeAsync(e, Event{Payload: []byte(`{"late":true}`)})
	r := <-got
	if r.body != `{"late":true}` {
		t.Fatalf("next = %q", r.body)
	}
	do(t, "POST", url(e, "invocation/"+r.header.Get(runtimeapi.HeaderRequestID)+"/response"), nil, "{}")
	if v := <-res; v.Status != StatusSuccess {
		t.Errorf("result = %+v", v)
	}
}

func TestErrorBody(t *testing.T) {
	b := parseErrorBody([]byte(`{"errorMessage":"m","errorType":"T","stackTrace":["a"]}`))
	if b.ErrorMessage != "m" || b.ErrorType != "T" {
		t.Errorf("parse = %+v", b)
	}
	for _, garbage := range []string{"", "null", "[1]", `{"errorType":5}`, "\xff"} {
		if got := parseErrorBody([]byte(garbage)); got.ErrorType != "" {
			t.Errorf("parse(%q) = %+v", garbage, got)
		}
	}
}

// A runtime that is not polling when an event arrives still times out.
func TestTimeoutBeforeHandOut(t *testing.T) {
	e, log := start(t, Config{Timeout: 50 * time.Millisecond})
	e.BeginInit()
	r, err := e.Invoke(context.Background(), Event{Payload: []byte(`{}`)})
	if err != nil || r.Status != StatusTimeout {
		t.Fatalf("Invoke = %+v, %v", r, err)
	}
	matchLines(t, []string{
		`^INIT_START `,
		`^START RequestId: ` + r.RequestID + ` Version: \$LATEST$`,
		` ` + r.RequestID + ` Task timed out after 0\.05 seconds$`,
		`^END RequestId: ` + r.RequestID + `$`,
		`^REPORT RequestId: ` + r.RequestID + `\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tStatus: timeout$`,
	}, log.lines())
}

// A platform line never continues a line the runtime left unfinished.
func TestPlatformLineAfterPartialOutput(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := New(Config{Log: f})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f.WriteString("partial output")
	e.BeginInit()
	f.WriteString("whole line\n")
	e.RuntimeExited("exit status 1")
	data, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "partial output" || !strings.HasPrefix(lines[1], "INIT_START ") ||
		lines[2] != "whole line" || !strings.HasPrefix(lines[3], "INIT_REPORT ") {
		t.Errorf("log:\n%s", data)
	}
}

// FuzzServeHTTP sends arbitrary requests: the emulator must answer each
// without panicking and keep its state machine consistent.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", "/2018-06-01/runtime/invocation/x/response", "{}", "")
	f.Add("GET", "/2018-06-01/runtime/invocation/next", "", "")
	f.Add("POST", "/2018-06-01/runtime/init/error", `{"errorType":"T"}`, "T")
	f.Add("POST", "/2018-06-01/runtime/invocation//error", "\xff", "streaming")
	f.Fuzz(func(t *testing.T, method, path, body, header string) {
		e, err := New(Config{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		e.BeginInit()
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a next that would long-poll returns at once
		req := httptest.NewRequest("GET", "/", strings.NewReader(body)).WithContext(ctx)
		req.Method = method
		req.URL.Path = path
		req.Header.Set(runtimeapi.HeaderFunctionErrorType, header)
		req.Header.Set(runtimeapi.HeaderResponseMode, header)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != 200 && (w.Code < 202 || w.Code >= 500) && w.Code != 0 {
			t.Errorf("%s %q: status %d", method, path, w.Code)
		}
	})
}

// TestWaitIdle: after a response, WaitIdle returns false until the runtime
// asks for its next event and true once it has (also when it asked before
// WaitIdle was called).
func TestWaitIdle(t *testing.T) {
	e, _ := start(t, Config{Timeout: 5 * time.Second})
	e.BeginInit()
	res := invokeAsync(e, Event{Payload: []byte(`{}`)})
	next := do(t, "GET", url(e, "invocation/next"), nil, "")
	do(t, "POST", url(e, "invocation/"+next.header.Get(runtimeapi.HeaderRequestID)+"/response"), nil, `1`)
	<-res
	if e.WaitIdle(context.Background(), 10*time.Millisecond) {
		t.Fatal("WaitIdle: true before the runtime asked for its next event")
	}
	polled := make(chan bool, 1)
	go func() { polled <- e.WaitIdle(context.Background(), time.Minute) }()
	go http.Get(url(e, "invocation/next")) // blocks until Close: no event follows
	if !<-polled {
		t.Error("WaitIdle: false after the runtime asked for its next event")
	}
	if !e.WaitIdle(context.Background(), 0) {
		t.Error("WaitIdle: false while the runtime waits for its next event")
	}
}
