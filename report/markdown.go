package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// markdownRenderer lays sections out as GitHub-flavoured Markdown for a
// pull-request comment: headings, bullet facts, pipe tables with numbers
// right-aligned, and the tree as a fenced block inside <details>, since
// Markdown tables collapse the indentation a tree needs.
type markdownRenderer struct{}

func (markdownRenderer) render(w io.Writer, sections []section) error {
	var b strings.Builder
	for i, s := range sections {
		if i > 0 {
			b.WriteByte('\n')
		}
		s = humanSection(s)
		fmt.Fprintf(&b, "%s %s\n", strings.Repeat("#", s.level+2), mdEscape(s.title))
		if len(s.facts) > 0 {
			b.WriteByte('\n')
		}
		for _, f := range s.facts {
			fmt.Fprintf(&b, "- **%s:** %s\n", mdEscape(f.label), mdEscape(f.value))
		}
		if len(s.notes) > 0 {
			b.WriteByte('\n')
			b.WriteString(mdEscape(strings.Join(s.notes, " ")))
			b.WriteByte('\n')
		}
		if len(s.items) > 0 {
			b.WriteByte('\n')
		}
		for i, it := range s.items {
			fmt.Fprintf(&b, "%d. %s\n", i+1, mdEscape(it.head))
			for _, d := range it.details {
				fmt.Fprintf(&b, "   - **%s:** %s\n", mdEscape(d.label), mdEscape(d.value))
			}
		}
		if s.grid == nil {
			continue
		}
		b.WriteByte('\n')
		switch {
		case len(s.grid.rows) == 0:
			b.WriteString("(none)\n")
		case s.grid.tree:
			writeMarkdownTree(&b, s.grid)
		default:
			writeMarkdownTable(&b, s.grid)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownTable(b *strings.Builder, g *grid) {
	cells := make([]string, len(g.header))
	for i, h := range g.header {
		cells[i] = mdEscape(h)
	}
	fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	for i := range g.header {
		cells[i] = "---"
		if g.right[i] {
			cells[i] = "---:"
		}
	}
	fmt.Fprintf(b, "|%s|\n", strings.Join(cells, "|"))
	for _, r := range g.rows {
		for i, c := range r {
			cells[i] = mdEscape(c)
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
}

// writeMarkdownTree writes the grid as aligned plain text in a fenced
// block folded under <details>, so a long tree does not swamp a comment.
func writeMarkdownTree(b *strings.Builder, g *grid) {
	widths := make([]int, len(g.header))
	for i, h := range g.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range g.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			c = strings.ReplaceAll(c, "`", "'") // a name must not close the fence
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if g.right[i] {
				parts[i] = pad + c
			} else {
				parts[i] = c + pad
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "<details><summary>%d rows</summary>\n\n```\n", len(g.rows))
	line(g.header)
	for _, r := range g.rows {
		line(r)
	}
	b.WriteString("```\n\n</details>\n")
}

// mdReplacer escapes what would break a table cell or start markup: a
// backslash first (else "pipe\|x" would escape the backslash and let the
// pipe add a column), pipes, emphasis, code, HTML, and the "](" and "!["
// of links and images (so "![i](https://…)" is text, not a remote image in
// a pull-request comment; a stream name's "[$LATEST]" stays as it is).
var mdReplacer = strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "](", `\](`, "![", `\![`, "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }
