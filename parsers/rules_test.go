package parsers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJavaPhaseRules (the class-load log written by classLog: the last
// class before a phase change or the end gets no time): the JVM's boot classes before the runtime's main
// class are interpreter; the runtime's classes, and the JDK classes it loads
// before the function's first class, are runtime; JDK classes loaded after
// the function's first class are the function's.
func TestJavaPhaseRules(t *testing.T) {
	initDone := `coldprof: {"v":1,"ev":"init_done","t":2}` + "\n"
	invokeStart := `coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}` + "\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "java17 runtime interface client",
			in: "LOAD java.lang.Object 5\nLOAD sun.launcher.LauncherHelper 2\n" +
				"LOAD com.amazonaws.services.lambda.runtime.api.client.AWSLambda 7\n" +
				"LOAD java.net.URLClassLoader 4\nLOAD jdk.internal.loader.Resource 1\n" +
				"LOAD com.amazonaws.services.lambda.runtime.RequestHandler 1\n" +
				"LOAD example.Handler 3\nLOAD java.util.regex.Pattern 6\n" + initDone +
				invokeStart + "LOAD java.time.Instant 2\nLOAD com.amazonaws.services.lambda.runtime.api.client.Late 1\n",
			want: "  java.lang.Object 5/5 interpreter\n  sun.launcher.LauncherHelper 2/2 interpreter\n" +
				"  com.amazonaws.services.lambda.runtime.api.client.AWSLambda 7/7 runtime\n" +
				"  java.net.URLClassLoader 4/4 runtime\n  jdk.internal.loader.Resource 1/1 runtime\n" +
				"  com.amazonaws.services.lambda.runtime.RequestHandler 1/1 runtime\n" +
				"  example.Handler 3/3 init\n  java.util.regex.Pattern 0/0 init\n" +
				"  java.time.Instant 2/2 invoke r1\n  com.amazonaws.services.lambda.runtime.api.client.Late 0/0 runtime\n",
		},
		{
			name: "java11 lambdainternal",
			in:   "LOAD java.lang.Object 5\nLOAD lambdainternal.AWSLambda 7\nLOAD java.io.File 1\nLOAD Handler 2\nLOAD java.io.Reader 1\n",
			want: "  java.lang.Object 5/5 interpreter\n  lambdainternal.AWSLambda 7/7 runtime\n  java.io.File 1/1 runtime\n  Handler 2/2 init\n  java.io.Reader 0/0 init\n",
		},
		{
			name: "coldprof run's client",
			in:   "LOAD java.lang.Object 5\nLOAD coldprof.runtime.AWSLambda 7\nLOAD javax.net.ssl.SSLContext 1\nLOAD com.sun.net.Foo 1\nLOAD example.Fn 2\n",
			want: "  java.lang.Object 5/5 interpreter\n  coldprof.runtime.AWSLambda 7/7 runtime\n  javax.net.ssl.SSLContext 1/1 runtime\n  com.sun.net.Foo 1/1 runtime\n  example.Fn 0/0 init\n",
		},
		{
			// A plain java run (or a log cut before the main class): nothing
			// says where the JVM's start-up ends, so no interpreter phase.
			name: "no runtime main class",
			in:   "LOAD java.lang.Object 5\nLOAD example.Main 2\nLOAD java.util.List 1\n",
			want: "  java.lang.Object 5/5 init\n  example.Main 2/2 init\n  java.util.List 0/0 init\n",
		},
		{
			// The main class's name must match exactly: another class of the
			// runtime's package does not end the JVM's start-up.
			name: "runtime class that is not the main class",
			in:   "LOAD java.lang.Object 5\nLOAD lambdainternal.Other 1\nLOAD java.io.File 1\n",
			want: "  java.lang.Object 5/5 init\n  lambdainternal.Other 1/1 runtime\n  java.io.File 0/0 init\n",
		},
		{
			// Init ends before the function's first class (an init error
			// after the runtime's own loading): later JDK classes are invoke.
			name: "library after init",
			in:   "LOAD java.lang.Object 5\nLOAD lambdainternal.AWSLambda 7\n" + initDone + invokeStart + "LOAD java.io.File 1\n",
			want: "  java.lang.Object 5/5 interpreter\n  lambdainternal.AWSLambda 0/0 runtime\n  java.io.File 0/0 invoke r1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, warnings, err := parse(t, classLog(tt.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if len(p.ColdStarts) != 1 {
				t.Fatalf("%d cold starts, want 1", len(p.ColdStarts))
			}
			got := dumpImports(p.ColdStarts[0].Imports)
			if diff := cmp.Diff(strings.Split(tt.want, "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPythonRulesHaveNoRuntimeStart: Python's start-up ends at "site"; a
// module that happens to share a Java main class's name changes nothing.
func TestPythonRulesHaveNoRuntimeStart(t *testing.T) {
	r := DefaultRules("python-importtime")
	if len(r.RuntimeStart) != 0 || len(r.Library) != 0 {
		t.Errorf("Python rules %+v: RuntimeStart and Library are the JVM's", r)
	}
}

// TestGrammarNewProcessInIntroducedColdStart: once a start marker or
// INIT_START began a cold start, a grammar's NewProcess (another process
// the function started) does not split it; without one it does.
func TestGrammarNewProcessInIntroducedColdStart(t *testing.T) {
	start := `coldprof: {"v":1,"ev":"start","t":1,"runtime":"java17","handler":"a.Fn::handle"}` + "\n"
	body := "JVM START\nLOAD a.A 5\nJVM START\nLOAD b.B 1\n"
	for _, tt := range []struct {
		name string
		in   string
		want int
	}{
		{"start marker", start + body, 1},
		{"INIT_START", "INIT_START Runtime Version: java:17.v14\n" + body, 1},
		{"start marker, then another", start + body + start + body, 2},
		{"bare", body, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parse(t, classLog(tt.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.ColdStarts) != tt.want {
				t.Errorf("%d cold starts, want %d", len(p.ColdStarts), tt.want)
			}
		})
	}
}

// TestHeaderInIntroducedColdStart: a process the function starts during an
// invocation (a multiprocessing spawn child inherits -X importtime) prints
// its own importtime header. In a cold start begun by a start marker or
// INIT_START its entries stay in it, in the invocation; without one the
// header begins a new cold start, as for any grammar's NewProcess.
func TestHeaderInIntroducedColdStart(t *testing.T) {
	start := `=coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler"}`
	body := []string{
		header, "4 4 0 site", "30 30 0 boto3",
		`=coldprof: {"v":1,"ev":"init_done","t":2}`,
		`=coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"r1"}`,
		header, "5 5 0 encodings", "6 6 0 site", "7 7 0 child_module",
		`=coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"r1","status":"response"}`,
	}
	for _, tt := range []struct {
		name  string
		first string
		want  []string
	}{
		{"start marker", start, []string{
			"  site 4/4 interpreter\n  boto3 30/30 init\n  encodings 5/5 invoke r1\n  site 6/6 invoke r1\n  child_module 7/7 invoke r1\n"}},
		{"INIT_START", "=INIT_START Runtime Version: python:3.12.v18", []string{
			"  site 4/4 interpreter\n  boto3 30/30 init\n  encodings 5/5 invoke r1\n  site 6/6 invoke r1\n  child_module 7/7 invoke r1\n"}},
		// Without one, the child's output is a cold start of its own, which
		// begins in init (its boundary is unknown: no init_done marker).
		{"bare", "", []string{
			"  site 4/4 interpreter\n  boto3 30/30 init\n",
			"  encodings 5/5 interpreter\n  site 6/6 interpreter\n  child_module 7/7 init\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines := body
			if tt.first != "" {
				lines = append([]string{tt.first}, body...)
			}
			p, _, err := parse(t, itLines(lines...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, cs := range p.ColdStarts {
				got = append(got, dumpImports(cs.Imports))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
