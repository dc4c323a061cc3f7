package report

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// The sample-based rules read ColdStart.Samples: wall-clock samples of the
// runtime's main thread (wrapper/hooks README, reference/sampler-notes.md).
// A sample's WeightUs is the wall time it stands for, so the time of a set
// of samples is the sum of their weights; a figure is good to about one
// interval (Python's default 10 ms, Node.js's 5 ms) per distinct stretch of
// work.

// stackOf returns the frames of a sample, root first; nil when the sample
// points outside the tables (a damaged log must not panic the report).
func stackOf(cs *profile.ColdStart, s profile.Sample) []int {
	if s.Stack < 0 || s.Stack >= len(cs.Stacks) {
		return nil
	}
	st := cs.Stacks[s.Stack]
	for _, f := range st {
		if f < 0 || f >= len(cs.Frames) {
			return nil
		}
	}
	return st
}

// frameName is how findings name a function: "file:line function".
func frameName(f profile.Frame) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Function)
	}
	if f.File != "" {
		return f.File + " " + f.Function
	}
	return f.Function
}

// baseName is a function's name without its class: the Python sampler
// names functions by co_qualname on 3.11+ ("SourceLoader.get_code"), by
// co_name before.
func baseName(f profile.Frame) string {
	if i := strings.LastIndexByte(f.Function, '.'); i >= 0 {
		return f.Function[i+1:]
	}
	return f.Function
}

func isFrozenImportlib(f profile.Frame) bool {
	return strings.HasPrefix(f.File, "<frozen importlib")
}

// inImport reports whether a sample was taken inside an import that the
// interpreter's own import log times. Python's runtime loads the handler
// module with importlib, so the handler's body runs under one
// _find_and_load; an import the module's body makes is a second one
// below a module body ("<module>"). Node.js: a require inside a module
// body is a second Module._load on the stack.
func inImport(cs *profile.ColdStart, stack []int) bool {
	findAndLoad, moduleBody, loads := false, false, 0
	for _, fi := range stack {
		f := cs.Frames[fi]
		if f.Function == "Module._load" {
			loads++
			if loads >= 2 {
				return true
			}
			continue
		}
		switch baseName(f) {
		case "_find_and_load":
			if moduleBody {
				return true
			}
			findAndLoad = true
		case "<module>":
			if findAndLoad {
				moduleBody = true
			}
		}
	}
	return false
}

// functionBody returns the index in a Python stack of the handler
// module's body: the first "<module>" frame below an importlib
// _find_and_load (the runtime loading the handler). Frames above it are
// the runtime's (its loop, its load_handler); a stack without it is the
// runtime's own work, such as waiting for the first event. -1 then. For
// other runtimes every frame may be the function's: 0.
func functionBody(cs *profile.ColdStart, stack []int) int {
	if cs.Format != profile.FormatPythonImporttime {
		return 0
	}
	findAndLoad := false
	for i, fi := range stack {
		switch baseName(cs.Frames[fi]) {
		case "_find_and_load":
			findAndLoad = true
		case "<module>":
			if findAndLoad {
				return i
			}
		}
	}
	return -1
}

// samplesLimit is what every sample-based rule says it could not see when
// the sampler did not run or was cut short.
func samplerUnseen(cs *profile.ColdStart) []string {
	var out []string
	switch {
	case cs.Sampler != nil && cs.Sampler.Dropped > 0:
		out = append(out, fmt.Sprintf("%d samples the sampler did not write or the log lost (its line bound was hit, or lines were lost)", cs.Sampler.Dropped))
	case cs.Sampler != nil && cs.Sampler.Truncated:
		out = append(out, "the samples after the sampler's last line: its lines end without an end line (the log was cut, or the process died)")
	}
	if cs.Sampler != nil && (cs.Sampler.StoppedBy == profile.StoppedByTimeout || cs.Sampler.StoppedBy == profile.StoppedByExit) {
		out = append(out, "the exact end of init: the sampler stopped by "+cs.Sampler.StoppedBy+", not at init_done")
	}
	return out
}

func samplingMethod(cs *profile.ColdStart, n int) string {
	interval := ""
	if cs.Sampler != nil && cs.Sampler.IntervalUs > 0 {
		interval = fmt.Sprintf(" taken every %s", formatMs(cs.Sampler.IntervalUs))
	}
	return fmt.Sprintf("the wall time of %s%s whose stacks pass through it (each sample weighs the time since the one before); good to about one interval per stretch of work", plural(n, "sample"), interval)
}

