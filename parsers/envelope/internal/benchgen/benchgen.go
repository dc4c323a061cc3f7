// Package benchgen writes large CloudWatch exports for the envelope
// benchmarks: many interleaved cold starts made of real -X importtime lines,
// as `aws logs tail` text or `aws logs filter-log-events` JSON pages.
package benchgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ImportLines returns the "import time:" lines of a raw stderr fixture,
// the header first.
func ImportLines(rawFixture string) ([]string, error) {
	b, err := os.ReadFile(rawFixture)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "import time:") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no import time lines", rawFixture)
	}
	return lines, nil
}

// An event is one CloudWatch log event.
type event struct {
	stream string
	ms     int64
	msg    string
}

// importRepeats makes one cold start about 1,200 import lines (~100 KB of
// tail text), a large but real-sized Python function (boto3 and friends).
const importRepeats = 10

// coldStarts yields the events of cold starts, four at a time interleaved
// by time as filter-log-events and aws logs tail return them.
func coldStarts(imports []string, emit func(event) bool) {
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).UnixMilli()
	for n := 0; ; n += 4 {
		var groups [4][]event
		for k := range groups {
			stream := fmt.Sprintf("2026/11/22/[$LATEST]%032x", n+k)
			req := fmt.Sprintf("%08x-1d4e-4f6a-9b7c-%012x", n+k, n+k)
			t := base + int64(n+k)*1000
			msgs := []string{
				"INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:" + strings.Repeat("ab", 32),
				fmt.Sprintf(`coldprof: {"v":1,"ev":"start","t":%d,"runtime":"python3.12","handler":"app.handler"}`, t*1000),
			}
			msgs = append(msgs, imports[0]) // the header, once per interpreter
			for r := 0; r < importRepeats; r++ {
				for _, line := range imports[1:] {
					if r > 0 {
						line += fmt.Sprintf("_%d", r) // another module of the same shape
					}
					msgs = append(msgs, line)
				}
			}
			msgs = append(msgs, "START RequestId: "+req+" Version: $LATEST", "END RequestId: "+req,
				"REPORT RequestId: "+req+"\tDuration: 26.33 ms\tBilled Duration: 27 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 345.75 ms\t")
			for i, m := range msgs {
				groups[k] = append(groups[k], event{stream, t + int64(i/8), m})
			}
		}
		for i := 0; ; i++ {
			any := false
			for k := range groups {
				if i < len(groups[k]) {
					any = true
					if !emit(groups[k][i]) {
						return
					}
				}
			}
			if !any {
				break
			}
		}
	}
}

// countingWriter stops the generator once size bytes are written.
type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) WriteString(s string) {
	n, _ := c.w.WriteString(s)
	c.n += int64(n)
}

// Tail writes about size bytes of `aws logs tail` (detailed) output.
func Tail(w io.Writer, imports []string, size int64) error {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	coldStarts(imports, func(e event) bool {
		ts := time.UnixMilli(e.ms).UTC().Format("2006-01-02T15:04:05.000000-07:00")
		ts = strings.Replace(ts, "Z", "+00:00", 1)
		cw.WriteString(ts + " " + e.stream + " " + strings.TrimRight(e.msg, " \t") + "\n")
		return cw.n < size
	})
	return cw.w.Flush()
}

// FilterLogEvents writes about size bytes of filter-log-events pages of
// 10,000 events each, pretty-printed by the AWS CLI (indent 4), one after
// another.
func FilterLogEvents(w io.Writer, imports []string, size int64) error {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	inPage := 0
	id := 0
	coldStarts(imports, func(e event) bool {
		if inPage == 0 {
			cw.WriteString("{\n    \"events\": [\n")
		} else {
			cw.WriteString(",\n")
		}
		msg, _ := json.Marshal(e.msg + "\n")
		id++
		cw.WriteString(fmt.Sprintf("        {\n            \"logStreamName\": %q,\n            \"timestamp\": %d,\n            \"message\": %s,\n            \"ingestionTime\": %d,\n            \"eventId\": \"%056d\"\n        }",
			e.stream, e.ms, msg, e.ms+300, id))
		inPage++
		done := cw.n >= size
		if inPage == 10000 || done {
			cw.WriteString(fmt.Sprintf("\n    ],\n    \"searchedLogStreams\": [],\n    \"nextToken\": \"Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCqx%d\"\n}\n", id))
			inPage = 0
		}
		return !done
	})
	return cw.w.Flush()
}
