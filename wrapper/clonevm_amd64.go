package wrapper

import "syscall"

// cloneVM is clone(2) with the child on its own stack, running fn(p), fn
// being the internal-ABI entry of a Go function (clonevm_amd64.s).
//
//go:noescape
func cloneVM(flags, stack uintptr, p *forkPlan, fn uintptr) (pid uintptr, errno syscall.Errno)

const haveCloneVM = true
