package envelope

import (
	"bytes"
	"errors"
	"io"
)

// The "events" arrays of filter-log-events and get-log-events pages are
// nearly all of a large JSON export. json.Decoder scans every event twice
// (once to find its end, once more before UnmarshalJSON), which was two
// thirds of the decoding time. A fastArray reads the elements of such an
// array itself: it finds an event's end by counting braces outside strings
// and hands the bytes to fastParse, which accepts only objects it checks
// completely (the common shape; fuzzed against encoding/json). At the
// first thing it does not handle — an event fastParse declines, anything
// between events but white space and commas, an event over
// maxFastEventBytes, the end of the input — it puts everything back and
// gives the rest to a new json.Decoder, behind a prefix that puts the
// decoder in the same place in the grammar, so errors, warnings and line
// numbers are the decoder's own.
type fastArray struct {
	buf   []byte // read from the input; buf[pos:] is not consumed yet
	pos   int
	line  int  // the line of buf[pos]
	first bool // no element consumed yet: pos is just after '['
	scan  braceScan
}

// maxFastEventBytes bounds an event the fast path holds; CloudWatch events
// are at most 1 MB, a larger one is left to json.Decoder.
const maxFastEventBytes = 4 << 20

// fastReadBytes is how much is read from the input at a time.
const fastReadBytes = 64 << 10

// Prefixes put in front of the rest of the input when the decoder takes
// over, each leading json.Decoder and step to the same place: inside an
// "events" array just after '[' (fallbackFirst), inside one after an
// element (fallbackNext, whose empty element step skips), or in the page
// object just after the array (fallbackEnd; the key is read and dropped,
// and its value ends itself, as a number would not before a stray byte).
const (
	fallbackFirst = `{"events":[`
	fallbackNext  = `{"events":[{}`
	fallbackEnd   = `{"coldprof-events-done":""`
)

// detach leaves json.Decoder at the start of an element of an "events"
// array (or of its end) and reads on with a fastArray.
func (d *cwJSON) detach() {
	off := d.dec.InputOffset()
	line := d.lc.lineAt(off)
	buffered, _ := io.ReadAll(d.dec.Buffered())
	d.fast = &fastArray{buf: buffered, line: line, first: d.eventsFirst}
}

// reattach hands what the fastArray has not consumed back to a new
// json.Decoder behind prefix.
func (d *cwJSON) reattach(prefix string) {
	f := d.fast
	rest := make([]byte, 0, len(prefix)+len(f.buf)-f.pos)
	rest = append(append(rest, prefix...), f.buf[f.pos:]...)
	d.in.unread(rest)
	d.fast = nil
	d.restart(f.line)
	if prefix == fallbackNext {
		d.skipPlaceholder = true
	}
	if prefix != fallbackEnd {
		d.fastCooldown = 1 // the element the fast path declined goes to the decoder
	}
}

// fill reads more input; it reports false at the end of the input or when
// the unconsumed bytes already hold maxFastEventBytes.
func (d *cwJSON) fill() (bool, error) {
	f := d.fast
	if len(f.buf)-f.pos >= maxFastEventBytes {
		return false, nil
	}
	if f.pos > 0 && f.pos >= len(f.buf)/2 {
		f.buf = f.buf[:copy(f.buf, f.buf[f.pos:])]
		f.pos = 0
	}
	if cap(f.buf)-len(f.buf) < fastReadBytes {
		f.buf = append(f.buf, make([]byte, fastReadBytes)...)[:len(f.buf)]
	}
	n, err := d.in.Read(f.buf[len(f.buf):cap(f.buf)])
	f.buf = f.buf[:len(f.buf)+n]
	if n > 0 {
		return true, nil
	}
	if err == nil {
		return true, nil // try again
	}
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	d.lc.readErr = err // fatal, as from the decoder (isIOError)
	return false, err
}

