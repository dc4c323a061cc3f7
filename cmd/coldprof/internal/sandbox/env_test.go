package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseEnvFile(f *testing.F) {
	for _, seed := range []string{
		`{"Parameters": {"A": "1", "B": 2, "C": true}, "fn": {"A": "x"}}`,
		"# c\nexport A=1\nB=\"q\\n\"\nC='s'\n",
		"A", "=x", `{"Parameters": null}`, `{`, "A=\"unterminated\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kv, err := ParseEnvFile("fuzz", data, "fn")
		if err != nil {
			return
		}
		for _, p := range kv {
			if CheckEnvKey(p[0]) != nil {
				t.Fatalf("accepted bad name %q", p[0])
			}
		}
	})
}

func TestFunctionEnv(t *testing.T) {
	dir := t.TempDir()
	samJSON := filepath.Join(dir, "env.json")
	os.WriteFile(samJSON, []byte(`{"Parameters": {"A": "from-params", "N": 3, "B": "b"}, "my-fn": {"A": "from-function"}, "other-fn": {"C": "no"}}`), 0o644)
	dotenv := filepath.Join(dir, "env")
	os.WriteFile(dotenv, []byte("# settings\n\nexport COLDPROF_SAMPLER=off\nQ=\"two words\\n\"\nS='single'\nB=from-dotenv\n"), 0o644)
	got, err := FunctionEnv([]string{samJSON, dotenv}, []string{"B=from-flag", "EMPTY="}, "my-fn")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=from-function", "B=from-flag", "N=3", "COLDPROF_SAMPLER=off", "Q=two words\n", "S=single", "EMPTY="}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	bad := filepath.Join(dir, "bad")
	for _, tc := range []struct {
		file, flag, want string
	}{
		{"NOEQUALS\n", "", "bad:1: want KEY=VALUE"},
		{"# ok\nAWS_LAMBDA_RUNTIME_API=x\n", "", "bad:2: AWS_LAMBDA_RUNTIME_API is coldprof run's own"},
		{`{"Parameters": {"A": {"nested": 1}}}`, "", "Parameters.A: want a string"},
		{`{"Parameters": [1]}`, "", "not sam's --env-vars JSON"},
		{"", "NOEQUALS", `--env "NOEQUALS": want KEY=VALUE`},
		{"", "=v", "empty name"},
	} {
		os.WriteFile(bad, []byte(tc.file), 0o644)
		var flags []string
		if tc.flag != "" {
			flags = []string{tc.flag}
		}
		_, err := FunctionEnv([]string{bad}, flags, "fn")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("file %q flag %q: error %v, want %q", tc.file, tc.flag, err, tc.want)
		}
	}
}
