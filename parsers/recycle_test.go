package parsers

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// TestRecycle reads the same logs with and without recycling: every cold
// start must be the same (checked before it goes back), and imports of
// later cold starts must live where recycled ones did.
func TestRecycle(t *testing.T) {
	var in bytes.Buffer
	for round := 0; round < 3; round++ {
		for _, name := range []string{"lambda-boto3-numpy-requests.log", "lambda-3.12.log", "platform-3.12.log",
			"cached-3.14.log", "cached-3.14-lambda.log", "threads-3.13.log", "spawn-3.12.log", "collapsed.log", "truncated.log"} {
			b, err := os.ReadFile(filepath.Join(pyData, name))
			if err != nil {
				t.Fatal(err)
			}
			in.Write(b)
		}
	}
	want, err := ReadAll(bytes.NewReader(in.Bytes()), "in.log", Options{})
	if err != nil {
		t.Fatal(err)
	}

	r := NewReader(envelope.NewRawText(bytes.NewReader(in.Bytes())), "in.log", Options{Recycle: true, Warn: func(profile.Warning) {}})
	recycled := map[*profile.Import]bool{}
	reused := 0
	n := 0
	for ; ; n++ {
		cs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(want.ColdStarts) {
			t.Fatalf("more cold starts than without recycling (%d)", len(want.ColdStarts))
		}
		if got, w := mustJSON(t, cs), mustJSON(t, want.ColdStarts[n]); got != w {
			t.Fatalf("cold start %d differs with recycling:\n got %s\nwant %s", n, got, w)
		}
		cs.Walk(func(imp *profile.Import, _ int) bool {
			if recycled[imp] {
				reused++
			}
			return true
		})
		cs.Walk(func(imp *profile.Import, _ int) bool {
			recycled[imp] = true
			return true
		})
		r.Recycle(cs)
		r.Recycle(cs) // a second time does nothing
	}
	if n != len(want.ColdStarts) {
		t.Fatalf("%d cold starts with recycling, %d without", n, len(want.ColdStarts))
	}
	if reused == 0 {
		t.Errorf("no import of a later cold start reused a recycled one's memory")
	}
	t.Logf("%d cold starts, %d imports in reused memory", n, reused)
}

// TestRecycleOff checks that Recycle without Options.Recycle, or of a cold
// start from another Reader, changes nothing.
func TestRecycleOff(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(pyData, "lambda-3.12.log"))
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, b...)
	for _, opts := range []Options{{}, {Recycle: true}} {
		r := NewReader(envelope.NewRawText(bytes.NewReader(b)), "in.log", opts)
		other := NewReader(envelope.NewRawText(bytes.NewReader(b)), "in.log", Options{Recycle: true})
		first, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		before := mustJSON(t, first)
		if !opts.Recycle {
			r.Recycle(first)
		}
		other.Recycle(first)
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if after := mustJSON(t, first); after != before {
			t.Errorf("Options %+v: a cold start not handed back changed:\n%s\n%s", opts, before, after)
		}
	}
}

func mustJSON(t *testing.T, cs *profile.ColdStart) string {
	t.Helper()
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
