package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// ErrNoProfile is returned by ReadAll and ReadDecoder when an input held no
// cold start with at least one load-time line. A Reader whose first Next
// returns io.EOF found none either; callers report it with this error.
var ErrNoProfile = errors.New("no cold start profile found (no -X importtime or require-time lines)")

// Options tune a Reader. The zero value is ready to use.
type Options struct {
	// Warn receives every warning as it is found. When nil, warnings are
	// kept and returned by Reader.Warnings.
	Warn func(profile.Warning)
	// Rules override the phase rules of a format (DefaultRules otherwise).
	Rules map[profile.Format]Rules
	// MaxOpenStreams bounds how many log streams are built at once; past it
	// the stream not seen for longest is finished early. 0 means 256.
	MaxOpenStreams int
	// Recycle says the caller hands the cold starts it is done with back
	// with Reader.Recycle, so that their memory is reused.
	Recycle bool
}

// A Reader reads cold starts from one input.
type Reader struct {
	dec    envelope.RecordDecoder
	source string
	opts   Options
	warn   warner

	streams  map[string]*stream
	recent   [4]*stream // the streams of the last records, tried before the map
	next     int        // the slot of recent to replace next
	open     []*stream  // streams being built, in order of first appearance
	ready    []*profile.ColdStart
	readyPos int
	done     bool
	records  uint64 // records read, as a clock for quiet streams
	lastLine int    // line of the last record, for I/O errors
	unnamedN int    // cold starts numbered source#N so far

	names         nameTable
	nameSeq       []string // names by their place in the last cold starts (nameAt)
	rulesByFormat map[profile.Format]*Rules
	pool          *blockPool // set when Options.Recycle is
	spareItems    [][]item   // pending-entry stacks of finished cold starts (keepItems)
}

// NewReader returns a Reader that reads dec. source names the input in
// cold start IDs and warnings ("file:line") and is otherwise unused.
func NewReader(dec envelope.Decoder, source string, opts Options) *Reader {
	if opts.MaxOpenStreams <= 0 {
		opts.MaxOpenStreams = 256
	}
	r := &Reader{
		dec:     envelope.AsRecordDecoder(dec),
		source:  source,
		opts:    opts,
		streams: make(map[string]*stream),
	}
	r.warn.fn, r.warn.source = opts.Warn, source
	r.names = make(nameTable)
	if opts.Recycle {
		r.pool = &blockPool{}
	}
	return r
}

// Next returns the next complete cold start, or io.EOF after the last one.
// Any other error is an I/O error of the input, prefixed with its position;
// it ends the input (the cold starts still open are not returned).
func (r *Reader) Next() (*profile.ColdStart, error) {
	for {
		if r.readyPos < len(r.ready) {
			cs := r.ready[r.readyPos]
			r.ready[r.readyPos] = nil
			r.readyPos++
			return cs, nil
		}
		r.ready, r.readyPos = r.ready[:0], 0
		if r.done {
			return nil, io.EOF
		}
		rec, err := r.dec.NextRecord()
		if err == io.EOF {
			r.finishAll()
			continue
		}
		if err != nil {
			r.done = true
			if r.lastLine > 0 {
				return nil, fmt.Errorf("%s: after line %d: %w", r.source, r.lastLine, err)
			}
			return nil, fmt.Errorf("%s: %w", r.source, err)
		}
		r.lastLine = rec.Line
		r.records++
		r.record(rec)
		if r.records%(idleRecords/4) == 0 && len(r.open) > 1 {
			r.finishIdle()
		}
	}
}

// Warnings returns the warnings found so far when Options.Warn is nil.
func (r *Reader) Warnings() []profile.Warning { return r.warn.kept }

// finishAll ends the input: every open cold start is complete.
func (r *Reader) finishAll() {
	r.done = true
	for _, st := range r.open {
		r.finish(st)
	}
	r.open = nil
	r.warn.flush()
}

