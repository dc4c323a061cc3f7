package report

import (
	"encoding/json"
	"testing"
)

var jsonStringCases = []string{
	"", "numpy.core._multiarray_umath", `quote " back \ slash`, "ctl \x00\x01\x1f\x7f",
	"\b\f\n\r\t", "<script>&amp;</script>", "é 日本 🎉", "\u2028\u2029", "bad \xff\xfe utf8 \xc3",
	"trunc \xe6\x97", "\xed\xa0\x80 surrogate half",
}

func TestAppendJSONStringMatchesMarshal(t *testing.T) {
	for _, s := range jsonStringCases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func BenchmarkJSONString(b *testing.B) {
	const name = "botocore.vendored.requests.packages.urllib3.util.retry"
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSONString", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendJSONString(buf[:0], name)
		}
	})
}
