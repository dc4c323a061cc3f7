package parsers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/coldprof/coldprof/profile"
)

// The prefixes of the load-time lines that share one grammar.
var (
	importTimePrefix = []byte("import time:")
	requireSuffix    = []byte(" require:") // after "node" or "ruby"
)

// A fieldsKind says what parseLoadFields found.
type fieldsKind uint8

const (
	fieldsData fieldsKind = iota
	fieldsHeader
	fieldsMalformed
)

// loadFields are the fields of one load-time data line. name aliases the
// input line and must be copied before the next line is read.
type loadFields struct {
	self, cumulative int64
	name             []byte
	// spaces counts the spaces between the separator's one space and the name.
	spaces int
	cached bool
	// collapsed is set when runs of spaces were squeezed to one (the fields
	// are narrower than printf's minimum widths), so indentation is lost.
	collapsed bool
}

// Minimum field widths of a data line: " %9ld " and " %10ld ".
const (
	minSelfField       = 11
	minCumulativeField = 12
)

// parseLoadFields parses what follows a load-time prefix:
//
//	"       123 |       4567 |     json.decoder"
//
// It splits on '|' because numbers outgrow their columns, and does not
// allocate. For fieldsMalformed, problem says what is wrong. Well-formed
// data lines take a single forward pass; anything else is sorted out by
// the general parser.
func parseLoadFields(rest []byte) (f loadFields, kind fieldsKind, problem string) {
	if f, ok := parseDataFast(rest); ok {
		return f, fieldsData, ""
	}
	return parseLoadFieldsSlow(rest)
}

// parseDataFast reads a well-formed timed data line in one pass: spaces,
// digits, spaces, '|', spaces, digits, spaces, '|', one space, the indent,
// the name. It gives up (ok false) on anything else.
func parseDataFast(rest []byte) (f loadFields, ok bool) {
	ok = parseDataInto(rest, &f)
	return f, ok
}

// parseDataInto is parseDataFast writing into f: loadLine's path, where
// returning loadFields by value (on the stack, copied twice) was 6 % of
// parsing. On false, f holds partial results.
func parseDataInto(rest []byte, f *loadFields) bool {
	if parseDataColumns(rest, f) {
		return true
	}
	return parseDataScan(rest, f)
}

// The columns of a data line as CPython prints it, "import time:" then
// " %9ld | %10ld | " (Python/import.c), relative to rest: the self time
// right-aligned in rest[1:10], " | ", the cumulative time right-aligned in
// rest[13:23], " | ", then the indented name.
const (
	columnSelfEnd       = 10
	columnCumulativeEnd = 23
	columnName          = 26
)

// parseDataColumns reads a data line whose times fit their printf columns
// with room to spare (at most 8 digits each, under 100 s): where the
// separators are is then known, and each number is read from the 8 bytes
// that end its column at once, without a loop per digit. That spares the
// branch mispredictions of scanning numbers of varying length (the
// byte-by-byte scan was 10 % of coldprof report's CPU). Any other line
// (wider numbers, collapsed spaces, headers, cached lines) returns false
// and goes to parseDataScan, which gives the same fields for every line
// this accepts (TestParseDataColumns, FuzzParseLoadFields).
func parseDataColumns(rest []byte, f *loadFields) bool {
	if len(rest) <= columnName {
		return false
	}
	// rest[0:2] and rest[13:15] are spaces (the numbers have at most 8
	// digits), and rest[10:13] and rest[23:26] are " | ".
	if binary.LittleEndian.Uint16(rest[0:]) != 0x2020 || binary.LittleEndian.Uint16(rest[13:]) != 0x2020 ||
		binary.LittleEndian.Uint32(rest[10:])&0xffffff != 0x207c20 || binary.LittleEndian.Uint32(rest[22:])&0xffffff00 != 0x207c2000 {
		return false
	}
	self, ok1 := columnNumber(binary.LittleEndian.Uint64(rest[columnSelfEnd-8:]))
	cumulative, ok2 := columnNumber(binary.LittleEndian.Uint64(rest[columnCumulativeEnd-8:]))
	if !ok1 || !ok2 || self > cumulative {
		return false
	}
	i := skipSpaces(rest, columnName)
	end := len(rest)
	for end > i && (rest[end-1] == ' ' || rest[end-1] == '\r' || rest[end-1] == '\t') {
		end--
	}
	if end == i {
		return false
	}
	// Field by field: a composite literal is built on the stack and copied,
	// and that copy stalled on its own stores.
	f.self, f.cumulative, f.name, f.spaces = self, cumulative, rest[i:end], i-columnName
	f.cached, f.collapsed = false, false
	return true
}

