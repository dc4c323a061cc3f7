package platform

import (
	"bytes"
	"strings"
	"testing"
)

func TestField(t *testing.T) {
	line := []byte("RequestId: r\tDuration: 1.5 ms\tBilled Duration: 2 ms\tRestore Duration: 3 ms\tBilled Restore Duration: 4 ms Max Memory Used: 5 MB")
	for label, want := range map[string]string{
		"Duration: ": "1.5", "Billed Duration: ": "2", "Restore Duration: ": "3", "Billed Restore Duration: ": "4",
		"Max Memory Used: ": "5", "Memory Size: ": "", "Status: ": "",
	} {
		if got := string(Field(line, label)); got != want {
			t.Errorf("%q: %q, want %q", label, got, want)
		}
	}
	// Squeezed to spaces: a label still only starts a field.
	squeezed := []byte("RequestId: r Billed Duration: 2 ms Duration: 1 ms")
	if got := string(Field(squeezed, "Duration: ")); got != "1" {
		t.Errorf("squeezed Duration %q", got)
	}
}

func TestRuntimeFromVersion(t *testing.T) {
	for in, want := range map[string]string{
		"python:3.12.mainlinev2.v7": "python3.12",
		"python:3.9.v64":            "python3.9",
		"nodejs:20.v13":             "nodejs20.x",
		"java:17.v14":               "java17",
		"ruby:3.2.v10":              "ruby3.2",
		"dotnet:8.v22":              "dotnet8",
		"python":                    "",
		"provided:al2023.v55":       "provided",
	} {
		if got := RuntimeFromVersion([]byte(in)); got != want {
			t.Errorf("RuntimeFromVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRuntimeVersion checks the emulator's version strings and that the
// parsers read each back as the runtime it was made for.
func TestRuntimeVersion(t *testing.T) {
	for runtime, want := range map[string]string{
		"python3.12": "python:3.12.local",
		"python3.9":  "python:3.9.local",
		"nodejs20.x": "nodejs:20.local",
		"nodejs24.x": "nodejs:24.local",
		"java21":     "java:21.local",
		"java8.al2":  "java:8.al2.local",
		"ruby3.3":    "ruby:3.3.local",
		"":           "local",
		"provided":   "local",
		"nodejs":     "local",
	} {
		got := RuntimeVersion(runtime, "local")
		if got != want {
			t.Errorf("RuntimeVersion(%q) = %q, want %q", runtime, got, want)
		}
		back := RuntimeFromVersion([]byte(got))
		switch runtime {
		case "", "provided", "nodejs":
			if back != "" {
				t.Errorf("%q: read back as %q, want none", runtime, back)
			}
		case "java8.al2":
			if back != "java8" {
				t.Errorf("%q: read back as %q, want java8", runtime, back)
			}
		default:
			if back != runtime {
				t.Errorf("%q: read back as %q", runtime, back)
			}
		}
	}
}

// TestAppendParse writes every kind of line and reads it back.
func TestAppendParse(t *testing.T) {
	rec := Record{
		RequestID: "8f5b7e3a-1c2d-4e5f-9a0b-1c2d3e4f5a6b", Version: "$LATEST",
		RuntimeVersion: "python:3.12.mainlinev2.v7", RuntimeVersionARN: "arn:aws:lambda:eu-central-1::runtime:ab",
		Phase: "init", InitType: "provisioned-concurrency", Status: "timeout", ErrorType: "Runtime.ExitError",
		Metrics: Metrics{
			DurationMs: Millis(26.331), BilledDurationMs: Millis(27), MemorySizeMB: Megabytes(1024), MaxMemoryUsedMB: Megabytes(96),
			InitDurationMs: Millis(345.75), RestoreDurationMs: Millis(501.2), BilledRestoreDurationMs: Millis(502),
		},
	}
	for _, tt := range []struct {
		kind Kind
		want string
	}{
		{InitStart, "INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:ab\tInitialization Type: provisioned-concurrency"},
		{RestoreStart, "RESTORE_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:ab"},
		{Start, "START RequestId: 8f5b7e3a-1c2d-4e5f-9a0b-1c2d3e4f5a6b Version: $LATEST"},
		{End, "END RequestId: 8f5b7e3a-1c2d-4e5f-9a0b-1c2d3e4f5a6b"},
		{Report, "REPORT RequestId: 8f5b7e3a-1c2d-4e5f-9a0b-1c2d3e4f5a6b\tDuration: 26.33 ms\tBilled Duration: 27 ms\tMemory Size: 1024 MB\tMax Memory Used: 96 MB\tInit Duration: 345.75 ms\tRestore Duration: 501.20 ms\tBilled Restore Duration: 502 ms\tStatus: timeout\tError Type: Runtime.ExitError"},
		{InitReport, "INIT_REPORT Init Duration: 26.33 ms\tPhase: init\tStatus: timeout\tError Type: Runtime.ExitError\tInitialization Type: provisioned-concurrency"},
		{RestoreReport, "RESTORE_REPORT Restore Duration: 26.33 ms\tStatus: timeout\tError Type: Runtime.ExitError"},
	} {
		got := string(Append(nil, tt.kind, &rec))
		if got != tt.want {
			t.Errorf("Append(%d):\n got %q\nwant %q", tt.kind, got, tt.want)
			continue
		}
		// As CloudWatch shows it, behind a timestamp.
		l, ok := Parse([]byte("2026-11-22T10:56:34.686Z\t" + got))
		if !ok || l.Kind != tt.kind {
			t.Errorf("Parse(%q) = kind %d, %v", got, l.Kind, ok)
			continue
		}
		switch tt.kind {
		case Start, End:
			if string(l.RequestID) != rec.RequestID {
				t.Errorf("%q: request ID %q", got, l.RequestID)
			}
		case Report:
			if string(l.RequestID) != rec.RequestID || l.Duration != (Ms{26.33, true}) || l.BilledDuration != (Ms{27, true}) ||
				l.MemorySizeMB != (MB{1024, true}) || l.MaxMemoryUsedMB != (MB{96, true}) || l.InitDuration != (Ms{345.75, true}) ||
				l.RestoreDuration != (Ms{501.2, true}) || l.BilledRestoreDuration != (Ms{502, true}) ||
				string(l.Status) != "timeout" || string(l.ErrorType) != "Runtime.ExitError" {
				t.Errorf("%q: read %+v", got, l)
			}
		case InitStart, RestoreStart:
			if string(l.RuntimeVersion) != rec.RuntimeVersion {
				t.Errorf("%q: runtime version %q", got, l.RuntimeVersion)
			}
			if tt.kind == InitStart && string(l.InitType) != rec.InitType {
				t.Errorf("%q: init type %q", got, l.InitType)
			}
		case InitReport:
			if l.InitDuration != (Ms{26.33, true}) || string(l.Phase) != "init" || string(l.Status) != "timeout" ||
				string(l.ErrorType) != "Runtime.ExitError" || string(l.InitType) != rec.InitType {
				t.Errorf("%q: read %+v", got, l)
			}
		case RestoreReport:
			if l.RestoreDuration != (Ms{26.33, true}) {
				t.Errorf("%q: restore duration %+v", got, l.RestoreDuration)
			}
		}
	}
}

// TestReportSuccess: a TEXT REPORT says nothing on success, INIT_REPORT
// always states its status, absent metrics leave no field.
func TestReportSuccess(t *testing.T) {
	r := Record{RequestID: "r", Status: "success", Metrics: Metrics{DurationMs: Millis(1)}}
	if got := string(Append(nil, Report, &r)); got != "REPORT RequestId: r\tDuration: 1.00 ms" {
		t.Errorf("REPORT %q", got)
	}
	if got := string(Append(nil, InitReport, &r)); got != "INIT_REPORT Init Duration: 1.00 ms\tStatus: success" {
		t.Errorf("INIT_REPORT %q", got)
	}
}

func TestFromJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"time":"2026-11-22T10:56:34.686Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.mainlinev2.v7","runtimeVersionArn":"arn:aws:lambda:eu-central-1::runtime:ab"}}`: "INIT_START Runtime Version: python:3.12.mainlinev2.v7\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:ab\tInitialization Type: on-demand",
		`{"time":"2026-11-22T10:56:35.000Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"success"}}`:                                                                                                                      "END RequestId: r1",
		`{"time":"2026-11-22T10:56:35.000Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":2.5,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":70}}}`:                                                    "REPORT RequestId: r1\tDuration: 2.50 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB",
	} {
		out, time, ok := FromJSON([]byte("keep:"), []byte(in))
		if !ok || string(out) != "keep:"+want || !strings.HasPrefix(time, "2026-11-22T10:56:3") {
			t.Errorf("FromJSON(%s) = %q, %q, %v", in, out, time, ok)
		}
	}
	for _, in := range []string{
		`{"time":"2026-11-22T10:56:35.000Z","type":"platform.telemetrySubscription","record":{}}`,
		`{"level":"INFO","message":"platform.start is not mine"}`,
		`START RequestId: r1 Version: $LATEST`,
		`{"type":"platform.start",`,
	} {
		if out, _, ok := FromJSON([]byte("keep"), []byte(in)); ok || string(out) != "keep" {
			t.Errorf("FromJSON(%s) = %q, %v; want it left alone", in, out, ok)
		}
	}
}

func TestParseNot(t *testing.T) {
	for _, in := range []string{
		"",
		"import time: 1 | 2 | json",
		"FOO RequestId: x", // RequestId after another word: no platform line
		"[INFO] 2026-11-22 RequestId: 1 handling",
		"restart RequestId:x",
	} {
		if l, ok := Parse([]byte(in)); ok {
			t.Errorf("Parse(%q) = %+v, want no platform line", in, l)
		}
	}
}

func FuzzParse(f *testing.F) {
	rec := Record{RequestID: "r", RuntimeVersion: "nodejs:20.v13", Status: "error", ErrorType: "E", InitType: "on-demand",
		Metrics: Metrics{DurationMs: Millis(1.5), BilledDurationMs: Millis(2), InitDurationMs: Millis(3), MemorySizeMB: Megabytes(1)}}
	for k := InitStart; k <= RestoreReport; k++ {
		f.Add(Append(nil, k, &rec))
	}
	f.Add([]byte("REPORT RequestId: r Billed Duration: NaN ms Duration: -1 ms Memory Size: 99999999999999999999 MB"))
	f.Add([]byte("x START RequestId: "))
	f.Fuzz(func(t *testing.T, text []byte) {
		l, ok := Parse(text)
		if !ok {
			if l.Kind != NotPlatform {
				t.Fatalf("not a platform line but kind %d", l.Kind)
			}
			return
		}
		for _, ms := range []Ms{l.Duration, l.BilledDuration, l.InitDuration, l.RestoreDuration, l.BilledRestoreDuration} {
			if ms.OK && !(ms.V >= 0) {
				t.Fatalf("duration %v", ms.V)
			}
		}
		if len(l.RequestID) > 0 && !bytes.Contains(text, l.RequestID) {
			t.Fatalf("request ID %q not in the line", l.RequestID)
		}
		_ = RuntimeFromVersion(l.RuntimeVersion)
	})
}

func FuzzFromJSON(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-22T10:56:35.000Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":2.5}}}`))
	f.Add([]byte(`{"time":"x","type":"platform.initReport","record":{"phase":"init","status":"error","metrics":{"durationMs":1e308}}}`))
	f.Add([]byte(`{"tYpe":"platform.initReport","record":{"status":"error"}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		out, _, ok := FromJSON(nil, msg)
		if !ok {
			return
		}
		// An INIT_REPORT or RESTORE_REPORT with no field at all is just
		// its word, which no log has and Parse does not take.
		if _, parsed := Parse(out); !parsed && bytes.ContainsAny(out, " \t") {
			t.Fatalf("FromJSON wrote %q, which Parse does not read", out)
		}
	})
}

func TestBegins(t *testing.T) {
	for in, want := range map[string]bool{
		"START RequestId: 1 Version: $LATEST":             true,
		"END RequestId: 1":                                true,
		"REPORT RequestId: 1\tDuration: 1.00 ms":          true,
		"INIT_START Runtime Version: python:3.12.v7":      true,
		"INIT_REPORT Init Duration: 1.00 ms\tPhase: init": true,
		"RESTORE_START Runtime Version: java:21.v1":       true,
		"RESTORE_REPORT Restore Duration: 1.00 ms":        true,
		"2026-11-22T10:56:34.686Z START RequestId: 1":     false, // a platform line, but not at the start
		"Traceback (most recent call last):":              false,
		"RESTART RequestId: 1":                            false,
		"STARTED":                                         false,
		"[ERROR] handler failed; END RequestId: as said":  false,
	} {
		if got := Begins([]byte(in)); got != want {
			t.Errorf("Begins(%q) = %v, want %v", in, got, want)
		}
	}
}
