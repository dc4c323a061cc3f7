package report

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/coldprof/coldprof/profile"
)

// Findings are the report's answer to "what should I change to start
// faster?": each one rests on evidence in the log, says how much it would
// save (or that it cannot say), how sure that figure is, and what to do.
// A rule fires only on evidence and names what it could not see.
//
// The ids are a contract with scripts (README.md, "Findings"): never rename one.
const (
	FindingInvokeImports   = "invoke-imports"
	FindingHeavyImport     = "heavy-global-import"
	FindingBytecodeCompile = "python-bytecode-compile"
	FindingCodeHotspot     = "init-code-hotspot"
	FindingNetworkInInit   = "network-in-init"
	FindingNodeManyFiles   = "node-many-files"
	FindingInitCost        = "init-cost"
	FindingJavaCDS         = "java-cds-share"
)

// A Basis says how sure a finding's saving is.
type Basis string

// The bases, from most to least sure.
const (
	// BasisMeasured: the saving is what the log measured.
	BasisMeasured Basis = "measured"
	// BasisUpperBound: the saving is at most this; the log cannot tell how much less.
	BasisUpperBound Basis = "upper-bound"
	// BasisEstimate: the saving is estimated (from samples); Method says how.
	BasisEstimate Basis = "estimate"
)

// A Finding is one ranked, evidence-backed action. JSON field names are a
// contract (schema version 1, fields added only).
type Finding struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// SavingsUs is the estimated saving per cold start (per first request
	// for invoke-imports) in µs; nil when it cannot be estimated.
	SavingsUs *int64 `json:"savingsUs"`
	Basis     Basis  `json:"basis"`
	// Evidence names the modules, functions, lines and figures the finding rests on.
	Evidence []string `json:"evidence"`
	Action   string   `json:"action"`
	// Method says how SavingsUs was computed or estimated.
	Method string `json:"method,omitempty"`
	// Unseen says what the log could not show that bears on the finding.
	Unseen []string `json:"unseen,omitempty"`
	// Modules and Functions are the names the finding points at (module
	// names as in imports[], functions as "file:line function"), for
	// tools that highlight them (the HTML report does).
	Modules   []string `json:"modules,omitempty"`
	Functions []string `json:"functions,omitempty"`
	// RequestID is the invocation an invoke-imports finding is about.
	RequestID *string `json:"requestId,omitempty"`
	// InitUs and USDPerMillion are init-cost's figures: the init time it
	// priced, and what that init costs per million cold starts (nil when
	// the memory size, architecture or price is unknown).
	InitUs        *int64   `json:"initUs,omitempty"`
	USDPerMillion *float64 `json:"usdPerMillion,omitempty"`
}

// FindingOptions carry what the log may not hold: the architecture and a
// price per GB-second that overrides the price table.
type FindingOptions struct {
	// Arch is "x86_64" or "arm64"; it wins over the start marker's.
	Arch string
	// PricePerGBSecond in USD; 0 uses LambdaPrices.
	PricePerGBSecond float64
}

// Thresholds under which a rule stays silent: below them a change is lost
// in run-to-run spread and advice would be noise. Table-tested in
// findings_test.go.
const (
	// invokeImportsMinUs: handler-time imports cheaper than this are not worth a finding.
	invokeImportsMinUs = 1_000
	// heavyImportMinUs and heavyImportMinShare: a global package must cost
	// at least this much, and this share of the imports before the first
	// invoke, to be named.
	heavyImportMinUs    = 5_000
	heavyImportMinShare = 0.05
	// heavyImportMax is how many packages heavy-global-import names.
	heavyImportMax = 3
	// bytecodeMinSamples compile stacks prove that importlib compiled source
	// (source_to_code runs only without valid bytecode); one is enough,
	// because compiles shorter than the sampler's switch-interval wait are
	// seldom caught in one: a package of 100 modules of 160 lines showed 1 in
	// two cold starts of three. bytecodeMinUs: the estimate must reach this.
	bytecodeMinUs      = 5_000
	bytecodeMinSamples = 1
	// hotspotMinUs and hotspotMinShare: a function outside imports must take
	// this much sampled init time and this share of init.
	hotspotMinUs    = 10_000
	hotspotMinShare = 0.05
	hotspotMax      = 3
	// networkMinUs: init must wait on the network at least this long.
	networkMinUs = 5_000
	// nodeManyFilesMin: Node.js must load at least this many files before the first invoke.
	nodeManyFilesMin = 200
	// javaCDSMinClasses and javaCDSMaxShare: with at least this many classes
	// loaded before the first invoke, fewer than this share served by the
	// shared archive fires java-cds-share.
	javaCDSMinClasses = 500
	javaCDSMaxShare   = 0.5
	// initLimitWarnShare: init-cost says how near the 10 s limit init is once past this share.
	initLimitWarnShare = 0.5
)

