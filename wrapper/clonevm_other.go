//go:build !amd64

package wrapper

import "syscall"

func cloneVM(flags, stack uintptr, p *forkPlan, fn uintptr) (pid uintptr, errno syscall.Errno) {
	return 0, syscall.ENOSYS
}

// haveCloneVM: on other architectures the child is a plain fork.
const haveCloneVM = false
