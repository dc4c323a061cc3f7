package envelope

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Pathological inputs the fuzzers cannot reach because of their size:
// each is generated at test time, large enough to show that memory does not
// grow with the input, small enough to run in about a second.

// repeatReader yields head, then body repeated up to total bytes, then tail,
// sampling the live heap every few megabytes read.
type repeatReader struct {
	head, body, tail []byte
	total, read      int
	sinceSample      int
	peak             uint64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.sinceSample >= 1<<20 {
		r.sinceSample = 0
		r.sample()
	}
	var n int
	switch {
	case len(r.head) > 0:
		n = copy(p, r.head)
		r.head = r.head[n:]
	case r.read < r.total:
		remaining := r.total - r.read
		for n < len(p) && n < remaining {
			n += copy(p[n:min(len(p), remaining)], r.body[(r.read+n)%len(r.body):])
		}
		r.read += n
	case len(r.tail) > 0:
		n = copy(p, r.tail)
		r.tail = r.tail[n:]
	default:
		return 0, io.EOF
	}
	r.sinceSample += n
	return n, nil
}

func (r *repeatReader) sample() {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	r.peak = max(r.peak, ms.HeapAlloc)
}

// decodeStream reads every record, returning them (texts only when keep says
// so) and the warnings.
func decodeStream(t *testing.T, in io.Reader, format Format, keep func(Record) bool) (n int, kept []Record, warnings []string) {
	t.Helper()
	dec, err := Open(in, "in", format, WithWarn(func(where, msg string) { warnings = append(warnings, where+": "+msg) }))
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return n, kept, warnings
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if keep != nil && keep(rec) {
			rec.Text = bytes.Clone(rec.Text)
			kept = append(kept, rec)
		}
	}
}

func checkPeak(t *testing.T, r *repeatReader, limit uint64) {
	t.Helper()
	r.sample()
	if r.peak > limit {
		t.Errorf("live heap reached %.1f MB reading %.1f MB; want at most %.1f MB", float64(r.peak)/1e6, float64(r.total)/1e6, float64(limit)/1e6)
	}
	t.Logf("live heap at most %.1f MB reading %.1f MB", float64(r.peak)/1e6, float64(r.total)/1e6)
}

// A prefix line followed by 64 MB of lines without one (raw text that
// starts like a tail export) used to be held as one event.
func TestHostileEndlessEvent(t *testing.T) {
	fullTier(t)
	for _, tc := range []struct {
		format Format
		head   string
		stream string
	}{
		{FormatTail, "2026-11-22T10:56:34.686000+00:00 2026/11/22/[$LATEST]ab first\n", "2026/11/22/[$LATEST]ab"},
		{FormatSAM, "2026/11/22/[$LATEST]ab 2026-11-22T10:56:34.686000 first\n", "2026/11/22/[$LATEST]ab"},
		{FormatTailShort, "2026-11-22T10:56:34 first\n", ""},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			body := []byte("import time:       100 |        100 | x\n")
			r := &repeatReader{head: []byte(tc.head), body: body, total: len(body) * (64 << 20 / len(body)),
				tail: []byte(strings.Replace(tc.head, "first", "last", 1))}
			textBytes := 0
			_, kept, warnings := decodeStream(t, r, tc.format, func(rec Record) bool {
				textBytes += len(rec.Text) + 1
				if rec.Stream != tc.stream || rec.TimeUs == 0 {
					t.Fatalf("record at line %d: stream %q, time %d", rec.Line, rec.Stream, rec.TimeUs)
				}
				return bytes.Equal(rec.Text, []byte("last"))
			})
			checkPeak(t, r, 40<<20)
			if len(kept) != 1 {
				t.Errorf("the event after the long one was not read")
			}
			if want := r.total + len("first\nlast\n"); textBytes != want {
				t.Errorf("records hold %d bytes of text, want %d: lines were lost", textBytes, want)
			}
			if len(warnings) == 0 || !strings.Contains(warnings[len(warnings)-1], "in pieces") {
				t.Errorf("warnings %q, want one about the long event", warnings)
			}
		})
	}
}

