package envelope

import "github.com/coldprof/coldprof/parsers/platform"

// platformText rewrites a platform event of Lambda's JSON log format as the
// TEXT-format line Lambda would have written for it, appending it to dst, so
// the line grammars need one code path only (package platform owns both
// formats). timeUs is the event's own time, 0 when unreadable; ok is false
// for anything else, which callers keep unchanged.
func platformText(dst, msg []byte) (out []byte, timeUs int64, ok bool) {
	out, t, ok := platform.FromJSON(dst, msg)
	if !ok {
		return out, 0, false
	}
	if us, _, _, _, ok := parseISO([]byte(t)); ok {
		timeUs = us
	}
	return out, timeUs, true
}
