// Package sandbox runs a Lambda cold start on this machine, as coldprof run
// does: no AWS account and no Docker, but a local Lambda Runtime API (package
// emulator), the real coldprof-wrapper in front of the runtime (as Lambda's
// bootstrap runs AWS_LAMBDA_EXEC_WRAPPER), Lambda's environment variables,
// and its platform lines in the same log as the function's output.
//
// It works in three steps: Plan decides what runs (the interpreter, the
// embedded runtime client of package runtimes, the wrapper, the
// environment); Launch.Execute runs it, sends the events and stops every
// process it started; what happened is in the log it wrote, which coldprof
// reports like any other log. Run does both steps in a temporary folder.
package sandbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/emulator"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/runtimes"
	"github.com/coldprof/coldprof/parsers/platform"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// Config is what a cold start runs with: coldprof run's flags.
type Config struct {
	Handler  string // _HANDLER, e.g. app.lambda_handler
	Runtime  string // python3, python3.X, nodejs…, java…, ruby…; "" with only a Command
	Python   string // the interpreter for a Python Runtime; "" finds python3.X or python3
	TaskRoot string // LAMBDA_TASK_ROOT and the working directory
	// Command is the runtime's command line; empty runs the embedded
	// runtime client of Runtime.
	Command      []string
	FunctionName string
	MemoryMB     int
	Region       string
	Timeout      time.Duration // per invocation
	InitTimeout  time.Duration
	// Wrapper is the coldprof-wrapper to start; "" chooses one (see
	// FindWrapper).
	Wrapper string
	// Responses prints each invocation's response on stderr.
	Responses bool
	// ColdStarts is how many cold starts Execute runs, each a fresh
	// runtime process given the same events (0 means 1).
	ColdStarts int
	// Env is the function's own variables (KEY=VALUE), set after
	// Lambda's, so they win.
	Env []string
}

// KnownRuntime reports whether Plan has a runtime client for runtime.
func KnownRuntime(runtime string) bool {
	_, lang := langFamily(runtime)
	return lang || isPythonRuntime(runtime)
}

// FailedInvocations is Execute's error when the runtime ran every event but
// some invocations returned an error.
type FailedInvocations struct{ Failed, Total int }