// Findings runs every rule over cs and returns the findings, largest saving
// first (findings without a saving after those with one, init-cost last).
func Findings(cs *profile.ColdStart, opts FindingOptions) []Finding {
	return findings(cs, opts, hasCached(cs))
}

// findings is Findings for a caller that knows whether cs has cached
// entries (hasCached, a walk over every import), as Aggregate.Add does.
func findings(cs *profile.ColdStart, opts FindingOptions, cached bool) []Finding {
	var out []Finding
	out = append(out, invokeImportFindings(cs)...)
	out = append(out, heavyImportFindings(cs, cached)...)
	out = append(out, bytecodeFindings(cs)...)
	out = append(out, hotspotFindings(cs)...)
	out = append(out, networkFindings(cs)...)
	out = append(out, nodeManyFilesFindings(cs)...)
	out = append(out, javaCDSFindings(cs)...)
	out = append(out, initCostFindings(cs, opts)...)
	rankFindings(out)
	if out == nil {
		out = []Finding{}
	}
	return out
}

// rankFindings orders findings by saving, unknown savings after known
// ones, init-cost (a price, not a saving) last; ties by id, then title.
func rankFindings(fs []Finding) {
	rank := func(f Finding) int {
		switch {
		case f.ID == FindingInitCost:
			return 2
		case f.SavingsUs == nil:
			return 1
		}
		return 0
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.SavingsUs != nil && b.SavingsUs != nil && *a.SavingsUs != *b.SavingsUs {
			return *a.SavingsUs > *b.SavingsUs
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Title < b.Title
	})
}

func us(v int64) *int64 { return &v }

// beforeInvokeUs is the imports that ran inside Lambda's Init phase.
func beforeInvokeUs(cs *profile.ColdStart) int64 {
	var sum int64
	for _, imp := range cs.Imports {
		if imp.Phase != profile.PhaseInvoke {
			sum += imp.CumulativeUs
		}
	}
	return sum
}

// initUs is Init Duration, else the marker-measured span, else 0.
func initUs(cs *profile.ColdStart) (int64, string) {
	switch {
	case cs.HasInitDuration:
		return int64(cs.InitDurationMs * 1000), "Init Duration"
	case cs.StartUs > 0 && cs.InitDoneUs > cs.StartUs:
		return cs.InitDoneUs - cs.StartUs, "the wrapper's start → init_done span"
	}
	return 0, ""
}

// ---- invoke-imports ----

// invokeImportFindings names the modules first imported while a request
// ran, per request: that request paid for them.
func invokeImportFindings(cs *profile.ColdStart) []Finding {
	if cs.Format == profile.FormatJavaClassLoad {
		// As for heavy-global-import: a class's time is the time until the
		// next class loaded (in a request, the handler's work too), not its cost.
		return nil
	}
	type req struct {
		id      string
		total   int64
		modules []*profile.Import
	}
	var order []string
	byID := map[string]*req{}
	for _, imp := range cs.Imports {
		if imp.Phase != profile.PhaseInvoke || imp.Cached {
			continue // Python 3.14's cached look-ups load nothing
		}
		r := byID[imp.RequestID]
		if r == nil {
			r = &req{id: imp.RequestID}
			byID[imp.RequestID] = r
			order = append(order, imp.RequestID)
		}
		r.total += imp.CumulativeUs
		r.modules = append(r.modules, imp)
	}
	var out []Finding
	for _, id := range order {
		r := byID[id]
		if r.total < invokeImportsMinUs {
			continue
		}
		sort.SliceStable(r.modules, func(i, j int) bool { return r.modules[i].CumulativeUs > r.modules[j].CumulativeUs })
		who := "a request whose ID the log does not give"
		if id != "" {
			who = "request " + id
		}
		f := Finding{
			ID:        FindingInvokeImports,
			Title:     fmt.Sprintf("%s spent %s importing %s in the handler", who, formatMs(r.total), plural(len(r.modules), "module")),
			SavingsUs: us(r.total),
			Basis:     BasisMeasured,
			Action: "Moving these imports to global scope takes their cost off this request and puts it into init, " +
				"where provisioned concurrency and SnapStart pay it before any request; keeping them lazy keeps init short " +
				"and only the requests that need them pay. Choose by which of the two your users wait on.",
			Method: "the imports' own times (importtime / require-time) while the request ran, measured",
		}
		if id != "" {
			f.RequestID = &id
		} else {
			f.Unseen = append(f.Unseen, "which request imported them: the log has no request ID for this invocation")
		}
		for i, m := range r.modules {
			if i < 5 {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s", m.Name, formatMs(m.CumulativeUs)))
			}
			f.Modules = append(f.Modules, m.Name)
		}
		if len(r.modules) > 5 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%d more modules", len(r.modules)-5))
		}
		out = append(out, f)
	}
	return out
}

