package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/emulator"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/runtimes"
	"github.com/coldprof/coldprof/wrapper"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/proxy"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

const runUsage = `Usage: coldprof run [flags] [report flags] -- CMD…
       coldprof run --handler MODULE.FUNCTION --runtime python3 [flags] [report flags]
       coldprof run --handler HANDLER --runtime nodejs|java|ruby [flags] [report flags]

Runs a cold start on this machine, no AWS account and no Docker: a local
Lambda Runtime API, the real coldprof-wrapper in front of CMD (as Lambda's
bootstrap runs AWS_LAMBDA_EXEC_WRAPPER), the Lambda environment variables,
N events, then the report. Lambda's platform lines (INIT_START, START, END,
REPORT, INIT_REPORT) go into the same log as the function's stdout and
stderr, in the order they happened.

The short form runs Python's handler with coldprof's own runtime client
(embedded; Lambda's awslambdaric when the interpreter has it), in --task-root.
--runtime nodejs, java or ruby does the same with node, java (its client is
compiled with javac first) or ruby from PATH; --handler is Lambda's setting
for that runtime (index.handler, com.example.Fn::handleRequest, app.handler).

Flags:
%s
Every flag of "coldprof report" works here too (--format, --tree, --phase,
--top, …); see coldprof report --help.

Examples:
  coldprof run --handler app.lambda_handler --runtime python3 --task-root testdata/functions/python -n 3
  coldprof run --handler app.handler --runtime python3 --event event.json --responses --format json
  coldprof run --handler app.handler -- /usr/bin/python3.11 my_bootstrap.py
  coldprof run --handler app.handler --runtime python3 --cold-starts 10 --env-file env.json --log before.log

The report goes to stdout; progress, responses (--responses) and warnings go
to stderr. Exit status: 0 when every invocation succeeded, 1 when init or an
invocation failed (the report of what was captured is still printed), 2 for
a mistake in flags.
`

// runFlags are the parsed flags of the run command.
type runFlags struct {
	invocations int
	events      []string
	handler     string
	runtime     string
	python      string
	taskRoot    string
	function    string
	memoryMB    int
	region      string
	timeout     time.Duration
	initTimeout time.Duration
	log         string
	responses   bool
	wrapper     string
	coldStarts  int
	env         []string
	envFiles    []string
}

// runFlagSet registers run's own flags on fs.
func runFlagSet(f *runFlags) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.IntVarP(&f.invocations, "invocations", "n", 1, "events to send (repeating the --event files in turn)")
	fs.IntVar(&f.coldStarts, "cold-starts", 1, "cold starts to run, each a fresh runtime process given the same events; the report aggregates them")
	fs.StringArrayVar(&f.env, "env", nil, "KEY=VALUE for the function's environment, COLDPROF_* settings included (repeatable; wins over --env-file)")
	fs.StringArrayVar(&f.envFiles, "env-file", nil, `variables for the function: sam's --env-vars JSON ({"Parameters": {…}} or {"FunctionName": {…}}) or KEY=VALUE lines (repeatable)`)
	fs.StringArrayVar(&f.events, "event", nil, `event JSON file ("-" reads stdin); repeat for several; default {}`)
	fs.StringVar(&f.handler, "handler", "", "the function's handler (_HANDLER), e.g. app.lambda_handler")
	fs.StringVar(&f.runtime, "runtime", "", "python3, python3.X, nodejs, java or ruby: run the handler with the embedded runtime client")
	fs.StringVar(&f.python, "python", "", "Python interpreter for --runtime (default: python3.X or python3 on PATH)")
	fs.StringVar(&f.taskRoot, "task-root", ".", "the function's code (LAMBDA_TASK_ROOT and working directory)")
	fs.StringVar(&f.function, "function-name", "coldprof-local", "AWS_LAMBDA_FUNCTION_NAME")
	fs.IntVar(&f.memoryMB, "memory", 128, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE in MB")
	fs.StringVar(&f.region, "region", "us-east-1", "AWS_REGION")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Second, "function timeout per invocation (Lambda's default: 3s)")
	fs.DurationVar(&f.initTimeout, "init-timeout", 10*time.Second, "init limit (Lambda's on-demand limit: 10s)")
	fs.StringVar(&f.log, "log", "", "save the combined log (markers, importtime, platform lines) to this file")
	fs.BoolVar(&f.responses, "responses", false, "print each invocation's response to stderr")
	fs.StringVar(&f.wrapper, "wrapper", "", "coldprof-wrapper to run (default: next to coldprof, then PATH, then coldprof itself)")
	fs.BoolP("help", "h", false, "show this help")
	return fs
}

