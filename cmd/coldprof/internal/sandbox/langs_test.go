package sandbox

import (
	"context"
	"os/exec"
	"testing"
)

func TestLangFamily(t *testing.T) {
	for in, want := range map[string]string{
		"nodejs": "nodejs", "nodejs20.x": "nodejs", "nodejs22.x": "nodejs", "java": "java", "java17": "java",
		"java8.al2": "", "ruby": "ruby", "ruby3.3": "ruby", "python3": "", "node": "", "javascript": "", "rubyx": "",
	} {
		got, ok := langFamily(in)
		if got != want || ok != (want != "") {
			t.Errorf("langFamily(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestProbeLang(t *testing.T) {
	fullTier(t)
	for family, tool := range map[string]string{"nodejs": "node", "java": "java", "ruby": "ruby"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Logf("%s is not installed", tool)
			continue
		}
		label, err := probeLang(context.Background(), family, path)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := langFamily(label); !ok || got != family || label == family {
			t.Errorf("%s: label %q", tool, label)
		}
	}
}
