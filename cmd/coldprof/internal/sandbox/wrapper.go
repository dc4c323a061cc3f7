package sandbox

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// WrapperArg is the hidden command that makes coldprof act as
// coldprof-wrapper: coldprof holds the wrapper's code, built from its own
// source.
const WrapperArg = "__coldprof_wrapper"

// FindWrapper returns the wrapper to start, the argv before the runtime's
// command, and why it was chosen, for the user to see:
//
//   - flag (--wrapper) when given;
//   - else a coldprof-wrapper beside this executable, then on PATH, when it
//     was built from the same source as this coldprof (the same released
//     module version, or the same VCS revision without local changes);
//   - else this executable in its hidden wrapper mode, the same source by
//     construction. This is what "go run ./cmd/coldprof run" gets: an older
//     coldprof-wrapper that "go install" left on PATH is never picked
//     silently, and why says it was passed over.
func FindWrapper(flag string) (path string, argv []string, why string, err error) {
	if flag != "" {
		p, err := exec.LookPath(flag)
		if err != nil {
			return "", nil, "", fmt.Errorf("--wrapper: %w", err)
		}
		return p, []string{p}, p + " (--wrapper)", nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, "", fmt.Errorf("finding coldprof's own executable: %w", err)
	}
	own, _ := debug.ReadBuildInfo()
	var passed []string
	for _, c := range wrapperCandidates(self) {
		theirs, err := buildinfo.ReadFile(c)
		if err != nil {
			passed = append(passed, fmt.Sprintf("%s (no Go build information: %v)", c, err))
			continue
		}
		if same, what := sameSource(own, theirs); same {
			return c, []string{c}, c + " (built from the same source as coldprof: " + what + ")", nil
		}
		passed = append(passed, c+" (built from "+describeBuild(theirs)+")")
	}
	why = "coldprof's own built-in wrapper (" + self + " " + WrapperArg + ")"
	if len(passed) > 0 {
		why += "; passed over " + strings.Join(passed, ", ") + ": not the same source as coldprof, built from " + describeBuild(own) + "; use --wrapper to choose one"
	}
	return self, []string{self, WrapperArg}, why, nil
}

// wrapperCandidates are the coldprof-wrapper executables beside self and
// on PATH, each once.
func wrapperCandidates(self string) []string {
	var out []string
	next := filepath.Join(filepath.Dir(self), "coldprof-wrapper")
	if info, err := os.Stat(next); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
		out = append(out, next)
	}
	if p, err := exec.LookPath("coldprof-wrapper"); err == nil {
		if abs, err := filepath.Abs(p); err == nil && (len(out) == 0 || !sameFile(abs, out[0])) {
			out = append(out, abs)
		}
	}
	return out
}

func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// sameSource reports whether two builds come from the same source, and
// says how that is known. Without proof (a "go run" or "go test" build
// has no VCS stamp; a stamped build with local changes may differ) the
// answer is no.
func sameSource(a, b *debug.BuildInfo) (bool, string) {
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

// vcsStamp returns a build's VCS revision and whether its tree was clean.
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

// describeBuild says where a build came from, for messages.
func describeBuild(info *debug.BuildInfo) string {
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