// ---- python-bytecode-compile ----

// isCompileStack reports whether a Python stack is the import system
// compiling source: get_code → source_to_code in importlib's
// _bootstrap_external (compile() is C, so the leaf is
// _call_with_frames_removed). With bytecode present source_to_code never
// runs (reference/sampler-notes.md).
func isCompileStack(cs *profile.ColdStart, stack []int) (importer string, ok bool) {
	getCode := -1
	for i, fi := range stack {
		f := cs.Frames[fi]
		if !strings.Contains(f.File, "importlib._bootstrap_external") {
			continue
		}
		switch baseName(f) {
		case "get_code":
			getCode = i
		case "source_to_code":
			if getCode >= 0 {
				// The importer: the deepest frame outside importlib above get_code.
				for j := getCode - 1; j >= 0; j-- {
					if g := cs.Frames[stack[j]]; !isFrozenImportlib(g) {
						return frameName(g), true
					}
				}
				return "", true
			}
		}
	}
	return "", false
}

// importSite is where a Python sample stands relative to the deepest import
// on its stack: importer is the index of the frame that issued it (the
// deepest frame outside importlib above the deepest _find_and_load), -1
// when the sample is not inside an import; machinery is set when the
// sample is in the import system's own work for that import (finding,
// reading, compiling the module), not in the module's body, in an
// extension module's initialisation, or in loading bytecode; native is set
// for those two, C work that holds the GIL as a compile does.
type importSite struct {
	importer          int
	machinery, native bool
}

func importSiteOf(cs *profile.ColdStart, stack []int) importSite {
	d := -1
	for i, fi := range stack {
		if f := cs.Frames[fi]; baseName(f) == "_find_and_load" && isFrozenImportlib(f) {
			d = i
		}
	}
	site := importSite{importer: -1}
	if d < 0 {
		return site
	}
	for j := d - 1; j >= 0; j-- {
		if !isFrozenImportlib(cs.Frames[stack[j]]) {
			site.importer = j
			break
		}
	}
	site.machinery = true
	for k := d + 1; k < len(stack); k++ {
		f := cs.Frames[stack[k]]
		if !isFrozenImportlib(f) {
			return importSite{importer: site.importer} // a module body, or an import hook's own code
		}
		switch baseName(f) {
		case "create_module", "_compile_bytecode", "_classify_pyc", "_validate_timestamp_pyc", "_validate_hash_pyc":
			// An extension module's C initialisation, or bytecode being loaded.
			return importSite{importer: site.importer, native: true}
		case "exec_module":
			// A source module's exec_module runs its body (a <module> frame
			// below); with _call_with_frames_removed as the leaf it is an
			// extension module's exec_dynamic, or the body about to start.
			if k+2 == len(stack) && baseName(cs.Frames[stack[k+1]]) == "_call_with_frames_removed" {
				return importSite{importer: site.importer, native: true}
			}
		}
	}
	return site
}

// sameImportSequence reports whether prev (the sample before one in the
// import machinery of stack's importer at index importer) was inside an
// import that the same importer issued: then the wall time between the two
// samples passed inside that importer's run of imports. Not when prev was
// in an extension module's initialisation or a bytecode load: the time
// after it may be that C work's, not a compile's.
func sameImportSequence(cs *profile.ColdStart, prev []int, prevSite importSite, stack []int, importer int) bool {
	if prevSite.native || len(prev) <= importer+1 || prev[importer] != stack[importer] {
		return false
	}
	for _, fi := range prev[importer+1:] {
		if f := cs.Frames[fi]; baseName(f) == "_find_and_load" && isFrozenImportlib(f) {
			return true
		}
	}
	return false
}

