package parsers

import (
	"fmt"
	"io"
	"runtime"
	"testing"

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
	r := NewReader(dec, "in", Options{Warn: func(profile.Warning) {}, Grammars: []func() Grammar{func() Grammar { return &flatGrammar{} }}})
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
