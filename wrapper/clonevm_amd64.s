#include "textflag.h"

// func cloneVM(flags, stack uintptr, p *forkPlan, fn uintptr) (pid uintptr, errno syscall.Errno)
//
// clone(2) with the child on its own stack (stack: its top), where it calls
// fn(p) and never returns; the parent returns the child's PID. fn is the
// ABIInternal entry of proxyChild (a nosplit, norace Go function), called
// directly: its ABI0 wrapper would call the race detector's
// racefuncenter in a -race build, with the wrapper thread's g, from a
// thread the Go runtime does not know.
TEXT ·cloneVM(SB),NOSPLIT|NOFRAME,$0-48
	MOVQ	flags+0(FP), DI
	MOVQ	stack+8(FP), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	// The child finds p in R12 and fn in R13: the system call keeps every
	// register but AX, CX and R11.
	MOVQ	p+16(FP), R12
	MOVQ	fn+24(FP), R13
	MOVL	$56, AX // SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$0, pid+32(FP)
	NEGQ	AX
	MOVQ	AX, errno+40(FP)
	RET
ok:
	MOVQ	AX, pid+32(FP)
	MOVQ	$0, errno+40(FP)
	RET
child:
	// On the new stack, aligned, calling fn(p) by the internal ABI: the
	// first argument in AX, X15 zero, and no g (R14 = 0: fn never uses it,
	// and were it to, a fault here beats touching the wrapper's g).
	MOVQ	SI, SP
	ANDQ	$~15, SP
	MOVQ	R12, AX
	XORPS	X15, X15
	XORQ	R14, R14
	CALL	R13
	MOVL	$127, DI
	MOVL	$231, AX // SYS_exit_group
	SYSCALL
	INT	$3
