package layer

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// replacesAllNote is the warning every example carries, because the Lambda
// API's environment update is where users lose variables.
const replacesAllNote = "REPLACES ALL"

// cfnValue converts a YAML node to plain Go values, turning CloudFormation's
// short-form tags into their long form ({"Ref": …}, {"Fn::GetAtt": […]}), so
// references can be checked whichever form a template uses.
func cfnValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return wrapTag(n, m)
	case yaml.SequenceNode:
		var s []any
		for _, c := range n.Content {
			v, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return wrapTag(n, s)
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		if n.Tag == "!GetAtt" {
			res, attr, _ := strings.Cut(n.Value, ".")
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			v = n.Value
		}
		return wrapTag(n, v)
	}
}

func wrapTag(n *yaml.Node, v any) (any, error) {
	switch n.Tag {
	case "!Ref":
		return map[string]any{"Ref": v}, nil
	case "!GetAtt":
		return map[string]any{"Fn::GetAtt": v}, nil
	case "":
		return v, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return map[string]any{"Fn::" + n.Tag[1:]: v}, nil
	}
	return v, nil
}

// cfnRefs collects the names a template value refers to: Ref targets,
// Fn::GetAtt resources and ${Name} in Fn::Sub strings.
func cfnRefs(v any, out map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "Ref":
				if s, ok := x.(string); ok {
					out[s] = true
				}
			case "Fn::GetAtt":
				if s, ok := x.([]any); ok && len(s) > 0 {
					out[fmt.Sprint(s[0])] = true
				}
			case "Fn::Sub":
				if s, ok := x.(string); ok {
					for _, m := range regexp.MustCompile(`\$\{([^}!.]+)[^}]*\}`).FindAllStringSubmatch(s, -1) {
						out[m[1]] = true
					}
				}
			}
			cfnRefs(x, out)
		}
	case []any:
		for _, x := range v {
			cfnRefs(x, out)
		}
	}
}

// dig walks keys through nested maps.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestCloudFormationExamples(t *testing.T) {
	fullTier(t)
	tests := []struct {
		file          string
		layerType     string
		functionType  string
		checkFunction func(t *testing.T, dir string, fn map[string]any)
	}{
		{"examples/sam/template.yaml", "AWS::Serverless::LayerVersion", "AWS::Serverless::Function", checkSAMCode},
		{"examples/cloudformation/template.yaml", "AWS::Lambda::LayerVersion", "AWS::Lambda::Function", checkInlineCode},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), replacesAllNote) {
				t.Errorf("%s does not warn that update-function-configuration --environment %s variables", tt.file, replacesAllNote)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			tmpl, err := cfnValue(&doc)
			if err != nil {
				t.Fatal(err)
			}
			resources, _ := dig(tmpl, "Resources").(map[string]any)
			params, _ := dig(tmpl, "Parameters").(map[string]any)
			refs := map[string]bool{}
			cfnRefs(tmpl, refs)
			for name := range refs {
				if resources[name] == nil && params[name] == nil && !strings.HasPrefix(name, "AWS::") {
					t.Errorf("%s refers to %q, which is neither a resource nor a parameter", tt.file, name)
				}
			}
			for name, p := range params {
				if dig(p, "Type") == nil {
					t.Errorf("parameter %s has no Type", name)
				}
			}

			var layerName, fnName string
			for name, r := range resources {
				switch dig(r, "Type") {
				case tt.layerType:
					layerName = name
				case tt.functionType:
					fnName = name
				case nil:
					t.Errorf("resource %s has no Type", name)
				}
			}
			if layerName == "" || fnName == "" {
				t.Fatalf("want one %s and one %s, resources are %v", tt.layerType, tt.functionType, resources)
			}
			layer := dig(resources[layerName], "Properties")
			fn, _ := dig(resources[fnName], "Properties").(map[string]any)

			if got := dig(fn, "Environment", "Variables", "AWS_LAMBDA_EXEC_WRAPPER"); got != WrapperPath {
				t.Errorf("AWS_LAMBDA_EXEC_WRAPPER = %v, want %s", got, WrapperPath)
			}
			if !strings.Contains(string(data), "# COLDPROF_NEXT_WRAPPER: /opt/") {
				t.Errorf("%s does not show where an existing wrapper goes", tt.file)
			}
			layers, _ := fn["Layers"].([]any)
			wantRef := map[string]any{"Ref": layerName}
			if len(layers) == 0 || !cmp.Equal(layers[len(layers)-1], wantRef) {
				t.Errorf("function Layers = %v, want it to end with %v", layers, wantRef)
			}
			arches := fmt.Sprint(fn["Architectures"])
			if layerArches := fmt.Sprint(dig(layer, "CompatibleArchitectures")); arches != layerArches || arches != "[x86_64]" {
				t.Errorf("function Architectures %s, layer CompatibleArchitectures %s; want both [x86_64]", arches, layerArches)
			}
			if name := dig(layer, "LayerName"); name != X86_64.LayerName() {
				t.Errorf("LayerName %v, want %s as printed by layer build", name, X86_64.LayerName())
			}
			if uri, ok := dig(layer, "ContentUri").(string); ok && uri != "dist/"+X86_64.ZipName() {
				t.Errorf("ContentUri %s, want dist/%s as written by layer build -o dist", uri, X86_64.ZipName())
			}
			runtime, _ := fn["Runtime"].(string)
			if runtime == "" || strings.HasPrefix(runtime, "provided") {
				t.Errorf("Runtime %q: want a managed runtime that honours AWS_LAMBDA_EXEC_WRAPPER", runtime)
			}
			tt.checkFunction(t, filepath.Dir(tt.file), fn)
		})
	}
}

