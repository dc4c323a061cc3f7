package report

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/coldprof/coldprof/profile"
)

// SchemaVersion is the version of the JSON report's schema (README.md, "The JSON report").
const SchemaVersion = 1

// The JSON report's types. Field names are a contract with scripts and CI
// (schema version 1, README.md "The JSON report"): never rename one; add
// fields instead.
// Slices are never nil, so empty lists come out as [] rather than null.

// JSONReport is the whole JSON report. Write streams it; the type is here
// for readers (tests, scripts in Go) that decode it.
type JSONReport struct {
	SchemaVersion int             `json:"schemaVersion"`
	ColdStarts    []JSONColdStart `json:"coldStarts"`
	Warnings      []JSONWarning   `json:"warnings"`
	// Aggregate is present when the report holds several cold starts.
	Aggregate *JSONAggregate `json:"aggregate,omitempty"`
}

// JSONColdStart is one cold start; unknown values are null.
type JSONColdStart struct {
	ID             string   `json:"id"`
	Runtime        *string  `json:"runtime"`
	Handler        *string  `json:"handler"`
	Format         string   `json:"format"`
	InitDurationMs *float64 `json:"initDurationMs"`
	Boundary       string   `json:"boundary"`
	// The lifecycle fields (added to schema version 1): how Lambda started
	// the environment, its init and restore reports, each invocation.
	InitializationType      *string          `json:"initializationType"`
	Restored                bool             `json:"restored"`
	RestoreDurationMs       *float64         `json:"restoreDurationMs"`
	BilledRestoreDurationMs *float64         `json:"billedRestoreDurationMs"`
	InitReports             []JSONInitReport `json:"initReports"`
	Invocations             []JSONInvocation `json:"invocations"`
	Phases                  JSONPhases       `json:"phases"`
	Imports                 []JSONImport     `json:"imports"`
	// Findings are the cold start's ranked findings (README.md, "Findings"); added to schema version 1.
	Findings []Finding `json:"findings"`
	// Origins is present only when entries say where they were loaded from,
	// SharedArchive only for Java then: both added to schema version 1.
	Origins       []JSONOriginRow    `json:"origins,omitempty"`
	SharedArchive *JSONSharedArchive `json:"sharedArchive,omitempty"`
	// Where init went and the sampled functions (json_sampled.go), added
	// to schema version 1: InitParts and Sampler are null when unknown.
	InitParts *JSONInitParts `json:"initParts"`
	Functions []JSONFunction `json:"functions"`
	Sampler   *JSONSampler   `json:"sampler"`
}

// JSONOriginRow is one origin (a jar, a class directory, a JDK module, the
// shared archive) in one phase, over every entry loaded from it.
type JSONOriginRow struct {
	Origin       string `json:"origin"`
	Phase        string `json:"phase"`
	Count        int    `json:"count"`
	SelfUs       int64  `json:"selfUs"`
	CumulativeUs int64  `json:"cumulativeUs"`
}

// JSONSharedArchive is what the JVM's shared archive (CDS) served: entries
// and their self time, against all entries.
type JSONSharedArchive struct {
	Count       int   `json:"count"`
	TotalCount  int   `json:"totalCount"`
	SelfUs      int64 `json:"selfUs"`
	TotalSelfUs int64 `json:"totalSelfUs"`
}

// JSONInitReport is one of Lambda's INIT_REPORT lines; absent fields are null.
type JSONInitReport struct {
	DurationMs *float64 `json:"durationMs"`
	Phase      *string  `json:"phase"`
	Status     *string  `json:"status"`
	ErrorType  *string  `json:"errorType"`
}

// JSONInvocation is one invocation: Lambda's REPORT figures (null without
// a REPORT line) and the handler-time imports it ran (null when the
// init/invoke boundary is unknown).
type JSONInvocation struct {
	RequestID        string   `json:"requestId"`
	DurationMs       *float64 `json:"durationMs"`
	BilledDurationMs *float64 `json:"billedDurationMs"`
	MaxMemoryUsedMB  *int64   `json:"maxMemoryUsedMb"`
	ImportsUs        *int64   `json:"importsUs"`
}

