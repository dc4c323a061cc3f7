// Package buildinfo says which source a coldprof build came from, from the
// information the Go toolchain records in every binary (runtime/debug): the
// module version "go install …@vX.Y.Z" records, or the VCS revision a build
// in a clone records. coldprof prints it as its version and compares it with
// a coldprof-wrapper's before running that wrapper.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version says which source a build came from: its module version, else
// "devel" and its VCS revision (with "-dirty" for local changes).
func Version(info *debug.BuildInfo) string {
	if info == nil {
		return "(unknown)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, clean := vcsStamp(info)
	if rev == "" {
		return "devel"
	}
	v := "devel " + rev[:min(12, len(rev))]
	if !clean {
		v += "-dirty"
	}
	return v
}

// SameSource reports whether two builds come from the same source, and
// says how that is known. Without proof (a "go run" or "go test" build has
// no VCS stamp; a stamped build with local changes may differ) the answer
// is no.
func SameSource(a, b *debug.BuildInfo) (bool, string) {
	if a == nil || b == nil || a.Main.Path != b.Main.Path {
		return false, ""
	}
	revA, cleanA := vcsStamp(a)
	revB, cleanB := vcsStamp(b)
	if revA != "" && revA == revB && cleanA && cleanB {
		return true, "revision " + revA
	}
	if released(a.Main.Version) && a.Main.Version == b.Main.Version && revA == "" && revB == "" {
		return true, "version " + a.Main.Version
	}
	return false, ""
}

// Describe says where a build came from, for messages.
func Describe(info *debug.BuildInfo) string {
	if info == nil {
		return "an unknown build"
	}
	parts := []string{"version " + info.Main.Version}
	if info.Main.Version == "" {
		parts[0] = "no module version"
	}
	if rev, clean := vcsStamp(info); rev != "" {
		p := "revision " + rev[:min(12, len(rev))]
		if !clean {
			p += " with local changes"
		}
		parts = append(parts, p)
	} else {
		parts = append(parts, "no VCS revision")
	}
	return strings.Join(parts, ", ")
}

// vcsStamp returns a build's VCS revision and whether its tree was clean
// (vcs.modified is "false"; an unknown state is not clean).
func vcsStamp(info *debug.BuildInfo) (revision string, clean bool) {
	modified := ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return revision, modified == "false"
}

// released reports whether v is a module version that names one source:
// not "(devel)", and no "+dirty" build of a working tree.
func released(v string) bool {
	return v != "" && v != "(devel)" && !strings.Contains(v, "+dirty")
}
