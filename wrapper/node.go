package wrapper

import (
	"errors"
	"strings"
	"syscall"
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
func hookDir(p *Plan) string {
	if dir, _ := p.Getenv(EnvHookDir); dir != "" {
		return strings.TrimRight(dir, "/")
	}
	if exe, _ := p.Getenv(envExecWrapper); strings.HasPrefix(exe, "/") {
		if i := strings.LastIndexByte(exe, '/'); i >= 0 {
			return exe[:i] + "/" + layerHookDir
		}
	}
	return defaultHookDir
}

// hookFile returns the absolute path of a hook file, or an error naming the
// path when it is missing: loading a missing preload would stop the runtime.
// This stat is the launch plan's one look at the file system.
func hookFile(p *Plan, rel string) (string, error) {
	path := hookDir(p) + "/" + rel
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return "", errors.New("hook file " + path + " not found (set " + EnvHookDir + "); running without the require hook")
	}
	return path, nil
}

// injectNode appends a preload of the require hook to NODE_OPTIONS, after
// what the user set (later options win, and --require adds, so both hold).
// Node's argv is left alone. override (COLDPROF_NODE_OPTIONS) is appended
// instead of the hook when set.
func injectNode(p *Plan, override string) (string, error) {
	add := strings.TrimSpace(override)
	if add == "" {
		path, err := hookFile(p, nodeHookFile)
		if err != nil {
			return "", err
		}
		add = "--require " + quoteNodeOption(path)
	}
	appendEnv(p, "NODE_OPTIONS", " ", add)
	return "NODE_OPTIONS+=" + add, nil
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
