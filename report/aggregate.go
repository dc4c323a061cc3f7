package report

import (
	"math"
	"math/bits"
	"slices"
	"sort"
	"unsafe"

	"github.com/coldprof/coldprof/profile"
)

// An Aggregate folds many cold starts into distributions: per phase, per
// module and per top-level package (each by phase), how many cold starts
// loaded it and the median, p90 and max of its per-cold-start self and
// cumulative times; plus the slowest cold starts.
//
// Add keeps nothing of a cold start but numbers, so a caller can release
// each cold start after adding it: memory grows with the number of distinct
// (module, phase) pairs, not with the number of cold starts (see dist).
type Aggregate struct {
	// ColdStarts is the number of cold starts added.
	ColdStarts int
	// WithInitDuration is how many of them carried Lambda's Init Duration.
	WithInitDuration int

	phase profile.Phase // the filter applied to modules and packages
	// interpreterMeasured counts the cold starts whose format times the
	// interpreter's start-up (measuresInterpreter).
	interpreterMeasured int
	phases              [len(phaseSlots)]dist
	modules             aggTable
	packages            aggTable
	slowest             []SlowColdStart // sorted slowest first, at most keep
	keep                int
	computed            *computedRows // rows computed elsewhere; nil for cold starts added

	// entries is every module and package entry, by id.
	entries []*aggEntry
	// pending is the per-cold-start sums of the last cold starts, not yet
	// folded into the entries' distributions: one row per cold start, in
	// it a pair (self, cumulative) per entry id, absent where the cold
	// start did not load the entry; row is the current cold start's. The
	// rows' memory is reused batch after batch.
	// Folding a batch entry by entry touches each distribution's values
	// once per batch instead of once per cold start: a cold start has
	// thousands of entries, each with its own histogram or exact values
	// somewhere in the heap, and those cache misses were most of Add.
	pending  [][]int64
	npending int
	row      []int64

	// Add's working memory, reused from one cold start to the next.
	path   []pathStep  // the entries from the root to the current import
	recent *entryCache // module entries by the address of their name; nil until Add
	// seq is the module and package ids of the last cold starts in walk
	// order (for the format seqFormat), and seqPos the current import's
	// place in it: the cold starts of one function load their modules in
	// nearly the same order, so the ids at the same place are usually the
	// ones, found without hashing or touching the entry.
	seq       []seqEntry
	seqPos    int
	seqFormat profile.Format

	// addedCached is whether the cold start Add last added has cached
	// entries (hasCached): its walk sees them, so the findings need not
	// walk the tree again to know.
	addedCached bool
}

// A seqEntry is the module and package an import at one place in the walk had.
type seqEntry struct {
	name        string
	slot        int32
	module, pkg int32
}

// absent marks a pending value of an entry the cold start did not load.
const absent = math.MinInt64

// foldBatch is how many cold starts pending holds at most, and
// maxPendingValues how many values in all: a log of 20,000 distinct
// classes folds every few cold starts rather than hold megabytes.
const (
	foldBatch        = 32
	maxPendingValues = 1 << 19
)

// maxSeq bounds Aggregate.seq (24 bytes per import of a cold start).
const maxSeq = 1 << 16

// phaseSlots are the phases an aggregate counts, by index; an import with
// any other phase value (invalid, never produced by the parsers) is kept
// under its own name in the last slot of an aggTable.
var phaseSlots = [...]profile.Phase{profile.PhaseInterpreter, profile.PhaseRuntime, profile.PhaseInit, profile.PhaseInvoke}

// slotOf returns p's index in phaseSlots, or len(phaseSlots) for others.
// (A switch, not a loop over phaseSlots: it runs for every import; the
// phases' names differ in length, so it compares one string at most.)
func slotOf(p profile.Phase) int {
	switch p {
	case profile.PhaseInterpreter:
		return 0
	case profile.PhaseRuntime:
		return 1
	case profile.PhaseInit:
		return 2
	case profile.PhaseInvoke:
		return 3
	}
	return len(phaseSlots)
}

// An aggTable holds the entries of modules or of packages: one map per
// phase slot, so a lookup hashes the name alone.
type aggTable [len(phaseSlots) + 1]map[string]*aggEntry

