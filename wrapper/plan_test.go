package wrapper

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewPlan(t *testing.T) {
	importtime := []string{"-X", "importtime"}
	type want struct {
		argv     []string
		runtime  string
		handler  string
		injected string
		warnings int
	}
	tests := []struct {
		name string
		argv []string
		env  []string
		want want
	}{
		{"empty argv", nil, nil, want{warnings: 1}},
		{
			"container awslambdaric, python3", []string{"python3", "-m", "awslambdaric", "app.handler"}, []string{"PATH=/usr/bin"},
			want{argv: []string{"python3", "-X", "importtime", "-m", "awslambdaric", "app.handler"}, runtime: "python3", handler: "app.handler", injected: "-X importtime"},
		},
		{
			"bare python of unknown version: left alone", []string{"python", "-m", "awslambdaric", "app.handler"}, []string{"PATH=/nonexistent"},
			want{argv: []string{"python", "-m", "awslambdaric", "app.handler"}, runtime: "python", warnings: 1},
		},
		{
			"python2.7: never -X importtime", []string{"/usr/bin/python2.7", "app.py"}, nil,
			want{argv: []string{"/usr/bin/python2.7", "app.py"}, runtime: "python2.7", warnings: 1},
		},
		{
			"python2 with a Python 3 AWS_EXECUTION_ENV: the name decides", []string{"/usr/bin/python2", "app.py"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12"},
			want{argv: []string{"/usr/bin/python2", "app.py"}, runtime: "python3.12", warnings: 1},
		},
		{
			"container awslambdaric, _HANDLER wins", []string{"/usr/local/bin/python3.12", "-u", "-m", "awslambdaric", "argv.handler"}, []string{"_HANDLER=env.handler"},
			want{argv: []string{"/usr/local/bin/python3.12", "-X", "importtime", "-u", "-m", "awslambdaric", "argv.handler"}, runtime: "python3.12", handler: "env.handler", injected: "-X importtime"},
		},
		{
			"managed python3 name (unconfirmed)", []string{"/var/lang/bin/python3", "/var/runtime/bootstrap.py"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12"},
			want{argv: []string{"/var/lang/bin/python3", "-X", "importtime", "/var/runtime/bootstrap.py"}, runtime: "python3.12", injected: "-X importtime"},
		},
		{
			"debian python3", []string{"/usr/bin/python3", "app.py"}, nil,
			want{argv: []string{"/usr/bin/python3", "-X", "importtime", "app.py"}, runtime: "python3", injected: "-X importtime"},
		},
		{
			"pyenv", []string{"/root/.pyenv/versions/3.12.1/bin/python3.12", "-S", "-c", "pass"}, nil,
			want{argv: []string{"/root/.pyenv/versions/3.12.1/bin/python3.12", "-X", "importtime", "-S", "-c", "pass"}, runtime: "python3.12", injected: "-X importtime"},
		},
		{
			"free-threaded", []string{"/usr/bin/python3.13t", "x.py"}, nil,
			want{argv: []string{"/usr/bin/python3.13t", "-X", "importtime", "x.py"}, runtime: "python3.13t", injected: "-X importtime"},
		},
		{
			"COLDPROF_PYTHON_FLAGS", []string{"/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"},
			[]string{"COLDPROF_PYTHON_FLAGS= -X importtime  -X frozen_modules=off "},
			want{argv: []string{"/var/lang/bin/python3.12", "-X", "importtime", "-X", "frozen_modules=off", "/var/runtime/bootstrap.py"}, runtime: "python3.12", injected: "-X importtime -X frozen_modules=off"},
		},
		{
			"COLDPROF_PYTHON_FLAGS blank means default", []string{"/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"},
			[]string{"COLDPROF_PYTHON_FLAGS=  "},
			want{argv: []string{"/var/lang/bin/python3.12", "-X", "importtime", "/var/runtime/bootstrap.py"}, runtime: "python3.12", injected: "-X importtime"},
		},
		{
			"odd characters byte for byte", []string{"/usr/bin/python3", "a b", `"q'`, "", "é日本", "\xff\xfe", "-", "\n", "--"}, nil,
			want{argv: []string{"/usr/bin/python3", "-X", "importtime", "a b", `"q'`, "", "é日本", "\xff\xfe", "-", "\n", "--"}, runtime: "python3", injected: "-X importtime"},
		},
		{
			"interpreter path with spaces and non-ASCII", []string{"/tmp/my venv/bïn/python3.11", "x.py"}, nil,
			want{argv: []string{"/tmp/my venv/bïn/python3.11", "-X", "importtime", "x.py"}, runtime: "python3.11", injected: "-X importtime"},
		},
		{
			"unknown runtime", []string{"/var/lang/bin/dotnet", "exec", "/var/task/App.dll"}, []string{"AWS_EXECUTION_ENV=AWS_Lambda_dotnet8", "_HANDLER=App"},
			want{argv: []string{"/var/lang/bin/dotnet", "exec", "/var/task/App.dll"}, handler: "App", warnings: 1},
		},
		{
			"python env but another wrapper's argv", []string{"/opt/otel-instrument", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"},
			[]string{"AWS_EXECUTION_ENV=AWS_Lambda_python3.12"},
			want{argv: []string{"/opt/otel-instrument", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"}, runtime: "python3.12", warnings: 1},
		},
		{
			"empty interpreter", []string{"", "x"}, nil,
			want{argv: []string{"", "x"}, warnings: 1},
		},
		{
			"python-config is not an interpreter", []string{"/usr/bin/python3-config"}, nil,
			want{argv: []string{"/usr/bin/python3-config"}, warnings: 1},
		},
	}
	for _, v := range []string{"3.8", "3.9", "3.10", "3.11", "3.12", "3.13"} {
		interp := "/var/lang/bin/python" + v
		tests = append(tests, struct {
			name string
			argv []string
			env  []string
			want want
		}{
			"managed python" + v,
			[]string{interp, "/var/runtime/bootstrap.py"},
			[]string{"AWS_EXECUTION_ENV=AWS_Lambda_python" + v, "_HANDLER=app.lambda_handler", "AWS_LAMBDA_RUNTIME_API=169.254.100.1:9001"},
			want{argv: append(append([]string{interp}, importtime...), "/var/runtime/bootstrap.py"), runtime: "python" + v, handler: "app.lambda_handler", injected: "-X importtime"},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argvBefore, envBefore := slices.Clone(tt.argv), slices.Clone(tt.env)
			cfg := DefaultConfig()
			cfg.Sampler = false // the sampler's own tests are TestPlanSampler
			p := PlanWith(tt.argv, tt.env, Options{Config: cfg})
			got := want{p.Argv, p.Runtime, p.Handler, p.Injected, len(p.Warnings)}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("plan (-want +got):\n%s\nwarnings: %q", diff, p.Warnings)
			}
			if diff := cmp.Diff(tt.env, p.Env); diff != "" {
				t.Errorf("env changed (-want +got):\n%s", diff)
			}
			if !slices.Equal(argvBefore, tt.argv) || !slices.Equal(envBefore, tt.env) {
				t.Errorf("NewPlan modified its input")
			}
		})
	}
}

func TestPlanEditsCopy(t *testing.T) {
	env := []string{"A=1", "B=2", "A=3"}
	argv := []string{"x", "y"}
	p := Plan{Argv: argv, Env: env}
	p.InsertArgs(1, "-f")
	p.Setenv("A", "new")
	p.Setenv("C", "c")
	if diff := cmp.Diff([]string{"x", "-f", "y"}, p.Argv); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"A=new", "B=2", "A=new", "C=c"}, p.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if v, ok := p.Getenv("B"); !ok || v != "2" {
		t.Errorf("Getenv(B) = %q, %v", v, ok)
	}
	if argv[1] != "y" || env[0] != "A=1" {
		t.Errorf("the caller's slices were modified: %q %q", argv, env)
	}
}

func TestIsPythonInterpreter(t *testing.T) {
	yes := []string{"python", "python3", "python3.8", "python3.13", "python3.13t", "python3.12d", "python2.7"}
	no := []string{"", "py", "python3-config", "pythonw.exe", "ipython3", "python.", "python3.12-dbg", "node"}
	for _, s := range yes {
		if !isPythonInterpreter(s) {
			t.Errorf("isPythonInterpreter(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if isPythonInterpreter(s) {
			t.Errorf("isPythonInterpreter(%q) = true, want false", s)
		}
	}
}

func FuzzNewPlan(f *testing.F) {
	f.Add("/var/lang/bin/python3.12\x00/var/runtime/bootstrap.py", "AWS_EXECUTION_ENV=AWS_Lambda_python3.12\x00_HANDLER=a.b")
	f.Add("python\x00-m\x00awslambdaric\x00h", "COLDPROF_PYTHON_FLAGS=-X importtime")
	f.Add("/var/lang/bin/java\x00-XX:+UseSerialGC\x00lambdainternal.AWSLambda", "AWS_EXECUTION_ENV=AWS_Lambda_java17")
	f.Add("", "")
	f.Add("\x00", "AWS_EXECUTION_ENV=AWS_Lambda_python")
	f.Fuzz(func(t *testing.T, argvJoined, envJoined string) {
		var argv, env []string
		if argvJoined != "" {
			argv = strings.Split(argvJoined, "\x00")
		}
		if envJoined != "" {
			env = strings.Split(envJoined, "\x00")
		}
		orig := slices.Clone(argv)
		p := NewPlan(argv, env)
		if !slices.Equal(orig, argv) {
			t.Fatalf("input argv modified")
		}
		if p.Injected == "" {
			if !slices.Equal(p.Argv, argv) {
				t.Fatalf("nothing injected but argv changed: %q -> %q", argv, p.Argv)
			}
			return
		}
		// Injected: flags may be inserted right after the interpreter (Python)
		// or only the environment changed (Node.js, Java, Ruby); the original
		// arguments stay as they were either way.
		n := len(p.Argv) - len(argv)
		if n < 0 || p.Argv[0] != argv[0] || !slices.Equal(p.Argv[1+n:], argv[1:]) {
			t.Fatalf("injection did not keep the original argv: %q -> %q", argv, p.Argv)
		}
		if p.Family == "python" && strings.Join(p.Argv[1:1+n], " ") != p.Injected {
			t.Fatalf("Injected %q does not describe the inserted %q", p.Injected, p.Argv[1:1+n])
		}
	})
}
