package wrapper

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/google/go-cmp/cmp"
)

// An execCall records one Exec.
type execCall struct {
	Path string
	Argv []string
	Env  []string
}

// fakeWrapper returns a Wrapper whose exec fails with the errors in order
// (nil ends the run as a successful exec) and records the calls.
type fakeWrapper struct {
	Wrapper
	stderr  bytes.Buffer
	calls   []execCall
	proxies []string
}

func newFake(t *testing.T, execErrs []error, proxyErr error) *fakeWrapper {
	f := &fakeWrapper{}
	f.Wrapper = Wrapper{
		Stderr: &f.stderr,
		Exec: func(path string, argv, env []string) error {
			f.calls = append(f.calls, execCall{path, argv, env})
			if len(execErrs) == 0 {
				return nil
			}
			err := execErrs[0]
			execErrs = execErrs[1:]
			return err
		},
		StartProxy: func(upstream string, n int, env []string) ([]string, error) {
			f.proxies = append(f.proxies, upstream)
			if proxyErr != nil {
				return nil, proxyErr
			}
			return setEnv(env, envRuntimeAPI, "127.0.0.1:4242"), nil
		},
		Now:    func() time.Time { return time.UnixMicro(1732250000123456) },
		Random: func() float64 { return 0.5 },
	}
	return f
}