// JSONPhases holds every phase's total, in the order phases happen.
type JSONPhases struct {
	Interpreter JSONPhase `json:"interpreter"`
	Runtime     JSONPhase `json:"runtime"`
	Init        JSONPhase `json:"init"`
	Invoke      JSONPhase `json:"invoke"`
}

// JSONPhase is a phase's time (the cumulative time of its top-level
// entries) and its number of entries at any depth.
type JSONPhase struct {
	Us    int64 `json:"us"`
	Count int   `json:"count"`
}

// JSONImport is one loaded unit with its children in log order.
type JSONImport struct {
	Name         string       `json:"name"`
	SelfUs       int64        `json:"selfUs"`
	CumulativeUs int64        `json:"cumulativeUs"`
	Phase        string       `json:"phase"`
	RequestID    *string      `json:"requestId"`
	Children     []JSONImport `json:"children"`
}

// JSONWarning is a problem with the input, located as "file:line".
type JSONWarning struct {
	Where   string `json:"where"`
	Message string `json:"message"`
}

// JSONAggregate is the report across cold starts (not part of schema
// version 1's original fields; added as the schema allows).
type JSONAggregate struct {
	Count            int                 `json:"count"`
	WithInitDuration int                 `json:"withInitDuration"`
	Phases           []JSONAggPhase      `json:"phases"`
	Modules          []JSONAggRow        `json:"modules"`
	Packages         []JSONAggRow        `json:"packages"`
	Slowest          []JSONSlowColdStart `json:"slowest"`
	// Findings are the findings across the cold starts (FindingsAggregate); added to schema version 1.
	Findings []Finding `json:"findings,omitempty"`
	// Source and Limits are set for an aggregate computed elsewhere
	// (report.NewComputedAggregate): by what, and what it cannot know.
	Source string   `json:"source,omitempty"`
	Limits []string `json:"limits,omitempty"`
	// QuantileErrorPct is set when medians and p90s over more than 256
	// cold starts come from a histogram: how far, in percent of the true
	// value, they may be from the exact nearest-rank value.
	QuantileErrorPct float64 `json:"quantileErrorPct,omitempty"`
}

// JSONStats is a distribution over cold starts, in microseconds.
type JSONStats struct {
	Median int64 `json:"median"`
	P90    int64 `json:"p90"`
	Max    int64 `json:"max"`
}

// JSONAggPhase is one phase across cold starts.
type JSONAggPhase struct {
	Phase      string    `json:"phase"`
	ColdStarts int       `json:"coldStarts"`
	Us         JSONStats `json:"us"`
}

// JSONAggRow is one module or package in one phase across cold starts.
type JSONAggRow struct {
	Name         string    `json:"name"`
	Phase        string    `json:"phase"`
	ColdStarts   int       `json:"coldStarts"`
	SelfUs       JSONStats `json:"selfUs"`
	CumulativeUs JSONStats `json:"cumulativeUs"`
}

// JSONSlowColdStart is one of the slowest cold starts.
type JSONSlowColdStart struct {
	ID             string   `json:"id"`
	Runtime        *string  `json:"runtime"`
	InitDurationMs *float64 `json:"initDurationMs"`
	BeforeInvokeUs int64    `json:"beforeInvokeUs"`
	TotalUs        int64    `json:"totalUs"`
	Boundary       string   `json:"boundary"`
}