// fastStep reads the next element of the array, or its end, and returns a
// record for an event.
func (d *cwJSON) fastStep() (Record, bool, error) {
	f := d.fast
	for {
		i, line := f.pos, f.line
		// White space, then (after an element) a comma and white space.
		comma := f.first
		for ; i < len(f.buf); i++ {
			c := f.buf[i]
			if c == '\n' {
				line++
			} else if c == ',' && !comma {
				comma = true
			} else if c != ' ' && c != '\t' && c != '\r' {
				break
			}
		}
		if i == len(f.buf) {
			more, err := d.fill()
			if err != nil {
				return Record{}, false, err
			}
			if !more {
				d.reattach(d.fallbackPrefix())
				return Record{}, false, nil
			}
			continue
		}
		switch c := f.buf[i]; {
		case c == ']' && (f.first || !comma):
			f.pos, f.line = i+1, line
			d.reattach(fallbackEnd)
			d.state = stTop // the prefix opens the page object again
			return Record{}, false, nil
		case c != '{' || !comma:
			d.reattach(d.fallbackPrefix())
			return Record{}, false, nil
		}
		if !f.scan.active || f.scan.from != i-f.pos {
			f.scan = braceScan{active: true, from: i - f.pos, next: i - f.pos}
		}
		scanFrom := f.pos + f.scan.next
		end := f.scan.scan(f.buf, f.pos)
		if end >= 0 {
			d.fastScanned += int64(end - scanFrom)
		} else {
			d.fastScanned += int64(f.pos + f.scan.next - scanFrom)
		}
		if end == tooDeep {
			d.reattach(d.fallbackPrefix())
			return Record{}, false, nil
		}
		if end < 0 {
			more, err := d.fill()
			if err != nil {
				return Record{}, false, err
			}
			if !more {
				d.reattach(d.fallbackPrefix())
				return Record{}, false, nil
			}
			continue
		}
		obj := f.buf[i:end]
		d.ev.stream, d.ev.message, d.ev.hasMessage, d.ev.timestampMs = d.ev.stream[:0], d.ev.message[:0], false, 0
		if !d.ev.fastParse(obj) {
			d.reattach(d.fallbackPrefix())
			return Record{}, false, nil
		}
		f.pos, f.line, f.first = end, line+bytes.Count(obj, []byte{'\n'}), false
		return d.evRecord(line)
	}
}

// fallbackPrefix is the prefix for handing over at f.pos.
func (d *cwJSON) fallbackPrefix() string {
	if d.fast.first {
		return fallbackFirst
	}
	return fallbackNext
}

// maxFastDepth bounds how deep the fast path follows an event: CloudWatch
// events are flat objects, and one nested deeper (garbage that may never
// close) is left to json.Decoder at once rather than after
// maxFastEventBytes have been read and scanned.
const maxFastDepth = 16

// tooDeep is what braceScan.scan returns past maxFastDepth.
const tooDeep = -2

// A braceScan is the fast path's progress through an object that the buffer
// does not yet hold whole, so that after a fill only the new bytes are
// scanned: scanning again from the '{' after every 64 KB read made an event
// that never closes cost 64 scans of up to maxFastEventBytes each, before
// json.Decoder took over and the next page started it again.
type braceScan struct {
	active            bool
	from, next        int // offsets from base: the object's '{', the first byte not yet scanned
	depth             int
	inString, escaped bool
}

// scan goes on through b from base+s.next and returns the index just after
// the '}' that closes the object, -1 when b ends first, or tooDeep.
func (s *braceScan) scan(b []byte, base int) int {
	i := base + s.next
	for ; i < len(b); i++ {
		c := b[i]
		if s.inString {
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\':
				s.escaped = true
			case c == '"':
				s.inString = false
			}
			continue
		}
		switch c {
		case '"':
			s.inString = true
		case '{', '[':
			if s.depth++; s.depth > maxFastDepth {
				s.active = false
				s.next = i + 1 - base // what was scanned, for cwJSON.fastScanned
				return tooDeep
			}
		case '}', ']':
			s.depth--
			if s.depth == 0 {
				s.active = false
				return i + 1
			}
		}
	}
	s.next = i - base
	return -1
}
