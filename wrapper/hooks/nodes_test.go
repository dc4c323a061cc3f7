package hooks_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A nodeBinary is one real Node.js the hook tests and benchmarks run on.
type nodeBinary struct {
	Name string // "node20"
	Path string
}

// nodeMajors are the Node.js majors the hooks are tested on: 20 (first) is
// the machine's own node, the others come from .ci/setup.d/40-node-versions.sh.
var nodeMajors = []int{20, 18, 22, 24, 26}

// nodeBinaries finds every Node.js of nodeMajors. The machine's node stands
// for 20 whatever its version; the others are
// ${XDG_CACHE_HOME:-$HOME/.cache}/coldprof/node/<major>/bin/node (18 too). A missing
// one fails t (the hooks must be tested on all of them) unless none at all
// is installed, when t is skipped.
func nodeBinaries(t testing.TB) []nodeBinary {
	t.Helper()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	var found []nodeBinary
	var missing []string
	for _, major := range nodeMajors {
		path := filepath.Join(cache, "coldprof", "node", strconv.Itoa(major), "bin", "node")
		if major == nodeMajors[0] {
			p, err := exec.LookPath("node")
			if err != nil {
				missing = append(missing, "node (for Node 20)")
				continue
			}
			path = p
		}
		out, err := exec.Command(path, "-p", "process.versions.node").Output()
		if err != nil {
			missing = append(missing, path)
			continue
		}
		got, _, _ := strings.Cut(strings.TrimSpace(string(out)), ".")
		if major != nodeMajors[0] && got != strconv.Itoa(major) {
			t.Errorf("%s is Node %s, want %d", path, strings.TrimSpace(string(out)), major)
			continue
		}
		found = append(found, nodeBinary{Name: "node" + got, Path: path})
	}
	if len(found) == 0 {
		t.Skip("no Node.js installed")
	}
	if len(missing) > 0 {
		t.Errorf("Node.js missing: %s (run .ci/setup.d/40-node-versions.sh)", strings.Join(missing, ", "))
	}
	return found
}
