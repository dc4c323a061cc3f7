package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/profile"
)

// realProfile reads a log made by a real interpreter with the parsers.
func realProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := parsers.ReadAll(f, path, parsers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ColdStarts) == 0 {
		t.Fatalf("%s: no cold start", path)
	}
	return p
}

func writeHTMLFile(t *testing.T, p *profile.Profile) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "coldprof.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// TestWriteHTMLIsSelfContainedAndEscaped checks the page without a browser:
// nothing is loaded from elsewhere, and names from the log only appear
// inside the escaped JSON block, from which they decode unchanged.
func TestWriteHTMLIsSelfContainedAndEscaped(t *testing.T) {
	_, page := writeHTMLFile(t, fixtureProfile("a", "b"))
	// The SVG namespace is a name, not a place the page loads from.
	s := strings.ReplaceAll(string(page), "'http://www.w3.org/2000/svg'", "")
	if n := strings.Count(s, "<script"); n != 2 {
		t.Errorf("%d <script> tags, want 2 (the data block and the inline script)", n)
	}
	for _, bad := range []string{"<img", "href=", "http://", "@import", "url(", "\u2028", "\u2029"} {
		if strings.Contains(s, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="coldprof-data">(.*?)</script>`).FindStringSubmatch(s)
	if m == nil {
		t.Fatal("no data block")
	}
	var data htmlData
	if err := json.Unmarshal([]byte(m[1]), &data); err != nil {
		t.Fatalf("data block: %v", err)
	}
	if len(data.ColdStarts) != 2 || data.Aggregate == nil || data.Aggregate.ColdStarts != 2 {
		t.Fatalf("data has %d cold starts, aggregate %v", len(data.ColdStarts), data.Aggregate)
	}
	found := false
	for _, name := range data.ColdStarts[0].Strings {
		found = found || name == hostileName
	}
	if !found {
		t.Error("hostile name did not survive the JSON round trip")
	}
	if got, want := len(data.ColdStarts[0].Nodes)-countPhaseFrames(data.ColdStarts[0]), countImports(fixtureColdStart("a", 1)); got != want {
		t.Errorf("%d import nodes, want %d", got, want)
	}
}

// TestWriteHTMLChartsTheSlowest checks that a page of many cold starts
// charts only the slowest, in input order, and aggregates them all.
func TestWriteHTMLChartsTheSlowest(t *testing.T) {
	p := &profile.Profile{}
	for i := range htmlMaxColdStarts + 5 {
		// Scales 1..25 in a shuffled order: the 20 slowest are scales 6..25.
		scale := int64((i*7)%(htmlMaxColdStarts+5) + 1)
		p.ColdStarts = append(p.ColdStarts, fixtureColdStart(strconv.FormatInt(scale, 10), scale))
	}
	_, page := writeHTMLFile(t, p)
	m := regexp.MustCompile(`(?s)id="coldprof-data">(.*?)</script>`).FindSubmatch(page)
	var data htmlData
	if err := json.Unmarshal(m[1], &data); err != nil {
		t.Fatal(err)
	}
	if len(data.ColdStarts) != htmlMaxColdStarts || data.Omitted != 5 || data.Aggregate.ColdStarts != htmlMaxColdStarts+5 {
		t.Fatalf("%d charted, %d omitted, aggregate of %d", len(data.ColdStarts), data.Omitted, data.Aggregate.ColdStarts)
	}
	var want, got []string
	for _, cs := range p.ColdStarts {
		if scale, _ := strconv.Atoi(cs.ID); scale > 5 {
			want = append(want, cs.ID)
		}
	}
	for _, cs := range data.ColdStarts {
		got = append(got, cs.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("charted %v, want the slowest in input order %v", got, want)
	}
}

func countPhaseFrames(cs htmlColdStart) int {
	n := 0
	for _, node := range cs.Nodes {
		if node[1] < 0 {
			n++
		}
	}
	return n
}

// chromium finds Debian's chromium (or another Chrome) or fails the test
// (a full-tier one: CI installs chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("chromium not installed (apt-get install chromium)")
	return ""
}

// runChromium runs headless chromium with the flags that work on these
// machines and returns its stdout.
func runChromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,900", "--virtual-time-budget=10000"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return out
}

var selftestAttr = regexp.MustCompile(`data-selftest="([^"]*)"`)

func TestHTMLInChromium(t *testing.T) {
	fullTier(t)
	tests := []struct {
		name string
		p    *profile.Profile
		// view is the URL fragment the page opens with; wantView what the
		// page must have restored from it.
		view, wantView string
	}{
		{"one cold start", fixtureProfile("one"), "", "zoom=-1 q="},
		{"three cold starts", fixtureProfile("a", "b", "c"), "#cs=2&zoom=3&q=boto", "zoom=3 q=boto"},
		{"10000 imports", &profile.Profile{ColdStarts: []*profile.ColdStart{bigColdStart(10000)}}, "", ""},
		{"real boto3 numpy requests log", realProfile(t, "../testdata/python/lambda-boto3-numpy-requests.log"), "#q=%3C%2Fscript%3E", "zoom=-1 q=</script>"},
		{"no cold start", &profile.Profile{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := writeHTMLFile(t, tt.p)
			start := time.Now()
			dom := runChromium(t, "--dump-dom", "file://"+path+"?selftest"+tt.view)
			m := selftestAttr.FindSubmatch(dom)
			if m == nil {
				t.Fatalf("the page wrote no self-test verdict (a script error stopped it?); DOM starts:\n%.600s", dom)
			}
			verdict := string(m[1])
			t.Logf("verdict %q in %v", verdict, time.Since(start))
			if !strings.HasPrefix(verdict, "pass") {
				t.Fatalf("self-test: %s", verdict)
			}
			var want []string
			for _, cs := range tt.p.ColdStarts {
				want = append(want, strconv.Itoa(countImports(cs)))
			}
			if len(want) > 0 && !strings.Contains(verdict, "pass: "+strings.Join(want, ",")+" imports;") {
				t.Errorf("verdict %q, want element counts %v", verdict, want)
			}
			if tt.wantView != "" && !strings.Contains(html.UnescapeString(verdict), "restored "+tt.wantView) {
				t.Errorf("verdict %q, want the view %q restored from %q", verdict, tt.wantView, tt.view)
			}
		})
	}
}

// TestHTMLScreenshot renders the page and checks the picture has the
// phases' colours in it. Set COLDPROF_SCREENSHOT_DIR to keep the PNG.
func TestHTMLScreenshot(t *testing.T) {
	fullTier(t)
	path, _ := writeHTMLFile(t, fixtureProfile("first", "second"))
	dir := os.Getenv("COLDPROF_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot := filepath.Join(dir, "coldprof-html.png")
	runChromium(t, "--screenshot="+shot, "file://"+path)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	hues := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if name := phaseHue(img, x, y); name != "" {
				hues[name]++
			}
		}
	}
	for _, phase := range []string{"runtime", "init", "invoke"} {
		if hues[phase] < 200 {
			t.Errorf("screenshot has %d pixels of the %s colour, want a visible bar (all: %v)", hues[phase], phase, hues)
		}
	}
}

// phaseHue names the phase whose hue a saturated pixel has, or "".
func phaseHue(img image.Image, x, y int) string {
	r, g, b, _ := img.At(x, y).RGBA()
	rf, gf, bf := float64(r>>8), float64(g>>8), float64(b>>8)
	hi, lo := max(rf, gf, bf), min(rf, gf, bf)
	if hi-lo < 40 {
		return ""
	}
	var h float64
	switch hi {
	case rf:
		h = 60 * (gf - bf) / (hi - lo)
	case gf:
		h = 60*(bf-rf)/(hi-lo) + 120
	default:
		h = 60*(rf-gf)/(hi-lo) + 240
	}
	if h < 0 {
		h += 360
	}
	switch {
	case h >= 15 && h <= 40:
		return "init"
	case h >= 120 && h <= 150:
		return "invoke"
	case h >= 260 && h <= 290:
		return "runtime"
	}
	return ""
}
