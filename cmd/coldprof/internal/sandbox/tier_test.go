package sandbox

import (
	"os"
	"testing"
)

// fullTier skips t unless the full test tier runs (COLDPROF_TEST=full, as .ci/run does):
// tests that start real interpreters, browsers or builds stay out of the quick default run.
func fullTier(t testing.TB) {
	t.Helper()
	if os.Getenv("COLDPROF_TEST") != "full" {
		t.Skip("full tier only: run with COLDPROF_TEST=full")
	}
}
