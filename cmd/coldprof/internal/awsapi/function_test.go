package awsapi

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	coldprofLayer = "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:7"
	olderColdprof = "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:6"
	depsLayer     = "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3"
	otelLayer     = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-python-amd64-ver-1-25-0:1"
)

func TestPlanEnable(t *testing.T) {
	base := func(mod func(*Function)) Function {
		fn := Function{Name: "fn", Runtime: "python3.12", PackageType: "Zip", Architecture: "x86_64", RevisionID: "r1"}
		if mod != nil {
			mod(&fn)
		}
		return fn
	}
	tests := []struct {
		name       string
		fn         Function
		layer      string
		wantLayers []string
		wantEnv    map[string]string // without UndoVar
		wantUndo   string
		wantErr    string
	}{
		{
			name: "bare function", fn: base(nil), layer: coldprofLayer,
			wantLayers: []string{coldprofLayer},
			wantEnv:    map[string]string{WrapperVar: WrapperPath},
			wantUndo:   `{"v":1,"layer":"` + coldprofLayer + `","vars":{"AWS_LAMBDA_EXEC_WRAPPER":{"set":"/opt/coldprof-wrapper","was":null}}}`,
		},
		{
			name: "other layers and variables kept", layer: coldprofLayer,
			fn: base(func(f *Function) {
				f.Layers = []string{depsLayer, otelLayer}
				f.Env = map[string]string{"A": "1", "B": ""}
			}),
			wantLayers: []string{depsLayer, otelLayer, coldprofLayer},
			wantEnv:    map[string]string{"A": "1", "B": "", WrapperVar: WrapperPath},
		},
		{
			name: "existing wrapper moves to COLDPROF_NEXT_WRAPPER", layer: coldprofLayer,
			fn: base(func(f *Function) {
				f.Layers = []string{otelLayer}
				f.Env = map[string]string{WrapperVar: "/opt/otel-instrument"}
			}),
			wantLayers: []string{otelLayer, coldprofLayer},
			wantEnv:    map[string]string{WrapperVar: WrapperPath, NextWrapperVar: "/opt/otel-instrument"},
			wantUndo: `{"v":1,"layer":"` + coldprofLayer + `","vars":{"AWS_LAMBDA_EXEC_WRAPPER":{"set":"/opt/coldprof-wrapper","was":"/opt/otel-instrument"},` +
				`"COLDPROF_NEXT_WRAPPER":{"set":"/opt/otel-instrument","was":null}}}`,
		},
		{
			name: "older coldprof layer replaced where it stands", layer: coldprofLayer,
			fn:         base(func(f *Function) { f.Layers = []string{depsLayer, olderColdprof, otelLayer} }),
			wantLayers: []string{depsLayer, coldprofLayer, otelLayer},
			wantEnv:    map[string]string{WrapperVar: WrapperPath},
			wantUndo:   `{"v":1,"layer":"` + coldprofLayer + `","replaced":"` + olderColdprof + `","vars":{"AWS_LAMBDA_EXEC_WRAPPER":{"set":"/opt/coldprof-wrapper","was":null}}}`,
		},
		{
			name: "no --layer: the attached coldprof layer is used", layer: "",
			fn:         base(func(f *Function) { f.Layers = []string{coldprofLayer, depsLayer} }),
			wantLayers: []string{coldprofLayer, depsLayer},
			wantEnv:    map[string]string{WrapperVar: WrapperPath},
			wantUndo:   `{"v":1,"vars":{"AWS_LAMBDA_EXEC_WRAPPER":{"set":"/opt/coldprof-wrapper","was":null}}}`,
		},
		{
			name: "wrapper already set by a template: only the layer is added", layer: coldprofLayer,
			fn:         base(func(f *Function) { f.Env = map[string]string{WrapperVar: WrapperPath} }),
			wantLayers: []string{coldprofLayer},
			wantEnv:    map[string]string{WrapperVar: WrapperPath},
			wantUndo:   `{"v":1,"layer":"` + coldprofLayer + `","vars":{}}`,
		},
		{name: "no layer anywhere", fn: base(nil), layer: "", wantErr: "--layer ARN is needed"},
		{name: "not a layer ARN", fn: base(nil), layer: "coldprof-x86_64:7", wantErr: "is not a layer version ARN"},
		{name: "provided runtime", fn: base(func(f *Function) { f.Runtime = "provided.al2023" }), layer: coldprofLayer, wantErr: "runtime provided.al2023 ignores AWS_LAMBDA_EXEC_WRAPPER"},
		{name: "go1.x", fn: base(func(f *Function) { f.Runtime = "go1.x" }), layer: coldprofLayer, wantErr: "runtime go1.x ignores"},
		{name: "container image", fn: base(func(f *Function) { f.PackageType = "Image"; f.Runtime = "" }), layer: coldprofLayer, wantErr: "container image function"},
		{name: "JSON logs at WARN", fn: base(func(f *Function) { f.LogFormat = "JSON"; f.AppLogLevel = "WARN" }), layer: coldprofLayer, wantErr: "application log level WARN"},
		{
			name: "JSON logs at INFO", fn: base(func(f *Function) { f.LogFormat = "JSON"; f.AppLogLevel = "INFO" }), layer: coldprofLayer,
			wantLayers: []string{coldprofLayer}, wantEnv: map[string]string{WrapperVar: WrapperPath},
		},
		{name: "update in progress", fn: base(func(f *Function) { f.UpdateRunning = true }), layer: coldprofLayer, wantErr: "update of the function is in progress"},
		{name: "variables Lambda could not return", fn: base(func(f *Function) { f.EnvError = "AccessDeniedException: Lambda was unable to decrypt" }), layer: coldprofLayer, wantErr: "writing the environment without them would erase them"},
		{name: "already enabled", fn: base(func(f *Function) { f.Env = map[string]string{UndoVar: "{}"} }), layer: coldprofLayer, wantErr: "already enabled"},
		{
			name: "five layers already", layer: coldprofLayer,
			fn: base(func(f *Function) {
				f.Layers = []string{depsLayer + "1", depsLayer + "2", depsLayer + "3", depsLayer + "4", depsLayer + "5"}
			}),
			wantErr: "Lambda allows 5",
		},
		{name: "layer in another region", fn: base(func(f *Function) { f.Region = "us-east-1" }), layer: coldprofLayer, wantErr: "is in region eu-west-1, the function in us-east-1"},
		{
			name: "layer in the function's region", fn: base(func(f *Function) { f.Region = "eu-west-1" }), layer: coldprofLayer,
			wantLayers: []string{coldprofLayer}, wantEnv: map[string]string{WrapperVar: WrapperPath},
		},
		{name: "wrong architecture", fn: base(func(f *Function) { f.Architecture = "arm64" }), layer: coldprofLayer, wantErr: "built for x86_64, the function runs on arm64"},
		{
			name: "two wrappers to chain", layer: coldprofLayer,
			fn: base(func(f *Function) {
				f.Env = map[string]string{WrapperVar: "/opt/otel-instrument", NextWrapperVar: "/opt/datadog_wrapper"}
			}),
			wantErr: "chains to one wrapper only",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.fn)
			ch, err := PlanEnable(tt.fn, tt.layer)
			if after, _ := json.Marshal(tt.fn); string(before) != string(after) {
				t.Errorf("PlanEnable changed its input:\n%s\n%s", before, after)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLayers, ch.Layers); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			undo, ok := ch.Env[UndoVar]
			if !ok {
				t.Fatalf("no %s in %v", UndoVar, ch.Env)
			}
			env := map[string]string{}
			for k, v := range ch.Env {
				if k != UndoVar {
					env[k] = v
				}
			}
			if diff := cmp.Diff(tt.wantEnv, env); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
			if tt.wantUndo != "" && undo != tt.wantUndo {
				t.Errorf("%s = %s\nwant %s", UndoVar, undo, tt.wantUndo)
			}
			if ch.LayersSet != !cmp.Equal(tt.fn.Layers, ch.Layers) {
				t.Errorf("LayersSet %v for %v → %v", ch.LayersSet, tt.fn.Layers, ch.Layers)
			}

			// Disabling right after enabling gives back exactly the function.
			enabled := tt.fn
			enabled.Layers, enabled.Env = ch.Layers, ch.Env
			back, err := PlanDisable(enabled)
			if err != nil {
				t.Fatal(err)
			}
			wantEnv := tt.fn.Env
			if wantEnv == nil {
				wantEnv = map[string]string{}
			}
			if diff := cmp.Diff(wantEnv, back.Env); diff != "" {
				t.Errorf("environment after disable (-want +got):\n%s", diff)
			}
			if !cmp.Equal(tt.fn.Layers, back.Layers) && !(len(tt.fn.Layers) == 0 && len(back.Layers) == 0) {
				t.Errorf("layers after disable %v, want %v", back.Layers, tt.fn.Layers)
			}
			if len(back.Notes) != 0 {
				t.Errorf("notes %v", back.Notes)
			}
		})
	}
}

