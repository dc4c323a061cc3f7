package sandbox

import (
	"syscall"
	"time"
)

// killGroup kills the run's whole process group: the runtime (the wrapper
// exec'd it, same PID) and the wrapper's runtime-API proxy.
func killGroup(pgid int) {
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// reapGroup waits for the group's processes that became coldprof's
// children when their parent died (see becomeSubreaper), so none is left a
// zombie. It gives up after a second.
func reapGroup(pgid int) {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil: // ECHILD: none left
			return
		case pid == 0: // still dying
			time.Sleep(5 * time.Millisecond)
		}
	}
}
