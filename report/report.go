// Package report turns cold starts into answers: where the time of a cold
// start went, and across many cold starts, which modules cost most.
//
// The pipeline runs in two steps, as in pprof:
//
//  1. Analysis. Analyze computes one cold start's phase totals, hot spots
//     (by self and by cumulative time), its roll-up by top-level package and
//     its pruned tree. An Aggregate folds many cold starts into per-module
//     and per-package distributions (count, median, p90, max) one cold start
//     at a time, so memory stays bounded by one cold start plus the
//     aggregate, whatever the number of cold starts.
//  2. Rendering. Write reads cold starts from a Source, runs the analysis and
//     renders it in the chosen Format. Renderers only format the values the
//     analysis computed.
//
// Adding a format: declare its Format constant, add it to Formats, and add a
// case to the switch in Write. Formats that need every cold start at once
// (pictures of the whole profile) call Collect.
package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// A Format names an output format of Write.
type Format string

// The formats this file renders. Other files add theirs.
const (
	// FormatTable is aligned text tables for a terminal.
	FormatTable Format = "table"
	// FormatJSON is the JSON report, schema version 1 (SchemaVersion).
	FormatJSON Format = "json"
	// FormatMarkdown is GitHub-flavoured Markdown, fit for a pull-request comment.
	FormatMarkdown Format = "markdown"
)

// Formats lists every format Write knows, in the order help texts show them.
var Formats = []Format{FormatTable, FormatJSON, FormatMarkdown, FormatHTML, FormatSpeedscope, FormatTrace, FormatFolded}

// DiffFormats lists the formats WriteDiff knows; AggregateFormats those
// WriteAggregate knows. Commands take their --format values from these
// lists, so a format added here is accepted everywhere it renders.
var (
	DiffFormats      = []Format{FormatTable, FormatJSON, FormatMarkdown}
	AggregateFormats = []Format{FormatTable, FormatJSON, FormatMarkdown}
)

// Known reports whether Write renders f.
func (f Format) Known() bool {
	for _, k := range Formats {
		if k == f {
			return true
		}
	}
	return false
}

// DefaultTop is the number of hot spots and aggregate rows shown by default.
const DefaultTop = 10

// Options select and shape what a report shows.
type Options struct {
	Format Format
	// Phase limits hot spots, packages, the tree, the aggregate and JSON's
	// imports to one phase; "" means all. Phase totals always show every phase.
	Phase profile.Phase
	// Top is the number of rows in each hot-spot and aggregate table; 0 means DefaultTop.
	Top int
	// MinUs hides tree entries whose cumulative time is below it.
	MinUs int64
	// Depth hides tree entries deeper than it (1 shows top-level entries only); 0 means no limit.
	Depth int
	// Tree adds each cold start's pruned import tree to the table and Markdown reports.
	Tree bool
	// ColdStart reports only the cold start with this ID; "" reports all.
	ColdStart string
	// Findings configures the findings rules (architecture, price).
	Findings FindingOptions
}

func (o Options) top() int {
	if o.Top <= 0 {
		return DefaultTop
	}
	return o.Top
}

// A Source yields cold starts one at a time. The CLI's source wraps the
// parsers' readers; ProfileSource wraps a profile already in memory.
type Source interface {
	// Next returns the next cold start, or io.EOF after the last one.
	Next() (*profile.ColdStart, error)
	// Warnings returns the warnings met so far; Write calls it after Next
	// returned io.EOF, for formats that embed warnings.
	Warnings() []profile.Warning
}

// A Recycler is a Source that can reuse the memory of the cold starts it
// returned. Write hands a cold start back with Recycle once neither it nor
// anything it keeps refers to the cold start or its imports; the source
// may then overwrite them. Sources that wrap another pass it on.
type Recycler interface {
	Recycle(cs *profile.ColdStart)
}

