#!/usr/bin/env python3
"""Regenerates the CloudWatch export fixtures in this directory.

Run from the repository root:  python3 testdata/exports/generate.py

The messages are real: `-X importtime` output of the interpreter running this
script (python3 -X importtime -c 'import json, email.mime.text'), wrapped in
the events a Lambda function writes (platform lines, a coldprof start marker,
a multi-line runtime-logger event, a message with trailing spaces, tabs).
Each export shape is then written exactly as lambda-runtime.md sections 4 and 5
describe the tool that prints it. events.json keeps the canonical events so
tests can derive what each decoder must return.
"""
import csv
import datetime
import gzip
import io
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc

STREAM_A = "2026/11/22/[$LATEST]0123abcd4567ef890123abcd4567ef89"
STREAM_B = "2026/11/22/python3.12[$LATEST]fedcba98765432100123456789abcdef"
LOG = "123456789012:/aws/lambda/coldprof-demo"
BASE_MS = 1795344994000  # 2026-11-22T10:56:34Z, a whole second: isoformat() drops the fraction


def importtime_lines():
    """Real -X importtime output (stderr) of this interpreter."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json, email.mime.text"],
        check=True, capture_output=True, text=True,
    ).stderr
    return [l for l in out.splitlines() if l.startswith("import time:")]


def text_events(stream, start_ms, req, imports):
    """Messages of one TEXT-log-format cold start, with the newline Lambda keeps."""
    msgs = [
        "INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:" + "ab" * 32 + "\n",
        'coldprof: {"v":1,"ev":"start","t":%d,"runtime":"python3.12","handler":"app.handler"}\n' % (start_ms * 1000),
    ]
    msgs += [l + "\n" for l in imports]
    msgs += [
        "START RequestId: %s Version: $LATEST\n" % req,
        "padded message with trailing spaces   \n",
        "[ERROR]\t2026-11-22T10:56:35.001Z\t%s\tfailed once\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 3, in handler\n\traise ValueError(\"x\")\n" % req,
        '{"timestamp": "2026-11-22T10:56:35Z", "level": "INFO", "message": "json app log", "requestId": "%s"}\n' % req,
        "END RequestId: %s\n" % req,
        "REPORT RequestId: %s\tDuration: 26.33 ms\tBilled Duration: 27 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 345.75 ms\t\n" % req,
    ]
    return events(stream, start_ms, msgs)


def jsonlog_events(stream, start_ms, req, imports):
    """Messages of one cold start of a function using Lambda's JSON log format."""
    def platform(kind, record, ms):
        t = datetime.datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return json.dumps({"time": t, "type": kind, "record": record}, separators=(",", ":")) + "\n"
    msgs = [
        platform("platform.initStart", {"initializationType": "on-demand", "phase": "init",
                                        "runtimeVersion": "python:3.12.mainlinev2.v7",
                                        "runtimeVersionArn": "arn:aws:lambda:eu-central-1::runtime:" + "cd" * 32,
                                        "functionName": "coldprof-demo", "functionVersion": "$LATEST",
                                        "instanceId": stream, "instanceMaxMemory": 1073741824}, start_ms),
        'coldprof: {"v":1,"ev":"start","t":%d,"runtime":"python3.12","handler":"app.handler"}\n' % (start_ms * 1000),
    ]
    msgs += [l + "\n" for l in imports]
    msgs += [
        platform("platform.start", {"requestId": req, "version": "$LATEST"}, start_ms + 400),
        platform("platform.runtimeDone", {"requestId": req, "status": "success", "spans": [],
                                          "metrics": {"durationMs": 1.056, "producedBytes": 50}}, start_ms + 420),
        platform("platform.report", {"requestId": req, "status": "success",
                                     "metrics": {"durationMs": 18.593, "billedDurationMs": 19, "memorySizeMB": 2048,
                                                 "maxMemoryUsedMB": 246, "initDurationMs": 390.218}}, start_ms + 421),
    ]
    return events(stream, start_ms, msgs)


def events(stream, start_ms, msgs):
    out = []
    for i, m in enumerate(msgs):
        ts = start_ms + i // 3  # three events per millisecond: ties are common in real logs
        out.append({"logStreamName": stream, "timestamp": ts, "message": m,
                    "ingestionTime": ts + 250, "eventId": "%056d" % (ts * 1000 + i)})
    return out


def interleave(*streams):
    """Events of several streams merged by time, as filter-log-events returns them."""
    merged = [e for s in streams for e in s]
    return sorted(merged, key=lambda e: e["timestamp"])  # stable: stream order kept within a stream


def iso(ms, spec="microseconds"):
    return datetime.datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec=spec)


def write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)


def tail_detailed(evs):
    # awscli customizations/logs/tail.py: '%s %s %s' % (isoformat(timespec='microseconds'), stream, message), rstripped.
    return "".join("%s %s %s\n" % (iso(e["timestamp"]), e["logStreamName"], e["message"].rstrip()) for e in evs)


