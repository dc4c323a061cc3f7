package parsers

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// Pathological inputs the fuzzers cannot reach because of their size,
// generated at test time.

// funcDecoder yields the records next makes until it returns false.
type funcDecoder func() (envelope.Record, bool)

func (f funcDecoder) Next() (envelope.Record, error) {
	rec, ok := f()
	if !ok {
		return envelope.Record{}, io.EOF
	}
	return rec, nil
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Every stream ever seen was kept (with its grammars) after it was
// finished: 300,000 streams of one plain line each grew the heap without end.
func TestHostileManyStreams(t *testing.T) {
	fullTier(t)
	const streams = 300000
	i := 0
	var peak uint64
	dec := funcDecoder(func() (envelope.Record, bool) {
		if i == streams {
			return envelope.Record{}, false
		}
		i++
		if i%20000 == 0 {
			peak = max(peak, liveHeap())
		}
		return envelope.Record{Stream: fmt.Sprintf("2026/11/22/[$LATEST]%032d", i), Line: i, Text: []byte("hello")}, true
	})
	r := NewReader(dec, "in", Options{Warn: func(profile.Warning) {}})
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if peak > 16<<20 {
		t.Errorf("live heap reached %.1f MB reading %d streams of one line", float64(peak)/1e6, streams)
	}
	t.Logf("live heap at most %.1f MB", float64(peak)/1e6)
}

// An importtime log whose squeezed spaces leave only the times to rebuild
// the tree from can nest as deep as it has lines: each entry's cumulative
// time is its self time plus the previous entry's. Trees are walked
// recursively everywhere (and folded stacks repeat every ancestor), so
// the depth is bounded.
func TestHostileDeepImports(t *testing.T) {
	t.Run("times", func(t *testing.T) {
		const lines = 200000
		var in []byte
		in = append(in, "import time: self [us] | cumulative | imported package\n"...)
		for i := 1; i <= lines; i++ {
			in = fmt.Appendf(in, "import time: 1 | %d | m%d\n", i, i)
		}
		checkDepth(t, in, lines, "would nest more than 512 levels deep")
	})
	// Indentation alone needs a quadratic input to nest deep: 2,000 levels.
	t.Run("indentation", func(t *testing.T) {
		const lines = 2000
		var in []byte
		in = append(in, "import time: self [us] | cumulative | imported package\n"...)
		for i := lines - 1; i >= 0; i-- {
			in = fmt.Appendf(in, "import time:         1 | %10d | %sm%d\n", lines-i, strings.Repeat("  ", i), i)
		}
		checkDepth(t, in, lines, "is indented more than 511 levels deep")
	})
}

func checkDepth(t *testing.T, in []byte, lines int, warning string) {
	start := time.Now()
	p, err := ReadAll(bytes.NewReader(in), "in", Options{})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	entries, depth := 0, 0
	for _, cs := range p.ColdStarts {
		entries += countEntries(cs)
		depth = max(depth, treeDepth(cs))
	}
	if entries != lines {
		t.Errorf("%d entries from %d lines", entries, lines)
	}
	if depth > maxDepth {
		t.Errorf("imports nest %d deep, more than %d", depth, maxDepth)
	}
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0].Message, warning) {
		t.Errorf("warnings %v, want one saying %q", p.Warnings, warning)
	}
	t.Logf("%d lines: %v, depth %d", lines, elapsed, depth)
}

// treeDepth is how deep cs's imports nest (1: top level only), found with
// a stack of its own: a recursive walk is what deep trees break.
func treeDepth(cs *profile.ColdStart) int {
	type node struct {
		imp   *profile.Import
		depth int
	}
	var stack []node
	for _, imp := range cs.Imports {
		stack = append(stack, node{imp, 1})
	}
	depth := 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		depth = max(depth, n.depth)
		for _, c := range n.imp.Children {
			stack = append(stack, node{c, n.depth + 1})
		}
	}
	return depth
}
