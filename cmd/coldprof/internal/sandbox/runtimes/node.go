package runtimes

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed node/index.mjs
var nodeFiles embed.FS

// WriteNode writes the Node.js runtime client into dir and returns the path
// of its entry script (the counterpart of Lambda's /var/runtime/index.mjs):
// run it as "node ENTRY" with _HANDLER and LAMBDA_TASK_ROOT set, and dir as
// LAMBDA_RUNTIME_DIR so the require hook names its files /var/runtime/….
func WriteNode(dir string) (string, error) {
	data, err := nodeFiles.ReadFile("node/index.mjs")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "index.mjs")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("writing the Node.js runtime client: %w", err)
	}
	return path, nil
}
