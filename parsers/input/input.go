// Package input reads the cold starts of many inputs as one stream: log
// files, directories (every file below them), and stdin, each in whichever
// shape package envelope recognises (raw stderr, aws logs tail, sam logs,
// CloudWatch JSON and CSV exports, gzip), parsed with every grammar coldprof
// knows. It is what every coldprof command reads logs with, so that they all
// read the same inputs the same way.
//
// Files is shaped like golang.org/x/perf's benchfmt.Files: the caller fills
// in the inputs and reads results with Next. An input that cannot be opened
// or read is passed to Files.Error and skipped, so the others are still
// read; warnings are passed to Files.Warn as they are found, on the caller's
// goroutine, and the first maxKeptWarnings are kept for the formats that
// embed them.
//
// Decoding and parsing run a few cold starts ahead of the caller on a
// goroutine of their own, so that on two cores they overlap with the
// caller's aggregation and rendering. Text exports are decoded on that
// goroutine too: handing their records to a third one cost more CPU than it
// saved in wall time. JSON and CSV exports, whose decoding costs more than
// their parsing, are decoded on a third goroutine (envelope.WithPrefetch):
// there the overlap pays (parsers/BENCHMARKS.md, "Input side, one
// goroutine").
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// Files reads the cold starts of Paths one input after another. Fill in the
// fields, then call Next until io.EOF, and Close when stopping earlier.
// Files is a report.Source.
type Files struct {
	// Paths are the inputs: files, directories (every regular file below,
	// sorted, hidden ones skipped) and "-" for Stdin.
	Paths []string
	// Stdin is read for "-"; StdinName names it in messages and cold start
	// IDs ("stdin" when empty).
	Stdin     io.Reader
	StdinName string
	// Format is the shape of every input; envelope.FormatAuto (or "")
	// recognises each input's own.
	Format envelope.Format
	// Warn receives each warning about the inputs as it is found; nil
	// drops them (Warnings still returns them).
	Warn func(profile.Warning)
	// Error receives each input that could not be opened or read, and
	// reading goes on with the next. When Error is nil, Next returns that
	// error instead and reading stops there.
	Error func(error)
	// Progress, when set, is called after each cold start read and, while
	// one is awaited, every ProgressTick (when not 0), on the caller's
	// goroutine: a long input without a cold start still shows progress.
	Progress     func(Status)
	ProgressTick time.Duration

	next     int         // index of the next path to open
	parsing  *parseAhead // the current input's parser; nil between inputs
	decoder  io.Closer   // ends the decoding goroutine of the current input, if it has one
	closer   io.Closer   // the current input's file
	name     string      // the input being read, for messages
	probe    *inputProbe // watches the current input, to say why it held nothing
	found    int         // cold starts found in the current input
	total    int         // cold starts found in every input
	empty    []EmptyInput
	failed   int
	warnings []profile.Warning
}

// Status is what a progress line shows.
type Status struct {
	ColdStarts int    // read so far, in every input
	Input      string // the input being read
	Read, Size int64  // bytes of Input read so far, and its size (0: unknown, e.g. a pipe)
}

// An EmptyInput is an input read to its end without a cold start, and
// what it held instead (see inputProbe.why).
type EmptyInput struct{ Name, Why string }

func (e EmptyInput) Error() string {
	return e.Name + ": " + parsers.ErrNoProfile.Error() + ": " + e.Why
}

// maxKeptWarnings bounds the warnings kept for Warnings; Warn gets all.
const maxKeptWarnings = 1000

// Next returns the next cold start of any input, or io.EOF after the last.
func (s *Files) Next() (*profile.ColdStart, error) {
	for {
		if s.parsing == nil {
			if s.next >= len(s.Paths) {
				return nil, io.EOF
			}
			s.next++
			if err := s.open(s.Paths[s.next-1]); err != nil {
				return nil, err
			}
			continue
		}
		item, ok := s.nextItem()
		if !ok { // the parser stopped after its last item
			s.closeCurrent()
			continue
		}
		for _, w := range item.warnings {
			s.warn(w)
		}
		cs, err := item.cs, item.err
		if err == nil {
			s.found++
			s.total++
			s.showProgress()
			return cs, nil
		}
		if err != io.EOF {
			if err := s.fail(err); err != nil {
				return nil, err
			}
		} else if s.found == 0 {
			s.empty = append(s.empty, EmptyInput{Name: s.name, Why: s.probe.why(s.name)})
		}
		s.closeCurrent()
	}
}

