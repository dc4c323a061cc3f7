package sandbox

import "testing"

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