// ---- heavy-global-import ----

// globalRoot is one global-scope package: its entries in the init phase.
type globalRoot struct {
	pkg     string
	entries []*profile.Import
}

// globalPackages groups the init phase's top-level entries by package,
// looking through the function's own files (the Node.js handler file, a
// Python handler module that has an entry of its own), whose imports are
// the global scope's. The roots live in g, reused from one cold start to
// the next (this runs for every cold start of a report).
func (g *globalScratch) globalPackages(cs *profile.ColdStart) []*globalRoot {
	g.pkgOf = packageFunc(cs.Format)
	g.handlerModule = ""
	if i := strings.LastIndexByte(cs.Handler, '.'); i > 0 {
		g.handlerModule = cs.Handler[:i]
	}
	clear(g.byPkg)
	if g.byPkg == nil {
		g.byPkg = make(map[string]*globalRoot, len(cs.Imports))
	}
	g.order = g.order[:0]
	for _, imp := range cs.Imports {
		if imp.Phase == profile.PhaseInit {
			g.visit(imp)
		}
	}
	return g.order
}

func (g *globalScratch) visit(imp *profile.Import) {
	pkg := g.pkgOf(imp.Name)
	if pkg == FunctionPackage || (g.handlerModule != "" && (imp.Name == g.handlerModule || strings.TrimSuffix(imp.Name, ".js") == g.handlerModule)) {
		for _, c := range imp.Children {
			g.visit(c)
		}
		return
	}
	r := g.byPkg[pkg]
	if r == nil {
		if len(g.order) < len(g.roots) {
			r = g.roots[len(g.order)]
			r.pkg, r.entries = pkg, r.entries[:0]
		} else {
			r = &globalRoot{pkg: pkg}
			g.roots = append(g.roots, r)
		}
		g.byPkg[pkg] = r
		g.order = append(g.order, r)
	}
	r.entries = append(r.entries, imp)
}

// A globalScratch is globalPackages' memory: roots are reused, not
// reallocated, for each cold start.
type globalScratch struct {
	pkgOf         func(string) string
	handlerModule string
	byPkg         map[string]*globalRoot
	order         []*globalRoot
	roots         []*globalRoot // every root made so far, the first len(order) in use
}

// release drops g's references into the cold start it last grouped and
// returns it to the pool.
func (g *globalScratch) release() {
	for _, r := range g.roots {
		clear(r.entries)
		r.pkg = ""
	}
	clear(g.byPkg)
	if len(g.roots) > maxKeptRoots {
		clear(g.roots[maxKeptRoots:])
		g.roots = g.roots[:maxKeptRoots]
	}
	g.order = g.order[:0]
	globalScratches.Put(g)
}

// maxKeptRoots bounds the roots a globalScratch keeps between cold starts.
const maxKeptRoots = 1024

var globalScratches = sync.Pool{New: func() any { return new(globalScratch) }}

// hasCached reports whether the log has Python 3.14's "cached" lines
// (-X importtime=2), which say who else imports a module.
func hasCached(cs *profile.ColdStart) bool { return anyCached(cs.Imports) }

