package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// tableRenderer lays sections out as text for a terminal: titles, facts as
// aligned "label: value" lines, and grids drawn by tablewriter.
type tableRenderer struct{}

func (tableRenderer) render(w io.Writer, sections []section) error {
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		s = humanSection(s)
		if s.level == 1 {
			fmt.Fprintf(w, "%s\n%s\n", s.title, strings.Repeat("=", len([]rune(s.title))))
		} else {
			fmt.Fprintf(w, "%s\n", s.title)
		}
		width := 0
		for _, f := range s.facts {
			width = max(width, len(f.label))
		}
		indent := strings.Repeat(" ", width+5)
		for _, f := range s.facts {
			fmt.Fprintf(w, "  %-*s  %s\n", width+1, f.label+":", wrap(f.value, lineWidth-len(indent), indent))
		}
		for _, n := range s.notes {
			fmt.Fprintf(w, "%s\n", n)
		}
		for i, it := range s.items {
			num := fmt.Sprintf("%2d. ", i+1)
			fmt.Fprintf(w, "%s%s\n", num, wrap(it.head, lineWidth-len(num), strings.Repeat(" ", len(num))))
			in := strings.Repeat(" ", len(num))
			for _, d := range it.details {
				label := in + d.label + ": "
				fmt.Fprintf(w, "%s%s\n", label, wrap(d.value, lineWidth-len(label), strings.Repeat(" ", len(label))))
			}
		}
		if s.grid != nil {
			if err := renderGrid(w, s.grid); err != nil {
				return err
			}
		}
	}
	return nil
}

// lineWidth is where the text around the tables wraps.
const lineWidth = 100

// wrap breaks text at spaces into lines of at most width runes (a longer
// word stays whole), starting every line after the first with indent.
// wrap("a b", 80, "") == "a b"; it never breaks inside "1.00 ms" or "5 %".
func wrap(text string, width int, indent string) string {
	// Keep a number with its unit: "345.70 ms" must not break.
	var words []string
	for _, w := range strings.Fields(text) {
		if len(words) > 0 && (w == "ms" || w == "ms)" || w == "ms;" || w == "ms," || strings.HasPrefix(w, "%")) {
			words[len(words)-1] += " " + w
			continue
		}
		words = append(words, w)
	}
	var b strings.Builder
	n := 0
	for i, word := range words {
		wl := len([]rune(word))
		switch {
		case i == 0:
		case n+1+wl > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += wl
	}
	return b.String()
}

// renderGrid draws one grid with ASCII borders, so the output survives any
// terminal and log viewer, numbers right-aligned, no wrapping or trimming
// (tree indentation is leading spaces): drawn here when every cell is
// printable ASCII (one byte, one column), by tablewriter otherwise.
func renderGrid(w io.Writer, g *grid) error {
	if len(g.rows) == 0 {
		_, err := fmt.Fprintln(w, "  (none)")
		return err
	}
	if plainGrid(g) {
		_, err := w.Write(appendPlainGrid(nil, g))
		return err
	}
	return renderTablewriter(w, g)
}

// plainGrid reports whether appendPlainGrid draws g as tablewriter would:
// every cell printable ASCII, every row as wide as the header.
// (tablewriter costs ~2 ms per table to set up, a 10,240-entry cache map,
// and ~2 ms to draw a small one: 3 % of coldprof report on 200 MB, most of
// it on a small log. TestPlainGridMatchesTablewriter compares the two.)
func plainGrid(g *grid) bool {
	if len(g.header) == 0 || len(g.right) != len(g.header) {
		return false
	}
	for _, r := range g.rows {
		if len(r) != len(g.header) {
			return false
		}
		for _, c := range r {
			if !printableASCII(c) {
				return false
			}
		}
	}
	for _, c := range g.header {
		if !printableASCII(c) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// appendPlainGrid appends g drawn as tablewriter's ASCII style draws it:
// a border, the header, a border, the rows, a border; each cell padded
// by one space on each side and aligned in its column's width.
func appendPlainGrid(b []byte, g *grid) []byte {
	widths := make([]int, len(g.header))
	for i, c := range g.header {
		widths[i] = len(c)
	}
	for _, r := range g.rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	border := func(b []byte) []byte {
		b = append(b, '+')
		for _, wd := range widths {
			for range wd + 2 {
				b = append(b, '-')
			}
			b = append(b, '+')
		}
		return append(b, '\n')
	}
	row := func(b []byte, cells []string) []byte {
		b = append(b, '|')
		for i, c := range cells {
			pad := widths[i] - len(c)
			b = append(b, ' ')
			if g.right[i] {
				b = appendSpaces(b, pad)
				b = append(b, c...)
			} else {
				b = append(b, c...)
				b = appendSpaces(b, pad)
			}
			b = append(b, ' ', '|')
		}
		return append(b, '\n')
	}
	b = border(b)
	b = row(b, g.header)
	b = border(b)
	for _, r := range g.rows {
		b = row(b, r)
	}
	return border(b)
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// renderTablewriter draws g with tablewriter (see renderGrid).
func renderTablewriter(w io.Writer, g *grid) error {
	aligns := make([]tw.Align, len(g.header))
	for i := range aligns {
		aligns[i] = tw.AlignLeft
		if g.right[i] {
			aligns[i] = tw.AlignRight
		}
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols: tw.NewSymbols(tw.StyleASCII),
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{PerColumn: aligns},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{PerColumn: aligns},
			},
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}),
	)
	t.Header(g.header)
	for _, r := range g.rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	return t.Render()
}
