// Package awsapi is what coldprof's enable, disable and logs commands need
// from AWS, through the official AWS SDK for Go v2: the standard credential
// chain, profiles, regions and endpoint settings (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, a profile's
// endpoint_url), the SDK's retryer for throttling, and one-line
// explanations of the errors users meet.
//
// Only the coldprof command links it; coldprof-wrapper never does.
//
// The commands run in three steps: LoadConfig; read (GetFunction, or
// FetchLogs, which pages through FilterLogEvents and writes the events as
// `aws logs filter-log-events` JSON); then, for enable and disable, a pure
// plan (PlanEnable, PlanDisable) applied with the read revision ID (Apply),
// so a concurrent change makes Lambda refuse the update instead of being
// overwritten. ChangeFunction runs enable's and disable's steps.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// Settings choose the account, region and retry behaviour. Empty fields
// leave the SDK's own resolution (environment, shared config) in charge.
type Settings struct {
	Region  string // --region
	Profile string // --profile
	// MaxAttempts bounds the tries of one call, throttling included; 0 keeps
	// the SDK's default (3, or AWS_MAX_ATTEMPTS).
	MaxAttempts int
	// MaxBackoff caps the wait between tries; 0 keeps the SDK's 20 s.
	// Tests shorten it.
	MaxBackoff time.Duration
	// ThrottleAttempts, when set, gives throttling errors this many tries
	// while every other error (an unreachable endpoint) keeps MaxAttempts
	// or the SDK's 3, so a patient command still gives up on a dead
	// network as fast as the others.
	ThrottleAttempts int
}

// LoadConfig resolves credentials, region and endpoints the way the AWS CLI
// does. It fails early, with a clear message, when no region is set.
func LoadConfig(ctx context.Context, s Settings) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	// The SDK's own log lines ("WARN falling back to IMDSv1") would reach
	// the user's terminal beside coldprof's; its errors are explained here.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	if s.MaxAttempts > 0 || s.MaxBackoff > 0 || s.ThrottleAttempts > 0 {
		opts = append(opts, config.WithRetryer(func() aws.Retryer {
			others := s.MaxAttempts
			if others == 0 {
				others = retry.DefaultMaxAttempts
			}
			std := retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = max(others, s.ThrottleAttempts)
				if s.MaxBackoff > 0 {
					o.MaxBackoff = s.MaxBackoff
					o.Backoff = retry.NewExponentialJitterBackoff(s.MaxBackoff)
				}
			})
			if s.ThrottleAttempts <= others {
				return std
			}
			return throttlePatient{RetryerV2: std, others: others}
		}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if strings.Contains(err.Error(), "failed to get shared config profile") {
			return aws.Config{}, fmt.Errorf("AWS profile %q not found in ~/.aws/config or ~/.aws/credentials", s.Profile)
		}
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	return cfg, nil
}

// throttlePatient retries throttling errors up to its retryer's
// MaxAttempts and other errors only up to others.
type throttlePatient struct {
	aws.RetryerV2
	others int
}

