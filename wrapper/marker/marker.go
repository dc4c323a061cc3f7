// Package marker defines the lines coldprof-wrapper writes to stderr and the
// parsers read back: the one place the grammar lives, so the two cannot drift.
//
// A marker is a single line: the prefix "coldprof: " followed by one flat JSON
// object. Keys, always written in this order:
//
//	v          grammar version (Version)
//	ev         event kind: start, init_done, restored, invoke_start, invoke_end, init_error, warning
//	t          Unix time in microseconds when the event happened
//	runtime    start: runtime detected ("python3.12"), "" when unknown
//	handler    start: the function's handler (_HANDLER)
//	wrapper    start: wrapper version
//	injected   start: what was injected ("-X importtime"), "" when nothing
//	proxy      start: whether the runtime-API proxy is on
//	initType   start: AWS_LAMBDA_INITIALIZATION_TYPE ("on-demand",
//	           "provisioned-concurrency", "snap-start",
//	           "lambda-managed-instances"), "" when unset or not one of these
//	arch       start: the wrapper's architecture, "x86_64" or "arm64"
//	sampler    start: the in-runtime sampler's interval in µs, 0 when off
//	via        init_done: "restore" when init ended with the runtime's
//	           GET …/runtime/restore/next (SnapStart), omitted for …/invocation/next
//	requestId  invoke_start, invoke_end: the invocation's request ID
//	status     invoke_end: "response" or "error"
//	msg        warning, init_error: a human-readable message (never an environment value)
//
// Empty strings and false are omitted. Example:
//
//	coldprof: {"v":1,"ev":"invoke_start","t":1732250000123456,"requestId":"8f5e…"}
//
// Text before the prefix on the same line (timestamps, stream names that log
// exports add) is allowed; Find locates the prefix anywhere. Unknown keys are
// ignored so newer wrappers stay readable. The package imports nothing heavy:
// it is linked into the wrapper, which sits on every cold start's path.
package marker

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Version is the grammar version written in every marker's "v" key.
const Version = 1

// Prefix starts every marker line.
const Prefix = "coldprof: "

// A Kind is a marker's event kind (its "ev" key).
type Kind string

// The event kinds.
const (
	// Start is written by the wrapper once, just before it execs the runtime.
	Start Kind = "start"
	// InitDone is written when the runtime first asks for an event: init is over.
	InitDone Kind = "init_done"
	// Restored is written at the first …/invocation/next after a
	// …/runtime/restore/next: a SnapStart-restored runtime finished its
	// after-restore work and is ready for events.
	Restored Kind = "restored"
	// InvokeStart is written when an event is handed to the runtime.
	InvokeStart Kind = "invoke_start"
	// InvokeEnd is written when the runtime posts the response or error.
	InvokeEnd Kind = "invoke_end"
	// InitError is written when the runtime reports an init error.
	InitError Kind = "init_error"
	// Warning is written when the wrapper or proxy fell back to a safe default.
	Warning Kind = "warning"
)

// Via values of an InitDone marker.
const ViaRestore = "restore"

// Status values of an InvokeEnd marker.
const (
	StatusResponse = "response"
	StatusError    = "error"
)

// An Event is one marker line, decoded.
type Event struct {
	V        int
	Kind     Kind
	TimeUs   int64
	Runtime  string
	Handler  string
	Wrapper  string
	Injected string
	Proxy    bool
	InitType string
	Arch     string
	// SamplerUs is the sampler's interval on a start marker, 0 when off.
	SamplerUs int64
	Via       string
	RequestID string
	Status    string
	Message   string
}

