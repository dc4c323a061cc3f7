package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
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

func runLayer(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := cli.NewFlagSet("layer build")
	archList := fs.String("arch", "x86_64,arm64", "architectures to build: x86_64, arm64 or both")
	outDir := fs.StringP("output", "o", "dist", "directory for the zips")
	srcDir := fs.String("src", "", "coldprof's source (default: the module around the current directory, else the module cache copy of this version)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return cli.ParseFlags(fs, layerUsage, args, stderr)
	}
	if len(args) == 0 {
		return cli.Usagef("layer needs a subcommand: coldprof layer build [flags]")
	}
	if args[0] != "build" {
		return cli.Usagef("unknown layer subcommand %q: the only one is build", args[0])
	}
	if err := cli.ParseFlags(fs, layerUsage, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("layer build takes no arguments, got %q", fs.Args())
	}
	arches, err := layer.ParseArches(*archList)
	if err != nil {
		return cli.Usagef("--arch: %v", err)
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
	_, err = io.WriteString(stdout, layer.Instructions(results, src, "coldprof wrapper "+coldprofVersion()))
	return err
}

// absPath is p made absolute, or p itself if that fails.
func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}
