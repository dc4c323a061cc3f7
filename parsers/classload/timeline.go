package classload

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// An Entry is one loaded class with the time attributed to it.
type Entry struct {
	Load
	// Line is the class-load line's number in the input (0 when unknown).
	Line int
	// Us is the time from this load to the next one, in microseconds: 0 for
	// the last class before a cut, or when the lines carry no time.
	Us int64
}

// Import returns the entry as a model import: a leaf whose self and
// cumulative times are both the attributed time, with its origin.
func (e Entry) Import() *profile.Import {
	return &profile.Import{Name: e.Class, SelfUs: e.Us, CumulativeUs: e.Us, Origin: e.Origin, Line: e.Line}
}

// A Timeline attributes time to one JVM's class loads, given in log order.
// The zero value is ready to use.
type Timeline struct {
	pending Entry
	has     bool
}

// Add takes the next load and returns the previous one, now that its time is
// known. A load whose uptime is smaller than the previous one's starts a new
// JVM: the previous class gets no time.
func (t *Timeline) Add(l Load, line int) (Entry, bool) {
	prev, ok := t.pending, t.has
	if ok && prev.HasTime && l.HasTime && l.UptimeNs >= prev.UptimeNs {
		prev.Us = (l.UptimeNs - prev.UptimeNs) / 1000
	}
	t.pending, t.has = Entry{Load: l, Line: line}, true
	return prev, ok
}

// Cut returns the pending class with no time after it: call it at a phase
// boundary (the time until the next load belongs to another phase) and at
// the end of the log.
func (t *Timeline) Cut() (Entry, bool) {
	prev, ok := t.pending, t.has
	t.pending, t.has = Entry{}, false
	return prev, ok
}

// A Group is a roll-up row: classes sharing a package or an origin.
type Group struct {
	Key   string
	Us    int64
	Count int
}

// ByPackage rolls the classes up by Java package ("java.util.concurrent"
// for "java.util.concurrent.ConcurrentHashMap$Node"; a hidden class counts
// under its host class's package; the default package is "").
// Groups are ordered by time, then count, then key.
func ByPackage(imports []*profile.Import) []Group {
	return rollUp(imports, func(imp *profile.Import) string { return profile.JavaPackage(imp.Name) })
}

// ByOrigin rolls the classes up by where they came from: a jar or class
// directory, a JDK module, OriginCDS for the shared archive.
func ByOrigin(imports []*profile.Import) []Group {
	return rollUp(imports, func(imp *profile.Import) string { return imp.Origin })
}

func rollUp(imports []*profile.Import, key func(*profile.Import) string) []Group {
	at := map[string]int{}
	groups := []Group{}
	for _, top := range imports {
		top.Walk(func(imp *profile.Import, _ int) bool {
			k := key(imp)
			i, ok := at[k]
			if !ok {
				i = len(groups)
				at[k] = i
				groups = append(groups, Group{Key: k})
			}
			groups[i].Us += imp.SelfUs
			groups[i].Count++
			return true
		})
	}
	slices.SortFunc(groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Us, a.Us), cmp.Compare(b.Count, a.Count), strings.Compare(a.Key, b.Key))
	})
	return groups
}

// CDS sums the classes served by the shared archive against all classes.
type CDS struct {
	Classes, TotalClasses int
	Us, TotalUs           int64
}

// SharedArchive returns how many classes (and how much attributed time) came
// from the JVM's shared archive.
func SharedArchive(imports []*profile.Import) CDS {
	var c CDS
	for _, top := range imports {
		top.Walk(func(imp *profile.Import, _ int) bool {
			c.TotalClasses++
			c.TotalUs += imp.SelfUs
			if imp.Origin == OriginCDS {
				c.Classes++
				c.Us += imp.SelfUs
			}
			return true
		})
	}
	return c
}

// maxLine bounds one log line; longer lines are reported and skipped.
const maxLine = 1 << 20

// ReadAll reads a whole class-load log (one JVM, or several run one after
// another) and returns its entries in log order, cutting the timeline at the
// end. Malformed class,load lines become warnings naming source and line.
// Only an I/O error is returned as an error.
func ReadAll(r io.Reader, source string) ([]Entry, []profile.Warning, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	var (
		tl       Timeline
		entries  []Entry
		warnings []profile.Warning
		n        int
	)
	for sc.Scan() {
		n++
		l, res := ParseLine(sc.Bytes())
		switch res {
		case Parsed:
			if e, ok := tl.Add(l, n); ok {
				entries = append(entries, e)
			}
		case Malformed:
			warnings = append(warnings, profile.Warning{Where: fmt.Sprintf("%s:%d", source, n), Message: "class,load line without a class name"})
		}
	}
	if e, ok := tl.Cut(); ok {
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return entries, warnings, fmt.Errorf("%s:%d: %w", source, n+1, err)
	}
	return entries, warnings, nil
}