// bytecodeFindings fires when Python compiled source at import: the
// package ships no bytecode, and Lambda's code directory is read-only, so
// every cold start compiles it again.
//
// Samples in compile stacks alone undercount compiling badly: for a
// package of 120 generated modules they read 21–95 % of the difference
// compileall makes (less on a quieter machine, where compiles are short).
// compile() is C and holds the GIL. The sampler's thread (COLDPROF_SAMPLER_TICK
// =thread), waking during a compile, asks for the GIL to be dropped only
// after waiting the switch interval (5 ms); a compile that outlasts that
// hands the GIL over at the first check after compile() returns (a compile
// stack, weighing the compile), but a shorter one runs on to the next
// blocking call, usually a stat in the next import's find_spec, whose
// sample then carries the compile's time. A signal tick (the default with
// the proxy) is handled at the first bytecode after compile() returns, in
// the compiling import's frames; ticks missed meanwhile are one sample. So the estimate is the wall time of every sample in the
// import machinery (finding, reading, compiling; not module bodies,
// extension modules or bytecode loads) of the imports issued by a module or
// function whose imports were seen compiling, counted when it is a compile
// or the sample before it was inside an import of the same importer (the
// time between them passed inside its run of imports). That reads 89–106 %
// of the difference for the same package on Python 3.8 to 3.13
// (cmd/coldprof's TestRunBytecodeCompileFinding). What finding and reading
// the files still costs with bytecode is counted too, a slight overcount
// (2–8 % there). Samples of the runtime's own imports (outside the
// handler module's import) are not the function's and are left out.
func bytecodeFindings(cs *profile.ColdStart) []Finding {
	var total, initTotal, compiling int64 // compiling: in compile stacks alone
	n := 0
	byImporter := map[string]int64{}
	// The importers whose imports compile: the frame index of the importer.
	compilers := map[int]string{}
	sites := make([]importSite, len(cs.Samples))
	compiles := make([]bool, len(cs.Samples))
	for i, s := range cs.Samples {
		sites[i] = importSite{importer: -1}
		st := stackOf(cs, s)
		if st == nil {
			continue
		}
		sites[i] = importSiteOf(cs, st)
		if s.Phase == profile.PhaseRuntime {
			continue
		}
		importer, ok := isCompileStack(cs, st)
		if !ok {
			continue
		}
		compiles[i] = true
		n++
		compiling += s.WeightUs
		if imp := sites[i].importer; imp >= 0 {
			compilers[st[imp]] = importer
		}
	}
	if n < bytecodeMinSamples {
		return nil
	}
	var prev []int
	prevSite := importSite{importer: -1}
	for i, s := range cs.Samples {
		st := stackOf(cs, s)
		site := sites[i]
		before, beforeSite := prev, prevSite
		prev, prevSite = st, site
		var name string
		switch {
		case compiles[i]:
			name, _ = isCompileStack(cs, st)
		case site.machinery && site.importer >= 0 && s.Phase != profile.PhaseRuntime:
			var ok bool
			if name, ok = compilers[st[site.importer]]; !ok || !sameImportSequence(cs, before, beforeSite, st, site.importer) {
				continue
			}
		default:
			continue
		}
		total += s.WeightUs
		if s.Phase != profile.PhaseInvoke {
			initTotal += s.WeightUs
		}
		byImporter[name] += s.WeightUs
	}
	if total < bytecodeMinUs {
		return nil
	}
	f := Finding{
		ID:        FindingBytecodeCompile,
		Title:     fmt.Sprintf("Python compiles source at import for about %s: the package ships no bytecode", formatMs(total)),
		SavingsUs: us(total),
		Basis:     BasisEstimate,
		Evidence: []string{
			fmt.Sprintf("%s in importlib's get_code → source_to_code (compiling source), %s in those stacks alone", plural(n, "sample"), formatMs(compiling)),
			fmt.Sprintf("the import system's work in the imports of the modules seen compiling: %s before the first invoke, %s in invocations", formatMs(initTotal), formatMs(total-initTotal)),
		},
		Action: "Compile in the build and ship the __pycache__ directories: python -m compileall -q . (with the Python version the function runs on) " +
			"before zipping, and do not set PYTHONDONTWRITEBYTECODE for the build. Lambda's code directory is read-only, so without them every cold start compiles again.",
		Method: samplingMethod(cs, n) + ". compile() holds the GIL, so a compile's time often lands on the sample after it (the next import's file lookup): " +
			"the estimate is the sampled wall time of the import system's own work (finding, reading, compiling; not module bodies) in the imports of every module seen compiling, " +
			"between samples inside those imports; it includes what finding and reading the files would still cost with bytecode, a few per cent",
		Unseen: samplerUnseen(cs),
	}
	type imp struct {
		name string
		us   int64
	}
	var list []imp
	for k, v := range byImporter {
		list = append(list, imp{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].us != list[j].us {
			return list[i].us > list[j].us
		}
		return list[i].name < list[j].name
	})
	for i, l := range list {
		if i == 5 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%d more importers", len(list)-5))
			break
		}
		name := l.name
		if name == "" {
			name = "(importlib only)"
		} else {
			f.Functions = append(f.Functions, l.name)
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("imported from %s: %s compiling", name, formatMs(l.us)))
	}
	return []Finding{f}
}