// writeJSON streams the report: each cold start is encoded as it is read
// and then released; the warnings and the aggregate follow at the end.
func writeJSON(w *bufio.Writer, src Source, opts Options) error {
	agg := NewAggregate(opts)
	found := NewFindingsAggregate(opts.Findings)
	w.WriteString("{\n  \"schemaVersion\": 1,\n  \"coldStarts\": [")
	for {
		cs, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		agg.Add(cs)
		if agg.ColdStarts > 1 {
			w.WriteByte(',')
		}
		w.WriteString("\n    ")
		fs := findings(cs, opts.Findings, agg.addedCached)
		found.AddFindings(fs)
		if err := writeJSONColdStartFindings(w, cs, opts.Phase, fs); err != nil {
			return err
		}
		recycle(src, cs) // written; the aggregate keeps only numbers
	}
	w.WriteString("\n  ],\n  \"warnings\": ")
	warnings := []JSONWarning{}
	for _, wr := range src.Warnings() {
		warnings = append(warnings, JSONWarning{Where: wr.Where, Message: wr.Message})
	}
	if err := writeIndented(w, warnings); err != nil {
		return err
	}
	if agg.ColdStarts > 1 {
		w.WriteString(",\n  \"aggregate\": ")
		ja := newJSONAggregate(agg)
		ja.Findings = found.Findings()
		if err := writeIndented(w, ja); err != nil {
			return err
		}
	}
	_, err := w.WriteString("\n}\n")
	return err
}

func writeIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeJSONColdStart writes cs as json.MarshalIndent would inside the
// report (prefix "    ", indent "  "), but streams the import tree node by
// node: a cold start of 200,000 imports would otherwise be built whole in
// memory twice (as JSONImport values and as one byte slice).
func writeJSONColdStart(w *bufio.Writer, cs *profile.ColdStart, phase profile.Phase) error {
	return writeJSONColdStartFindings(w, cs, phase, Findings(cs, FindingOptions{}))
}

// writeJSONColdStartFindings is writeJSONColdStart with findings computed by the caller.
func writeJSONColdStartFindings(w *bufio.Writer, cs *profile.ColdStart, phase profile.Phase, findings []Finding) error {
	j := jsonColdStartWithoutImports(cs, phase)
	j.Findings = findings
	return writeJSONColdStartOf(w, &j, importsOf(cs, phase))
}

// writeJSONColdStartOf writes j, whose Imports it ignores, with imports as
// its import tree.
func writeJSONColdStartOf(w *bufio.Writer, j *JSONColdStart, imports []*profile.Import) error {
	in := jsonIndenters.Get().(*jsonIndenter)
	defer jsonIndenters.Put(in)
	jw := jsonWriter{b: in.buf[:0], in: in, spaces: 4}
	jw.open('{')
	jw.headFields(j)
	b, err := jw.result()
	w.Write(b)
	if err != nil {
		return err
	}
	jw.b = append(b[:0], ",\n      \"imports\": "...)
	jw.b = in.appendImports(w, jw.b, imports, 6)
	jw.tailFields(j)
	jw.close('}')
	b, err = jw.result()
	in.buf = b[:0]
	if _, werr := w.Write(b); err == nil {
		err = werr
	}
	return err
}

// writeJSONImports writes imps as an array of JSONImport whose opening
// bracket sits on a line indented by indent spaces, one node at a time.
// Strings are escaped by appendJSONString, as encoding/json would. Indents are slices of one string of spaces: at 512 levels deep
// they are a kilobyte each, too much to build per node.
//
// The nodes are appended to one buffer, handed to w every jsonFlushBytes:
// a call to w per punctuation mark and field (some 30 per import) was the
// largest cost of --format json.
func writeJSONImports(w *bufio.Writer, in *jsonIndenter, imps []*profile.Import, indent int) error {
	in.buf = in.appendImports(w, in.buf[:0], imps, indent)
	_, err := w.Write(in.buf)
	in.buf = in.buf[:0]
	return err
}

// jsonFlushBytes is how much of the import tree is held before it is
// written out.
const jsonFlushBytes = 32 << 10

