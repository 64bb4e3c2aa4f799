/*
 * Entry, exception vectors and EL0 round trips for the bare-metal test programs.
 *
 * Boot protocol (virt, -kernel ELF): the CPU enters _start at EL1h with the MMU off, DAIF masked and
 * x0 = DTB address. CPU 1 enters secondary_entry through PSCI CPU_ON with x0 = the context argument,
 * which the runtime uses as that CPU's stack top.
 */
#include "frame.h"

	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0
	adrp	x1, __stack0_top
	add	x1, x1, :lo12:__stack0_top
	mov	sp, x1
	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	isb
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	/* Programs that use FP/SIMD define runtime_enable_fp; others keep the reset trap (CPACR_EL1.FPEN = 0). */
	adrp	x1, :got:runtime_enable_fp
	ldr	x1, [x1, :got_lo12:runtime_enable_fp]
	cbz	x1, 3f
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
3:	mov	x0, x19
	bl	runtime_main
4:	wfe
	b	4b
	.weak	runtime_enable_fp

	.text
	.global secondary_entry
secondary_entry:
	mov	sp, x0
	adrp	x1, vectors
	add	x1, x1, :lo12:vectors
	msr	vbar_el1, x1
	isb
	bl	secondary_main
1:	wfe
	b	1b

/*
 * run_at_el0(fn, arg, sp_el0): runs fn(arg) at EL0t on the given stack and returns its x0 once the EL0
 * code executes `svc #SVC_RETURN_TO_EL1` (see runtime.c). Callee-saved registers survive the round trip.
 */
	.global run_at_el0
run_at_el0:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	adrp	x3, el1_saved_sp
	mov	x4, sp
	str	x4, [x3, :lo12:el1_saved_sp]
	msr	sp_el0, x2
	msr	elr_el1, x0
	msr	spsr_el1, xzr
	mov	x0, x1
	adrp	x30, el0_trampoline
	add	x30, x30, :lo12:el0_trampoline
	eret

/* Where an EL0 function returns to: hand its result back to EL1. */
	.global el0_trampoline
el0_trampoline:
	svc	#SVC_RETURN_TO_EL1
	b	el0_trampoline

/* The exception handler resumes here at EL1h with x0 = the EL0 result (see runtime.c). */
	.global el0_returned
el0_returned:
	adrp	x3, el1_saved_sp
	ldr	x4, [x3, :lo12:el1_saved_sp]
	mov	sp, x4
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

	.bss
	.balign	8
el1_saved_sp:
	.quad	0

/* Vector table: 16 entries of 0x80 bytes; each saves x0/x1 and passes its kind to the common path. */
	.macro	ventry kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	vector_common
	.endm

	.text
	.balign	0x800
	.global vectors
vectors:
	ventry	0
	ventry	1
	ventry	2
	ventry	3
	ventry	4
	ventry	5
	ventry	6
	ventry	7
	ventry	8
	ventry	9
	ventry	10
	ventry	11
	ventry	12
	ventry	13
	ventry	14
	ventry	15

vector_common:
	str	x0, [sp, #FRAME_KIND]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #FRAME_ELR]
	mrs	x1, esr_el1
	mrs	x2, far_el1
	stp	x1, x2, [sp, #FRAME_ESR]
	mov	x0, sp
	bl	runtime_exception
	ldp	x1, x2, [sp, #FRAME_ELR]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret
