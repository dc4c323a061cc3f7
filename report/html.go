package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// The page is written by us and kept small: no framework, no network.
var (
	//go:embed assets/flame.html
	flameHTML string
	//go:embed assets/flame.css
	flameCSS string
	//go:embed assets/flame.js
	flameJS string
)

// htmlHotSpots is how many merged hot-spot rows the page's table gets per
// cold start (and for the medians); the chart itself shows every node.
const htmlHotSpots = 500

// htmlData is what the page's script reads from its JSON block. Nodes are
// flat arrays to keep a 10,000-node page small; the script names the fields.
type htmlData struct {
	Generator   string          `json:"generator"`
	Note        string          `json:"note"`
	InitLimitUs int64           `json:"initLimitUs"`
	Phases      []profile.Phase `json:"phases"`
	ColdStarts  []htmlColdStart `json:"coldStarts"`
	// Omitted is how many cold starts have no chart of their own (see
	// htmlMaxColdStarts); the aggregate still counts them.
	Omitted   int               `json:"omitted"`
	Aggregate *htmlAggregate    `json:"aggregate"`
	Warnings  []profile.Warning `json:"warnings"`
}

type htmlColdStart struct {
	ID             string   `json:"id"`
	Runtime        string   `json:"runtime"`
	Handler        string   `json:"handler"`
	Format         string   `json:"format"`
	Boundary       string   `json:"boundary"`
	InitDurationMs *float64 `json:"initDurationMs"`
	// Kind is report.KindOf's; InitLimitUs and InitLimit are the limit
	// tooltips take percentages of and its name (see lifecycle.go).
	Kind        string `json:"kind"`
	InitLimitUs int64  `json:"initLimitUs"`
	InitLimit   string `json:"initLimit"`
	Truncated   bool   `json:"truncated"`
	TotalUs     int64  `json:"totalUs"`
	Imports     int    `json:"imports"`
	// Phases are [phase index, µs, count] in phase order.
	Phases [][3]int64 `json:"phases"`
	// Strings holds every name, request ID and origin once; nodes point into it.
	Strings []string `json:"strings"`
	// Nodes are [name, parent, depth, start, dur, self, cumulative, phase,
	// requestId, origin] in pre-order; string fields index Strings (-1: none),
	// phase indexes Phases, parent is -1 for a phase frame (depth 0).
	Nodes [][10]int64 `json:"nodes"`
	// HotSpots are [name, phase, self, cumulative, count], merged by name
	// and phase (report.Analyze), largest self time first.
	HotSpots [][5]any `json:"hotSpots"`
	// Findings are the cold start's ranked findings, as in the JSON report.
	Findings []Finding `json:"findings"`
	// Sampled is where init went and the sampled flame graph; null without samples.
	Sampled *htmlSampled `json:"sampled"`
}

// htmlAggregate is the medians across cold starts, shown when there are several.
type htmlAggregate struct {
	ColdStarts int `json:"coldStarts"`
	// Phases are [phase, median µs, p90 µs, cold starts with entries].
	Phases [][4]any `json:"phases"`
	// Modules are [name, phase, cold starts, median self, median cumulative, p90 cumulative].
	Modules [][6]any `json:"modules"`
}

// WriteHTML writes p as one self-contained page (no network; its script and
// style are inline): an icicle chart of each cold start's import forest on
// the reconstructed timeline, coloured by phase, with zoom, search,
// tooltips and a sortable hot-spot table; with several cold starts, a
// picker and the medians across them.
//
// Names from logs are untrusted: they reach the page only inside a JSON
// block whose '<', '>', '&', U+2028 and U+2029 are escaped, and the script
// only ever sets them as text.
func WriteHTML(w io.Writer, p *profile.Profile) error {
	return writeHTML(w, p, "", FindingOptions{})
}

// writeHTML is WriteHTML with --phase and the findings' options (--arch,
// --price). As in text and JSON, phase limits the charts, the hot spots and
// the medians, not the findings or where init went: those are about the
// whole cold start.
func writeHTML(w io.Writer, p *profile.Profile, phase profile.Phase, fopts FindingOptions) error {
	data := htmlData{
		Generator:   "coldprof",
		Note:        timelineNote,
		InitLimitUs: InitLimitUs,
		Phases:      profile.Phases,
		ColdStarts:  []htmlColdStart{},
		Warnings:    p.Warnings,
	}
	if data.Warnings == nil {
		data.Warnings = []profile.Warning{}
	}
	shown := p
	if phase != "" {
		shown = onlyPhase(p, phase)
	}
	var agg *Aggregate
	if len(shown.ColdStarts) > 1 {
		agg = NewAggregate(Options{})
	}
	for _, cs := range shown.ColdStarts {
		if agg != nil {
			agg.Add(cs)
		}
	}
	charted := slowestColdStarts(shown.ColdStarts, htmlMaxColdStarts)
	data.Omitted = len(shown.ColdStarts) - len(charted)
	for _, i := range charted {
		data.ColdStarts = append(data.ColdStarts, htmlColdStartOf(p.ColdStarts[i], shown.ColdStarts[i], phase, fopts))
	}
	if agg != nil {
		data.Aggregate = htmlAggregateOf(agg)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(true) // '<', '>', '&' as \u003c…; U+2028/2029 are always escaped
	if err := enc.Encode(data); err != nil {
		return err
	}
	page := strings.NewReplacer(
		"/*COLDPROF_CSS*/", flameCSS,
		"/*COLDPROF_JS*/", flameJS,
		"COLDPROF_DATA", strings.TrimSuffix(js.String(), "\n"),
	).Replace(flameHTML)
	_, err := io.WriteString(w, page)
	return err
}

// htmlMaxColdStarts bounds the page: an hour of logs can hold hundreds of
// cold starts, and a chart each would make a page of tens of megabytes.
// Beyond it the page charts the slowest and the medians cover all.
const htmlMaxColdStarts = 20

// slowestColdStarts returns the indexes in all of at most n cold starts,
// the slowest by total import time, in their input order.
func slowestColdStarts(all []*profile.ColdStart, n int) []int {
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	if len(all) <= n {
		return idx
	}
	sort.SliceStable(idx, func(a, b int) bool { return all[idx[a]].TotalUs() > all[idx[b]].TotalUs() })
	idx = idx[:n]
	sort.Ints(idx)
	return idx
}

// htmlColdStartOf is the page's data of cs: shown (cs limited to phase)
// for the chart and the hot spots, cs for the findings and where init went.
func htmlColdStartOf(cs, shown *profile.ColdStart, phase profile.Phase, fopts FindingOptions) htmlColdStart {
	out := htmlColdStart{
		ID: cs.ID, Runtime: cs.Runtime, Handler: cs.Handler, Format: string(cs.Format),
		Boundary: string(cs.Boundary), Truncated: cs.Truncated, TotalUs: shown.TotalUs(),
		Strings: []string{}, Nodes: [][10]int64{}, HotSpots: [][5]any{},
	}
	if cs.HasInitDuration {
		d := cs.InitDurationMs
		out.InitDurationMs = &d
	}
	kind := KindOf(cs)
	out.Kind, out.InitLimitUs = string(kind), InitLimitUsOf(cs)
	switch kind {
	case KindOnDemand:
		out.InitLimit = "Lambda’s 10 s on-demand init limit"
	case KindRestore:
		out.InitLimit = "SnapStart’s 10 s restore limit"
	default:
		out.InitLimit = "the 130 s an init ahead of requests has at least"
	}
	totals := shown.PhaseTotals()
	for _, ph := range profile.Phases {
		out.Phases = append(out.Phases, [3]int64{int64(phaseIndex(ph)), totals[ph].Us, int64(totals[ph].Count)})
	}
	index := map[string]int64{}
	str := func(s string) int64 {
		if s == "" {
			return -1
		}
		i, ok := index[s]
		if !ok {
			i = int64(len(out.Strings))
			index[s] = i
			out.Strings = append(out.Strings, s)
		}
		return i
	}
	for _, s := range layoutColdStart(shown) {
		n := [10]int64{str(s.name()), int64(s.parent), int64(s.depth), s.start, s.dur, 0, s.dur, int64(phaseIndex(s.phase)), -1, -1}
		if s.imp != nil {
			out.Imports++
			n[5], n[6] = s.imp.SelfUs, s.imp.CumulativeUs
			n[8], n[9] = str(s.imp.RequestID), str(s.imp.Origin)
		}
		out.Nodes = append(out.Nodes, n)
	}
	out.Sampled = htmlSampledOf(cs, shown, str)
	summary := Analyze(cs, Options{Top: htmlHotSpots, Phase: phase, Findings: fopts})
	for _, r := range summary.TopSelf {
		out.HotSpots = append(out.HotSpots, [5]any{r.Name, r.Phase, r.SelfUs, r.CumulativeUs, r.Count})
	}
	out.Findings = summary.Findings
	return out
}

func htmlAggregateOf(a *Aggregate) *htmlAggregate {
	out := &htmlAggregate{ColdStarts: a.ColdStarts, Phases: [][4]any{}, Modules: [][6]any{}}
	for _, ph := range a.Phases() {
		out.Phases = append(out.Phases, [4]any{ph.Phase, ph.Us.Median, ph.Us.P90, ph.ColdStarts})
	}
	for _, r := range a.Modules(htmlHotSpots) {
		out.Modules = append(out.Modules, [6]any{r.Name, r.Phase, r.ColdStarts, r.Self.Median, r.Cumulative.Median, r.Cumulative.P90})
	}
	return out
}
