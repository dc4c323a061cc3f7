package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestSameSource(t *testing.T) {
	build := func(version, revision, modified string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/coldprof/coldprof", Version: version}}
		if revision != "" {
			info.Settings = []debug.BuildSetting{{Key: "vcs.revision", Value: revision}, {Key: "vcs.modified", Value: modified}}
		}
		return info
	}
	other := build("v1.0.0", "", "")
	other.Main.Path = "example.com/fork"
	for _, tt := range []struct {
		name string
		a, b *debug.BuildInfo
		want bool
	}{
		{"same clean revision", build("v0.0.0-x", "abc", "false"), build("v0.0.0-x", "abc", "false"), true},
		{"same revision, local changes", build("v0.0.0-x+dirty", "abc", "true"), build("v0.0.0-x+dirty", "abc", "true"), false},
		{"other revision", build("", "abc", "false"), build("", "abd", "false"), false},
		{"same release", build("v1.2.3", "", ""), build("v1.2.3", "", ""), true},
		{"other release", build("v1.2.3", "", ""), build("v1.2.4", "", ""), false},
		{"go run (devel, no stamp)", build("(devel)", "", ""), build("(devel)", "", ""), false},
		{"go run against a stamped build", build("(devel)", "", ""), build("v0.0.0-x", "abc", "false"), false},
		{"another module", build("v1.0.0", "", ""), other, false},
		{"no build info", nil, build("v1.0.0", "", ""), false},
	} {
		if got, _ := SameSource(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: SameSource = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	stamp := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	for _, tt := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{stamp("v1.2.3"), "v1.2.3"},
		{stamp("v0.0.0-20261204232000-0123456789ab+dirty", "vcs.revision", "0123456789abcdef"), "v0.0.0-20261204232000-0123456789ab+dirty"},
		{stamp("(devel)", "vcs.revision", "0123456789abcdef", "vcs.modified", "false"), "devel 0123456789ab"},
		{stamp("(devel)", "vcs.revision", "0123456789abcdef", "vcs.modified", "true"), "devel 0123456789ab-dirty"},
		{stamp("(devel)"), "devel"},
		{stamp(""), "devel"},
		{nil, "(unknown)"},
	} {
		if got := Version(tt.info); got != tt.want {
			t.Errorf("Version(%+v) = %q, want %q", tt.info, got, tt.want)
		}
	}
}
