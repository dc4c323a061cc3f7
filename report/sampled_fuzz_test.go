package report

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/coldprof/coldprof/parsers"
)

// FuzzSampledReport feeds a log with sampler lines through the parsers and
// every report format: no panic, JSON that decodes, and init parts that are
// never negative and add up to their total.
func FuzzSampledReport(f *testing.F) {
	seed, err := os.ReadFile("../testdata/sampler/constructed-python.log")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("coldprof: {\"v\":1,\"ev\":\"start\",\"t\":5}\nimport time:        1 |          1 | site\n" +
		"coldprof-sampler: {\"v\":1,\"ev\":\"begin\",\"pid\":1,\"t\":1,\"lang\":\"python\",\"intervalUs\":1}\n" +
		"coldprof-sampler: {\"v\":1,\"ev\":\"frames\",\"pid\":1,\"first\":0,\"frames\":[[\"f\",\"\",0]]}\n" +
		"coldprof-sampler: {\"v\":1,\"ev\":\"stacks\",\"pid\":1,\"first\":0,\"stacks\":[[-1,0],[0,0]]}\n" +
		"coldprof-sampler: {\"v\":1,\"ev\":\"samples\",\"pid\":1,\"t\":3,\"s\":[[1,9],[0,0]]}\n" +
		"coldprof: {\"v\":1,\"ev\":\"init_done\",\"t\":2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsers.ReadAll(bytes.NewReader(data), "fuzz", parsers.Options{})
		if err != nil || len(p.ColdStarts) == 0 {
			return
		}
		if err := p.CheckValid(); err != nil {
			t.Fatal(err)
		}
		for _, cs := range p.ColdStarts {
			if parts := NewInitParts(cs); parts != nil {
				vals := parts.values()
				var sum int64
				for _, v := range vals {
					if v < 0 {
						t.Fatalf("negative part in %+v", parts)
					}
					sum += v
				}
				if sum != parts.TotalUs {
					t.Fatalf("parts %+v add up to %d, not %d", parts, sum, parts.TotalUs)
				}
			}
		}
		for _, format := range Formats {
			var out bytes.Buffer
			if err := Write(&out, ProfileSource(p), Options{Format: format}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == FormatJSON {
				var doc JSONReport
				if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
					t.Fatalf("JSON report does not decode: %v", err)
				}
			}
		}
		side := NewDiffSide("fuzz")
		for _, cs := range p.ColdStarts {
			side.Add(cs)
		}
		if err := WriteDiff(io.Discard, Compare(side, side), FormatTable, DiffOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
