package report

import (
	"fmt"
	"slices"
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
	// kept is every keptEvery-th firing's finding, oldest first: every
	// firing up to maxKeptFindings, then an evenly spaced sample of them
	// all (not the first ones), so memory stays bounded.
	kept      []Finding
	keptEvery int
	savings   []int64 // every firing's saving, where it had one
	inits     []int64 // every firing's InitUs (0 if none), where it had no saving
	fired     int     // cold starts it fired in
}

// maxKeptFindings bounds the findings a group keeps to show one of them.
const maxKeptFindings = 1000

// keep adds f, the group's firing number g.fired-1, to the sample.
func (g *findingGroup) keep(f Finding) {
	if g.keptEvery == 0 {
		g.keptEvery = 1
	}
	if (g.fired-1)%g.keptEvery != 0 {
		return
	}
	if len(g.kept) == maxKeptFindings {
		// Keep every other one (firings 0, 2k, 4k, …) and sample half as often.
		for i := 0; 2*i < len(g.kept); i++ {
			g.kept[i] = g.kept[2*i]
		}
		clear(g.kept[(len(g.kept)+1)/2:])
		g.kept = g.kept[:(len(g.kept)+1)/2]
		g.keptEvery *= 2
		if (g.fired-1)%g.keptEvery != 0 {
			return
		}
	}
	g.kept = append(g.kept, f)
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
		g.keep(f)
		if f.SavingsUs != nil {
			g.savings = append(g.savings, *f.SavingsUs)
		} else {
			g.inits = append(g.inits, initUsOf(f))
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
// start's finding whose saving is the median (without savings: whose init
// is the median), its saving that median, its evidence led by how many
// cold starts it fired in. Past maxKeptFindings firings the finding shown
// is the kept one nearest the median, and its evidence says so when it is
// not the median one.
func (a *FindingsAggregate) Findings() []Finding {
	out := []Finding{}
	for _, key := range a.order {
		g := a.groups[key]
		var rep Finding
		if len(g.savings) > 0 {
			med, lo, hi := medianMinMax(g.savings)
			rep = nearestKept(g.kept, med, func(f Finding) (int64, bool) {
				if f.SavingsUs == nil {
					return 0, false
				}
				return *f.SavingsUs, true
			})
			fired := fmt.Sprintf("fired in %d of %d cold starts; saving median %s, min %s, max %s",
				len(g.savings), a.coldStarts, formatMs(med), formatMs(lo), formatMs(hi))
			switch {
			case rep.SavingsUs == nil: // only in a group that mixes findings with and without savings
				fired += "; shown for a cold start where it had no saving"
			case *rep.SavingsUs != med:
				fired += fmt.Sprintf("; shown for the cold start whose saving, %s, is the nearest to the median of %d kept across them", formatMs(*rep.SavingsUs), len(g.kept))
			}
			rep.SavingsUs = us(med)
			rep.Evidence = append([]string{fired}, rep.Evidence...)
		} else {
			med, _, _ := medianMinMax(g.inits)
			rep = nearestKept(g.kept, med, func(f Finding) (int64, bool) { return initUsOf(f), true })
			shown := "shown for the median one"
			if own := initUsOf(rep); own != med {
				shown = fmt.Sprintf("shown for the one whose init, %s, is the nearest to the median, %s, of %d kept across them", formatMs(own), formatMs(med), len(g.kept))
			}
			rep.Evidence = append([]string{fmt.Sprintf("fired in %d of %d cold starts; %s", g.fired, a.coldStarts, shown)}, rep.Evidence...)
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

// initUsOf is f's InitUs, 0 without one.
func initUsOf(f Finding) int64 {
	if f.InitUs == nil {
		return 0
	}
	return *f.InitUs
}

// medianMinMax returns the lower median (nearest rank), min and max of vs,
// which must not be empty.
func medianMinMax(vs []int64) (med, lo, hi int64) {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/2], sorted[0], sorted[len(sorted)-1]
}

// nearestKept returns the first of kept whose value is nearest med;
// findings without a value are passed over unless none has one.
func nearestKept(kept []Finding, med int64, value func(Finding) (int64, bool)) Finding {
	best, bestDist := -1, int64(0)
	for i, f := range kept {
		v, ok := value(f)
		if !ok {
			continue
		}
		d := v - med
		if d < 0 {
			d = -d
		}
		if best < 0 || d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		return kept[0]
	}
	return kept[best]
}
