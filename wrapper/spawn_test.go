package wrapper

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
)

// openFDs lists this process's open descriptors, to catch leaks.
func openFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var fds []string
	for _, e := range ents {
		fds = append(fds, e.Name())
	}
	sort.Strings(fds)
	return fds
}

// The proxy binary cannot be exec'd: StartProxy must say so (naming the
// path) and leave no descriptor behind, and Run must then exec the runtime
// against the real Runtime API with a warning marker.
func TestStartProxyExecFails(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, exe string
		errno     syscall.Errno
	}{
		{"missing", filepath.Join(t.TempDir(), "gone", "coldprof-wrapper"), syscall.ENOENT},
		{"not executable", notExec, syscall.EACCES},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := openFDs(t)
			addr, end, err := startProxyExe(tt.exe, "169.254.100.1:9001", 1)
			if err == nil {
				syscall.Close(end)
				t.Fatalf("startProxyExe(%q) = %q, want an error", tt.exe, addr)
			}
			if !errors.Is(err, tt.errno) || !strings.Contains(err.Error(), tt.exe) {
				t.Errorf("error %q: want %v naming %s", err, tt.errno, tt.exe)
			}
			if after := openFDs(t); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("descriptors leaked: before %v, after %v", before, after)
			}

			var stderr strings.Builder
			var execEnv []string
			w := Wrapper{
				Stderr: &stderr,
				Exec:   func(path string, argv, env []string) error { execEnv = env; return nil },
				StartProxy: func(upstream string, n int) (string, error) {
					addr, _, err := startProxyExe(tt.exe, upstream, n)
					return addr, err
				},
				Now:    time.Now,
				Random: func() float64 { return 0 },
			}
			env := []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12", "AWS_LAMBDA_RUNTIME_API=169.254.100.1:9001"}
			if code := w.Run([]string{"coldprof-wrapper", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}, env); code != 0 {
				t.Fatalf("Run = %d, want 0; stderr:\n%s", code, stderr.String())
			}
			if api, _ := lookupEnv(execEnv, envRuntimeAPI); api != "169.254.100.1:9001" {
				t.Errorf("runtime got %s=%q, want the real API", envRuntimeAPI, api)
			}
			evs, _ := events(t, stderr.String())
			if len(evs) != 2 || evs[0].Kind != marker.Warning || !strings.Contains(evs[0].Message, "proxy not started") || evs[1].Kind != marker.Start || evs[1].Proxy {
				t.Errorf("markers %+v: want a proxy warning, then a start marker without proxy", evs)
			}
		})
	}
}

// The real proxy binary started by startProxyExe serves the runtime's
// requests on the handed-over listener, and exits once the runtime's end of
// the pipe is closed (the runtime has gone).
func TestStartProxyServesAndExits(t *testing.T) {
	bin := wrapperBinary(t)
	api := newFakeAPI(t)
	addr, end, err := startProxyExe(bin, api.addr(), 1)
	if err != nil {
		t.Fatal(err)
	}
	proxies := findProxies(bin)
	api.events <- fakeEvent{"id-1", `{"n":1}`}
	resp, err := http.Get("http://" + addr + apiPrefix + "/runtime/invocation/next")
	if err != nil {
		syscall.Close(end)
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get(headerRequestID); got != "id-1" || string(body) != `{"n":1}` {
		t.Errorf("through the proxy: request ID %q, body %q; want id-1, {\"n\":1}", got, body)
	}
	syscall.Close(end)
	if len(proxies) != 1 {
		t.Fatalf("want one proxy process, found %v", proxies)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && slicesContains(findProxies(bin), proxies[0]); {
		time.Sleep(10 * time.Millisecond)
	}
	if slicesContains(findProxies(bin), proxies[0]) {
		t.Errorf("proxy %d still running after the runtime's end of the pipe closed", proxies[0])
	}
	var ws syscall.WaitStatus
	syscall.Wait4(proxies[0], &ws, 0, nil) // reap it: it is this test's child
}
