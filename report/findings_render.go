package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// findingsSection is the text and Markdown form of a list of findings: the
// report opens with it, before the tables.
func findingsSection(fs []Finding, level int, coldStarts int) section {
	s := section{title: "Findings", level: level}
	if len(fs) == 0 {
		s.notes = []string{"No rule found anything to act on in this log (coldprof findings fire only on evidence; see README.md, \"Findings\")."}
		return s
	}
	if coldStarts > 1 {
		s.notes = []string{fmt.Sprintf("Across %d cold starts: savings are medians over the cold starts where a finding fired.", coldStarts)}
	}
	for _, f := range fs {
		s.items = append(s.items, findingItem(f))
	}
	return s
}

func findingItem(f Finding) item {
	head := "[" + f.ID + "] " + f.Title
	it := item{head: head}
	saving := "unknown"
	if f.SavingsUs != nil {
		saving = "about " + formatMs(*f.SavingsUs)
		switch f.Basis {
		case BasisUpperBound:
			saving = "at most " + formatMs(*f.SavingsUs)
		case BasisMeasured:
			saving = formatMs(*f.SavingsUs)
		}
		if f.ID == FindingInvokeImports {
			saving += " on that request"
		} else {
			saving += " per cold start"
		}
	}
	if f.ID != FindingInitCost {
		it.details = append(it.details, fact{"saves", saving + " (" + string(f.Basis) + ")"})
	}
	if len(f.Evidence) > 0 {
		it.details = append(it.details, fact{"evidence", strings.Join(f.Evidence, "; ")})
	}
	if f.Method != "" {
		it.details = append(it.details, fact{"how", f.Method})
	}
	if len(f.Unseen) > 0 {
		it.details = append(it.details, fact{"not seen", strings.Join(f.Unseen, "; ")})
	}
	it.details = append(it.details, fact{"action", f.Action})
	return it
}

// A FindingsAggregate folds the findings of many cold starts into one
// list: each finding (by id and what it points at) with how often it fired
// and its median saving. It keeps findings, not cold starts.
type FindingsAggregate struct {
	opts       FindingOptions
	coldStarts int
	groups     map[string]*findingGroup
	order      []string
}

type findingGroup struct {
	all     []Finding
	savings []int64
	fired   int // cold starts it fired in; all keeps at most 1000 of them
}

// NewFindingsAggregate returns an empty aggregate that runs the rules with opts.
func NewFindingsAggregate(opts FindingOptions) *FindingsAggregate {
	return &FindingsAggregate{opts: opts, groups: map[string]*findingGroup{}}
}

// Add runs the rules over cs and folds in its findings; it returns them too.
func (a *FindingsAggregate) Add(cs *profile.ColdStart) []Finding {
	fs := Findings(cs, a.opts)
	a.AddFindings(fs)
	return fs
}

// AddFindings folds in the findings of one cold start.
func (a *FindingsAggregate) AddFindings(fs []Finding) {
	a.coldStarts++
	seen := map[string]bool{}
	for _, f := range fs {
		key := findingKey(f)
		if seen[key] {
			continue
		}
		seen[key] = true
		g := a.groups[key]
		if g == nil {
			g = &findingGroup{}
			a.groups[key] = g
			a.order = append(a.order, key)
		}
		g.fired++
		if len(g.all) < 1000 { // bounded: the median needs savings, the text needs one finding
			g.all = append(g.all, f)
		}
		if f.SavingsUs != nil {
			g.savings = append(g.savings, *f.SavingsUs)
		}
	}
}

// findingKey is what makes two cold starts' findings the same one: the
// rule alone for a rule that fires at most once per cold start (its
// evidence, such as which importers it ranks first, varies from one to the
// next), else the rule and the names it points at, in any order.
func findingKey(f Finding) string {
	switch f.ID {
	case FindingBytecodeCompile, FindingNetworkInInit, FindingNodeManyFiles, FindingJavaCDS, FindingInitCost:
		return f.ID
	}
	modules, functions := slices.Clone(f.Modules), slices.Clone(f.Functions)
	slices.Sort(modules)
	slices.Sort(functions)
	return f.ID + "\x00" + strings.Join(modules, ",") + "\x00" + strings.Join(functions, ",")
}

// Findings returns the aggregate's findings, ranked: each is the cold
// start's finding whose saving is the median, its saving that median, its
// evidence led by how many cold starts it fired in.
func (a *FindingsAggregate) Findings() []Finding {
	out := []Finding{}
	for _, key := range a.order {
		g := a.groups[key]
		rep := g.all[0]
		if len(g.savings) > 0 {
			sorted := append([]int64(nil), g.savings...)
			sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
			med := sorted[(len(sorted)-1)/2]
			for _, f := range g.all {
				if f.SavingsUs != nil && *f.SavingsUs == med {
					rep = f
					break
				}
			}
			rep.SavingsUs = us(med)
			fired := fmt.Sprintf("fired in %d of %d cold starts; saving median %s, min %s, max %s",
				len(g.savings), a.coldStarts, formatMs(med), formatMs(sorted[0]), formatMs(sorted[len(sorted)-1]))
			rep.Evidence = append([]string{fired}, rep.Evidence...)
		} else {
			byValue := append([]Finding(nil), g.all...)
			initOf := func(f Finding) int64 {
				if f.InitUs == nil {
					return 0
				}
				return *f.InitUs
			}
			sort.SliceStable(byValue, func(i, j int) bool { return initOf(byValue[i]) < initOf(byValue[j]) })
			rep = byValue[(len(byValue)-1)/2]
			rep.Evidence = append([]string{fmt.Sprintf("fired in %d of %d cold starts; shown for the median one", g.fired, a.coldStarts)}, rep.Evidence...)
		}
		if rep.ID == FindingInvokeImports && g.fired > 1 {
			// One request ID per cold start: the aggregate has many.
			rep.RequestID = nil
			rep.Title = fmt.Sprintf("a request spent %s importing %s in the handler (median of %d cold starts)",
				formatMs(*rep.SavingsUs), strings.Join(firstN(rep.Modules, 3), ", "), g.fired)
		}
		out = append(out, rep)
	}
	rankFindings(out)
	return out
}
