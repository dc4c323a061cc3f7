package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// A LogQuery selects the events FetchLogs reads.
type LogQuery struct {
	Group      string
	Start, End time.Time // End zero: up to now
	Filter     string    // a CloudWatch Logs filter pattern; "" for every event
}

// Window is q's time range in words, for messages: "since T" or "since T
// until U".
func (q LogQuery) Window() string {
	window := "since " + q.Start.Format(time.RFC3339)
	if !q.End.IsZero() {
		window += " until " + q.End.Format(time.RFC3339)
	}
	return window
}

// LogStats counts what FetchLogs read so far.
type LogStats struct {
	Pages  int
	Events int
}

// logEvent and logPage are the JSON `aws logs filter-log-events` prints,
// which coldprof report (package envelope) reads back.
type logEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type logPage struct {
	Events []logEvent `json:"events"`
}

// FetchLogs pages through FilterLogEvents until the last page and writes
// each page with events to w as one line of filter-log-events JSON, as it
// arrives, so a report can start before the last page. Throttled calls are
// retried by the SDK's retryer. progress, when not nil, is called after each
// page.
func FetchLogs(ctx context.Context, cfg aws.Config, q LogQuery, w io.Writer, progress func(LogStats)) (LogStats, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(q.Group),
		StartTime:    aws.Int64(q.Start.UnixMilli()),
	}
	if !q.End.IsZero() {
		in.EndTime = aws.Int64(q.End.UnixMilli())
	}
	if q.Filter != "" {
		in.FilterPattern = aws.String(q.Filter)
	}
	var stats LogStats
	wrote := false
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(cloudwatchlogs.NewFromConfig(cfg), in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return stats, Explain(err, Op{Action: "logs:FilterLogEvents", Resource: "log group " + q.Group, Region: cfg.Region})
		}
		stats.Pages++
		if len(out.Events) > 0 {
			page := logPage{Events: make([]logEvent, 0, len(out.Events))}
			for _, e := range out.Events {
				page.Events = append(page.Events, logEvent{
					LogStreamName: aws.ToString(e.LogStreamName),
					Timestamp:     aws.ToInt64(e.Timestamp),
					Message:       aws.ToString(e.Message),
					IngestionTime: aws.ToInt64(e.IngestionTime),
					EventID:       aws.ToString(e.EventId),
				})
			}
			if err := enc.Encode(page); err != nil {
				return stats, err
			}
			wrote = true
			stats.Events += len(out.Events)
		}
		if progress != nil {
			progress(stats)
		}
	}
	if !wrote {
		// A valid, empty export, so a saved file still reads back.
		if err := enc.Encode(logPage{Events: []logEvent{}}); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// ReadLogs runs FetchLogs into consume through a pipe, so that consume (a
// report, a file) reads the events while FilterLogEvents still pages. It
// returns what FetchLogs read, FetchLogs' error (nil when it only stopped
// because consume returned early) and consume's error.
func ReadLogs(ctx context.Context, cfg aws.Config, q LogQuery, progress func(LogStats), consume func(io.Reader) error) (stats LogStats, fetchErr, consumeErr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	type fetched struct {
		stats LogStats
		err   error
	}
	done := make(chan fetched, 1)
	go func() {
		stats, err := FetchLogs(ctx, cfg, q, pw, progress)
		pw.CloseWithError(err)
		done <- fetched{stats, err}
	}()
	consumeErr = consume(pr)
	pr.CloseWithError(errStoppedReading) // unblock the fetch if the reader quit early
	cancel()
	got := <-done
	if got.err != nil && !errors.Is(got.err, errStoppedReading) && !errors.Is(got.err, context.Canceled) {
		return got.stats, got.err, consumeErr
	}
	return got.stats, nil, consumeErr
}

// ReadFunctionLogs is logs' read: LoadConfig with s, the log group of
// function when q has none (saying so on stderr when it had to guess), and
// ReadLogs into consume (given the group) with a progress line on stderr
// at most every second. It returns the group read and ReadLogs' results;
// an error before the read is a fetch error.
func ReadFunctionLogs(ctx context.Context, s Settings, function string, q LogQuery, stderr io.Writer, consume func(group string, events io.Reader) error) (group string, stats LogStats, fetchErr, consumeErr error) {
	cfg, err := LoadConfig(ctx, s)
	if err != nil {
		return q.Group, stats, err, nil
	}
	if q.Group == "" {
		var guessed bool
		if q.Group, guessed, err = LogGroupOf(ctx, cfg, function); err != nil {
			return q.Group, stats, err, nil
		}
		if guessed {
			fmt.Fprintf(stderr, "coldprof: cannot read %s's logging configuration (no lambda:GetFunctionConfiguration); reading %s\n", function, q.Group)
		}
	}
	lastPrint := time.Now()
	progress := func(st LogStats) {
		if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			fmt.Fprintf(stderr, "coldprof: %s: %d events so far (%d pages)\n", q.Group, st.Events, st.Pages)
		}
	}
	stats, fetchErr, consumeErr = ReadLogs(ctx, cfg, q, progress, func(events io.Reader) error { return consume(q.Group, events) })
	return q.Group, stats, fetchErr, consumeErr
}

// errStoppedReading ends the fetch when the consumer stopped reading
// early; its own error is the one to show.
var errStoppedReading = errors.New("stopped reading the events")

// LogGroupOf returns the log group of a function: its logging
// configuration's, or, when reading that is denied, Lambda's default
// /aws/lambda/NAME (guessed is then true).
func LogGroupOf(ctx context.Context, cfg aws.Config, function string) (group string, guessed bool, err error) {
	fn, err := GetFunction(ctx, cfg, function)
	var denied *Error
	switch {
	case errors.As(err, &denied) && denied.Code == "AccessDeniedException":
		return "/aws/lambda/" + ShortName(function), true, nil
	case err != nil:
		return "", false, err
	}
	return fn.DefaultLogGroup(), false, nil
}