// record feeds the lines of one record to its stream's builder.
func (r *Reader) record(rec *envelope.Record) {
	// Exports give a stream's events in runs, or interleave a few streams
	// (aws logs tail, environments that start together), and decoders
	// intern stream names: one of the last few streams is usually the one,
	// and compares in O(1).
	var st *stream
	for _, s := range r.recent {
		if s != nil && envelope.SameStreamName(s.name, rec.Stream) {
			st = s
			break
		}
	}
	if st == nil {
		st = r.streams[rec.Stream]
		if st != nil {
			r.remember(st)
		}
	}
	if st == nil {
		st = &stream{name: rec.Stream}
		r.streams[rec.Stream] = st
		r.remember(st)
	}
	if !st.open {
		if len(r.open) >= r.opts.MaxOpenStreams {
			r.evictOldest()
		}
		st.open = true
		r.open = append(r.open, st)
	}
	st.lastUse = r.records
	if rec.Platform {
		st.jsonLog = true
	}
	text := rec.Text
	line := rec.Line
	if rec.OneLine {
		r.line(st, trimCR(text), line)
		return
	}
	for {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			r.line(st, trimCR(text), line)
			return
		}
		r.line(st, trimCR(text[:i]), line)
		text = text[i+1:]
		line++
	}
}

// remember puts st among the recent streams.
func (r *Reader) remember(st *stream) {
	r.recent[r.next] = st
	r.next = (r.next + 1) % len(r.recent)
}

// trimCR drops a line's trailing '\r' (CRLF inside multi-line events).
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// idleRecords is how many records of other streams may pass before a
// stream whose cold start has finished an invocation is taken as complete.
const idleRecords = 4096

// finishIdle completes the cold starts of streams that finished an
// invocation and have been quiet since: in an export of many streams,
// memory then holds the cold starts still starting, not every one seen.
// An import that comes later in such a stream (a lazy import in a much
// later invocation) is reported as a cold start of its own, with a warning.
func (r *Reader) finishIdle() {
	keep := r.open[:0]
	for _, st := range r.open {
		if st.cs != nil && st.cs.invokeDone && r.records-st.lastUse > idleRecords {
			r.finish(st)
			r.close(st)
			continue
		}
		keep = append(keep, st)
	}
	clear(r.open[len(keep):])
	r.open = keep
}

// evictOldest finishes the stream not seen for longest, keeping memory
// bounded when an export interleaves more streams than MaxOpenStreams.
func (r *Reader) evictOldest() {
	oldest := 0
	for i, st := range r.open {
		if st.lastUse < r.open[oldest].lastUse {
			oldest = i
		}
	}
	st := r.open[oldest]
	early := st.cs != nil && !st.cs.invokeDone
	r.finish(st)
	r.close(st)
	r.open = append(r.open[:oldest], r.open[oldest+1:]...)
	if !early {
		return
	}
	r.warn.warn("evict", 0, func() string {
		return fmt.Sprintf("more than %d log streams open at once: finished stream %q early; later lines of it start a new cold start", r.opts.MaxOpenStreams, st.name)
	})
}

// close marks a finished stream as no longer open. A stream that gave no
// cold start has nothing left to remember (its cold starts are numbered
// from n), so it is forgotten: otherwise an input of a million streams of a
// few lines each would keep a million streams.
func (r *Reader) close(st *stream) {
	st.open = false
	if st.n == 0 && st.cs == nil {
		delete(r.streams, st.name)
		for i, s := range r.recent {
			if s == st {
				r.recent[i] = nil
			}
		}
	}
}

// finish completes the stream's open cold start, if any. The class-load
// grammar first hands over what it held back (which may be the first entry).
func (r *Reader) finish(st *stream) {
	r.addClasses(st, st.java.Flush(), st.javaLine)
	b := st.cs
	if b == nil {
		return
	}
	st.cs = nil
	if cs := r.complete(st, b); cs != nil {
		r.ready = append(r.ready, cs)
	}
	r.keepItems(b.tr.items)
}

