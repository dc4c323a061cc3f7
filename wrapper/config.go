package wrapper

import (
	"strconv"
	"strings"
	"time"
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
	// EnvSampler turns the in-runtime sampler on or off (Python, Node.js).
	EnvSampler = "COLDPROF_SAMPLER"
	// EnvSampleInterval is the sampler's interval, a Go duration ("5ms").
	EnvSampleInterval = "COLDPROF_SAMPLE_INTERVAL"
	// EnvSamplerTick says what wakes the Python sampler: TickSignal (the
	// proxy sends the runtime SIGURG every interval until init ends) or
	// TickThread (the sampler's own thread, the behaviour before ticks). The
	// same name, set to "signal", tells the hook in the runtime's
	// environment that ticks will come (the plan removes it otherwise).
	EnvSamplerTick = "COLDPROF_SAMPLER_TICK"
	// EnvWrapped is the mark the wrapper leaves in the environment it hands
	// on. A wrapper that finds it is running inside a command it already
	// prepared (COLDPROF_NEXT_WRAPPER naming coldprof-wrapper itself, a copy
	// or a symlink of it) and execs its command unchanged.
	EnvWrapped = "COLDPROF_WRAPPED"
)

// Variables the wrapper sets in the runtime's environment for the in-runtime
// sampler (the hand-off contract in wrapper/sampleline's documentation).
const (
	EnvSamplerIntervalUs = "COLDPROF_SAMPLER_INTERVAL_US"
	EnvSamplerPID        = "COLDPROF_SAMPLER_PID"
)

// What wakes the Python sampler (COLDPROF_SAMPLER_TICK).
const (
	TickSignal = "signal"
	TickThread = "thread"
)

// Lambda's initialization type, recorded in the start marker.
const envInitType = "AWS_LAMBDA_INITIALIZATION_TYPE"

// initTypes are the values of AWS_LAMBDA_INITIALIZATION_TYPE that Lambda
// documents; any other value is not copied into the start marker.
var initTypes = [...]string{"on-demand", "provisioned-concurrency", "snap-start", "lambda-managed-instances"}

// Sampler interval: the default and the bounds COLDPROF_SAMPLE_INTERVAL must
// stay within. Below 1 ms the sampler itself would become the cold start's
// cost; above 100 ms it would say little about a cold start.
//
// Python's default is longer: each of its samples costs the function's main
// thread ~0.1 ms (a signal tick) to ~0.3 ms (the thread's GIL hand-off),
// where V8's profiler costs the same at any interval. At 10 ms, the rate
// py-spy also defaults to, the sampler with everything on stays near 5 % of
// a 220 ms init (wrapper/BENCHMARKS.md, "Signal ticks, end to end").
const (
	DefaultSampleInterval       = 5 * time.Millisecond
	DefaultPythonSampleInterval = 10 * time.Millisecond
	MinSampleInterval           = time.Millisecond
	MaxSampleInterval           = 100 * time.Millisecond
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
	// Sampler turns the in-runtime sampler on for the runtimes that have
	// one (Python, Node.js).
	Sampler bool
	// SamplerAsked: COLDPROF_SAMPLER=on was set. Node.js samples only
	// then: V8's profiler adds 13–25 % to a Node.js init at any interval
	// (wrapper/hooks/BENCHMARKS.md), Python's sampler a few %.
	SamplerAsked bool
	// SampleInterval is the sampler's interval, within the bounds above.
	SampleInterval time.Duration
	// SampleIntervalSet: SampleInterval is the user's; otherwise the
	// runtime's default applies (DefaultPythonSampleInterval for Python).
	SampleIntervalSet bool
	// SamplerTick is TickSignal or TickThread: the Python sampler takes its
	// samples in a SIGURG handler the proxy ticks during init, or on its
	// own thread. Signal ticks cost the function far less per sample (no
	// GIL hand-off), but need the proxy; without it the thread is used.
	SamplerTick string
	// InitType is AWS_LAMBDA_INITIALIZATION_TYPE when it is one of
	// Lambda's documented values, "" otherwise.
	InitType string
	// Wrapped: the environment carries EnvWrapped, so this wrapper runs
	// inside a command a wrapper already prepared.
	Wrapped bool
}

// DefaultConfig is the configuration with nothing set.
func DefaultConfig() Config {
	return Config{Phases: PhasesProxy, Sample: 1, InvokeMarkers: DefaultInvokeMarkers,
		Sampler: true, SampleInterval: DefaultSampleInterval, SamplerTick: TickSignal}
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
	if v, ok := lookupEnv(environ, EnvSampler); ok && v != "" {
		b, valid := parseBool(v)
		if valid {
			c.Sampler = b
			c.SamplerAsked = b
		} else {
			warnings = append(warnings, EnvSampler+" is not on or off; the sampler keeps its default (on for Python, off for Node.js)")
		}
	}
	if v, ok := lookupEnv(environ, EnvSampleInterval); ok && v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < MinSampleInterval || d > MaxSampleInterval {
			warnings = append(warnings, EnvSampleInterval+" is not a duration from 1ms to 100ms; using the default ("+
				DefaultPythonSampleInterval.String()+" for Python, "+DefaultSampleInterval.String()+" for Node.js)")
		} else {
			c.SampleInterval = d
			c.SampleIntervalSet = true
		}
	}
	if v, ok := lookupEnv(environ, EnvSamplerTick); ok && v != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case TickSignal:
			c.SamplerTick = TickSignal
		case TickThread:
			c.SamplerTick = TickThread
		default:
			warnings = append(warnings, EnvSamplerTick+" is not signal or thread; using signal")
		}
	}
	if v, ok := lookupEnv(environ, envInitType); ok {
		for _, known := range initTypes {
			if v == known {
				c.InitType = v
			}
		}
	}
	_, c.Wrapped = lookupEnv(environ, EnvWrapped)
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
		if isEntry(kv, key) {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// unsetEnv returns environ without any entry for key (a copy when one is
// removed; environ itself is not modified).
func unsetEnv(environ []string, key string) []string {
	for i, kv := range environ {
		if isEntry(kv, key) {
			out := append(make([]string, 0, len(environ)-1), environ[:i]...)
			for _, kv := range environ[i+1:] {
				if !isEntry(kv, key) {
					out = append(out, kv)
				}
			}
			return out
		}
	}
	return environ
}

// isEntry tells whether kv is an environment entry for key ("key=…").
func isEntry(kv, key string) bool {
	return len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key
}

// setEnv returns environ with key set to value: every existing entry for key
// is replaced in place (so duplicates cannot disagree), or one is appended.
// environ itself is not modified.
func setEnv(environ []string, key, value string) []string {
	out := make([]string, 0, len(environ)+1)
	found := false
	for _, kv := range environ {
		if isEntry(kv, key) {
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
