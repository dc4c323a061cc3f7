package wrapper

import (
	"errors"
	"strconv"
	"strings"
)

// Overrides (COLDPROF_PYTHON_FLAGS, _NODE_OPTIONS, _JAVA_OPTIONS, _RUBYOPT)
// replace what the wrapper injects, so a bad one would be handed to the
// runtime, which then refuses to start: the exec itself succeeds, so the
// wrapper's fallback never runs. Each is therefore checked against an
// allow-list of the runtime's own option grammar, limited to options that
// every supported version of the runtime accepts and that cannot stop it,
// replace the program or print to stdout (no --help, --version, -c, -m,
// -i, no option taking a file that does not exist). A value outside it
// makes the plan use the default and warn, naming the variable; the
// messages below never quote the value.

// Bounds on an override: functions have 4 KB of environment in all, and an
// option list longer than this is not a list of options.
const (
	maxOverrideBytes  = 4096
	maxOverrideTokens = 64
)

var (
	errOverrideLong  = errors.New("longer than " + strconv.Itoa(maxOverrideBytes) + " bytes or " + strconv.Itoa(maxOverrideTokens) + " options")
	errOverrideBytes = errors.New("control characters, quotes or backslashes")
)

// overrideTokens splits an override on white space after the checks every
// runtime shares: bounded size, printable bytes only, no quoting (none of
// the runtimes quote the same way, and no allowed option needs it).
func overrideTokens(v string) ([]string, error) {
	if len(v) > maxOverrideBytes {
		return nil, errOverrideLong
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			continue
		}
		if c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '\\' || c == '`' {
			return nil, errOverrideBytes
		}
	}
	tokens := strings.Fields(v)
	if len(tokens) > maxOverrideTokens {
		return nil, errOverrideLong
	}
	return tokens, nil
}

// optionError says which option (by position, never by text) is refused.
func optionError(i int, why string) error {
	return errors.New("option " + strconv.Itoa(i+1) + " " + why)
}

// validatePythonFlags accepts CPython options that Python 3.6 to 3.14 all
// take and that keep the program as it is: the single-letter switches
// -b -B -d -E -I -O -q -R -s -S -u -v (combined as in -Ou too), -W with a
// warning filter, and -X with the keys below.
func validatePythonFlags(v string) ([]string, error) {
	tokens, err := overrideTokens(v)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		switch {
		case t == "-X" || t == "-W":
			if i+1 == len(tokens) {
				return nil, optionError(i, "needs a value")
			}
			i++
			if err := pythonOptionValue(t[1], tokens[i]); err != nil {
				return nil, optionError(i, err.Error())
			}
		case strings.HasPrefix(t, "-X") || strings.HasPrefix(t, "-W"):
			if err := pythonOptionValue(t[1], t[2:]); err != nil {
				return nil, optionError(i, err.Error())
			}
		case len(t) >= 2 && t[0] == '-' && strings.Trim(t[1:], "bBdEIOqRsSuv") == "":
		default:
			return nil, optionError(i, "is not an interpreter option the wrapper passes on")
		}
	}
	return tokens, nil
}

// pythonXKeys are the -X options allowed, each with a check of its value
// ("" for -X key alone). Older versions ignore -X keys they do not know.
var pythonXKeys = map[string]func(string) bool{
	"importtime":            func(v string) bool { return v == "" || v == "1" || v == "2" },
	"frozen_modules":        func(v string) bool { return v == "on" || v == "off" },
	"dev":                   func(v string) bool { return v == "" },
	"utf8":                  func(v string) bool { return v == "" || v == "0" || v == "1" },
	"tracemalloc":           func(v string) bool { n, err := strconv.Atoi(v); return v == "" || err == nil && n >= 1 && n <= 1000 },
	"showrefcount":          func(v string) bool { return v == "" },
	"no_debug_ranges":       func(v string) bool { return v == "" },
	"warn_default_encoding": func(v string) bool { return v == "" },
	"faulthandler":          func(v string) bool { return v == "" },
	"int_max_str_digits": func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && (n == 0 || n >= 640 && n <= 1<<30)
	},
	"pycache_prefix": func(v string) bool { return strings.HasPrefix(v, "/") },
}