// A single 64 MB line is cut at MaxLineBytes in every line-based shape.
func TestHostileHugeLine(t *testing.T) {
	fullTier(t)
	for _, format := range []Format{FormatRaw, FormatTail, FormatLambdaJSON} {
		t.Run(string(format), func(t *testing.T) {
			r := &repeatReader{body: []byte("abcdefgh"), total: 64 << 20, tail: []byte("\nafter\n")}
			n, kept, warnings := decodeStream(t, r, format, func(rec Record) bool { return string(rec.Text) == "after" })
			checkPeak(t, r, 16<<20)
			if n != 2 || len(kept) != 1 || len(warnings) == 0 {
				t.Errorf("%d records, kept %d, warnings %q", n, len(kept), warnings)
			}
		})
	}
}

// A gzip bomb: a small file that expands to 256 MB is decoded as a stream.
func TestHostileGzipBomb(t *testing.T) {
	fullTier(t)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	line := bytes.Repeat([]byte("x"), 1<<20-1)
	line = append(line, '\n')
	for range 256 {
		zw.Write(line)
	}
	zw.Close()
	r := &repeatReader{head: gz.Bytes(), body: []byte{0}, total: 0}
	r.total = 1 << 30 // only used in the message
	var ms runtime.MemStats
	n := 0
	dec, err := Open(r, "bomb.gz", FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := dec.Next()
		if err != nil {
			break
		}
		if n++; n%32 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			r.peak = max(r.peak, ms.HeapAlloc)
		}
	}
	if n != 256 {
		t.Errorf("%d records from 256 lines", n)
	}
	if r.peak > 24<<20 {
		t.Errorf("live heap reached %.1f MB decoding a %d-byte gzip of 256 MB", float64(r.peak)/1e6, gz.Len())
	}
}

// Stream names are interned and remembered for the time order check: a
// million distinct names must not all be kept.
func TestHostileManyStreams(t *testing.T) {
	fullTier(t)
	pad := strings.Repeat("s", 400)
	var lines []byte
	i := 0
	r := &repeatReader{head: []byte("2026-11-22T10:56:34.686000+00:00 2026/11/22/[$LATEST]first m\n"), total: 0}
	// Each line names a stream never seen before.
	gen := func(p []byte) []byte {
		i++
		return fmt.Appendf(p[:0], "2026-11-22T10:56:34.686000+00:00 2026/11/22/[$LATEST]%s%08d m\n", pad, i)
	}
	lines = gen(lines)
	r.body = lines
	dec, err := Open(io.MultiReader(r, &lineGen{gen: gen, n: 150000}), "in", FormatTail)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	n := 0
	for {
		_, err := dec.Next()
		if err != nil {
			break
		}
		if n++; n%10000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			r.peak = max(r.peak, ms.HeapAlloc)
		}
	}
	if n != 150001 {
		t.Errorf("%d records", n)
	}
	if r.peak > 24<<20 {
		t.Errorf("live heap reached %.1f MB reading %d distinct stream names of 460 bytes", float64(r.peak)/1e6, n)
	}
}

// lineGen yields n lines made by gen.
type lineGen struct {
	gen  func([]byte) []byte
	n    int
	line []byte
	pos  int
}

func (g *lineGen) Read(p []byte) (int, error) {
	if g.pos == len(g.line) {
		if g.n == 0 {
			return 0, io.EOF
		}
		g.n--
		g.line, g.pos = g.gen(g.line), 0
	}
	n := copy(p, g.line[g.pos:])
	g.pos += n
	return n, nil
}

