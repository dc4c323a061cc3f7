package sandbox

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLambdaEnv(t *testing.T) {
	c := Config{Handler: "app.h", FunctionName: "fn", MemoryMB: 256, Region: "eu-west-1"}
	env := lambdaEnv([]string{"PATH=/bin", "AWS_LAMBDA_RUNTIME_API=stale", "_HANDLER=old", "HOME=/h"}, &c, "/task", "/rt", "python3.12")
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	stream := got["AWS_LAMBDA_LOG_STREAM_NAME"]
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(stream) {
		t.Errorf("log stream name %q", stream)
	}
	delete(got, "AWS_LAMBDA_LOG_STREAM_NAME")
	want := map[string]string{
		"PATH": "/bin", "HOME": "/h",
		"_HANDLER": "app.h", "LAMBDA_TASK_ROOT": "/task", "LAMBDA_RUNTIME_DIR": "/rt",
		"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "TZ": ":UTC",
		"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("environment (-want +got):\n%s", d)
	}
}
