package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coldprof/coldprof/profile"
)

// hostileNames are module names a log can carry: terminal escapes (window
// title, clear screen, BEL, CR), a Markdown image and a pipe with a
// backslash before it, a right-to-left override, a byte that is not UTF-8,
// and a name of 2 MB.
var hostileNames = []string{
	"\x1b]0;pwned\x07title", "\x1b[2J\x1b[Hclear", "a\rb", "![i](https://evil.example/t.png)",
	`pipe\|x`, "\u202egnp.exe", "bad\xffbyte", "c1\u009b31m", strings.Repeat("n", 2<<20),
}

func hostileColdStart(id string) *profile.ColdStart {
	cs := &profile.ColdStart{ID: id, Runtime: "python3.12", Handler: "app.\x1b[31mhandler", Source: "in\x1b[0m.log", Line: 1,
		Format: profile.FormatPythonImporttime, Boundary: profile.BoundaryExact}
	for i, name := range hostileNames {
		cs.Imports = append(cs.Imports, &profile.Import{Name: name, SelfUs: int64(1000 * (i + 1)), CumulativeUs: int64(1000 * (i + 1)), Phase: profile.PhaseInit})
	}
	return cs
}

// checkHuman checks one human-format output: no control byte but newline
// reaches it, no C1 control or bidi override, only UTF-8, the 2 MB name is
// shortened, and Markdown shows no image, link or extra column.
func checkHuman(t *testing.T, what string, out []byte, markdown bool) {
	t.Helper()
	for i, c := range out {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Errorf("%s: control byte %#x at %d: %q", what, c, i, out[max(0, i-20):min(len(out), i+20)])
			break
		}
	}
	if !utf8.Valid(out) {
		t.Errorf("%s: not UTF-8", what)
	}
	for _, r := range string(out) {
		if isC1OrBidi(r) {
			t.Errorf("%s: %U reached the output", what, r)
			break
		}
	}
	if len(out) > 200<<10 {
		t.Errorf("%s: %d bytes of output: a 2 MB name was not shortened", what, len(out))
	}
	visible := `\x1b[2J`
	if markdown {
		visible = `\\x1b[2J` // the backslash is escaped in turn
	}
	if !bytes.Contains(out, []byte(visible)) {
		t.Errorf("%s: the escape is not shown visibly as %s", what, visible)
	}
	if markdown {
		// Outside fenced blocks (where Markdown is not rendered), no image
		// or link syntax survives unescaped.
		inFence := false
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "```") {
				inFence = !inFence
			}
			if !inFence && (strings.Contains(line, "![i](") || strings.Contains(strings.ReplaceAll(line, `\](`, ""), "](")) {
				t.Errorf("%s: image or link syntax survived: %q", what, line[:min(len(line), 100)])
			}
		}
		if !bytes.Contains(out, []byte(`pipe\\\|x`)) {
			t.Errorf("%s: pipe\\|x is not escaped as pipe\\\\\\|x", what)
		}
		// Every table row has as many unescaped pipes as its header.
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "pipe") && strings.HasPrefix(line, "|") {
				if n := strings.Count(strings.ReplaceAll(line, `\\`, ""), "|") - strings.Count(strings.ReplaceAll(line, `\\`, ""), `\|`); n != strings.Count(line[:0]+headerOf(out, line), "|") {
					t.Errorf("%s: row %q has %d columns' pipes, header %q", what, line[:min(len(line), 80)], n, headerOf(out, line))
				}
			}
		}
	}
}

// headerOf returns the header line of the Markdown table that holds line.
func headerOf(out []byte, line string) string {
	lines := strings.Split(string(out), "\n")
	header := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "|---") {
			if header == "" {
				header = l
			}
		} else if !strings.HasPrefix(l, "|") {
			header = ""
		}
		if l == line {
			return header
		}
	}
	return ""
}

