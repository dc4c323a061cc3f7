// Coldprof-proxy is coldprof's Lambda Runtime API proxy. coldprof-wrapper
// starts it (it looks for it next to its own executable) with a listening
// socket and the real Runtime API's address; it relays the runtime's
// requests unchanged and writes "coldprof: " phase markers to stderr. It is
// not meant to be run by hand; see package
// github.com/coldprof/coldprof/wrapper/proxy.
package main

import (
	"syscall"

	"github.com/coldprof/coldprof/wrapper/proxy"
)

func main() {
	// syscall, not os, for the proxy's own work: it starts beside the
	// runtime's own start-up. (os is linked through os/signal, which the
	// proxy needs to ignore the runtime's group signals; its initialisation
	// measured within noise of none: 300 starts, 0.47-0.49 s CPU either way.)
	syscall.Exit(proxy.Main(syscall.Environ(), nil))
}
