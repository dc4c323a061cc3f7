package wrapper

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvJavaOptions replaces what is appended to JAVA_TOOL_OPTIONS.
const EnvJavaOptions = "COLDPROF_JAVA_OPTIONS"

// Class-load logging for the JVM. JDK 9+ gets unified logging on stderr with
// nanosecond uptime (package parsers/classload reads it; its Inject constant
// must stay equal, a test checks). JDK 8 refuses -Xlog and would not start;
// it gets -verbose:class ("[Loaded X from Y]" on stdout).
const (
	javaClassLoadLog     = "-Xlog:class+load=info:stderr:uptimenanos,level,tags"
	javaClassLoadVerbose = "-verbose:class"
)

// isJavaInterpreter accepts java.
func isJavaInterpreter(base string) bool { return base == "java" }

// injectJava appends class-load logging to JAVA_TOOL_OPTIONS, after what the
// user set. The JVM's argv is never touched: Java 17+ puts the handler last,
// and JAVA_TOOL_OPTIONS is read before any argument. The JVM prints its
// "Picked up JAVA_TOOL_OPTIONS: …" line to stderr; the parsers expect it.
//
// Which form is safe is decided from the JVM itself (its release file, or
// the version in its path), never from AWS_EXECUTION_ENV alone: JDK 9+ gets
// -Xlog to stderr; JDK 8 knows only -verbose:class, which Lambda's JDK 8
// runtime logs from stdout like stderr; a JVM whose version cannot be known
// is left alone (JDK 8 refuses -Xlog and would not start). A function that
// already sends class-load logging to stderr itself is left alone too: a
// second configuration of that output would change the user's own lines.
func injectJava(p *Plan, override []string) (string, error) {
	if override != nil && javaGCConflict(p, override) {
		p.Warnings = append(p.Warnings, EnvJavaOptions+" selects a garbage collector other than the one the function's JVM options select (the JVM would not start); using the default")
		override = nil
	}
	if override != nil {
		add := strings.Join(override, " ")
		appendEnv(p, "JAVA_TOOL_OPTIONS", " ", add)
		return "JAVA_TOOL_OPTIONS+=" + add, nil
	}
	if javaUserLogsToStderr(p) {
		return "", errors.New("the function's own JVM options already log to stderr with -Xlog; coldprof leaves the JVM's logging as it is")
	}
	add := javaClassLoadLog
	switch major := jvmMajor(lookPath(p.Argv[0], p.Env)); {
	case major == 0:
		return "", errors.New("cannot tell the JVM's version (no release file beside it, no version in its path); running it unchanged")
	case major < 9:
		add = javaClassLoadVerbose
	}
	appendEnv(p, "JAVA_TOOL_OPTIONS", " ", add)
	return "JAVA_TOOL_OPTIONS+=" + add, nil
}

// javaGCConflict reports whether adding override to JAVA_TOOL_OPTIONS would
// select a second garbage collector: the JVM refuses to start with two
// ("Multiple garbage collectors selected"), and Lambda's bootstrap passes
// -XX:+UseSerialGC itself. Options are taken in the JVM's order
// (JAVA_TOOL_OPTIONS, where the override goes last, JDK_JAVA_OPTIONS, argv,
// _JAVA_OPTIONS); the last +/- of a flag wins.
func javaGCConflict(p *Plan, override []string) bool {
	count := func(withOverride bool) int {
		selected := map[string]bool{}
		add := func(opts []string) {
			for _, o := range opts {
				on := strings.HasPrefix(o, "-XX:+")
				if !on && !strings.HasPrefix(o, "-XX:-") {
					continue
				}
				if gc, ok := javaCollectors[o[5:]]; ok {
					selected[gc] = on
				}
			}
		}
		tool, _ := p.Getenv("JAVA_TOOL_OPTIONS")
		add(strings.Fields(tool))
		if withOverride {
			add(override)
		}
		jdk, _ := p.Getenv("JDK_JAVA_OPTIONS")
		add(strings.Fields(jdk))
		add(p.Argv[1:])
		last, _ := p.Getenv("_JAVA_OPTIONS")
		add(strings.Fields(last))
		n := 0
		for _, on := range selected {
			if on {
				n++
			}
		}
		return n
	}
	return count(true) > 1 && count(false) <= 1
}

