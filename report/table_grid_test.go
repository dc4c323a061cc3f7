package report

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPlainGridMatchesTablewriter draws random grids of printable ASCII
// (empty cells, cells of spaces, leading and trailing spaces, the border
// characters themselves, headers narrower and wider than their columns)
// with appendPlainGrid and with tablewriter, and wants the same bytes.
func TestPlainGridMatchesTablewriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 18))
	const alphabet = " |+-.:%#abcXYZ019_~\"'\\"
	cell := func() string {
		var b strings.Builder
		n := rng.IntN(14)
		if rng.IntN(8) == 0 {
			n = 40 + rng.IntN(60)
		}
		for range n {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 500 {
		cols := 1 + rng.IntN(6)
		g := &grid{header: make([]string, cols), right: make([]bool, cols)}
		for c := range cols {
			g.header[c] = strings.ToUpper(cell())
			g.right[c] = rng.IntN(2) == 0
		}
		for range 1 + rng.IntN(12) {
			r := make([]string, cols)
			for c := range r {
				r[c] = cell()
			}
			g.rows = append(g.rows, r)
		}
		if !plainGrid(g) {
			t.Fatalf("grid %d: not plain", i)
		}
		var want bytes.Buffer
		if err := renderTablewriter(&want, g); err != nil {
			t.Fatal(err)
		}
		if got := appendPlainGrid(nil, g); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("grid %d %q %q:\ngot\n%s\nwant (tablewriter)\n%s", i, g.header, g.rows, got, want.Bytes())
		}
	}
}

// TestPlainGridDeclines checks that grids appendPlainGrid cannot draw as
// tablewriter does go to tablewriter.
func TestPlainGridDeclines(t *testing.T) {
	for _, g := range []*grid{
		{header: []string{"NAME"}, right: []bool{false}, rows: [][]string{{"café"}}},
		{header: []string{"NAME"}, right: []bool{false}, rows: [][]string{{"a\tb"}}},
		{header: []string{"NAME"}, right: []bool{false}, rows: [][]string{{"a\nb"}}},
		{header: []string{"NAME", "MS"}, right: []bool{false, true}, rows: [][]string{{"a"}}},
		{header: []string{"名前"}, right: []bool{false}, rows: [][]string{{"a"}}},
	} {
		if plainGrid(g) {
			t.Errorf("%q %q: taken as plain", g.header, g.rows)
		}
	}
}