// pythonOptionValue checks the value of -X (kind 'X') or -W (kind 'W').
func pythonOptionValue(kind byte, v string) error {
	if kind == 'W' {
		// action:message:category:module:lineno; CPython ignores a filter
		// it cannot use with a warning, it never stops for one.
		if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:") != "" {
			return errors.New("is not a warning filter")
		}
		return nil
	}
	key, value, _ := strings.Cut(v, "=")
	check, ok := pythonXKeys[key]
	if !ok || !check(value) {
		return errors.New("is not an -X option the wrapper passes on")
	}
	return nil
}

// A nodeOption describes one allowed NODE_OPTIONS option: whether it takes
// a value and how to check it.
type nodeOption struct {
	value func(string) bool // nil: a flag without a value
}

func oneOf(words ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range words {
			if v == w {
				return true
			}
		}
		return false
	}
}

func positiveInt(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n > 0 && n < 1<<24
}

// word is a name such as a condition or a title: letters, digits, _ . : -
func word(v string) bool {
	return v != "" && len(v) <= 128 && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == ""
}

// nodeOptions are options that Node.js 18 to 26 all accept in NODE_OPTIONS
// (its own allow-list, process.allowedNodeEnvironmentFlags, a test checks)
// and that change neither the program nor its output. A preload must be an
// absolute path to a file that exists: a missing one stops Node.
var nodeOptions = map[string]nodeOption{
	"--enable-source-maps":   {},
	"--no-deprecation":       {},
	"--no-warnings":          {},
	"--throw-deprecation":    {},
	"--trace-deprecation":    {},
	"--trace-warnings":       {},
	"--pending-deprecation":  {},
	"--preserve-symlinks":    {},
	"--trace-uncaught":       {},
	"--trace-exit":           {},
	"--zero-fill-buffers":    {},
	"--max-old-space-size":   {value: positiveInt},
	"--max-semi-space-size":  {value: positiveInt},
	"--stack-trace-limit":    {value: positiveInt},
	"--unhandled-rejections": {value: oneOf("strict", "warn", "none", "throw", "warn-with-error-code")},
	"--dns-result-order":     {value: oneOf("ipv4first", "verbatim")},
	"--disable-proto":        {value: oneOf("delete", "throw")},
	"--conditions":           {value: word},
	"-C":                     {value: word},
	"--title":                {value: word},
	"--require":              {value: existingAbsFile},
	"-r":                     {value: existingAbsFile},
	"--import":               {value: existingAbsFile},
}

// existingAbsFile reports whether v is an absolute path to a regular file.
func existingAbsFile(v string) bool { return strings.HasPrefix(v, "/") && isRegularFile(v) }

// validateNodeOptions accepts NODE_OPTIONS options from nodeOptions, as
// "--opt value" or "--opt=value". The result is one option per element,
// values joined with "=" (or following -r/-C), ready for quoteNodeOption.
func validateNodeOptions(v string) ([]string, error) {
	tokens, err := overrideTokens(v)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := 0; i < len(tokens); i++ {
		name, value, hasValue := strings.Cut(tokens[i], "=")
		opt, ok := nodeOptions[name]
		switch {
		case !ok:
			return nil, optionError(i, "is not a NODE_OPTIONS option the wrapper passes on")
		case opt.value == nil && hasValue:
			return nil, optionError(i, "takes no value")
		case opt.value == nil:
			out = append(out, name)
			continue
		case !hasValue:
			if i+1 == len(tokens) {
				return nil, optionError(i, "needs a value")
			}
			i++
			value = tokens[i]
		}
		if !opt.value(value) {
			return nil, optionError(i, "has a value Node.js would refuse (a preload must be an absolute path to a file that exists)")
		}
		if strings.HasPrefix(name, "--") {
			out = append(out, name+"="+value)
		} else {
			out = append(out, name, value)
		}
	}
	return out, nil
}

