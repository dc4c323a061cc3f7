package report

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// WriteFolded writes p as folded stacks, the input of flamegraph.pl, inferno
// and speedscope: one line "frame;frame;frame self_us" per distinct stack.
//
// The root frame is the phase ("[init]"), so a picture keeps the phases
// apart; with several cold starts a frame naming the cold start comes first.
// Folded stacks are an aggregate: stacks with the same names merge and their
// self times add up (the two json.decoder entries under json and under
// simplejson stay apart, but a module imported twice under the same parent
// becomes one line). Sibling order is lost; lines come out sorted so the
// output is stable. Stacks whose self time is 0 carry no weight and are left
// out. A ';' in a name would split the frame, so it becomes ':'; line breaks
// become spaces.
func WriteFolded(w io.Writer, p *profile.Profile) error {
	weights := map[string]int64{}
	var frames []string
	var walk func(imp *profile.Import)
	walk = func(imp *profile.Import) {
		frames = append(frames, foldedFrame(imp.Name))
		if imp.SelfUs > 0 {
			weights[strings.Join(frames, ";")] += imp.SelfUs
		}
		for _, c := range imp.Children {
			walk(c)
		}
		frames = frames[:len(frames)-1]
	}
	for _, cs := range p.ColdStarts {
		frames = frames[:0]
		if len(p.ColdStarts) > 1 {
			frames = append(frames, foldedFrame("cold start "+cs.ID))
		}
		base := len(frames)
		for _, top := range cs.Imports {
			frames = append(frames[:base], phaseFrameName(top.Phase))
			walk(top)
		}
		addFoldedSamples(weights, frames[:base], cs)
	}
	stacks := make([]string, 0, len(weights))
	for s := range weights {
		stacks = append(stacks, s)
	}
	sort.Strings(stacks)
	bw := bufio.NewWriter(w)
	for _, s := range stacks {
		bw.WriteString(s)
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatInt(weights[s], 10))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// foldedReplacer keeps a log's name from splitting a frame or a line.
var foldedReplacer = strings.NewReplacer(";", ":", "\n", " ", "\r", " ")

// foldedFrame makes a name safe as one frame of a folded line.
func foldedFrame(name string) string { return foldedReplacer.Replace(name) }