// entry returns the entry of name in phase (whose slot is slot) in t,
// creating it.
func (a *Aggregate) entry(t *aggTable, slot int, phase profile.Phase, name string) *aggEntry {
	key := name
	if slot == len(phaseSlots) {
		// Other phase values share the last slot: key them by phase too.
		key = string(phase) + "\x00" + name
	}
	m := t[slot]
	if m == nil {
		m = make(map[string]*aggEntry)
		t[slot] = m
	}
	e := m[key]
	if e == nil {
		e = &aggEntry{name: name, phase: phase, id: int32(len(a.entries)), pkg: -1}
		m[key] = e
		a.entries = append(a.entries, e)
		a.row = append(a.row, absent, absent)
	}
	return e
}

// entryCacheBits sizes the entry cache: 4,096 slots of 32 bytes, more
// than the distinct modules of most functions.
const entryCacheBits = 12

// An entryCache finds a module's entry by the address of its name's bytes.
// The parsers intern module names, so a module has the same string in every
// cold start, and one pointer comparison replaces hashing and comparing the
// name in a map (the map lookups were a third of Add). A name seen under
// another address (not interned, or evicted from the cache) falls back to
// the map, which stays the only owner of the entries.
type entryCache [1 << entryCacheBits]struct {
	name  string // kept so that its bytes, and so its address, stay in use
	slot  int
	entry *aggEntry
}

// ids returns the module and package entries' ids of an import named name
// in phase (whose slot is slot) of a cold start of a.seqFormat. For the
// fixed phase slots it looks first at the same place of the walk in the
// last cold starts (seq), then in the entry cache, then in the map.
func (a *Aggregate) ids(slot int, phase profile.Phase, name string) (module, pkg int32) {
	if slot == len(phaseSlots) || len(name) == 0 {
		return a.entryIDs(a.entry(&a.modules, slot, phase, name), slot, phase)
	}
	k := a.seqPos
	a.seqPos++
	if k < len(a.seq) {
		if c := &a.seq[k]; int(c.slot) == slot && len(c.name) == len(name) && unsafe.StringData(c.name) == unsafe.StringData(name) {
			return c.module, c.pkg
		}
	}
	module, pkg = a.entryIDs(a.cachedModuleEntry(slot, phase, name), slot, phase)
	switch {
	case k < len(a.seq):
		a.seq[k] = seqEntry{name, int32(slot), module, pkg}
	case k == len(a.seq) && k < maxSeq:
		a.seq = append(a.seq, seqEntry{name, int32(slot), module, pkg})
	}
	return module, pkg
}

// entryIDs returns the ids of module and of its package for a cold start of
// a.seqFormat.
func (a *Aggregate) entryIDs(module *aggEntry, slot int, phase profile.Phase) (int32, int32) {
	if module.pkg < 0 || module.pkgFormat != a.seqFormat {
		module.pkg = a.entry(&a.packages, slot, phase, packageFunc(a.seqFormat)(module.name)).id
		module.pkgFormat = a.seqFormat
	}
	return module.id, module.pkg
}

// cachedModuleEntry is a.entry(&a.modules, slot, phase, name) through the
// entry cache.
func (a *Aggregate) cachedModuleEntry(slot int, phase profile.Phase, name string) *aggEntry {
	if a.recent == nil {
		a.recent = new(entryCache)
	}
	addr := uintptr(unsafe.Pointer(unsafe.StringData(name)))
	c := &a.recent[((uint64(addr)+uint64(slot))*0x9E3779B97F4A7C15)>>(64-entryCacheBits)]
	if c.entry != nil && c.slot == slot && len(c.name) == len(name) && unsafe.StringData(c.name) == unsafe.StringData(name) {
		return c.entry
	}
	e := a.entry(&a.modules, slot, phase, name)
	c.name, c.slot, c.entry = name, slot, e
	return e
}

// An aggEntry is one module or package in one phase: its distributions
// over cold starts (its sums within the cold starts being added are in
// Aggregate.pending, under its id).
type aggEntry struct {
	name             string
	phase            profile.Phase
	self, cumulative dist
	id               int32

	// pkg is a module's package entry's id for cold starts of pkgFormat
	// (-1 before the first), remembered to spare a second lookup per import.
	pkg       int32
	pkgFormat profile.Format
}

// A pathStep is one import on the path from a root: its module's and its
// package's entry ids, to tell an import nested in another of the same
// module or package (whose cumulative time already holds it).
type pathStep struct{ module, pkg int32 }

// Stats describe one distribution over cold starts. Median and P90 are
// nearest-rank percentiles (a value that was observed), exact while a key
// has at most exactSamples values; beyond that they come from a log-scale
// histogram and are within QuantileErrorPct of the nearest-rank value
// (exact when the values in its bucket are all the same).
type Stats struct {
	Median, P90, Max int64
}

