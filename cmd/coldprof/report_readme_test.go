package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeOutput reruns every command pasted in README.md as
// "$ go run ./cmd/coldprof report ARGS" (or "diff ARGS") at the top of a code
// block and
// checks the output shown below it: the whole output, or the sections it
// excerpts ("…" marks left-out sections; sections are separated by blank
// lines and known by their first line). When the bundled logs are
// regenerated, go test -run ReadmeOutput -update rewrites the blocks.
func TestReadmeOutput(t *testing.T) {
	t.Chdir("../..") // the README's commands run from the repository's root
	const readmePath = "README.md"
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(readme), "\n")
	var out strings.Builder
	checked := 0
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		// Only report and diff: they read files and print; other commands run processes.
		const prompt = "$ go run ./cmd/coldprof "
		if strings.TrimSpace(lines[i]) != "```" || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], prompt) {
			continue
		}
		args := shellFields(strings.TrimPrefix(lines[i+1], prompt))
		if len(args) == 0 || args[0] != "report" && args[0] != "diff" {
			continue
		}
		// A command block: the prompt line, then output up to the fence.
		i++
		out.WriteString(lines[i])
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		shown := strings.Join(lines[i+1:end], "")
		var stdout, stderr bytes.Buffer
		run(strings.NewReader(""), &stdout, &stderr, args)
		want := excerpt(shown, stdout.String())
		if shown != want {
			if !*update {
				t.Errorf("README.md block %q is not what the command prints now (go test -run ReadmeOutput -update rewrites it):\n%s",
					strings.TrimSpace(lines[i]), cmp.Diff(shown, want))
			}
			shown = want
		}
		out.WriteString(shown)
		checked++
		i = end - 1
	}
	if checked == 0 {
		t.Errorf("README.md shows no coldprof report command with its output; its first command should have one")
	}
	if *update && out.String() != string(readme) {
		if err := os.WriteFile(readmePath, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// shellFields splits a pasted command line into arguments the way a shell
// does for the simple quoting the README uses: single quotes group and are removed.
func shellFields(line string) []string {
	var args []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range strings.TrimSpace(line) {
		switch {
		case r == '\'':
			quoted = !quoted
			inWord = true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args
}

// excerpt returns what a README block showing shown should hold, taken from
// the command's full output: all of it when shown leaves nothing out, else
// as many sections as shown, from the one whose first line starts what is
// shown, with "…" where sections are left out before or after them.
func excerpt(shown, output string) string {
	lead := strings.HasPrefix(shown, "…\n")
	trail := strings.HasSuffix(shown, "\n…\n")
	if !lead && !trail {
		return output
	}
	body := strings.TrimSuffix(strings.TrimPrefix(shown, "…\n"), "…\n")
	shownSecs := strings.Split(strings.TrimRight(body, "\n"), "\n\n")
	firstTitle, _, _ := strings.Cut(shownSecs[0], "\n")
	outSecs := strings.Split(strings.TrimRight(output, "\n"), "\n\n")
	var keep []string
	for j, sec := range outSecs {
		if title, _, _ := strings.Cut(sec, "\n"); title == firstTitle {
			keep = outSecs[j:min(j+len(shownSecs), len(outSecs))]
			break
		}
	}
	var b strings.Builder
	if lead {
		b.WriteString("…\n")
	}
	b.WriteString(strings.Join(keep, "\n\n"))
	b.WriteString("\n")
	if trail {
		b.WriteString("…\n")
	}
	return b.String()
}
