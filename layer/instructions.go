package layer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// attachScript is the example that attaches a published layer safely; the
// printed instructions point at it inside the source tree.
const attachScript = "layer/examples/cli/attach.sh"

// Instructions is what coldprof layer build prints: each zip, then the
// commands that publish it (with description) and attach it.
func Instructions(results []Result, src, description string) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%-7s %s\n        %s  sha256 %s\n", r.Arch, r.Path, FormatSize(r.Size), r.SHA256)
	}
	b.WriteString("\nPublish a zip as a layer version in your function's region (prints its ARN):\n\n")
	for _, r := range results {
		fmt.Fprintf(&b, "  aws lambda publish-layer-version --layer-name %s --description %s --compatible-architectures %s --zip-file %s --query LayerVersionArn --output text\n",
			r.Arch.LayerName(), ShellQuote(description), r.Arch, ShellQuote("fileb://"+r.Path))
	}
	b.WriteString("\nAttach it to a function of the same architecture. update-function-configuration\n" +
		"replaces the whole layer list and the whole environment, so read, merge and\n" +
		"write them (this script does, keeps the function's other layers in order and\n" +
		"its variables byte-for-byte, and moves an existing AWS_LAMBDA_EXEC_WRAPPER to\n" +
		"COLDPROF_NEXT_WRAPPER):\n\n")
	fmt.Fprintf(&b, "  sh %s FUNCTION_NAME LAYER_VERSION_ARN\n", ShellQuote(relToWorkingDir(filepath.Join(src, filepath.FromSlash(attachScript)))))
	b.WriteString("\nor let coldprof do the same through the AWS SDK (--dry-run shows the change first):\n\n" +
		"  coldprof enable --function FUNCTION_NAME --layer LAYER_VERSION_ARN\n")
	return b.String()
}

// relToWorkingDir shortens p to a path relative to the working directory when
// p lies inside it, so the printed command is the one a user in a clone types.
func relToWorkingDir(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
