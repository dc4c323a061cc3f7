package runtimes

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/emulator"
	"github.com/google/go-cmp/cmp"
)

// pythons lists the interpreters to test with: python3 and the pyenv
// CPython 3.7–3.13 builds, whichever exist here.
func pythons(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	if p, err := exec.LookPath("python3"); err == nil {
		found["python3"] = p
	}
	home, _ := os.UserHomeDir()
	for _, v := range []string{"3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"} {
		m, _ := filepath.Glob(filepath.Join(home, ".pyenv/versions", v+".*/bin/python"+v))
		if len(m) > 0 {
			found[v] = m[0]
		}
	}
	if len(found) == 0 {
		t.Fatal("no python3 and no pyenv interpreters on this machine")
	}
	return found
}

// appendLog is a log file shared, as coldprof run shares it, by the
// runtime's stdout and stderr and the emulator: O_APPEND keeps the order.
type appendLog struct{ *os.File }

func (l appendLog) String() string {
	b, _ := os.ReadFile(l.Name())
	return string(b)
}

// runClient starts the embedded client with python under an emulator and
// returns the emulator, the running command and the shared log.
func runClient(t *testing.T, python, handler string) (*emulator.Emulator, *exec.Cmd, appendLog) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	log := appendLog{f}
	emu, err := emulator.New(emulator.Config{FunctionName: "fn", MemoryMB: 256, Timeout: 5 * time.Second, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	bootstrap, err := WritePython(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	taskRoot, _ := filepath.Abs("testdata/fn")
	cmd := exec.Command(python, bootstrap)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+emu.Addr(),
		"_HANDLER="+handler,
		"LAMBDA_TASK_ROOT="+taskRoot,
		"AWS_LAMBDA_FUNCTION_NAME=fn",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn",
		"AWS_LAMBDA_LOG_STREAM_NAME=stream",
	)
	cmd.Stdout, cmd.Stderr = log.File, log.File
	emu.BeginInit()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// One Wait only, on the goroutine: the cleanup kills the runtime and
	// waits for that goroutine (two concurrent Waits race).
	exited := make(chan struct{})
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	go func() {
		defer close(exited)
		err := cmd.Wait()
		status := "exit status 0"
		if err != nil {
			status = err.Error()
		}
		emu.RuntimeExited(status)
	}()
	return emu, cmd, log
}

func TestPythonClient(t *testing.T) {
	fullTier(t)
	for name, python := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			info, err := ProbePython(context.Background(), python)
			if err != nil {
				t.Fatal(err)
			}
			emu, _, log := runClient(t, python, "ctxfn.handler")
			if err := emu.WaitInit(context.Background()); err != nil {
				t.Fatalf("init: %v\n%s", err, log)
			}
			r, err := emu.Invoke(context.Background(), emulator.Event{
				Payload:         []byte(`{"k":"v"}`),
				ClientContext:   `{"custom":{"a":1}}`,
				CognitoIdentity: `{"cognitoIdentityId":"cid","cognitoIdentityPoolId":"pool"}`,
			})
			if err != nil || r.Status != emulator.StatusSuccess {
				t.Fatalf("invoke = %+v, %v\n%s", r, err, log)
			}
			var got map[string]any
			if err := json.Unmarshal(r.Payload, &got); err != nil {
				t.Fatalf("response %q: %v", r.Payload, err)
			}
			want := map[string]any{
				"event":                map[string]any{"k": "v"},
				"python":               info.Version,
				"function_name":        "fn",
				"function_version":     "$LATEST",
				"memory_limit_in_mb":   "256",
				"aws_request_id":       r.RequestID,
				"invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
				"log_group_name":       "/aws/lambda/fn",
				"log_stream_name":      "stream",
				"remaining_positive":   true,
				"client":               map[string]any{"a": float64(1)},
				"cognito":              "cid",
				"in_sys_modules":       true,
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("handler saw (-want +got):\n%s", d)
			}

			r, _ = emu.Invoke(context.Background(), emulator.Event{Payload: []byte(`{"raise":true}`)})
			var body struct {
				ErrorMessage, ErrorType string
				StackTrace              []string
			}
			json.Unmarshal(r.Payload, &body)
			if r.Status != emulator.StatusError || r.ErrorType != "ValueError" || body.ErrorMessage != "asked to raise" ||
				len(body.StackTrace) == 0 || !strings.Contains(body.StackTrace[len(body.StackTrace)-1], "ctxfn.py") {
				t.Errorf("raise: %+v %+v", r, body)
			}
			if !strings.Contains(log.String(), "[ERROR] ValueError: asked to raise") {
				t.Errorf("the error was not logged:\n%s", log)
			}

			r, _ = emu.Invoke(context.Background(), emulator.Event{Payload: []byte(`{"unserializable":true}`)})
			if r.Status != emulator.StatusError || r.ErrorType != "Runtime.MarshalError" {
				t.Errorf("unserializable: %+v", r)
			}
			// Still serving after errors.
			if r, _ := emu.Invoke(context.Background(), emulator.Event{Payload: []byte(`{}`)}); r.Status != emulator.StatusSuccess {
				t.Errorf("after errors: %+v\n%s", r, log)
			}
		})
	}
}

