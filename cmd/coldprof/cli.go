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
			fmt.Fprintf(stderr, usage, fs.FlagUsages())
			return errHelp
		}
		return usagef("%s: %v (see coldprof %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}
