// Package cli holds what every coldprof command does alike: parsing its
// flags and generating its help, the errors that choose an exit status,
// and writing a report to stdout or to a file.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
)

// ErrHelp is returned when --help was asked for and printed: exit 0.
var ErrHelp = errors.New("help requested")

// A UsageError is a mistake in flags or arguments; it exits with status 2.
type UsageError struct{ msg string }

func (e UsageError) Error() string { return e.msg }

// Usagef returns a UsageError with the formatted message.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// An ExitError asks for a specific exit status, e.g. 1 when a budget gate
// fails. Msg is printed when not empty.
type ExitError struct {
	Code int
	Msg  string
}

func (e ExitError) Error() string { return e.Msg }

// ExitCode prints err (once, with the program name) and maps it to a status.
func ExitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, ErrHelp) {
		return 0
	}
	var exit ExitError
	if errors.As(err, &exit) {
		if exit.Msg != "" {
			fmt.Fprintf(stderr, "coldprof: %s\n", exit.Msg)
		}
		return exit.Code
	}
	fmt.Fprintf(stderr, "coldprof: %v\n", err)
	var usage UsageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

// NewFlagSet returns the flag set of a command: errors returned, not
// printed, and flags listed in the order they are registered.
func NewFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

// ParseFlags parses args with fs. For -h or --help it prints usage, a
// format whose one %s is replaced by the flags' help generated from fs,
// and returns ErrHelp; every command's help is made this way.
func ParseFlags(fs *pflag.FlagSet, usage string, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stderr, usage, flagUsages(fs))
			return ErrHelp
		}
		return Usagef("%s: %v (see coldprof %s --help)", fs.Name(), err, fs.Name())
	}
	return nil
}

// ReportGroup annotates the report flags (package reporting registers
// them), so that a command's help lists them apart from the command's own.
const ReportGroup = "coldprof-report-flag"

// flagUsages is fs's flag list: the command's own flags, then the report
// flags under a heading of their own when the command has both.
func flagUsages(fs *pflag.FlagSet) string {
	own, rep := pflag.NewFlagSet("", pflag.ContinueOnError), pflag.NewFlagSet("", pflag.ContinueOnError)
	own.SortFlags, rep.SortFlags = false, false
	fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[ReportGroup]; ok {
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

// IsTerminal reports whether r (stdin or stderr) is an interactive
// terminal: waiting for stdin there would look like a hang, and only there
// is a progress line welcome.
func IsTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// WriteOutput runs write on stdout, or, with a path (-o/--output), on a
// temporary file in the same folder that replaces path only when write
// succeeded, so a failed run leaves no partial report behind.
func WriteOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".coldprof-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
