package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
)

// FunctionEnv reads the variables --env-file and --env give the function,
// in order: each file in turn, then every --env, a later value for a key
// winning. Files are sam local invoke's --env-vars JSON, or KEY=VALUE lines.
func FunctionEnv(files, pairs []string, function string) ([]string, error) {
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("run: --env-file: %w", err)
		}
		kv, err := ParseEnvFile(name, data, function)
		if err != nil {
			return nil, fmt.Errorf("run: --env-file %w", err)
		}
		for _, p := range kv {
			set(p[0], p[1])
		}
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, cli.Usagef("run: --env %q: want KEY=VALUE", p)
		}
		if err := CheckEnvKey(k); err != nil {
			return nil, cli.Usagef("run: --env %q: %v", p, err)
		}
		set(k, v)
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out, nil
}

// CheckEnvKey rejects keys the environment cannot hold, and the one
// variable the sandbox must own (its Runtime API address).
func CheckEnvKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("empty name")
	case strings.ContainsAny(k, "=\x00"):
		return fmt.Errorf("a name cannot hold '=' or NUL")
	case k == "AWS_LAMBDA_RUNTIME_API":
		return fmt.Errorf("AWS_LAMBDA_RUNTIME_API is coldprof run's own Runtime API")
	}
	return nil
}

// ParseEnvFile reads one file of variables for the function (coldprof run
// --env-file): JSON in sam's --env-vars shape, where
// "Parameters" applies to every function and an object named after the
// function (--function-name) to it alone, or KEY=VALUE lines with # comments,
// an optional "export " and optional quotes. Keys come out sorted for JSON
// (objects have no order) and in file order for lines.
func ParseEnvFile(name string, data []byte, function string) ([][2]string, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var doc map[string]map[string]any
		if err := json.Unmarshal(t, &doc); err != nil {
			return nil, fmt.Errorf("%s: not sam's --env-vars JSON ({\"Parameters\": {\"KEY\": \"value\"}}): %v", name, err)
		}
		merged := map[string]string{}
		for _, section := range []string{"Parameters", function} {
			for k, v := range doc[section] {
				if err := CheckEnvKey(k); err != nil {
					return nil, fmt.Errorf("%s: %s.%s: %v", name, section, k, err)
				}
				switch v := v.(type) {
				case string:
					merged[k] = v
				case float64, bool:
					merged[k] = fmt.Sprint(v)
				default:
					return nil, fmt.Errorf("%s: %s.%s: want a string, number or boolean", name, section, k)
				}
			}
		}
		keys := make([]string, 0, len(merged))
		for k := range merged {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([][2]string, 0, len(keys))
		for _, k := range keys {
			out = append(out, [2]string{k, merged[k]})
		}
		return out, nil
	}
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for num := 1; sc.Scan(); num++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE", name, num)
		}
		if err := CheckEnvKey(k); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, num, err)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, num, err)
			}
			v = u
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		out = append(out, [2]string{k, v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