// Every malformed JSON value is skipped to the next line that starts one.
// Each skip used to wrap the input in one more reader, so that every later
// byte passed through all of them: 160,000 malformed lines took 16 s. The
// work is counted, not timed: the call stack under which the input is read
// must stay as shallow for 20,000 malformed lines as for none (with one
// reader per skip it grew by one frame per skip).
func TestHostileManyMalformedJSON(t *testing.T) {
	decode := func(bad int) int {
		in := "{\"logStreamName\":\"s\",\"message\":\"first\"}\n" + strings.Repeat("{\"message\": x}\n", bad) + "{\"message\":\"last\"}\n"
		r := &depthReader{r: strings.NewReader(in)}
		n, kept, warnings := decodeStream(t, r, FormatSAMJSON, func(rec Record) bool { return true })
		if n != 2 || string(kept[1].Text) != "last" || kept[1].Line != bad+2 {
			t.Errorf("records %+v", kept)
		}
		if len(warnings) != bad {
			t.Errorf("%d warnings for %d malformed lines", len(warnings), bad)
		}
		return r.deepest
	}
	none, many := decode(0), decode(20000)
	if many > none+8 {
		t.Errorf("the input is read %d calls deep after 20,000 malformed lines, %d with none: a reader per skip", many, none)
	}
	t.Logf("read stack depth: %d with no malformed lines, %d with 20,000", none, many)
}

// A depthReader records the deepest call stack its Read is called under.
type depthReader struct {
	r       io.Reader
	deepest int
	pcs     [4096]uintptr
}

func (d *depthReader) Read(p []byte) (int, error) {
	d.deepest = max(d.deepest, runtime.Callers(1, d.pcs[:]))
	return d.r.Read(p)
}

// encoding/csv with LazyQuotes reads an unterminated quote to the end of the
// input as one field: 64 MB after a stray quote were held whole.
func TestHostileCSVUnterminatedQuote(t *testing.T) {
	fullTier(t)
	head := "@timestamp,@message,@logStream\n2026-11-22 10:56:34.686,first,s\n\"never closed\n"
	body := []byte("aaaaaaaaaaaaaaa\n")
	r := &repeatReader{head: []byte(head), body: body, total: len(body) * (64 << 20 / len(body)),
		tail: []byte("2026-11-22 10:56:35.000,last,s\n")}
	_, kept, warnings := decodeStream(t, r, FormatInsightsCSV, func(rec Record) bool { return rec.Stream == "s" })
	checkPeak(t, r, 32<<20)
	if len(kept) != 2 || string(kept[0].Text) != "first" || string(kept[1].Text) != "last" {
		t.Errorf("records %+v", kept)
	}
	if lastLine := 3 + r.total/len(body) + 1; len(kept) == 2 && kept[1].Line != lastLine {
		t.Errorf("last row at line %d, want %d", kept[1].Line, lastLine)
	}
	if len(warnings) == 0 || !strings.Contains(warnings[0], "in:3: CSV record longer than") {
		t.Errorf("warnings %q", warnings)
	}
}

// The JSON decoder keeps the bytes after the last offset it turned into a
// line number; a top-level object of endless keys it does not read (or an
// unknown value it skips token by token) never asked for one.
func TestHostileEndlessObject(t *testing.T) {
	fullTier(t)
	for _, tc := range []struct {
		name, head, body, tail string
		size, peak             int
	}{
		{"keys", `{"logStreamName":"s","message":"first"}` + "\n{", `"nextToken":"abcdefgh",` + "\n", `"message":"last"}` + "\n", 16 << 20, 8 << 20},
		// Skipped token by token, which is slow: a smaller input.
		{"skipped value", `{"logStreamName":"s","message":"first"}` + "\n{\"events\":{\"a\":[", `{"b":[1,2,3]},` + "\n", `0]},"message":"last"}` + "\n", 3 << 20, 2 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &repeatReader{head: []byte(tc.head), body: []byte(tc.body), total: len(tc.body) * (tc.size / len(tc.body)), tail: []byte(tc.tail)}
			_, kept, _ := decodeStream(t, r, FormatSAMJSON, func(rec Record) bool { return true })
			checkPeak(t, r, uint64(tc.peak))
			if len(kept) != 2 || string(kept[1].Text) != "last" {
				t.Errorf("records %+v", kept)
			}
		})
	}
}