// splitRunArgs separates run's own flags from report's (everything else
// before "--") and the command after "--". A token that is not one of run's
// flags goes to report in order, so "--format json" reaches it whole.
func splitRunArgs(fs *pflag.FlagSet, args []string) (own, report, command []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return own, report, args[i+1:]
		}
		name, hasValue := "", strings.Contains(a, "=")
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ = strings.Cut(a[2:], "=")
		case strings.HasPrefix(a, "-") && len(a) >= 2:
			if f := fs.ShorthandLookup(a[1:2]); f != nil {
				name, hasValue = f.Name, len(a) > 2
			}
		}
		f := fs.Lookup(name)
		if name == "" || f == nil {
			report = append(report, a)
			continue
		}
		own = append(own, a)
		if !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	return own, report, nil
}

func runRun(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	var f runFlags
	fs := runFlagSet(&f)
	own, reportArgs, command := splitRunArgs(fs, args)
	if err := fs.Parse(own); err != nil {
		return usagef("run: %v (see coldprof run --help)", err)
	}
	if help, _ := fs.GetBool("help"); help {
		fmt.Fprintf(stderr, runUsage, fs.FlagUsages())
		return errHelp
	}
	// Let report check its flags now, not after the function ran: on an
	// empty input it fails with a usage error only for bad flags.
	var usage usageError
	if err := runReport(nil, io.Discard, io.Discard, append(append([]string(nil), reportArgs...), os.DevNull)); errors.As(err, &usage) {
		return usagef("run: %s", strings.TrimPrefix(usage.msg, "report: "))
	}
	if err := checkRunFlags(&f, command); err != nil {
		return err
	}
	reportArgs = withLocalArch(reportArgs)
	events, err := readEvents(f.events, f.invocations, stdin)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "coldprof-run-")
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer os.RemoveAll(tmp)

	l, err := planLaunch(ctx, &f, command, tmp, stderr)
	if err != nil {
		return err
	}
	userEnv, err := functionEnv(f.envFiles, f.env, f.function)
	if err != nil {
		return err
	}
	l.env = append(l.env, userEnv...) // last wins (os/exec keeps the last of duplicate keys)
	logPath := f.log
	if logPath == "" {
		logPath = filepath.Join(tmp, "cold-start.log")
	}
	// O_APPEND: the runtime's output and the emulator's lines land in the
	// order they were written, across processes.
	// Readable too: the emulator checks the last byte before a platform line.
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_RDWR|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	var runErr error
	for i := 1; i <= f.coldStarts && runErr == nil; i++ {
		if f.coldStarts > 1 {
			fmt.Fprintf(stderr, "coldprof: cold start %d of %d\n", i, f.coldStarts)
		}
		runErr = execute(ctx, &f, l, events, logFile, stderr)
		if runErr != nil && f.coldStarts > 1 {
			runErr = fmt.Errorf("cold start %d of %d: %w", i, f.coldStarts, runErr)
		}
	}
	if err := logFile.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("run: writing %s: %w", logPath, err)
	}
	if f.log != "" {
		fmt.Fprintf(stderr, "coldprof: log saved to %s\n", f.log)
	}

	reportErr := runReport(nil, stdout, stderr, append(reportArgs, logPath))
	if runErr != nil {
		if reportErr != nil {
			fmt.Fprintf(stderr, "coldprof: %v\n", reportErr)
		}
		return runErr
	}
	return reportErr
}

// withLocalArch prices init (the init-cost finding) at this machine's
// architecture, where the function ran, unless --arch says otherwise.
func withLocalArch(reportArgs []string) []string {
	for _, a := range reportArgs {
		if a == "--arch" || strings.HasPrefix(a, "--arch=") {
			return reportArgs
		}
	}
	switch runtime.GOARCH {
	case "amd64":
		return append(reportArgs, "--arch=x86_64")
	case "arm64":
		return append(reportArgs, "--arch=arm64")
	}
	return reportArgs
}