// TestCloudFormationLint runs cfn-lint, AWS's CloudFormation linter, which
// checks resource types, properties and values against the CloudFormation
// specification (and expands the SAM transform) without reaching AWS.
func TestCloudFormationLint(t *testing.T) {
	fullTier(t)
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not installed (pip install cfn-lint)")
	}
	cmd := exec.Command(lint, "--", "examples/sam/template.yaml", "examples/cloudformation/template.yaml")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// checkSAMCode checks that the handler named in the template exists in CodeUri.
func checkSAMCode(t *testing.T, dir string, fn map[string]any) {
	module, function, _ := strings.Cut(fmt.Sprint(fn["Handler"]), ".")
	src := filepath.Join(dir, fmt.Sprint(fn["CodeUri"]), module+".py")
	checkPythonHandler(t, src, nil, function)
}

// checkInlineCode checks that the inline ZipFile code defines the handler.
func checkInlineCode(t *testing.T, _ string, fn map[string]any) {
	code, _ := dig(fn, "Code", "ZipFile").(string)
	module, function, _ := strings.Cut(fmt.Sprint(fn["Handler"]), ".")
	if module != "index" {
		t.Errorf("inline code is index.py, handler names module %q", module)
	}
	checkPythonHandler(t, "", []byte(code), function)
	if dig(fn, "Role") == nil {
		t.Error("function has no Role")
	}
}

// checkPythonHandler compiles Python source with a real interpreter and
// checks that it defines function at the top level.
func checkPythonHandler(t *testing.T, file string, src []byte, function string) {
	t.Helper()
	if file != "" {
		var err error
		if src, err = os.ReadFile(file); err != nil {
			t.Fatal(err)
		}
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 not installed: cannot compile the example handler")
	}
	cmd := exec.Command(python, "-c", "import ast, sys; print(' '.join(n.name for n in ast.parse(sys.stdin.read()).body if isinstance(n, ast.FunctionDef)))")
	cmd.Stdin = strings.NewReader(string(src))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("example handler does not compile: %v\n%s", err, out)
	}
	if !strings.Contains(" "+strings.TrimSpace(string(out))+" ", " "+function+" ") {
		t.Errorf("example code defines %q, not the handler %q", strings.TrimSpace(string(out)), function)
	}
}

