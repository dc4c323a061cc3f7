package parsers

import (
	"strings"

	"github.com/coldprof/coldprof/profile"
)

// Rules tell the phase attribution which entries of a format belong to the
// interpreter and to the runtime; everything else is init or invoke.
type Rules struct {
	// InterpreterEnd names the top-level entry that ends the interpreter's
	// start-up ("site" for Python); it and everything before it are
	// interpreter. Empty when the format has no such phase in its log.
	InterpreterEnd string
	// Runtime lists the runtime client's own units: an entry whose name is
	// one of these, or starts with one followed by '.' or '/', is runtime.
	Runtime []string
	// RuntimeStart names the units that start the runtime client (the JVM's
	// main class). For a format whose interpreter logs its own start-up but
	// has no last entry of its own (the JVM's boot classes), every top-level
	// entry before the first of these is interpreter. A log without one has
	// no interpreter phase.
	RuntimeStart []string
	// Library lists the interpreter's own library (java, jdk, sun): after a
	// RuntimeStart entry and before the function's first unit (the first
	// entry that is neither runtime nor library), entries of it are the
	// runtime client loading what it needs, so they are runtime too. Matched
	// like Runtime (a prefix ending in ':' matches every name it starts).
	// Only during init.
	Library []string
	// LibraryFirst makes Library entries runtime from the start of the log
	// until the function's first unit, without a RuntimeStart entry: Node.js
	// prints no line for the runtime client's entry script, whose built-ins
	// (node:path, node:http…) come first at the top level.
	LibraryFirst bool
	// RuntimeEntry names the runtime client's ES module entry scripts: one's
	// line comes after the CommonJS loads it made while it ran, at the same
	// level (the two loaders are timed apart), and its time includes theirs.
	// It adopts the Library entries just before it whose times fit in its
	// own, so that no time is counted twice.
	RuntimeEntry []string
}

// DefaultRules returns the rules coldprof uses for a format.
func DefaultRules(f profile.Format) Rules {
	switch f {
	case profile.FormatPythonImporttime:
		return Rules{
			InterpreterEnd: "site",
			// awslambdaric is Lambda's runtime client and bootstrap its entry
			// script; coldprof_runtime is the runtime client coldprof run
			// ships; lambda_runtime_* are the older managed runtimes' modules.
			// runpy starts awslambdaric in container images (python -m
			// awslambdaric handler).
			Runtime: []string{"awslambdaric", "bootstrap", "coldprof_runtime", "runpy",
				"lambda_runtime_client", "lambda_runtime_marshaller",
				"lambda_runtime_exception", "lambda_runtime_log_utils"},
		}
	case profile.FormatNodeRequire:
		// Lambda's Node.js runtime client lives in /var/runtime on managed
		// runtimes and is the npm package aws-lambda-ric in container
		// images; either loads Node's built-ins before the handler
		// (lambda-runtime.md §8.4).
		return Rules{
			Runtime:      []string{"/var/runtime", "aws-lambda-ric"},
			Library:      []string{"node:"},
			LibraryFirst: true,
			RuntimeEntry: []string{"/var/runtime/index.mjs", "aws-lambda-ric/index.mjs"},
		}
	case profile.FormatRubyRequire:
		// aws_lambda_ric is the Ruby runtime client's gem (container images).
		return Rules{Runtime: []string{"/var/runtime", "aws_lambda_ric"}}
	case profile.FormatJavaClassLoad:
		// coldprof.runtime is the Java runtime client coldprof run ships;
		// the main classes are lambda-runtime.md 1.4's (java8/11: the first,
		// java17+: the runtime interface client's) and coldprof run's.
		return Rules{
			Runtime: []string{"lambdainternal", "com.amazonaws.services.lambda.runtime", "coldprof.runtime"},
			RuntimeStart: []string{"lambdainternal.AWSLambda",
				"com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
				"coldprof.runtime.AWSLambda"},
			Library: []string{"java", "javax", "jdk", "sun", "com.sun"},
		}
	}
	return Rules{}
}

// isRuntime reports whether name is one of the runtime's own units.
func (r *Rules) isRuntime(name string) bool { return underAny(name, r.Runtime) }

// isLibrary reports whether name is one of the interpreter's library units.
func (r *Rules) isLibrary(name string) bool { return underAny(name, r.Library) }

// isRuntimeEntry reports whether name is one of RuntimeEntry.
func (r *Rules) isRuntimeEntry(name string) bool {
	for _, s := range r.RuntimeEntry {
		if name == s {
			return true
		}
	}
	return false
}

// startsRuntime reports whether name is one of RuntimeStart.
func (r *Rules) startsRuntime(name string) bool {
	for _, s := range r.RuntimeStart {
		if name == s {
			return true
		}
	}
	return false
}

// underAny reports whether name is one of prefixes, or starts with one
// followed by '.' or '/'.
func underAny(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasSuffix(p, ":") {
			if strings.HasPrefix(name, p) {
				return true
			}
			continue
		}
		if strings.HasPrefix(name, p) && (len(name) == len(p) || name[len(p)] == '.' || name[len(p)] == '/') {
			return true
		}
	}
	return false
}

func (r *Reader) rules(f profile.Format) Rules {
	if rules, ok := r.opts.Rules[f]; ok {
		return rules
	}
	return DefaultRules(f)
}