// anyCached reports whether any of imps or their descendants is cached.
// (A plain recursion: it runs over every import of every cold start.)
func anyCached(imps []*profile.Import) bool {
	for _, imp := range imps {
		if imp.Cached || anyCached(imp.Children) {
			return true
		}
	}
	return false
}

// exclusiveUs is the time of a global package's subtrees minus the
// subtrees of modules another global import needs too (seen as 3.14's
// cached lines under it): those stay loaded when the package goes. Only the outermost shared module of a path is
// subtracted, its time holding its children's.
func exclusiveUs(r *globalRoot, importedElsewhere func(string) bool) (total, shared int64, sharedNames []string) {
	for _, e := range r.entries {
		total += e.CumulativeUs
		for _, c := range e.Children {
			c.Walk(func(imp *profile.Import, _ int) bool {
				if !imp.Cached && importedElsewhere(imp.Name) {
					shared += imp.CumulativeUs
					sharedNames = append(sharedNames, imp.Name)
					return false
				}
				return true
			})
		}
	}
	return total, shared, sharedNames
}

// heavyImportFindings names the global-scope packages whose removal or
// deferral would save the most: each one's exclusive cost. It runs on
// every cold start of a report, so it computes the figures first and
// builds the text only for the packages it names.
func heavyImportFindings(cs *profile.ColdStart, cached bool) []Finding {
	if cs.Format == profile.FormatJavaClassLoad {
		// A class's time in the class-load log is the time until the next
		// class loaded, not its cost: no package's cost can be read from it.
		return nil
	}
	g := globalScratches.Get().(*globalScratch)
	defer g.release() // after the findings are built: they copy what they keep
	roots := g.globalPackages(cs)
	if len(roots) == 0 {
		return nil
	}
	// The modules each root's subtrees found already loaded (3.14's cached
	// lines): something else in init needs them. A module printed with a
	// time in two places was imported twice (a failed import is retried),
	// each a cost of its own, so only cached lines count. cachedIn counts,
	// per module, the roots that found it cached.
	cachedIn := map[string]int{}
	rootCached := make([]map[string]bool, len(roots))
	// cached is hasCached(cs): without cached lines anywhere, the walk below finds none.
	for i, r := range roots {
		if !cached {
			break
		}
		for _, e := range r.entries {
			e.Walk(func(imp *profile.Import, _ int) bool {
				if imp.Cached {
					if rootCached[i] == nil {
						rootCached[i] = map[string]bool{}
					}
					if !rootCached[i][imp.Name] {
						rootCached[i][imp.Name] = true
						cachedIn[imp.Name]++
					}
				}
				return true
			})
		}
	}
	before := beforeInvokeUs(cs)
	type cand struct {
		root          *globalRoot
		total, shared int64
		sharedNames   []string
	}
	cands := make([]cand, 0, len(roots))
	for i, r := range roots {
		c := cand{root: r}
		if len(cachedIn) == 0 {
			for _, e := range r.entries {
				c.total += e.CumulativeUs
			}
		} else {
			elsewhere := func(name string) bool {
				n := cachedIn[name]
				if rootCached[i][name] {
					n--
				}
				return n > 0
			}
			c.total, c.shared, c.sharedNames = exclusiveUs(r, elsewhere)
		}
		saved := c.total - c.shared
		if saved < heavyImportMinUs || float64(saved) < heavyImportMinShare*float64(before) {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].total-cands[i].shared > cands[j].total-cands[j].shared })
	cands = cands[:min(len(cands), heavyImportMax)]
	out := make([]Finding, 0, len(cands))
	for _, c := range cands {
		r, saved := c.root, c.total-c.shared
		// Strings joined with + rather than fmt.Sprintf: this runs for
		// every cold start of a report.
		f := Finding{
			ID:        FindingHeavyImport,
			Title:     r.pkg + ", imported at global scope, costs init " + formatMs(saved),
			SavingsUs: us(saved),
			Action: "If init does not need " + r.pkg + ", remove it or import it where it is used (in the handler, or in the function that needs it): " +
				"init gets shorter by about this much, and the first request that uses it pays instead.",
			Modules:  make([]string, 0, len(r.entries)),
			Evidence: make([]string, 0, 2),
		}
		for _, e := range r.entries {
			f.Modules = append(f.Modules, e.Name)
		}
		f.Evidence = append(f.Evidence, r.pkg+": "+formatMs(c.total)+" cumulative in init ("+percent(c.total, before)+" of the imports before the first invoke)")
		if c.shared > 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s of it is modules other global imports load too (%s), which stay", formatMs(c.shared), strings.Join(firstN(c.sharedNames, 5), ", ")))
		}
		if cached {
			f.Title += " that no other global import needs"
			f.Basis = BasisMeasured
			f.Method = "the package's import time minus the modules Python 3.14's cached lines (-X importtime=2) show other global imports use too; " +
				"the handler module's own body is not in importtime, so a use there is not seen"
		} else {
			f.Basis = BasisUpperBound
			f.Method = "the package's whole import time"
			unseen := "whether code that runs later uses the package's modules too: the log shows a module only where it was first loaded"
			if cs.Format == profile.FormatPythonImporttime {
				unseen += " (Python 3.14 shows the other uses, and makes this figure measured, with COLDPROF_PYTHON_FLAGS=-Ximporttime=2)"
			}
			f.Unseen = append(f.Unseen, unseen)
		}
		out = append(out, f)
	}
	return out
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string(nil), s[:n]...), fmt.Sprintf("%d more", len(s)-n))
	}
	return s
}