// An AggregateRow is one module or package in one phase across cold starts.
type AggregateRow struct {
	Name  string
	Phase profile.Phase
	// ColdStarts is the number of cold starts that loaded it; the stats
	// cover only those.
	ColdStarts int
	Self       Stats
	Cumulative Stats
}

// An AggregatePhase is one phase's time across every cold start (zero where
// a cold start had no entry in it) and how many cold starts had entries.
type AggregatePhase struct {
	Phase      profile.Phase
	ColdStarts int
	Us         Stats
}

// A SlowColdStart is one of the slowest cold starts: ordered by Lambda's
// Init Duration where the log has it, then by the time of imports before
// the first invoke.
type SlowColdStart struct {
	ID              string
	Runtime         string
	Boundary        profile.Boundary
	InitDurationMs  float64
	HasInitDuration bool
	// BeforeInvokeUs is the imports of the interpreter, runtime and init phases.
	BeforeInvokeUs int64
	TotalUs        int64
}

// NewAggregate returns an empty aggregate limited to opts.Phase that
// remembers the max(opts.Top, DefaultTop) slowest cold starts.
func NewAggregate(opts Options) *Aggregate {
	return &Aggregate{
		phase: opts.Phase,
		keep:  max(opts.top(), DefaultTop),
	}
}

// Add folds cs into the aggregate. It keeps no reference to cs.
//
// It is the hot path of a report over many cold starts, so it walks each
// tree once: every import is looked up once among the modules and once
// among the packages, summed into its entries' per-cold-start fields, and
// the entries the cold start touched are folded into their distributions
// at the end. (Merging with rollup and then folding the rows looked every
// import up twice per key; that was half of coldprof report's time.)
func (a *Aggregate) Add(cs *profile.ColdStart) {
	a.ColdStarts++
	if cs.HasInitDuration {
		a.WithInitDuration++
	}
	if measuresInterpreter(cs.Format) {
		a.interpreterMeasured++
	}
	a.seqPos = 0
	a.addedCached = false
	if cs.Format != a.seqFormat {
		a.seq, a.seqFormat = a.seq[:0], cs.Format // the package ids in seq are per format
	}
	if a.npending == len(a.pending) {
		a.pending = append(a.pending, nil)
	}
	row := slices.Grow(a.pending[a.npending][:0], 2*len(a.entries))[:2*len(a.entries)]
	for i := range row { // through a local: a.row would be reloaded at every store
		row[i] = absent
	}
	a.row = row
	var us [len(phaseSlots) + 1]int64
	var count [len(phaseSlots) + 1]int
	var total int64
	// walkBackwards: the parsers allocate a cold start's imports in log
	// order, which is post-order (children are printed before their
	// parent), in blocks. Visiting the tops and each node's children last
	// to first is then the log order reversed: one backward sweep over
	// the blocks, which the hardware prefetchers follow, where the
	// first-to-last walk jumped back and forth and waited on a cache miss
	// at most nodes (half of the walk's time). Only sums and the ids of new
	// entries depend on the order, and no output depends on the ids.
	for t := len(cs.Imports) - 1; t >= 0; t-- {
		top := cs.Imports[t]
		slot := slotOf(top.Phase)
		us[slot] += top.CumulativeUs
		total += top.CumulativeUs
		n := a.walk(top, slot, top.Phase, a.phase == "" || top.Phase == a.phase)
		count[slot] += n
	}
	var beforeInvoke int64
	for i, p := range phaseSlots {
		d := &a.phases[i]
		d.add(us[i])
		if count[i] > 0 {
			d.present++
		}
		if p != profile.PhaseInvoke {
			beforeInvoke += us[i]
		}
	}
	a.pending[a.npending] = a.row
	a.npending++
	if a.npending == foldBatch || a.npending*2*len(a.entries) > maxPendingValues {
		a.fold()
	}
	a.addSlow(SlowColdStart{
		ID: cs.ID, Runtime: cs.Runtime, Boundary: cs.Boundary,
		InitDurationMs: cs.InitDurationMs, HasInitDuration: cs.HasInitDuration,
		BeforeInvokeUs: beforeInvoke, TotalUs: total,
	})
}

