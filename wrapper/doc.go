// Package wrapper is coldprof-wrapper: set as a Lambda function's
// AWS_LAMBDA_EXEC_WRAPPER, it turns on the runtime's import profiling and
// marks exactly where init ends and each invocation starts, then becomes the
// runtime (exec, same PID). It never stops a function from starting.
//
// # Steps
//
//  1. LoadConfig reads the COLDPROF_* variables once into a Config. A bad
//     value becomes one warning marker and the default. An environment that
//     carries COLDPROF_WRAPPED (the mark a wrapper leaves in what it hands
//     on) means this wrapper runs inside a command a wrapper already
//     prepared (COLDPROF_NEXT_WRAPPER naming coldprof-wrapper): it execs
//     the command unchanged.
//  2. COLDPROF_DISABLE or an unsampled cold start (COLDPROF_SAMPLE): exec
//     the command unchanged and print nothing. Lambda's own INIT lines still
//     count every cold start, so an unsampled one needs no marker.
//  3. PlanWith, a function of argv, environment and the config, detects the
//     runtime and injects the profiling flags or environment, and turns the
//     in-runtime sampler on (Python; Node.js only with COLDPROF_SAMPLER=on).
//     Overrides are checked against the runtime's option grammar. Its only
//     effect: when no hook directory has a hook file it needs, the embedded
//     hooks are written once to a private directory under /tmp
//     (hooks.Extract). Values from the
//     environment that reach the log are bounded (boundValue).
//  4. With COLDPROF_PHASES=proxy (the default) StartProxy starts the
//     runtime-API proxy and the runtime's AWS_LAMBDA_RUNTIME_API points at it.
//  5. One start marker (and any warnings) is written to stderr in a single
//     write, then the command is exec'd: through COLDPROF_NEXT_WRAPPER when
//     set, else directly. If an exec fails the wrapper falls back, with a
//     warning, to the command without the next wrapper, then to the original
//     command and environment. Only when that fails too does it exit: 127
//     (does not exist) or 126 (not executable), like Lambda's bootstrap.
//
// Markers use the grammar of package marker. Warnings name variables, never
// their values: functions keep secrets in their environment.
//
// # Adding a runtime
//
// A runtime plugs in with one entry in the runtimes table (plan.go) and an
// inject function in a file of its own (python.go is the model):
//
//	{family: "nodejs", interpreter: isNodeInterpreter, overrideVar: EnvNodeOptions, validate: validateNodeOptions, inject: injectNode, sampler: samplerNode},
//
// family is what follows "AWS_Lambda_" in AWS_EXECUTION_ENV. Detection tries
// each entry's interpreter function on the file name of argv[1] first, then
// the AWS_EXECUTION_ENV prefix; the start marker's runtime label is the
// AWS_EXECUTION_ENV name ("nodejs20.x") when it agrees, else the file name.
// inject gets a copy of the plan (Argv[0] is the interpreter) and the
// override, validated by validate (nil when unset or refused); it edits Argv with InsertArgs (flags go
// right after the interpreter, never before the last argument: Java 17+ puts
// the handler last) and the environment with Getenv/Setenv, and returns a
// short description of what it injected. Returning an error keeps the
// command unchanged and becomes a warning marker. Hook files it refers to
// live under wrapper/hooks/.
//
// # Starting the proxy
//
// The runtime-API proxy is package wrapper/proxy, run as its own binary,
// coldprof-proxy (cmd/coldprof-proxy), so that the wrapper links no
// networking code (TestBinariesLinkNoNet). StartProxy starts the
// coldprof-proxy found in the wrapper's own directory (/opt in the layer;
// the same bin directory after `go install ./cmd/...`); a program that
// embeds the wrapper and hosts the proxy itself (the coldprof command) sets
// SelfProxy and is started as `os.Executable() __coldprof_proxy`
// (ProxyArg) when no coldprof-proxy is beside it. If neither can be
// exec'd, the runtime runs against the real Runtime API with one warning
// marker.
//
// Nothing on the runtime's path waits for the proxy: a child sharing the
// wrapper's memory (clone with CLONE_VM on amd64, a plain fork elsewhere)
// waits in a read until the wrapper has exec'd the runtime, then execs the
// proxy, off the runtime's path. Since that exec comes after the runtime's,
// the wrapper first checks that the proxy binary can be exec'd (a regular
// file with exec permission and a 64-bit ELF header for this architecture;
// else it warns and runs without the proxy); should execve refuse it all
// the same, the child execs the SelfProxy fallback where there is one, and
// otherwise exits, leaving the runtime's requests refused: the one case,
// after those checks, where the proxy's failure reaches the function.
//
// The proxy process gets (see the constants of package wrapper/proxy):
// descriptor 3, the loopback listening socket (created by the wrapper before
// exec, so the runtime's connections queue in its backlog and nothing waits
// for the proxy to come up); descriptor 4, a pidfd of the runtime's process
// (the wrapper's PID, kept across exec), readable once the runtime has
// exited, or, where pidfd_open(2) fails, the read end of a pipe whose write
// end the runtime keeps (the only case where a process the runtime leaves
// behind keeps the proxy alive); /dev/null as stdin and stdout, so it never
// holds the function's stdout open; the function's stderr, for markers;
// and, when the runtime's environment has COLDPROF_SAMPLER_INTERVAL_US,
// descriptor 5, the write end of the sampler's pipe, whose read end the
// runtime inherits as COLDPROF_SAMPLER_FD. A parent-death signal would not
// do for exit detection: it fires when the forking thread exits, and exec
// ends all other threads.
//
// With signal ticks (COLDPROF_SAMPLER_TICK=signal, the default for a Python
// runtime with the sampler on and that pipe made), the proxy also gets
// COLDPROF_PROXY_TICK_US and COLDPROF_PROXY_TICK_PID and sends the runtime,
// its parent, SIGURG every interval until init ends (proxy/tick.go); the
// Python sampler samples in its SIGURG handler instead of waking a thread.
// When the proxy cannot tick, or stops before init's end, it writes
// "tick_off <unixUs>" to the sampler's pipe and the sampler's thread takes
// over.
//
// The proxy makes descriptors 3 and 4 non-blocking and waits on them, and on
// every relayed socket, in Go's network poller, which it starts first thing
// (its epoll descriptor and eventfd exist before any connection, so a later
// descriptor shortage cannot stop it; with fewer than two descriptors to
// spare at start it keeps to blocking system calls instead). While the
// runtime initialises the proxy sleeps in one epoll_wait with Go's sysmon
// asleep too, and a connection it parses holds no thread while it waits;
// once nothing is left to mark, each connection is relayed raw by one
// thread in ppoll, which costs more CPU but wakes the runtime sooner.
//
// The proxy relays bytes unchanged and writes init_done on the runtime's
// first GET …/runtime/invocation/next or …/runtime/restore/next (the latter,
// SnapStart's end of init, with via "restore"), restored on the first
// invocation/next after a restore/next, invoke_start with the request ID
// before an event is handed to the runtime, invoke_end before the runtime's
// …/response or …/error is forwarded (for a streamed, chunked response:
// before its last chunk, with status "error" when its trailers carry
// Lambda-Runtime-Function-Error-Type), and init_error before
// …/runtime/init/error is forwarded. Each marker is one write of one line to
// stderr, the runtime's own stderr, so its place among the runtime's lines
// is exact. Invoke markers stop after COLDPROF_INVOKE_MARKERS invocations
// (default DefaultInvokeMarkers) with one warning marker saying so; from
// then on (and once the sampler has its last line) the proxy relays raw.
package wrapper