func TestPlanDisable(t *testing.T) {
	enabled := Function{Name: "fn", Runtime: "python3.12", PackageType: "Zip", Architecture: "x86_64",
		Layers: []string{depsLayer, otelLayer},
		Env:    map[string]string{"KEEP": "x", WrapperVar: "/opt/otel-instrument"}}
	ch, err := PlanEnable(enabled, coldprofLayer)
	if err != nil {
		t.Fatal(err)
	}
	enabled.Layers, enabled.Env = ch.Layers, ch.Env

	t.Run("changed since enable", func(t *testing.T) {
		fn := enabled
		fn.Env = map[string]string{}
		for k, v := range enabled.Env {
			fn.Env[k] = v
		}
		fn.Env[WrapperVar] = "/opt/something-else" // someone changed it
		fn.Env["NEW"] = "added later"
		fn.Layers = []string{depsLayer, otelLayer} // and removed our layer
		got, err := PlanDisable(fn)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"KEEP": "x", "NEW": "added later", WrapperVar: "/opt/something-else"}
		if diff := cmp.Diff(want, got.Env); diff != "" {
			t.Errorf("environment (-want +got):\n%s", diff)
		}
		if got.LayersSet || len(got.Notes) != 2 {
			t.Errorf("LayersSet %v notes %q: want layers untouched and two notes", got.LayersSet, got.Notes)
		}
	})
	t.Run("not enabled", func(t *testing.T) {
		_, err := PlanDisable(Function{Name: "fn", Env: map[string]string{WrapperVar: WrapperPath}})
		var refused *RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "set some other way") {
			t.Errorf("error %v, want a refusal saying the wrapper was set some other way", err)
		}
	})
	t.Run("variables Lambda could not return", func(t *testing.T) {
		fn := enabled
		fn.EnvError = "KMSAccessDeniedException: …"
		if _, err := PlanDisable(fn); err == nil || !strings.Contains(err.Error(), "would erase them") {
			t.Errorf("error %v, want a refusal", err)
		}
	})
	t.Run("garbled state", func(t *testing.T) {
		_, err := PlanDisable(Function{Name: "fn", Env: map[string]string{UndoVar: "{not json"}})
		if err == nil || !strings.Contains(err.Error(), "restore the function by hand") {
			t.Errorf("error %v", err)
		}
	})
}