// checkRunFlags rejects bad combinations early and says how to fix them.
func checkRunFlags(f *runFlags, command []string) error {
	if f.invocations < 0 {
		return usagef("run: -n must be 0 or more, not %d", f.invocations)
	}
	if f.coldStarts < 1 || f.coldStarts > 1000 {
		return usagef("run: --cold-starts must be between 1 and 1000, not %d", f.coldStarts)
	}
	if f.timeout <= 0 || f.initTimeout <= 0 {
		return usagef("run: --timeout and --init-timeout must be positive")
	}
	if f.memoryMB < 128 || f.memoryMB > 10240 {
		return usagef("run: --memory must be between 128 and 10240 MB (Lambda's range), not %d", f.memoryMB)
	}
	if len(command) == 0 {
		if f.runtime == "" {
			return usagef("run: nothing to run: give -- CMD…, or --handler MODULE.FUNCTION --runtime python3")
		}
		if f.handler == "" {
			return usagef("run: --runtime %s needs --handler MODULE.FUNCTION (e.g. app.lambda_handler)", f.runtime)
		}
	}
	if _, lang := langFamily(f.runtime); f.runtime != "" && !isPythonRuntime(f.runtime) && !lang {
		return usagef("run: --runtime %q is not supported; use python3, python3.X, nodejs, java or ruby", f.runtime)
	}
	if f.python != "" && f.runtime == "" && len(command) == 0 {
		return usagef("run: --python needs --runtime python3")
	}
	info, err := os.Stat(f.taskRoot)
	if err != nil {
		return fmt.Errorf("run: --task-root: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("run: --task-root %s is not a directory", f.taskRoot)
	}
	return nil
}

func isPythonRuntime(name string) bool {
	v, ok := strings.CutPrefix(name, "python3")
	if !ok {
		return false
	}
	if v == "" {
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v, "."))
	return strings.HasPrefix(v, ".") && err == nil && n >= 0
}

// readEvents loads the events: each file in turn, repeated to make n.
func readEvents(files []string, n int, stdin io.Reader) ([][]byte, error) {
	if len(files) == 0 {
		files = []string{""}
	}
	var loaded [][]byte
	for _, name := range files {
		var data []byte
		var err error
		switch name {
		case "":
			data = []byte("{}")
		case "-":
			if stdin == nil {
				return nil, usagef("run: --event -: no stdin")
			}
			data, err = io.ReadAll(stdin)
			name = "stdin"
		default:
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("run: --event: %w", err)
		}
		data = bytes.TrimSpace(data)
		if !json.Valid(data) {
			return nil, fmt.Errorf("run: --event %s: not valid JSON", name)
		}
		loaded = append(loaded, data)
	}
	events := make([][]byte, n)
	for i := range events {
		events[i] = loaded[i%len(loaded)]
	}
	return events, nil
}

// A launch is the process coldprof run starts and how to describe it.
type launch struct {
	path    string   // executable to start (the wrapper)
	argv    []string // full argv, argv[0] included
	env     []string
	dir     string
	runtime string // "python3.12", "" when unknown
	handler string
}

// planLaunch decides what runs: the wrapper, in front of CMD or of the
// Python runtime client, with Lambda's environment.
func planLaunch(ctx context.Context, f *runFlags, command []string, tmp string, stderr io.Writer) (*launch, error) {
	taskRoot, err := filepath.Abs(f.taskRoot)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	l := &launch{dir: taskRoot, handler: f.handler}
	runtimeDir := tmp
	if family, lang := langFamily(f.runtime); lang {
		if command, l.runtime, err = planLangLaunch(ctx, family, f.handler, command, tmp); err != nil {
			return nil, err
		}
	} else if f.runtime != "" {
		python := f.python
		if python == "" {
			python = findPython(f.runtime)
		}
		info, err := runtimes.ProbePython(ctx, python)
		if err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		if want := strings.TrimPrefix(f.runtime, "python"); want != "3" && want != info.Version {
			fmt.Fprintf(stderr, "coldprof: warning: --runtime %s but %s is Python %s\n", f.runtime, python, info.Version)
		}
		l.runtime = info.Runtime()
		if len(command) == 0 {
			if info.Awslambdaric {
				// The container-image form; awslambdaric loads the handler from the working directory.
				command = []string{python, "-m", "awslambdaric", f.handler}
				fmt.Fprintf(stderr, "coldprof: %s has awslambdaric: using it as the runtime client\n", python)
			} else {
				bootstrap, err := runtimes.WritePython(tmp)
				if err != nil {
					return nil, fmt.Errorf("run: %w", err)
				}
				command = []string{python, bootstrap}
			}
		}
	}
	wrapperPath, wrapperArgs, err := findWrapper(f.wrapper)
	if err != nil {
		return nil, err
	}
	l.path = wrapperPath
	l.argv = append(wrapperArgs, command...)
	l.env = lambdaEnv(os.Environ(), f, taskRoot, runtimeDir, l.runtime)
	hookVars, err := hookEnv(tmp)
	if err != nil {
		return nil, err
	}
	l.env = append(l.env, hookVars...)
	return l, nil
}

