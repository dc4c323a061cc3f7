package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/coldprof/coldprof/cmd/coldprof/internal/awsapi"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/cli"
	"github.com/coldprof/coldprof/cmd/coldprof/internal/reporting"
	"github.com/coldprof/coldprof/layer"
	"github.com/coldprof/coldprof/report"
)

const logsUsage = `Usage: coldprof logs (--function NAME | --log-group GROUP) [--since 1h] [--until TIME]
                     [--filter PATTERN] [report flags | --save FILE] [--region R] [--profile P]

Reads a function's logs from CloudWatch Logs (FilterLogEvents, every page,
throttled calls retried) and reports its cold starts as coldprof report does,
starting while later pages still arrive. With --save it writes the events as
aws logs filter-log-events JSON instead, for coldprof report FILE later.

Flags:
%s
Needs logs:FilterLogEvents (and lambda:GetFunctionConfiguration for
--function). Progress goes to stderr, the report to stdout.

Examples:
  coldprof logs --function my-fn --since 30m
  coldprof logs --function my-fn --since 2h --format markdown -o cold.md
  coldprof logs --log-group /aws/lambda/my-fn --since 2026-11-22T08:00:00Z --save cold.json
`

func runLogs(_ io.Reader, stdout, stderr io.Writer, args []string) error {
	var f awsFlags
	fs := cli.NewFlagSet("logs")
	f.register(fs, false)
	group := fs.String("log-group", "", "the log group, when you know it")
	since := fs.String("since", "1h", "start: a duration ago (90s, 15m, 1h, 2d) or a time (2026-11-22T08:00:00Z, 2026-11-22)")
	until := fs.String("until", "", "end, in the same forms (default now)")
	filter := fs.String("filter", "", "a CloudWatch Logs filter pattern; the report needs the load-time lines, the coldprof markers and Lambda's START and REPORT lines, so filter by stream or time, not by text")
	save := fs.String("save", "", "write the events to this file instead of reporting")
	rf := reporting.Install(fs, "logs", report.Formats, reporting.ColdStartFlags)
	if err := cli.ParseFlags(fs, logsUsage, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("logs takes no arguments, got %q", fs.Args())
	}
	reportCfg, err := rf.Config()
	if err != nil {
		return err
	}
	switch changed := rf.Changed(); {
	case (f.function == "") == (*group == ""):
		return cli.Usagef("logs: give --function NAME or --log-group GROUP (one of them)")
	case *save != "" && len(changed) > 0:
		return cli.Usagef("logs: --save writes the events, %s shapes a report; choose one", changed[0])
	}
	start, end, err := awsapi.ParseWindow(*since, *until, time.Now())
	if err != nil {
		return cli.Usagef("logs: %v", err)
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
	q := awsapi.LogQuery{Group: *group, Start: start, End: end, Filter: *filter}
	var stats awsapi.LogStats
	var fetchErr, consumeErr error
	q.Group, stats, fetchErr, consumeErr = awsapi.ReadFunctionLogs(ctx, settings, f.function, q, stderr, func(group string, events io.Reader) error {
		if *save != "" {
			return cli.WriteOutput(nil, *save, func(w io.Writer) error { _, err := io.Copy(w, events); return err })
		}
		return reporting.Events(stdout, stderr, events, group, reportCfg)
	})
	if fetchErr != nil {
		return fetchErr // the reader's error, if any, only echoes this one
	}
	window := q.Window()
	fmt.Fprintf(stderr, "coldprof: read %d events in %d pages from %s (%s)\n", stats.Events, stats.Pages, q.Group, window)
	if errors.Is(consumeErr, report.ErrNoColdStart) {
		return fmt.Errorf("no cold start in %s %s: was coldprof enabled (coldprof enable) and did the function cold-start in that window?", q.Group, window)
	}
	if consumeErr != nil {
		return consumeErr
	}
	if *save != "" {
		fmt.Fprintf(stderr, "coldprof: saved to %s; report it with: coldprof report %s\n", *save, layer.ShellQuote(*save))
	}
	return nil
}
