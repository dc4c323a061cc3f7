package parsers

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// FuzzReader feeds arbitrary input through the whole Reader: it must never
// panic, every cold start must pass CheckValid, and there can be no more
// entries than lines.
func FuzzReader(f *testing.F) {
	for _, name := range []string{"lambda-3.7.log", "truncated.log", "cached-3.14.log", "threads-3.13.log", "rie-3.12.log"} {
		b, err := os.ReadFile(filepath.Join(pyData, name))
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds: the fuzzer minimises what it finds, slowly for big inputs.
		f.Add(firstLines(b, 30))
	}
	f.Add([]byte(itLines(header, "10 10 2 deep", "5 15 0 top", "=import time: 213 | 213 | a", "=import time: 5 | 218 | b")))
	f.Add([]byte("import time: cached    | cached     |                os\nJVM START\nLOAD a 1\n"))
	// Genuine 3.14 output (Pyodide) where cached look-ups wait across a phase change.
	genuine, err := os.ReadFile(filepath.Join(pyData, "pyodide-3.14-lambda-cached.log"))
	if err != nil {
		f.Fatal(err)
	}
	if at := bytes.Index(genuine, []byte(`"ev":"init_done"`)); at > 0 {
		from := bytes.LastIndex(genuine[:max(at-600, 0)], []byte("\n")) + 1
		f.Add(firstLines(genuine[from:], 40))
	} else {
		f.Fatal("no init_done in the genuine capture")
	}
	f.Add([]byte("START RequestId: a Version: 1\nREPORT RequestId: a\tInit Duration: 1 ms\tDuration: x ms\nINIT_START Runtime Version: :\n"))
	for _, name := range []string{"snapstart-restore.log", "rie-start-id-plain.log", "early-start.log"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "lifecycle", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(firstLines(b, 30))
	}
	f.Add([]byte("INIT_REPORT Init Duration: 1 ms\tPhase: init\tStatus: success\tInitialization Type: snap-start\nRESTORE_REPORT Restore Duration: x ms\nREPORT RequestId: \tRestore Duration: 1 ms Billed Restore Duration: -1 ms\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxOpenStreams: 2}
		p, err := ReadAll(bytes.NewReader(data), "fuzz", opts)
		if err != nil && p == nil {
			t.Fatalf("nil profile with %v", err)
		}
		if err := p.CheckValid(); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		entries := 0
		for _, cs := range p.ColdStarts {
			entries += countEntries(cs)
			if d := treeDepth(cs); d > maxDepth {
				t.Errorf("imports nest %d deep", d)
			}
			if cs.Line < 1 || cs.Line > lines {
				t.Errorf("cold start line %d outside 1..%d", cs.Line, lines)
			}
		}
		if entries > lines {
			t.Errorf("%d entries from %d lines", entries, lines)
		}
		for _, w := range p.Warnings {
			if !strings.HasPrefix(w.Where, "fuzz") {
				t.Errorf("warning without position: %v", w)
			}
		}
		// Recycling each cold start once it is read changes none of them.
		opts.Recycle = true
		opts.Warn = func(profile.Warning) {}
		r := NewReader(envelope.NewRawText(bytes.NewReader(data)), "fuzz", opts)
		for i := 0; ; i++ {
			cs, err := r.Next()
			if err != nil {
				break
			}
			if i >= len(p.ColdStarts) {
				t.Fatalf("more cold starts with recycling than %d", len(p.ColdStarts))
			}
			if got, want := mustJSON(t, cs), mustJSON(t, p.ColdStarts[i]); got != want {
				t.Fatalf("cold start %d differs with recycling:\n got %s\nwant %s", i, got, want)
			}
			r.Recycle(cs)
		}
	})
}

func firstLines(b []byte, n int) []byte {
	end := 0
	for i := 0; i < n && end < len(b); i++ {
		k := bytes.IndexByte(b[end:], '\n')
		if k < 0 {
			return b
		}
		end += k + 1
	}
	return b[:end]
}

