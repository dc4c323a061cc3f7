package reporting

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/report"
)

// TestReportProgress checks the progress line a terminal gets: redrawn in
// place, erased before a warning and at the end, never on stdout.
func TestReportProgress(t *testing.T) {
	var stderr bytes.Buffer
	const lambda, garbled = "../../testdata/report/lambda.log", "../../testdata/report/garbled.log"
	src := newFileSource([]string{lambda, garbled}, envelope.FormatAuto, strings.NewReader(""), &stderr)
	src.progress, src.progressEvery, src.progressTick = &stderr, 0, 0 // as on a terminal, every cold start
	var stdout bytes.Buffer
	if err := report.Write(&stdout, src, report.Options{Format: report.FormatTable}); err != nil {
		t.Fatal(err)
	}
	const erase = "\r\x1b[K"
	// The bytes read so far depend on how far decoding is ahead: one
	// figure, of the file's size.
	got := regexp.MustCompile(` \([0-9.]+ [KMG]?i?B of ([0-9.]+ [KMG]?i?B), [0-9]+ %\)`).ReplaceAllString(stderr.String(), " (N of $1)")
	lambdaSize, garbledSize := fileSize(t, lambda), fileSize(t, garbled)
	want := erase + "coldprof: 1 cold starts read, now in " + lambda + " (N of " + lambdaSize + ")" +
		erase + garbled + ":31: malformed python-importtime line: self time is not a number\n" +
		erase + "coldprof: 2 cold starts read, now in " + garbled + " (N of " + garbledSize + ")" + erase
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if strings.Contains(stdout.String(), "\x1b") {
		t.Errorf("progress leaked into stdout")
	}
}

func fileSize(t *testing.T, name string) string {
	t.Helper()
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return humanBytes(info.Size())
}
