package wrapper

import "unicode/utf8"

// Bounds for values that reach the log from the environment (a hook
// directory from COLDPROF_HOOK_DIR, an override in "injected", an error
// that names a path): a 100 KB variable must not become a 100 KB log line.
const (
	maxPath     = 256
	maxInjected = 512
	maxMessage  = 1024
	maxHandler  = 512 // _HANDLER: module.function, a class::method, a path
	maxRuntime  = 64  // the runtime label, from AWS_EXECUTION_ENV
)

// boundValue returns s cut to at most max bytes (at a rune boundary, "…"
// marking the cut) with control characters and invalid UTF-8 replaced by
// "?", so a value can neither flood the log nor carry escape sequences to a
// terminal that prints it.
func boundValue(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	const ellipsis = "…"
	out := make([]byte, 0, min(len(s), max+utf8.UTFMax))
	cut := 0 // the length of out where the ellipsis would go
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			piece = "?"
		}
		if len(out)+len(piece) > max {
			return string(append(out[:cut], ellipsis...))
		}
		out = append(out, piece...)
		if len(out) <= max-len(ellipsis) {
			cut = len(out)
		}
		i += size
	}
	return string(out)
}
