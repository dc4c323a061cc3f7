package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// imp builds an import whose cumulative time is its self time plus its
// children's, as CPython's importtime prints them.
func imp(name string, self int64, children ...*profile.Import) *profile.Import {
	cum := self
	for _, c := range children {
		cum += c.CumulativeUs
	}
	return &profile.Import{Name: name, SelfUs: self, CumulativeUs: cum, Children: children}
}

// inPhase sets the phase (and request ID) of a whole subtree.
func inPhase(p profile.Phase, requestID string, imps ...*profile.Import) []*profile.Import {
	for _, top := range imps {
		top.Walk(func(i *profile.Import, _ int) bool {
			i.Phase, i.RequestID = p, requestID
			return true
		})
	}
	return imps
}

// hostileName is a module name a log could carry that would break a page
// that trusted it.
const hostileName = "</script><img src=x onerror=\"document.body.dataset.pwned=1\">;evil\u2028&amp;"

// fixtureColdStart is a small Python-shaped cold start with all four
// phases, a duplicate name (json.decoder under json and under simplejson),
// a zero-time entry and a name a browser must not interpret.
func fixtureColdStart(id string, scale int64) *profile.ColdStart {
	var imports []*profile.Import
	imports = append(imports, inPhase(profile.PhaseInterpreter, "",
		imp("encodings", 900*scale, imp("codecs", 400*scale, imp("_codecs", 50*scale)), imp("encodings.aliases", 300*scale)),
		imp("site", 1200*scale, imp("os", 800*scale, imp("stat", 90*scale), imp("posixpath", 200*scale, imp("genericpath", 70*scale)))),
	)...)
	imports = append(imports, inPhase(profile.PhaseRuntime, "",
		imp("awslambdaric", 2000*scale,
			imp("json", 600*scale, imp("json.decoder", 500*scale, imp("json.scanner", 150*scale)), imp("json.encoder", 250*scale)),
			imp("awslambdaric.bootstrap", 3000*scale, imp("awslambdaric.lambda_runtime_client", 1500*scale))),
	)...)
	imports = append(imports, inPhase(profile.PhaseInit, "",
		imp("boto3", 4000*scale,
			imp("botocore", 9000*scale, imp("botocore.session", 12000*scale, imp("botocore.client", 8000*scale)), imp("botocore.vendored", 0)),
			imp("boto3.session", 3000*scale)),
		imp("simplejson", 700*scale, imp("json.decoder", 300*scale)),
		imp(hostileName, 100*scale),
	)...)
	imports = append(imports, inPhase(profile.PhaseInvoke, "req-1",
		imp("requests", 5000*scale, imp("urllib3", 6000*scale, imp("urllib3.util", 1000*scale)), imp("idna", 400*scale)),
	)...)
	return &profile.ColdStart{
		ID: id, Runtime: "python3.12", Handler: "app.handler", Format: profile.FormatPythonImporttime,
		Boundary: profile.BoundaryExact, Imports: imports,
		Invocations:    []profile.Invocation{{RequestID: "req-1", DurationMs: 3}},
		InitDurationMs: 120, HasInitDuration: true,
	}
}

func fixtureProfile(ids ...string) *profile.Profile {
	p := &profile.Profile{}
	for i, id := range ids {
		p.ColdStarts = append(p.ColdStarts, fixtureColdStart(id, int64(i+1)))
	}
	return p
}

// bigColdStart has n imports in a deep and wide tree, for the 10,000-node
// cases.
func bigColdStart(n int) *profile.ColdStart {
	cs := &profile.ColdStart{ID: "big", Boundary: profile.BoundaryHeuristic}
	made := 0
	var build func(depth int) *profile.Import
	build = func(depth int) *profile.Import {
		made++
		node := &profile.Import{Name: fmt.Sprintf("pkg%d.mod%d", depth, made), SelfUs: int64(made%97 + 1)}
		for k := 0; k < 4 && made < n && depth < 8; k++ {
			node.Children = append(node.Children, build(depth+1))
		}
		node.CumulativeUs = node.SelfUs
		for _, c := range node.Children {
			node.CumulativeUs += c.CumulativeUs
		}
		return node
	}
	for made < n {
		top := build(0)
		top.Walk(func(i *profile.Import, _ int) bool {
			i.Phase = profile.Phases[(len(cs.Imports)*len(profile.Phases))/max(1, n/200)%len(profile.Phases)]
			return true
		})
		cs.Imports = append(cs.Imports, top)
	}
	return cs
}

func countImports(cs *profile.ColdStart) int {
	n := 0
	cs.Walk(func(*profile.Import, int) bool { n++; return true })
	return n
}

func TestFixturesAreValid(t *testing.T) {
	p := fixtureProfile("a", "b")
	p.ColdStarts = append(p.ColdStarts, bigColdStart(10000))
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if n := countImports(p.ColdStarts[2]); n != 10000 {
		t.Errorf("big cold start has %d imports, want 10000", n)
	}
	if !strings.Contains(hostileName, "</script>") {
		t.Fatal("hostile name lost its teeth")
	}
}