// findPython picks the interpreter for --runtime python3.X: python3.X on
// PATH when the version is given, else python3.
func findPython(runtime string) string {
	if runtime != "python3" {
		if p, err := exec.LookPath(runtime); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	return "python3"
}

// wrapperCommand is the hidden command that makes coldprof act as
// coldprof-wrapper when no coldprof-wrapper binary is around.
const wrapperCommand = "__coldprof_wrapper"

// findWrapper returns the wrapper to start and the argv before CMD:
// --wrapper, else coldprof-wrapper next to this executable, else on PATH,
// else this executable in its hidden wrapper mode.
func findWrapper(flag string) (string, []string, error) {
	if flag != "" {
		p, err := exec.LookPath(flag)
		if err != nil {
			return "", nil, fmt.Errorf("run: --wrapper: %w", err)
		}
		return p, []string{p}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("run: finding coldprof's own executable: %w", err)
	}
	next := filepath.Join(filepath.Dir(self), "coldprof-wrapper")
	if info, err := os.Stat(next); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		return next, []string{next}, nil
	}
	if p, err := exec.LookPath("coldprof-wrapper"); err == nil {
		return p, []string{p}, nil
	}
	return self, []string{self, wrapperCommand}, nil
}

// runWrapperMode is coldprof acting as coldprof-wrapper: args are the
// runtime's command line. It returns only if exec failed.
func runWrapperMode(_ io.Reader, _, stderr io.Writer, args []string) error {
	self, _ := os.Executable()
	wrapper.SelfProxy = true // runProxyMode below, when no coldprof-proxy is beside coldprof
	if code := wrapper.Main(append([]string{self}, args...), os.Environ(), stderr); code != 0 {
		return exitError{code: code}
	}
	return nil
}

// runProxyMode is the runtime-API proxy the wrapper mode starts by
// re-executing os.Executable() with wrapper.ProxyArg (wrapper.SelfProxy).
func runProxyMode(_ io.Reader, _, stderr io.Writer, _ []string) error {
	if code := proxy.Main(os.Environ(), stderr); code != 0 {
		return exitError{code: code}
	}
	return nil
}

