package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/sandbox"
)

// functionEnv reads the variables --env-file and --env give the function,
// in order: each file in turn, then every --env, a later value for a key
// winning. Files are sam local invoke's --env-vars JSON, or KEY=VALUE lines.
func functionEnv(files, pairs []string, function string) ([]string, error) {
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
		kv, err := sandbox.ParseEnvFile(name, data, function)
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
		if err := sandbox.CheckEnvKey(k); err != nil {
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
