package awsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The variables enable and disable touch. Every other variable is kept
// byte-for-byte.
const (
	// WrapperVar is the variable Lambda's runtime bootstraps read.
	WrapperVar = "AWS_LAMBDA_EXEC_WRAPPER"
	// WrapperPath is where the coldprof layer puts the wrapper.
	WrapperPath = "/opt/coldprof-wrapper"
	// NextWrapperVar receives a wrapper the function already had, which
	// coldprof-wrapper then runs (package wrapper's EnvNextWrapper).
	NextWrapperVar = "COLDPROF_NEXT_WRAPPER"
	// UndoVar remembers, on the function itself, what enable changed, so
	// disable restores exactly that from any machine.
	UndoVar = "COLDPROF_UNDO"
)

// maxLayers is Lambda's limit of layers per function.
const maxLayers = 5

// A Function is the part of a Lambda function's configuration that enable
// and disable read.
type Function struct {
	Name          string // as the user gave it: a name or an ARN
	Region        string // from the function's ARN, "" when unknown
	Runtime       string // "" for container images
	PackageType   string // "Zip" or "Image"
	Architecture  string // "x86_64" or "arm64"
	Layers        []string
	Env           map[string]string // nil when the function has no variables
	EnvError      string            // why Lambda could not return the variables (KMS), "" if it did
	LogFormat     string            // "Text" or "JSON"
	AppLogLevel   string            // with LogFormat JSON: TRACE … FATAL
	LogGroup      string            // a custom log group, "" for the default
	RevisionID    string
	UpdateRunning bool // LastUpdateStatus is InProgress
}

// FunctionFrom converts the SDK's GetFunctionConfiguration answer.
func FunctionFrom(name string, out *lambda.GetFunctionConfigurationOutput) Function {
	fn := Function{
		Name:         name,
		Runtime:      string(out.Runtime),
		PackageType:  string(out.PackageType),
		Architecture: "x86_64",
		RevisionID:   aws.ToString(out.RevisionId),
	}
	if f := strings.Split(aws.ToString(out.FunctionArn), ":"); len(f) >= 7 && f[0] == "arn" && f[2] == "lambda" {
		fn.Region = f[3]
	}
	if fn.PackageType == "" {
		fn.PackageType = string(types.PackageTypeZip)
	}
	if len(out.Architectures) > 0 {
		fn.Architecture = string(out.Architectures[0])
	}
	for _, l := range out.Layers {
		fn.Layers = append(fn.Layers, aws.ToString(l.Arn))
	}
	if out.Environment != nil {
		if out.Environment.Variables != nil {
			fn.Env = out.Environment.Variables
		}
		if e := out.Environment.Error; e != nil {
			fn.EnvError = strings.TrimSpace(aws.ToString(e.ErrorCode) + ": " + aws.ToString(e.Message))
		}
	}
	if lc := out.LoggingConfig; lc != nil {
		fn.LogFormat = string(lc.LogFormat)
		fn.AppLogLevel = string(lc.ApplicationLogLevel)
		fn.LogGroup = aws.ToString(lc.LogGroup)
	}
	fn.UpdateRunning = out.LastUpdateStatus == types.LastUpdateStatusInProgress
	return fn
}

// DefaultLogGroup is where Lambda writes a function's logs unless its
// logging configuration names another group.
func (fn Function) DefaultLogGroup() string {
	if fn.LogGroup != "" {
		return fn.LogGroup
	}
	return "/aws/lambda/" + ShortName(fn.Name)
}

// ShortName returns the function name in a function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), or name itself.
func ShortName(name string) string {
	f := strings.Split(name, ":")
	if len(f) >= 7 && f[0] == "arn" && f[5] == "function" {
		return f[6]
	}
	return name
}

// A Change is the new layers and environment for a function, and what
// changed, for printing.
type Change struct {
	Function  string
	Layers    []string
	Env       map[string]string
	LayersSet bool // Layers differ from the function's; send them
	Notes     []string
}

// undo is UndoVar's value: what enable changed.
type undo struct {
	V int `json:"v"`
	// Layer is the ARN enable added; Replaced the one it stood in for (an
	// older coldprof version), "" when it was appended.
	Layer    string `json:"layer,omitempty"`
	Replaced string `json:"replaced,omitempty"`
	// Vars holds each variable enable set: the value it set and the one
	// before (null: it was unset).
	Vars map[string]varChange `json:"vars"`
}

type varChange struct {
	Set string  `json:"set"`
	Was *string `json:"was"`
}

// A RefusedError says why enable or disable will not touch a function.
type RefusedError struct {
	Function string
	Reason   string
}

func (e *RefusedError) Error() string { return e.Function + ": " + e.Reason }

// ErrNoLayer is returned by PlanEnable when no layer was given and the
// function has no coldprof layer yet.
var ErrNoLayer = errors.New("--layer ARN is needed: the function has no coldprof layer; publish one (coldprof layer build prints the command) and pass its layer version ARN")

