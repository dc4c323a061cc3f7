package awsapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDaysAgo bounds "Nd" so the date arithmetic cannot overflow; CloudWatch
// Logs keeps events for at most 10 years anyway.
const maxDaysAgo = 36500

// ParseWhen reads --since/--until: a duration before now ("15m", "1h30m",
// "2d") or an absolute time (RFC 3339, or a date, in UTC).
func ParseWhen(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			if n > maxDaysAgo {
				return time.Time{}, fmt.Errorf("%q: more than %d days ago", s, maxDaysAgo)
			}
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: give a positive duration (how long ago)", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (15m, 1h, 2d) nor a time (2026-11-22T08:00:00Z)", s)
}
