package report

import (
	"io"

	"github.com/coldprof/coldprof/profile"
)

// The picture formats: files people open in a browser or a viewer. They
// need every cold start at once, so Write collects the source first.
const (
	// FormatHTML is one self-contained page with a flame graph (WriteHTML).
	FormatHTML Format = "html"
	// FormatSpeedscope is speedscope's evented JSON (WriteSpeedscope).
	FormatSpeedscope Format = "speedscope"
	// FormatTrace is Chrome trace-event JSON for Perfetto (WriteTrace).
	FormatTrace Format = "trace"
	// FormatFolded is folded stacks for flamegraph.pl, inferno, speedscope (WriteFolded).
	FormatFolded Format = "folded"
)

// writePicture collects src and renders it in one of the picture formats.
// With Options.Phase set, only that phase's imports are drawn.
func writePicture(w io.Writer, src Source, opts Options) error {
	p, err := Collect(src)
	if err != nil {
		return err
	}
	if opts.Format == FormatHTML {
		return writeHTML(w, p, opts.Phase, opts.Findings)
	}
	if opts.Phase != "" {
		p = onlyPhase(p, opts.Phase)
	}
	switch opts.Format {
	case FormatSpeedscope:
		return WriteSpeedscope(w, p)
	case FormatTrace:
		return WriteTrace(w, p)
	default:
		return WriteFolded(w, p)
	}
}

// onlyPhase returns a shallow copy of p whose cold starts keep only the
// top-level imports (with their subtrees) of phase.
func onlyPhase(p *profile.Profile, phase profile.Phase) *profile.Profile {
	out := &profile.Profile{Warnings: p.Warnings}
	for _, cs := range p.ColdStarts {
		c := *cs
		c.Imports = nil
		c.Samples = samplesOfPhase(cs.Samples, phase)
		for _, top := range cs.Imports {
			if top.Phase == phase {
				c.Imports = append(c.Imports, top)
			}
		}
		out.ColdStarts = append(out.ColdStarts, &c)
	}
	return out
}