// RetryDelay stops a retry that is not for throttling once others tries
// are made (the SDK counts attempt from 0 or 1 by version: at most one
// try fewer, never more).
func (r throttlePatient) RetryDelay(attempt int, err error) (time.Duration, error) {
	if attempt >= r.others-1 && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		return 0, err
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// ErrNoRegion says how to choose a region.
var ErrNoRegion = errors.New("no AWS region: pass --region, set AWS_REGION, or set region in your profile (aws configure)")

// An Op names one API call for error messages: the IAM action it needs,
// what it acts on, and the region it went to.
type Op struct {
	Action   string // "lambda:GetFunctionConfiguration"
	Resource string // "function my-fn", "log group /aws/lambda/my-fn"
	Region   string
}

// Explain turns an SDK error into one line that says what to do. Errors it
// does not recognise keep the action, the error code and AWS's message.
func Explain(err error, op Op) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var missingRegion *aws.MissingRegionError
	if errors.As(err, &missingRegion) {
		return ErrNoRegion
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return explainAPI(api, err, op)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to refresh cached credentials") && strings.Contains(msg, "ec2imds"):
		return errors.New("no AWS credentials found: run `aws configure` or `aws sso login`, or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	case strings.Contains(msg, "get credentials:") || strings.Contains(msg, "failed to refresh cached credentials"):
		return fmt.Errorf("AWS credentials could not be loaded (%s): refresh them (`aws sso login`?) or check AWS_PROFILE", lastPart(msg))
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("cannot resolve %s: is region %q right? (--region, AWS_REGION; or AWS_ENDPOINT_URL for a private endpoint)", dns.Name, op.Region)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("cannot reach the AWS endpoint for %s (%s): check your network, or AWS_ENDPOINT_URL if you set one", op.Action, opErr.Err)
	}
	return fmt.Errorf("%s: %w", op.Action, err)
}

// An Error is an error AWS answered with, explained for people. Code is
// AWS's error code ("AccessDeniedException"), for callers that act on it.
type Error struct {
	Code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// explainAPI explains an error AWS answered with.
func explainAPI(api smithy.APIError, err error, op Op) error {
	code := api.ErrorCode()
	explained := func(format string, args ...any) error {
		return &Error{Code: code, msg: fmt.Sprintf(format, args...)}
	}
	switch code {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException":
		action, resource := op.Action, op.Resource
		// AWS's message names the action it refused, which can be another
		// than the call's (adding a layer needs lambda:GetLayerVersion).
		if denied := deniedAction(api.ErrorMessage()); denied != "" && denied != action {
			action, resource = denied, "the resource it names ("+op.Resource+" or its layers)"
		}
		return explained("access denied: your AWS identity may not call %s on %s; allow that action in its IAM policy", action, resource)
	case "ResourceNotFoundException":
		return explained("%s not found in region %s: check the name, the region (--region, AWS_REGION) and the account (--profile)", op.Resource, op.Region)
	case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId",
		"ExpiredToken", "SignatureDoesNotMatch", "IncompleteSignature":
		return explained("AWS rejected the credentials (%s): they are wrong or expired; refresh them (`aws sso login`?) or check AWS_PROFILE; for an opt-in region, check that it is enabled", code)
	case "TooManyRequestsException", "ThrottlingException", "Throttling", "ThrottledException", "RequestLimitExceeded":
		attempts := ""
		var max *retry.MaxAttemptsError
		if errors.As(err, &max) {
			attempts = fmt.Sprintf(" after %d attempts", max.Attempt)
		}
		return explained("AWS throttled %s%s: try again in a minute (or raise AWS_MAX_ATTEMPTS; for logs, narrow --since)", op.Action, attempts)
	case "PreconditionFailedException":
		// Apply reads the function again to say what state it is in.
		return explained("%s changed while coldprof was updating it (its revision ID moved on)", op.Resource)
	case "ResourceConflictException":
		return explained("%s is being updated by someone else: try again when that update is done", op.Resource)
	case "InvalidParameterValueException":
		return explained("Lambda refused the change to %s: %s", op.Resource, api.ErrorMessage())
	}
	return explained("%s on %s: %s: %s", op.Action, op.Resource, code, api.ErrorMessage())
}

// deniedAction finds the action in AWS's access-denied message ("… is not
// authorized to perform: lambda:GetLayerVersion on resource: …"), "" if none.
func deniedAction(msg string) string {
	_, rest, ok := strings.Cut(msg, "perform: ")
	if !ok {
		return ""
	}
	action, _, _ := strings.Cut(rest, " ")
	if svc, name, ok := strings.Cut(action, ":"); !ok || svc == "" || name == "" {
		return ""
	}
	return action
}

// lastPart keeps the innermost cause of an SDK error chain ("a, b: c").
func lastPart(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if i := strings.LastIndex(msg, ", "); i >= 0 && len(msg)-i < 120 {
		msg = msg[i+2:]
	}
	return msg
}

// GetFunction reads a function's configuration ($LATEST).
func GetFunction(ctx context.Context, cfg aws.Config, name string) (Function, error) {
	out, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		return Function{}, Explain(err, Op{Action: "lambda:GetFunctionConfiguration", Resource: "function " + name, Region: cfg.Region})
	}
	return FunctionFrom(name, out), nil
}

// ChangeFunction is enable's and disable's work (verb names it): it reads
// the function, plans the change, prints the plan on w, and applies it
// unless dryRun. It returns the function as read and, once applied, its
// new revision ID.
func ChangeFunction(ctx context.Context, w io.Writer, s Settings, function, verb string, dryRun bool, plan func(Function) (Change, error)) (fn Function, revision string, err error) {
	cfg, err := LoadConfig(ctx, s)
	if err != nil {
		return fn, "", err
	}
	if fn, err = GetFunction(ctx, cfg, function); err != nil {
		return fn, "", err
	}
	change, err := plan(fn)
	if err != nil {
		return fn, "", err
	}
	fmt.Fprintf(w, "%s %s (region %s, revision %s)\n%s", verb, fn.Name, cfg.Region, fn.RevisionID, change.Diff(fn))
	if dryRun {
		_, err := fmt.Fprintln(w, "dry run: nothing changed")
		return fn, "", err
	}
	revision, err = Apply(ctx, cfg, fn, change)
	return fn, revision, err
}

// Apply writes c's layers (when they changed) and environment, on the
// condition that the function is still at fn's revision. It returns the new
// revision ID.
func Apply(ctx context.Context, cfg aws.Config, fn Function, c Change) (string, error) {
	env := c.Env
	if env == nil {
		env = map[string]string{}
	}
	in := &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(fn.Name),
		Environment:  &types.Environment{Variables: env},
	}
	if fn.RevisionID != "" {
		in.RevisionId = aws.String(fn.RevisionID)
	}
	if c.LayersSet {
		in.Layers = c.Layers
		if in.Layers == nil {
			in.Layers = []string{} // no layers left: send an empty list, not nothing
		}
	}
	out, err := lambda.NewFromConfig(cfg).UpdateFunctionConfiguration(ctx, in)
	if err != nil {
		err = Explain(err, Op{Action: "lambda:UpdateFunctionConfiguration", Resource: "function " + fn.Name, Region: cfg.Region})
		var refused *Error
		if errors.As(err, &refused) && refused.Code == "PreconditionFailedException" {
			return afterPreconditionFailed(ctx, cfg, fn, env, c)
		}
		return "", err
	}
	return aws.ToString(out.RevisionId), nil
}

