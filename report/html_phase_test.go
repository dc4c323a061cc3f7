package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/profile"
)

// TestPhaseKeepsFindingsAndInitPartsAcrossFormats: --phase limits what the
// tables and charts show, never the findings or where init went, which are
// about the whole cold start. Text, JSON and HTML must agree on both for
// every phase.
func TestPhaseKeepsFindingsAndInitPartsAcrossFormats(t *testing.T) {
	for _, log := range []string{"constructed-python.log", "coldprof-run-python3.11.log"} {
		p := readSamplerLog(t, log)
		for _, phase := range append([]profile.Phase{""}, profile.Phases...) {
			t.Run(fmt.Sprintf("%s/phase=%q", log, phase), func(t *testing.T) {
				render := func(f Format) []byte {
					t.Helper()
					var out bytes.Buffer
					if err := Write(&out, ProfileSource(p), Options{Format: f, Phase: phase}); err != nil {
						t.Fatal(err)
					}
					return out.Bytes()
				}
				var js struct {
					ColdStarts []struct {
						ID        string         `json:"id"`
						Findings  []Finding      `json:"findings"`
						InitParts *JSONInitParts `json:"initParts"`
					} `json:"coldStarts"`
				}
				if err := json.Unmarshal(render(FormatJSON), &js); err != nil {
					t.Fatal(err)
				}
				m := regexp.MustCompile(`(?s)id="coldprof-data">(.*?)</script>`).FindSubmatch(render(FormatHTML))
				if m == nil {
					t.Fatal("no data block in the page")
				}
				var page htmlData
				if err := json.Unmarshal(m[1], &page); err != nil {
					t.Fatal(err)
				}
				text := string(render(FormatTable))
				flat := strings.Join(strings.Fields(text), " ") // findings wrap at the terminal's width
				if len(page.ColdStarts) != len(js.ColdStarts) || len(js.ColdStarts) == 0 {
					t.Fatalf("%d cold starts in the page, %d in JSON", len(page.ColdStarts), len(js.ColdStarts))
				}
				sawFinding, sawParts := false, false
				for i, want := range js.ColdStarts {
					got := page.ColdStarts[i]
					if !reflect.DeepEqual(got.Findings, want.Findings) {
						t.Errorf("%s: HTML findings %s, JSON %s", want.ID, findingsJSON(got.Findings), findingsJSON(want.Findings))
					}
					for _, f := range want.Findings {
						sawFinding = true
						if !strings.Contains(flat, strings.Join(strings.Fields("["+f.ID+"] "+f.Title), " ")) {
							t.Errorf("%s: text lacks the JSON finding [%s] %s", want.ID, f.ID, f.Title)
						}
					}
					if want.InitParts == nil {
						if got.Sampled != nil && len(got.Sampled.Parts) > 0 {
							t.Errorf("%s: HTML has init parts, JSON none", want.ID)
						}
						continue
					}
					sawParts = true
					values := []int64{want.InitParts.InterpreterUs, want.InitParts.RuntimeUs, want.InitParts.ImportsUs, want.InitParts.CodeUs, want.InitParts.UnexplainedUs}
					if got.Sampled == nil || len(got.Sampled.Parts) != len(values) {
						t.Errorf("%s: HTML init parts %v, JSON %+v", want.ID, got.Sampled, *want.InitParts)
						continue
					}
					for k, v := range values {
						// The page's JSON decodes numbers into float64.
						if name, us := got.Sampled.Parts[k][0], got.Sampled.Parts[k][1]; name != initPartNames[k] || us != float64(v) {
							t.Errorf("%s: HTML part %d is %v %v, JSON %s %d", want.ID, k, name, us, initPartNames[k], v)
						}
						line := textLineWith(text, "| "+initPartNames[k]+" ")
						if !strings.Contains(line, formatMs(v)) {
							t.Errorf("%s: text's %q line %q lacks JSON's %s", want.ID, initPartNames[k], line, formatMs(v))
						}
					}
				}
				if !sawFinding || !sawParts {
					t.Fatalf("%s has findings: %v, init parts: %v; the test needs both", log, sawFinding, sawParts)
				}
			})
		}
	}
}

func findingsJSON(fs []Finding) string {
	b, _ := json.Marshal(fs)
	return string(b)
}

// textLineWith is the first line of text that holds s, or "".
func textLineWith(text, s string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
