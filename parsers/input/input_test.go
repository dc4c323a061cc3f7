package input

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

const testdata = "../../cmd/coldprof/testdata/report/"

// readAll reads f to its end and returns the IDs of the cold starts.
func readAll(t *testing.T, f *Files) []string {
	t.Helper()
	var ids []string
	for {
		cs, err := f.Next()
		if err == io.EOF {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cs.ID)
	}
}

// Files reads every kind of input in order: a file, a gzip file, stdin and
// a directory, whose files are read in sorted order; an input that cannot
// be read is passed to Error and the rest are still read; warnings arrive
// on the caller's goroutine in input order.
func TestFilesReadsEveryInput(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.log", "a.log", ".hidden.log"} {
		data, err := os.ReadFile(testdata + "lambda.log")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdin, err := os.Open(testdata + "garbled.log")
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var errs []string
	var warned []profile.Warning
	var progress []Status
	f := &Files{
		Paths:    []string{testdata + "lambda.log", testdata + "missing.log", testdata + "lambda.log.gz", "-", dir, testdata + "noprofile.log"},
		Stdin:    stdin,
		Warn:     func(w profile.Warning) { warned = append(warned, w) },
		Error:    func(err error) { errs = append(errs, err.Error()) },
		Progress: func(s Status) { progress = append(progress, s) },
	}
	ids := readAll(t, f)
	if len(ids) != 5 {
		t.Errorf("read %d cold starts %q, want 5 (lambda.log, its gzip, stdin, two in the directory)", len(ids), ids)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "missing.log") || f.Failed() != 1 {
		t.Errorf("errors %q, Failed %d: want missing.log only", errs, f.Failed())
	}
	if empty := f.Empty(); len(empty) != 1 || empty[0].Name != testdata+"noprofile.log" || empty[0].Why == "" ||
		!strings.HasPrefix(empty[0].Error(), testdata+"noprofile.log: "+parsers.ErrNoProfile.Error()+": ") {
		t.Errorf("Empty = %+v", empty)
	}
	if len(warned) == 0 || !strings.HasPrefix(warned[0].Where, "stdin:") {
		t.Errorf("warnings %v: want the garbled stdin's, named stdin:LINE", warned)
	}
	if d := cmp.Diff(warned, f.Warnings()); d != "" {
		t.Errorf("Warnings() differs from what Warn got:\n%s", d)
	}
	wantInputs := []string{testdata + "lambda.log", testdata + "lambda.log.gz", "stdin", filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")}
	var gotInputs []string
	for i, s := range progress {
		if s.ColdStarts != i+1 {
			t.Errorf("progress %d counts %d cold starts", i, s.ColdStarts)
		}
		if s.Read <= 0 || s.Input != "stdin" && s.Read > s.Size {
			t.Errorf("progress %d: %d of %d bytes read", i, s.Read, s.Size)
		}
		gotInputs = append(gotInputs, s.Input)
	}
	if d := cmp.Diff(wantInputs, gotInputs); d != "" {
		t.Errorf("progress inputs (-want +got):\n%s", d)
	}
}

// Without an Error callback the first unreadable input ends the reading.
func TestFilesStopsWithoutErrorCallback(t *testing.T) {
	f := &Files{Paths: []string{testdata + "lambda.log", testdata + "missing.log", testdata + "lambda.log"}}
	defer f.Close()
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Next(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("second Next: %v, want the missing file's error", err)
	}
	f = &Files{Paths: []string{"-"}}
	if _, err := f.Next(); err == nil || !strings.Contains(err.Error(), "no standard input") {
		t.Errorf("stdin without Stdin: %v", err)
	}
}

// A caller may stop early: Close ends the goroutines of the open input.
func TestFilesCloseEarly(t *testing.T) {
	f := &Files{Paths: []string{testdata + "lambda.log", testdata + "lambda.log"}, Error: func(error) {}}
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f.Close()
}

// endlessReader serves prefix, then lines without a cold start for ever.
type endlessReader struct {
	prefix []byte
	reads  atomic.Int64
}

func (e *endlessReader) Read(p []byte) (int, error) {
	e.reads.Add(1)
	if len(e.prefix) > 0 {
		n := copy(p, e.prefix)
		e.prefix = e.prefix[n:]
		return n, nil
	}
	const noise = "not a profile line\n"
	n := 0
	for n+len(noise) <= len(p) {
		n += copy(p[n:], noise)
	}
	return n, nil
}

// Close stops reading an input that has no cold start left, even one that
// cannot be closed (stdin): decoding and parsing share a goroutine, which
// checks for Close before each record.
func TestFilesCloseStopsReadingStdin(t *testing.T) {
	log, err := os.ReadFile(testdata + "lambda.log")
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	stdin := &endlessReader{prefix: append(append([]byte(nil), log...), log...)}
	f := &Files{Paths: []string{"-"}, Stdin: stdin}
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A hang guard, not a timing: the goroutine ends within a record.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still reading stdin after Close: %d reads", stdin.reads.Load())
		}
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	if _, err := Expand([]string{dir}); !errors.Is(err, ErrEmptyDir) {
		t.Errorf("empty directory: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "z.log"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "y.log"), nil, 0o644)
	got, err := Expand([]string{"-", "nope", dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-", "nope", filepath.Join(dir, "sub", "z.log"), filepath.Join(dir, "y.log")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Expand (-want +got):\n%s", d)
	}
}

// Open reads a file, its gzip and stdin alike.
func TestOpen(t *testing.T) {
	want, err := os.ReadFile(testdata + "lambda.log")
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(testdata + "lambda.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	for _, path := range []string{testdata + "lambda.log", testdata + "lambda.log.gz", "-"} {
		r, close, err := Open(path, stdin)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got, err := io.ReadAll(r)
		close()
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: %d bytes, %v; want lambda.log's %d", path, len(got), err, len(want))
		}
	}
	if _, _, err := Open(testdata+"missing.log", nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Open("-", nil); err == nil {
		t.Error("stdin without Stdin: no error")
	}
}