func TestDiff(t *testing.T) {
	fn := Function{Name: "fn", Runtime: "python3.12", PackageType: "Zip", Architecture: "x86_64",
		Layers: []string{depsLayer, olderColdprof},
		Env:    map[string]string{"SECRET": "hunter2", WrapperVar: "/opt/otel-instrument"}}
	ch, err := PlanEnable(fn, coldprofLayer)
	if err != nil {
		t.Fatal(err)
	}
	got := ch.Diff(fn)
	want := "layers:\n" +
		"  - " + olderColdprof + "\n" +
		"    " + depsLayer + "\n" +
		"  + " + coldprofLayer + "\n" +
		"environment (1 other variables unchanged):\n" +
		"  ~ AWS_LAMBDA_EXEC_WRAPPER=/opt/coldprof-wrapper (was /opt/otel-instrument)\n" +
		"  + COLDPROF_NEXT_WRAPPER=/opt/otel-instrument\n" +
		"  + COLDPROF_UNDO=" + ch.Env[UndoVar] + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if strings.Contains(got, "hunter2") {
		t.Error("Diff printed an unchanged variable's value")
	}
}

func TestDefaultLogGroup(t *testing.T) {
	tests := []struct {
		fn   Function
		want string
	}{
		{Function{Name: "my-fn"}, "/aws/lambda/my-fn"},
		{Function{Name: "arn:aws:lambda:eu-west-1:123456789012:function:my-fn"}, "/aws/lambda/my-fn"},
		{Function{Name: "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:prod"}, "/aws/lambda/my-fn"},
		{Function{Name: "my-fn", LogGroup: "/custom/group"}, "/custom/group"},
	}
	for _, tt := range tests {
		if got := tt.fn.DefaultLogGroup(); got != tt.want {
			t.Errorf("%+v: log group %q, want %q", tt.fn, got, tt.want)
		}
	}
}

func TestLayerName(t *testing.T) {
	tests := map[string]string{
		coldprofLayer: "coldprof-x86_64",
		"arn:aws-cn:lambda:cn-north-1:123456789012:layer:x:1": "x",
		"arn:aws:lambda:eu-west-1:123456789012:layer:x":       "",
		"arn:aws:lambda:eu-west-1:123456789012:function:x:1":  "",
		"": "",
	}
	for in, want := range tests {
		if got := LayerName(in); got != want {
			t.Errorf("LayerName(%q) = %q, want %q", in, got, want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzPlanDisable feeds PlanDisable whatever a function's variables may hold
// (anyone can edit COLDPROF_UNDO): it must never panic, and whatever it plans
// keeps every variable it does not own.
func FuzzPlanDisable(f *testing.F) {
	fn := Function{Name: "fn", Runtime: "python3.12", PackageType: "Zip", Architecture: "x86_64",
		Layers: []string{depsLayer}, Env: map[string]string{"KEEP": "x", WrapperVar: "/opt/otel-instrument"}}
	ch, err := PlanEnable(fn, coldprofLayer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ch.Env[UndoVar], WrapperPath, coldprofLayer)
	f.Add(`{"v":1,"layer":"x","replaced":"y","vars":{"KEEP":{"set":"x","was":null}}}`, "", "x")
	f.Add(`{"v":1,"vars":null}`, "a", "")
	f.Add(`{"v":2}`, "", "")
	f.Fuzz(func(t *testing.T, state, wrapper, layer string) {
		in := Function{Name: "fn", Layers: []string{depsLayer, layer},
			Env: map[string]string{UndoVar: state, WrapperVar: wrapper, "KEEP": "x"}}
		got, err := PlanDisable(in)
		if err != nil {
			return
		}
		if _, ok := got.Env[UndoVar]; ok {
			t.Errorf("the plan keeps %s", UndoVar)
		}
		if len(got.Layers) > len(in.Layers) {
			t.Errorf("disable added layers: %v → %v", in.Layers, got.Layers)
		}
		if in.Env[UndoVar] != state {
			t.Error("PlanDisable changed its input")
		}
	})
}