// Logs Insights results are held a window at a time to be put in time
// order: rows of 256 KB messages, newest first, must not all be held.
func TestHostileInsightsReverse(t *testing.T) {
	fullTier(t)
	const rows = 256 // 64 MB of messages
	msg := strings.Repeat("m", 256<<10-16)
	row := func(i int) []byte {
		// Newest first: row i is (rows-i) seconds after the epoch of the test.
		return fmt.Appendf(nil, `[{"field":"@timestamp","value":"2026-11-22 10:%02d:%02d.000"},{"field":"@message","value":"%s %08d"},{"field":"@logStream","value":"s"}]`,
			(rows-i)/60, (rows-i)%60, msg, i)
	}
	var peak uint64
	i := 0
	gen := &lineGen{n: rows, gen: func(p []byte) []byte {
		i++
		if i%32 == 0 {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		sep := ",\n"
		if i == rows {
			sep = "\n"
		}
		return append(row(i), sep...)
	}}
	in := io.MultiReader(strings.NewReader(`{"results":[`+"\n"), gen, strings.NewReader(`],"status":"Complete"}`+"\n"))
	n, kept, warnings := decodeStream(t, in, FormatInsightsJSON, func(rec Record) bool { return rec.Line <= 3 || rec.Line >= rows })
	if n != rows {
		t.Fatalf("%d records from %d rows", n, rows)
	}
	// Each window (32 MB: 128 rows) is put in time order; a later window
	// holds older rows, which the order check reports.
	if kept[0].TimeUs >= kept[1].TimeUs {
		t.Errorf("first record from line %d at %d, second at %d: the window was not reversed", kept[0].Line, kept[0].TimeUs, kept[1].TimeUs)
	}
	for _, w := range warnings {
		if !strings.Contains(w, "out of time order") {
			t.Errorf("warning %q", w)
		}
	}
	if peak > 48<<20 {
		t.Errorf("live heap reached %.1f MB reading %d rows of 256 KB", float64(peak)/1e6, rows)
	}
	t.Logf("live heap at most %.1f MB", float64(peak)/1e6)
}

// JSON nested far past encoding/json's depth limit (10,000) is skipped, whatever
// the shape, and the record after it read.
func TestHostileDeepJSON(t *testing.T) {
	const depth = 300000
	open, closeAll := strings.Repeat("[", depth), strings.Repeat("]", depth)
	objects := strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
	for _, tc := range []struct {
		name   string
		format Format
		in     string
	}{
		{"insights rows", FormatInsightsJSON, "[" + open + closeAll + "]\n"},
		{"events", FormatFilterLogEvents, `{"events":[` + open + closeAll + "]}\n"},
		{"unknown key", FormatFilterLogEvents, `{"nextToken":` + objects + "}\n"},
		{"events object", FormatFilterLogEvents, `{"events":` + objects + "}\n"},
		{"sam", FormatSAMJSON, objects + "\n"},
		{"tail json", FormatTailJSON, "2026-11-22T10:56:34+00:00 s\n" + open + "\n" + closeAll + "\n"},
		{"lambda json", FormatLambdaJSON, objects + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in + `{"logStreamName":"s","timestamp":1,"message":"last"}` + "\n"
			if tc.format == FormatTailJSON || tc.format == FormatLambdaJSON {
				in = tc.in + "2026-11-22T10:56:35+00:00 s last\n"
			}
			start := time.Now()
			_, kept, _ := decodeStream(t, strings.NewReader(in), tc.format, func(rec Record) bool {
				return string(rec.Text) == "last" || strings.HasSuffix(string(rec.Text), " s last")
			})
			if elapsed := time.Since(start); elapsed > time.Minute { // a hang guard only
				t.Errorf("took %v", elapsed)
			}
			if len(kept) != 1 {
				t.Errorf("the record after the deep value was not read")
			}
		})
	}
}

