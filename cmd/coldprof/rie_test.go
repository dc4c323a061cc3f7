package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/runtimes"
	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

// The real AWS Lambda Runtime Interface Emulator and Lambda's real Node.js
// runtime client (aws-lambda-ric from npm), as .ci/setup.d/30-rie.sh
// builds and caches them.
func rieCache(t *testing.T) (rie, ric, node22 string) {
	t.Helper()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	cache = filepath.Join(cache, "coldprof")
	rie = filepath.Join(cache, "rie", "aws-lambda-rie")
	ric = filepath.Join(cache, "aws-lambda-ric", "4.0.2", "node_modules", "aws-lambda-ric")
	node22 = filepath.Join(cache, "node", "22", "bin", "node")
	for _, f := range []string{rie, filepath.Join(ric, "rapid-client.node"), node22} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v: run .ci/setup.d/30-rie.sh first", err)
		}
	}
	return rie, ric, node22
}

// freeAddrs returns two loopback addresses nobody listens on (the RIE and
// its Runtime API need one each; other tests may run an RIE at the same
// time). Both listeners stay open until both ports are known: closed one at
// a time, the kernel may hand the first port out again as the second.
func freeAddrs(t *testing.T) (string, string) {
	t.Helper()
	var addrs []string
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs[0], addrs[1]
}