// FuzzParseLoadFields checks the field parser's promises on any input.
func FuzzParseLoadFields(f *testing.F) {
	f.Add([]byte("       123 |       4567 |     json.decoder"))
	f.Add([]byte(" cached    | cached     | collections.abc"))
	f.Add([]byte(" -5 | 3 | x\r"))
	f.Add([]byte("  12345678 |   99999999 |   a.b \t"))
	f.Add([]byte("         0 |          0 | x"))
	f.Add([]byte("       1 2 |        145 |   _io"))
	f.Fuzz(func(t *testing.T, rest []byte) {
		fields, kind, problem := parseLoadFields(rest)
		var columns, scan loadFields
		if parseDataColumns(rest, &columns) && (!parseDataScan(rest, &scan) || !cmp.Equal(columns, scan, cmp.AllowUnexported(loadFields{}))) {
			t.Errorf("columns path %+v differs from the scan %+v", columns, scan)
		}
		if fast, ok := parseDataFast(rest); ok {
			slow, slowKind, _ := parseLoadFieldsSlow(rest)
			if slowKind != fieldsData || !cmp.Equal(fast, slow, cmp.AllowUnexported(loadFields{})) {
				t.Errorf("fast path %+v differs from the general parser %+v (%v)", fast, slow, slowKind)
			}
		}
		switch kind {
		case fieldsData:
			if len(fields.name) == 0 || problem != "" {
				t.Errorf("data with empty name or a problem: %+v %q", fields, problem)
			}
			if !fields.cached && (fields.self > fields.cumulative || fields.cumulative < 0) {
				t.Errorf("self %d > cumulative %d", fields.self, fields.cumulative)
			}
		case fieldsMalformed:
			if problem == "" {
				t.Error("malformed without a reason")
			}
		}
	})
}

// A genNode is a tree that renders itself as importtime lines.
type genNode struct {
	name     string
	self     int64
	children []*genNode
}

func (n *genNode) cumulative() int64 {
	sum := n.self
	for _, c := range n.children {
		sum += c.cumulative()
	}
	return sum
}

func randomTree(rng *rand.Rand, depth int, id *int) *genNode {
	*id++
	n := &genNode{name: fmt.Sprintf("m%d.sub", *id), self: 20 + rng.Int64N(5000)}
	if rng.IntN(40) == 0 {
		n.self = 10_000_000_000 + rng.Int64N(1000) // outgrows the columns
	}
	if depth < 6 {
		for range rng.IntN(4 - min(depth, 3)) {
			n.children = append(n.children, randomTree(rng, depth+1, id))
		}
	}
	return n
}

// render writes the tree in post-order as CPython prints it.
func (n *genNode) render(b *strings.Builder, level int, prefix string, collapsed bool) {
	for _, c := range n.children {
		c.render(b, level+1, prefix, collapsed)
	}
	if collapsed {
		fmt.Fprintf(b, "%simport time: %d | %d | %s\n", prefix, n.self, n.cumulative(), n.name)
		return
	}
	fmt.Fprintf(b, "%simport time: %9d | %10d | %*s%s\n", prefix, n.self, n.cumulative(), level*2, "", n.name)
}

func (n *genNode) dump(b *strings.Builder, depth int) {
	fmt.Fprintf(b, "%s%s %d/%d init\n", strings.Repeat("  ", depth+1), n.name, n.self, n.cumulative())
	for _, c := range n.children {
		c.dump(b, depth+1)
	}
}

// TestRandomTreesRoundTrip renders random trees the way CPython prints
// them, with the prefixes exports add, with CRLF and with collapsed spaces,
// and checks the parse gives the same trees back.
func TestRandomTreesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "2026-11-22T05:00:00.123456+00:00 2026/11/22/[$LATEST]abc ", "\t", "[INFO]\t2026-11-22T05:00:00.123Z\tr-1\t"}
	for i := range 200 {
		id := 0
		var roots []*genNode
		for range 1 + rng.IntN(5) {
			roots = append(roots, randomTree(rng, 0, &id))
		}
		var want strings.Builder
		for _, r := range roots {
			r.dump(&want, 0)
		}
		for _, collapsed := range []bool{false, true} {
			var in strings.Builder
			prefix := prefixes[i%len(prefixes)]
			for _, r := range roots {
				r.render(&in, 0, prefix, collapsed)
			}
			text := in.String()
			if i%3 == 0 {
				text = strings.ReplaceAll(text, "\n", "\r\n")
			}
			p, warnings, err := parse(t, text, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("tree %d collapsed=%v: warnings %v", i, collapsed, warnings)
			}
			if diff := cmp.Diff(want.String(), dumpImports(p.ColdStarts[0].Imports)); diff != "" {
				t.Fatalf("tree %d collapsed=%v (-want +got):\n%s\ninput:\n%s", i, collapsed, diff, text)
			}
		}
	}
}