func (in *jsonIndenter) appendImports(w *bufio.Writer, b []byte, imps []*profile.Import, indent int) []byte {
	if indent+2 > maxLevelSpaces {
		return in.appendDeepImports(w, b, imps, indent)
	}
	lv := in.level(indent + 2)
	b = append(b, '[')
	open := lv.open[1:] // no comma before the first
	for _, imp := range imps {
		if imp.Cached {
			continue // as loadedOnly, without a second pass over imps
		}
		if len(b) >= jsonFlushBytes {
			w.Write(b) // an error sticks in w and is returned at the end
			b = b[:0]
		}
		b = append(b, open...)
		open = lv.open
		b = in.names.append(b, imp.Name)
		b = append(b, lv.self...)
		b = appendJSONInt(b, imp.SelfUs)
		b = append(b, lv.cumulative...)
		b = appendJSONInt(b, imp.CumulativeUs)
		slot := slotOf(imp.Phase)
		if slot < len(phaseSlots) && imp.RequestID == "" && len(imp.Children) == 0 {
			b = append(b, lv.phaseNullLeaf[slot]...) // most imports: the rest in one append
			continue
		}
		if slot < len(phaseSlots) {
			b = append(b, lv.phase[slot]...)
		} else {
			b = append(b, lv.otherPhase...)
			b = appendJSONString(b, string(imp.Phase))
			b = append(b, lv.requestID...)
		}
		if imp.RequestID == "" {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, imp.RequestID)
		}
		if len(imp.Children) == 0 {
			b = append(b, lv.leaf...)
			continue
		}
		b = append(b, lv.children...)
		b = in.appendImports(w, b, imp.Children, indent+4)
		b = append(b, lv.close...)
	}
	if len(open) != len(lv.open) {
		return append(b, ']') // all cached or none: "[]"
	}
	return append(b, lv.end...)
}

// A jsonLevel is the punctuation, line breaks, indentation and keys around
// the fields of an import object at one depth, each run of them one string:
// an import is then about ten appends instead of some thirty (the keys
// need no escaping).
type jsonLevel struct {
	open       string                  // ",\n" S "{\n" F "\"name\": " (open[1:] for the first)
	self       string                  // ",\n" F "\"selfUs\": "
	cumulative string                  // ",\n" F "\"cumulativeUs\": "
	phase      [len(phaseSlots)]string // ",\n" F "\"phase\": \"<phase>\",\n" F "\"requestId\": "
	// phaseNullLeaf is phase, "null" and leaf: what follows the cumulative
	// time of an import with no request ID and no children.
	phaseNullLeaf [len(phaseSlots)]string
	otherPhase    string // ",\n" F "\"phase\": "
	requestID     string // ",\n" F "\"requestId\": "
	children      string // ",\n" F "\"children\": "
	leaf          string // children + "[]" + close
	close         string // "\n" S "}"
	end           string // "\n" (S less 2) "]": the array's end
}

// maxLevelSpaces bounds the indentation for which jsonLevels are built and
// kept (about 60 levels deep, 140 KB): deeper imports, which only a
// pathological log has (the parsers stop at 512), are written piece by
// piece by appendDeepImports.
const maxLevelSpaces = 256

// level returns the jsonLevel of import objects whose '{' sits obj spaces in.
func (in *jsonIndenter) level(obj int) *jsonLevel {
	i := obj / 2
	for len(in.levels) <= i {
		in.levels = append(in.levels, nil)
	}
	if lv := in.levels[i]; lv != nil && lv.obj == obj {
		return &lv.jsonLevel
	}
	s, f := in.spacesOf(obj), in.spacesOf(obj+2)
	key := func(k string) string { return ",\n" + f + `"` + k + `": ` }
	lv := &keptLevel{obj: obj}
	lv.open = ",\n" + s + "{\n" + f + `"name": `
	lv.self, lv.cumulative = key("selfUs"), key("cumulativeUs")
	lv.otherPhase, lv.requestID, lv.children = key("phase"), key("requestId"), key("children")
	for slot, p := range phaseSlots {
		lv.phase[slot] = lv.otherPhase + string(appendJSONString(nil, string(p))) + lv.requestID
	}
	lv.close = "\n" + s + "}"
	lv.leaf = lv.children + "[]" + lv.close
	for slot := range phaseSlots {
		lv.phaseNullLeaf[slot] = lv.phase[slot] + "null" + lv.leaf
	}
	lv.end = "\n" + in.spacesOf(obj-2) + "]"
	in.levels[i] = lv
	return &lv.jsonLevel
}

