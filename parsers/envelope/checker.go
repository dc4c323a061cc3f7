package envelope

import (
	"fmt"
	"io"
	"slices"
	"unsafe"
)

// CloudWatch splits a line longer than its event size limit into several
// events (lambda-runtime.md §4.4: 256 KB = 262,144 bytes less 26 bytes of
// overhead per event; 1 MB since 2025 for PutLogEvents, which Lambda may
// or may not use). A message this close to a limit is taken to be the first
// piece of a split line.
var splitLimits = [...]int{262144 - 26, 1048576 - 26}

// splitSlack is how far below a limit a piece may end: the limit counts
// bytes in UTF-8 and a split never cuts a character in two, and tail
// strips trailing white space.
const splitSlack = 64

// maxJoined bounds a rejoined event, so a run of maximal events cannot grow
// memory without end.
const maxJoined = 8 << 20

func atSplitLimit(n int) bool {
	for _, limit := range splitLimits {
		if n >= limit-splitSlack && n <= limit {
			return true
		}
	}
	return false
}

// checker wraps every decoder Open returns with what all shapes need:
// platform events rewritten as TEXT lines, split events rejoined, and
// out-of-order events reported. It hands out its records in place
// (RecordDecoder), as its source does.
type checker struct {
	src RecordDecoder
	lineWarner

	held    Record // read ahead while looking for a split event's rest
	hasHeld bool
	joined  []byte
	text    []byte
	streams map[string]*streamState
	// streamBytes counts the name bytes the streams map holds.
	streamBytes int
	// recent are the states of the last few streams, tried before the map
	// (see interner.recent); nextRecent is the slot to replace next.
	recent     [4]recentStream
	nextRecent int

	pendingErr error  // the error that ended the input while looking ahead
	rejoined   Record // what rejoin made
	summarised bool
}

type recentStream struct {
	name string
	st   *streamState
}

type streamState struct {
	lastUs    int64
	lastLine  int
	backwards int
}

func newChecker(src Decoder, source string, warn func(string, string)) *checker {
	return &checker{src: AsRecordDecoder(src), lineWarner: lineWarner{source, warn}, streams: make(map[string]*streamState)}
}

// Next returns the next record.
func (c *checker) Next() (Record, error) {
	rec, err := c.NextRecord()
	if err != nil {
		return Record{}, err
	}
	return *rec, nil
}

// NextRecord returns the next record in place (see RecordDecoder): the
// source's own, changed where needed.
func (c *checker) NextRecord() (*Record, error) {
	var rec *Record
	var err error
	if c.hasHeld || c.pendingErr != nil {
		rec, err = c.read()
	} else {
		rec, err = c.src.NextRecord()
		if err == io.EOF {
			c.summariseOrder()
		}
	}
	if err != nil {
		return nil, err
	}
	if atSplitLimit(len(rec.Text)) {
		rec = c.rejoin(*rec)
	}
	if len(rec.Text) > 0 && rec.Text[0] == '{' {
		if text, us, ok := platformText(c.text[:0], rec.Text); ok {
			c.text = text
			rec.Text, rec.Platform, rec.OneLine = text, true, false
			if rec.TimeUs == 0 {
				rec.TimeUs = us
			}
		}
	}
	c.checkOrder(rec)
	return rec, nil
}

// read returns the record held back by rejoin, or the error that ended
// the input while it looked ahead.
func (c *checker) read() (*Record, error) {
	switch {
	case c.hasHeld:
		c.hasHeld = false
		return &c.held, nil
	case c.pendingErr != nil:
		return nil, c.pendingErr
	}
	return c.next()
}

// next reads from the decoder and, at the end of the input, reports the
// streams whose events went back in time more than once.
func (c *checker) next() (*Record, error) {
	rec, err := c.src.NextRecord()
	if err == io.EOF {
		c.summariseOrder()
	}
	return rec, err
}

// rejoin appends the events that continue a split one. Only the very next
// event can be its rest, and only when it comes from the same stream at the
// same time; otherwise the split is reported and left alone. first is a
// copy: reading on reuses the source's record.
func (c *checker) rejoin(first Record) *Record {
	c.joined = append(c.joined[:0], first.Text...)
	pieces, lastPiece := 1, len(first.Text)
	for atSplitLimit(lastPiece) {
		next, err := c.next()
		if err != nil {
			c.pendingErr = err
			break
		}
		sameTime := next.TimeUs == first.TimeUs || next.TimeUs == 0 || first.TimeUs == 0
		if next.Stream != first.Stream || !sameTime || len(c.joined)+len(next.Text) > maxJoined {
			c.held, c.hasHeld = *next, true
			break
		}
		c.joined = append(c.joined, next.Text...)
		lastPiece = len(next.Text)
		pieces++
	}
	first.Text, first.OneLine = c.joined, false
	if pieces == 1 {
		c.warnf(first.Line, "event of %d bytes is at CloudWatch's event size limit and the next event does not continue it: the line was probably cut short", len(first.Text))
	} else {
		c.warnf(first.Line, "%d events rejoined into one line of %d bytes: CloudWatch splits lines longer than its event size limit", pieces, len(first.Text))
	}
	c.rejoined = first
	return &c.rejoined
}

// checkOrder warns, once per stream, when an event is older than one
// before it in the same stream: import trees are built in log order, so
// events sorted or merged out of order give wrong trees and phases.
func (c *checker) checkOrder(rec *Record) {
	if rec.TimeUs == 0 {
		return
	}
	var st *streamState
	for _, r := range c.recent {
		if r.st != nil && SameStreamName(r.name, rec.Stream) {
			st = r.st
			break
		}
	}
	if st == nil {
		st = c.streams[rec.Stream]
		if st == nil {
			// Past the interner's bounds the order check starts afresh
			// too, so distinct names cannot grow memory without end.
			if len(c.streams) >= maxInternedNames || c.streamBytes+len(rec.Stream) > maxInternedBytes {
				clear(c.streams)
				c.recent = [len(c.recent)]recentStream{}
				c.streamBytes = 0
			}
			st = &streamState{}
			c.streams[rec.Stream] = st
			c.streamBytes += len(rec.Stream)
		}
		c.recent[c.nextRecent] = recentStream{rec.Stream, st}
		c.nextRecent = (c.nextRecent + 1) % len(c.recent)
	}
	if rec.TimeUs >= st.lastUs {
		st.lastUs, st.lastLine = rec.TimeUs, rec.Line
		return
	}
	st.backwards++
	if st.backwards == 1 {
		name := rec.Stream
		if name == "" {
			name = "(no stream name)"
		}
		c.warnf(rec.Line, "event is %.3f ms older than the event at line %d of the same log stream %s: events are out of time order, so import trees and phases may be wrong (export events in stored order, e.g. with filter-log-events or aws logs tail)",
			float64(st.lastUs-rec.TimeUs)/1000, st.lastLine, name)
	}
}

// summariseOrder reports how many events of each stream were out of order
// beyond the first, which was reported where it happened.
func (c *checker) summariseOrder() {
	if c.summarised || c.warn == nil {
		return
	}
	c.summarised = true
	var names []string
	for name, st := range c.streams {
		if st.backwards > 1 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		c.warn(c.source, fmt.Sprintf("%d events out of time order in log stream %s", c.streams[name].backwards, name))
	}
}

// SameStreamName compares two stream names: interned ones by where their
// bytes are (no call to compare them), others by their last bytes first, as
// names of one log group differ at their end (the environment's ID). The
// parsers' recent-streams check uses it too.
func SameStreamName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b) {
		return true
	}
	return a[len(a)-1] == b[len(b)-1] && a == b
}
