// Package emulator is a local stand-in for the AWS Lambda Runtime API
// (version 2018-06-01) and for the platform lines Lambda writes to a
// function's log.
//
// A run goes like this:
//
//  1. New listens on 127.0.0.1 (a free port); Addr is the value for the
//     runtime's AWS_LAMBDA_RUNTIME_API.
//  2. BeginInit writes INIT_START and starts the init clock (10 s by default,
//     as Lambda's on-demand limit); the caller then starts the runtime.
//  3. WaitInit returns once the runtime asks for its first event, or with an
//     *InitError when it posts /runtime/init/error, exits (RuntimeExited) or
//     runs out of time; INIT_REPORT is written for the last three.
//  4. Invoke queues one event, hands it to the runtime's long-polling next
//     request, and waits for its response or error, the function timeout or
//     the runtime's exit. START, END and REPORT (Init Duration on the first,
//     last on the line as in Lambda) are written as they happen.
//
// Platform lines go to Config.Log. Give it the same file the runtime writes
// its stdout and stderr to, opened with O_APPEND: every line the runtime
// wrote before an HTTP request is then in the file before the line the
// emulator writes on receiving it, so the order in the log is exact.
//
// Status codes and error bodies follow Lambda's runtime interface emulator:
// a response for a request ID that is not the current invocation is 400
// InvalidRequestID; a response when no invocation is running (a second
// response, or one before the first next) is 403 InvalidStateTransition.
package emulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coldprof/coldprof/parsers/platform"
	"github.com/coldprof/coldprof/wrapper/runtimeapi"
)

// Error types in the Runtime API's JSON error bodies (the paths and headers
// are package runtimeapi's, which the proxy uses too).
const (
	errorTypeInvalidStateTransition = "InvalidStateTransition"
	errorTypeInvalidRequestID       = "InvalidRequestID"
	errorTypeInvalidResponseMode    = "InvalidFunctionResponseMode"
	errorTypeEntityTooLarge         = "RequestEntityTooLarge"

	// ErrorTypeExit is the error type Lambda reports when the runtime exits
	// before it finished init or an invocation.
	ErrorTypeExit = "Runtime.ExitError"
)

// MaxResponseBytes bounds a response body the emulator keeps (Lambda's limit
// for streamed responses is 20 MB; buffered ones 6 MB).
const MaxResponseBytes = 20 << 20

