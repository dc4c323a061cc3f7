package report

import (
	"sort"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// InitLimitUs is Lambda's limit on the Init phase of an on-demand cold start
// (extension, runtime and function init together): 10 s. Provisioned
// concurrency and SnapStart have other limits (reference/lambda-runtime.md §6).
const InitLimitUs = 10_000_000

// A Summary is the analysis of one cold start: everything the table and
// Markdown reports show, computed once.
type Summary struct {
	ID       string
	Runtime  string // "" when unknown
	Handler  string // "" when unknown
	Format   profile.Format
	Boundary profile.Boundary
	// InitDurationMs is Lambda's Init Duration; HasInitDuration says whether the log had one.
	InitDurationMs  float64
	HasInitDuration bool
	Truncated       bool
	Source          string
	Line            int
	Invocations     int
	// Lifecycle is the init type, Lambda's init and restore reports and
	// every invocation (report/lifecycle.go).
	Lifecycle Lifecycle

	// TotalUs is the cumulative time of every top-level entry, all phases:
	// the 100 % of every percentage in the report.
	TotalUs int64
	// Phases holds every phase in profile.Phases order, also empty ones.
	Phases []PhaseRow
	// BeforeInvokeUs is the imports of the interpreter, runtime and init
	// phases: the imports that run inside Lambda's Init phase.
	BeforeInvokeUs int64

	// Phase is the phase the lists below are limited to, "" for all.
	Phase profile.Phase
	// TopSelf and TopCumulative are the hot spots: entries merged by name
	// and phase, the Options.Top largest by self and by cumulative time.
	TopSelf       []Row
	TopCumulative []Row
	// Packages is the roll-up by top-level package, largest cumulative first.
	Packages []Row
	// Origins is the roll-up by where entries were loaded from
	// (profile.Import.Origin: a jar, a class directory, a JDK module, the
	// shared archive), largest cumulative first; nil when no entry has an
	// origin. Entries without one are under NoOrigin.
	Origins []Row
	// SharedArchive is what the JVM's class-data-sharing archive served;
	// nil unless the cold start is Java's and some entry has an origin.
	SharedArchive *ArchiveShare
	// Tree is the pruned import tree; nil unless Options.Tree.
	Tree []TreeRow
	// Findings are the ranked findings of the cold start (findings.go).
	Findings []Finding
	// Sampled is what the sampler's samples add; nil without samples.
	Sampled *SampledSummary
}

// A PhaseRow is one phase's total: Us is the cumulative time of its
// top-level entries, Count its entries at any depth (the JSON schema).
type PhaseRow struct {
	Phase profile.Phase
	Us    int64
	Count int
}

// A Row is a module or a package with its time in one phase. Entries with
// the same name are merged: self times add up, and a cumulative time is
// counted only for entries with no ancestor of the same name, so nested
// entries (botocore.session under botocore) are not counted twice.
type Row struct {
	Name         string
	Phase        profile.Phase
	SelfUs       int64
	CumulativeUs int64
	// Count is the number of entries merged into the row.
	Count int
}

// NoOrigin is the Origins row of entries whose origin is not known.
const NoOrigin = "(unknown)"

// An ArchiveShare counts the entries loaded from the shared archive
// (profile.OriginSharedArchive: mapped, not parsed) against all entries
// in the Summary's scope, with their self times.
type ArchiveShare struct {
	Count, TotalCount int
	SelfUs, TotalUs   int64
}

// A TreeRow is one line of the pruned tree. A row with Hidden > 0 stands for
// that many siblings left out by --min or --depth; its times are their sums.
type TreeRow struct {
	Name         string
	Phase        profile.Phase
	RequestID    string
	Depth        int
	SelfUs       int64
	CumulativeUs int64
	Hidden       int
}

// Analyze computes the summary of cs under opts (Phase, Top, Tree, MinUs, Depth).
func Analyze(cs *profile.ColdStart, opts Options) *Summary {
	s := &Summary{
		ID:              cs.ID,
		Runtime:         cs.Runtime,
		Handler:         cs.Handler,
		Format:          cs.Format,
		Boundary:        cs.Boundary,
		InitDurationMs:  cs.InitDurationMs,
		HasInitDuration: cs.HasInitDuration,
		Truncated:       cs.Truncated,
		Source:          cs.Source,
		Line:            cs.Line,
		Invocations:     len(cs.Invocations),
		TotalUs:         cs.TotalUs(),
		Phase:           opts.Phase,
		Lifecycle:       lifecycleOf(cs),
	}
	totals := cs.PhaseTotals()
	for _, p := range profile.Phases {
		t := totals[p]
		s.Phases = append(s.Phases, PhaseRow{Phase: p, Us: t.Us, Count: t.Count})
		if p != profile.PhaseInvoke {
			s.BeforeInvokeUs += t.Us
		}
	}
	imports := importsOf(cs, opts.Phase)
	modules := rollup(imports, moduleName)
	s.TopSelf = topRows(modules, opts.top(), bySelf)
	s.TopCumulative = topRows(modules, opts.top(), byCumulative)
	packageOf := packageFunc(cs.Format)
	s.Packages = topRows(rollup(imports, packageOf), opts.top(), byCumulative)
	if hasOrigins(imports) {
		s.Origins = topRows(rollupBy(imports, originOf), opts.top(), byCumulative)
		if cs.Format == profile.FormatJavaClassLoad {
			s.SharedArchive = sharedArchive(imports)
		}
	}
	if opts.Tree {
		s.Tree = pruneTree(imports, opts.MinUs, opts.Depth)
	}
	s.Findings = Findings(cs, opts.Findings)
	s.Sampled = newSampledSummary(cs, opts)
	return s
}

// hasOrigins reports whether any entry says where it was loaded from.
func hasOrigins(imports []*profile.Import) bool {
	found := false
	for _, top := range imports {
		top.Walk(func(imp *profile.Import, _ int) bool {
			found = found || imp.Origin != ""
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// originOf is the Origins key of an entry.
func originOf(imp *profile.Import) string {
	if imp.Origin == "" {
		return NoOrigin
	}
	return imp.Origin
}

// sharedArchive sums the entries the shared archive served.
func sharedArchive(imports []*profile.Import) *ArchiveShare {
	var a ArchiveShare
	for _, top := range imports {
		top.Walk(func(imp *profile.Import, _ int) bool {
			a.TotalCount++
			a.TotalUs += imp.SelfUs
			if imp.Origin == profile.OriginSharedArchive {
				a.Count++
				a.SelfUs += imp.SelfUs
			}
			return true
		})
	}
	return &a
}

// importsOf returns the top-level entries of cs in phase ("" for all).
func importsOf(cs *profile.ColdStart, phase profile.Phase) []*profile.Import {
	if phase == "" {
		return cs.Imports
	}
	var out []*profile.Import
	for _, imp := range cs.Imports {
		if imp.Phase == phase {
			out = append(out, imp)
		}
	}
	return out
}

type rowKey struct {
	phase profile.Phase
	name  string
}

// rollup merges the entries of imports by (phase, key(name)). A subtree
// shares its root's phase, so an ancestor with the same key is always in
// the same row: its cumulative time already holds the descendant's. The
// keys on the path from the root are kept in a small stack (trees are a
// few levels deep), which is cheaper than a map: the aggregate calls this
// twice for every cold start.
func rollup(imports []*profile.Import, key func(string) string) []Row {
	var sc rollupScratch
	return sc.rollup(imports, key)
}

// rollupBy is rollup keyed by the whole entry (its origin, say) rather
// than its name.
func rollupBy(imports []*profile.Import, key func(*profile.Import) string) []Row {
	var sc rollupScratch
	return sc.rollupEntries(imports, key)
}

// rollupScratch holds rollup's working memory so the aggregate can reuse
// it from one cold start to the next instead of growing a new map each time.
type rollupScratch struct {
	index map[rowKey]int
	rows  []Row
	path  []string
}

// rollup is the package-level rollup reusing sc's memory; the rows it
// returns are only valid until the next call.
func (sc *rollupScratch) rollup(imports []*profile.Import, key func(string) string) []Row {
	return sc.rollupEntries(imports, func(imp *profile.Import) string { return key(imp.Name) })
}

// rollupEntries is rollup keyed by the whole entry.
func (sc *rollupScratch) rollupEntries(imports []*profile.Import, key func(*profile.Import) string) []Row {
	if sc.index == nil {
		sc.index = make(map[rowKey]int, 64)
	}
	clear(sc.index)
	rows, index, path := sc.rows[:0], sc.index, sc.path[:0]
	var walk func(imp *profile.Import)
	walk = func(imp *profile.Import) {
		if imp.Cached {
			return // a look-up (Python 3.14 "cached"): no load, no row
		}
		k := key(imp)
		rk := rowKey{imp.Phase, k}
		i, ok := index[rk]
		if !ok {
			i = len(rows)
			index[rk] = i
			rows = append(rows, Row{Name: k, Phase: imp.Phase})
		}
		r := &rows[i]
		r.Count++
		r.SelfUs += imp.SelfUs
		nested := false
		for _, p := range path {
			if p == k {
				nested = true
				break
			}
		}
		if !nested {
			r.CumulativeUs += imp.CumulativeUs
		}
		path = append(path, k)
		for _, c := range imp.Children {
			walk(c)
		}
		path = path[:len(path)-1]
	}
	for _, imp := range imports {
		walk(imp)
	}
	sc.rows, sc.path = rows, path
	if rows == nil {
		rows = []Row{}
	}
	return rows
}

// moduleName is the roll-up key of hot spots: the module itself.
func moduleName(name string) string { return name }

type rowOrder int

const (
	bySelf rowOrder = iota
	byCumulative
)

// topRows returns the n largest rows by the order, ties broken by phase
// order and name so output is stable. It sorts a copy: callers take
// several orders from one roll-up.
func topRows(all []Row, n int, order rowOrder) []Row {
	before := func(a, b *Row) bool {
		av, bv := a.CumulativeUs, b.CumulativeUs
		if order == bySelf {
			av, bv = a.SelfUs, b.SelfUs
		}
		if av != bv {
			return av > bv
		}
		if a.Phase != b.Phase {
			return phaseIndex(a.Phase) < phaseIndex(b.Phase)
		}
		return a.Name < b.Name
	}
	if n > 0 && n < len(all) && strictRowOrder(all) {
		// The n first without sorting them all: most rows are not
		// before the n-th kept, one comparison each (a roll-up has
		// hundreds of rows, a table ten).
		top := make([]Row, 0, n)
		for i := range all {
			r := &all[i]
			if len(top) == n && !before(r, &top[n-1]) {
				continue
			}
			j := len(top)
			if j < n {
				top = append(top, Row{})
			} else {
				j--
			}
			for ; j > 0 && before(r, &top[j-1]); j-- {
				top[j] = top[j-1]
			}
			top[j] = *r
		}
		return top
	}
	rows := append([]Row(nil), all...)
	sort.Slice(rows, func(i, j int) bool { return before(&rows[i], &rows[j]) })
	if len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

// strictRowOrder reports whether topRows' order has no ties among rows: a
// roll-up's rows differ in phase or name, and only two phases outside
// profile.Phases (never from the parsers) share a place in it. With ties,
// which of two equal rows comes first is sort.Slice's choice, so topRows
// sorts.
func strictRowOrder(rows []Row) bool {
	for i := range rows {
		if phaseIndex(rows[i].Phase) == len(profile.Phases) {
			return false
		}
	}
	return true
}

func phaseIndex(p profile.Phase) int {
	for i, q := range profile.Phases {
		if p == q {
			return i
		}
	}
	return len(profile.Phases)
}

// packageFunc returns how a format's unit names map to their top-level
// package: the first dotted component for Python modules, two for Java
// classes, the package (with its scope) for Node.js module paths, the first
// path component for Ruby names (a gem, "json" of "json/common", "lib").
// Node and Ruby files at the top of the function's code (index.js,
// handler.rb) roll up as FunctionPackage.
func packageFunc(f profile.Format) func(string) string {
	switch f {
	case profile.FormatNodeRequire, profile.FormatRubyRequire:
		return nodePackage
	case profile.FormatJavaClassLoad:
		return javaPackage
	}
	return pythonPackage
}

// FunctionPackage is the package of a Node.js or Ruby file at the top of the
// function's code ("index.js", "handler.rb"). The hooks name task-root files
// by their path relative to LAMBDA_TASK_ROOT, and a package file by the
// package and its path inside ("lodash/fp.js"), so a task-root file in a
// directory ("lib/db.js") cannot be told from a package's by its name: it
// rolls up by its first directory ("lib"), as a package would. A top-level
// file, a name with no directory and a file extension, is no package's.
const FunctionPackage = "(function)"

// pythonPackage returns the top-level package of a dotted module name:
// "botocore" for "botocore.session".
func pythonPackage(name string) string {
	top, _, _ := strings.Cut(name, ".")
	if top == "" {
		return name
	}
	return top
}

// javaPackage returns a class's package (profile.JavaPackage), cut to two
// components since one ("com", "java") says little: "com.amazonaws" for
// "com.amazonaws.services.s3.AmazonS3", "libdep" for "libdep.Dep". A hidden
// or lambda class counts as its host class ("Hello$$Lambda$1/0x…" as
// "Hello"), so that each one is not a package of its own; a class in no
// package is under DefaultPackage.
func javaPackage(name string) string {
	pkg := profile.JavaPackage(name)
	if pkg == "" {
		return DefaultPackage
	}
	if first := strings.IndexByte(pkg, '.'); first >= 0 {
		if second := strings.IndexByte(pkg[first+1:], '.'); second >= 0 {
			pkg = pkg[:first+1+second]
		}
	}
	return pkg
}

// DefaultPackage is the package of a Java class declared in no package.
const DefaultPackage = "(default package)"

// runtimeDir is where Lambda's Node.js and Ruby runtimes live; the hooks
// keep its absolute paths.
const runtimeDir = "/var/runtime/"

// nodePackage returns the npm package of a module path: the part after the
// last node_modules/ ("@aws-sdk/client-s3" keeps its scope), the first path
// component for built-ins and relative paths, FunctionPackage for a file at
// the top of the function's code, /var/runtime for the runtime's own files.
func nodePackage(name string) string {
	rest := name
	if i := strings.LastIndex(rest, "node_modules/"); i >= 0 {
		rest = rest[i+len("node_modules/"):]
	} else if strings.HasPrefix(rest, runtimeDir) {
		return strings.TrimSuffix(runtimeDir, "/")
	}
	if strings.HasPrefix(rest, "node:") {
		return strings.TrimPrefix(rest, "node:")
	}
	parts := strings.SplitN(rest, "/", 3)
	if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	if parts[0] == "" {
		return name
	}
	if len(parts) == 1 && rest == name && hasSourceExt(rest) {
		return FunctionPackage
	}
	return parts[0]
}

// hasSourceExt reports whether name ends in a Node.js or Ruby file
// extension; Ruby's standard library ("json", "set") is named without one.
func hasSourceExt(name string) bool {
	for _, ext := range []string{".js", ".cjs", ".mjs", ".json", ".node", ".rb"} {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return true
		}
	}
	return false
}

// pruneTree flattens the tree into rows, parents first, leaving out
// entries whose cumulative time is below minUs or that are deeper than
// depth (0: no limit). Left-out siblings become one row with their count
// and summed times, so the tree still adds up; at the top level, where
// phases follow one another, each phase's left-out entries get their own
// row at the end of that phase, keeping rows in log order.
func pruneTree(imports []*profile.Import, minUs int64, depth int) []TreeRow {
	rows := []TreeRow{}
	var level func(imps []*profile.Import, d int)
	level = func(imps []*profile.Import, d int) {
		hidden := TreeRow{Name: "…", Depth: d}
		flush := func() {
			if hidden.Hidden > 0 {
				rows = append(rows, hidden)
			}
			hidden = TreeRow{Name: "…", Depth: d}
		}
		for _, imp := range imps {
			if imp.Cached {
				continue // a look-up, not a load
			}
			if hidden.Hidden > 0 && hidden.Phase != imp.Phase {
				flush()
			}
			if imp.CumulativeUs < minUs || depth > 0 && d >= depth {
				hidden.Phase = imp.Phase
				hidden.Hidden++
				hidden.SelfUs += imp.SelfUs
				hidden.CumulativeUs += imp.CumulativeUs
				continue
			}
			rows = append(rows, TreeRow{
				Name: imp.Name, Phase: imp.Phase, RequestID: imp.RequestID, Depth: d,
				SelfUs: imp.SelfUs, CumulativeUs: imp.CumulativeUs,
			})
			level(imp.Children, d+1)
		}
		flush()
	}
	level(imports, 0)
	return rows
}