// events parses every marker line of out; non-marker lines are returned apart.
func events(t *testing.T, out string) (evs []marker.Event, other []string) {
	t.Helper()
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		if _, ok := marker.Find([]byte(line)); !ok {
			other = append(other, line)
			continue
		}
		e, err := marker.Parse([]byte(line))
		if err != nil {
			t.Fatalf("bad marker %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs, other
}

func kinds(evs []marker.Event) []marker.Kind {
	var k []marker.Kind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	next := filepath.Join(dir, "next-wrapper")
	if err := os.WriteFile(next, []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "not-exec")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-value"
	interp := "/var/lang/bin/python3.12"
	args := []string{"/opt/coldprof-wrapper", interp, "/var/runtime/bootstrap.py"}
	injected := []string{interp, "-X", "importtime", "/var/runtime/bootstrap.py"}
	// The sampler is off: this fake has no hook directory (sampler cases are tested on their own).
	base := []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12", "_HANDLER=app.handler", "AWS_LAMBDA_RUNTIME_API=169.254.100.1:9001", "SECRET=" + secret, "COLDPROF_SAMPLER=off"}
	proxied := setEnv(base, "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242")
	with := func(kv ...string) []string { return append(append([]string{}, base...), kv...) }
	// m is env with the wrapper's mark, as handed to a command it prepared.
	m := func(env []string) []string { return append(append([]string{}, env...), EnvWrapped+"=0") }

	tests := []struct {
		name      string
		args      []string
		env       []string
		execErrs  []error
		proxyErr  error
		wantCalls []execCall
		wantKinds []marker.Kind
		wantProxy bool
		wantCode  int
		wantText  string // in the non-marker output
	}{
		{
			name: "profiled with proxy", args: args, env: base,
			wantCalls: []execCall{{interp, injected, m(proxied)}},
			wantKinds: []marker.Kind{marker.Start}, wantProxy: true,
		},
		{
			name: "disabled", args: args, env: with("COLDPROF_DISABLE=true", "COLDPROF_SAMPLE="+secret),
			wantCalls: []execCall{{interp, args[1:], with("COLDPROF_DISABLE=true", "COLDPROF_SAMPLE="+secret)}},
		},
		{
			name: "not sampled", args: args, env: with("COLDPROF_SAMPLE=0.25"),
			wantCalls: []execCall{{interp, args[1:], with("COLDPROF_SAMPLE=0.25")}},
		},
		{
			name: "sampled", args: args, env: with("COLDPROF_SAMPLE=0.75"),
			wantCalls: []execCall{{interp, injected, m(setEnv(with("COLDPROF_SAMPLE=0.75"), "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242"))}},
			wantKinds: []marker.Kind{marker.Start}, wantProxy: true,
		},
		{
			name: "phases off", args: args, env: with("COLDPROF_PHASES=off"),
			wantCalls: []execCall{{interp, injected, m(with("COLDPROF_PHASES=off"))}},
			wantKinds: []marker.Kind{marker.Start},
		},
		{
			name: "bad config values warn and use defaults", args: args,
			env:       with("COLDPROF_DISABLE="+secret, "COLDPROF_PHASES="+secret, "COLDPROF_SAMPLE="+secret, "COLDPROF_INVOKE_MARKERS="+secret),
			wantCalls: []execCall{{interp, injected, m(setEnv(with("COLDPROF_DISABLE="+secret, "COLDPROF_PHASES="+secret, "COLDPROF_SAMPLE="+secret, "COLDPROF_INVOKE_MARKERS="+secret), "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242"))}},
			wantKinds: []marker.Kind{marker.Warning, marker.Warning, marker.Warning, marker.Warning, marker.Start}, wantProxy: true,
		},
		{
			name: "proxy fails to start", args: args, env: base, proxyErr: errors.New("socket: too many open files"),
			wantCalls: []execCall{{interp, injected, m(base)}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start},
		},
		{
			name: "no runtime API", args: args, env: []string{base[0], base[1], "COLDPROF_SAMPLER=off"},
			wantCalls: []execCall{{interp, injected, m([]string{base[0], base[1], "COLDPROF_SAMPLER=off"})}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start},
		},
		{
			name: "next wrapper", args: args, env: with("COLDPROF_NEXT_WRAPPER=" + next),
			wantCalls: []execCall{{next, append([]string{next}, injected...), m(setEnv(with("COLDPROF_NEXT_WRAPPER="+next), "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242"))}},
			wantKinds: []marker.Kind{marker.Start}, wantProxy: true,
		},
		{
			name: "next wrapper missing", args: args, env: with("COLDPROF_NEXT_WRAPPER=/opt/" + secret),
			wantCalls: []execCall{{interp, injected, m(setEnv(with("COLDPROF_NEXT_WRAPPER=/opt/"+secret), "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242"))}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start}, wantProxy: true,
		},
		{
			name: "next wrapper not executable", args: args, env: with("COLDPROF_NEXT_WRAPPER="+notExec, "COLDPROF_PHASES=off"),
			wantCalls: []execCall{{interp, injected, m(with("COLDPROF_NEXT_WRAPPER="+notExec, "COLDPROF_PHASES=off"))}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start},
		},
		{
			name: "next wrapper exec fails: run without it", args: args, env: with("COLDPROF_NEXT_WRAPPER="+next, "COLDPROF_PHASES=off"),
			execErrs:  []error{syscall.ENOEXEC},
			wantCalls: []execCall{{next, append([]string{next}, injected...), m(with("COLDPROF_NEXT_WRAPPER="+next, "COLDPROF_PHASES=off"))}, {interp, injected, m(with("COLDPROF_NEXT_WRAPPER="+next, "COLDPROF_PHASES=off"))}},
			wantKinds: []marker.Kind{marker.Start, marker.Warning},
		},
		{
			name: "profiled exec fails: run the original", args: args, env: base,
			execErrs:  []error{syscall.E2BIG},
			wantCalls: []execCall{{interp, injected, m(proxied)}, {interp, args[1:], base}},
			wantKinds: []marker.Kind{marker.Start, marker.Warning}, wantProxy: true,
		},
		{
			name: "interpreter missing", args: args, env: with("COLDPROF_PHASES=off"),
			execErrs:  []error{syscall.ENOENT, syscall.ENOENT},
			wantCalls: []execCall{{interp, injected, m(with("COLDPROF_PHASES=off"))}, {interp, args[1:], with("COLDPROF_PHASES=off")}},
			wantKinds: []marker.Kind{marker.Start, marker.Warning},
			wantCode:  ExitNotFound, wantText: "coldprof-wrapper: /var/lang/bin/python3.12: does not exist (no such file or directory)\n",
		},
		{
			name: "interpreter not executable", args: args, env: with("COLDPROF_PHASES=off"),
			execErrs:  []error{syscall.EACCES, syscall.EACCES},
			wantCalls: []execCall{{interp, injected, m(with("COLDPROF_PHASES=off"))}, {interp, args[1:], with("COLDPROF_PHASES=off")}},
			wantKinds: []marker.Kind{marker.Start, marker.Warning},
			wantCode:  ExitNotExecutable, wantText: "coldprof-wrapper: /var/lang/bin/python3.12: is not an executable (permission denied)\n",
		},
		{
			name: "no command", args: args[:1], env: base,
			wantKinds: []marker.Kind{marker.Warning, marker.Start},
			wantCode:  ExitNotFound, wantText: "coldprof-wrapper: no command to run\n",
		},
		{
			name: "unknown runtime runs unchanged, proxy on", args: []string{"w", "/bin/true", "x y"}, env: base[2:],
			wantCalls: []execCall{{"/bin/true", []string{"/bin/true", "x y"}, m(setEnv(base[2:], "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:4242"))}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start}, wantProxy: true,
		},
		{
			name: "bare interpreter name resolved through PATH", args: []string{"w", "sh", "-c", "exit 0"}, env: []string{"PATH=/nonexistent::/bin", "COLDPROF_PHASES=off"},
			wantCalls: []execCall{{"/bin/sh", []string{"sh", "-c", "exit 0"}, m([]string{"PATH=/nonexistent::/bin", "COLDPROF_PHASES=off"})}},
			wantKinds: []marker.Kind{marker.Warning, marker.Start},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.execErrs, tt.proxyErr)
			code := f.Run(tt.args, tt.env)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantCalls, f.calls); diff != "" {
				t.Errorf("exec calls (-want +got):\n%s", diff)
			}
			out := f.stderr.String()
			if strings.Contains(out, secret) {
				t.Errorf("stderr shows an environment value:\n%s", out)
			}
			evs, other := events(t, out)
			if diff := cmp.Diff(tt.wantKinds, kinds(evs)); diff != "" {
				t.Errorf("markers (-want +got):\n%s\n%s", diff, out)
			}
			if diff := cmp.Diff(tt.wantText, strings.Join(other, "")); diff != "" {
				t.Errorf("other output (-want +got):\n%s", diff)
			}
			for _, e := range evs {
				if e.Kind == marker.Start && e.Proxy != tt.wantProxy {
					t.Errorf("start marker proxy=%v, want %v", e.Proxy, tt.wantProxy)
				}
			}
		})
	}
}

