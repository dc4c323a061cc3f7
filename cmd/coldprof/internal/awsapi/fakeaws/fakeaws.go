// Package fakeaws is a local HTTP server that speaks the parts of the
// Lambda (REST-JSON) and CloudWatch Logs (JSON 1.1, X-Amz-Target) protocols
// coldprof's AWS commands use, as the SDK's service models and request
// snapshots describe them: GetFunctionConfiguration, UpdateFunctionConfiguration
// (with RevisionId preconditions) and FilterLogEvents (with nextToken
// pages). Tests point the real SDK clients at it with AWS_ENDPOINT_URL, so
// nothing reaches AWS. Only tests import it.
package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A Request is one call the server received.
type Request struct {
	Method, Path  string
	Target        string // X-Amz-Target (CloudWatch Logs)
	Authorization string
	Body          []byte
}

// Server is the fake. Set its fields before the calls; the mutex guards
// them while a call runs.
type Server struct {
	URL string

	mu sync.Mutex
	// Functions maps a function name to its configuration, as Lambda's
	// GetFunctionConfiguration JSON.
	Functions map[string]map[string]any
	// LogPages maps a log group to its FilterLogEvents pages.
	LogPages map[string][][]map[string]any
	// Throttle answers this many calls with a throttling error first.
	Throttle int
	// Denied lists IAM actions ("lambda:UpdateFunctionConfiguration") that
	// fail with AccessDeniedException.
	Denied map[string]bool
	// AfterGet runs after each GetFunctionConfiguration answer, e.g. to
	// change the function behind the caller's back.
	AfterGet func(s *Server, name string)
	// Settled makes updates finish at once (LastUpdateStatus Successful),
	// for clients that wait for them, such as `aws lambda wait`.
	Settled bool
	// LoseUpdates applies this many updates and then drops the connection
	// without an answer, as a lost response: the SDK retries the update,
	// whose revision ID is stale by then. AfterLostUpdate, if set, runs
	// after each, e.g. to change the function as someone else would.
	LoseUpdates     int
	AfterLostUpdate func(s *Server, name string)
	// Requests records every call.
	Requests []Request

	revision int
}

// New starts a fake server and sets the environment (for the test's
// duration) so the SDK uses it with static test credentials and nothing
// from the machine's AWS configuration.
func New(t *testing.T) *Server {
	t.Helper()
	s := &Server{Functions: map[string]map[string]any{}, LogPages: map[string][][]map[string]any{}, Denied: map[string]bool{}}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	empty := t.TempDir() + "/none"
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            ts.URL,
		"AWS_ACCESS_KEY_ID":           "AKIDFAKEFAKEFAKE",
		"AWS_SECRET_ACCESS_KEY":       "fake-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "eu-west-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
	} {
		t.Setenv(k, v)
	}
	return s
}

// Lock and Unlock guard the fields while a test reads or changes them.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

// NextRevision returns a fresh revision ID.
func (s *Server) NextRevision() string {
	s.revision++
	return "rev-" + strconv.Itoa(s.revision)
}

const functionsPrefix = "/2015-03-31/functions/"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.Requests = append(s.Requests, Request{Method: r.Method, Path: r.URL.Path, Target: r.Header.Get("X-Amz-Target"),
		Authorization: r.Header.Get("Authorization"), Body: body})
	var after func()
	defer func() {
		s.mu.Unlock()
		if after != nil {
			after()
		}
	}()

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveLogs(w, target, body)
		return
	}
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, functionsPrefix), "/configuration")
	if !strings.HasPrefix(r.URL.Path, functionsPrefix) || !ok {
		lambdaError(w, http.StatusNotFound, "UnknownOperationException", "unknown path "+r.URL.Path)
		return
	}
	action := map[string]string{http.MethodGet: "lambda:GetFunctionConfiguration", http.MethodPut: "lambda:UpdateFunctionConfiguration"}[r.Method]
	switch {
	case action == "":
		lambdaError(w, http.StatusMethodNotAllowed, "UnknownOperationException", r.Method)
		return
	case s.Throttle > 0:
		s.Throttle--
		w.Header().Set("Retry-After", "0")
		lambdaError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
		return
	case s.Denied[action]:
		lambdaError(w, http.StatusForbidden, "AccessDeniedException",
			"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "+action+" on resource: function "+name)
		return
	}
	fn := s.Functions[name]
	if fn == nil {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:"+name)
		return
	}
	if r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, fn)
		if s.AfterGet != nil {
			hook := s.AfterGet
			after = func() { s.mu.Lock(); hook(s, name); s.mu.Unlock() }
		}
		return
	}
	var in struct {
		RevisionId  *string
		Layers      *[]string
		Environment *struct{ Variables map[string]string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if in.RevisionId != nil && *in.RevisionId != fn["RevisionId"] {
		lambdaError(w, http.StatusPreconditionFailed, "PreconditionFailedException",
			"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
		return
	}
	if in.Layers != nil {
		var layers []any
		for _, arn := range *in.Layers {
			layers = append(layers, map[string]any{"Arn": arn, "CodeSize": 1000})
		}
		fn["Layers"] = layers
	}
	if in.Environment != nil {
		fn["Environment"] = map[string]any{"Variables": in.Environment.Variables}
	}
	fn["RevisionId"] = s.NextRevision()
	fn["LastUpdateStatus"] = "InProgress"
	if s.Settled {
		fn["LastUpdateStatus"] = "Successful"
	}
	if s.LoseUpdates > 0 {
		s.LoseUpdates--
		if s.AfterLostUpdate != nil {
			s.AfterLostUpdate(s, name)
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close() // the client sees the connection end with no response
			return
		}
	}
	writeJSON(w, http.StatusOK, fn)
}

func (s *Server) serveLogs(w http.ResponseWriter, target string, body []byte) {
	if target != "Logs_20140328.FilterLogEvents" {
		logsError(w, "UnknownOperationException", target)
		return
	}
	switch {
	case s.Throttle > 0:
		s.Throttle--
		logsError(w, "ThrottlingException", "Rate exceeded")
		return
	case s.Denied["logs:FilterLogEvents"]:
		logsError(w, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: logs:FilterLogEvents")
		return
	}
	var in struct {
		LogGroupName string `json:"logGroupName"`
		NextToken    string `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		logsError(w, "SerializationException", err.Error())
		return
	}
	pages, ok := s.LogPages[in.LogGroupName]
	if !ok {
		logsError(w, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	page := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "token-"))
		if err != nil || n <= 0 || n >= len(pages) {
			logsError(w, "InvalidParameterException", "The specified nextToken is invalid.")
			return
		}
		page = n
	}
	out := map[string]any{"events": []any{}, "searchedLogStreams": []any{}}
	if page < len(pages) {
		events := make([]any, len(pages[page]))
		for i, e := range pages[page] {
			events[i] = e
		}
		out["events"] = events
	}
	if page+1 < len(pages) {
		out["nextToken"] = fmt.Sprintf("token-%d", page+1)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	writeJSON(w, http.StatusOK, out)
}

// lambdaError answers the way Lambda's REST-JSON protocol does: the code in
// X-Amzn-ErrorType, the message in the body.
func lambdaError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	writeJSON(w, status, map[string]string{"Type": "User", "message": msg})
}

// logsError answers the way JSON 1.1 services do: 400 and __type.
func logsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	writeJSON(w, http.StatusBadRequest, map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
