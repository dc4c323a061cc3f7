package envelope

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, d Decoder) []string {
	t.Helper()
	var got []string
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec.Text))
	}
}

func TestRawText(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the bufio buffer
	// Blank lines are skipped, a long run of them in bulk, and counted.
	in := "\xef\xbb\xbfimport time: a\r\nsecond\n\n" + long + "\n" + strings.Repeat("\n", 700<<10) + "last without newline"
	got := readAll(t, NewRawText(strings.NewReader(in)))
	want := []string{"import time: a", "second", long, "last without newline"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d := NewRawText(strings.NewReader(in))
	for range 4 {
		d.Next()
	}
	if want := 4 + 700<<10 + 1; d.lines.line != want {
		t.Errorf("the last line is line %d, want %d", d.lines.line, want)
	}
}

func TestRawTextCutsHugeLines(t *testing.T) {
	huge := strings.Repeat("y", MaxLineBytes+5000)
	d := NewRawText(strings.NewReader("a\n" + huge + "\nb\n"))
	got := readAll(t, d)
	if len(got) != 3 || got[0] != "a" || got[2] != "b" || len(got[1]) != MaxLineBytes {
		t.Fatalf("got %d records, middle %d bytes; want a, %d bytes, b", len(got), len(got[1]), MaxLineBytes)
	}
	if d.Cut != 1 {
		t.Errorf("Cut = %d, want 1", d.Cut)
	}
}