// nextItem waits for the parser's next item, calling Progress every
// ProgressTick meanwhile.
func (s *Files) nextItem() (parsed, bool) {
	if s.Progress == nil || s.ProgressTick <= 0 {
		item, ok := <-s.parsing.items
		return item, ok
	}
	tick := time.NewTicker(s.ProgressTick)
	defer tick.Stop()
	for {
		select {
		case item, ok := <-s.parsing.items:
			return item, ok
		case <-tick.C:
			s.showProgress()
		}
	}
}

func (s *Files) showProgress() {
	if s.Progress == nil {
		return
	}
	st := Status{ColdStarts: s.total, Input: s.name}
	if s.probe != nil {
		st.Read, st.Size = s.probe.read.Load(), s.probe.size
	}
	s.Progress(st)
}

// Warnings returns the warnings kept so far (at most maxKeptWarnings).
func (s *Files) Warnings() []profile.Warning { return s.warnings }

// Failed returns how many inputs could not be opened or read.
func (s *Files) Failed() int { return s.failed }

// Empty returns the inputs that were read to their end and held no cold
// start, in order, each with what it held instead.
func (s *Files) Empty() []EmptyInput { return s.empty }

// Close stops reading the current input, for a caller that stops before
// io.EOF.
func (s *Files) Close() { s.closeCurrent() }

// fail counts an input that could not be read and passes err to Error; it
// returns err, to stop, when there is no Error.
func (s *Files) fail(err error) error {
	s.failed++
	if s.Error == nil {
		s.closeCurrent()
		return err
	}
	s.Error(err)
	return nil
}

func (s *Files) warn(w profile.Warning) {
	if s.Warn != nil {
		s.Warn(w)
	}
	if len(s.warnings) < maxKeptWarnings {
		s.warnings = append(s.warnings, w)
	}
}

// open starts reading one input; on failure it reports why (see fail) and
// leaves s.parsing nil so Next moves on. A directory is replaced by its
// files.
func (s *Files) open(name string) error {
	s.name, s.found = name, 0
	var r io.Reader
	if name == "-" {
		s.name = s.StdinName
		if s.name == "" {
			s.name = "stdin"
		}
		if s.Stdin == nil {
			return s.fail(fmt.Errorf("%s: no standard input to read", s.name))
		}
		r = s.Stdin
	} else {
		if info, err := os.Stat(name); err == nil && info.IsDir() {
			files, err := DirFiles(name)
			if err != nil {
				return s.fail(err)
			}
			s.Paths = append(append(append([]string(nil), s.Paths[:s.next]...), files...), s.Paths[s.next:]...)
			return nil
		}
		f, err := os.Open(name)
		if err != nil {
			return s.fail(err)
		}
		r, s.closer = f, f
	}
	p := newParseAhead()
	format := s.Format
	if format == "" {
		format = envelope.FormatAuto
	}
	s.probe = newProbe(r, format)
	dec, err := envelope.Open(s.probe, s.name, format, envelope.WithPrefetchFor(prefetchPays), envelope.WithWarn(func(where, msg string) {
		p.warn(profile.Warning{Where: where, Message: msg})
	}), envelope.WithDetected(func(f envelope.Format) { s.probe.format = f }))
	for _, w := range p.take() {
		s.warn(w)
	}
	if err != nil {
		s.closeCurrent()
		return s.fail(err)
	}
	if c, ok := dec.(io.Closer); ok {
		s.decoder = c
	}
	s.parsing = p
	// Every user of Files (report, diff, logs) hands back the cold starts
	// it is done with (Recycle).
	opts := readerOptions(p.warn)
	opts.Recycle = true
	p.reader = parsers.NewReader(&probedDecoder{envelope.AsRecordDecoder(dec), s.probe, &p.stopped}, s.name, opts)
	go p.run(p.reader)
	return nil
}

// Open opens one input that is not a log (insights-query's results) the
// way Files opens logs: "-" is stdin (named "stdin"), and gzip is
// decompressed within envelope's bounds. close releases the file.
func Open(path string, stdin io.Reader) (r io.Reader, close func() error, err error) {
	name, close := path, func() error { return nil }
	if path == "-" {
		if stdin == nil {
			return nil, nil, errors.New("stdin: no standard input to read")
		}
		name, r = "stdin", stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		r, close = f, f.Close
	}
	if r, err = envelope.Decompress(r, name); err != nil {
		close()
		return nil, nil, err
	}
	return r, close, nil
}