// javaCollectors maps the JVM's collector-selecting flags to the collector
// they select (the parallel old and ParNew flags pair with their partners).
var javaCollectors = map[string]string{
	"UseSerialGC": "serial", "UseParallelGC": "parallel", "UseParallelOldGC": "parallel",
	"UseG1GC": "g1", "UseZGC": "z", "UseShenandoahGC": "shenandoah", "UseEpsilonGC": "epsilon",
	"UseConcMarkSweepGC": "cms", "UseParNewGC": "cms",
}

// javaUserLogsToStderr reports whether the JVM options the function already
// has (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, _JAVA_OPTIONS, argv) configure an
// -Xlog output on stderr.
func javaUserLogsToStderr(p *Plan) bool {
	var opts []string
	for _, key := range []string{"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"} {
		v, _ := p.Getenv(key)
		opts = append(opts, strings.Fields(v)...)
	}
	opts = append(opts, p.Argv[1:]...)
	for _, o := range opts {
		if strings.HasPrefix(o, "-Xlog") && strings.Contains(o, ":stderr") {
			return true
		}
	}
	return false
}

// jvmMajor returns the Java feature version of the JVM at path (8, 17, 21),
// 0 when it cannot be known without running it. It reads JAVA_VERSION from
// the release file of the JDK or JRE the binary belongs to
// (<home>/bin/java, or a JDK 8's <home>/jre/bin/java), symlinks resolved
// (/usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/…/bin/java),
// then looks for the version in the path (java-17-amazon-corretto,
// jdk-21.0.2, jdk1.8.0_392), then at the layout (lib/modules: 9 or later;
// rt.jar: 8).
func jvmMajor(path string) int {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	bin := filepath.Dir(path)
	home := filepath.Dir(bin)
	for _, release := range []string{home + "/release", filepath.Dir(home) + "/release"} {
		if m := releaseMajor(release); m != 0 {
			return m
		}
	}
	if m := pathJavaMajor(path); m != 0 {
		return m
	}
	// The run-time image's own layout: JDK 9+ keeps its classes in
	// lib/modules (a jimage), JDK 8 in rt.jar.
	switch {
	case isRegularFile(home + "/lib/modules"):
		return 9
	case isRegularFile(home+"/lib/rt.jar") || isRegularFile(home+"/jre/lib/rt.jar"):
		return 8
	}
	return 0
}

// releaseMajor reads JAVA_VERSION="17.0.15" (or "1.8.0_392") from a JDK's
// release file; 0 when absent or unreadable. The file is small; reading is
// capped at 64 KiB.
func releaseMajor(release string) int {
	f, err := os.Open(release)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, buf)
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "JAVA_VERSION="); ok {
			return javaVersionMajor(strings.Trim(v, `"`))
		}
	}
	return 0
}

// javaVersionMajor maps "1.8.0_392" to 8 and "17.0.15", "21", "25-ea" to the
// leading number; 0 when it is not a version.
func javaVersionMajor(v string) int {
	if rest, ok := strings.CutPrefix(v, "1."); ok {
		v = rest
	}
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil || n < 5 || n > 1000 {
		return 0
	}
	return n
}

// pathJavaMajor finds a Java version in a JVM's path: a folder named
// java-17-…, java-1.8.0-…, jdk-21…, jdk1.8.0_…, jdk17, corretto-17…; 0 when
// none says.
func pathJavaMajor(path string) int {
	for _, dir := range strings.Split(path, "/") {
		for _, prefix := range []string{"java-", "jdk-", "jdk", "jre-", "jre", "corretto-", "amazon-corretto-"} {
			if rest, ok := strings.CutPrefix(dir, prefix); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				if m := javaVersionMajor(rest); m != 0 {
					return m
				}
			}
		}
	}
	return 0
}
