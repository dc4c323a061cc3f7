// Command observer-shim stands where "coldprof run --wrapper" puts the
// wrapper, for BenchmarkObserverEffect: it measures the CPU time of the
// function's whole process tree (the runtime, the wrapper that exec'd into
// it, the proxy, anything they started), which no figure in Lambda's REPORT
// line gives.
//
// It starts OBSERVER_SHIM_WRAPPER (a coldprof-wrapper) with its arguments,
// or, when that is empty, the arguments themselves: the function with no
// wrapper at all, as with the layer off. It stays the runtime's parent
// (a subreaper, so the proxy comes back to it too), waits for all of them,
// and appends "<user µs> <system µs> <peak RSS kB>" of everything it reaped
// to the file OBSERVER_SHIM_OUT, and one line "<comm> <user µs> <system µs>
// <peak RSS kB>" per reaped process to OBSERVER_SHIM_OUT.procs (waitid with
// WNOWAIT to read the zombie's /proc/<pid>/comm, then wait4 for that
// process's own rusage), so a process's share (the proxy's, say) is measured
// directly, not by subtraction (wrapper/testdata/proxycpu/run.sh).
//
// coldprof run ends a cold start by SIGKILLing the process group it started
// (the shim's); the shim moves itself into coldprof run's group once its
// child runs, so the runtime and the proxy die and the shim lives to report.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"
)

const prSetChildSubreaper = 36

func main() {
	wrapper := os.Getenv("OBSERVER_SHIM_WRAPPER")
	out := os.Getenv("OBSERVER_SHIM_OUT")
	args := os.Args[1:]
	if wrapper != "" {
		args = append([]string{wrapper}, args...)
	}
	if len(args) == 0 || out == "" {
		fmt.Fprintln(os.Stderr, "observer-shim: needs OBSERVER_SHIM_OUT and a command")
		os.Exit(2)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "observer-shim:", err)
		os.Exit(127)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OBSERVER_SHIM_") {
			env = append(env, kv)
		}
	}
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "observer-shim:", err)
		os.Exit(126)
	}
	// Leave the group coldprof run kills (the child stays in it).
	if pgid, err := syscall.Getpgid(os.Getppid()); err == nil {
		syscall.Setpgid(0, pgid)
	}
	code := 0
	for {
		var ws syscall.WaitStatus
		var si [128]byte // siginfo_t: si_pid at offset 16 on linux/amd64 and arm64
		if _, _, e := syscall.Syscall6(syscall.SYS_WAITID, 0 /*P_ALL*/, 0, uintptr(unsafe.Pointer(&si[0])), 4|0x01000000 /*WEXITED|WNOWAIT*/, 0, 0); e == syscall.EINTR {
			continue
		}
		cpid := int(*(*int32)(unsafe.Pointer(&si[16])))
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cpid))
		var cru syscall.Rusage
		got, err := syscall.Wait4(cpid, &ws, 0, &cru)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // ECHILD: every descendant reaped
			break
		}
		if f, e := os.OpenFile(out+".procs", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); e == nil {
			fmt.Fprintf(f, "%s %d %d %d\n", strings.TrimSpace(string(comm)), cru.Utime.Nano()/1000, cru.Stime.Nano()/1000, cru.Maxrss)
			f.Close()
		}
		if got == pid {
			switch {
			case ws.Exited():
				code = ws.ExitStatus()
			case ws.Signaled():
				code = 128 + int(ws.Signal())
			}
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	line := fmt.Sprintf("%d %d %d\n", ru.Utime.Nano()/1000, ru.Stime.Nano()/1000, ru.Maxrss)
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		f.WriteString(line)
		f.Close()
	}
	os.Exit(code)
}
