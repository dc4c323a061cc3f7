package sandbox

import (
	"bufio"
	"context"
	"io"
	"os"
	"time"

	"github.com/coldprof/coldprof/wrapper/marker"
	"github.com/coldprof/coldprof/wrapper/sampleline"
)

// samplerPending reports whether the part of the log from offset on has a
// start marker that turned the in-runtime sampler on, and no sampler end
// line yet: the sampler writes its last lines from its own thread (Python)
// or after the response (Node.js with COLDPROF_SAMPLER_INVOKE=on), a moment
// after the runtime asks for its next event.
func samplerPending(path string, offset int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	on, ended := false, false
	for sc.Scan() {
		line := sc.Bytes()
		if _, ok := marker.Find(line); ok {
			if ev, err := marker.Parse(line); err == nil && ev.Kind == marker.Start && ev.SamplerUs > 0 {
				on = true
			}
			continue
		}
		if _, ok := sampleline.Find(line); ok {
			if ev, err := sampleline.Parse(line); err == nil && ev.Kind == sampleline.End {
				ended = true
			}
		}
	}
	return on && !ended
}

// waitSampler waits, at most limit, until the sampler's end line is in the
// log (polling it), so that stopping the runtime does not cut the lines off.
// On Lambda a frozen environment writes them when it is thawed; a local run
// has no next thaw.
func waitSampler(ctx context.Context, path string, offset int64, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for samplerPending(path, offset) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}
