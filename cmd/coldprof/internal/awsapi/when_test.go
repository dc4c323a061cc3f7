package awsapi

import (
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"1h", now.Add(-time.Hour), false},
		{"90s", now.Add(-90 * time.Second), false},
		{"1h30m", now.Add(-90 * time.Minute), false},
		{"2d", now.AddDate(0, 0, -2), false},
		{"2026-11-22T08:00:00Z", time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-22T10:00:00+02:00", time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-22T08:00", time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-21", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"99999999999d", time.Time{}, true},
		{"yesterday", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseWhen(tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// The undo record is the contract between enable and disable across
// coldprof versions: keep its name.

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"1h", "2d", "2026-11-22", "2026-11-22T08:00:00Z", "-5d", "99999999999d", "1e9h"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWhen(s, now)
		if err == nil && got.After(now) && !strings.Contains(s, "-") && !strings.Contains(s, "T") {
			t.Errorf("ParseWhen(%q) = %v, after now for a duration", s, got)
		}
	})
}

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	start, end, err := ParseWindow("2h", "", now)
	if err != nil || !start.Equal(now.Add(-2*time.Hour)) || !end.IsZero() {
		t.Errorf("2h: %v %v %v, want 2 h ago to now", start, end, err)
	}
	if got := (LogQuery{Start: start}).Window(); got != "since 2026-11-22T10:00:00Z" {
		t.Errorf("window %q", got)
	}
	start, end, err = ParseWindow("2026-11-21", "2026-11-22T06:00:00Z", now)
	if err != nil {
		t.Fatal(err)
	}
	if got := (LogQuery{Start: start, End: end}).Window(); got != "since 2026-11-21T00:00:00Z until 2026-11-22T06:00:00Z" {
		t.Errorf("window %q", got)
	}
	for _, tt := range []struct{ since, until, want string }{
		{"yesterday", "", `--since: "yesterday" is neither`},
		{"1h", "soon", `--until: "soon" is neither`},
		{"2026-11-22", "2026-11-21", "--until 2026-11-21T00:00:00Z is not after --since 2026-11-22T00:00:00Z"},
	} {
		if _, _, err := ParseWindow(tt.since, tt.until, now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--since %q --until %q: error %v, want %q", tt.since, tt.until, err, tt.want)
		}
	}
}
