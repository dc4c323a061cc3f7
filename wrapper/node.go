package wrapper

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coldprof/coldprof/wrapper/hooks"
)

// Variables for the Node.js, Java and Ruby injections. The hook directory
// holds the files of package wrapper/hooks (node/…, ruby/…).
const (
	// EnvNodeOptions replaces what is appended to NODE_OPTIONS.
	EnvNodeOptions = "COLDPROF_NODE_OPTIONS"
	// EnvHookDir says where the hook directory is; coldprof run sets it to
	// the embedded hooks it writes out. Same name as hooks.EnvHookDir.
	EnvHookDir = "COLDPROF_HOOK_DIR"
	// envExecWrapper is how Lambda's bootstrap found the wrapper: the hook
	// directory of a layer sits next to it (/opt/coldprof-wrapper,
	// /opt/coldprof/hooks).
	envExecWrapper = "AWS_LAMBDA_EXEC_WRAPPER"
	// layerHookDir is the hook directory relative to the wrapper's folder.
	layerHookDir = "coldprof/hooks"
	// defaultHookDir is where the layer puts the hooks when nothing else says.
	defaultHookDir = "/opt/" + layerHookDir
)

// Hook file paths inside the hook directory (wrapper/hooks; a test checks
// they exist there).
const (
	nodeHookFile = "node/coldprof-require.cjs"
	rubyHookDir  = "ruby"
	rubyHookName = "coldprof_require" // ruby/coldprof_require.rb, loaded as -rcoldprof_require
)

// isNodeInterpreter accepts node and nodejs.
func isNodeInterpreter(base string) bool { return base == "node" || base == "nodejs" }

// hookDir finds the hook directory: COLDPROF_HOOK_DIR, else coldprof/hooks
// next to the wrapper as Lambda ran it (AWS_LAMBDA_EXEC_WRAPPER), else the
// layer's /opt/coldprof/hooks.
func hookDir(p *Plan) string { return hookDirs(p)[0] }

// hookDirs lists the folders that may hold the hook files, in order:
// COLDPROF_HOOK_DIR alone when it is set; else coldprof/hooks next to the
// wrapper as Lambda ran it (AWS_LAMBDA_EXEC_WRAPPER) and next to the
// wrapper's own executable (Options.Executable), then the layer's
// /opt/coldprof/hooks.
func hookDirs(p *Plan) []string {
	if dir, _ := p.Getenv(EnvHookDir); dir != "" {
		return []string{strings.TrimRight(dir, "/")}
	}
	var dirs []string
	for _, exe := range []string{p.getenvOr(envExecWrapper), p.opts.Executable} {
		if i := strings.LastIndexByte(exe, '/'); i >= 0 && strings.HasPrefix(exe, "/") {
			dirs = append(dirs, exe[:i]+"/"+layerHookDir)
		}
	}
	return append(dirs, defaultHookDir)
}

func (p *Plan) getenvOr(key string) string {
	v, _ := p.Getenv(key)
	return v
}

// A hookLocator remembers the one extraction of the embedded hooks a plan
// may do.
type hookLocator struct {
	tried bool
	dir   string
	err   error
}

// hookFile returns the absolute path of a hook file: in the hook directory
// when it is there, else in the embedded hooks written out by
// Options.ExtractHooks (a wrapper without the layer's folder is still
// complete). An error names the path and says the hook is not used: loading
// a missing file would stop the runtime. The stats are the launch plan's
// look at the file system.
func hookFile(p *Plan, rel string) (string, error) {
	dirs := hookDirs(p)
	for _, d := range dirs {
		if isRegularFile(d + "/" + rel) {
			p.hookDirUsed = d
			return d + "/" + rel, nil
		}
	}
	dir := dirs[0]
	if p.opts.ExtractHooks != nil {
		h := p.hooks
		if !h.tried {
			h.tried = true
			h.dir, h.err = p.opts.ExtractHooks()
		}
		if h.err == nil && isRegularFile(h.dir+"/"+rel) {
			if set, _ := p.Getenv(EnvHookDir); set != "" {
				p.Warnings = append(p.Warnings, "hook file "+boundValue(dir+"/"+rel, maxPath)+" not found ("+EnvHookDir+"); using the wrapper's own copy")
			}
			p.hookDirUsed = h.dir
			return h.dir + "/" + rel, nil
		}
		if h.err != nil {
			return "", errors.New("hook file " + boundValue(dir+"/"+rel, maxPath) + " not found and the wrapper's own copy could not be written (" + boundValue(h.err.Error(), maxPath) + "); running without the hook")
		}
	}
	return "", errors.New("hook file " + boundValue(dir+"/"+rel, maxPath) + " not found (set " + EnvHookDir + "); running without the hook")
}

