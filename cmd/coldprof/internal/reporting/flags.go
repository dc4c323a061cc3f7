package reporting

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

// Flags are the flags of every command that prints a report (report,
// run, logs, diff), bound to one struct as pprof's installConfigFlags binds
// its config: each command installs them on its flag set, so they are
// spelled, documented and checked the same everywhere.
type Flags struct {
	cmd     string          // the command, for messages
	formats []report.Format // the --format values the command renders
	fs      *pflag.FlagSet

	format    string
	output    string
	input     string
	phase     string
	top       int
	min       time.Duration
	depth     int
	tree      bool
	coldStart string
	budgets   []string
	arch      string
	price     float64
}

// Which groups of report flags a command installs.
const (
	// ColdStartFlags shape a report of cold starts: --phase, --top, --min,
	// --depth, --tree, --cold-start, --budget.
	ColdStartFlags = 1 << iota
	// FileFlags are for commands that read log files: --input-format.
	FileFlags
)

// defaultMin keeps a tree readable: imports under 1 ms are folded.
const defaultMin = time.Millisecond

// Install registers the report flags of the groups in set, with
// --format taking one of formats.
func Install(fs *pflag.FlagSet, cmd string, formats []report.Format, set int) *Flags {
	f := &Flags{cmd: cmd, formats: formats, fs: fs}
	fs.StringVar(&f.format, "format", string(report.FormatTable), "output format: "+FormatList(formats))
	fs.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	if set&FileFlags != 0 {
		fs.StringVar(&f.input, "input-format", string(envelope.FormatAuto), "the shape of the inputs: "+inputFormatList()+"; auto recognises each file's")
	}
	if set&ColdStartFlags != 0 {
		fs.StringVar(&f.phase, "phase", "", "show only one phase: interpreter, runtime, init or invoke")
		fs.IntVar(&f.top, "top", report.DefaultTop, "rows in each hot-spot and aggregate table")
		fs.DurationVar(&f.min, "min", defaultMin, "with --tree: fold entries whose cumulative time is under this (e.g. 500us, 2ms)")
		fs.IntVar(&f.depth, "depth", 0, "with --tree: fold entries deeper than this (1 = top level only; 0 = no limit)")
		fs.BoolVar(&f.tree, "tree", false, "add each cold start's import tree, in log order")
		fs.StringVar(&f.coldStart, "cold-start", "", "report only the cold start with this ID (the log stream name, or FILE#N)")
		fs.StringVar(&f.arch, "arch", "", "the function's architecture for init-cost, x86_64 or arm64 (default: the start marker's)")
		fs.Float64Var(&f.price, "price", 0, "USD per GB-second for init-cost, overriding Lambda's public us-east-1 price")
		fs.StringArrayVar(&f.budgets, "budget", nil, "exit 1 when a median is over budget: init=800ms (the init phase's imports, not Lambda's Init Duration), total=1.5s, module:boto3=200ms (repeatable)")
	}
	for _, name := range reportFlagNames {
		if fs.Lookup(name) != nil {
			fs.SetAnnotation(name, cli.ReportGroup, nil)
		}
	}
	return f
}

// Config is what the report flags ask for, checked.
type Config struct {
	Cmd    string // the command, for messages
	Opts   report.Options
	Gates  []report.Gate   // --budget
	Input  envelope.Format // --input-format
	Output string          // -o
}

// SetDefaultArch sets --arch to arch unless the command line set it.
func (f *Flags) SetDefaultArch(arch string) {
	if !f.fs.Changed("arch") {
		f.arch = arch
	}
}

// Config checks the flags and says how to fix a bad one.
func (f *Flags) Config() (Config, error) {
	cfg := Config{Cmd: f.cmd, Output: f.output, Input: envelope.FormatAuto}
	cfg.Opts = report.Options{
		Format:    report.Format(f.format),
		Phase:     profile.Phase(f.phase),
		Top:       f.top,
		MinUs:     f.min.Microseconds(),
		Depth:     f.depth,
		Tree:      f.tree,
		ColdStart: f.coldStart,
		Findings:  report.FindingOptions{Arch: f.arch, PricePerGBSecond: f.price},
	}
	if !FormatIn(cfg.Opts.Format, f.formats) {
		return cfg, cli.Usagef("%s: unknown --format %q; use one of %s", f.cmd, f.format, FormatList(f.formats))
	}
	if f.fs.Lookup("phase") != nil {
		if err := f.checkShape(cfg.Opts); err != nil {
			return cfg, err
		}
	}
	if f.fs.Lookup("input-format") != nil {
		in, err := envelope.ParseFormat(f.input)
		if err != nil {
			return cfg, cli.Usagef("%s: --input-format: %v", f.cmd, err)
		}
		cfg.Input = in
	}
	for _, b := range f.budgets {
		g, err := report.ParseBudget(b)
		if err != nil {
			return cfg, cli.Usagef("%s: --budget: %v", f.cmd, err)
		}
		cfg.Gates = append(cfg.Gates, g)
	}
	return cfg, nil
}

// checkShape checks the flags that shape a report of cold starts.
func (f *Flags) checkShape(opts report.Options) error {
	switch {
	case opts.Phase != "" && !opts.Phase.Valid():
		return cli.Usagef("%s: unknown --phase %q; use interpreter, runtime, init or invoke", f.cmd, opts.Phase)
	case opts.Top <= 0:
		return cli.Usagef("%s: --top must be at least 1, not %d", f.cmd, opts.Top)
	case opts.MinUs < 0:
		return cli.Usagef("%s: --min must not be negative", f.cmd)
	case opts.Depth < 0:
		return cli.Usagef("%s: --depth must be 0 (no limit) or more, not %d", f.cmd, opts.Depth)
	case !opts.Tree && (f.fs.Changed("min") || f.fs.Changed("depth")):
		return cli.Usagef("%s: --min and --depth shape the import tree; add --tree", f.cmd)
	case opts.Findings.Arch != "" && opts.Findings.Arch != "x86_64" && opts.Findings.Arch != "arm64":
		return cli.Usagef("%s: --arch must be x86_64 or arm64, not %q", f.cmd, opts.Findings.Arch)
	case opts.Findings.PricePerGBSecond < 0:
		return cli.Usagef("%s: --price must not be negative", f.cmd)
	}
	return nil
}

// reportFlagNames are the flags Install may register.
var reportFlagNames = []string{"format", "output", "input-format", "phase", "top", "min", "depth", "tree", "cold-start", "arch", "price", "budget"}

// Changed returns the report flags set on the command line, as --name.
func (f *Flags) Changed() []string {
	var names []string
	for _, name := range reportFlagNames {
		if fl := f.fs.Lookup(name); fl != nil && fl.Changed {
			names = append(names, "--"+name)
		}
	}
	return names
}

// FormatIn reports whether f is one of formats.
func FormatIn(f report.Format, formats []report.Format) bool {
	for _, k := range formats {
		if k == f {
			return true
		}
	}
	return false
}

// FormatList is formats as a comma-separated list, for help and messages.
func FormatList(formats []report.Format) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func inputFormatList() string {
	names := make([]string, 0, len(envelope.Formats()))
	for _, f := range envelope.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}
