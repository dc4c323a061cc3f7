package envelope

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeWith decodes in and returns records and warnings interleaved in
// the order the caller saw them.
func decodeWith(t *testing.T, r io.Reader, format Format, opts ...Option) []string {
	t.Helper()
	var events []string
	opts = append(opts, WithWarn(func(where, msg string) { events = append(events, "warning "+where+": "+msg) }))
	dec, err := Open(r, "in", format, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, fmt.Sprintf("%s %d %d %v %q", rec.Stream, rec.Line, rec.TimeUs, rec.Platform, rec.Text))
	}
}

// TestPrefetchSameAsSerial checks that WithPrefetch changes nothing the
// caller sees: records, warnings and their order.
func TestPrefetchSameAsSerial(t *testing.T) {
	// Many batches, with warnings in the middle and at the end.
	var big strings.Builder
	for i := range 5000 {
		ts := 1795344994000 + int64(i)
		if i%1000 == 999 {
			ts -= 5 // out of order
		}
		fmt.Fprintf(&big, `{"logStreamName":"s%d","timestamp":%d,"message":"import time: %d | %d | m%d\n"}`+"\n", i%3, ts, i, i, i)
	}
	inputs := map[string]string{"big sam-json": big.String()}
	names, _ := filepath.Glob(filepath.Join(exportsDir, "*"))
	for _, name := range names {
		if strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".md") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(name)] = string(b)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			serial := decodeWith(t, strings.NewReader(in), FormatAuto)
			prefetched := decodeWith(t, strings.NewReader(in), FormatAuto, WithPrefetch())
			if len(serial) < 2 {
				t.Fatalf("only %d events", len(serial))
			}
			if diff := cmp.Diff(serial, prefetched); diff != "" {
				t.Errorf("(-serial +prefetched):\n%s", diff)
			}
		})
	}
	// The tail-short warning is raised by Open itself, before any batch.
	got := decodeWith(t, strings.NewReader("2026-11-22T10:56:34 m\n"), FormatAuto, WithPrefetch())
	if len(got) != 2 || !strings.HasPrefix(got[0], "warning in: aws logs tail --format short") {
		t.Errorf("got %q, want the short-format warning before the record", got)
	}
}

func TestPrefetchClose(t *testing.T) {
	dec, err := Open(strings.NewReader(strings.Repeat("line\n", 100000)), "in", FormatRaw, WithPrefetch())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Next(); err != nil {
		t.Fatal(err)
	}
	closer, ok := dec.(io.Closer)
	if !ok {
		t.Fatal("prefetching decoder is not an io.Closer")
	}
	closer.Close()
	closer.Close()
}

// WithPrefetchFor prefetches only the sniffed formats it is asked to: the
// decoder is then the prefetcher (an io.Closer), and records are the same.
func TestPrefetchFor(t *testing.T) {
	tail := "2026-11-22T10:00:00.000000+00:00 s1 import time:       1 |          1 | a\n"
	jsonEvents := `{"events":[{"logStreamName":"s1","timestamp":1,"message":"import time: 1 | 1 | a\n"}]}`
	onlyJSON := func(f Format) bool { return f == FormatFilterLogEvents }
	for _, tt := range []struct {
		in       string
		prefetch bool
	}{{tail, false}, {jsonEvents, true}} {
		dec, err := Open(strings.NewReader(tt.in), "in", FormatAuto, WithPrefetchFor(onlyJSON))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := dec.(*prefetcher); ok != tt.prefetch {
			t.Errorf("%.20q: prefetching %v, want %v", tt.in, ok, tt.prefetch)
		}
		if c, ok := dec.(io.Closer); ok {
			defer c.Close()
		}
		want := decodeWith(t, strings.NewReader(tt.in), FormatAuto)
		got := decodeWith(t, strings.NewReader(tt.in), FormatAuto, WithPrefetchFor(onlyJSON))
		if diff := cmp.Diff(want, got); diff != "" || len(got) == 0 {
			t.Errorf("%.20q: %d records (-serial +prefetch):\n%s", tt.in, len(got), diff)
		}
	}
}