// afterPreconditionFailed finds out what happened when Lambda refused the
// update because the revision had moved on. That is either someone else's
// change, or our own: when the update's response is lost, the SDK's retry
// repeats it with the old revision ID and gets the refusal, though the
// first try was applied. The function is read again and compared with the
// change: applied, it returns the new revision; not applied, the error
// says what state the function is in.
func afterPreconditionFailed(ctx context.Context, cfg aws.Config, fn Function, env map[string]string, c Change) (string, error) {
	now, err := GetFunction(ctx, cfg, fn.Name)
	if err != nil {
		return "", fmt.Errorf("function %s changed while coldprof was updating it (its revision ID moved on), and reading it again failed (%v): check its layers and variables before running the command again", fn.Name, err)
	}
	if sameEnv(now.Env, env) && (!c.LayersSet || slices.Equal(now.Layers, c.Layers)) {
		return now.RevisionID, nil // our own update, whose response was lost
	}
	return "", &Error{Code: "PreconditionFailedException", msg: fmt.Sprintf(
		"function %s changed while coldprof was updating it (its revision ID moved on) and does not have coldprof's change: "+
			"it is at revision %s with layers %s and AWS_LAMBDA_EXEC_WRAPPER %s; run the command again to apply it to that revision",
		fn.Name, now.RevisionID, layerList(now.Layers), wrapperState(now.Env))}
}

// sameEnv compares variables, no variables and an empty set being equal.
func sameEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func layerList(layers []string) string {
	if len(layers) == 0 {
		return "(none)"
	}
	return strings.Join(layers, ", ")
}

func wrapperState(env map[string]string) string {
	if w, ok := env["AWS_LAMBDA_EXEC_WRAPPER"]; ok {
		return fmt.Sprintf("%q", w)
	}
	return "unset"
}