// walk adds imp and its subtree (all in phase, the root's, whose slot is
// slot) to the current cold start's sums when keep is set, and returns the
// number of entries in the subtree.
func (a *Aggregate) walk(imp *profile.Import, slot int, phase profile.Phase, keep bool) int {
	if imp.Cached {
		// A look-up (Python 3.14 "cached"), not a load. The walk sees
		// every entry but the descendants of cached ones, so it sees a
		// cached entry if there is any.
		a.addedCached = true
		return 0
	}
	n := 1
	if imp.Phase != phase { // never from the parsers: a subtree shares its root's phase
		phase, slot = imp.Phase, slotOf(imp.Phase)
	}
	if !keep {
		for i := len(imp.Children) - 1; i >= 0; i-- {
			n += a.walk(imp.Children[i], slot, phase, false)
		}
		return n
	}
	module, pkg := a.ids(slot, phase, imp.Name)
	nestedModule, nestedPkg := false, false
	for _, s := range a.path {
		nestedModule = nestedModule || s.module == module
		nestedPkg = nestedPkg || s.pkg == pkg
	}
	a.sum(module, imp, nestedModule)
	a.sum(pkg, imp, nestedPkg)
	if len(imp.Children) > 0 {
		a.path = append(a.path, pathStep{module, pkg})
		for i := len(imp.Children) - 1; i >= 0; i-- { // see walkBackwards
			n += a.walk(imp.Children[i], slot, phase, true)
		}
		a.path = a.path[:len(a.path)-1]
	}
	return n
}

// sum adds imp to the current cold start's sums of entry id; the
// cumulative time only when no ancestor is in the same entry (it already
// holds imp's).
func (a *Aggregate) sum(id int32, imp *profile.Import, nested bool) {
	v := a.row[2*id : 2*id+2]
	if v[0] == absent {
		v[0], v[1] = 0, 0
	}
	v[0] += imp.SelfUs
	if !nested {
		v[1] += imp.CumulativeUs
	}
}

// fold adds the pending cold starts' sums to the entries' distributions,
// entry by entry, each entry's values in the order of the cold starts.
func (a *Aggregate) fold() {
	var self, cumulative [foldBatch]int64
	rows := a.pending[:a.npending]
	for id, e := range a.entries {
		i, n := 2*id, 0
		for _, row := range rows {
			if i < len(row) && row[i] != absent {
				self[n], cumulative[n] = row[i], row[i+1]
				n++
			}
		}
		if n > 0 {
			e.self.addAll(self[:n])
			e.cumulative.addAll(cumulative[:n])
		}
	}
	a.npending = 0
}

func (a *Aggregate) addSlow(s SlowColdStart) {
	i := sort.Search(len(a.slowest), func(i int) bool { return slower(s, a.slowest[i]) })
	if i >= a.keep {
		return
	}
	a.slowest = append(a.slowest, SlowColdStart{})
	copy(a.slowest[i+1:], a.slowest[i:])
	a.slowest[i] = s
	if len(a.slowest) > a.keep {
		a.slowest = a.slowest[:a.keep]
	}
}

// slower orders cold starts: a known Init Duration first (largest first),
// then the imports before the first invoke, then the ID for stability.
func slower(a, b SlowColdStart) bool {
	if a.HasInitDuration != b.HasInitDuration {
		return a.HasInitDuration
	}
	if a.InitDurationMs != b.InitDurationMs {
		return a.InitDurationMs > b.InitDurationMs
	}
	if a.BeforeInvokeUs != b.BeforeInvokeUs {
		return a.BeforeInvokeUs > b.BeforeInvokeUs
	}
	return a.ID < b.ID
}

// Slowest returns the slowest cold starts, slowest first.
func (a *Aggregate) Slowest() []SlowColdStart { return a.slowest }

// Phases returns every phase's distribution in profile.Phases order
// (phaseSlots is that list).
func (a *Aggregate) Phases() []AggregatePhase {
	if a.computed != nil {
		return []AggregatePhase{} // unknown
	}
	out := make([]AggregatePhase, 0, len(phaseSlots))
	for i, p := range phaseSlots {
		d := &a.phases[i]
		out = append(out, AggregatePhase{Phase: p, ColdStarts: d.present, Us: d.stats()})
	}
	return out
}

// Modules returns the n modules (by phase) with the largest median
// cumulative time; n <= 0 returns all.
func (a *Aggregate) Modules(n int) []AggregateRow {
	if a.computed != nil {
		return topAggRows(append([]AggregateRow{}, a.computed.modules...), n)
	}
	a.fold()
	return aggRows(&a.modules, n)
}