// Append appends e as one marker line, newline included, to dst. V is written
// as Version when e.V is zero.
func Append(dst []byte, e Event) []byte {
	v := e.V
	if v == 0 {
		v = Version
	}
	dst = append(dst, Prefix...)
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	dst = appendField(dst, "ev", string(e.Kind))
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendInt(dst, e.TimeUs, 10)
	dst = appendField(dst, "runtime", e.Runtime)
	dst = appendField(dst, "handler", e.Handler)
	dst = appendField(dst, "wrapper", e.Wrapper)
	dst = appendField(dst, "injected", e.Injected)
	if e.Proxy {
		dst = append(dst, `,"proxy":true`...)
	}
	dst = appendField(dst, "initType", e.InitType)
	dst = appendField(dst, "arch", e.Arch)
	if e.SamplerUs != 0 {
		dst = append(dst, `,"sampler":`...)
		dst = strconv.AppendInt(dst, e.SamplerUs, 10)
	}
	dst = appendField(dst, "via", e.Via)
	dst = appendField(dst, "requestId", e.RequestID)
	dst = appendField(dst, "status", e.Status)
	dst = appendField(dst, "msg", e.Message)
	return append(dst, "}\n"...)
}

func appendField(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return AppendString(dst, value)
}

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD and
// line terminators are escaped, so a marker is always exactly one line.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// Find returns the JSON object that follows the marker prefix in line, and
// whether the line holds a marker at all. Text before the prefix is skipped.
func Find(line []byte) (object []byte, ok bool) {
	i := bytes.Index(line, []byte(Prefix+"{"))
	if i < 0 {
		return nil, false
	}
	return line[i+len(Prefix):], true
}

// Errors Parse returns, wrapped with the position where parsing stopped.
var (
	ErrSyntax      = errors.New("marker: malformed JSON object")
	ErrMissingKind = errors.New(`marker: no "ev" key`)
)

// Parse decodes a marker line (anything Find accepts). It is strict about
// JSON syntax but ignores unknown keys and any text after the object's
// closing brace other than white space (CloudWatch strips or keeps trailing
// blanks depending on the export).
func Parse(line []byte) (Event, error) {
	obj, ok := Find(line)
	if !ok {
		return Event{}, ErrSyntax
	}
	d := decoder{buf: obj}
	var e Event
	if err := d.object(&e); err != nil {
		return Event{}, err
	}
	d.space()
	if d.pos != len(d.buf) {
		return Event{}, d.fail()
	}
	if e.Kind == "" {
		return Event{}, ErrMissingKind
	}
	return e, nil
}

type decoder struct {
	buf []byte
	pos int
}

func (d *decoder) fail() error { return syntaxError{d.pos} }

// A syntaxError is ErrSyntax at a byte offset, in one line: a warning that
// quotes it stays one line of stderr (errors.Join put a newline in it).
type syntaxError struct{ pos int }

func (e syntaxError) Error() string { return ErrSyntax.Error() + " at byte " + strconv.Itoa(e.pos) }
func (e syntaxError) Unwrap() error { return ErrSyntax }