// runUnderRIE starts the RIE with argv as its bootstrap (coldprof-wrapper
// and the runtime's command line), invokes the function n times and
// returns everything the RIE and the runtime printed.
func runUnderRIE(t *testing.T, rie, taskRoot string, env []string, n int, argv ...string) []byte {
	t.Helper()
	addr, apiAddr := freeAddrs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, rie, append([]string{"--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr}, argv...)...)
	cmd.Dir = taskRoot
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out // one buffer: the order the RIE and the runtime wrote in
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: time.Minute}
	for i := 0; i < n; i++ {
		var resp *http.Response
		var err error
		for tries := 0; tries < 200; tries++ { // until the RIE listens
			resp, err = client.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
			if err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("invoke %d: %v\n%s", i, err, out.String())
		}
		body := new(bytes.Buffer)
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(body.Bytes(), []byte("errorType")) {
			t.Fatalf("invoke %d: %s %s\n%s", i, resp.Status, body, out.String())
		}
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	return out.Bytes()
}

var invokeStartID = regexp.MustCompile(`"ev":"invoke_start","t":\d+,"requestId":"([^"]+)"`)

// TestRIELifecycle runs Python and Node.js functions through
// coldprof-wrapper under the real RIE: Node.js with Lambda's real runtime
// client (aws-lambda-ric 4.0.2), Python with coldprof's own client
// (cmd/coldprof/internal/sandbox/runtimes/python: the real awslambdaric is on PyPI,
// which CI cannot reach). It checks that every invocation is counted once,
// with the request IDs the runtime received (the invoke_start markers'),
// that the boundary is exact with no warning about the RIE's START line,
// and the phases of the runtime client's, the function's and the lazy loads.
// COLDPROF_RIE_CAPTURE=dir keeps the logs (testdata/lifecycle/README.md).
func TestRIELifecycle(t *testing.T) {
	fullTier(t)
	rie, ric, node22 := rieCache(t)
	tmp := t.TempDir()
	wrapper := filepath.Join(tmp, "coldprof-wrapper")
	// The wrapper starts the proxy from beside its own executable.
	if out, err := exec.Command("go", "build", "-o", tmp, "../coldprof-wrapper", "../coldprof-proxy").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hookDir, err := filepath.Abs(filepath.Join("..", "..", "wrapper", "hooks"))
	if err != nil {
		t.Fatal(err)
	}
	python, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), ".pyenv", "versions", "3.12*", "bin", "python3.12"))
	if len(python) == 0 {
		t.Fatal("no pyenv Python 3.12")
	}
	pyBootstrap, err := runtimes.WritePython(tmp)
	if err != nil {
		t.Fatal(err)
	}
	nodeApp, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "node", "app"))
	pyApp, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "functions", "python"))

	tests := []struct {
		name, taskRoot string
		argv           []string
		// runtime, init and invoke are entries that must be in those phases
		// (invoke: with the first request's ID).
		runtime, init, invoke []string
	}{
		{"node-cjs", nodeApp, []string{wrapper, node22, filepath.Join(ric, "index.mjs"), "index.handler"},
			[]string{"node:path", "node:http", "aws-lambda-ric/rapid-client.node"}, []string{"index.js"}, []string{"lib/lazy.js"}},
		{"node-esm", nodeApp, []string{wrapper, node22, filepath.Join(ric, "index.mjs"), "handler.handler"},
			[]string{"aws-lambda-ric/index.mjs", "aws-lambda-ric/rapid-client.node"}, []string{"handler.mjs"}, []string{"esm/lazy.mjs"}},
		{"python", pyApp, []string{wrapper, python[0], pyBootstrap, "app.lambda_handler"},
			[]string{runtimes.PythonModule}, []string{"xml.etree.ElementTree"}, []string{"smtplib"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"LAMBDA_TASK_ROOT=" + tt.taskRoot, "COLDPROF_HOOK_DIR=" + hookDir, "PYTHONPATH=" + tt.taskRoot}
			log := runUnderRIE(t, rie, tt.taskRoot, env, 2, tt.argv...)
			if dir := os.Getenv("COLDPROF_RIE_CAPTURE"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, "rie-"+tt.name+".log"), log, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var ids []string
			for _, m := range invokeStartID.FindAllSubmatch(log, -1) {
				ids = append(ids, string(m[1]))
			}
			if len(ids) != 2 {
				t.Fatalf("%d invoke_start markers, want 2:\n%s", len(ids), log)
			}
			p, err := parsers.ReadAll(bytes.NewReader(log), tt.name, parsers.Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			for _, w := range p.Warnings {
				if strings.Contains(w.Message, "START") {
					t.Errorf("warning about START: %s", w)
				}
			}
			if len(p.ColdStarts) != 1 {
				t.Fatalf("%d cold starts, want 1", len(p.ColdStarts))
			}
			cs := p.ColdStarts[0]
			if cs.Boundary != profile.BoundaryExact {
				t.Errorf("boundary %s, want exact", cs.Boundary)
			}
			var got []string
			for _, inv := range cs.Invocations {
				got = append(got, inv.RequestID)
				if !inv.Reported || inv.DurationMs <= 0 || inv.BilledDurationMs <= 0 {
					t.Errorf("invocation %+v lacks its REPORT figures", inv)
				}
			}
			if !slices.Equal(got, ids) {
				t.Errorf("invocations %q, want the runtime's request IDs %q", got, ids)
			}
			phase := map[string]*profile.Import{}
			cs.Walk(func(imp *profile.Import, _ int) bool {
				if _, ok := phase[imp.Name]; !ok {
					phase[imp.Name] = imp
				}
				return true
			})
			check := func(names []string, want profile.Phase, id string) {
				for _, name := range names {
					imp := phase[name]
					switch {
					case imp == nil:
						t.Errorf("no entry %s", name)
					case imp.Phase != want || imp.RequestID != id:
						t.Errorf("%s is %s %q, want %s %q", name, imp.Phase, imp.RequestID, want, id)
					}
				}
			}
			check(tt.runtime, profile.PhaseRuntime, "")
			check(tt.init, profile.PhaseInit, "")
			check(tt.invoke, profile.PhaseInvoke, ids[0])
			// No time counted twice: the runtime phase is its top-level
			// entries' time, and none of them is inside another.
			totals := cs.PhaseTotals()
			if totals[profile.PhaseRuntime].Us <= 0 || totals[profile.PhaseInit].Us <= 0 {
				t.Errorf("phase totals %v", totals)
			}
		})
	}
}