func TestRunStartMarker(t *testing.T) {
	f := newFake(t, nil, nil)
	f.Run([]string{"w", "/var/lang/bin/python3.13", "/var/runtime/bootstrap.py"},
		[]string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.13", "_HANDLER=app.handler", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", "COLDPROF_SAMPLER=off"})
	evs, _ := events(t, f.stderr.String())
	want := []marker.Event{{V: 1, Kind: marker.Start, TimeUs: 1732250000123456, Runtime: "python3.13", Handler: "app.handler",
		Wrapper: Version, Injected: "-X importtime", Proxy: true, Arch: markerArch(runtime.GOARCH)}}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"127.0.0.1:9001"}, f.proxies); diff != "" {
		t.Errorf("proxy upstream (-want +got):\n%s", diff)
	}
}

// An unwritable stderr must not stop the exec.
func TestRunUnwritableStderr(t *testing.T) {
	f := newFake(t, nil, nil)
	closed, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	f.Stderr = closed
	if code := f.Run([]string{"w", "/usr/bin/python3", "x"}, nil); code != 0 || len(f.calls) != 1 {
		t.Errorf("code %d, %d exec calls; want 0, 1", code, len(f.calls))
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		env      []string
		want     Config
		warnings int
	}{
		{nil, DefaultConfig(), 0},
		{[]string{"COLDPROF_DISABLE=1"}, Config{Disable: true, Phases: "proxy", Sample: 1, InvokeMarkers: 10, Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}, 0},
		{[]string{"COLDPROF_DISABLE=FALSE", "COLDPROF_PHASES=OFF", "COLDPROF_SAMPLE=0", "COLDPROF_INVOKE_MARKERS=0"}, Config{Phases: "off", Sample: 0, InvokeMarkers: 0, Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}, 0},
		{[]string{"COLDPROF_SAMPLE=1.5"}, DefaultConfig(), 1},
		{[]string{"COLDPROF_SAMPLE=NaN"}, DefaultConfig(), 1},
		{[]string{"COLDPROF_SAMPLE=-0.1"}, DefaultConfig(), 1},
		{[]string{"COLDPROF_INVOKE_MARKERS=-1"}, DefaultConfig(), 1},
		{[]string{"COLDPROF_INVOKE_MARKERS=1000000"}, Config{Phases: "proxy", Sample: 1, InvokeMarkers: 1000000, Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}, 0},
		{[]string{"COLDPROF_NEXT_WRAPPER=/opt/otel-handler"}, Config{Phases: "proxy", Sample: 1, InvokeMarkers: 10, NextWrapper: "/opt/otel-handler", Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}, 0},
		{[]string{"COLDPROF_PHASES=", "COLDPROF_SAMPLE=", "COLDPROF_DISABLE="}, DefaultConfig(), 0},
		{[]string{"COLDPROF_SAMPLE=0.5", "COLDPROF_SAMPLE=bad"}, Config{Phases: "proxy", Sample: 0.5, InvokeMarkers: 10, Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK=thread"}, Config{Phases: "proxy", Sample: 1, InvokeMarkers: 10, Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickThread}, 0},
		{[]string{"COLDPROF_SAMPLER_TICK= Signal "}, DefaultConfig(), 0},
		{[]string{"COLDPROF_SAMPLER_TICK="}, DefaultConfig(), 0},
		{[]string{"COLDPROF_SAMPLER_TICK=timer"}, DefaultConfig(), 1},
		{[]string{"COLDPROF_SAMPLER_TICK=thread\nsignal"}, DefaultConfig(), 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, ","), func(t *testing.T) {
			got, warnings := LoadConfig(tt.env)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d", warnings, tt.warnings)
			}
		})
	}
}