// Packages returns the n top-level packages (by phase) with the largest
// median cumulative time; n <= 0 returns all.
func (a *Aggregate) Packages(n int) []AggregateRow {
	a.fold()
	return aggRows(&a.packages, n)
}

func aggRows(t *aggTable, n int) []AggregateRow {
	var rows []AggregateRow
	for _, m := range t {
		for _, e := range m {
			rows = append(rows, AggregateRow{
				Name: e.name, Phase: e.phase, ColdStarts: e.self.n,
				Self: e.self.stats(), Cumulative: e.cumulative.stats(),
			})
		}
	}
	if rows == nil {
		rows = []AggregateRow{}
	}
	return topAggRows(rows, n)
}

// topAggRows sorts rows by median cumulative time, largest first (ties by
// max, phase, name), and keeps the first n (all for n <= 0).
func topAggRows(rows []AggregateRow, n int) []AggregateRow {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Cumulative.Median != b.Cumulative.Median {
			return a.Cumulative.Median > b.Cumulative.Median
		}
		if a.Cumulative.Max != b.Cumulative.Max {
			return a.Cumulative.Max > b.Cumulative.Max
		}
		if a.Phase != b.Phase {
			return phaseIndex(a.Phase) < phaseIndex(b.Phase)
		}
		return a.Name < b.Name
	})
	if n > 0 && len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

// exactSamples is how many values a dist keeps exactly before it switches
// to a histogram, so memory per (module, phase) stops growing with the
// number of cold starts: 2 KiB per metric while exact, then a histogram
// of 24 bytes per bucket (a count and the smallest and largest value;
// 64 buckets per power of two, see subBuckets) between the smallest and
// largest value seen (a module whose time varies tenfold across cold
// starts spans about 210 buckets, 5 KiB; 1 µs to 10 s, about 1,200
// buckets, 29 KiB).
// Keeping every sample would cost 16 bytes per module per cold start:
// 48 MB for 3,000 cold starts of 1,000 modules, and growing without
// bound. A t-digest or P² estimator would be smaller still but inexact for
// small fleets, where exact numbers are what people check by hand.
const exactSamples = 256

// subBuckets is how many buckets a histogram has per power of two: each
// is at most 1/64 of its lower bound wide and reports its middle, so a
// percentile read from the histogram is within 0.8 % of an observed value
// (values under 128 are exact). Buckets come from the integer's bits, not
// from a logarithm: this runs for every module of every cold start.
const (
	subBucketBits = 6
	subBuckets    = 1 << subBucketBits
)

// QuantileErrorPct bounds, in percent of the true value, how far a median
// or p90 read from a histogram (over more than exactSamples cold starts)
// may be from the exact nearest-rank value: half a bucket's width, at most
// 1/128 of the bucket's lower bound (TestDistHistogramErrorBound checks it).
const QuantileErrorPct = 100.0 / (2 * subBuckets)

// ExactQuantiles reports whether every median and p90 of the aggregate is
// the exact nearest-rank value: true up to exactSamples cold starts, since
// no key then has more values than that.
func (a *Aggregate) ExactQuantiles() bool { return a.computed != nil || a.ColdStarts <= exactSamples }

// A dist collects one metric's per-cold-start values: exactly while there
// are few, as a log-scale histogram beyond exactSamples. Count and max
// are always exact.
type dist struct {
	n       int
	max     int64
	present int // for phases: cold starts with at least one entry
	exact   []int64
	hist    *histogram // nil while exact
}

// A histogram counts values by bucket: zeros apart, and the buckets from
// lo to lo+len(buckets)-1 in a dense slice (cheaper to update than a map;
// the add path runs for every module of every cold start). Each bucket
// also keeps the smallest and largest value it received, so a quantile
// read from it is a value in that observed range: exact when they are
// equal (many identical cold starts), never outside what was seen.
type histogram struct {
	zeros   uint32
	lo      int32
	buckets []histBucket
}

// A histBucket is one bucket's count and the smallest and largest value it
// received, side by side: an add touches one cache line, not three.
type histBucket struct {
	low, top int64
	n        uint32
}

