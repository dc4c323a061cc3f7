package wrapper

import "strings"

// EnvRubyOpt replaces what is appended to RUBYOPT.
const EnvRubyOpt = "COLDPROF_RUBYOPT"

// isRubyInterpreter accepts ruby and versioned names such as ruby3.2.
func isRubyInterpreter(base string) bool {
	rest, ok := strings.CutPrefix(base, "ruby")
	if !ok {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= '0' && c <= '9' || c == '.' && i > 0) {
			return false
		}
	}
	return true
}

// injectRuby loads the require hook through RUBYOPT, after what the user
// set. RUBYOPT splits on white space and cannot quote a path, so the hook's
// folder is appended to RUBYLIB (colon-separated, spaces allowed) and RUBYOPT
// names the file only: -rcoldprof_require. A validated override
// (COLDPROF_RUBYOPT) is appended to RUBYOPT instead; RUBYLIB still gets the
// folder.
func injectRuby(p *Plan, override []string) (string, error) {
	path, err := hookFile(p, rubyHookDir+"/"+rubyHookName+".rb")
	add := strings.Join(override, " ")
	if override == nil {
		if err != nil {
			return "", err
		}
		add = "-r" + rubyHookName
	}
	if err == nil {
		appendEnv(p, "RUBYLIB", ":", path[:strings.LastIndexByte(path, '/')])
	}
	appendEnv(p, "RUBYOPT", " ", add)
	return "RUBYOPT+=" + add, nil
}
