package sandbox

import (
	debugbuildinfo "debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/buildinfo"
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
		theirs, err := debugbuildinfo.ReadFile(c)
		if err != nil {
			passed = append(passed, fmt.Sprintf("%s (no Go build information: %v)", c, err))
			continue
		}
		if same, what := buildinfo.SameSource(own, theirs); same {
			return c, []string{c}, c + " (built from the same source as coldprof: " + what + ")", nil
		}
		passed = append(passed, c+" (built from "+buildinfo.Describe(theirs)+")")
	}
	why = "coldprof's own built-in wrapper (" + self + " " + WrapperArg + ")"
	if len(passed) > 0 {
		why += "; passed over " + strings.Join(passed, ", ") + ": not the same source as coldprof, built from " + buildinfo.Describe(own) + "; use --wrapper to choose one"
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
