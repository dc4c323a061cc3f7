package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox/runtimes"
	"github.com/coldprof/coldprof/wrapper/hooks"
)

// The runtimes besides Python that "coldprof run --runtime" runs with an
// embedded runtime client: --runtime nodejs, java or ruby, with or without a
// version (nodejs20.x, java17, ruby3.3); the interpreter is node, java or
// ruby on PATH and the version shown is the one it reports.

// langFamily returns the family of a --runtime value ("nodejs", "java",
// "ruby") and whether it is one of them.
func langFamily(runtime string) (string, bool) {
	for _, fam := range []string{"nodejs", "java", "ruby"} {
		if rest, ok := strings.CutPrefix(runtime, fam); ok && langVersionRE.MatchString(rest) {
			return fam, true
		}
	}
	return "", false
}

var langVersionRE = regexp.MustCompile(`^([0-9]+(\.[0-9x]+)*)?$`)

// planLangLaunch returns the command that runs the embedded runtime client
// of family under the wrapper (unless command is given) and the runtime
// label for AWS_EXECUTION_ENV ("nodejs20.x", "java17", "ruby3.3").
func planLangLaunch(ctx context.Context, family, handler string, command []string, tmp string) ([]string, string, error) {
	var interp string
	switch family {
	case "nodejs":
		interp = "node"
	default:
		interp = family
	}
	path, err := exec.LookPath(interp)
	if err != nil {
		return nil, "", fmt.Errorf("--runtime %s needs %s on PATH: %w", family, interp, err)
	}
	label, err := probeLang(ctx, family, path)
	if err != nil {
		return nil, "", err
	}
	if len(command) > 0 {
		return command, label, nil
	}
	switch family {
	case "nodejs":
		entry, err := runtimes.WriteNode(tmp)
		if err != nil {
			return nil, "", err
		}
		// Lambda's Node.js bootstrap passes these flags (reference 1.3).
		return []string{path, "--expose-gc", "--max-http-header-size", "81920", entry}, label, nil
	case "ruby":
		entry, err := runtimes.WriteRuby(tmp)
		if err != nil {
			return nil, "", err
		}
		return []string{path, entry}, label, nil
	default:
		javac, err := exec.LookPath("javac")
		if err != nil {
			return nil, "", fmt.Errorf("--runtime java compiles its runtime client with javac, not found on PATH: %w", err)
		}
		classes, err := runtimes.BuildJava(ctx, filepath.Join(tmp, "java"), javac)
		if err != nil {
			return nil, "", err
		}
		// The java17 runtime's shape: the handler is the last argument.
		return []string{path, "-XX:+UseSerialGC", "-Xshare:auto", "-classpath", classes, runtimes.JavaMainClass, handler}, label, nil
	}
}

var (
	javaVersionRE = regexp.MustCompile(`version "(1\.)?([0-9]+)`)
	dottedRE      = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)`)
)

// probeLang asks the interpreter its version and returns Lambda's runtime
// identifier for it.
func probeLang(ctx context.Context, family, path string) (string, error) {
	var args []string
	switch family {
	case "nodejs":
		args = []string{"--version"}
	case "ruby":
		args = []string{"-e", "print RUBY_VERSION"}
	default:
		args = []string{"-version"}
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "JAVA_TOOL_OPTIONS=", "NODE_OPTIONS=", "RUBYOPT=")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("running %s %s: %w: %s", path, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	text := strings.TrimSpace(out.String())
	switch family {
	case "java":
		if m := javaVersionRE.FindStringSubmatch(text); m != nil {
			return "java" + m[2], nil
		}
	case "nodejs":
		if m := dottedRE.FindStringSubmatch(text); m != nil {
			return "nodejs" + m[1] + ".x", nil
		}
	case "ruby":
		if m := dottedRE.FindStringSubmatch(text); m != nil {
			return "ruby" + m[1] + "." + m[2], nil
		}
	}
	return "", fmt.Errorf("%s: cannot tell its version from %q", path, text)
}

// hookEnv writes the require hooks embedded in coldprof into tmp and returns
// the variable that points the wrapper at them, unless the caller set one.
func hookEnv(tmp string) ([]string, error) {
	if os.Getenv(hooks.EnvHookDir) != "" {
		return nil, nil
	}
	dir := filepath.Join(tmp, "hooks")
	if err := hooks.WriteDir(dir); err != nil {
		return nil, err
	}
	return []string{hooks.EnvHookDir + "=" + dir}, nil
}