// ---- init-cost ----

// A Price is Lambda's on-demand duration price for one architecture.
type Price struct {
	Arch           string
	USDPerGBSecond float64
}

// LambdaPrices are Lambda's public on-demand duration prices per
// GB-second, first pricing tier, US East (N. Virginia), as read on
// 2026-12-04 from https://aws.amazon.com/lambda/pricing/ ("Duration cost
// depends on the amount of memory you allocate"). Since August 2025 the
// INIT phase of on-demand functions on managed runtimes is billed as
// duration too (AWS blog "AWS Lambda standardizes billing for INIT
// phase"; reference/lambda-runtime.md). Other regions and tiers differ:
// --price overrides.
var LambdaPrices = []Price{
	{Arch: "x86_64", USDPerGBSecond: 0.0000166667},
	{Arch: "arm64", USDPerGBSecond: 0.0000133334},
}

// LambdaPricesSource says where LambdaPrices come from, for the report.
const LambdaPricesSource = "aws.amazon.com/lambda/pricing, us-east-1, first tier, read 2026-12-04"

func priceOf(arch string) (float64, bool) {
	for _, p := range LambdaPrices {
		if p.Arch == arch {
			return p.USDPerGBSecond, true
		}
	}
	return 0, false
}

// memorySizeMB is the Memory Size of the cold start's first REPORT line
// that has one, 0 when none does.
func memorySizeMB(cs *profile.ColdStart) int64 {
	for _, inv := range cs.Invocations {
		if inv.MemorySizeMB > 0 {
			return inv.MemorySizeMB
		}
	}
	return 0
}

