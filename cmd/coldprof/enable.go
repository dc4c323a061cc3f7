package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/layer"
)

const enableUsage = `Usage: coldprof enable --function NAME [--layer ARN] [--dry-run] [--region R] [--profile P]

Turns coldprof on for a Lambda function: adds the coldprof layer (every other
layer kept, in order; an older coldprof version replaced where it stands),
sets AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper, moves a wrapper the
function already had (OpenTelemetry, Datadog, Lambda Web Adapter, …) to
COLDPROF_NEXT_WRAPPER, and keeps every other variable byte for byte. What it
changed is remembered on the function (COLDPROF_UNDO), so coldprof disable
restores exactly that, from any machine. The update is conditional on the
configuration's revision ID: a concurrent change is detected, not overwritten.

It refuses functions where profiling cannot work: provided.* runtimes (they
ignore the wrapper), container images (no layers), and the JSON log format at
application log level WARN or above (Lambda drops the import lines).

Flags:
%s
Needs lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration and
lambda:GetLayerVersion on the layer version. AWS_ENDPOINT_URL (or
AWS_ENDPOINT_URL_LAMBDA, or a profile's endpoint_url) points it elsewhere,
e.g. at LocalStack.

Example:
  coldprof enable --function my-fn --layer arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:1 --dry-run
`

// awsFlags are the flags every AWS command takes.
type awsFlags struct {
	function string
	region   string
	profile  string
	dryRun   bool
}

func (f *awsFlags) register(fs *pflag.FlagSet, dryRun bool) {
	fs.StringVar(&f.function, "function", "", "the function's name or ARN")
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION, the profile's region)")
	fs.StringVar(&f.profile, "profile", "", `AWS profile (default: AWS_PROFILE, "default")`)
	if dryRun {
		fs.BoolVar(&f.dryRun, "dry-run", false, "print the change and change nothing")
	}
}

func (f *awsFlags) settings() awsapi.Settings {
	return awsapi.Settings{Region: f.region, Profile: f.profile, MaxBackoff: testOnlyMaxBackoff}
}

// testOnlyMaxBackoff shortens the SDK's waits between retries in tests; 0
// keeps the SDK's default.
var testOnlyMaxBackoff time.Duration

// parseAWSFlags parses the flags of a command that takes no arguments,
// printing usage for --help.
func parseAWSFlags(fs *pflag.FlagSet, usage string, args []string, stderr io.Writer) error {
	if err := cli.ParseFlags(fs, usage, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("%s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return nil
}

func runEnable(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	var f awsFlags
	fs := cli.NewFlagSet("enable")
	f.register(fs, true)
	layerARN := fs.String("layer", "", "the coldprof layer version ARN for the function's architecture (coldprof layer build prints how to publish it); optional when the function already has it")
	if err := parseAWSFlags(fs, enableUsage, args, stderr); err != nil {
		return err
	}
	if f.function == "" {
		return cli.Usagef("enable: --function NAME is required")
	}
	return changeFunction(stdout, f, "enable", func(fn awsapi.Function) (awsapi.Change, error) {
		return awsapi.PlanEnable(fn, *layerARN)
	})
}

// changeFunction reads the function, plans the change, prints it, and
// applies it unless this is a dry run.
func changeFunction(stdout io.Writer, f awsFlags, verb string, plan func(awsapi.Function) (awsapi.Change, error)) error {
	fn, revision, err := awsapi.ChangeFunction(context.Background(), stdout, f.settings(), f.function, verb, f.dryRun, plan)
	if err != nil || f.dryRun {
		return err
	}
	next := "the next cold start is profiled; read it with: coldprof logs --function " + layer.ShellQuote(fn.Name) + " --since 15m"
	if verb == "disable" {
		next = "the next cold start runs without coldprof"
	}
	_, err = fmt.Fprintf(stdout, "updated to revision %s; Lambda applies it within seconds, and %s\n", revision, next)
	return err
}