func TestPythonClientInitErrors(t *testing.T) {
	fullTier(t)
	python := pythons(t)["python3"]
	if python == "" {
		t.Fatal("python3 not found")
	}
	cases := []struct{ handler, errorType, message string }{
		{"broken.handler", "Runtime.ImportModuleError", "Unable to import module 'broken': No module named 'module_that_does_not_exist_anywhere'"},
		{"ctxfn.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'ctxfn'"},
		{"nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots'"},
		{"missing.handler", "Runtime.ImportModuleError", "Unable to import module 'missing'"},
	}
	for _, c := range cases {
		t.Run(c.handler, func(t *testing.T) {
			t.Parallel()
			emu, _, log := runClient(t, python, c.handler)
			err := emu.WaitInit(context.Background())
			ie, ok := err.(*emulator.InitError)
			if !ok || ie.ErrorType != c.errorType || !strings.Contains(string(ie.Body), c.message) {
				t.Fatalf("init = %v (body %s)\n%s", err, ieBody(ie), log)
			}
			if !strings.Contains(log.String(), "[ERROR] "+c.errorType+": "+c.message) {
				t.Errorf("log lacks the error:\n%s", log)
			}
		})
	}
}

func ieBody(ie *emulator.InitError) string {
	if ie == nil {
		return ""
	}
	return string(ie.Body)
}

func TestProbePythonErrors(t *testing.T) {
	if _, err := ProbePython(context.Background(), "/nonexistent/python3"); err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") {
		t.Errorf("missing interpreter: %v", err)
	}
	if _, err := ProbePython(context.Background(), "/bin/true"); err == nil || !strings.Contains(err.Error(), "not a Python 3") {
		t.Errorf("/bin/true: %v", err)
	}
}

// TestPythonClientLoadsNothingDuringInit: everything the client needs for
// its first Runtime API call (http.client's idna codec) is imported with
// the client, so the function's init holds only the function's imports.
// ctxfn imports nothing new, so no module may be imported after the client's
// own top-level import line, through init and a first invocation.
func TestPythonClientLoadsNothingDuringInit(t *testing.T) {
	fullTier(t)
	t.Setenv("PYTHONPROFILEIMPORTTIME", "1") // -X importtime, for the client's process
	for name, python := range pythons(t) {
		t.Run(name, func(t *testing.T) {
			emu, _, log := runClient(t, python, "ctxfn.handler")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := emu.WaitInit(ctx); err != nil {
				t.Fatalf("init: %v\n%s", err, log)
			}
			if r, err := emu.Invoke(ctx, emulator.Event{Payload: []byte(`{}`)}); err != nil || r.Status != emulator.StatusSuccess {
				t.Fatalf("invoke: %v %+v\n%s", err, r, log)
			}
			lines := strings.Split(log.String(), "\n")
			client := -1
			for i, l := range lines {
				if strings.HasPrefix(l, "import time:") && strings.HasSuffix(l, "| coldprof_runtime") {
					client = i
				}
			}
			if client < 0 {
				t.Fatalf("no top-level coldprof_runtime import line:\n%s", log)
			}
			for _, l := range lines[client+1:] {
				if strings.HasPrefix(l, "import time:") {
					t.Errorf("imported after the client: %q", l)
				}
			}
		})
	}
}
