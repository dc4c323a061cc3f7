package sandbox

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
		if got, _ := sameSource(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: sameSource = %v, want %v", tt.name, got, tt.want)
		}
	}
}
