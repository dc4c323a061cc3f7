// Package runtimeapi names the Lambda Runtime API's paths and headers
// (version 2018-06-01, reference lambda-runtime.md), once, for the two
// sides of coldprof that speak it: the proxy between a runtime and the real
// API (wrapper/proxy) and coldprof run's local stand-in for it (the
// emulator). It holds constants only, like aws-lambda-go's
// lambda/runtime_api_client.go, so that importing it links nothing into the
// wrapper's and the proxy's small binaries.
package runtimeapi

// The API's version and its paths. A request's path is Prefix followed by
// one of the paths: PathNext, PathRestoreNext, PathInitError, or
// PathInvocation + a request ID + SuffixResponse or SuffixError.
const (
	Version = "2018-06-01"
	Prefix  = "/" + Version

	// PathNext long-polls for the next invocation; the runtime's first
	// request of it ends init.
	PathNext = "/runtime/invocation/next"
	// PathRestoreNext is a SnapStart runtime's instead of PathNext at the
	// end of init: it returns once the snapshot is restored.
	PathRestoreNext = "/runtime/restore/next"
	// PathInvocation begins an invocation's response and error paths.
	PathInvocation = "/runtime/invocation/"
	SuffixResponse = "/response"
	SuffixError    = "/error"
	// PathInitError reports a failed init.
	PathInitError = "/runtime/init/error"
)

// Headers of the API's responses to next (the invocation's context) and of
// the runtime's requests.
const (
	HeaderRequestID          = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs         = "Lambda-Runtime-Deadline-Ms"
	HeaderInvokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID            = "Lambda-Runtime-Trace-Id"
	HeaderClientContext      = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity    = "Lambda-Runtime-Cognito-Identity"
	// HeaderFunctionErrorType is sent with an error post, or as a trailer of
	// a streamed response that failed midway, with HeaderFunctionErrorBody
	// (base64).
	HeaderFunctionErrorType = "Lambda-Runtime-Function-Error-Type"
	HeaderFunctionErrorBody = "Lambda-Runtime-Function-Error-Body"
	// HeaderResponseMode is ResponseModeStreaming on a streamed response.
	HeaderResponseMode    = "Lambda-Runtime-Function-Response-Mode"
	ResponseModeStreaming = "streaming"
)
