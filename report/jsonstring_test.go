package report

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/coldprof/coldprof/profile"
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

func TestAppendJSONIntMatchesStrconv(t *testing.T) {
	values := []int64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 99999, 100000, 1 << 31, 1<<63 - 1, -1, -10, -1 << 63}
	for v := int64(1); v > 0 && v < 1e18; v *= 10 {
		values = append(values, v-1, v, v+1)
	}
	for _, v := range values {
		want := strconv.AppendInt([]byte("x"), v, 10)
		if got := appendJSONInt([]byte("x"), v); string(got) != string(want) {
			t.Errorf("appendJSONInt(%d) = %s, want %s", v, got, want)
		}
	}
}

func FuzzAppendJSONInt(f *testing.F) {
	f.Add(int64(0), []byte("ab"))
	f.Add(int64(123456789), []byte{})
	f.Fuzz(func(t *testing.T, v int64, prefix []byte) {
		want := strconv.AppendInt(append([]byte(nil), prefix...), v, 10)
		if got := appendJSONInt(append([]byte(nil), prefix...), v); string(got) != string(want) {
			t.Errorf("appendJSONInt(%d) = %s, want %s", v, got, want)
		}
	})
}

func TestSlotOfMatchesPhaseSlots(t *testing.T) {
	for i, p := range phaseSlots {
		if got := slotOf(p); got != i {
			t.Errorf("slotOf(%q) = %d, want %d", p, got, i)
		}
	}
	for _, p := range []profile.Phase{"", "other", "Init", "initx"} {
		if got := slotOf(p); got != len(phaseSlots) {
			t.Errorf("slotOf(%q) = %d, want %d", p, got, len(phaseSlots))
		}
	}
}
