package wrapper

import (
	"strconv"
	"strings"
)

// EnvJavaOptions replaces what is appended to JAVA_TOOL_OPTIONS.
const EnvJavaOptions = "COLDPROF_JAVA_OPTIONS"

// Class-load logging for the JVM. JDK 9+ gets unified logging on stderr with
// nanosecond uptime (package parsers/classload reads it; its Inject constant
// must stay equal, a test checks). JDK 8 refuses -Xlog and would not start,
// so when the version is not known to be 9 or later -verbose:class is used:
// JDK 8 prints "[Loaded X from Y]", JDK 9+ the same class,load lines with
// millisecond uptime, both on stdout.
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
func injectJava(p *Plan, override string) (string, error) {
	add := strings.TrimSpace(override)
	if add == "" {
		add = javaClassLoadVerbose
		if javaMajor(p.Runtime) >= 9 {
			add = javaClassLoadLog
		}
	}
	appendEnv(p, "JAVA_TOOL_OPTIONS", " ", add)
	return "JAVA_TOOL_OPTIONS+=" + add, nil
}

// javaMajor returns the Java version of a runtime label ("java17" → 17,
// "java8.al2" → 8), 0 when it names none (a container image's "java").
func javaMajor(runtime string) int {
	rest, ok := strings.CutPrefix(runtime, "java")
	if !ok {
		return 0
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}
