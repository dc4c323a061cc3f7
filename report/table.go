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
		if s.level == 1 {
			fmt.Fprintf(w, "%s\n%s\n", s.title, strings.Repeat("=", len([]rune(s.title))))
		} else {
			fmt.Fprintf(w, "%s\n", s.title)
		}
		width := 0
		for _, f := range s.facts {
			width = max(width, len(f.label))
		}
		for _, f := range s.facts {
			fmt.Fprintf(w, "  %-*s  %s\n", width+1, f.label+":", f.value)
		}
		for _, n := range s.notes {
			fmt.Fprintf(w, "%s\n", n)
		}
		if s.grid != nil {
			if err := renderGrid(w, s.grid); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderGrid draws one grid with tablewriter: ASCII borders so the output
// survives any terminal and log viewer, numbers right-aligned, no wrapping
// or trimming (tree indentation is leading spaces).
func renderGrid(w io.Writer, g *grid) error {
	if len(g.rows) == 0 {
		_, err := fmt.Fprintln(w, "  (none)")
		return err
	}
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