func (h *histogram) add(v int64) {
	if v <= 0 {
		h.zeros++
		return
	}
	b := bucket(v)
	switch {
	case len(h.buckets) == 0:
		h.lo = b
		h.buckets = make([]histBucket, 1, 8)
	case b < h.lo:
		h.buckets = prepend(h.buckets, int(h.lo-b))
		h.lo = b
	case int(b-h.lo) >= len(h.buckets):
		h.buckets = append(h.buckets, make([]histBucket, int(b-h.lo)+1-len(h.buckets))...)
	}
	k := &h.buckets[b-h.lo]
	if k.n == 0 || v < k.low {
		k.low = v
	}
	if v > k.top {
		k.top = v
	}
	k.n++
}

// addAll is add for each of vs (values >= 0): the buckets' slice and its
// bounds held in registers, add only for a value outside them.
func (h *histogram) addAll(vs []int64) {
	buckets, lo := h.buckets, h.lo
	for _, v := range vs {
		if v > 0 && len(buckets) > 0 {
			if i := uint(bucket(v) - lo); i < uint(len(buckets)) {
				k := &buckets[i]
				if k.n == 0 || v < k.low {
					k.low = v
				}
				if v > k.top {
					k.top = v
				}
				k.n++
				continue
			}
		}
		h.add(v)
		buckets, lo = h.buckets, h.lo
	}
}

func prepend[T any](s []T, n int) []T {
	grown := make([]T, n+len(s))
	copy(grown[n:], s)
	return grown
}

// addAll adds vs (which it may change) in order, as add would one by one.
func (d *dist) addAll(vs []int64) {
	for i, v := range vs {
		if v < 0 {
			v, vs[i] = 0, 0
		}
		if d.n == 0 || v > d.max {
			d.max = v
		}
		d.n++
	}
	if d.hist == nil {
		room := exactSamples - len(d.exact)
		if len(vs) <= room {
			if len(d.exact)+len(vs) > cap(d.exact) {
				// A key seen in more than one batch is usually seen in
				// most: grow straight to exactSamples, not by doubling.
				c := exactSamples
				if d.exact == nil {
					c = max(16, len(vs))
				}
				d.exact = append(make([]int64, 0, c), d.exact...)
			}
			d.exact = append(d.exact, vs...)
			return
		}
		d.exact = append(d.exact, vs[:room]...)
		vs = vs[room:]
		d.hist = &histogram{}
		d.hist.addAll(d.exact)
		d.exact = nil
	}
	d.hist.addAll(vs)
}

func (d *dist) add(v int64) {
	if v < 0 {
		v = 0
	}
	if d.n == 0 || v > d.max {
		d.max = v
	}
	d.n++
	if d.hist == nil && len(d.exact) < exactSamples {
		if d.exact == nil {
			d.exact = make([]int64, 0, 16) // 5 allocations to exactSamples, not 9
		}
		d.exact = append(d.exact, v)
		return
	}
	if d.hist == nil {
		d.hist = &histogram{}
		for _, x := range d.exact {
			d.hist.add(x)
		}
		d.exact = nil
	}
	d.hist.add(v)
}

// bucket returns the histogram bucket of v > 0: v itself under 128, then
// 64 buckets per power of two (shift·64 + the top 7 bits of v).
func bucket(v int64) int32 {
	shift := bits.Len64(uint64(v)) - (subBucketBits + 1)
	if shift <= 0 {
		return int32(v)
	}
	return int32(shift<<subBucketBits) + int32(v>>shift)
}

// bucketValue is the value a bucket reports: the middle of its range.
func bucketValue(b int32) int64 {
	if b < 2*subBuckets {
		return int64(b)
	}
	shift := int(b>>subBucketBits) - 1
	low := int64(b-int32(shift<<subBucketBits)) << shift
	return low + (int64(1)<<shift)/2
}

func (d *dist) stats() Stats {
	if d.n == 0 {
		return Stats{}
	}
	return Stats{Median: d.quantile(0.5), P90: d.quantile(0.9), Max: d.max}
}

// quantile returns the nearest-rank q-quantile: the smallest value with at
// least q·n values at or below it.
func (d *dist) quantile(q float64) int64 {
	rank := int(math.Ceil(q * float64(d.n)))
	rank = min(max(rank, 1), d.n)
	if d.hist == nil {
		slices.Sort(d.exact)
		return d.exact[rank-1]
	}
	seen := int(d.hist.zeros)
	if seen >= rank {
		return 0
	}
	for i, k := range d.hist.buckets {
		seen += int(k.n)
		if seen >= rank {
			// The true value is in [low, top]: the bucket's middle,
			// moved into that range, is at most half a bucket off.
			return min(max(bucketValue(d.hist.lo+int32(i)), k.low), k.top)
		}
	}
	return d.max
}