// LayerName returns the layer name in a layer version ARN
// (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION), "" if it is not one.
func LayerName(arn string) string {
	f := strings.Split(arn, ":")
	if len(f) != 8 || f[0] != "arn" || f[2] != "lambda" || f[5] != "layer" || f[6] == "" || f[7] == "" {
		return ""
	}
	return f[6]
}

// isColdprofLayer reports whether a layer ARN looks like coldprof's own.
func isColdprofLayer(arn string) bool { return strings.HasPrefix(LayerName(arn), "coldprof") }

// checkProfilable refuses functions where the wrapper would be ignored or its
// output dropped (lambda-runtime.md sections 1.1 and 4.3).
func checkProfilable(fn Function) error {
	refuse := func(format string, args ...any) error {
		return &RefusedError{Function: fn.Name, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case fn.PackageType == string(types.PackageTypeImage):
		return refuse("a container image function: images cannot use layers, and only images built on an AWS base image honour AWS_LAMBDA_EXEC_WRAPPER; copy coldprof-wrapper into the image at %s, coldprof-proxy beside it, and set %s=%s there", WrapperPath, WrapperVar, WrapperPath)
	case strings.HasPrefix(fn.Runtime, "provided") || fn.Runtime == "go1.x":
		return refuse("runtime %s ignores %s (only managed language runtimes honour it)", fn.Runtime, WrapperVar)
	case strings.EqualFold(fn.LogFormat, "JSON") && isDroppingLevel(fn.AppLogLevel):
		return refuse("JSON log format with application log level %s: Lambda drops plain-text lines such as import timings as INFO; set the level to INFO or DEBUG, or the log format to Text, while profiling", fn.AppLogLevel)
	case fn.UpdateRunning:
		return refuse("an update of the function is in progress; try again when it is done")
	case fn.EnvError != "":
		return refuse("%s", envErrorReason(fn))
	}
	return nil
}

// envErrorReason explains why a function whose variables Lambda could not
// return is left alone: writing the environment back would erase them.
func envErrorReason(fn Function) string {
	return "Lambda could not return its environment variables (" + fn.EnvError + "), and writing the environment without them would erase them; fix that first (often KMS permissions)"
}

func isDroppingLevel(level string) bool {
	switch strings.ToUpper(level) {
	case "WARN", "ERROR", "FATAL":
		return true
	}
	return false
}

// PlanEnable works out the layers and environment that turn coldprof on:
// layerARN added (replacing an older version of the same layer where it
// stands, else last), every other layer kept in order, AWS_LAMBDA_EXEC_WRAPPER
// set, a different wrapper moved to COLDPROF_NEXT_WRAPPER, every other
// variable kept, and UndoVar recording what changed. layerARN may be "" when
// the function already has a coldprof layer.
func PlanEnable(fn Function, layerARN string) (Change, error) {
	refuse := func(format string, args ...any) (Change, error) {
		return Change{}, &RefusedError{Function: fn.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if err := checkProfilable(fn); err != nil {
		return Change{}, err
	}
	if _, ok := fn.Env[UndoVar]; ok {
		return refuse("coldprof is already enabled (%s is set); run coldprof disable first", UndoVar)
	}
	u := undo{V: 1, Vars: map[string]varChange{}}
	layers := append([]string(nil), fn.Layers...)
	if layerARN == "" {
		for _, l := range layers {
			if isColdprofLayer(l) {
				layerARN = l
			}
		}
		if layerARN == "" {
			return Change{}, ErrNoLayer
		}
	}
	name := LayerName(layerARN)
	if name == "" {
		return refuse("%q is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)", layerARN)
	}
	if region := strings.Split(layerARN, ":")[3]; fn.Region != "" && region != fn.Region {
		return refuse("layer %s is in region %s, the function in %s; publish the layer in %s", name, region, fn.Region, fn.Region)
	}
	for _, arch := range []string{"x86_64", "arm64"} {
		if strings.HasSuffix(name, "-"+arch) && arch != fn.Architecture {
			return refuse("layer %s is built for %s, the function runs on %s; publish and use the %s zip", name, arch, fn.Architecture, fn.Architecture)
		}
	}
	placed := false
	for i, l := range layers {
		if LayerName(l) == name {
			if l != layerARN {
				u.Replaced = l
				layers[i] = layerARN
				u.Layer = layerARN
			}
			placed = true
			break
		}
	}
	if !placed {
		layers = append(layers, layerARN)
		u.Layer = layerARN
	}
	if len(layers) > maxLayers {
		return refuse("it has %d layers and Lambda allows %d; remove one to add coldprof's", len(fn.Layers), maxLayers)
	}

	env := make(map[string]string, len(fn.Env)+3)
	for k, v := range fn.Env {
		env[k] = v
	}
	set := func(name, value string) {
		old, had := env[name]
		if had && old == value {
			return
		}
		c := varChange{Set: value}
		if had {
			c.Was = &old
		}
		u.Vars[name] = c
		env[name] = value
	}
	if old := env[WrapperVar]; old != "" && old != WrapperPath {
		if next, ok := env[NextWrapperVar]; ok && next != old {
			return refuse("it has %s=%s and %s already set; coldprof chains to one wrapper only", WrapperVar, old, NextWrapperVar)
		}
		set(NextWrapperVar, old)
	}
	set(WrapperVar, WrapperPath)
	state, err := json.Marshal(u)
	if err != nil {
		return Change{}, err
	}
	env[UndoVar] = string(state)
	return Change{
		Function:  fn.Name,
		Layers:    layers,
		Env:       env,
		LayersSet: !equalStrings(layers, fn.Layers),
	}, nil
}

// PlanDisable works out the layers and environment that undo what enable
// recorded in UndoVar, and nothing else. A variable or layer changed by
// someone since is left as it is, with a note.
func PlanDisable(fn Function) (Change, error) {
	state, ok := fn.Env[UndoVar]
	if !ok {
		reason := "coldprof is not enabled by coldprof enable (no " + UndoVar + " variable)"
		if fn.Env[WrapperVar] == WrapperPath {
			reason += "; " + WrapperVar + " was set some other way (a template?): remove it there"
		}
		return Change{}, &RefusedError{Function: fn.Name, Reason: reason}
	}
	var u undo
	if err := json.Unmarshal([]byte(state), &u); err != nil || u.V != 1 {
		return Change{}, &RefusedError{Function: fn.Name, Reason: UndoVar + " is not what coldprof enable wrote; restore the function by hand"}
	}
	if fn.UpdateRunning {
		return Change{}, &RefusedError{Function: fn.Name, Reason: "an update of the function is in progress; try again when it is done"}
	}
	if fn.EnvError != "" {
		return Change{}, &RefusedError{Function: fn.Name, Reason: envErrorReason(fn)}
	}
	ch := Change{Function: fn.Name}
	env := make(map[string]string, len(fn.Env))
	for k, v := range fn.Env {
		env[k] = v
	}
	delete(env, UndoVar)
	names := make([]string, 0, len(u.Vars))
	for name := range u.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := u.Vars[name]
		if cur, ok := env[name]; !ok || cur != c.Set {
			ch.Notes = append(ch.Notes, fmt.Sprintf("%s was changed after coldprof enable; left as it is", name))
			continue
		}
		if c.Was == nil {
			delete(env, name)
		} else {
			env[name] = *c.Was
		}
	}
	layers := append([]string(nil), fn.Layers...)
	if u.Layer != "" {
		i := indexOf(layers, u.Layer)
		switch {
		case i < 0:
			ch.Notes = append(ch.Notes, fmt.Sprintf("layer %s was removed after coldprof enable; layers left as they are", u.Layer))
		case u.Replaced != "":
			layers[i] = u.Replaced
		default:
			layers = append(layers[:i], layers[i+1:]...)
		}
	}
	ch.Layers, ch.Env = layers, env
	ch.LayersSet = !equalStrings(layers, fn.Layers)
	return ch, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Diff describes the change from fn for people: every layer in order with
// + and - marks, and the variables that change. Other variables are only
// counted: their values may be secrets.
func (c Change) Diff(fn Function) string {
	var b strings.Builder
	b.WriteString("layers:\n")
	if !c.LayersSet {
		fmt.Fprintf(&b, "  (unchanged, %d)\n", len(fn.Layers))
	} else {
		for _, l := range fn.Layers {
			if indexOf(c.Layers, l) < 0 {
				fmt.Fprintf(&b, "  - %s\n", l)
			}
		}
		for _, l := range c.Layers {
			mark := " "
			if indexOf(fn.Layers, l) < 0 {
				mark = "+"
			}
			fmt.Fprintf(&b, "  %s %s\n", mark, l)
		}
	}
	var changed []string
	seen := map[string]bool{}
	for k := range fn.Env {
		seen[k] = true
	}
	for k := range c.Env {
		seen[k] = true
	}
	unchanged := 0
	for k := range seen {
		old, hadOld := fn.Env[k]
		cur, hasNew := c.Env[k]
		if hadOld == hasNew && old == cur {
			unchanged++
			continue
		}
		changed = append(changed, k)
	}
	sort.Strings(changed)
	fmt.Fprintf(&b, "environment (%d other variables unchanged):\n", unchanged)
	for _, k := range changed {
		old, hadOld := fn.Env[k]
		cur, hasNew := c.Env[k]
		switch {
		case !hadOld:
			fmt.Fprintf(&b, "  + %s=%s\n", k, cur)
		case !hasNew:
			fmt.Fprintf(&b, "  - %s=%s\n", k, old)
		default:
			fmt.Fprintf(&b, "  ~ %s=%s (was %s)\n", k, cur, old)
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}