// recycle hands cs back to src when src can reuse it.
func recycle(src Source, cs *profile.ColdStart) {
	if r, ok := src.(Recycler); ok {
		r.Recycle(cs)
	}
}

// ProfileSource returns a Source over the cold starts and warnings of p.
func ProfileSource(p *profile.Profile) Source { return &profileSource{p: p} }

type profileSource struct {
	p    *profile.Profile
	next int
}

func (s *profileSource) Next() (*profile.ColdStart, error) {
	if s.next >= len(s.p.ColdStarts) {
		return nil, io.EOF
	}
	s.next++
	return s.p.ColdStarts[s.next-1], nil
}

func (s *profileSource) Warnings() []profile.Warning { return s.p.Warnings }

// Collect reads every cold start of src into one profile, for formats that
// need them all at once. It keeps everything in memory.
func Collect(src Source) (*profile.Profile, error) {
	p := &profile.Profile{}
	for {
		cs, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		p.ColdStarts = append(p.ColdStarts, cs)
	}
	p.Warnings = src.Warnings()
	return p, nil
}

// ErrNoColdStart is returned by Write when the source held no cold start
// (or none with Options.ColdStart's ID).
var ErrNoColdStart = errors.New("no cold start")

// Write reads every cold start from src and writes the report in
// opts.Format to w. Cold starts are analysed and released one at a time.
func Write(w io.Writer, src Source, opts Options) error {
	if opts.Phase != "" && !opts.Phase.Valid() {
		return fmt.Errorf("unknown phase %q (want one of %s)", opts.Phase, phaseList())
	}
	src = &selectSource{src: src, opts: opts}
	bw := bufio.NewWriter(w)
	var err error
	switch opts.Format {
	case FormatTable, "":
		err = writeText(bw, src, opts, tableRenderer{})
	case FormatMarkdown:
		err = writeText(bw, src, opts, markdownRenderer{})
	case FormatJSON:
		err = writeJSON(bw, src, opts)
	case FormatHTML, FormatSpeedscope, FormatTrace, FormatFolded:
		err = writePicture(bw, src, opts)
	default:
		return fmt.Errorf("unknown report format %q", opts.Format)
	}
	if err != nil {
		// Leave out what is still buffered: a report that failed early
		// (nothing to report) writes nothing at all.
		return err
	}
	return bw.Flush()
}

// selectSource applies Options.ColdStart, so that every format sees only
// the cold start asked for, and says when nothing matched.
type selectSource struct {
	src   Source
	opts  Options
	seen  int      // cold starts read from src
	sent  int      // cold starts passed on
	other []string // a few IDs that did not match, for the error message
}

func (s *selectSource) Next() (*profile.ColdStart, error) {
	for {
		cs, err := s.src.Next()
		if err == io.EOF {
			return nil, s.end()
		}
		if err != nil {
			return nil, err
		}
		s.seen++
		if s.opts.ColdStart != "" && cs.ID != s.opts.ColdStart {
			if len(s.other) < 5 {
				s.other = append(s.other, cs.ID)
			}
			recycle(s.src, cs)
			continue
		}
		s.sent++
		return cs, nil
	}
}

func (s *selectSource) Recycle(cs *profile.ColdStart) { recycle(s.src, cs) }

// end turns the end of input into io.EOF, or an error when nothing matched.
func (s *selectSource) end() error {
	switch {
	case s.sent > 0:
		return io.EOF
	case s.opts.ColdStart == "":
		return ErrNoColdStart
	default:
		hint := ""
		if len(s.other) > 0 {
			hint = " (IDs such as " + strings.Join(quoteAll(s.other), ", ") + ")"
		}
		return fmt.Errorf("%w with ID %q among the %d read%s", ErrNoColdStart, s.opts.ColdStart, s.seen, hint)
	}
}

func (s *selectSource) Warnings() []profile.Warning { return s.src.Warnings() }

func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return q
}

func phaseList() string {
	names := make([]string, len(profile.Phases))
	for i, p := range profile.Phases {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}