func (e *FailedInvocations) Error() string {
	return fmt.Sprintf("%d of %d invocations failed", e.Failed, e.Total)
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

// A Launch is the process a cold start starts and how to describe it.
type Launch struct {
	Path    string   // executable to start (the wrapper)
	Argv    []string // full argv, argv[0] included
	Env     []string // Lambda's environment; append the function's own
	Dir     string
	Runtime string // "python3.12", "" when unknown
	cfg     *Config
}

// Plan decides what runs: the wrapper, in front of c.Command or of the
// runtime client, with Lambda's environment. tmp holds what it writes (the
// runtime clients, the hooks) until the caller removes it; notes go to
// stderr.
func Plan(ctx context.Context, c *Config, tmp string, stderr io.Writer) (*Launch, error) {
	command := c.Command
	taskRoot, err := filepath.Abs(c.TaskRoot)
	if err != nil {
		return nil, err
	}
	l := &Launch{Dir: taskRoot, cfg: c}
	runtimeDir := tmp
	if family, lang := langFamily(c.Runtime); lang {
		if command, l.Runtime, err = planLangLaunch(ctx, family, c.Handler, command, tmp); err != nil {
			return nil, err
		}
	} else if c.Runtime != "" {
		python := c.Python
		if python == "" {
			python = findPython(c.Runtime)
		}
		info, err := runtimes.ProbePython(ctx, python)
		if err != nil {
			return nil, err
		}
		if want := strings.TrimPrefix(c.Runtime, "python"); want != "3" && want != info.Version {
			fmt.Fprintf(stderr, "coldprof: warning: --runtime %s but %s is Python %s\n", c.Runtime, python, info.Version)
		}
		l.Runtime = info.Runtime()
		if len(command) == 0 {
			if info.Awslambdaric {
				// The container-image form; awslambdaric loads the handler from the working directory.
				command = []string{python, "-m", "awslambdaric", c.Handler}
				fmt.Fprintf(stderr, "coldprof: %s has awslambdaric: using it as the runtime client\n", python)
			} else {
				bootstrap, err := runtimes.WritePython(tmp)
				if err != nil {
					return nil, err
				}
				command = []string{python, bootstrap}
			}
		}
	}
	wrapperPath, wrapperArgs, why, err := FindWrapper(c.Wrapper)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "coldprof: wrapper: %s\n", why)
	l.Path = wrapperPath
	l.Argv = append(wrapperArgs, command...)
	l.Env = lambdaEnv(os.Environ(), c, taskRoot, runtimeDir, l.Runtime)
	hookVars, err := hookEnv(tmp)
	if err != nil {
		return nil, err
	}
	l.Env = append(l.Env, hookVars...)
	l.Env = append(l.Env, c.Env...) // last wins (os/exec keeps the last of duplicate keys)
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

// lambdaEnv is the caller's environment plus what Lambda sets for a
// function (reference §1.7). The caller's PATH, HOME and credentials stay.
func lambdaEnv(base []string, c *Config, taskRoot, runtimeDir, runtime string) []string {
	now := time.Now().UTC()
	var id [16]byte
	rand.Read(id[:])
	set := map[string]string{
		"_HANDLER":                        c.Handler,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              runtimeDir,
		"AWS_LAMBDA_FUNCTION_NAME":        c.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + c.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(id[:]),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      c.Region,
		"AWS_DEFAULT_REGION":              c.Region,
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

// Run plans c's cold starts in a temporary folder and executes them with
// events, their log at logPath (in the folder when empty). Once they ran,
// failed or not, it hands the log to report before the folder goes. Its
// error is Plan's or Execute's.
func Run(ctx context.Context, c *Config, events [][]byte, logPath string, stderr io.Writer, report func(logPath string)) error {
	tmp, err := os.MkdirTemp("", "coldprof-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	l, err := Plan(ctx, c, tmp, stderr)
	if err != nil {
		return err
	}
	kept := logPath != ""
	if !kept {
		logPath = filepath.Join(tmp, "cold-start.log")
	}
	err = l.Execute(ctx, events, logPath, stderr)
	if kept {
		fmt.Fprintf(stderr, "coldprof: log saved to %s\n", logPath)
	}
	report(logPath)
	return err
}

// Execute runs the launch's cold starts (Config.ColdStarts, one after
// another) with their output and the emulator's lines in a new log at
// logPath, and returns nil when every invocation succeeded.
func (l *Launch) Execute(ctx context.Context, events [][]byte, logPath string, stderr io.Writer) error {
	// O_APPEND: the runtime's output and the emulator's lines land in the
	// order they were written, across processes.
	// Readable too: the emulator checks the last byte before a platform line.
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_RDWR|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	n := max(l.cfg.ColdStarts, 1)
	var runErr error
	for i := 1; i <= n && runErr == nil; i++ {
		if n > 1 {
			fmt.Fprintf(stderr, "coldprof: cold start %d of %d\n", i, n)
		}
		runErr = l.run(ctx, events, logFile, stderr)
		if runErr != nil && n > 1 {
			runErr = fmt.Errorf("cold start %d of %d: %w", i, n, runErr)
		}
	}
	if err := logFile.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing %s: %w", logPath, err)
	}
	return runErr
}

// run starts the wrapper under the emulator, sends the events and stops
// the whole process group. Progress and failures go to stderr. It returns
// nil when every invocation succeeded.
func (l *Launch) run(ctx context.Context, events [][]byte, logFile *os.File, stderr io.Writer) error {
	c := l.cfg
	var pid atomic.Int64
	// Where this cold start's lines begin in the log (O_APPEND: the end).
	logStart, err := logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	emu, err := emulator.New(emulator.Config{
		FunctionName:    c.FunctionName,
		MemoryMB:        c.MemoryMB,
		Region:          c.Region,
		RuntimeVersion:  platform.RuntimeVersion(l.Runtime, "local"),
		InitTimeout:     c.InitTimeout,
		Timeout:         c.Timeout,
		Log:             logFile,
		MaxMemoryUsedMB: func() int { return peakRSSMB(int(pid.Load())) },
	})
	if err != nil {
		return err
	}
	defer emu.Close()

	cmd := &exec.Cmd{
		Path:        l.Path,
		Args:        l.Argv,
		Env:         append(l.Env, "AWS_LAMBDA_RUNTIME_API="+emu.Addr()),
		Dir:         l.Dir,
		Stdout:      logFile,
		Stderr:      logFile,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	becomeSubreaper()
	emu.BeginInit()
	if err := cmd.Start(); err != nil {
		emu.RuntimeExited("not started")
		return fmt.Errorf("starting %s: %w", l.Path, err)
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

	fmt.Fprintf(stderr, "coldprof: running %s\n", quoteArgs(l.Argv))
	if err := emu.WaitInit(ctx); err != nil {
		var ie *emulator.InitError
		if errors.As(err, &ie) && ie.ErrorType == emulator.ErrorTypeExit {
			<-exited
			return fmt.Errorf("the function exited during init (%s)%s", exitStatus, lastLines(logFile.Name()))
		}
		if errors.As(err, &ie) && ie.Status == "timeout" {
			return fmt.Errorf("init did not finish within --init-timeout %s; the runtime was killed (the report shows what loaded until then)", c.InitTimeout)
		}
		return err
	}
	fmt.Fprintf(stderr, "coldprof: init done in %s\n", emu.InitDuration().Round(time.Millisecond))

	failed := 0
	for i, ev := range events {
		res, err := emu.Invoke(ctx, emulator.Event{Payload: ev})
		n := fmt.Sprintf("invocation %d of %d", i+1, len(events))
		if errors.Is(err, emulator.ErrRuntimeExited) {
			<-exited
			return fmt.Errorf("the runtime exited (%s) before %s%s", exitStatus, n, lastLines(logFile.Name()))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if c.Responses {
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
			return fmt.Errorf("%s timed out after --timeout %s; the runtime was killed%s", n, c.Timeout, rejected(emu))
		case emulator.StatusExited:
			<-exited
			return fmt.Errorf("the runtime exited (%s) during %s%s", exitStatus, n, lastLines(logFile.Name()))
		}
	}
	// Stop the runtime where Lambda would freeze it: once it asked for its
	// next event (the Node.js sampler writes the first invocation's lines
	// between the response and that request), not the moment the response
	// arrived.
	emu.WaitIdle(ctx, 2*time.Second)
	if !waitSampler(ctx, logFile.Name(), logStart, 2*time.Second) {
		fmt.Fprintf(stderr, "coldprof: the sampler wrote no end line within 2 s of the last event; the runtime is stopped anyway\n")
	}
	if failed > 0 {
		return &FailedInvocations{Failed: failed, Total: len(events)}
	}
	return nil
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
		if _, ok := marker.Find([]byte(line)); ok || strings.HasPrefix(line, "import time:") || strings.Contains(line, sampleline.Prefix+"{") || platform.Begins([]byte(line)) || line == "" {
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