// FuzzRun checks the fail-open guarantee on any argv and environment: Run
// never panics, the first exec that succeeds ends it with status 0, and when
// every exec fails the last one tried was the original command with the
// original environment (when there is a command at all).
func FuzzRun(f *testing.F) {
	f.Add("/var/lang/bin/python3.12\x00/var/runtime/bootstrap.py", "AWS_EXECUTION_ENV=AWS_Lambda_python3.12\x00AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001", uint8(0))
	f.Add("node\x00/var/runtime/index.mjs", "COLDPROF_NEXT_WRAPPER=/bin/sh\x00COLDPROF_SAMPLE=0.9", uint8(0xff))
	f.Add("/var/lang/bin/java\x00-XX:+UseSerialGC\x00x.Y::h", "COLDPROF_PHASES=nope\x00COLDPROF_DISABLE=maybe", uint8(1))
	f.Add("", "COLDPROF_DISABLE=1", uint8(0xff))
	f.Fuzz(func(t *testing.T, argvJoined, envJoined string, failMask uint8) {
		var argv, env []string
		if argvJoined != "" {
			argv = strings.Split(argvJoined, "\x00")
		}
		if envJoined != "" {
			env = strings.Split(envJoined, "\x00")
		}
		var errs []error
		for i := 0; i < 8; i++ {
			if failMask&(1<<i) != 0 {
				errs = append(errs, syscall.ENOENT)
			} else {
				errs = append(errs, nil)
			}
		}
		w := newFake(t, errs, nil)
		code := w.Run(append([]string{"/opt/coldprof-wrapper"}, argv...), env)
		n := len(w.calls)
		succeeded := n > 0 && n <= len(errs) && errs[n-1] == nil
		switch {
		case succeeded && code != 0:
			t.Fatalf("exec succeeded but Run returned %d", code)
		case !succeeded && code == 0:
			t.Fatalf("no exec succeeded (%d calls) but Run returned 0", n)
		case !succeeded && len(argv) > 0:
			last := w.calls[n-1]
			if !slices.Equal(last.Argv, argv) || !slices.Equal(last.Env, env) {
				t.Fatalf("last exec tried %q, not the original command %q with its environment", last.Argv, argv)
			}
		}
	})
}