// ---- init-code-hotspot ----

// hotspotFindings names the functions outside imports that took most of
// init, by sampled wall time, each with its share of init.
func hotspotFindings(cs *profile.ColdStart) []Finding {
	init, what := initUs(cs)
	type fn struct {
		frame   int
		total   int64
		self    int64
		samples []int // indexes into cs.Samples
	}
	byFrame := map[int]*fn{}
	var considered int64
	for si, s := range cs.Samples {
		if s.Phase != profile.PhaseInit {
			continue
		}
		st := stackOf(cs, s)
		if len(st) == 0 || inImport(cs, st) {
			continue
		}
		body := functionBody(cs, st)
		if body < 0 {
			continue // the runtime's own work
		}
		considered += s.WeightUs
		seen := map[int]bool{}
		for _, fi := range st[body:] {
			if seen[fi] {
				continue // recursion counts once
			}
			seen[fi] = true
			f := byFrame[fi]
			if f == nil {
				f = &fn{frame: fi}
				byFrame[fi] = f
			}
			f.total += s.WeightUs
			f.samples = append(f.samples, si)
		}
		byFrame[st[len(st)-1]].self += s.WeightUs
	}
	if len(byFrame) == 0 {
		return nil
	}
	base := init
	if base <= 0 {
		base, what = considered, "the sampled init time outside imports"
	}
	var cands []*fn
	for _, f := range byFrame {
		fr := cs.Frames[f.frame]
		// Module bodies and the import system hold everything below them;
		// they are where the work is called from, not the work.
		if baseName(fr) == "<module>" || isFrozenImportlib(fr) || strings.HasPrefix(fr.File, "node:internal") || fr.Function == "(root)" || fr.Function == "(program)" || fr.Function == "(idle)" {
			continue
		}
		cands = append(cands, f)
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].total != cands[j].total {
			return cands[i].total > cands[j].total
		}
		return frameName(cs.Frames[cands[i].frame]) < frameName(cs.Frames[cands[j].frame])
	})
	covered := map[int]bool{} // samples under a function already named
	var out []Finding
	for _, c := range cands {
		if len(out) == hotspotMax || c.total < hotspotMinUs || float64(c.total) < hotspotMinShare*float64(base) {
			break
		}
		var inCovered int64
		for _, si := range c.samples {
			if covered[si] {
				inCovered += cs.Samples[si].WeightUs
			}
		}
		if float64(inCovered) >= 0.5*float64(c.total) {
			continue // the same work as a function already named, seen from another depth
		}
		for _, si := range c.samples {
			covered[si] = true
		}
		name := frameName(cs.Frames[c.frame])
		f := Finding{
			ID:        FindingCodeHotspot,
			Title:     fmt.Sprintf("%s runs for about %s of init (%s of %s), outside imports", cs.Frames[c.frame].Function, formatMs(c.total), percent(c.total, base), what),
			SavingsUs: us(c.total),
			Basis:     BasisEstimate,
			Evidence: []string{
				fmt.Sprintf("%s: %s total, %s self, in %s", name, formatMs(c.total), formatMs(c.self), plural(len(c.samples), "init sample")),
			},
			Action: "Look at what this call does at init. If the function does not need its result to start, defer it to first use; " +
				"if every request needs it (an SDK client, a connection), keeping it at init lets later requests reuse it, " +
				"and provisioned concurrency or SnapStart pay it before any request. The saving is at most this time.",
			Method:    samplingMethod(cs, len(c.samples)),
			Unseen:    samplerUnseen(cs),
			Functions: []string{name},
		}
		out = append(out, f)
	}
	return out
}

// ---- network-in-init ----

