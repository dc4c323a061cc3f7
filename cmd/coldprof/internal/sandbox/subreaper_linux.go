package sandbox

import "syscall"

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// becomeSubreaper makes orphaned descendants (the wrapper's proxy, once
// the runtime that spawned it is gone) coldprof's children, so reapGroup
// can wait for them instead of leaving them to init.
func becomeSubreaper() {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}
