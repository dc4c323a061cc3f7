package report_test

import (
	"fmt"
	"os"

	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

// Analyze computes what the table and Markdown reports show; here the
// package roll-up of a cold start whose init imported boto3 (which pulled in
// botocore) and whose first request imported requests.
func ExampleAnalyze() {
	cs := &profile.ColdStart{
		ID:       "app.log#1",
		Boundary: profile.BoundaryExact,
		Imports: []*profile.Import{
			{Name: "boto3", Phase: profile.PhaseInit, SelfUs: 2000, CumulativeUs: 90000, Children: []*profile.Import{
				{Name: "botocore", Phase: profile.PhaseInit, SelfUs: 8000, CumulativeUs: 88000, Children: []*profile.Import{
					{Name: "botocore.session", Phase: profile.PhaseInit, SelfUs: 80000, CumulativeUs: 80000},
				}},
			}},
			{Name: "requests", Phase: profile.PhaseInvoke, RequestID: "8f5e", SelfUs: 3000, CumulativeUs: 3000},
		},
	}
	s := report.Analyze(cs, report.Options{})
	for _, p := range s.Packages {
		fmt.Printf("%-9s %-6s self %5d µs  cumulative %5d µs\n", p.Name, p.Phase, p.SelfUs, p.CumulativeUs)
	}
	fmt.Printf("before the first invoke: %d µs of %d µs\n", s.BeforeInvokeUs, s.TotalUs)
	// Output:
	// boto3     init   self  2000 µs  cumulative 90000 µs
	// botocore  init   self 88000 µs  cumulative 88000 µs
	// requests  invoke self  3000 µs  cumulative  3000 µs
	// before the first invoke: 90000 µs of 93000 µs
}

// Write renders cold starts read from any Source; ProfileSource serves a
// profile already in memory, the CLI serves parsed log files.
func ExampleWrite() {
	p := &profile.Profile{ColdStarts: []*profile.ColdStart{{
		ID:       "app.log#1",
		Boundary: profile.BoundaryUnknown,
		Imports:  []*profile.Import{{Name: "json", Phase: profile.PhaseInit, SelfUs: 900, CumulativeUs: 900}},
	}}}
	if err := report.Write(os.Stdout, report.ProfileSource(p), report.Options{Format: report.FormatJSON}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "schemaVersion": 1,
	//   "coldStarts": [
	//     {
	//       "id": "app.log#1",
	//       "runtime": null,
	//       "handler": null,
	//       "format": "",
	//       "initDurationMs": null,
	//       "boundary": "unknown",
	//       "initializationType": null,
	//       "restored": false,
	//       "restoreDurationMs": null,
	//       "billedRestoreDurationMs": null,
	//       "initReports": [],
	//       "invocations": [],
	//       "phases": {
	//         "interpreter": {
	//           "us": 0,
	//           "count": 0
	//         },
	//         "runtime": {
	//           "us": 0,
	//           "count": 0
	//         },
	//         "init": {
	//           "us": 900,
	//           "count": 1
	//         },
	//         "invoke": {
	//           "us": 0,
	//           "count": 0
	//         }
	//       },
	//       "imports": [
	//         {
	//           "name": "json",
	//           "selfUs": 900,
	//           "cumulativeUs": 900,
	//           "phase": "init",
	//           "requestId": null,
	//           "children": []
	//         }
	//       ],
	//       "findings": [],
	//       "initParts": null,
	//       "functions": [],
	//       "sampler": null
	//     }
	//   ],
	//   "warnings": []
	// }
}