// initCostFindings prices init per million cold starts and says how close
// it is to the 10 s on-demand limit. Both are on-demand's: provisioned
// concurrency and SnapStart bill and limit init otherwise
// (reference/lambda-runtime.md §6, §8), so for them it only says that.
func initCostFindings(cs *profile.ColdStart, opts FindingOptions) []Finding {
	init, what := initUs(cs)
	if init <= 0 {
		return nil
	}
	if kind := KindOf(cs); kind != KindOnDemand {
		// As the lifecycle section: a restored environment, or an init the
		// log shows ran ahead of requests, is not an on-demand init either.
		subject, why, pricing := "a "+cs.InitType+" cold start", "initialization type: "+cs.InitType, cs.InitType
		if cs.InitType == "" {
			subject = "an init the log shows as " + string(kind)
			why = "kind: " + string(kind) + " (the initialization type is not in the log; its platform lines show this)"
			pricing = "the way this function is initialized (provisioned concurrency, SnapStart or Lambda Managed Instances)"
		}
		return []Finding{{
			ID:       FindingInitCost,
			Title:    fmt.Sprintf("init took %s; %s is billed and limited otherwise than on-demand init, so it is not priced here", formatMs(init), subject),
			Basis:    BasisMeasured,
			Evidence: []string{fmt.Sprintf("init: %s (%s)", formatMs(init), what), why},
			Action:   "See Lambda's pricing for " + pricing + ".",
			Unseen:   []string{"what this initialization type's init costs: the price table covers on-demand duration only"},
			InitUs:   us(init),
		}}
	}
	f := Finding{ID: FindingInitCost, Basis: BasisMeasured, InitUs: us(init)}
	f.Evidence = append(f.Evidence, fmt.Sprintf("init: %s (%s)", formatMs(init), what))
	arch := opts.Arch
	archFrom := "--arch"
	if arch == "" {
		arch, archFrom = cs.Arch, "the start marker"
	}
	price, priceFrom := opts.PricePerGBSecond, "--price"
	if price <= 0 {
		if p, ok := priceOf(arch); ok {
			price, priceFrom = p, LambdaPricesSource
		}
	}
	switch {
	case memorySizeMB(cs) <= 0:
		f.Unseen = append(f.Unseen, "the memory size (Lambda's REPORT line carries it): init is not priced")
	case price <= 0 && arch == "":
		f.Unseen = append(f.Unseen, "the architecture (start marker's arch, or --arch x86_64|arm64): init is not priced")
	case price <= 0:
		f.Unseen = append(f.Unseen, fmt.Sprintf("a price for architecture %q: give --price", arch))
	default:
		mem := memorySizeMB(cs)
		gbs := float64(init) / 1e6 * float64(mem) / 1024
		perMillion := gbs * price * 1e6
		f.USDPerMillion = &perMillion
		f.Title = fmt.Sprintf("init costs $%.2f per million cold starts", perMillion)
		f.Evidence = append(f.Evidence, fmt.Sprintf("memory: %d MB (REPORT)", mem))
		if opts.PricePerGBSecond <= 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("arch: %s (from %s)", arch, archFrom))
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("price: $%.10f per GB-second (%s)", price, priceFrom))
		f.Method = fmt.Sprintf("%s × %d MB / 1024 × price × 1,000,000; on-demand init is billed as duration", formatMs(init), mem)
	}
	share := float64(init) / InitLimitUs
	limit := fmt.Sprintf("init uses %s of Lambda's 10 s on-demand init limit", percent(init, InitLimitUs))
	f.Evidence = append(f.Evidence, limit)
	if f.Title == "" {
		f.Title = limit
	}
	if share >= initLimitWarnShare {
		f.Title += fmt.Sprintf("; init is at %s of the 10 s limit", percent(init, InitLimitUs))
		f.Action = "Init near the 10 s limit fails the cold start when it is crossed: shorten init (the findings above) before it grows further. "
	}
	f.Action += "Every millisecond the findings above take off init is saved on each on-demand cold start at this rate."
	return []Finding{f}
}

// ---- node-many-files ----

// nodeManyFilesFindings fires when Node.js loads many files before the
// first invoke: each one is resolved and read from disk.
func nodeManyFilesFindings(cs *profile.ColdStart) []Finding {
	if cs.Format != profile.FormatNodeRequire {
		return nil
	}
	files, total := 0, int64(0)
	perPkg := map[string]int{}
	for _, top := range cs.Imports {
		if top.Phase != profile.PhaseInit {
			continue
		}
		total += top.CumulativeUs
		top.Walk(func(imp *profile.Import, _ int) bool {
			if strings.HasPrefix(imp.Name, "node:") || !strings.Contains(imp.Name, "/") && !hasSourceExt(imp.Name) {
				return true // a built-in: no file to read
			}
			files++
			perPkg[nodePackage(imp.Name)]++
			return true
		})
	}
	if files < nodeManyFilesMin {
		return nil
	}
	pkgs := make([]string, 0, len(perPkg))
	for p := range perPkg {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if perPkg[pkgs[i]] != perPkg[pkgs[j]] {
			return perPkg[pkgs[i]] > perPkg[pkgs[j]]
		}
		return pkgs[i] < pkgs[j]
	})
	f := Finding{
		ID:    FindingNodeManyFiles,
		Title: fmt.Sprintf("Node.js loads %d files in init, taking %s", files, formatMs(total)),
		Basis: BasisUpperBound,
		Evidence: []string{
			fmt.Sprintf("%d module files required in init, %s cumulative (%s per file on average)", files, formatMs(total), formatMs(total/int64(files))),
		},
		Action: "Bundle the function (esbuild, or another bundler, into one file, with tree shaking): " +
			"one file is resolved and read instead of each module's, and unused code is left out.",
		Method: "none: the hooks time each module's resolving, reading, compiling and running together, so the part bundling removes is not in the log",
		Unseen: []string{"how much of each module's time is resolving and reading the file (what bundling saves) rather than running it"},
	}
	var parts []string
	for _, p := range firstN(pkgs, 5) {
		if n, ok := perPkg[p]; ok {
			parts = append(parts, fmt.Sprintf("%s: %d files", p, n))
			f.Modules = append(f.Modules, p)
		} else {
			parts = append(parts, p)
		}
	}
	f.Evidence = append(f.Evidence, "most files: "+strings.Join(parts, ", "))
	return []Finding{f}
}