// pythonWaitingCalls are the functions of Python's socket and ssl modules
// that wait on the network: connecting, resolving, the TLS handshake,
// reading and writing. Building an SSLContext or loading certificates is
// CPU work in the same modules and must not read as waiting.
var pythonWaitingCalls = map[string]bool{
	"create_connection": true, "getaddrinfo": true, "gethostbyname": true, "gethostbyname_ex": true,
	"connect": true, "connect_ex": true, "_real_connect": true, "accept": true, "do_handshake": true,
	"recv": true, "recv_into": true, "recvfrom": true, "readinto": true, "read": true,
	"send": true, "sendall": true, "write": true,
}

// isNetworkFrame reports whether a frame is a socket, TLS or DNS call:
// the waiting calls of Python's socket and ssl modules and the resolver
// functions, Node.js's net, tls and dns modules.
func isNetworkFrame(f profile.Frame) bool {
	if baseName(f) == "<module>" {
		return false // importing socket or ssl is not waiting on the network
	}
	base := path.Base(f.File)
	switch {
	case base == "socket.py" || base == "ssl.py":
		return pythonWaitingCalls[baseName(f)]
	case strings.HasPrefix(f.File, "node:net") || strings.HasPrefix(f.File, "node:tls") || strings.HasPrefix(f.File, "node:dns") ||
		strings.HasPrefix(f.File, "node:internal/dns"):
		return true
	}
	switch baseName(f) {
	case "getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection":
		return true
	}
	return false
}

// isStdlib reports whether a Python frame is the standard library's, so a
// finding can name the function's own call that led to the network.
func isStdlib(f profile.Frame) bool {
	return (strings.Contains(f.File, "/lib/python3") && !strings.Contains(f.File, "-packages/")) ||
		strings.HasPrefix(f.File, "<frozen") || strings.HasPrefix(f.File, "node:")
}

// networkFindings fires when init waits on sockets, TLS or DNS.
func networkFindings(cs *profile.ColdStart) []Finding {
	var total int64
	n := 0
	calls := map[string]int64{}
	var callOrder []string
	for _, s := range cs.Samples {
		if s.Phase == profile.PhaseInvoke {
			continue
		}
		st := stackOf(cs, s)
		body := functionBody(cs, st)
		if body < 0 {
			continue // the runtime's own calls (its wait for the first event)
		}
		first := -1
		for i := body; i < len(st); i++ {
			fi := st[i]
			if isNetworkFrame(cs.Frames[fi]) {
				first = i
				break
			}
		}
		if first < 0 {
			continue
		}
		n++
		total += s.WeightUs
		call := frameName(cs.Frames[st[first]])
		for j := first - 1; j >= 0; j-- {
			if g := cs.Frames[st[j]]; !isStdlib(g) {
				call = frameName(g) + " → " + cs.Frames[st[first]].Function
				break
			}
		}
		if _, ok := calls[call]; !ok {
			callOrder = append(callOrder, call)
		}
		calls[call] += s.WeightUs
	}
	if total < networkMinUs {
		return nil
	}
	sort.SliceStable(callOrder, func(i, j int) bool { return calls[callOrder[i]] > calls[callOrder[j]] })
	f := Finding{
		ID:        FindingNetworkInInit,
		Title:     fmt.Sprintf("init waits about %s on the network (sockets, TLS, DNS)", formatMs(total)),
		SavingsUs: us(total),
		Basis:     BasisEstimate,
		Action: "Check whether these calls must happen during init. Configuration or secrets fetched at start-up can be fetched at first use " +
			"(the first request waits instead) or cached; for provisioned concurrency and SnapStart, init runs before requests arrive. " +
			"Waiting on the network does not get faster with more memory.",
		Method: samplingMethod(cs, n),
		Unseen: append(samplerUnseen(cs), "waits the sampler cannot see on the main thread (Node.js's asynchronous I/O leaves no stack while it waits)"),
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("%s before the first invoke in socket, ssl or DNS frames", plural(n, "sample")))
	for i, c := range callOrder {
		if i == 5 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%d more calls", len(callOrder)-5))
			break
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s", c, formatMs(calls[c])))
		fn, _, _ := strings.Cut(c, " → ")
		f.Functions = append(f.Functions, fn)
	}
	return []Finding{f}
}