// A keptLevel is a jsonLevel and the indentation it was built for.
type keptLevel struct {
	jsonLevel
	obj int
}

// appendJSONInt appends v in decimal, as strconv.AppendInt (and so
// encoding/json) writes an int64, but straight into b's spare room:
// strconv formats into a buffer of its own and copies, and that copy was a
// third of the cost of writing an import.
func appendJSONInt(b []byte, v int64) []byte {
	if v < 0 {
		return strconv.AppendInt(b, v, 10)
	}
	u := uint64(v)
	n := 1
	for x := u; x >= 10; x /= 10 {
		n++
	}
	b = slices.Grow(b, n)
	b = b[:len(b)+n]
	out := b[len(b)-n:]
	i := n
	for u >= 100 {
		q := u / 100
		d := (u - q*100) * 2
		u = q
		i -= 2
		out[i], out[i+1] = digitPairs[d], digitPairs[d+1]
	}
	if u >= 10 {
		i -= 2
		out[i], out[i+1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		out[i-1] = byte('0' + u)
	}
	return b
}

// digitPairs is "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// jsonIndenters keeps the indenter (and its buffer) of one cold start for
// the next.
var jsonIndenters = sync.Pool{New: func() any { return new(jsonIndenter) }}

type jsonIndenter struct {
	spaces string
	buf    []byte       // the import tree not yet written
	levels []*keptLevel // by indentation (obj/2); see level
	names  jsonNames
}

// appendDeepImports is appendImports field by field, for import objects
// indented too deep for jsonLevels.
func (in *jsonIndenter) appendDeepImports(w *bufio.Writer, b []byte, imps []*profile.Import, indent int) []byte {
	imps = loadedOnly(imps)
	if len(imps) == 0 {
		return append(b, "[]"...)
	}
	obj := indent + 2
	b = append(b, '[')
	for i, imp := range imps {
		if len(b) >= jsonFlushBytes {
			w.Write(b) // an error sticks in w and is returned at the end
			b = b[:0]
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = in.appendNewline(b, obj)
		b = append(b, '{')
		b = in.appendKey(b, obj+2, "name")
		b = in.names.append(b, imp.Name)
		b = append(b, ',')
		b = in.appendKey(b, obj+2, "selfUs")
		b = strconv.AppendInt(b, imp.SelfUs, 10)
		b = append(b, ',')
		b = in.appendKey(b, obj+2, "cumulativeUs")
		b = strconv.AppendInt(b, imp.CumulativeUs, 10)
		b = append(b, ',')
		b = in.appendKey(b, obj+2, "phase")
		b = appendJSONString(b, string(imp.Phase))
		b = append(b, ',')
		b = in.appendKey(b, obj+2, "requestId")
		if imp.RequestID == "" {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, imp.RequestID)
		}
		b = append(b, ',')
		b = in.appendKey(b, obj+2, "children")
		b = in.appendDeepImports(w, b, imp.Children, obj+2)
		b = in.appendNewline(b, obj)
		b = append(b, '}')
	}
	b = in.appendNewline(b, indent)
	return append(b, ']')
}

// appendNewline appends a newline and spaces spaces.
func (in *jsonIndenter) appendNewline(b []byte, spaces int) []byte {
	return append(append(b, '\n'), in.spacesOf(spaces)...)
}

// appendKey appends a newline, spaces spaces and "key": (key needs no escaping).
func (in *jsonIndenter) appendKey(b []byte, spaces int, key string) []byte {
	b = in.appendNewline(b, spaces)
	b = append(b, '"')
	b = append(b, key...)
	return append(b, `": `...)
}

func (in *jsonIndenter) spacesOf(n int) string {
	if len(in.spaces) < n {
		in.spaces = strings.Repeat(" ", max(2*n, 256))
	}
	return in.spaces[:n]
}

// NewJSONColdStart converts cs to its JSON form, keeping only the top-level
// entries of phase ("" for all). Phases always cover every entry.
func NewJSONColdStart(cs *profile.ColdStart, phase profile.Phase) JSONColdStart {
	j := jsonColdStartWithoutImports(cs, phase)
	j.Imports = jsonImports(importsOf(cs, phase))
	j.Findings = Findings(cs, FindingOptions{})
	return j
}

// jsonColdStartWithoutImports is NewJSONColdStart but for the import tree,
// which writeJSONColdStart streams instead of holding.
func jsonColdStartWithoutImports(cs *profile.ColdStart, phase profile.Phase) JSONColdStart {
	totals, origins := jsonTreeFacts(cs, phase)
	j := JSONColdStart{
		ID:       cs.ID,
		Runtime:  nullable(cs.Runtime),
		Handler:  nullable(cs.Handler),
		Format:   string(cs.Format),
		Boundary: string(cs.Boundary),
		Phases: JSONPhases{
			Interpreter: jsonPhase(totals[profile.PhaseInterpreter]),
			Runtime:     jsonPhase(totals[profile.PhaseRuntime]),
			Init:        jsonPhase(totals[profile.PhaseInit]),
			Invoke:      jsonPhase(totals[profile.PhaseInvoke]),
		},
	}
	if cs.HasInitDuration {
		d := cs.InitDurationMs
		j.InitDurationMs = &d
	}
	addJSONSampled(&j, cs, phase, totals)
	jsonLifecycle(&j, cs)
	if imports := importsOf(cs, phase); origins {
		// Every origin, not the top N: scripts sum them.
		for _, r := range topRows(rollupBy(imports, originOf), math.MaxInt, byCumulative) {
			j.Origins = append(j.Origins, JSONOriginRow{Origin: r.Name, Phase: string(r.Phase), Count: r.Count, SelfUs: r.SelfUs, CumulativeUs: r.CumulativeUs})
		}
		if cs.Format == profile.FormatJavaClassLoad {
			a := sharedArchive(imports)
			j.SharedArchive = &JSONSharedArchive{Count: a.Count, TotalCount: a.TotalCount, SelfUs: a.SelfUs, TotalSelfUs: a.TotalUs}
		}
	}
	return j
}

// jsonTreeFacts returns cs.PhaseTotals() of the four phases and
// hasOrigins(importsOf(cs, phase)), from one walk over the import tree
// without a closure per node: two walks with a closure each cost as much
// as writing the tree when it is not in the cache.
func jsonTreeFacts(cs *profile.ColdStart, phase profile.Phase) (map[profile.Phase]profile.PhaseTotal, bool) {
	var sums [len(phaseSlots) + 1]profile.PhaseTotal
	origins := false
	for _, top := range cs.Imports {
		n, found := countLoaded(top, !origins && (phase == "" || top.Phase == phase))
		t := &sums[slotOf(top.Phase)]
		t.Us += top.CumulativeUs
		t.Count += n
		origins = origins || found
	}
	totals := make(map[profile.Phase]profile.PhaseTotal, len(phaseSlots))
	for i, p := range phaseSlots {
		totals[p] = sums[i]
	}
	return totals, origins
}

// countLoaded returns how many of imp and its descendants are not cached
// and, when origin is set, whether any of them names its origin.
func countLoaded(imp *profile.Import, origin bool) (n int, found bool) {
	if !imp.Cached {
		n = 1
	}
	found = origin && imp.Origin != ""
	for _, c := range imp.Children {
		cn, cf := countLoaded(c, origin && !found)
		n += cn
		found = found || cf
	}
	return n, found
}

// jsonLifecycle fills j's lifecycle fields.
func jsonLifecycle(j *JSONColdStart, cs *profile.ColdStart) {
	l := lifecycleOf(cs)
	j.InitializationType = nullable(cs.InitType)
	j.Restored = cs.Restored
	if cs.HasRestoreDuration {
		d := cs.RestoreDurationMs
		j.RestoreDurationMs = &d
		if cs.BilledRestoreDurationMs > 0 {
			b := cs.BilledRestoreDurationMs
			j.BilledRestoreDurationMs = &b
		}
	}
	j.InitReports = make([]JSONInitReport, len(cs.InitReports))
	for i, r := range cs.InitReports {
		jr := JSONInitReport{Phase: nullable(r.Phase), Status: nullable(r.Status), ErrorType: nullable(r.ErrorType)}
		if r.HasDuration {
			d := r.DurationMs
			jr.DurationMs = &d
		}
		j.InitReports[i] = jr
	}
	j.Invocations = make([]JSONInvocation, len(l.Invocations))
	for i, inv := range l.Invocations {
		ji := JSONInvocation{RequestID: inv.RequestID}
		if inv.Reported {
			d, b, m := inv.DurationMs, inv.BilledDurationMs, inv.MaxMemoryUsedMB
			ji.DurationMs = &d
			if b > 0 { // Lambda bills at least 1 ms: 0 is a field the line lacked
				ji.BilledDurationMs = &b
			}
			if m > 0 {
				ji.MaxMemoryUsedMB = &m
			}
		}
		if inv.HasImports {
			us := inv.ImportsUs
			ji.ImportsUs = &us
		}
		j.Invocations[i] = ji
	}
}

func jsonPhase(t profile.PhaseTotal) JSONPhase { return JSONPhase{Us: t.Us, Count: t.Count} }

// loadedOnly leaves out Python 3.14's cached look-ups, which load nothing:
// the JSON imports are what the phases count (README, JSON report). It
// copies only when there is one.
func loadedOnly(imps []*profile.Import) []*profile.Import {
	for i, imp := range imps {
		if imp.Cached {
			out := append([]*profile.Import(nil), imps[:i]...)
			for _, rest := range imps[i+1:] {
				if !rest.Cached {
					out = append(out, rest)
				}
			}
			return out
		}
	}
	return imps
}

func jsonImports(imps []*profile.Import) []JSONImport {
	imps = loadedOnly(imps)
	out := make([]JSONImport, 0, len(imps))
	for _, imp := range imps {
		out = append(out, JSONImport{
			Name:         imp.Name,
			SelfUs:       imp.SelfUs,
			CumulativeUs: imp.CumulativeUs,
			Phase:        string(imp.Phase),
			RequestID:    nullable(imp.RequestID),
			Children:     jsonImports(imp.Children),
		})
	}
	return out
}

func newJSONAggregate(a *Aggregate) *JSONAggregate {
	j := &JSONAggregate{
		Count:            a.ColdStarts,
		WithInitDuration: a.WithInitDuration,
		Phases:           []JSONAggPhase{},
		Modules:          jsonAggRows(a.Modules(0)),
		Packages:         jsonAggRows(a.Packages(0)),
		Slowest:          []JSONSlowColdStart{},
	}
	if !a.ExactQuantiles() {
		j.QuantileErrorPct = QuantileErrorPct
	}
	for _, p := range a.Phases() {
		j.Phases = append(j.Phases, JSONAggPhase{Phase: string(p.Phase), ColdStarts: p.ColdStarts, Us: jsonStats(p.Us)})
	}
	for _, s := range a.Slowest() {
		js := JSONSlowColdStart{ID: s.ID, Runtime: nullable(s.Runtime), BeforeInvokeUs: s.BeforeInvokeUs, TotalUs: s.TotalUs, Boundary: string(s.Boundary)}
		if s.HasInitDuration {
			d := s.InitDurationMs
			js.InitDurationMs = &d
		}
		j.Slowest = append(j.Slowest, js)
	}
	return j
}

func jsonAggRows(rows []AggregateRow) []JSONAggRow {
	out := make([]JSONAggRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, JSONAggRow{Name: r.Name, Phase: string(r.Phase), ColdStarts: r.ColdStarts,
			SelfUs: jsonStats(r.Self), CumulativeUs: jsonStats(r.Cumulative)})
	}
	return out
}

func jsonStats(s Stats) JSONStats { return JSONStats(s) }

// nullable is nil for "" (unknown), so it encodes as null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
