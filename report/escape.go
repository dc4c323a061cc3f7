package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Names, handlers, stream names and request IDs come from the log, which
// anyone who can write to the function's output controls. The human
// formats (table, Markdown, diff) pass them through TerminalSafe, so an
// escape sequence in a module name cannot retitle or clear the reader's
// terminal, and through Shorten, so a 2 MB name does not become tens of MB
// of table. JSON keeps every byte (encoding/json escapes control bytes).

// TerminalSafe returns s with every byte a terminal would act on written
// visibly instead: C0 controls and DEL as \xNN (\n, \t and \r included:
// they would break a table row), C1 controls and the Unicode bidirectional
// overrides as \uNNNN, and bytes that are not UTF-8 as \xNN.
func TerminalSafe(s string) string { return escapeControls(s, false) }

// terminalSafeText is TerminalSafe for text laid out in lines (notes):
// newlines stay.
func terminalSafeText(s string) string { return escapeControls(s, true) }

func escapeControls(s string, keepNewlines bool) string {
	if !needsEscape(s, keepNewlines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isC1OrBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape is the fast path: most names are plain ASCII.
func needsEscape(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && !(c == '\n' && keepNewlines) || c == 0x7f {
			return true
		}
		if c >= 0x80 {
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 && !(r == '\n' && keepNewlines) || r == 0x7f || isC1OrBidi(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// isC1OrBidi reports the C1 controls (U+0080–U+009F; U+009B is CSI, as
// ESC [ is) and the characters that reorder text on screen.
func isC1OrBidi(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// maxNameRunes is how much of a name, cell or fact the human formats show;
// the JSON report keeps it whole.
const maxNameRunes = 256

// Shorten cuts s to max runes, ending it with "…" and how long it was, so
// a name built to flood a terminal is shown once, briefly.
func Shorten(s string, max int) string {
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := 0
	for n := 0; n < max; n++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// human is what every cell, title and fact of the table and Markdown
// formats goes through.
func human(s string) string { return TerminalSafe(Shorten(s, maxNameRunes)) }

// humanCell is human for a grid cell: a tree cell's indentation stays
// whole and only the name after it is shortened.
func humanCell(s string) string {
	name := strings.TrimLeft(s, " ")
	return s[:len(s)-len(name)] + human(name)
}

// humanSection returns s with every string passed through human (notes
// keep their newlines); the grid is copied, s's own is left alone.
func humanSection(s section) section {
	s.title = human(s.title)
	facts := make([]fact, len(s.facts))
	for i, f := range s.facts {
		facts[i] = fact{human(f.label), TerminalSafe(Shorten(f.value, 4*maxNameRunes))}
	}
	s.facts = facts
	notes := make([]string, len(s.notes))
	for i, n := range s.notes {
		notes[i] = terminalSafeText(Shorten(n, 16*maxNameRunes))
	}
	s.notes = notes
	if len(s.items) > 0 { // the findings: their text names modules and functions from the log
		items := make([]item, len(s.items))
		for i, it := range s.items {
			items[i] = item{head: TerminalSafe(Shorten(it.head, 4*maxNameRunes)), details: make([]fact, len(it.details))}
			for j, d := range it.details {
				items[i].details[j] = fact{human(d.label), TerminalSafe(Shorten(d.value, 8*maxNameRunes))}
			}
		}
		s.items = items
	}
	if s.grid != nil {
		g := *s.grid
		g.header = make([]string, len(s.grid.header))
		for i, h := range s.grid.header {
			g.header[i] = human(h)
		}
		g.rows = make([][]string, len(s.grid.rows))
		for i, r := range s.grid.rows {
			row := make([]string, len(r))
			for j, c := range r {
				row[j] = humanCell(c)
			}
			g.rows[i] = row
		}
		s.grid = &g
	}
	return s
}
