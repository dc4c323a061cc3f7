package main

import (
	"io"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
)

const disableUsage = `Usage: coldprof disable --function NAME [--dry-run] [--region R] [--profile P]

Turns coldprof off for a function that coldprof enable turned on: restores
the variables and the layer list to what they were before enable, from the
record enable left on the function (COLDPROF_UNDO), and nothing else. A
variable or layer someone changed since is left as it is, with a note. The
update is conditional on the configuration's revision ID.

Flags:
%s
Example:
  coldprof disable --function my-fn
`

func runDisable(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	var f awsFlags
	fs := cli.NewFlagSet("disable")
	f.register(fs, true)
	if err := parseAWSFlags(fs, disableUsage, args, stderr); err != nil {
		return err
	}
	if f.function == "" {
		return cli.Usagef("disable: --function NAME is required")
	}
	return changeFunction(stdout, f, "disable", awsapi.PlanDisable)
}