// A value nested past encoding/json's depth limit with one level per line
// fails 10,000 lines after it starts; skipping only to the next line made
// each of those lines scanned again 10,000 times (200,000 lines of "[" ran
// for many minutes). Skipping now goes past the error.
func TestHostileDeepJSONLines(t *testing.T) {
	for _, format := range []Format{FormatAuto, FormatInsightsJSON, FormatFilterLogEvents, FormatSAMJSON} {
		t.Run(string(format), func(t *testing.T) {
			in := strings.Repeat("[\n", 200000) + strings.Repeat("]\n", 200000) + `{"logStreamName":"s","timestamp":1,"message":"last"}` + "\n"
			start := time.Now()
			_, kept, warnings := decodeStream(t, strings.NewReader(in), format, func(rec Record) bool { return string(rec.Text) == "last" })
			if elapsed := time.Since(start); elapsed > time.Minute { // a hang guard only
				t.Errorf("took %v", elapsed)
			}
			if len(kept) != 1 || kept[0].Line != 400001 {
				t.Errorf("the record after the deep value was not read: %+v", kept)
			}
			// The first '[' opens the top-level array, the next 10,001 nest.
			if len(warnings) == 0 || !strings.HasPrefix(warnings[0], "in:10002: malformed JSON: invalid character '[' exceeded max depth; skipped to line 10003") {
				t.Errorf("warnings %q", warnings)
			}
		})
	}
}

// The fast path of "events" arrays found an event's end by scanning again
// from its '{' after every 64 KB read, up to 4 MB; an event that never
// closes ({"events":[ on every line) cost 64 scans of up to 4 MB before
// json.Decoder took over, once per page: 8 MB took 2.4 s, growing faster
// than the input. Now each byte is scanned once and an event nested deeper
// than any real one is handed over at once.
func TestHostileUnclosedEvents(t *testing.T) {
	p := "{\"events\":[\n"
	for name, in := range map[string]string{
		"nested":      strings.Repeat(p, (1<<20)/len(p)),
		"long string": `{"events":[{"logStreamName":"s","message":"` + strings.Repeat("abcdefg\n", (5<<20)/8), // past maxFastEventBytes
	} {
		var warnings int
		d := newCWJSON(bufio.NewReader(strings.NewReader(in)), "in", func(string, string) { warnings++ })
		n := 0
		for {
			_, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				break // a malformed page ends the input; counted below
			}
			n++
		}
		if n != 0 {
			t.Errorf("%s: %d records", name, n)
		}
		// Counted, not timed: each byte is scanned at most once by the
		// fast path (re-scanning from the '{' after every 64 KB read went
		// through each byte up to 64 times).
		if d.fastScanned > int64(len(in)) {
			t.Errorf("%s: the fast path scanned %d bytes of %d", name, d.fastScanned, len(in))
		}
		t.Logf("%s: scanned %d bytes of %d", name, d.fastScanned, len(in))
	}
}

// json.Decoder holds a whole value: a 1 GB message took 3 GB. A value
// longer than maxJSONValueBytes (32 MB; 1 MB here) is skipped as malformed.
func TestHostileHugeJSONValue(t *testing.T) {
	fullTier(t)
	defer func(old int) { maxJSONValueBytes = old }(maxJSONValueBytes)
	maxJSONValueBytes = 1 << 20
	for _, tc := range []struct {
		format     Format
		head, tail string
	}{
		{FormatSAMJSON, `{"logStreamName":"s","message":"`, `"}`},
		{FormatFilterLogEvents, `{"events":[{"logStreamName":"s","message":"`, `"}]}`},
		{FormatInsightsJSON, `{"results":[[{"field":"@message","value":"`, `"}]]}`},
		{FormatFilterLogEvents, `{"nextToken":"`, `"}`},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			r := &repeatReader{head: []byte(tc.head), body: []byte("abcdefgh"), total: 24 << 20,
				tail: []byte(tc.tail + "\n" + `{"logStreamName":"s","message":"last"}` + "\n")}
			n, kept, warnings := decodeStream(t, r, tc.format, func(rec Record) bool { return true })
			checkPeak(t, r, 12<<20)
			if n != 1 || string(kept[0].Text) != "last" {
				t.Errorf("records %+v", kept)
			}
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "in:1: malformed JSON: a JSON value longer than") {
				t.Errorf("warnings %q", warnings)
			}
		})
	}
}