// prefetchPays says which shapes are decoded on a goroutine of their own:
// the JSON exports, whose decoding costs more CPU than their parsing (a
// 200 MB filter-log-events export: decoding 0.58 s, parsing 0.15 s), so
// that overlapping them keeps the wall time; not the text shapes, where
// the hand-off cost more than it saved. The CSV export was not measured
// and keeps the prefetching it had.
func prefetchPays(f envelope.Format) bool {
	switch f {
	case envelope.FormatSAMJSON, envelope.FormatFilterLogEvents, envelope.FormatGetLogEvents,
		envelope.FormatInsightsJSON, envelope.FormatInsightsCSV:
		return true
	}
	return false
}

// NewReader is the parser every command reads logs with: the built-in
// load-time lines and the JVM's class-load log.
func NewReader(dec envelope.Decoder, name string, warn func(profile.Warning)) *parsers.Reader {
	return parsers.NewReader(dec, name, readerOptions(warn))
}

func readerOptions(warn func(profile.Warning)) parsers.Options {
	return parsers.Options{Warn: warn}
}

// Recycle hands a cold start the caller is done with back to the parser
// that made it, which reuses its memory (report.Recycler). One from an
// earlier input is left to the garbage collector.
func (s *Files) Recycle(cs *profile.ColdStart) {
	if s.parsing != nil {
		s.parsing.reader.Recycle(cs)
	}
}

// closeCurrent stops reading the current input.
func (s *Files) closeCurrent() {
	if s.parsing != nil {
		s.parsing.close()
	}
	if s.decoder != nil {
		s.decoder.Close()
	}
	if s.closer != nil {
		s.closer.Close()
	}
	s.parsing, s.decoder, s.closer = nil, nil, nil
}

// Expand replaces each directory in paths with its files (DirFiles), so
// that a caller can refuse an empty or unreadable directory before it
// reads anything. Other paths, "-" included, stand for themselves.
func Expand(paths []string) ([]string, error) {
	var names []string
	for _, p := range paths {
		if info, err := os.Stat(p); err != nil || !info.IsDir() {
			names = append(names, p) // Files says why it cannot be opened
			continue
		}
		files, err := DirFiles(p)
		if err != nil {
			return nil, err
		}
		names = append(names, files...)
	}
	return names, nil
}

// ErrEmptyDir is wrapped by DirFiles' error for a directory with no files.
var ErrEmptyDir = errors.New("no files in the directory")

// DirFiles returns the regular files below dir, sorted, hidden files and
// directories skipped.
func DirFiles(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrEmptyDir)
	}
	sort.Strings(names)
	return names, nil
}

// A parseAhead runs a parsers.Reader (decoding and parsing) on a goroutine
// of its own, a few cold starts ahead of the caller, so that it overlaps
// with the aggregation and rendering on the caller's. The warnings raised while parsing travel with
// the next cold start, so the caller gets them in the order they were
// raised, on its own goroutine.
type parseAhead struct {
	reader *parsers.Reader // for Recycle, which may be called from another goroutine
	items  chan parsed
	stop   chan struct{}
	once   sync.Once
	// stopped is set with stop; the decoder checks it before each record,
	// so an input with no cold start left is not read to its end.
	stopped atomic.Bool

	mu       sync.Mutex
	warnings []profile.Warning // raised since the last item was sent
}

// parsed is one result of parsers.Reader.Next and the warnings before it.
type parsed struct {
	cs       *profile.ColdStart
	warnings []profile.Warning
	err      error
}

// parseAheadDepth is how many cold starts may wait, parsed, for the caller.
const parseAheadDepth = 2

func newParseAhead() *parseAhead {
	return &parseAhead{items: make(chan parsed, parseAheadDepth), stop: make(chan struct{})}
}

func (p *parseAhead) warn(w profile.Warning) {
	p.mu.Lock()
	p.warnings = append(p.warnings, w)
	p.mu.Unlock()
}

// take returns the warnings raised since the last call.
func (p *parseAhead) take() []profile.Warning {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.warnings
	p.warnings = nil
	return w
}

// run sends r's cold starts until its end (io.EOF or an error, which is
// sent too) or close.
func (p *parseAhead) run(r *parsers.Reader) {
	defer close(p.items)
	for {
		cs, err := r.Next()
		select {
		case p.items <- parsed{cs: cs, warnings: p.take(), err: err}:
		case <-p.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// close makes run return: at its next cold start, or at the next record
// read (see stopped), whichever comes first.
func (p *parseAhead) close() {
	p.once.Do(func() {
		p.stopped.Store(true)
		close(p.stop)
	})
}
