package insights

import (
	"strings"
	"testing"
)

// ReadResults never panics, and a row it returns always has a module name.
func FuzzReadResults(f *testing.F) {
	for _, seed := range []string{
		`{"results": [[{"field": "module", "value": "boto3"}, {"field": "cold_starts", "value": "3"}, {"field": "self_p50_us", "value": "1.5"}, {"field": "self_p90_us", "value": "2"}, {"field": "self_max_us", "value": "3"}, {"field": "cumulative_p50_us", "value": "10"}, {"field": "cumulative_p90_us", "value": "20"}, {"field": "cumulative_max_us", "value": "30"}]], "status": "Complete"}`,
		`{"results": [], "status": "Running"}`,
		`{"results": [[{"field": "module"}]]}`,
		`{"events": []}`,
		`[1, 2]`,
		``,
		`{"results": [[{"field": "self_p50_us", "value": "NaN"}]]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		rows, err := ReadResults(strings.NewReader(doc))
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Name == "" || r.ColdStarts < 0 {
				t.Errorf("row %+v", r)
			}
		}
	})
}

func TestQuery(t *testing.T) {
	q := Query(25)
	if !strings.Contains(q, "| parse @message /"+Pattern+"/\n") || !strings.HasSuffix(q, "| limit 25") {
		t.Errorf("query:\n%s", q)
	}
}