// isRegularFile reports whether path names a regular file (symlinks followed).
func isRegularFile(path string) bool {
	var st syscall.Stat_t
	return syscall.Stat(path, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG
}

// injectNode appends a preload of the require hook to NODE_OPTIONS, after
// what the user set (later options win, and --require adds, so both hold).
// Node's argv is left alone. A validated override (COLDPROF_NODE_OPTIONS)
// is appended instead of the hook.
func injectNode(p *Plan, override []string) (string, error) {
	var add string
	if override != nil {
		quoted := make([]string, len(override))
		for i, o := range override {
			quoted[i] = quoteNodeOption(o)
		}
		add = strings.Join(quoted, " ")
	} else {
		path, err := hookFile(p, nodeHookFile)
		if err != nil {
			return "", err
		}
		add = "--require " + quoteNodeOption(path)
	}
	appendEnv(p, "NODE_OPTIONS", " ", add)
	return "NODE_OPTIONS+=" + add, nil
}

// nodeSamplerFile is the sampler the require hook loads when the wrapper set
// COLDPROF_SAMPLER_INTERVAL_US; it must sit next to the hook.
const nodeSamplerFile = "node/sampler.cjs"

// samplerNode turns the sampler on when COLDPROF_SAMPLER=on asks for it
// (Node.js is off by default: V8's CPU profiler adds 13–25 % CPU to an
// @aws-sdk init whatever the interval, wrapper/hooks/BENCHMARKS.md), the
// require hook was injected and its sampler file is beside it.
func samplerNode(p *Plan) []string {
	if !p.opts.Config.SamplerAsked {
		return nil
	}
	if p.hookDirUsed == "" {
		return nil // an override replaced the hook: nothing loads the sampler
	}
	if !isRegularFile(p.hookDirUsed + "/" + nodeSamplerFile) {
		if !embeddedHook(nodeSamplerFile) {
			return nil // neither the hook directory nor this build has a Node.js sampler
		}
		return []string{"sampler file " + boundValue(p.hookDirUsed+"/"+nodeSamplerFile, maxPath) + " not found; no sampler"}
	}
	setSamplerEnv(p, DefaultSampleInterval)
	return nil
}

// embeddedHook reports whether this build carries the hook file rel.
func embeddedHook(rel string) bool {
	_, err := fs.Stat(hooks.Files(), rel)
	return err == nil
}

// setSamplerEnv hands the sampler its interval (the user's, else
// runtimeDefault) and the PID to sample in.
func setSamplerEnv(p *Plan, runtimeDefault time.Duration) {
	interval := runtimeDefault
	if p.opts.Config.SampleIntervalSet {
		interval = p.opts.Config.SampleInterval
	}
	us := interval.Microseconds()
	p.Setenv(EnvSamplerIntervalUs, strconv.FormatInt(us, 10))
	p.Setenv(EnvSamplerPID, strconv.Itoa(p.opts.PID))
	p.SamplerUs = us
}

// quoteNodeOption quotes a value for NODE_OPTIONS, which splits on spaces
// and honours double quotes with backslash escapes.
func quoteNodeOption(s string) string {
	if !strings.ContainsAny(s, " \t\"\\'") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// appendEnv appends value to the variable key, separated by sep when it
// already has a non-empty value.
func appendEnv(p *Plan, key, sep, value string) {
	if old, _ := p.Getenv(key); strings.TrimSpace(old) != "" {
		value = old + sep + value
	}
	p.Setenv(key, value)
}