// hclBlocks finds the top-level blocks of a Terraform file: `KIND "a" "b" {`
// with their bodies, after checking that braces, brackets and strings balance.
func hclBlocks(t *testing.T, src string) map[string]string {
	t.Helper()
	// Strip comments and heredoc bodies, keeping line structure, so the
	// balance check sees only syntax.
	var clean []string
	heredocEnd := ""
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if heredocEnd != "" {
			if trimmed == heredocEnd {
				heredocEnd = ""
			}
			clean = append(clean, "")
			continue
		}
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "//") {
			clean = append(clean, "")
			continue
		}
		if m := regexp.MustCompile(`<<-?([A-Z]+)$`).FindStringSubmatch(trimmed); m != nil {
			heredocEnd = m[1]
			line = strings.TrimSuffix(line, m[0]) + `""`
		}
		clean = append(clean, line)
	}
	if heredocEnd != "" {
		t.Fatalf("heredoc %s never ends", heredocEnd)
	}
	var stack []byte
	closer := map[byte]byte{'}': '{', ']': '[', ')': '('}
	for n, line := range clean {
		inString := false
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case inString && c == '\\':
				i++
			case c == '"':
				inString = !inString
			case inString:
			case c == '{' || c == '[' || c == '(':
				stack = append(stack, c)
			case closer[c] != 0:
				if len(stack) == 0 || stack[len(stack)-1] != closer[c] {
					t.Fatalf("line %d: unbalanced %q", n+1, c)
				}
				stack = stack[:len(stack)-1]
			}
		}
		if inString {
			t.Fatalf("line %d: unterminated string", n+1)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed %q at end of file", stack)
	}

	blocks := map[string]string{}
	header := regexp.MustCompile(`^(resource|data|variable|output|terraform)((?: "[^"]+")*) \{$`)
	var name string
	var body []string
	for _, line := range clean {
		if name == "" {
			if m := header.FindStringSubmatch(line); m != nil {
				name = m[1] + strings.ReplaceAll(strings.ReplaceAll(m[2], `" "`, "."), `"`, "")
				name = strings.Replace(name, " ", ".", 1)
			} else if strings.TrimSpace(line) != "" {
				t.Errorf("unexpected top-level line %q", line)
			}
			continue
		}
		if line == "}" {
			if _, dup := blocks[name]; dup {
				t.Errorf("block %s declared twice", name)
			}
			blocks[name] = strings.Join(body, "\n")
			name, body = "", nil
			continue
		}
		body = append(body, line)
	}
	return blocks
}

