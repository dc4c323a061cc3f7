package report

import (
	"io"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// BenchmarkPictures renders one cold start of 10,000 imports in each
// picture format (figures in assets/README.md).
func BenchmarkPictures(b *testing.B) {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{bigColdStart(10000)}}
	for _, f := range []struct {
		name  string
		write func(io.Writer, *profile.Profile) error
	}{
		{"html", WriteHTML}, {"speedscope", WriteSpeedscope}, {"trace", WriteTrace}, {"folded", WriteFolded},
	} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f.write(io.Discard, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDiff compares two sides of 20 cold starts of 10,000 imports.
func BenchmarkDiff(b *testing.B) {
	before, after := NewDiffSide("before"), NewDiffSide("after")
	for range 20 {
		before.Add(bigColdStart(10000))
		after.Add(bigColdStart(10000))
	}
	b.ReportAllocs()
	for b.Loop() {
		Compare(before, after)
	}
}