// ---- java-cds-share ----

// javaCDSFindings fires when few of the classes loaded before the first
// invoke came from the class-data-sharing archive. The JDK documents CDS
// as reducing start-up time by mapping pre-parsed classes from an archive
// (https://docs.oracle.com/en/java/javase/21/vm/class-data-sharing.html),
// an application archive (AppCDS, -XX:SharedArchiveFile /
// -XX:ArchiveClassesAtExit) covering application classes too; AWS's
// Lambda guide lists AOT and CDS caches among Java's start-up settings
// (https://docs.aws.amazon.com/lambda/latest/dg/java-customization.html#aot-cds-caches).
func javaCDSFindings(cs *profile.ColdStart) []Finding {
	if cs.Format != profile.FormatJavaClassLoad {
		return nil
	}
	var before []*profile.Import
	for _, imp := range cs.Imports {
		if imp.Phase != profile.PhaseInvoke {
			before = append(before, imp)
		}
	}
	if !hasOrigins(before) {
		return nil
	}
	a := sharedArchive(before)
	if a.TotalCount < javaCDSMinClasses {
		return nil
	}
	share := float64(a.Count) / float64(a.TotalCount)
	if share >= javaCDSMaxShare {
		return nil
	}
	notShared := a.TotalCount - a.Count
	f := Finding{
		ID:    FindingJavaCDS,
		Title: fmt.Sprintf("%d of %d classes loaded before the first invoke (%s) were parsed, not mapped from the class-data-sharing archive", notShared, a.TotalCount, percentCount(notShared, a.TotalCount)),
		Basis: BasisUpperBound,
		Evidence: []string{
			fmt.Sprintf("shared archive (CDS): %d of %d classes (%s)", a.Count, a.TotalCount, percentCount(a.Count, a.TotalCount)),
		},
		Action: "Archive the application's classes (AppCDS: a training run with -XX:ArchiveClassesAtExit, then -XX:SharedArchiveFile; " +
			"on JDK 24+ the AOT cache) so the JVM maps them instead of parsing them; AWS's guide to Java start-up " +
			"(docs.aws.amazon.com/lambda/latest/dg/java-customization.html, \"Ahead-of-Time (AOT) and CDS caches\") covers it. " +
			"Measure with coldprof run --cold-starts before and after.",
		Method: "none: the class-load log's time per class is the time until the next class was loaded, not the class's own cost, so the saving cannot be computed",
		Unseen: []string{"the cost of parsing each class (the log gives load order and origin, not per-class cost)"},
	}
	type originCount struct {
		name string
		n    int
	}
	counts := map[string]int{}
	for _, imp := range before {
		imp.Walk(func(c *profile.Import, _ int) bool {
			if c.Origin != profile.OriginSharedArchive {
				counts[originOf(c)]++
			}
			return true
		})
	}
	var oc []originCount
	for k, v := range counts {
		oc = append(oc, originCount{k, v})
	}
	sort.Slice(oc, func(i, j int) bool {
		if oc[i].n != oc[j].n {
			return oc[i].n > oc[j].n
		}
		return oc[i].name < oc[j].name
	})
	var parts []string
	for i, o := range oc {
		if i == 5 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %d", o.name, o.n))
	}
	f.Evidence = append(f.Evidence, "parsed classes by origin: "+strings.Join(parts, ", "))
	return []Finding{f}
}
