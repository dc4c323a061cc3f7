package envelope

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// UnmarshalJSON decodes one filter-log-events style event. It reads the
// common shape (string and integer values, simple escapes) into reused
// buffers without reflection or allocation, which triples the speed of
// large exports, and hands anything else to encoding/json so the results
// are always the same. fastParse checks the syntax of what it accepts
// itself: the fast page reader (fastpage.go) calls it on bytes no
// json.Decoder has seen.
func (e *cwEvent) UnmarshalJSON(b []byte) error {
	e.stream, e.message, e.hasMessage, e.timestampMs = e.stream[:0], e.message[:0], false, 0
	if e.fastParse(b) {
		return nil
	}
	return e.slowParse(b)
}

// slowParse is the reference: encoding/json into plain fields.
func (e *cwEvent) slowParse(b []byte) error {
	var std struct {
		LogStreamName string  `json:"logStreamName"`
		Timestamp     int64   `json:"timestamp"`
		Message       *string `json:"message"`
	}
	e.stream, e.message, e.hasMessage, e.timestampMs = e.stream[:0], e.message[:0], false, 0
	if err := json.Unmarshal(b, &std); err != nil {
		return err
	}
	e.stream = append(e.stream, std.LogStreamName...)
	e.timestampMs = std.Timestamp
	if std.Message != nil {
		e.message, e.hasMessage = append(e.message, *std.Message...), true
	}
	return nil
}

// fastParse handles an object whose values are strings or integers; it
// returns false for anything it does not handle exactly like encoding/json,
// and for anything that is not valid JSON.
func (e *cwEvent) fastParse(b []byte) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	seen := 0
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(b) && b[end] != '"' && b[end] != '\\' && b[end] >= 0x20 {
			end++
		}
		if end >= len(b) || b[end] != '"' {
			return false
		}
		key := b[i+1 : end]
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		// encoding/json matches keys case-insensitively; exact names only
		// here, anything else that could match goes the slow way.
		var field int
		switch string(key) {
		case "logStreamName":
			field = 1
		case "timestamp":
			field = 2
		case "message":
			field = 3
		default:
			if foldsToField(key) {
				return false // a case variant of a field name: encoding/json matches it
			}
		}
		if field != 0 {
			if seen&(1<<field) != 0 {
				return false // duplicate key: leave the last-wins rules to encoding/json
			}
			seen |= 1 << field
		}
		switch c := b[i]; {
		case c == '"':
			var ok bool
			switch field {
			case 1:
				e.stream, i, ok = appendJSONString(e.stream, b, i)
			case 3:
				e.message, i, ok = appendJSONString(e.message, b, i)
				e.hasMessage = true
			case 2:
				return false // a string timestamp is a type error: slow path reports it
			default:
				e.scratch, i, ok = appendJSONString(e.scratch[:0], b, i)
			}
			if !ok {
				return false
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if field == 1 || field == 3 {
				return false
			}
			// Integers only, in JSON's exact grammar (the fast page
			// reader relies on this to reject what json.Decoder would):
			// no leading zeros, no fraction or exponent (declined).
			neg := c == '-'
			if neg {
				i++
			}
			v := int64(0)
			digitsStart := i
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				if i-digitsStart >= 18 {
					return false // might overflow
				}
				v = v*10 + int64(b[i]-'0')
				i++
			}
			if i == digitsStart || (b[digitsStart] == '0' && i-digitsStart > 1) ||
				(i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
				return false
			}
			if field == 2 {
				if neg {
					v = -v
				}
				e.timestampMs = v
			}
		default:
			return false // null, true, false, objects, arrays
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
}

// foldsToField reports whether encoding/json could match key to one of
// the event's fields although it is not spelt exactly the same.
func foldsToField(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true // Unicode folding (e.g. the Kelvin sign): let encoding/json decide
		}
	}
	return bytes.EqualFold(key, []byte("logStreamName")) || bytes.EqualFold(key, []byte("timestamp")) || bytes.EqualFold(key, []byte("message"))
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// appendJSONString appends the string starting at b[i] (the opening quote)
// to dst and returns the index after its closing quote. It declines
// (ok=false) \u escapes and invalid UTF-8, whose replacement rules
// encoding/json owns.
func appendJSONString(dst, b []byte, i int) ([]byte, int, bool) {
	i++
	ascii := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(dst) {
				return dst, i, false
			}
			return dst, i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return dst, i, false
			}
			switch b[i+1] {
			case '"', '\\', '/':
				dst = append(dst, b[i+1])
			case 'n':
				dst = append(dst, '\n')
			case 't':
				dst = append(dst, '\t')
			case 'r':
				dst = append(dst, '\r')
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			default:
				return dst, i, false
			}
			i += 2
		case c < 0x20:
			return dst, i, false
		default:
			start := i
			for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
				if b[i] >= 0x80 {
					ascii = false
				}
				i++
			}
			dst = append(dst, b[start:i]...)
		}
	}
	return dst, i, false
}
