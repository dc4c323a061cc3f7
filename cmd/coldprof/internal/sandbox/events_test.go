package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadEvents(t *testing.T) {
	dir := t.TempDir()
	b := filepath.Join(dir, "b.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(b, []byte(" {\"b\": 2}\n"), 0o644)
	os.WriteFile(bad, []byte("{not json"), 0o644)
	events, err := ReadEvents([]string{"-", b}, 3, strings.NewReader(`{"a": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(events[0]) + string(events[1]) + string(events[2]); got != `{"a": 1}{"b": 2}{"a": 1}` {
		t.Errorf("events %q: want the files in turn, repeated", got)
	}
	if events, err := ReadEvents(nil, 2, nil); err != nil || len(events) != 2 || string(events[1]) != "{}" {
		t.Errorf("no files: %q %v, want {} twice", events, err)
	}
	if _, err := ReadEvents([]string{bad}, 1, nil); err == nil || !strings.Contains(err.Error(), bad+": not valid JSON") {
		t.Errorf("bad JSON: %v", err)
	}
	if _, err := ReadEvents([]string{"-"}, 1, nil); err == nil {
		t.Error("stdin without stdin: no error")
	}
}
