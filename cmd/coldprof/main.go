// Coldprof shows where an AWS Lambda cold start's time goes: which modules,
// classes or files are loaded, how long each takes, and which are loaded in
// the function's global scope (init) and which while handling a request.
//
// Usage:
//
//	coldprof report [FILE…|-]   print a report of the cold starts in logs
//	coldprof run -- CMD…        run a cold start on this machine and report it
//	coldprof version            print the version (also: coldprof --version)
//
// Run "coldprof help COMMAND" for a command's flags.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/buildinfo"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox"
	"github.com/coldprof/coldprof/wrapper"
)

// version is set at link time (-ldflags "-X main.version=…") for releases;
// when it is empty, coldprofVersion reads the build information.
var version string

// coldprofVersion is version, else what the build information says
// (package buildinfo).
func coldprofVersion() string {
	if version != "" {
		return version
	}
	info, _ := debug.ReadBuildInfo()
	return buildinfo.Version(info)
}

// A command runs one subcommand. It returns a cli.UsageError for bad flags or
// arguments (exit 2) and any other error for a failure (exit 1).
type command struct {
	summary string
	run     func(stdin io.Reader, stdout, stderr io.Writer, args []string) error
}

// commands lists the subcommands. Each lives in a file of its own.
var commands = map[string]command{
	"report":  {"print where the cold starts in Lambda logs spent their time", runReport},
	"diff":    {"compare cold starts before and after a change; fail CI past a gate", runDiff},
	"version": {"print coldprof's version", runVersion},
	"run":     {"run a cold start on this machine (local Runtime API, the real wrapper) and report it", runRun},
	"layer":   {"build the Lambda layer zips for x86_64 and arm64", runLayer},
	"enable":  {"turn coldprof on for a Lambda function (layer, wrapper variable; --dry-run)", runEnable},
	"disable": {"undo what coldprof enable changed on a function", runDisable},
	"logs":    {"read a function's logs from CloudWatch and report its cold starts (or --save them)", runLogs},

	"insights-query": {"print a Logs Insights query for per-module import times of a whole fleet; --read its results", runInsightsQuery},

	// Hidden: coldprof acting as coldprof-wrapper and as its proxy (run.go).
	sandbox.WrapperArg: {"", runWrapperMode},
	wrapper.ProxyArg:   {"", runProxyMode},
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout, os.Stderr, os.Args[1:]))
}

// run dispatches to a subcommand and turns its error into an exit status.
func run(stdin io.Reader, stdout, stderr io.Writer, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" && len(args) == 1 {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	switch {
	case name == "--version" || name == "-version":
		name = "version"
	case name == "help" && len(args) > 2:
		fmt.Fprintf(stderr, "coldprof: help takes one command, not %q\n", args[1:])
		return 2
	case name == "help":
		name, args = args[1], []string{args[1], "--help"}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "coldprof: unknown command %q\n\n", name)
		printUsage(stderr)
		return 2
	}
	err := cmd.run(stdin, stdout, stderr, args[1:])
	return cli.ExitCode(stderr, err)
}

func printUsage(w io.Writer) {
	names := make([]string, 0, len(commands))
	width := 0
	for name := range commands {
		if commands[name].summary == "" {
			continue // hidden
		}
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("coldprof shows where an AWS Lambda cold start's time goes.\n\nUsage:\n  coldprof COMMAND [flags] [args]\n\nCommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, name, commands[name].summary)
	}
	b.WriteString("\nRun 'coldprof help COMMAND' (or 'coldprof COMMAND --help') for a command's flags and\nexamples, 'coldprof --version' for the version.\n")
	io.WriteString(w, b.String())
}

const versionUsage = `Usage: coldprof version
       coldprof --version

Prints coldprof's version: the release's, the module version "go install"
recorded, or "devel" and the VCS revision of a build from a clone.
%s`

func runVersion(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := cli.NewFlagSet("version")
	if err := cli.ParseFlags(fs, versionUsage, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("version takes no arguments")
	}
	_, err := fmt.Fprintf(stdout, "coldprof %s %s/%s\n", coldprofVersion(), runtime.GOOS, runtime.GOARCH)
	return err
}