func TestHumanFormatsEscapeHostileNames(t *testing.T) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{hostileColdStart("stream\x1b]0;x\x07"), hostileColdStart("second")}}
	for _, format := range []Format{FormatTable, FormatMarkdown} {
		var b bytes.Buffer
		if err := Write(&b, ProfileSource(p), Options{Format: format, Tree: true}); err != nil {
			t.Fatal(err)
		}
		checkHuman(t, string(format), b.Bytes(), format == FormatMarkdown)
	}

	before, after := NewDiffSide("before"), NewDiffSide("after")
	before.Add(hostileColdStart("b"))
	cs := hostileColdStart("a")
	for _, imp := range cs.Imports {
		imp.CumulativeUs *= 3
	}
	after.Add(cs)
	for _, format := range []Format{FormatTable, FormatMarkdown} {
		var b bytes.Buffer
		if err := WriteDiff(&b, Compare(before, after), format, DiffOptions{Top: 50}); err != nil {
			t.Fatal(err)
		}
		checkHuman(t, "diff "+string(format), b.Bytes(), format == FormatMarkdown)
	}
}

// TestJSONKeepsHostileNames checks that JSON is not shortened or escaped
// beyond JSON's own escaping: every name decodes back byte for byte
// (except the byte that is not UTF-8, which encoding/json replaces).
func TestJSONKeepsHostileNames(t *testing.T) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{hostileColdStart("s")}}
	var b bytes.Buffer
	if err := Write(&b, ProfileSource(p), Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var got JSONReport
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, imp := range got.ColdStarts[0].Imports {
		names[imp.Name] = true
	}
	for _, want := range hostileNames {
		if !utf8.ValidString(want) {
			continue
		}
		if !names[want] {
			t.Errorf("JSON lost or changed %q", want[:min(len(want), 40)])
		}
	}
	if got.ColdStarts[0].Handler == nil || *got.ColdStarts[0].Handler != "app.\x1b[31mhandler" {
		t.Errorf("handler %v", got.ColdStarts[0].Handler)
	}
}

func TestTerminalSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain.name":    "plain.name",
		"grüß":          "grüß",
		"\x1b[2J":       `\x1b[2J`,
		"a\r\nb\tc\x7f": `a\x0d\x0ab\x09c\x7f`,
		"\u009b1m":      `\u009b1m`,
		"x\u202ey":      `x\u202ey`,
		"\xff\xfe":      `\xff\xfe`,
		"日本\x07":        `日本\x07`,
	} {
		if got := TerminalSafe(in); got != want {
			t.Errorf("TerminalSafe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := terminalSafeText("a\nb\x1b"); got != "a\nb\\x1b" {
		t.Errorf("terminalSafeText kept %q", got)
	}
	if got := Shorten(strings.Repeat("é", 300), 10); got != strings.Repeat("é", 10)+"… (600 bytes)" {
		t.Errorf("Shorten = %q", got)
	}
	if got := humanCell("    " + strings.Repeat("m", 300)); !strings.HasPrefix(got, "    mmm") || utf8.RuneCountInString(got) > 4+maxNameRunes+20 {
		t.Errorf("humanCell = %q", got)
	}
}

// TestInterpreterNotMeasured: the Node.js and Ruby hooks start inside a
// running interpreter, so its start-up is "not measured", not 0 ms; Python
// still shows its interpreter phase. For one cold start and an aggregate.
func TestInterpreterNotMeasured(t *testing.T) {
	coldStart := func(id string, f profile.Format) *profile.ColdStart {
		return &profile.ColdStart{ID: id, Format: f, Imports: []*profile.Import{{Name: "m", SelfUs: 5000, CumulativeUs: 5000, Phase: profile.PhaseInit}}}
	}
	for _, f := range []profile.Format{profile.FormatNodeRequire, profile.FormatRubyRequire, profile.FormatPythonImporttime} {
		for _, n := range []int{1, 3} {
			p := &profile.Profile{}
			for i := range n {
				p.ColdStarts = append(p.ColdStarts, coldStart(string(rune('a'+i)), f))
			}
			for _, format := range []Format{FormatTable, FormatMarkdown} {
				var b bytes.Buffer
				if err := Write(&b, ProfileSource(p), Options{Format: format}); err != nil {
					t.Fatal(err)
				}
				var row string
				for _, line := range strings.Split(b.String(), "\n") {
					if strings.HasPrefix(strings.TrimLeft(line, "| "), "interpreter") {
						row = line
						break
					}
				}
				wantNot := f != profile.FormatPythonImporttime
				if strings.Contains(row, "not measured") != wantNot || strings.Contains(row, "0.00 ms") == wantNot {
					t.Errorf("%s, %d cold starts, %s: interpreter row %q; want not measured = %v", f, n, format, row, wantNot)
				}
			}
		}
	}
}
