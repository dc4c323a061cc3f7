package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi"
	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
	"github.com/coldprof/coldprof/report"
)

const logsUsage = `Usage: coldprof logs (--function NAME | --log-group GROUP) [--since 1h] [--until TIME]
                     [--filter PATTERN] [--format F | --save FILE] [--region R] [--profile P]

Reads a function's logs from CloudWatch Logs (FilterLogEvents, every page,
throttled calls retried) and reports its cold starts as coldprof report does,
starting while later pages still arrive. With --save it writes the events as
aws logs filter-log-events JSON instead, for coldprof report FILE later.

Flags:
  --function NAME    the function; its log group is read from its logging
                     configuration (default /aws/lambda/NAME)
  --log-group GROUP  the log group, when you know it
  --since WHEN       start: a duration ago (90s, 15m, 1h, 2d) or a time
                     (2026-11-22T08:00:00Z, 2026-11-22) (default 1h)
  --until WHEN       end, in the same forms (default now)
  --filter PATTERN   a CloudWatch Logs filter pattern; the report needs the
                     import lines, the coldprof markers and Lambda's START and
                     REPORT lines, so filter by stream or time, not by text
  --format F         report format: table, json, markdown, … (default table)
  --save FILE        write the events to FILE instead of reporting
  --region R         AWS region (default: AWS_REGION, the profile's region)
  --profile P        AWS profile (default: AWS_PROFILE, "default")

Needs logs:FilterLogEvents (and lambda:GetFunctionConfiguration for
--function). Progress goes to stderr, the report to stdout.

Examples:
  coldprof logs --function my-fn --since 30m
  coldprof logs --log-group /aws/lambda/my-fn --since 2026-11-22T08:00:00Z --save cold.json
`

