package report

import (
	"unicode/utf8"
	"unsafe"
)

// appendJSONString appends s to dst as encoding/json's Marshal writes a Go
// string, byte for byte (HTML-safe escapes for <, > and &, \u2028 and
// \u2029 escaped, invalid UTF-8 as \ufffd), without Marshal's reflection and
// allocation: the JSON report writes one name per import, and Marshal per
// name was a fifth of the report's CPU (report/BENCHMARKS.md).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	i := 0
	for i < len(s) && jsonSafe[s[i]] {
		i++
	}
	dst = append(dst, '"')
	if i == len(s) { // the common case: nothing to escape
		dst = append(dst, s...)
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		if jsonSafe[s[i]] {
			i++
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonSafe marks the bytes appendJSONString copies as they are: ASCII
// from the space on, but for the quote, the backslash and the HTML
// characters. (One table look-up per byte instead of six comparisons:
// module names are all such bytes.)
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonNameBits sizes the cache of encoded names: 4,096 slots, more than
// the distinct modules of most functions.
const jsonNameBits = 12

// jsonNames caches the encoded form (quotes included) of the names an
// import tree repeats, by the address of the name's bytes. The parsers
// intern module names, so a module has the same string in every cold start
// and is written 1,000 times from one encoding: a pointer comparison
// instead of scanning its bytes for characters to escape. A name under
// another address (not interned, or evicted) is encoded again.
type jsonNames struct {
	slots *[1 << jsonNameBits]jsonName
}

type jsonName struct {
	name    string // kept so that its bytes, and so its address, stay in use
	encoded []byte
}

// append appends name encoded as appendJSONString does.
func (c *jsonNames) append(dst []byte, name string) []byte {
	if len(name) == 0 {
		return append(dst, `""`...)
	}
	if c.slots == nil {
		c.slots = new([1 << jsonNameBits]jsonName)
	}
	addr := uint64(uintptr(unsafe.Pointer(unsafe.StringData(name))))
	e := &c.slots[(addr*0x9E3779B97F4A7C15)>>(64-jsonNameBits)]
	if len(e.name) == len(name) && unsafe.StringData(e.name) == unsafe.StringData(name) {
		return append(dst, e.encoded...)
	}
	e.name = name
	e.encoded = appendJSONString(e.encoded[:0], name)
	return append(dst, e.encoded...)
}
