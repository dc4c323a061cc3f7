package platform

import (
	"bytes"
	"strings"
)

// languages are the runtime families whose identifiers Lambda writes as the
// language, its version, and a suffix ("nodejs20.x"), while INIT_START's
// runtime version string says "nodejs:20.v13": one table for both ways.
var languages = []struct{ name, suffix string }{
	{"python", ""},
	{"nodejs", ".x"},
	{"java", ""},
	{"ruby", ""},
}

// RuntimeVersion returns the runtime version string INIT_START shows for a
// runtime identifier, with build as the part Lambda puts after the
// language's version: RuntimeVersion("python3.12", "local") is
// "python:3.12.local", RuntimeVersion("nodejs20.x", "local")
// "nodejs:20.local". A runtime of no known language with a version gives
// just build.
func RuntimeVersion(runtime, build string) string {
	for _, l := range languages {
		if v, ok := strings.CutPrefix(runtime, l.name); ok && v != "" {
			return l.name + ":" + strings.TrimSuffix(v, l.suffix) + "." + build
		}
	}
	return build
}

// RuntimeFromVersion turns INIT_START's "python:3.12.mainlinev2.v7" into
// the runtime identifier "python3.12" ("nodejs:20.v13" → "nodejs20.x"); ""
// when v has no language. A language of no known version gives just the
// language ("provided:al2023.v50" → "provided").
func RuntimeFromVersion(v []byte) string {
	colon := bytes.IndexByte(v, ':')
	if colon <= 0 {
		return ""
	}
	lang, rest := string(v[:colon]), v[colon+1:]
	var num []byte
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		k := 0
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if len(num) > 0 {
			num = append(num, '.')
		}
		num = append(num, rest[:k]...)
		rest = rest[k:]
		if len(rest) > 1 && rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' {
			rest = rest[1:]
			continue
		}
		break
	}
	if len(num) == 0 {
		return lang
	}
	for _, l := range languages {
		if l.name == lang {
			return lang + string(num) + l.suffix
		}
	}
	return lang + string(num)
}
