package wrapper

import (
	"strconv"
	"strings"
)

// Names of the environment variables the wrapper reads. They are set on the
// function; all are optional.
const (
	EnvDisable       = "COLDPROF_DISABLE"
	EnvPhases        = "COLDPROF_PHASES"
	EnvSample        = "COLDPROF_SAMPLE"
	EnvNextWrapper   = "COLDPROF_NEXT_WRAPPER"
	EnvInvokeMarkers = "COLDPROF_INVOKE_MARKERS"
	EnvPythonFlags   = "COLDPROF_PYTHON_FLAGS"
)

// DefaultInvokeMarkers is how many invocations per execution environment get
// invoke_start/invoke_end markers when COLDPROF_INVOKE_MARKERS is unset.
// Handler-time imports happen in the first invocations; marking every
// invocation of a busy function would add two log lines to each.
const DefaultInvokeMarkers = 10

// Phase-marker modes (COLDPROF_PHASES).
const (
	PhasesProxy = "proxy"
	PhasesOff   = "off"
)

// A Config is the wrapper's configuration, read once from the environment.
type Config struct {
	// Disable: exec the command unchanged and print nothing.
	Disable bool
	// Phases is PhasesProxy (start the runtime-API proxy) or PhasesOff.
	Phases string
	// Sample is the fraction of cold starts to profile, 0–1.
	Sample float64
	// NextWrapper is another wrapper to exec with the rewritten command, "" for none.
	NextWrapper string
	// InvokeMarkers bounds how many invocations get invoke markers.
	InvokeMarkers int
}

// DefaultConfig is the configuration with nothing set.
func DefaultConfig() Config {
	return Config{Phases: PhasesProxy, Sample: 1, InvokeMarkers: DefaultInvokeMarkers}
}

// LoadConfig reads the configuration from environ ("KEY=value" entries).
// An invalid value leaves the default in place and adds a warning; warnings
// name the variable, never its value (functions keep secrets in their
// environment, and a typo could hold one).
func LoadConfig(environ []string) (Config, []string) {
	c := DefaultConfig()
	var warnings []string
	if v, ok := lookupEnv(environ, EnvDisable); ok {
		b, valid := parseBool(v)
		if !valid {
			warnings = append(warnings, EnvDisable+" is not 1/true or 0/false; profiling stays on")
		}
		c.Disable = b
	}
	if v, ok := lookupEnv(environ, EnvPhases); ok && v != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case PhasesProxy:
			c.Phases = PhasesProxy
		case PhasesOff:
			c.Phases = PhasesOff
		default:
			warnings = append(warnings, EnvPhases+" is not proxy or off; using proxy")
		}
	}
	if v, ok := lookupEnv(environ, EnvSample); ok && v != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f >= 0 && f <= 1) {
			warnings = append(warnings, EnvSample+" is not a number from 0 to 1; using 1")
		} else {
			c.Sample = f
		}
	}
	if v, ok := lookupEnv(environ, EnvNextWrapper); ok {
		c.NextWrapper = v
	}
	if v, ok := lookupEnv(environ, EnvInvokeMarkers); ok && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			warnings = append(warnings, EnvInvokeMarkers+" is not a whole number of invocations (0 or more); using "+strconv.Itoa(DefaultInvokeMarkers))
		} else {
			c.InvokeMarkers = n
		}
	}
	return c, warnings
}

// parseBool accepts the usual spellings; "" is false.
func parseBool(v string) (value, valid bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, true
	case "", "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// lookupEnv finds key in environ. Like getenv(3) the first entry wins.
func lookupEnv(environ []string, key string) (string, bool) {
	for _, kv := range environ {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// setEnv returns environ with key set to value: every existing entry for key
// is replaced in place (so duplicates cannot disagree), or one is appended.
// environ itself is not modified.
func setEnv(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	found := false
	for _, kv := range environ {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			kv = key + "=" + value
			found = true
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, key+"="+value)
	}
	return out
}