// Config describes the emulated function. Zero values take Lambda's defaults.
type Config struct {
	FunctionName    string // default "coldprof-function"
	FunctionVersion string // default "$LATEST"
	MemoryMB        int    // default 128
	Region          string // default "us-east-1"
	AccountID       string // default "123456789012"
	// RuntimeVersion is shown on INIT_START, e.g. "python:3.12.local".
	RuntimeVersion string
	// InitTimeout is Lambda's init limit (10 s on demand).
	InitTimeout time.Duration
	// Timeout is the function timeout (Lambda's default is 3 s).
	Timeout time.Duration
	// Log receives the platform lines, one Write per line.
	Log io.Writer
	// MaxMemoryUsedMB reports the runtime's peak memory for REPORT lines;
	// nil reports 0.
	MaxMemoryUsedMB func() int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.FunctionName == "" {
		c.FunctionName = "coldprof-function"
	}
	if c.FunctionVersion == "" {
		c.FunctionVersion = "$LATEST"
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 128
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "123456789012"
	}
	if c.RuntimeVersion == "" {
		c.RuntimeVersion = "provided:local"
	}
	if c.InitTimeout == 0 {
		c.InitTimeout = 10 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 3 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// FunctionARN is the ARN handed to the runtime for the configured function.
func (c Config) FunctionARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", c.Region, c.AccountID, c.FunctionName)
}

// An Event is one invocation's input.
type Event struct {
	Payload []byte
	// ClientContext and CognitoIdentity are sent as headers when not empty.
	ClientContext   string
	CognitoIdentity string
}

// A Status says how an invocation ended.
type Status string

// How an invocation can end.
const (
	StatusSuccess Status = "success"
	StatusError   Status = "error"   // the runtime posted /error (or a streamed error trailer)
	StatusTimeout Status = "timeout" // the function timeout passed
	StatusExited  Status = "exited"  // the runtime exited first
)

// A Result is how one invocation ended.
type Result struct {
	RequestID string
	Status    Status
	// Payload is the response body, or the error body for StatusError.
	Payload []byte
	// ErrorType is the posted error type (StatusError), or Runtime.ExitError.
	ErrorType string
	Duration  time.Duration
}

// An InitError says why init did not finish.
type InitError struct {
	// Status is "error" or "timeout", as on INIT_REPORT.
	Status string
	// ErrorType is the type the runtime posted, or Runtime.ExitError.
	ErrorType string
	// Body is what the runtime posted to /runtime/init/error, if anything.
	Body     []byte
	Duration time.Duration
}

func (e *InitError) Error() string {
	if e.Status == "timeout" {
		return fmt.Sprintf("init timed out after %s", e.Duration.Round(time.Millisecond))
	}
	msg := fmt.Sprintf("init failed after %s: %s", e.Duration.Round(time.Millisecond), e.ErrorType)
	if m := errorMessage(e.Body); m != "" {
		msg += ": " + m
	}
	return msg
}

// ErrRuntimeExited is returned by Invoke when the runtime had exited before
// the event could be handed over.
var ErrRuntimeExited = errors.New("runtime exited")

// The runtime's state, named as Lambda's emulator names them in its errors.
type runtimeState string

const (
	stateStarted      runtimeState = "Started"
	stateInitError    runtimeState = "InitError"
	stateReady        runtimeState = "Ready"
	stateRunning      runtimeState = "Running"
	stateResponseSent runtimeState = "RuntimeResponseSentState"
	stateGone         runtimeState = "Gone" // timed out or exited: the environment is done
)

type invocation struct {
	id       string
	event    Event
	deadline time.Time
	start    time.Time     // when the event was handed out
	done     chan Result   // buffered 1
	taken    chan struct{} // closed once next has made it current
}

// An Emulator serves the Runtime API for one execution environment.
type Emulator struct {
	cfg Config
	ln  net.Listener
	srv *http.Server

	logMu sync.Mutex

	mu           sync.Mutex
	state        runtimeState
	initStart    time.Time
	initDuration time.Duration
	initDone     bool
	initErr      *InitError
	initSettled  chan struct{} // closed when init succeeded or failed
	current      *invocation
	queue        chan *invocation // unbuffered: a send is a hand-out
	invocations  int
	exited       chan struct{}
	exitStatus   string
	initTimer    *time.Timer
	closed       chan struct{}
	closeOnce    sync.Once
	rejected     []string
	polled       chan struct{} // closed and replaced each time the runtime asks for its next event
}

// maxRejected bounds the rejected requests an Emulator remembers.
const maxRejected = 10

// Rejected lists the runtime's requests that were answered with an error
// ("POST /2018-06-01/runtime/invocation/x/response: 400 InvalidRequestID"),
// the first few only: the usual reason a runtime then times out.
func (e *Emulator) Rejected() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.rejected...)
}

// reject writes a Runtime API error body and remembers the request.
func (e *Emulator) reject(w http.ResponseWriter, r *http.Request, code int, errorType, msg string) {
	e.mu.Lock()
	if len(e.rejected) < maxRejected {
		e.rejected = append(e.rejected, fmt.Sprintf("%s %s: %d %s", r.Method, r.URL.Path, code, errorType))
	}
	e.mu.Unlock()
	writeError(w, code, errorType, msg)
}

// New starts the Runtime API on a free loopback port.
func New(cfg Config) (*Emulator, error) {
	cfg.setDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API: %w", err)
	}
	e := &Emulator{
		cfg:         cfg,
		ln:          ln,
		state:       stateStarted,
		initSettled: make(chan struct{}),
		queue:       make(chan *invocation),
		exited:      make(chan struct{}),
		closed:      make(chan struct{}),
		polled:      make(chan struct{}),
	}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go e.srv.Serve(ln)
	return e, nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (e *Emulator) Addr() string { return e.ln.Addr().String() }

// Close stops the server and releases any blocked next requests.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() { close(e.closed) })
	e.mu.Lock()
	if e.initTimer != nil {
		e.initTimer.Stop()
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := e.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = e.srv.Close()
	}
	return err
}

// BeginInit writes INIT_START and starts the init clock. Call it just
// before starting the runtime.
func (e *Emulator) BeginInit() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.initStart = e.cfg.Now()
	e.writePlatform(platform.InitStart, &platform.Record{
		RuntimeVersion:    e.cfg.RuntimeVersion,
		RuntimeVersionARN: runtimeVersionARN(e.cfg.Region, e.cfg.RuntimeVersion),
	})
	e.initTimer = time.AfterFunc(e.cfg.InitTimeout, e.initTimedOut)
}

func runtimeVersionARN(region, version string) string {
	sum := sha256.Sum256([]byte(version))
	return "arn:aws:lambda:" + region + "::runtime:" + hex.EncodeToString(sum[:])
}