func TestTerraformExample(t *testing.T) {
	const file = "examples/terraform/main.tf"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	if !strings.Contains(src, replacesAllNote) {
		t.Errorf("%s does not warn that --environment %s variables", file, replacesAllNote)
	}
	blocks := hclBlocks(t, src)
	var names []string
	for name := range blocks {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{
		"data.archive_file.function", "output.layer_version_arn", "output.log_group",
		"resource.aws_iam_role.function", "resource.aws_iam_role_policy_attachment.logs",
		"resource.aws_lambda_function.function", "resource.aws_lambda_layer_version.coldprof",
		"terraform", "variable.architecture", "variable.function_name",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("top-level blocks (-want +got):\n%s", diff)
	}

	// Every reference resolves to a declared block.
	ref := regexp.MustCompile(`\b(var|data\.[a-z0-9_]+|aws_[a-z0-9_]+)\.([a-z0-9_]+)\b`)
	for _, m := range ref.FindAllStringSubmatch(src, -1) {
		var decl string
		switch {
		case m[1] == "var":
			decl = "variable." + m[2]
		case strings.HasPrefix(m[1], "data."):
			decl = m[1] + "." + m[2]
		default:
			decl = "resource." + m[1] + "." + m[2]
		}
		if _, ok := blocks[decl]; !ok {
			t.Errorf("%s refers to %s, which is not declared", m[0], decl)
		}
	}

	attr := func(block, name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*(.+)$`).FindStringSubmatch(blocks[block])
		if m == nil {
			t.Errorf("%s has no %s", block, name)
			return ""
		}
		return strings.TrimSpace(m[1])
	}
	const fn, lv = "resource.aws_lambda_function.function", "resource.aws_lambda_layer_version.coldprof"
	if got := attr(fn, "AWS_LAMBDA_EXEC_WRAPPER"); got != `"`+WrapperPath+`"` {
		t.Errorf("AWS_LAMBDA_EXEC_WRAPPER = %s, want %q", got, WrapperPath)
	}
	if !regexp.MustCompile(`(?s)environment \{\s*variables = \{`).MatchString(blocks[fn]) {
		t.Error("the function has no environment { variables = { … } } block")
	}
	if got := attr(fn, "layers"); got != "[aws_lambda_layer_version.coldprof.arn]" {
		t.Errorf("layers = %s", got)
	}
	if got := attr(fn, "architectures"); got != "[var.architecture]" {
		t.Errorf("function architectures = %s, want the layer's", got)
	}
	if got := attr(lv, "compatible_architectures"); got != "[var.architecture]" {
		t.Errorf("layer compatible_architectures = %s", got)
	}
	zip := `"${path.module}/dist/coldprof-layer-${var.architecture}.zip"`
	if got := attr(lv, "filename"); got != zip {
		t.Errorf("layer filename = %s, want %s (what layer build -o dist writes)", got, zip)
	}
	if got := attr(lv, "source_code_hash"); got != "filebase64sha256("+zip+")" {
		t.Errorf("layer source_code_hash = %s: without it a rebuilt zip is not redeployed", got)
	}
	if got := attr(lv, "layer_name"); got != `"coldprof-${var.architecture}"` {
		t.Errorf("layer_name = %s, want the name layer build prints", got)
	}
	for _, a := range Arches {
		if strings.ReplaceAll(`coldprof-layer-${var.architecture}.zip`, "${var.architecture}", string(a)) != a.ZipName() {
			t.Errorf("Terraform's zip name for %s is not %s", a, a.ZipName())
		}
	}
	if !strings.Contains(src, "# COLDPROF_NEXT_WRAPPER = \"/opt/") {
		t.Error("the example does not show where an existing wrapper goes")
	}

	// Terraform's own formatter parses HCL without providers or network.
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Log("terraform not installed: checked structure only")
		return
	}
	out, err := exec.Command(tf, "fmt", "-check", "-diff", "-no-color", file).CombinedOutput()
	if err != nil {
		t.Errorf("terraform fmt -check %s: %v\n%s", file, err, out)
	}
}

// fakeAWS installs an `aws` on PATH that answers get-function-configuration
// with config, records each update-function-configuration's arguments, and
// succeeds on `wait`. It returns the record's path.
func fakeAWS(t *testing.T, config string) (dir, calls string) {
	t.Helper()
	dir = t.TempDir()
	calls = filepath.Join(dir, "calls")
	writeTree(t, dir, map[string]string{"config.json": config})
	script := `#!/bin/sh
case "$2" in
get-function-configuration) cat "` + filepath.Join(dir, "config.json") + `" ;;
update-function-configuration) for a in "$@"; do printf '%s\n' "$a"; done >>"` + calls + `"; echo '{}' ;;
wait) ;;
*) echo "fake aws: unexpected $*" >&2; exit 3 ;;
esac
`
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, calls
}

func TestAttachScript(t *testing.T) {
	fullTier(t)
	for _, tool := range []string{"sh", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed: cannot run the attach script", tool)
		}
	}
	script, err := filepath.Abs("examples/cli/attach.sh")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), replacesAllNote) {
		t.Errorf("attach.sh does not warn that --environment %s variables", replacesAllNote)
	}
	const layerARN = "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:7"
	// Values chosen to break a careless merge: quotes, backslashes, $, unicode,
	// JSON-looking text, an empty value.
	tricky := map[string]string{
		"DB_URL":     `postgres://u:p@h/db?x="1"&y=\n`,
		"GREETING":   "grüß dich 🚀",
		"JSON_BLOB":  `{"a": [1, 2], "b": "c"}`,
		"EMPTY":      "",
		"DOLLAR":     "$HOME `id`",
		"MULTI_LINE": "a\nb",
	}
	withEnv := func(env map[string]string) map[string]any {
		vars := map[string]any{}
		for k, v := range env {
			vars[k] = v
		}
		return map[string]any{"Variables": vars}
	}
	merged := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range tricky {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	layersOf := func(arns ...string) []any {
		var out []any
		for _, a := range arns {
			out = append(out, map[string]any{"Arn": a, "CodeSize": 100})
		}
		return out
	}
	otherA := "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3"
	otherB := "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-python-amd64-ver-1-25-0:1"
	tests := []struct {
		name       string
		config     map[string]any
		wantEnv    map[string]string
		wantLayers []string
		wantErr    string
	}{
		{
			name:       "bare function",
			config:     map[string]any{"Runtime": "python3.12", "RevisionId": "rev-1"},
			wantEnv:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath},
			wantLayers: []string{layerARN},
		},
		{
			name: "other layers and variables kept",
			config: map[string]any{"Runtime": "nodejs20.x", "RevisionId": "rev-1",
				"Environment": withEnv(tricky), "Layers": layersOf(otherA, otherB)},
			wantEnv:    merged(map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath}),
			wantLayers: []string{otherA, otherB, layerARN},
		},
		{
			name: "existing OpenTelemetry wrapper moves to COLDPROF_NEXT_WRAPPER",
			config: map[string]any{"Runtime": "python3.12", "RevisionId": "rev-1",
				"Environment": withEnv(merged(map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"})),
				"Layers":      layersOf(otherB)},
			wantEnv:    merged(map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath, "COLDPROF_NEXT_WRAPPER": "/opt/otel-instrument"}),
			wantLayers: []string{otherB, layerARN},
		},
		{
			name: "already attached: older layer version replaced in place, wrapper chain kept",
			config: map[string]any{"Runtime": "java17", "RevisionId": "rev-1",
				"Environment": withEnv(map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath, "COLDPROF_NEXT_WRAPPER": "/opt/datadog_wrapper"}),
				"Layers":      layersOf(otherA, "arn:aws:lambda:eu-west-1:123456789012:layer:coldprof-x86_64:6", otherB)},
			wantEnv:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath, "COLDPROF_NEXT_WRAPPER": "/opt/datadog_wrapper"},
			wantLayers: []string{otherA, layerARN, otherB},
		},
		{
			name:    "provided runtime refused",
			config:  map[string]any{"Runtime": "provided.al2023", "RevisionId": "rev-1"},
			wantErr: "runtime provided.al2023 ignores AWS_LAMBDA_EXEC_WRAPPER",
		},
		{
			name:    "container image refused",
			config:  map[string]any{"PackageType": "Image", "RevisionId": "rev-1"},
			wantErr: "container image",
		},
		{
			name: "unreadable variables refused",
			config: map[string]any{"Runtime": "python3.12", "RevisionId": "rev-1",
				"Environment": map[string]any{"Error": map[string]any{"ErrorCode": "AccessDeniedException", "Message": "unable to decrypt"}}},
			wantErr: "would erase them",
		},
		{
			name: "JSON log format at WARN refused",
			config: map[string]any{"Runtime": "python3.12", "RevisionId": "rev-1",
				"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO"}},
			wantErr: "application log level WARN",
		},
		{
			name: "JSON log format at INFO accepted",
			config: map[string]any{"Runtime": "python3.12", "RevisionId": "rev-1",
				"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO"}},
			wantEnv:    map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": WrapperPath},
			wantLayers: []string{layerARN},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config, err := json.Marshal(tt.config)
			if err != nil {
				t.Fatal(err)
			}
			dir, calls := fakeAWS(t, string(config))
			cmd := exec.Command("sh", script, "my-fn", layerARN)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(string(out), tt.wantErr) {
					t.Errorf("attach.sh: %v\n%s\nwant a refusal containing %q", err, out, tt.wantErr)
				}
				if _, err := os.Stat(calls); err == nil {
					t.Error("attach.sh refused but still updated the function")
				}
				return
			}
			if err != nil {
				t.Fatalf("attach.sh: %v\n%s", err, out)
			}
			saved, err := os.ReadFile(filepath.Join(dir, "coldprof-before-my-fn.json"))
			if err != nil || !strings.Contains(string(saved), `"RevisionId"`) {
				t.Errorf("previous configuration not saved: %v", err)
			}
			rec, err := os.ReadFile(calls)
			if err != nil {
				t.Fatal(err)
			}
			args := parseCall(t, string(rec))
			if args["--function-name"] != "my-fn" || args["--revision-id"] != "rev-1" {
				t.Errorf("update called with %v, want function my-fn at revision rev-1", args)
			}
			var env struct{ Variables map[string]string }
			if err := json.Unmarshal([]byte(args["--environment"]), &env); err != nil {
				t.Fatalf("--environment %q: %v", args["--environment"], err)
			}
			if diff := cmp.Diff(tt.wantEnv, env.Variables); diff != "" {
				t.Errorf("environment written (-want +got):\n%s", diff)
			}
			var layers []string
			if err := json.Unmarshal([]byte(args["--layers"]), &layers); err != nil {
				t.Fatalf("--layers %q: %v", args["--layers"], err)
			}
			if diff := cmp.Diff(tt.wantLayers, layers); diff != "" {
				t.Errorf("layers written (-want +got):\n%s", diff)
			}
		})
	}
}

// parseCall turns the fake aws's record (one argument per line; jq -c keeps
// JSON values on one line) into flag → value.
func parseCall(t *testing.T, rec string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(rec, "\n"), "\n")
	if len(lines) < 2 || lines[0] != "lambda" || lines[1] != "update-function-configuration" {
		t.Fatalf("recorded call %q", lines)
	}
	args := map[string]string{}
	for i := 2; i+1 < len(lines); i += 2 {
		args[lines[i]] = lines[i+1]
	}
	return args
}
