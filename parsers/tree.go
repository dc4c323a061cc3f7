package parsers

import (
	"fmt"

	"github.com/coldprof/coldprof/profile"
)

// levelUnknown marks an entry whose nesting level was lost (collapsed
// spaces, or a grammar that has none, as the JVM's class-load log).
const levelUnknown = -1

// An item is a completed entry that no parent has adopted yet.
type item struct {
	imp      *profile.Import
	level    int32
	height   int32 // levels in the subtree: 1 for a leaf
	ctx      int32 // index into the builder's phase contexts, at the subtree's first line
	assigned bool  // its subtree has its phase
}

// A tree builds import trees from post-order lines: each line adopts the
// entries just before it that are deeper (or, when levels are lost, whose
// times add up to its children's time). It never panics on any order.
type tree struct {
	items []item
	// lastLevel is the level of the last fresh (timed) entry, for cached lines.
	lastLevel int
}

// A nesting problem found while adding an entry; the Reader words the warning.
type nesting uint8

const (
	nestingOK nesting = iota
	// nestingLevels: a child is more than one level deeper than its parent.
	nestingLevels
	// nestingTimes: cumulative ≠ self + children's cumulative beyond rounding.
	nestingTimes
	// nestingRebuild: no run of preceding entries adds up to the children's time.
	nestingRebuild
	// nestingTooDeep: adopting its children would nest deeper than maxDepth.
	nestingTooDeep
	// nestingTooIndented: indented deeper than maxLevel.
	nestingTooIndented
)

// maxDepth bounds how deep trees nest. Real import trees stay under 100
// levels (Python's recursion limit alone stops them near 150); every
// consumer walks trees recursively and folded stacks repeat each ancestor,
// so a log that nests a million deep (a chain of entries whose times add up,
// a line indented by a million spaces) would otherwise hang the report.
const maxDepth = 512

// maxLevel bounds nesting levels: a line indented deeper is taken as at
// this level, so that indentation alone cannot nest deeper than maxDepth.
const maxLevel = maxDepth - 1

// maxRebuildScan bounds how far back a rebuild from times looks, so garbage
// input cannot make adding quadratic.
const maxRebuildScan = 4096

// add appends imp at level (levelUnknown to rebuild from times), adopting
// its children. ctx is the phase context when the line was read.
func (t *tree) add(a *allocator, imp *profile.Import, level int, ctx int32) nesting {
	problem := nestingOK
	if level > maxLevel {
		level, problem = maxLevel, nestingTooIndented
	}
	var j int
	height := int32(1)
	// What checkChildren tests, gathered while looking for the children:
	// one loop per line instead of three, whose exits (after a number of
	// children that varies) the branch predictor misses.
	var childrenUs int64
	levelsOK, timed := true, false
	switch {
	case level == levelUnknown:
		j, problem = t.childrenByTimes(imp)
		for _, c := range t.items[j:] {
			height = max(height, c.height+1)
		}
	case imp.Cached:
		// A cached line is printed at the lookup, not when an import
		// finishes: it is a leaf and adopts nothing.
		j = len(t.items)
	default:
		j = len(t.items)
		for j > 0 {
			c := &t.items[j-1]
			if int(c.level) <= level {
				break
			}
			height = max(height, c.height+1)
			childrenUs += c.imp.CumulativeUs
			levelsOK = levelsOK && (int(c.level) == level+1 || c.imp.Cached)
			j--
		}
		t.lastLevel = level
		timed = true
	}
	children := t.items[j:]
	if height > maxDepth {
		// Leave them unadopted, at the top level.
		j, children, height, problem = len(t.items), nil, 1, nestingTooDeep
	}
	if len(children) > 0 {
		ctx = children[0].ctx
		imp.Children = a.children(children)
	}
	if timed && problem == nestingOK {
		problem = checkChildren(imp, levelsOK, childrenUs, len(children))
	}
	// Field by field: a composite literal is built on the stack and
	// copied, and that copy stalled on its own stores.
	t.items = append(t.items[:j], item{})
	it := &t.items[j]
	it.imp, it.level, it.height, it.ctx = imp, int32(level), height, ctx
	return problem
}

