//go:build !linux

package sandbox

// becomeSubreaper does nothing where there is no PR_SET_CHILD_SUBREAPER;
// the group is still killed, and init reaps what is left.
func becomeSubreaper() {}
