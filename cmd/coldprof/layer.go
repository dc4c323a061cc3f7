package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coldprof/coldprof/layer"
)

const layerUsage = `Usage: coldprof layer build [--arch x86_64,arm64] [-o DIR] [--src DIR]

Builds coldprof's Lambda layer from source: one zip per architecture, with
coldprof-wrapper at the zip root (it lands at /opt/coldprof-wrapper) and the
runtime hooks under coldprof/ (/opt/coldprof/…). Two builds of the same source
with the same Go version are byte-identical. Needs a Go toolchain.

Prints each zip's path, size and SHA-256, and the AWS CLI commands that
publish the layer and attach it to a function.

Flags:
%s
Example:
  coldprof layer build -o dist
`

// attachScript is the example that attaches a published layer safely; the
// printed instructions point at it inside the source tree.
const attachScript = "layer/examples/cli/attach.sh"

func runLayer(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("layer build")
	archList := fs.String("arch", "x86_64,arm64", "architectures to build: x86_64, arm64 or both")
	outDir := fs.StringP("output", "o", "dist", "directory for the zips")
	srcDir := fs.String("src", "", "coldprof's source (default: the module around the current directory, else the module cache copy of this version)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return parseFlags(fs, layerUsage, args, stderr)
	}
	if len(args) == 0 {
		return usagef("layer needs a subcommand: coldprof layer build [flags]")
	}
	if args[0] != "build" {
		return usagef("unknown layer subcommand %q: the only one is build", args[0])
	}
	if err := parseFlags(fs, layerUsage, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("layer build takes no arguments, got %q", fs.Args())
	}
	arches, err := layer.ParseArches(*archList)
	if err != nil {
		return usagef("--arch: %v", err)
	}
	goCmd, err := layer.FindGo()
	if err != nil {
		return err
	}
	src := *srcDir
	if src == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		if src, err = layer.FindSource(cwd, goCmd); err != nil {
			return err
		}
	} else if found, err := layer.FindSource(src, ""); err != nil || found != absPath(src) {
		return fmt.Errorf("--src %s: not the root of %s (no go.mod declaring it)", src, layer.ModulePath)
	}
	results, err := layer.Build(context.Background(), layer.Options{
		SourceDir: src, GoCmd: goCmd, Arches: arches, OutDir: *outDir, Progress: stderr,
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, layerInstructions(results, src))
	return err
}

// layerInstructions is what layer build prints: each zip, then the commands
// that publish and attach it.
func layerInstructions(results []layer.Result, src string) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%-7s %s\n        %s  sha256 %s\n", r.Arch, r.Path, layer.FormatSize(r.Size), r.SHA256)
	}
	b.WriteString("\nPublish a zip as a layer version in your function's region (prints its ARN):\n\n")
	for _, r := range results {
		fmt.Fprintf(&b, "  aws lambda publish-layer-version --layer-name %s --description %s --compatible-architectures %s --zip-file %s --query LayerVersionArn --output text\n",
			r.Arch.LayerName(), shellQuote("coldprof wrapper "+coldprofVersion()), r.Arch, shellQuote("fileb://"+r.Path))
	}
	b.WriteString("\nAttach it to a function of the same architecture. update-function-configuration\n" +
		"replaces the whole layer list and the whole environment, so read, merge and\n" +
		"write them (this script does, keeps the function's other layers in order and\n" +
		"its variables byte-for-byte, and moves an existing AWS_LAMBDA_EXEC_WRAPPER to\n" +
		"COLDPROF_NEXT_WRAPPER):\n\n")
	fmt.Fprintf(&b, "  sh %s FUNCTION_NAME LAYER_VERSION_ARN\n", shellQuote(relToWorkingDir(filepath.Join(src, filepath.FromSlash(attachScript)))))
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

// absPath is p made absolute, or p itself if that fails.
func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