// childrenByTimes finds where imp's children start among the pending items:
// the shortest run at the end whose cumulative times add up to imp's
// cumulative minus its self time. Each printed number is rounded up to a
// microsecond, so for k children the sum lies in [target-1, target+k+1).
func (t *tree) childrenByTimes(imp *profile.Import) (int, nesting) {
	n := len(t.items)
	target := imp.CumulativeUs - imp.SelfUs
	if imp.Cached || target <= 1 {
		return n, nestingOK
	}
	j := n
	var sum int64
	for j > 0 && n-j < maxRebuildScan && sum < target-1 {
		j--
		sum += t.items[j].imp.CumulativeUs
	}
	if sum < target-1 || sum-target > int64(n-j)+1 {
		return n, nestingRebuild
	}
	return j, nestingOK
}

// checkChildren tests what the nesting says against the numbers: children
// sit exactly one level deeper (levelsOK: each of the n children is, or is
// a cached entry), and a node's cumulative time is its self time plus its
// children's cumulative times (childrenUs), each rounded up to a
// microsecond.
func checkChildren(imp *profile.Import, levelsOK bool, childrenUs int64, n int) nesting {
	if !levelsOK {
		return nestingLevels
	}
	if abs(imp.CumulativeUs-imp.SelfUs-childrenUs) > int64(n)+2 {
		return nestingTimes
	}
	return nestingOK
}