// WaitInit waits until init is over: nil once the runtime asked for its
// first event, an *InitError when init failed or timed out.
func (e *Emulator) WaitInit(ctx context.Context) error {
	select {
	case <-e.initSettled:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.initErr != nil {
		return e.initErr
	}
	return nil
}

// InitDuration is the time from BeginInit to the runtime's first next
// request; zero while init runs.
func (e *Emulator) InitDuration() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.initDuration
}

// failInitLocked ends init with an error and writes INIT_REPORT.
func (e *Emulator) failInitLocked(status, errorType string, body []byte) {
	d := e.cfg.Now().Sub(e.initStart)
	e.initErr = &InitError{Status: status, ErrorType: errorType, Body: body, Duration: d}
	rep := platform.Record{Phase: "init", Status: status, Metrics: platform.Metrics{DurationMs: millis(d)}}
	if status == "error" {
		rep.ErrorType = errorType
	}
	e.writePlatform(platform.InitReport, &rep)
	if e.initTimer != nil {
		e.initTimer.Stop()
	}
	close(e.initSettled)
}

func (e *Emulator) initTimedOut() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != stateStarted {
		return
	}
	e.state = stateGone
	e.failInitLocked("timeout", "", nil)
}

// RuntimeExited tells the emulator the runtime process is gone; status is
// how it ended ("exit status 1", "signal: killed"). Init or an invocation in
// flight ends with Runtime.ExitError.
func (e *Emulator) RuntimeExited(status string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.exited:
		return
	default:
	}
	e.exitStatus = status
	close(e.exited)
	if e.state == stateStarted {
		e.state = stateGone
		e.failInitLocked("error", ErrorTypeExit, nil)
	}
}

// WaitIdle waits, at most d, until the runtime has asked for its next event
// after the last invocation's outcome: the moment Lambda freezes the
// environment ("Lambda freezes the execution environment when the runtime
// and each extension have completed", AWS's "Understanding the Lambda
// execution environment lifecycle"). What the runtime does between its
// response and that request (a profiler writing its lines) still happens on
// Lambda, so a caller that stops the runtime waits for it first. It reports
// whether the runtime asked in time.
func (e *Emulator) WaitIdle(ctx context.Context, d time.Duration) bool {
	e.mu.Lock()
	st, polled := e.state, e.polled
	e.mu.Unlock()
	if st == stateReady {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-polled:
		return true
	case <-t.C:
	case <-ctx.Done():
	case <-e.exited:
	case <-e.closed:
	}
	return false
}

// Invoke sends one event and waits for its outcome. The function timeout
// runs from this call, as Lambda's does from the invoke request.
func (e *Emulator) Invoke(ctx context.Context, ev Event) (Result, error) {
	now := e.cfg.Now()
	inv := &invocation{
		id:       newRequestID(),
		event:    ev,
		deadline: now.Add(e.cfg.Timeout),
		done:     make(chan Result, 1),
		taken:    make(chan struct{}),
	}
	timer := time.NewTimer(e.cfg.Timeout)
	defer timer.Stop()
	select {
	case e.queue <- inv:
	case <-timer.C:
		// Never handed out: the runtime was not asking for events.
		e.mu.Lock()
		inv.start = now
		e.writePlatform(platform.Start, &platform.Record{RequestID: inv.id, Version: e.cfg.FunctionVersion})
		e.timeoutLocked(inv)
		e.mu.Unlock()
		return <-inv.done, nil
	case <-e.exited:
		return Result{RequestID: inv.id, Status: StatusExited, ErrorType: ErrorTypeExit}, ErrRuntimeExited
	case <-ctx.Done():
		return Result{RequestID: inv.id}, ctx.Err()
	case <-e.closed:
		return Result{RequestID: inv.id}, errors.New("emulator closed")
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-timer.C:
		<-inv.taken // next may have received inv but not yet made it current
		e.mu.Lock()
		if e.current == inv && e.state == stateRunning {
			e.timeoutLocked(inv)
		}
		e.mu.Unlock()
		return <-inv.done, nil
	case <-e.exited:
		<-inv.taken
		e.mu.Lock()
		if e.current == inv && e.state == stateRunning {
			e.finishLocked(inv, Result{Status: StatusExited, ErrorType: ErrorTypeExit})
		}
		e.mu.Unlock()
		return <-inv.done, nil
	case <-ctx.Done():
		return Result{RequestID: inv.id}, ctx.Err()
	}
}