// maxKeptItems bounds the pending-entry stacks kept for later cold starts
// (keepItems), in number and in entries each.
const (
	maxKeptItems    = 8
	maxKeptItemsCap = 1 << 16
)

// keepItems keeps a finished builder's pending-entry stack for the next
// cold start, which otherwise grows its own from nothing (growslice was
// 3 % of parsing). The cold start holds none of it: complete copies the
// pointers.
func (r *Reader) keepItems(items []item) {
	if cap(items) == 0 || cap(items) > maxKeptItemsCap || len(r.spareItems) >= maxKeptItems {
		return
	}
	clear(items[:cap(items)])
	r.spareItems = append(r.spareItems, items[:0])
}

// takeItems returns a kept pending-entry stack, or nil.
func (r *Reader) takeItems() []item {
	n := len(r.spareItems)
	if n == 0 {
		return nil
	}
	items := r.spareItems[n-1]
	r.spareItems[n-1] = nil
	r.spareItems = r.spareItems[:n-1]
	return items
}

// ReadAll reads every cold start of a plain-text input (one log line per
// line). It returns ErrNoProfile, wrapped with source, when there is none,
// together with the warnings found. Warnings also go to opts.Warn when set.
func ReadAll(in io.Reader, source string, opts Options) (*profile.Profile, error) {
	return ReadDecoder(envelope.NewRawText(in), source, opts)
}

// ReadDecoder reads every cold start dec yields, like ReadAll.
func ReadDecoder(dec envelope.Decoder, source string, opts Options) (*profile.Profile, error) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{}, Warnings: []profile.Warning{}}
	forward := opts.Warn
	opts.Warn = func(w profile.Warning) {
		p.Warnings = append(p.Warnings, w)
		if forward != nil {
			forward(w)
		}
	}
	r := NewReader(dec, source, opts)
	for {
		cs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p, err
		}
		p.ColdStarts = append(p.ColdStarts, cs)
	}
	if len(p.ColdStarts) == 0 {
		return p, fmt.Errorf("%s: %w", source, ErrNoProfile)
	}
	return p, nil
}

// warnRepeat is how many warnings of one kind are reported in full before
// they are only counted.
const warnRepeat = 5

// A warner reports warnings, rate-limited per kind.
type warner struct {
	source string
	fn     func(profile.Warning)
	kept   []profile.Warning
	counts map[string]*warnCount
}

type warnCount struct {
	n        int
	message  string
	lastLine int
}

// warn reports the message at line (0: the input as a whole). kind groups
// warnings that differ only in details (a name, a number), so that a million
// of them cost one line each for the first few and one summary line. The
// message is only worded when it is reported: the per-line loop stays
// allocation-free on inputs full of one problem.
func (w *warner) warn(kind string, line int, message func() string) {
	if w.counts == nil {
		w.counts = make(map[string]*warnCount)
	}
	c := w.counts[kind]
	if c == nil {
		c = &warnCount{}
		w.counts[kind] = c
	}
	c.n++
	c.lastLine = line
	if c.n <= warnRepeat {
		c.message = message()
		w.emit(profile.Warning{Where: w.where(line), Message: c.message})
	}
}

func (w *warner) where(line int) string {
	if line <= 0 {
		return w.source
	}
	return w.source + ":" + strconv.Itoa(line)
}

func (w *warner) emit(warning profile.Warning) {
	if w.fn != nil {
		w.fn(warning)
		return
	}
	w.kept = append(w.kept, warning)
}

// flush reports how many warnings of each kind were only counted.
func (w *warner) flush() {
	kinds := make([]string, 0, len(w.counts))
	for k, c := range w.counts {
		if c.n > warnRepeat {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		c := w.counts[k]
		w.emit(profile.Warning{Where: w.source, Message: fmt.Sprintf("%d more warnings like %q (the last at %s)", c.n-warnRepeat, c.message, w.where(c.lastLine))})
		c.n = warnRepeat
	}
}