// open counts the pending entries whose parents never appeared: the log
// was cut (or another cold start began) while those parents were loading.
func (t *tree) open() int {
	n := 0
	for _, it := range t.items {
		if it.level > 0 {
			n++
		}
	}
	return n
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// maxInterned bounds the name table; past it names are copied, not shared.
const maxInterned = 1 << 16

// An allocator hands out one cold start's Imports and child slices in
// blocks, so the per-line loop allocates rarely. Each cold start has its
// own: a block shared by two cold starts would keep the first alive as long
// as the second, chaining every cold start ever read to the live ones.
type allocator struct {
	imports []profile.Import
	ptrs    []*profile.Import
	block   int // size of the next Import block; doubles up to 1024
	// pool, when the Reader's caller recycles cold starts, provides blocks
	// that came back; every block used is then listed in importBlocks and
	// ptrBlocks, to be lent with the cold start.
	pool         *blockPool
	importBlocks [][]profile.Import
	ptrBlocks    [][]*profile.Import
}

func (a *allocator) node() *profile.Import {
	if len(a.imports) == 0 {
		a.imports = nil
		if a.pool != nil {
			a.imports = a.pool.importBlock()
		}
		if a.imports == nil {
			a.block = min(max(2*a.block, 32), 1024)
			a.imports = make([]profile.Import, a.block)
		}
		if a.pool != nil {
			a.importBlocks = append(a.importBlocks, a.imports)
		}
	}
	n := &a.imports[0]
	a.imports = a.imports[1:]
	return n
}

func (a *allocator) children(items []item) []*profile.Import {
	n := len(items)
	if len(a.ptrs) < n {
		a.ptrs = nil
		if a.pool != nil {
			a.ptrs = a.pool.ptrBlock(n)
		}
		if a.ptrs == nil {
			a.ptrs = make([]*profile.Import, max(4*a.block, n))
		}
		if a.pool != nil {
			a.ptrBlocks = append(a.ptrBlocks, a.ptrs)
		}
	}
	s := a.ptrs[:n:n]
	a.ptrs = a.ptrs[n:]
	for i, it := range items {
		s[i] = it.imp
	}
	return s
}

// maxNameSeq bounds Reader.nameSeq (16 bytes per line of a cold start).
const maxNameSeq = 1 << 16

// maxSeqName bounds the length of a name kept in Reader.nameSeq.
const maxSeqName = 1024

// nameAt interns the name of a cold start's k-th load-time line. The cold
// starts of one function load their modules in nearly the same order, so
// the name at the same place in the last cold start read is usually the
// one: comparing with it spares hashing the name into the table.
func (r *Reader) nameAt(k int, b []byte) string {
	if k < len(r.nameSeq) && r.nameSeq[k] == string(b) {
		return r.nameSeq[k]
	}
	s := r.names.name(b)
	switch {
	case k < len(r.nameSeq):
		r.nameSeq[k] = s
	case len(s) > maxSeqName:
		// Not kept: a hostile log's huge names must not outlive their cold start.
	case k == len(r.nameSeq) && k < maxNameSeq:
		r.nameSeq = append(r.nameSeq, s)
	}
	return s
}

// A nameTable shares module names between cold starts: they repeat in
// every one, and strings hold no pointers to chain cold starts together.
type nameTable map[string]string

func (t nameTable) name(b []byte) string {
	if s, ok := t[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t) < maxInterned {
		t[s] = s
	}
	return s
}

// addEntry adds a completed entry to the open cold start's tree.
func (r *Reader) addEntry(st *stream, b *builder, format profile.Format, imp *profile.Import, level int) {
	if b.format == "" {
		b.format = format
	} else if b.format != format {
		r.warn.warn("mixed-format", imp.Line, func() string { return fmt.Sprintf("%s line in a %s cold start", format, b.format) })
	}
	b.hasLines = true
	b.cutAtEnd = false
	if b.untrustedLine > 0 {
		r.warn.warn("untrusted-start", b.untrustedLine, func() string {
			return "START line before any import line (the order of the runtime interface emulator and of some log views): the init/invoke boundary of this invocation is unknown; its imports are counted as init"
		})
		b.untrustedLine = 0
	}
	if level == 0 && r.builderRules(b).isRuntimeEntry(imp.Name) {
		b.adoptRuntimeLoads(imp)
	}
	problem := b.tr.add(&b.alloc, imp, level, b.ctx())
	if level == 0 {
		b.assignEager(r.builderRules(b))
	}
	switch problem {
	case nestingLevels:
		r.nestingWarning(b, imp, func() string { return "it adopts entries more than one level deeper" })
	case nestingTimes:
		r.nestingWarning(b, imp, func() string {
			return fmt.Sprintf("its cumulative time %d µs is not its self time %d µs plus its children's", imp.CumulativeUs, imp.SelfUs)
		})
	case nestingRebuild:
		r.warn.warn("rebuild", imp.Line, func() string {
			return fmt.Sprintf("indentation is lost and no preceding entries add up to the children's time of %q; it is kept without children", imp.Name)
		})
	case nestingTooDeep:
		r.warn.warn("too-deep", imp.Line, func() string {
			return fmt.Sprintf("%q would nest more than %d levels deep, which no real import tree does: it is kept without children, and the entries below it at the top level", imp.Name, maxDepth)
		})
	case nestingTooIndented:
		r.warn.warn("too-indented", imp.Line, func() string {
			return fmt.Sprintf("%q is indented more than %d levels deep, which no real import tree is: it is taken as at that level", imp.Name, maxLevel)
		})
	}
}

// nestingWarning reports nesting the numbers contradict, once per cold
// start: one interleaving garbles many lines.
func (r *Reader) nestingWarning(b *builder, imp *profile.Import, why func() string) {
	if b.warnedNesting {
		return
	}
	b.warnedNesting = true
	r.warn.warn("nesting", imp.Line, func() string {
		return fmt.Sprintf("nesting of %q contradicts the times (%s): output of several threads or processes is interleaved; the tree below is as printed", imp.Name, why())
	})
}
