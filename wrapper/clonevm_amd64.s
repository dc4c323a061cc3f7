#include "textflag.h"

// func cloneVM(flags, stack uintptr, p *forkPlan) (pid uintptr, errno syscall.Errno)
//
// clone(2) with the child on its own stack (stack: its top), where it calls
// proxyChild(p) and never returns; the parent returns the child's PID.
TEXT ·cloneVM(SB),NOSPLIT|NOFRAME,$0-40
	MOVQ	flags+0(FP), DI
	MOVQ	stack+8(FP), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	// The child finds p in R12: the system call keeps every register but
	// AX, CX and R11.
	MOVQ	p+16(FP), R12
	MOVL	$56, AX // SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$0, pid+24(FP)
	NEGQ	AX
	MOVQ	AX, errno+32(FP)
	RET
ok:
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
child:
	// On the new stack: room for proxyChild's argument, aligned.
	MOVQ	SI, SP
	SUBQ	$16, SP
	MOVQ	R12, 0(SP)
	CALL	·proxyChild(SB)
	MOVL	$127, DI
	MOVL	$231, AX // SYS_exit_group
	SYSCALL
	INT	$3
