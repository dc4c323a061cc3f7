package runtimes

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed java/coldprof/runtime/AWSLambda.java
var javaFiles embed.FS

// JavaMainClass is the Java runtime client's main class. Run it as
// "java -cp CLASSES JavaMainClass HANDLER": like Lambda's java17 runtime, the
// handler is the last argument.
const JavaMainClass = "coldprof.runtime.AWSLambda"

// BuildJava writes the Java runtime client's source into dir and compiles it
// with javac (a path, or "" for javac on PATH), returning the class
// directory to put on the classpath. Compiling takes a second or two; it
// happens before the cold start begins.
func BuildJava(ctx context.Context, dir, javac string) (string, error) {
	if javac == "" {
		javac = "javac"
	}
	rel := "coldprof/runtime/AWSLambda.java"
	data, err := javaFiles.ReadFile("java/" + rel)
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "src", filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return "", fmt.Errorf("writing the Java runtime client: %w", err)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return "", fmt.Errorf("writing the Java runtime client: %w", err)
	}
	classes := filepath.Join(dir, "classes")
	var out bytes.Buffer
	// javac's own JVM stops at the first JIT tier and uses the serial
	// collector: for one small file that is about a quarter faster (the
	// optimising tier and parallel GC pay off only in long compilations).
	cmd := exec.CommandContext(ctx, javac, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-nowarn", "-d", classes, src)
	cmd.Stdout, cmd.Stderr = &out, &out
	// The JVM's own "Picked up JAVA_TOOL_OPTIONS" would land in javac's output.
	cmd.Env = withoutEnv(os.Environ(), "JAVA_TOOL_OPTIONS")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("compiling the Java runtime client with %s: %w: %s", javac, err, strings.TrimSpace(out.String()))
	}
	return classes, nil
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