def tail_short(evs):
    return "".join("%s %s\n" % (datetime.datetime.fromtimestamp(e["timestamp"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                                e["message"].rstrip()) for e in evs)


def tail_json(evs):
    out = []
    for e in evs:
        msg = e["message"]
        try:
            msg = "\n" + json.dumps(json.loads(msg), indent=4)
        except json.JSONDecodeError:
            pass
        ts = datetime.datetime.fromtimestamp(e["timestamp"] / 1000, UTC).isoformat()
        out.append(("%s %s %s" % (ts, e["logStreamName"], msg)).rstrip() + "\n")
    return "".join(out)


def sam_text(evs, aware):
    # samcli cw_log_formatters: f"{stream} {timestamp_to_iso(ts)} {message}", JSON messages re-indented.
    out = []
    for e in evs:
        dt = datetime.datetime.fromtimestamp(e["timestamp"] / 1000, UTC)
        if not aware:
            dt = dt.replace(tzinfo=None)
        msg = e["message"]
        if msg.startswith("{"):
            try:
                msg = json.dumps(json.loads(msg), indent=2)
            except json.JSONDecodeError:
                pass
        if not msg.endswith("\n"):
            msg += "\n"
        out.append("%s %s %s" % (e["logStreamName"], dt.isoformat(), msg))
    return "".join(out)


def pages(evs, size, token_key):
    out = []
    for i in range(0, len(evs), size):
        page = {"events": evs[i:i + size], "searchedLogStreams": []}
        if i + size < len(evs):
            page[token_key] = "Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCqx" + str(i)
        out.append(json.dumps(page, indent=4, ensure_ascii=False) + "\n")
    return "".join(out)


def get_log_events(evs, size):
    out = []
    token = "f/3929048349237458239473859734985739485739485739485739"
    for i in range(0, len(evs), size):
        page = {"events": [{"timestamp": e["timestamp"], "message": e["message"], "ingestionTime": e["ingestionTime"]}
                           for e in evs[i:i + size]],
                "nextForwardToken": token + str(i), "nextBackwardToken": "b/" + token[2:] + str(i)}
        out.append(json.dumps(page, indent=4) + "\n")
    # At the end of the stream the same forward token comes back with no events.
    out.append(json.dumps({"events": [], "nextForwardToken": token + str(i), "nextBackwardToken": "b/x"}, indent=4) + "\n")
    return "".join(out)


def insights_ts(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def insights_json(evs):
    rows = [[{"field": "@timestamp", "value": insights_ts(e["timestamp"])},
             {"field": "@message", "value": e["message"]},
             {"field": "@logStream", "value": e["logStreamName"]},
             {"field": "@log", "value": LOG},
             {"field": "@ptr", "value": "CmAKJwojMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRhL2RlbW8QBxI1GhgCBkFy" + e["eventId"][-8:]}]
            for e in reversed(evs)]  # the console's default query sorts by @timestamp desc
    doc = {"results": rows, "statistics": {"recordsMatched": len(rows), "recordsScanned": len(rows),
                                           "bytesScanned": 12345}, "status": "Complete"}
    return json.dumps(doc, indent=4) + "\n"


def insights_csv(evs):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["@timestamp", "@message", "@logStream", "@log"])
    for e in reversed(evs):
        w.writerow([insights_ts(e["timestamp"]), e["message"], e["logStreamName"], LOG])
    return buf.getvalue()


def main():
    imports = importtime_lines()
    a = text_events(STREAM_A, BASE_MS, "8f5a3b2c-1d4e-4f6a-9b7c-0d1e2f3a4b5c", imports)
    b = text_events(STREAM_B, BASE_MS + 2, "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", imports[:12])
    both = interleave(a, b)
    jl = jsonlog_events(STREAM_A, BASE_MS + 60000, "6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f", imports[:8])

    write("events.json", json.dumps({"text": both, "jsonlog": jl}, indent=1) + "\n")
    write("raw.txt", "".join(e["message"] for e in a))
    write("lambda-json.log", "".join(e["message"] for e in jl))
    write("tail.txt", tail_detailed(both))
    write("tail-short.txt", tail_short(a))
    write("tail-json.txt", tail_json(both))
    write("sam.txt", sam_text(both, aware=False))
    write("sam-tz.txt", sam_text(both, aware=True))
    write("sam.json", "".join(json.dumps(e) + "\n" for e in both))
    write("filter-log-events.json", pages(both, 40, "nextToken"))
    write("filter-log-events-maxitems.json", pages(both, 25, "NextToken"))
    write("filter-log-events-jsonlog.json", pages(jl, 100, "nextToken"))
    write("get-log-events.json", get_log_events(a, 30))
    write("insights.json", insights_json(both))
    write("insights.csv", insights_csv(both))
    with open(os.path.join(HERE, "tail.txt.gz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(tail_detailed(both).encode())


if __name__ == "__main__":
    main()
