package runtimes

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed ruby/bootstrap.rb ruby/coldprof_runtime.rb
var rubyFiles embed.FS

// WriteRuby writes the Ruby runtime client into dir and returns the path of
// its entry script: run it as "ruby ENTRY" with _HANDLER and LAMBDA_TASK_ROOT
// set, and dir as LAMBDA_RUNTIME_DIR so the require hook names the client's
// files (and what they require) /var/runtime/….
func WriteRuby(dir string) (string, error) {
	for _, name := range []string{"bootstrap.rb", "coldprof_runtime.rb"} {
		data, err := rubyFiles.ReadFile("ruby/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("writing the Ruby runtime client: %w", err)
		}
	}
	return filepath.Join(dir, "bootstrap.rb"), nil
}
