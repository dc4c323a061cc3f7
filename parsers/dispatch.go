package parsers

import (
	"bytes"

	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// Line dispatch: each line of a record is sorted into one kind (a load-time
// line, a marker, a sampler line, a platform line, a class-load line) by
// keys found anywhere in it, and handed to that kind's reader.

// Hints found anywhere in a line: executionEnvKey begins the runtime in
// AWS_EXECUTION_ENV's value ("AWS_Lambda_python3.12").
var (
	executionEnvKey = []byte("AWS_Lambda_")
	coldprofKey     = []byte("coldprof") // starts marker.Prefix and sampleline.Prefix
)

// line sorts one line into its kind and hands it on.
func (r *Reader) line(st *stream, text []byte, num int) {
	if bytes.HasPrefix(text, importTimePrefix) { // most lines of most logs
		r.loadLine(st, profile.FormatPythonImporttime, text[len(importTimePrefix):], num)
		return
	}
	if i := bytes.Index(text, importTimePrefix); i >= 0 {
		r.loadLine(st, profile.FormatPythonImporttime, text[i+len(importTimePrefix):], num)
		return
	}
	if i := bytes.Index(text, requireSuffix); i >= 4 {
		switch string(text[i-4 : i]) {
		case "node":
			r.loadLine(st, profile.FormatNodeRequire, text[i+len(requireSuffix):], num)
			return
		case "ruby":
			r.loadLine(st, profile.FormatRubyRequire, text[i+len(requireSuffix):], num)
			return
		}
	}
	if i := bytes.Index(text, coldprofKey); i >= 0 { // one scan for both prefixes
		if _, ok := marker.Find(text[i:]); ok {
			r.markerLine(st, text, num)
			return
		}
		if _, ok := sampleline.Find(text[i:]); ok {
			r.samplerLine(st, text, num)
			return
		}
	}
	if r.platformLine(st, text, num) {
		return
	}
	if r.javaLine(st, text, num) {
		return
	}
	if i := bytes.Index(text, executionEnvKey); i >= 0 && st.cs != nil && st.cs.cs.Runtime == "" {
		st.cs.cs.Runtime = string(runtimeWord(text[i+len(executionEnvKey):]))
	}
}

// runtimeWord returns the runtime identifier at the start of b
// ("python3.12" from "python3.12 …").
func runtimeWord(b []byte) []byte {
	k := 0
	for k < len(b) && (b[k] >= 'a' && b[k] <= 'z' || b[k] >= '0' && b[k] <= '9' || b[k] == '.' || b[k] == '_') {
		k++
	}
	return bytes.TrimRight(b[:k], ".")
}