// lambdaEnv is the caller's environment plus what Lambda sets for a
// function (reference §1.7). The caller's PATH, HOME and credentials stay.
func lambdaEnv(base []string, f *runFlags, taskRoot, runtimeDir, runtime string) []string {
	now := time.Now().UTC()
	var id [16]byte
	rand.Read(id[:])
	set := map[string]string{
		"_HANDLER":                        f.handler,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              runtimeDir,
		"AWS_LAMBDA_FUNCTION_NAME":        f.function,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.memoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.function,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(id[:]),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      f.region,
		"AWS_DEFAULT_REGION":              f.region,
		"TZ":                              ":UTC",
	}
	if runtime != "" {
		set["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + runtime
	}
	env := make([]string, 0, len(base)+len(set)+1)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours && k != "AWS_LAMBDA_RUNTIME_API" && k != "AWS_EXECUTION_ENV" {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// execute starts the wrapper under the emulator, sends the events and stops
// the whole process group. Progress and failures go to stderr. It returns
// nil when every invocation succeeded.
func execute(ctx context.Context, f *runFlags, l *launch, events [][]byte, logFile *os.File, stderr io.Writer) error {
	var pid atomic.Int64
	emu, err := emulator.New(emulator.Config{
		FunctionName:    f.function,
		MemoryMB:        f.memoryMB,
		Region:          f.region,
		RuntimeVersion:  runtimeVersion(l.runtime),
		InitTimeout:     f.initTimeout,
		Timeout:         f.timeout,
		Log:             logFile,
		MaxMemoryUsedMB: func() int { return peakRSSMB(int(pid.Load())) },
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer emu.Close()

	cmd := &exec.Cmd{
		Path:        l.path,
		Args:        l.argv,
		Env:         append(l.env, "AWS_LAMBDA_RUNTIME_API="+emu.Addr()),
		Dir:         l.dir,
		Stdout:      logFile,
		Stderr:      logFile,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	becomeSubreaper()
	emu.BeginInit()
	if err := cmd.Start(); err != nil {
		emu.RuntimeExited("not started")
		return fmt.Errorf("run: starting %s: %w", l.path, err)
	}
	pid.Store(int64(cmd.Process.Pid))
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	var exitStatus string
	go func() {
		err := cmd.Wait()
		exitStatus = "exit status 0"
		if err != nil {
			exitStatus = err.Error()
		}
		emu.RuntimeExited(exitStatus)
		close(exited)
	}()
	defer func() {
		killGroup(pgid)
		<-exited
		reapGroup(pgid)
	}()

	fmt.Fprintf(stderr, "coldprof: running %s\n", quoteArgs(l.argv))
	if err := emu.WaitInit(ctx); err != nil {
		var ie *emulator.InitError
		if errors.As(err, &ie) && ie.ErrorType == emulator.ErrorTypeExit {
			<-exited
			return fmt.Errorf("run: the function exited during init (%s)%s", exitStatus, lastLines(logFile.Name()))
		}
		if errors.As(err, &ie) && ie.Status == "timeout" {
			return fmt.Errorf("run: init did not finish within --init-timeout %s; the runtime was killed (the report shows what loaded until then)", f.initTimeout)
		}
		return fmt.Errorf("run: %v", err)
	}
	fmt.Fprintf(stderr, "coldprof: init done in %s\n", emu.InitDuration().Round(time.Millisecond))

	failed := 0
	for i, ev := range events {
		res, err := emu.Invoke(ctx, emulator.Event{Payload: ev})
		n := fmt.Sprintf("invocation %d of %d", i+1, len(events))
		if errors.Is(err, emulator.ErrRuntimeExited) {
			<-exited
			return fmt.Errorf("run: the runtime exited (%s) before %s%s", exitStatus, n, lastLines(logFile.Name()))
		}
		if err != nil {
			return fmt.Errorf("run: %s: %w", n, err)
		}
		if f.responses {
			fmt.Fprintf(stderr, "coldprof: %s (%s, %s): %s\n", n, res.RequestID, res.Status, res.Payload)
		}
		switch res.Status {
		case emulator.StatusSuccess:
			continue
		case emulator.StatusError:
			failed++
			fmt.Fprintf(stderr, "coldprof: %s failed: %s\n", n, describeError(res))
			continue
		case emulator.StatusTimeout:
			return fmt.Errorf("run: %s timed out after --timeout %s; the runtime was killed%s", n, f.timeout, rejected(emu))
		case emulator.StatusExited:
			<-exited
			return fmt.Errorf("run: the runtime exited (%s) during %s%s", exitStatus, n, lastLines(logFile.Name()))
		}
	}
	// Stop the runtime where Lambda would freeze it: once it asked for its
	// next event (the Node.js sampler writes the first invocation's lines
	// between the response and that request), not the moment the response
	// arrived.
	emu.WaitIdle(ctx, 2*time.Second)
	if failed > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d invocations failed", failed, len(events))}
	}
	return nil
}

// runtimeVersion is what INIT_START shows for a runtime ("python:3.12.local").
func runtimeVersion(runtime string) string {
	if v, ok := strings.CutPrefix(runtime, "python"); ok {
		return "python:" + v + ".local"
	}
	if v := langRuntimeVersion(runtime); v != "" {
		return v
	}
	return "local"
}

func describeError(r emulator.Result) string {
	var body struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	json.Unmarshal(r.Payload, &body)
	t := r.ErrorType
	if t == "" {
		t = body.ErrorType
	}
	if body.ErrorMessage != "" {
		return t + ": " + body.ErrorMessage
	}
	return t
}

// rejected explains Runtime API requests the emulator turned down, the
// usual reason for a timeout (e.g. a response posted to the wrong ID).
func rejected(emu *emulator.Emulator) string {
	r := emu.Rejected()
	if len(r) == 0 {
		return ""
	}
	return "; the runtime API rejected: " + strings.Join(r, "; ")
}

// lastLines returns the log's last few lines that are neither markers nor
// platform lines, to show why a runtime died.
func lastLines(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var keep []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if _, ok := marker.Find([]byte(line)); ok || strings.HasPrefix(line, "import time:") || strings.Contains(line, sampleline.Prefix+"{") || isPlatformLine([]byte(line)) || line == "" {
			continue
		}
		keep = append(keep, line)
		if len(keep) > 5 {
			keep = keep[1:]
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return "; its last output:\n  " + strings.Join(keep, "\n  ")
}

func quoteArgs(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// peakRSSMB reads a process's peak resident memory (VmHWM) in MB, as
// REPORT's Max Memory Used; 0 when it cannot be read.
func peakRSSMB(pid int) int {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return (kb + 1023) / 1024
			}
		}
	}
	return 0
}