// columnNumber reads a right-aligned number from x, the 8 bytes that end
// its column (little endian: the first byte is the lowest): spaces, then
// one to eight digits. ok is false for anything else.
func columnNumber(x uint64) (v int64, ok bool) {
	const (
		spaces = 0x2020202020202020
		zeros  = 0x3030303030303030
		high   = 0x8080808080808080
	)
	lead := bits.TrailingZeros64(x^spaces) / 8 // leading spaces; 8 when all are
	if lead == 8 {
		return 0, false
	}
	// The leading spaces become '0' (0x20|0x10). Then every byte must be a
	// digit: b, b-'0' and b+0x46 all have bit 7 clear exactly for '0'..'9'
	// (the lowest byte outside that range sets it; a carry or borrow only
	// comes from a byte below that is outside it too).
	x |= (uint64(1)<<(8*lead) - 1) & 0x1010101010101010
	if (x|(x-zeros)|(x+0x4646464646464646))&high != 0 {
		return 0, false
	}
	// Eight digits to a number in three multiplications (as simdjson's
	// parse_eight_digits_unrolled): pairs, then fours, then the eight.
	d := x - zeros
	d = d*10 + d>>8
	d = ((d&0x000000ff000000ff)*(100+1000000<<32) + (d>>16&0x000000ff000000ff)*(1+10000<<32)) >> 32
	return int64(uint32(d)), true
}

// parseDataScan is parseDataInto for any spacing: it scans each field.
func parseDataScan(rest []byte, f *loadFields) bool {
	*f = loadFields{}
	n := len(rest)
	i := skipSpaces(rest, 0)
	start := i
	var self, cumulative int64
	for i < n && rest[i] >= '0' && rest[i] <= '9' {
		self = self*10 + int64(rest[i]-'0')
		i++
	}
	if i == start || i-start > 18 {
		return false
	}
	i = skipSpaces(rest, i)
	if i >= n || rest[i] != '|' {
		return false
	}
	bar1 := i
	i = skipSpaces(rest, i+1)
	start = i
	for i < n && rest[i] >= '0' && rest[i] <= '9' {
		cumulative = cumulative*10 + int64(rest[i]-'0')
		i++
	}
	if i == start || i-start > 18 || self > cumulative {
		return false
	}
	i = skipSpaces(rest, i)
	if i >= n || rest[i] != '|' {
		return false
	}
	f.self, f.cumulative = self, cumulative
	f.collapsed = bar1 < minSelfField || i-bar1-1 < minCumulativeField
	i++
	if i < n && rest[i] == ' ' {
		i++
	}
	start = i
	i = skipSpaces(rest, i)
	f.spaces = i - start
	end := n
	for end > i && (rest[end-1] == ' ' || rest[end-1] == '\r' || rest[end-1] == '\t') {
		end--
	}
	if end == i {
		return false
	}
	f.name = rest[i:end]
	return true
}