// timeoutLocked ends inv with Lambda's timeout lines.
func (e *Emulator) timeoutLocked(inv *invocation) {
	secs := e.cfg.Timeout.Seconds()
	e.writeLine(fmt.Sprintf("%s %s Task timed out after %.2f seconds",
		e.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, secs))
	e.finishLocked(inv, Result{Status: StatusTimeout})
}

// finishLocked writes END and REPORT and delivers r. After a timeout or an
// exit the environment is gone, as Lambda would tear it down.
func (e *Emulator) finishLocked(inv *invocation, r Result) {
	r.RequestID = inv.id
	r.Duration = e.cfg.Now().Sub(inv.start)
	e.invocations++
	e.writePlatform(platform.End, &platform.Record{RequestID: inv.id})
	billed := r.Duration
	if e.invocations == 1 && e.initDone {
		billed += e.initDuration
	}
	memUsed := 0
	if e.cfg.MaxMemoryUsedMB != nil {
		memUsed = e.cfg.MaxMemoryUsedMB()
	}
	rep := platform.Record{RequestID: inv.id, Metrics: platform.Metrics{
		DurationMs:       millis(r.Duration),
		BilledDurationMs: platform.Millis(math.Ceil(float64(billed) / float64(time.Millisecond))),
		MemorySizeMB:     platform.Megabytes(int64(e.cfg.MemoryMB)),
		MaxMemoryUsedMB:  platform.Megabytes(int64(memUsed)),
	}}
	if e.invocations == 1 && e.initDone {
		rep.Metrics.InitDurationMs = millis(e.initDuration)
	}
	switch r.Status {
	case StatusTimeout:
		rep.Status = "timeout"
		e.state = stateGone
	case StatusExited:
		rep.Status, rep.ErrorType = "error", ErrorTypeExit
		e.state = stateGone
	default:
		e.state = stateResponseSent
	}
	e.writePlatform(platform.Report, &rep)
	e.current = nil
	inv.done <- r
}

// millis is d in milliseconds, for a platform line's metric.
func millis(d time.Duration) *float64 {
	return platform.Millis(float64(d) / float64(time.Millisecond))
}

// writePlatform writes one of Lambda's platform lines.
func (e *Emulator) writePlatform(k platform.Kind, rec *platform.Record) {
	e.writeLine(string(platform.Append(nil, k, rec)))
}

// writeLine writes one platform line in a single Write. When the log is a
// file that can be read back, a line the runtime left unfinished (output
// without a newline) is ended first, so the platform line stays whole.
func (e *Emulator) writeLine(s string) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if f, ok := e.cfg.Log.(*os.File); ok && !endsWithNewline(f) {
		s = "\n" + s
	}
	io.WriteString(e.cfg.Log, s+"\n")
}

// endsWithNewline reports whether f is empty or ends with '\n'; true when
// it cannot tell.
func endsWithNewline(f *os.File) bool {
	info, err := f.Stat()
	if err != nil || info.Size() == 0 || !info.Mode().IsRegular() {
		return true
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], info.Size()-1); err != nil {
		return true
	}
	return last[0] == '\n'
}

// newRequestID returns a random UUID (version 4), like Lambda's request IDs.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID returns an X-Ray trace header as Lambda passes it.
func newTraceID(now time.Time) string {
	var b [20]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), h[:24], h[24:40])
}

