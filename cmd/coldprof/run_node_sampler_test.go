package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

var truthLine = regexp.MustCompile(`coldprof-test-truth (\{.*\})`)

// TestRunNodeSampler runs testdata/sampler/node-function through coldprof run
// --runtime nodejs (the real wrapper, its proxy writing the stop pipe, the
// Node.js sampler, coldprof's runtime client), one event as a cold start
// whose runtime is killed after its last event, on Node 20 and 22/24: the
// log has the sampler's lines with the cut at the init_done marker, and the
// sampled wall time of the function's known work at top level (a busy
// loop; an @aws-sdk client when testdata/node/realistic has node_modules)
// is within ±25 % of what the function measured itself, in init.
func TestRunNodeSampler(t *testing.T) {
	fullTier(t)
	taskRoot, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sampler", "node-function"))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	versions := map[string]string{"20": ""} // the machine's node
	for _, major := range []string{"22", "24"} {
		dir := filepath.Join(cache, "coldprof", "node", major, "bin")
		if _, err := os.Stat(filepath.Join(dir, "node")); err == nil {
			versions[major] = dir
		} else {
			t.Logf("Node %s not installed (.ci/setup.d/40-node-versions.sh): not tested", major)
		}
	}
	for major, dir := range versions {
		t.Run("node"+major, func(t *testing.T) {
			if dir != "" {
				t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			}
			logPath := filepath.Join(t.TempDir(), "run.log")
			code, _, stderr := runArgs(t, "--handler", "index.handler", "--runtime", "nodejs", "--task-root", taskRoot,
				"-n", "1", "--log", logPath, "--format", "json", "--timeout", "20s", "--init-timeout", "60s")
			log, _ := os.ReadFile(logPath)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, stderr, log)
			}
			m := truthLine.FindSubmatch(log)
			if m == nil {
				t.Fatalf("no truth line in the log:\n%s", log)
			}
			var truth map[string]float64
			if err := json.Unmarshal(m[1], &truth); err != nil {
				t.Fatal(err)
			}
			p, err := parsers.ReadAll(strings.NewReader(string(log)), "run.log", parsers.Options{})
			if err != nil || len(p.ColdStarts) != 1 {
				t.Fatalf("%v, %d cold starts", err, len(p.ColdStarts))
			}
			for _, w := range p.Warnings {
				t.Errorf("warning: %s", w)
			}
			cs := p.ColdStarts[0]
			if cs.Sampler == nil || cs.Sampler.StoppedBy != profile.StoppedByInitDone || len(cs.Samples) == 0 {
				t.Fatalf("sampler %+v with %d samples; want samples stopped at init_done", cs.Sampler, len(cs.Samples))
			}
			if _, ok := truth["makeClient"]; !ok {
				t.Log("testdata/node/realistic has no node_modules (npm ci there): the @aws-sdk client is not tested")
			}
			for fn, sec := range truth {
				got := float64(sampledUs(cs, fn, profile.PhaseInit))
				want := sec * 1e6
				if math.Abs(got-want) > 0.25*want {
					t.Errorf("%s: sampled %.1f ms in init, measured %.1f ms: more than 25 %% apart", fn, got/1e3, want/1e3)
				} else {
					t.Logf("%s: sampled %.1f ms in init, measured %.1f ms", fn, got/1e3, want/1e3)
				}
			}
		})
	}
}

// sampledUs is the wall time of samples in phase whose stack has fn.
func sampledUs(cs *profile.ColdStart, fn string, phase profile.Phase) int64 {
	var sum int64
	for _, s := range cs.Samples {
		if s.Phase != phase {
			continue
		}
		for _, f := range cs.Stacks[s.Stack] {
			if cs.Frames[f].Function == fn {
				sum += s.WeightUs
				break
			}
		}
	}
	return sum
}
