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

// ParseWindow reads logs' --since and --until (empty: up to now) as a
// query's Start and End.
func ParseWindow(since, until string, now time.Time) (start, end time.Time, err error) {
	if start, err = ParseWhen(since, now); err != nil {
		return start, end, fmt.Errorf("--since: %w", err)
	}
	if until == "" {
		return start, end, nil
	}
	if end, err = ParseWhen(until, now); err != nil {
		return start, end, fmt.Errorf("--until: %w", err)
	}
	if !end.After(start) {
		return start, end, fmt.Errorf("--until %s is not after --since %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return start, end, nil
}

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