// Once a window of Logs Insights rows has been handed out, its rows' messages
// are let go: a smaller next window must not keep the old ones referenced in
// the slice's spare capacity.
func TestInsightsWindowLetsGo(t *testing.T) {
	const rows = insightsWindow + 1 // a full window, then one row
	var js, csvIn strings.Builder
	js.WriteString(`{"results":[`)
	csvIn.WriteString("@timestamp,@message,@logStream\n")
	for i := range rows {
		if i > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `[{"field":"@timestamp","value":"2026-11-22 10:00:00.000"},{"field":"@message","value":"m%d"},{"field":"@logStream","value":"s"}]`, i)
		fmt.Fprintf(&csvIn, "2026-11-22 10:00:00.000,m%d,s\n", i)
	}
	js.WriteString(`]}`)
	jsonDec := newCWJSON(strings.NewReader(js.String()), "f", nil)
	csvDec := newInsightsCSV(strings.NewReader(csvIn.String()), "f", nil)
	for _, tc := range []struct {
		name string
		dec  Decoder
		rows func() []insightsRow
	}{
		{"json", jsonDec, func() []insightsRow { return jsonDec.rows }},
		{"csv", csvDec, func() []insightsRow { return csvDec.rows }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range rows {
				rec, err := tc.dec.Next()
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if want := fmt.Sprintf("m%d", i); string(rec.Text) != want {
					t.Fatalf("record %d is %q, want %q", i, rec.Text, want)
				}
			}
			held := tc.rows()
			if len(held) != 1 {
				t.Fatalf("%d rows held in the last window, want 1", len(held))
			}
			for i, row := range held[1:cap(held)] {
				if row.text != "" {
					t.Fatalf("spare row %d still holds %q", i+1, row.text)
				}
			}
		})
	}
}

// TestGzipBounds: a gzip input that decompresses past the ratio (after the
// free allowance) or past the size bound is refused with an error naming
// the file, and nothing past the bound is read; a real gzip export reads.
func TestGzipBounds(t *testing.T) {
	defer func(a, b, c int64) { maxGzipBytes, maxGzipRatio, gzipRatioFreeBytes = a, b, c }(maxGzipBytes, maxGzipRatio, gzipRatioFreeBytes)
	gz := func(data []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	read := func(name string, data []byte) (records int, err error) {
		dec, err := Open(bytes.NewReader(data), name, FormatAuto)
		if err != nil {
			return 0, err
		}
		for {
			_, err := dec.Next()
			if err == io.EOF {
				return records, nil
			}
			if err != nil {
				return records, err
			}
			records++
		}
	}

	maxGzipRatio, gzipRatioFreeBytes = 200, 1<<20
	newlines := gz(append(append([]byte("first\n"), bytes.Repeat([]byte("\n"), 4<<20)...), "last\n"...))
	n, err := read("bomb.gz", newlines)
	if !errors.Is(err, ErrDecompressionBomb) || !strings.Contains(err.Error(), "bomb.gz: gzip: ") || n != 1 {
		t.Errorf("4 MiB of newlines in %d bytes of gzip: %d records, %v; want the first record, then ErrDecompressionBomb naming the file", len(newlines), n, err)
	}

	maxGzipBytes = 1 << 20
	rng := rand.New(rand.NewSource(1))
	var text bytes.Buffer
	for text.Len() < 2<<20 {
		fmt.Fprintf(&text, "line %x\n", rng.Uint64())
	}
	if _, err := read("big.gz", gz(text.Bytes())); !errors.Is(err, ErrDecompressionBomb) || !strings.Contains(err.Error(), "big.gz: gzip: it decompresses to more than 1048576 bytes") {
		t.Errorf("2 MiB past a 1 MiB bound: %v", err)
	}

	maxGzipBytes = 64 << 30
	real, err := os.ReadFile("../../testdata/exports/tail.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := read("tail.txt.gz", real); err != nil || n == 0 {
		t.Errorf("a real gzip export: %d records, %v", n, err)
	}
}
