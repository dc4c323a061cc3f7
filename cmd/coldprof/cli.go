package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// newFlagSet returns the flag set of a command: errors returned, not
// printed, and flags listed in the order they are registered.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

// parseFlags parses args with fs. For -h or --help it prints usage, a
// format whose one %s is replaced by the flags' help generated from fs,
// and returns errHelp; every command's help is made this way.
func parseFlags(fs *pflag.FlagSet, usage string, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stderr, usage, flagUsages(fs))
			return errHelp
		}
		return usagef("%s: %v (see coldprof %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}

// reportGroup annotates the flags installReportFlags registers, so that a
// command's help lists them apart from the command's own.
const reportGroup = "coldprof-report-flag"

// flagUsages is fs's flag list: the command's own flags, then the report
// flags under a heading of their own when the command has both.
func flagUsages(fs *pflag.FlagSet) string {
	own, rep := pflag.NewFlagSet("", pflag.ContinueOnError), pflag.NewFlagSet("", pflag.ContinueOnError)
	own.SortFlags, rep.SortFlags = false, false
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[reportGroup]; ok {
			rep.AddFlag(f)
		} else {
			own.AddFlag(f)
		}
	})
	if !own.HasFlags() || !rep.HasFlags() {
		return fs.FlagUsages()
	}
	return own.FlagUsages() + "\nReport flags (as coldprof report takes them):\n" + rep.FlagUsages()
}
