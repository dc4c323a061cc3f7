package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/reporting"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox"
	"github.com/coldprof/coldprof/report"
	"github.com/coldprof/coldprof/wrapper"
	"github.com/coldprof/coldprof/wrapper/proxy"
)

const runUsage = `Usage: coldprof run [flags] -- CMD…
       coldprof run --handler MODULE.FUNCTION --runtime python3 [flags]
       coldprof run --handler HANDLER --runtime nodejs|java|ruby [flags]

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

// runFlagSet registers run's own flags on fs, then the report's.
func runFlagSet(f *runFlags) (*pflag.FlagSet, *reporting.Flags) {
	fs := cli.NewFlagSet("run")
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
	fs.StringVar(&f.wrapper, "wrapper", "", "coldprof-wrapper to run (default: one built from the same source as coldprof, else coldprof itself)")
	return fs, reporting.Install(fs, "run", report.Formats, reporting.ColdStartFlags)
}

func runRun(stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	var f runFlags
	fs, rf := runFlagSet(&f)
	if err := cli.ParseFlags(fs, runUsage, args, stderr); err != nil {
		return err
	}
	command := fs.Args()
	if dash := fs.ArgsLenAtDash(); dash != 0 && len(command) > 0 {
		if dash < 0 {
			dash = len(command)
		}
		return cli.Usagef("run: unexpected argument %q: the command to run goes after --", command[:dash][0])
	}
	// Price init (the init-cost finding) at this machine's architecture,
	// where the function ran.
	rf.SetDefaultArch(map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH])
	cfg, err := rf.Config()
	if err != nil {
		return err
	}
	if err := checkRunFlags(&f, command); err != nil {
		return err
	}
	if stdin == nil && slices.Contains(f.events, "-") {
		return cli.Usagef("run: --event -: no stdin")
	}
	events, err := sandbox.ReadEvents(f.events, f.invocations, stdin)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sb := f.sandbox(command)
	if sb.Env, err = sandbox.FunctionEnv(f.envFiles, f.env, f.function); err != nil {
		return err
	}
	var reportErr error
	runErr := runError(sandbox.Run(ctx, sb, events, f.log, stderr, func(logPath string) {
		reportErr = reporting.Files(nil, stdout, stderr, []string{logPath}, cfg)
	}))
	if runErr != nil {
		if reportErr != nil {
			fmt.Fprintf(stderr, "coldprof: %v\n", reportErr)
		}
		return runErr
	}
	return reportErr
}

// sandbox is the cold start the flags ask for.
func (f *runFlags) sandbox(command []string) *sandbox.Config {
	return &sandbox.Config{
		Handler: f.handler, Runtime: f.runtime, Python: f.python, TaskRoot: f.taskRoot, Command: command,
		FunctionName: f.function, MemoryMB: f.memoryMB, Region: f.region,
		Timeout: f.timeout, InitTimeout: f.initTimeout, Wrapper: f.wrapper, Responses: f.responses,
		ColdStarts: f.coldStarts,
	}
}

// runError is the exit status and message for the sandbox's error.
func runError(err error) error {
	var failed *sandbox.FailedInvocations
	switch {
	case errors.As(err, &failed):
		return cli.ExitError{Code: 1, Msg: failed.Error()}
	case err != nil:
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

// checkRunFlags rejects bad combinations early and says how to fix them.
func checkRunFlags(f *runFlags, command []string) error {
	if f.invocations < 0 {
		return cli.Usagef("run: -n must be 0 or more, not %d", f.invocations)
	}
	if f.coldStarts < 1 || f.coldStarts > 1000 {
		return cli.Usagef("run: --cold-starts must be between 1 and 1000, not %d", f.coldStarts)
	}
	if f.timeout <= 0 || f.initTimeout <= 0 {
		return cli.Usagef("run: --timeout and --init-timeout must be positive")
	}
	if f.memoryMB < 128 || f.memoryMB > 10240 {
		return cli.Usagef("run: --memory must be between 128 and 10240 MB (Lambda's range), not %d", f.memoryMB)
	}
	if len(command) == 0 {
		if f.runtime == "" {
			return cli.Usagef("run: nothing to run: give -- CMD…, or --handler MODULE.FUNCTION --runtime python3")
		}
		if f.handler == "" {
			return cli.Usagef("run: --runtime %s needs --handler MODULE.FUNCTION (e.g. app.lambda_handler)", f.runtime)
		}
	}
	if f.runtime != "" && !sandbox.KnownRuntime(f.runtime) {
		return cli.Usagef("run: --runtime %q is not supported; use python3, python3.X, nodejs, java or ruby", f.runtime)
	}
	if f.python != "" && f.runtime == "" && len(command) == 0 {
		return cli.Usagef("run: --python needs --runtime python3")
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

// runWrapperMode is coldprof acting as coldprof-wrapper: args are the
// runtime's command line. It returns only if exec failed.
func runWrapperMode(_ io.Reader, _, stderr io.Writer, args []string) error {
	self, _ := os.Executable()
	wrapper.SelfProxy = true // runProxyMode below, when no coldprof-proxy is beside coldprof
	if code := wrapper.Main(append([]string{self}, args...), os.Environ(), stderr); code != 0 {
		return cli.ExitError{Code: code}
	}
	return nil
}

// runProxyMode is the runtime-API proxy the wrapper mode starts by
// re-executing os.Executable() with wrapper.ProxyArg (wrapper.SelfProxy).
func runProxyMode(_ io.Reader, _, stderr io.Writer, _ []string) error {
	if code := proxy.Main(os.Environ(), stderr); code != 0 {
		return cli.ExitError{Code: code}
	}
	return nil
}