func (d *decoder) space() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) consume(c byte) bool {
	d.space()
	if d.pos < len(d.buf) && d.buf[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) object(e *Event) error {
	if !d.consume('{') {
		return d.fail()
	}
	if d.consume('}') {
		return nil
	}
	for {
		d.space()
		key, err := d.string()
		if err != nil {
			return err
		}
		if !d.consume(':') {
			return d.fail()
		}
		d.space()
		if err := d.field(e, key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return d.fail()
	}
}

func (d *decoder) field(e *Event, key string) error {
	switch key {
	case "v", "t", "sampler":
		n, err := d.integer()
		if err != nil {
			return err
		}
		switch key {
		case "v":
			e.V = int(n)
		case "t":
			e.TimeUs = n
		default:
			e.SamplerUs = n
		}
		return nil
	case "proxy":
		b, err := d.boolean()
		e.Proxy = b
		return err
	}
	var dst *string
	switch key {
	case "ev":
		if d.pos < len(d.buf) && d.buf[d.pos] == 'n' {
			return d.skipValue(0)
		}
		s, err := d.string()
		e.Kind = Kind(s)
		return err
	case "runtime":
		dst = &e.Runtime
	case "handler":
		dst = &e.Handler
	case "wrapper":
		dst = &e.Wrapper
	case "injected":
		dst = &e.Injected
	case "requestId":
		dst = &e.RequestID
	case "status":
		dst = &e.Status
	case "initType":
		dst = &e.InitType
	case "arch":
		dst = &e.Arch
	case "via":
		dst = &e.Via
	case "msg":
		dst = &e.Message
	default:
		return d.skipValue(0)
	}
	if d.pos < len(d.buf) && d.buf[d.pos] == 'n' {
		return d.skipValue(0) // null: leave the field empty
	}
	s, err := d.string()
	*dst = s
	return err
}

func (d *decoder) integer() (int64, error) {
	start := d.pos
	if d.pos < len(d.buf) && d.buf[d.pos] == '-' {
		d.pos++
	}
	for d.pos < len(d.buf) && d.buf[d.pos] >= '0' && d.buf[d.pos] <= '9' {
		d.pos++
	}
	n, err := strconv.ParseInt(string(d.buf[start:d.pos]), 10, 64)
	if err != nil {
		d.pos = start
		return 0, d.fail()
	}
	return n, nil
}

func (d *decoder) boolean() (bool, error) {
	rest := d.buf[d.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		d.pos += 4
		return true, nil
	case bytes.HasPrefix(rest, []byte("false")):
		d.pos += 5
		return false, nil
	}
	return false, d.fail()
}

// string reads a JSON string at d.pos, decoding escapes.
func (d *decoder) string() (string, error) {
	if d.pos >= len(d.buf) || d.buf[d.pos] != '"' {
		return "", d.fail()
	}
	d.pos++
	var out []byte
	for d.pos < len(d.buf) {
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(out), nil
		case c == '\\':
			if d.pos+1 >= len(d.buf) {
				return "", d.fail()
			}
			esc := d.buf[d.pos+1]
			d.pos += 2
			switch esc {
			case '"', '\\', '/':
				out = append(out, esc)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.fail()
				}
				if r >= 0xd800 && r < 0xdc00 && d.pos+1 < len(d.buf) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					if lo, ok := d.hex4(); ok && lo >= 0xdc00 && lo < 0xe000 {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					} else {
						d.pos = save
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				d.pos--
				return "", d.fail()
			}
		case c < 0x20:
			return "", d.fail()
		case c >= utf8.RuneSelf:
			// Invalid UTF-8 becomes U+FFFD, byte by byte, as encoding/json does.
			r, size := utf8.DecodeRune(d.buf[d.pos:])
			if r == utf8.RuneError && size == 1 {
				out = append(out, "\ufffd"...)
			} else {
				out = append(out, d.buf[d.pos:d.pos+size]...)
			}
			d.pos += size
		default:
			out = append(out, c)
			d.pos++
		}
	}
	return "", d.fail()
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.buf) {
		return 0, false
	}
	var r rune
	for _, c := range d.buf[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// skipValue skips any JSON value (for keys this version does not know).
func (d *decoder) skipValue(depth int) error {
	if depth > 32 {
		return d.fail()
	}
	d.space()
	if d.pos >= len(d.buf) {
		return d.fail()
	}
	switch c := d.buf[d.pos]; {
	case c == '"':
		_, err := d.string()
		return err
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		if d.consume(closer) {
			return nil
		}
		for {
			if c == '{' {
				d.space()
				if _, err := d.string(); err != nil {
					return err
				}
				if !d.consume(':') {
					return d.fail()
				}
			}
			if err := d.skipValue(depth + 1); err != nil {
				return err
			}
			if d.consume(',') {
				continue
			}
			if d.consume(closer) {
				return nil
			}
			return d.fail()
		}
	case c == 't' || c == 'f':
		_, err := d.boolean()
		return err
	case c == 'n':
		if bytes.HasPrefix(d.buf[d.pos:], []byte("null")) {
			d.pos += 4
			return nil
		}
		return d.fail()
	default:
		start := d.pos
		for d.pos < len(d.buf) && bytes.IndexByte([]byte("+-.0123456789eE"), d.buf[d.pos]) >= 0 {
			d.pos++
		}
		if _, err := strconv.ParseFloat(string(d.buf[start:d.pos]), 64); err != nil {
			d.pos = start
			return d.fail()
		}
		return nil
	}
}