// validateJavaOptions accepts JVM options that JDK 8 to 25 all know and
// that cannot stop the JVM: -verbose:class|gc, -Dname=value, -Xss from
// 512k to 64m, -Xshare:auto|off and a few -XX: flags Lambda's own Java runtimes
// and its tuning guide use. -Xlog is left out: JDK 8 refuses it, and a bad
// selector stops JDK 9+.
func validateJavaOptions(v string) ([]string, error) {
	tokens, err := overrideTokens(v)
	if err != nil {
		return nil, err
	}
	for i, t := range tokens {
		ok := false
		switch {
		case t == "-verbose:class" || t == "-verbose:gc" || t == "-Xshare:auto" || t == "-Xshare:off":
			ok = true
		case strings.HasPrefix(t, "-D"):
			name, _, _ := strings.Cut(t[2:], "=")
			ok = word(name)
		case strings.HasPrefix(t, "-Xss"):
			n := javaSize(t[4:])
			ok = n >= 512<<10 && n <= 64<<20
		case strings.HasPrefix(t, "-XX:"):
			ok = javaXXFlags[t[4:]]
		}
		if !ok {
			return nil, optionError(i, "is not a JVM option the wrapper passes on")
		}
	}
	return tokens, nil
}

// javaXXFlags are the -XX: options allowed, written out in full.
var javaXXFlags = map[string]bool{
	"+TieredCompilation": true, "-TieredCompilation": true,
	"TieredStopAtLevel=1": true, "TieredStopAtLevel=4": true,
	"+UseSerialGC": true, "+UseParallelGC": true,
	"-UsePerfData": true, "+UsePerfData": true,
}

// javaSize returns the bytes of a JVM memory size such as 512k, 64m, 1g,
// 0 when it is not one (or above 64 GiB). Heap sizes are not allowed:
// JAVA_TOOL_OPTIONS comes before the runtime's own -XX:MaxHeapSize, and an
// initial heap above it stops the JVM.
func javaSize(v string) int64 {
	if v == "" {
		return 0
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	}
	if mult != 1 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (64<<30)/mult {
		return 0
	}
	return n * mult
}

// validateRubyOpt accepts the switches Ruby allows in RUBYOPT that keep the
// program and its output as they are: -w, -W0/1/2, -W:[no-]category,
// --verbose, -d/--debug, -U, --disable/--enable of features (a feature Ruby
// does not know is a warning, not an error), -I<absolute dir>,
// -r<absolute path to a file that exists>, and UTF-8 as -E/--encoding.
// -v is left out: in RUBYOPT it prints the version to stdout.
func validateRubyOpt(v string) ([]string, error) {
	tokens, err := overrideTokens(v)
	if err != nil {
		return nil, err
	}
	for i, t := range tokens {
		ok := false
		switch {
		case t == "-w" || t == "-W" || t == "-W0" || t == "-W1" || t == "-W2" || t == "--verbose" || t == "-d" || t == "--debug" || t == "-U":
			ok = true
		case strings.HasPrefix(t, "-W:"):
			ok = rubyFeatures(strings.TrimPrefix(t[3:], "no-"))
		case strings.HasPrefix(t, "--disable-") || strings.HasPrefix(t, "--enable-"):
			_, feature, _ := strings.Cut(t[2:], "-")
			ok = rubyFeatures(feature)
		case strings.HasPrefix(t, "--disable=") || strings.HasPrefix(t, "--enable="):
			_, list, _ := strings.Cut(t, "=")
			ok = rubyFeatures(list)
		case strings.HasPrefix(t, "-I"):
			ok = strings.HasPrefix(t[2:], "/")
		case strings.HasPrefix(t, "-r"):
			ok = existingAbsFile(t[2:]) || existingAbsFile(t[2:]+".rb")
		case strings.HasPrefix(t, "-E"), strings.HasPrefix(t, "--encoding="):
			enc := strings.TrimPrefix(strings.TrimPrefix(t, "-E"), "--encoding=")
			ok = true
			for _, e := range strings.Split(enc, ":") {
				ok = ok && oneOf("UTF-8", "utf-8")(e) // Ruby has no "UTF8" alias: it would not start
			}
		}
		if !ok {
			return nil, optionError(i, "is not a RUBYOPT switch the wrapper passes on")
		}
	}
	return tokens, nil
}

// rubyFeatures accepts a comma-separated list of feature or warning
// category names.
func rubyFeatures(list string) bool {
	for _, f := range strings.Split(list, ",") {
		if f == "" || strings.Trim(f, "abcdefghijklmnopqrstuvwxyz_-") != "" {
			return false
		}
	}
	return true
}
