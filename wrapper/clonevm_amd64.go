package wrapper

import "syscall"

// cloneVM is clone(2) with the child on its own stack, running
// proxyChild(p) (clonevm_amd64.s).
//
//go:noescape
func cloneVM(flags, stack uintptr, p *forkPlan) (pid uintptr, errno syscall.Errno)

const haveCloneVM = true
