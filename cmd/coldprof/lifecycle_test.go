package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldprof/coldprof/report"
)

// lifecycleLogs are the logs of testdata/lifecycle (its README says where
// each comes from), with what the JSON report must say about each: the
// init type, whether it is a restore, its Restore Duration, the request IDs
// of its invocations (for the captured runs, those of their invoke_start
// markers) and its boundary.
var lifecycleLogs = []struct {
	file, initType string
	restored       bool
	restoreMs      float64 // 0: null
	ids            []string
	boundary       string
}{
	{"snapstart-snapshot.log", "snap-start", false, 0, nil, "exact"},
	{"snapstart-restore.log", "snap-start", true, 511.25, []string{"5e1f0c2a-7b3d-4c8e-9f10-2a3b4c5d6e7f", "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}, "exact"},
	{"jsonlog-snapstart-restore.log", "snap-start", true, 511.25, []string{"5e1f0c2a-7b3d-4c8e-9f10-2a3b4c5d6e7f"}, "exact"},
	{"provisioned.log", "provisioned-concurrency", false, 0, []string{"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"}, "exact"},
	{"provisioned-unmarked.log", "", false, 0, []string{"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"}, "platform"},
	{"jsonlog-provisioned.log", "provisioned-concurrency", false, 0, []string{"7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"}, "platform"},
	{"init-timeout.log", "on-demand", false, 0, []string{"9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a"}, "unknown"},
	{"early-start.log", "on-demand", false, 0, []string{"55555555-eeee-4fff-8aaa-000000000005"}, "exact"},
	{"rie-start-id-wrapped.log", "", false, 0, []string{"22222222-bbbb-4ccc-8ddd-000000000002", "44444444-dddd-4eee-8fff-000000000004"}, "exact"},
	{"rie-start-id-plain.log", "", false, 0, []string{"22222222-bbbb-4ccc-8ddd-000000000002", "33333333-cccc-4ddd-8eee-000000000003"}, "unknown"},
	{"rie-node-cjs.log", "", false, 0, []string{"f34ee56d-c67e-4eaa-92b5-0d8e0c2185c9", "c3521b51-3496-4cc7-b73d-bd7100cf4c2f"}, "exact"},
	{"rie-node-esm.log", "", false, 0, []string{"c2eb6c30-9778-4c0f-b1c4-dba628217704", "6b0bf759-3886-4569-b85a-946f638acf9d"}, "exact"},
	{"rie-python.log", "", false, 0, []string{"4e1e03fc-c3be-4f71-873e-7a80c511562b", "cd665de2-7f23-46e8-88c6-22773374d92c"}, "exact"},
}

// TestLifecycleReports renders every lifecycle log in the table, Markdown
// and JSON formats against goldens, and checks the JSON's lifecycle fields.
func TestLifecycleReports(t *testing.T) {
	for _, tt := range lifecycleLogs {
		t.Run(tt.file, func(t *testing.T) {
			in := filepath.Join("..", "..", "testdata", "lifecycle", tt.file)
			name := strings.TrimSuffix(tt.file, ".log")
			for _, format := range []string{"table", "markdown", "json"} {
				var stdout, stderr bytes.Buffer
				if code := run(strings.NewReader(""), &stdout, &stderr, []string{"report", "--top", "3", "--format", format, in}); code != 0 {
					t.Fatalf("%s: exit status %d: %s", format, code, stderr.String())
				}
				golden(t, filepath.Join("testdata", "lifecycle", name+"."+format), stdout.Bytes())
				if format != "json" {
					continue
				}
				var rep report.JSONReport
				if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
					t.Fatal(err)
				}
				if len(rep.ColdStarts) != 1 {
					t.Fatalf("%d cold starts, want 1", len(rep.ColdStarts))
				}
				cs := rep.ColdStarts[0]
				if got := deref(cs.InitializationType); got != tt.initType {
					t.Errorf("initializationType %q, want %q", got, tt.initType)
				}
				if cs.Restored != tt.restored || cs.Boundary != tt.boundary {
					t.Errorf("restored %v boundary %s, want %v %s", cs.Restored, cs.Boundary, tt.restored, tt.boundary)
				}
				switch {
				case tt.restoreMs == 0 && cs.RestoreDurationMs != nil:
					t.Errorf("restoreDurationMs %v, want null", *cs.RestoreDurationMs)
				case tt.restoreMs != 0 && (cs.RestoreDurationMs == nil || *cs.RestoreDurationMs != tt.restoreMs):
					t.Errorf("restoreDurationMs %v, want %v", cs.RestoreDurationMs, tt.restoreMs)
				}
				var ids []string
				for _, inv := range cs.Invocations {
					ids = append(ids, inv.RequestID)
				}
				if strings.Join(ids, " ") != strings.Join(tt.ids, " ") {
					t.Errorf("invocations %q, want %q", ids, tt.ids)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