// ServeHTTP routes the Runtime API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimeapi.Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case path == runtimeapi.PathNext:
		if r.Method != http.MethodGet {
			methodNotAllowed(w, http.MethodGet)
			return
		}
		e.next(w, r)
	case path == runtimeapi.PathInitError:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		e.initError(w, r)
	case strings.HasPrefix(path, runtimeapi.PathInvocation):
		rest := strings.TrimPrefix(path, runtimeapi.PathInvocation)
		id, _, ok := strings.Cut(rest, "/")
		kind := rest[len(id):]
		if !ok || id == "" || (kind != runtimeapi.SuffixResponse && kind != runtimeapi.SuffixError) {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		e.post(w, r, id, kind == runtimeapi.SuffixError)
	default:
		http.NotFound(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// writeError writes a Runtime API error body ({"errorMessage","errorType"}).
func writeError(w http.ResponseWriter, code int, errorType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"errorMessage":%s,"errorType":%s}`, strconv.Quote(msg), strconv.Quote(errorType))
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func (e *Emulator) transitionError(w http.ResponseWriter, r *http.Request, from runtimeState, to string) {
	e.reject(w, r, http.StatusForbidden, errorTypeInvalidStateTransition,
		fmt.Sprintf("State transition from %s to %s failed for runtime. Error: State transition is not allowed", from, to))
}

// next is GET /runtime/invocation/next: a long poll with no timeout.
func (e *Emulator) next(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	close(e.polled)
	e.polled = make(chan struct{})
	switch e.state {
	case stateStarted:
		e.initDone = true
		e.initDuration = e.cfg.Now().Sub(e.initStart)
		if e.initTimer != nil {
			e.initTimer.Stop()
		}
		e.state = stateReady
		close(e.initSettled)
	case stateResponseSent:
		e.state = stateReady
	case stateReady, stateRunning:
		// Lambda lets a runtime poll again; it just waits for the next event.
	default:
		st := e.state
		e.mu.Unlock()
		e.transitionError(w, r, st, string(stateReady))
		return
	}
	e.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-e.queue:
	case <-r.Context().Done():
		return
	case <-e.closed:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	e.mu.Lock()
	inv.start = e.cfg.Now()
	e.current = inv
	e.state = stateRunning
	e.writePlatform(platform.Start, &platform.Record{RequestID: inv.id, Version: e.cfg.FunctionVersion})
	close(inv.taken)
	e.mu.Unlock()

	h := w.Header()
	h.Set(runtimeapi.HeaderRequestID, inv.id)
	h.Set(runtimeapi.HeaderDeadlineMs, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(runtimeapi.HeaderInvokedFunctionARN, e.cfg.FunctionARN())
	h.Set(runtimeapi.HeaderTraceID, newTraceID(inv.start))
	if inv.event.ClientContext != "" {
		h.Set(runtimeapi.HeaderClientContext, inv.event.ClientContext)
	}
	if inv.event.CognitoIdentity != "" {
		h.Set(runtimeapi.HeaderCognitoIdentity, inv.event.CognitoIdentity)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(inv.event.Payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(inv.event.Payload)
}

// post is POST /runtime/invocation/{id}/response and …/{id}/error.
func (e *Emulator) post(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	to := "InvocationResponse"
	if isError {
		to = "InvocationErrorResponse"
	}
	mode := r.Header.Get(runtimeapi.HeaderResponseMode)
	if !isError && mode != "" && mode != runtimeapi.ResponseModeStreaming {
		e.reject(w, r, http.StatusBadRequest, errorTypeInvalidResponseMode, "Invalid function response mode")
		return
	}
	e.mu.Lock()
	st, inv := e.state, e.current
	e.mu.Unlock()
	if st != stateRunning || inv == nil {
		e.transitionError(w, r, st, to)
		return
	}
	if id != inv.id {
		e.reject(w, r, http.StatusBadRequest, errorTypeInvalidRequestID, "Invalid request ID")
		return
	}
	// Read the body before taking the lock: a streamed response can last.
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	tooLarge := len(body) > MaxResponseBytes
	if tooLarge {
		body = body[:MaxResponseBytes]
	}
	res := Result{Status: StatusSuccess, Payload: body}
	if isError {
		res.Status = StatusError
		res.ErrorType = r.Header.Get(runtimeapi.HeaderFunctionErrorType)
		if res.ErrorType == "" {
			res.ErrorType = errorType(body)
		}
	} else if t := r.Trailer.Get(runtimeapi.HeaderFunctionErrorType); t != "" {
		// A streamed response that failed midway reports it in trailers,
		// the error body base64-encoded.
		res.Status = StatusError
		res.ErrorType = t
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(runtimeapi.HeaderFunctionErrorBody)); err == nil && len(b) > 0 {
			res.Payload = b
		}
	}
	if err != nil && !tooLarge {
		res.Status = StatusError
		res.ErrorType = "Runtime.TruncatedResponse"
	}
	e.mu.Lock()
	if e.current != inv || e.state != stateRunning {
		// A timeout or a concurrent post got there first.
		st := e.state
		e.mu.Unlock()
		e.transitionError(w, r, st, to)
		return
	}
	e.finishLocked(inv, res)
	e.mu.Unlock()
	if tooLarge {
		e.reject(w, r, http.StatusRequestEntityTooLarge, errorTypeEntityTooLarge,
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes))
		return
	}
	writeAccepted(w)
}

// initError is POST /runtime/init/error.
func (e *Emulator) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	errType := r.Header.Get(runtimeapi.HeaderFunctionErrorType)
	if errType == "" {
		errType = errorType(body)
	}
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	e.mu.Lock()
	if e.state != stateStarted {
		st := e.state
		e.mu.Unlock()
		e.transitionError(w, r, st, string(stateInitError))
		return
	}
	e.state = stateInitError
	e.failInitLocked("error", errType, body)
	e.mu.Unlock()
	writeAccepted(w)
}
