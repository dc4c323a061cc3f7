package parsers

import "bytes"

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
	i, n := 0, len(rest)
	for i < n && rest[i] == ' ' {
		i++
	}
	start := i
	for i < n && rest[i] >= '0' && rest[i] <= '9' {
		f.self = f.self*10 + int64(rest[i]-'0')
		i++
	}
	if i == start || i-start > 18 {
		return f, false
	}
	for i < n && rest[i] == ' ' {
		i++
	}
	if i >= n || rest[i] != '|' {
		return f, false
	}
	bar1 := i
	i++
	for i < n && rest[i] == ' ' {
		i++
	}
	start = i
	for i < n && rest[i] >= '0' && rest[i] <= '9' {
		f.cumulative = f.cumulative*10 + int64(rest[i]-'0')
		i++
	}
	if i == start || i-start > 18 || f.self > f.cumulative {
		return f, false
	}
	for i < n && rest[i] == ' ' {
		i++
	}
	if i >= n || rest[i] != '|' {
		return f, false
	}
	f.collapsed = bar1 < minSelfField || i-bar1-1 < minCumulativeField
	i++
	if i < n && rest[i] == ' ' {
		i++
	}
	start = i
	for i < n && rest[i] == ' ' {
		i++
	}
	f.spaces = i - start
	end := n
	for end > i && (rest[end-1] == ' ' || rest[end-1] == '\r' || rest[end-1] == '\t') {
		end--
	}
	if end == i {
		return f, false
	}
	f.name = rest[i:end]
	return f, true
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

// cachedLevel recovers the true nesting level of a Python 3.14 "cached"
// line, whose name is right-aligned in a field 2*level wide instead of
// being indented (import-profilers.md A.2). With spaces in front the level
// is exact. Without, it is only bounded by len(name)/2, and it is at least
// the level of the previous fresh line (between the two, imports were only
// opened); the lowest level consistent with both is taken.
func cachedLevel(spaces, nameLen, previousLevel int) int {
	if spaces > 0 {
		return (spaces + nameLen) / 2
	}
	return min(max(previousLevel, 0), nameLen/2)
}

// The two shapes a cached line can have. A.2 derives the right-aligned one
// from CPython's printf call; whether released 3.14 versions print that, or
// indent the name like a timed line, is unconfirmed, so both are read.
const (
	cachedShapeUnknown uint8 = iota
	cachedRightAligned
	cachedIndented
)

// A pendingCached is a cached entry read since the last fresh line. Its
// level can be settled only at the next fresh line: whether the shape is
// right-aligned or indented, and, for a right-aligned name without leading
// spaces, where in its bounds it lies.
type pendingCached struct {
	index           int // in tree.items; cached entries adopt nothing, so it stays valid
	spaces, nameLen int
	lower           int // the previous fresh line's level: nothing closed since
}

// cachedLineLevel returns a first reading of a cached line's level: in the
// shape found so far in this cold start, right-aligned (A.2) until one is.
// An indented reading under the previous fresh line's level is impossible
// (between the two, imports were only opened), which proves the
// right-aligned shape. The entry waits in b.pendingCached for
// settleCached.
func (b *builder) cachedLineLevel(spaces, nameLen int) int {
	lower := max(b.tr.lastLevel, 0)
	b.pendingCached = append(b.pendingCached, pendingCached{index: len(b.tr.items), spaces: spaces, nameLen: nameLen, lower: lower})
	if b.cachedShape == cachedIndented {
		return spaces / 2
	}
	if b.cachedShape == cachedShapeUnknown && spaces/2 < lower && cachedLevel(spaces, nameLen, lower) != spaces/2 {
		b.cachedShape = cachedRightAligned
	}
	return cachedLevel(spaces, nameLen, lower)
}

// settleCached is called before a fresh line at level is added. The cached
// lines since the previous fresh line were printed while at most level+1
// imports were open, so a right-aligned reading deeper than that proves the
// indented shape. A right-aligned name without leading spaces lies between
// its lower bound and len(name)/2: it is put at the next line's level (a
// sibling of it), kept within those bounds.
func (b *builder) settleCached(level int) {
	if len(b.pendingCached) == 0 {
		return
	}
	if b.cachedShape == cachedShapeUnknown {
		for _, c := range b.pendingCached {
			if c.spaces > 0 && cachedLevel(c.spaces, c.nameLen, c.lower) > level+1 {
				b.cachedShape = cachedIndented
			}
		}
	}
	for _, c := range b.pendingCached {
		if c.index >= len(b.tr.items) || !b.tr.items[c.index].imp.Cached {
			continue
		}
		l := cachedLevel(c.spaces, c.nameLen, c.lower)
		switch {
		case b.cachedShape == cachedIndented:
			l = c.spaces / 2
		case c.spaces == 0:
			l = min(max(level, c.lower), c.nameLen/2)
		}
		b.tr.items[c.index].level = int32(min(l, maxLevel))
	}
	b.pendingCached = b.pendingCached[:0]
}
