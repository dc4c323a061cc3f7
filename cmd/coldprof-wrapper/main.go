// Coldprof-wrapper profiles an AWS Lambda cold start. Set it as the
// function's AWS_LAMBDA_EXEC_WRAPPER: the runtime's bootstrap then runs
//
//	coldprof-wrapper /var/lang/bin/python3.12 /var/runtime/bootstrap.py
//
// and it execs that command (same PID) with the runtime's profiling turned
// on, after writing a "coldprof: " start marker to stderr and starting the
// runtime-API proxy that marks where init ends and each invocation starts.
// It never stops the function from starting. Configuration comes from the
// function's environment; see package github.com/coldprof/coldprof/wrapper.
// "coldprof-wrapper --help" and "coldprof-wrapper --version" print and exit
// when the flag is the only argument (a runtime's command line always starts
// with its interpreter).
package main

import (
	"os"

	"github.com/coldprof/coldprof/wrapper"
)

func main() {
	os.Exit(wrapper.Main(os.Args, os.Environ(), os.Stderr))
}
