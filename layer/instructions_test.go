package layer

import "testing"

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"fileb://dist/a.zip": "fileb://dist/a.zip",
		"has space":          "'has space'",
		"it's":               `'it'\''s'`,
		"":                   "''",
	}
	for in, want := range tests {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
