package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coldprof/coldprof/profile"
)

// The -update flag rewrites golden files. Another test file of the package
// may define it too, so define it only when it is not there yet (package
// variables are initialised before init functions run).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updatingGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with the golden file, or rewrites it under -update.
// A missing golden reads as empty.
// On a mismatch it leaves got beside the golden as NAME.got-stdout (git ignores it).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updatingGoldens() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if string(want) != string(got) {
		os.WriteFile(path+".got-stdout", got, 0o644)
		t.Errorf("%s differs from the output (written to %s.got-stdout; run go test -update to accept) (-want +got):\n%s", path, path, cmp.Diff(string(want), string(got)))
	}
}

// imp builds an import; children's cumulative times are part of cum.
func rptImport(name string, phase profile.Phase, self, cum int64, children ...*profile.Import) *profile.Import {
	return &profile.Import{Name: name, Phase: phase, SelfUs: self, CumulativeUs: cum, Children: children}
}

// sampleColdStart is a small Lambda-like cold start: the interpreter's
// start-up, the runtime client, the handler's global imports (boto3 pulling
// in botocore) and one handler-time import.
func rptSample() *profile.ColdStart {
	const (
		in = profile.PhaseInterpreter
		rt = profile.PhaseRuntime
		it = profile.PhaseInit
		iv = profile.PhaseInvoke
	)
	invoke := rptImport("requests", iv, 900, 4000,
		rptImport("urllib3", iv, 1500, 3100, rptImport("urllib3.util", iv, 1600, 1600)))
	invoke.RequestID = "8f5a-1"
	return &profile.ColdStart{
		ID:              "app.log#1",
		Runtime:         "python3.12",
		Handler:         "app.handler",
		Format:          profile.FormatPythonImporttime,
		InitDurationMs:  450.5,
		HasInitDuration: true,
		Boundary:        profile.BoundaryExact,
		Source:          "app.log",
		Line:            3,
		Invocations:     []profile.Invocation{{RequestID: "8f5a-1", DurationMs: 12}},
		Imports: []*profile.Import{
			rptImport("encodings", in, 800, 1500, rptImport("codecs", in, 700, 700)),
			rptImport("site", in, 1000, 1000),
			rptImport("awslambdaric", rt, 2000, 12000,
				rptImport("json", rt, 1000, 4000, rptImport("json.decoder", rt, 3000, 3000)),
				rptImport("http.client", rt, 6000, 6000)),
			rptImport("boto3", it, 5000, 200000,
				rptImport("botocore", it, 20000, 180000,
					rptImport("botocore.session", it, 60000, 150000,
						rptImport("botocore.client", it, 90000, 90000))),
				rptImport("boto3.session", it, 15000, 15000)),
			rptImport("numpy", it, 30000, 80000,
				rptImport("numpy.core", it, 50000, 50000)),
			invoke,
		},
	}
}