func runLogs(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	var f awsFlags
	fs := pflag.NewFlagSet("logs", pflag.ContinueOnError)
	f.register(fs, false)
	group := fs.String("log-group", "", "")
	since := fs.String("since", "1h", "")
	until := fs.String("until", "", "")
	filter := fs.String("filter", "", "")
	format := fs.String("format", string(report.FormatTable), "")
	save := fs.String("save", "", "")
	if err := parseAWSFlags("logs", logsUsage, fs, args, stderr); err != nil {
		return err
	}
	switch {
	case (f.function == "") == (*group == ""):
		return usagef("logs: give --function NAME or --log-group GROUP (one of them)")
	case *save != "" && fs.Changed("format"):
		return usagef("logs: --save writes the events, --format shapes a report; choose one")
	case !report.Format(*format).Known():
		return usagef("logs: unknown --format %q; use one of %s", *format, formatList())
	}
	now := time.Now()
	start, err := parseWhen(*since, now)
	if err != nil {
		return usagef("logs: --since: %v", err)
	}
	var end time.Time
	if *until != "" {
		if end, err = parseWhen(*until, now); err != nil {
			return usagef("logs: --until: %v", err)
		}
		if !end.After(start) {
			return usagef("logs: --until %s is not after --since %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	settings := f.settings()
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		// FilterLogEvents has a low request rate quota; a long range means
		// many pages, so be patient with throttling (only: an unreachable
		// endpoint fails as fast as in enable).
		settings.ThrottleAttempts = 10
	}
	cfg, err := awsapi.LoadConfig(ctx, settings)
	if err != nil {
		return err
	}
	if *group == "" {
		fn, err := awsapi.GetFunction(ctx, cfg, f.function)
		var denied *awsapi.Error
		switch {
		case errors.As(err, &denied) && denied.Code == "AccessDeniedException":
			*group = "/aws/lambda/" + awsapi.ShortName(f.function)
			fmt.Fprintf(stderr, "coldprof: cannot read %s's logging configuration (no lambda:GetFunctionConfiguration); reading %s\n", f.function, *group)
		case err != nil:
			return err
		default:
			*group = fn.DefaultLogGroup()
		}
	}
	q := awsapi.LogQuery{Group: *group, Start: start, End: end, Filter: *filter}
	window := "since " + start.Format(time.RFC3339)
	if !end.IsZero() {
		window += " until " + end.Format(time.RFC3339)
	}

	// The pages stream through a pipe: the report (or the file) reads
	// while FilterLogEvents still pages.
	pr, pw := io.Pipe()
	type fetched struct {
		stats awsapi.LogStats
		err   error
	}
	done := make(chan fetched, 1)
	go func() {
		lastPrint := time.Now()
		stats, err := awsapi.FetchLogs(ctx, cfg, q, pw, func(s awsapi.LogStats) {
			if time.Since(lastPrint) >= time.Second {
				lastPrint = time.Now()
				fmt.Fprintf(stderr, "coldprof: %s: %d events so far (%d pages)\n", q.Group, s.Events, s.Pages)
			}
		})
		pw.CloseWithError(err)
		done <- fetched{stats, err}
	}()
	var consumeErr error
	if *save != "" {
		consumeErr = saveEvents(*save, pr)
	} else {
		consumeErr = reportEvents(stdout, stderr, pr, q.Group, report.Format(*format))
	}
	pr.CloseWithError(errStoppedReading) // unblock the fetch if the reader quit early
	cancel()
	got := <-done
	if got.err != nil && !errors.Is(got.err, errStoppedReading) && !errors.Is(got.err, context.Canceled) {
		return got.err // the reader's error, if any, only echoes this one
	}
	fmt.Fprintf(stderr, "coldprof: read %d events in %d pages from %s (%s)\n", got.stats.Events, got.stats.Pages, q.Group, window)
	if errors.Is(consumeErr, report.ErrNoColdStart) {
		return fmt.Errorf("no cold start in %s %s: was coldprof enabled (coldprof enable) and did the function cold-start in that window?", q.Group, window)
	}
	if consumeErr != nil {
		return consumeErr
	}
	if *save != "" {
		fmt.Fprintf(stderr, "coldprof: saved to %s; report it with: coldprof report %s\n", *save, shellQuote(*save))
	}
	return nil
}

// errStoppedReading ends the fetch when the report or the file stopped
// reading early; their own error is the one to show.
var errStoppedReading = errors.New("stopped reading the events")

// saveEvents writes the events to path, via a temporary file in the same
// folder, so a failed run leaves no partial file behind.
func saveEvents(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".coldprof-logs-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// reportEvents reads filter-log-events JSON from r and writes the report.
func reportEvents(stdout, stderr io.Writer, r io.Reader, group string, format report.Format) error {
	src := &logSource{stderr: stderr}
	// WithPrefetch decodes the JSON (the slow part) on a second core.
	dec, err := envelope.Open(r, group, envelope.FormatFilterLogEvents, envelope.WithPrefetch(), envelope.WithWarn(func(where, msg string) {
		src.warn(profile.Warning{Where: where, Message: msg})
	}))
	if err != nil {
		return err
	}
	if c, ok := dec.(io.Closer); ok {
		defer c.Close()
	}
	src.reader = newLogReader(dec, group, src.warn)
	return report.Write(stdout, src, report.Options{Format: format})
}

// A logSource is the report.Source over one log group's events.
type logSource struct {
	reader   *parsers.Reader
	stderr   io.Writer
	warnings []profile.Warning
}

func (s *logSource) Next() (*profile.ColdStart, error) { return s.reader.Next() }

func (s *logSource) Warnings() []profile.Warning { return s.warnings }

func (s *logSource) warn(w profile.Warning) {
	fmt.Fprintln(s.stderr, w.String())
	if len(s.warnings) < maxKeptWarnings {
		s.warnings = append(s.warnings, w)
	}
}

// maxDaysAgo bounds "Nd" so the date arithmetic cannot overflow; CloudWatch
// Logs keeps events for at most 10 years anyway.
const maxDaysAgo = 36500

// parseWhen reads --since/--until: a duration before now ("15m", "1h30m",
// "2d") or an absolute time (RFC 3339, or a date, in UTC).
func parseWhen(s string, now time.Time) (time.Time, error) {
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