// skipSpaces returns the index of the first byte from i on that is not a
// space, looking at eight bytes at a time: data lines are mostly the
// spaces that pad their numbers and indent their names.
func skipSpaces(b []byte, i int) int {
	for i+8 <= len(b) {
		if x := binary.LittleEndian.Uint64(b[i:]) ^ 0x2020202020202020; x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
		i += 8
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// parseLoadFieldsSlow is the general parser: headers, cached lines,
// negative numbers, tabs, and the reason a line is malformed.
func parseLoadFieldsSlow(rest []byte) (f loadFields, kind fieldsKind, problem string) {
	bar1 := bytes.IndexByte(rest, '|')
	if bar1 < 0 {
		return f, fieldsMalformed, "no '|' separators"
	}
	first := rest[:bar1]
	if word := trimSpace(first); bytes.HasPrefix(word, []byte("self")) {
		return f, fieldsHeader, ""
	}
	after := rest[bar1+1:]
	bar2 := bytes.IndexByte(after, '|')
	if bar2 < 0 {
		return f, fieldsMalformed, "only one '|' separator (line cut short?)"
	}
	second := after[:bar2]
	nameField := after[bar2+1:]

	selfWord, cumWord := trimSpace(first), trimSpace(second)
	if string(selfWord) == "cached" && string(cumWord) == "cached" {
		f.cached = true
	} else {
		var ok bool
		if f.self, ok = parseMicros(selfWord); !ok {
			return f, fieldsMalformed, "self time is not a number"
		}
		if f.cumulative, ok = parseMicros(cumWord); !ok {
			return f, fieldsMalformed, "cumulative time is not a number"
		}
		if f.self > f.cumulative || f.cumulative < 0 {
			return f, fieldsMalformed, "self time exceeds cumulative time"
		}
	}
	f.collapsed = len(first) < minSelfField || len(second) < minCumulativeField

	// The separator is " | "; its trailing space is not indentation.
	if len(nameField) > 0 && nameField[0] == ' ' {
		nameField = nameField[1:]
	}
	for f.spaces < len(nameField) && nameField[f.spaces] == ' ' {
		f.spaces++
	}
	name := nameField[f.spaces:]
	for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\r' || name[len(name)-1] == '\t') {
		name = name[:len(name)-1]
	}
	if len(name) == 0 {
		return f, fieldsMalformed, "no module name"
	}
	f.name = name
	return f, fieldsData, ""
}

// parseMicros parses a decimal integer without allocating. Negative
// numbers are accepted: threads make importtime print negative self times.
func parseMicros(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Python 3.14's -X importtime=2 cached lines. CPython prints one when an
// import finds its module in sys.modules (Python/import.c,
// import_ensure_initialized) with printf("import time: cached    | cached
// | %*s\n", import_level*2, name): the name right-aligned in a field twice
// the number of imports open, where a timed line has that many spaces
// before its name, printed after its own import closed. So a cached line's
// level is the level of the timed lines its parent's imports get, and:
//
//   - with s > 0 leading spaces it is exactly (s+len(name))/2;
//   - without, it is at most len(name)/2;
//   - between two timed lines at levels p and n, imports were only opened
//     and then one closed: a run of cached lines never goes shallower, and
//     each lies in [p, n+1];
//   - before the first timed line it is at least 0; after the last nothing
//     bounds it from above but its name;
//   - a phase change made by a marker (setStage with exact markers) ends
//     a run: the runtime waits on the Runtime API, between statements,
//     with no import open in its main thread, so each look-up before it is
//     at its lowest level.
//
// Where those bounds leave more than one level (an unindented name between
// lines that allow two), the parser's guess is a sibling of the next timed
// line (level n), kept within the bounds: the README says so.

// A pendingCached is a cached entry read since the last timed line, whose
// level is settled at the next one.
type pendingCached struct {
	index int // in tree.items; cached entries adopt nothing, so it stays valid
	exact bool
	// lo and hi bound its level: its own line's bounds, lo raised to the
	// levels the run reached before it.
	lo, hi int
}

// cachedLineLevel reads a cached line's bounds and returns its level as far
// as known now, the lowest its line and the run before it allow; the entry
// waits in b.pendingCached for settleCached.
func (b *builder) cachedLineLevel(spaces, nameLen int) int {
	c := pendingCached{index: len(b.tr.items), lo: max(b.tr.lastLevel, 0), hi: nameLen / 2}
	if n := len(b.pendingCached); n > 0 {
		c.lo = max(c.lo, b.pendingCached[n-1].lo)
	}
	switch {
	case spaces > 0:
		// Exact, even where it contradicts the run (threads interleave).
		c.exact = true
		c.lo = (spaces + nameLen) / 2
		c.hi = c.lo
	case c.lo > c.hi:
		c.lo = c.hi // the run contradicts the name: the name wins
	}
	c.lo, c.hi = min(c.lo, maxLevel), min(c.hi, maxLevel)
	b.pendingCached = append(b.pendingCached, c)
	return c.lo
}

// settleCached is called before a timed line at level is added: it bounds
// the pending run from above (level+1, and every later exact line in the
// run) and places each entry at level, the next line's sibling, within its
// bounds.
func (b *builder) settleCached(level int) {
	hi := level + 1
	for i := len(b.pendingCached) - 1; i >= 0; i-- {
		c := b.pendingCached[i]
		if c.index >= len(b.tr.items) || !b.tr.items[c.index].imp.Cached {
			continue
		}
		l := c.lo
		if !c.exact {
			h := max(min(c.hi, hi), c.lo)
			l = min(max(level, c.lo), h)
			hi = h
		} else {
			hi = min(hi, c.lo)
		}
		b.tr.items[c.index].level = int32(min(l, maxLevel))
	}
	b.pendingCached = b.pendingCached[:0]
}

// loadLine reads one importtime-shaped line (rest follows the prefix).
func (r *Reader) loadLine(st *stream, format profile.Format, rest []byte, num int) {
	var f loadFields
	kind, problem := fieldsData, ""
	if !parseDataInto(rest, &f) {
		f, kind, problem = parseLoadFieldsSlow(rest)
	}
	switch kind {
	case fieldsMalformed:
		r.warn.warn("malformed", num, func() string { return fmt.Sprintf("malformed %s line: %s", format, problem) })
		if st.cs != nil {
			st.cs.cutAtEnd = true // until a good line follows
		}
		return
	case fieldsHeader:
		r.newProcess(st, format, num)
		return
	}
	b := r.builderFor(st, num)
	imp := b.alloc.node()
	imp.Name = r.nameAt(b.names, f.name)
	b.names++
	imp.SelfUs, imp.CumulativeUs = f.self, f.cumulative
	imp.Cached = f.cached
	negative := f.self < 0
	if negative {
		imp.SelfUs = 0 // the model has no negative times; the warning keeps the fact
	}
	imp.Line = num
	level := f.spaces / 2
	switch {
	case f.cached:
		level = b.cachedLineLevel(f.spaces, len(f.name))
	case f.collapsed || b.collapsed:
		b.collapsed = true
		level = levelUnknown
	case f.spaces%2 != 0:
		r.warn.warn("odd-indent", num, func() string {
			return fmt.Sprintf("indentation of %q is an odd number of spaces (%d); nesting may be off", imp.Name, f.spaces)
		})
	}
	if negative {
		r.nestingWarning(b, imp, func() string { return fmt.Sprintf("its self time is negative, %d µs", f.self) })
	}
	if !f.cached && level != levelUnknown {
		b.settleCached(level)
	}
	r.addEntry(st, b, format, imp, level)
}
