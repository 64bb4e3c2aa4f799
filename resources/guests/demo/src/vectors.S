/*
 * EL1 exception vectors. IRQs from the current EL (SPx) go to irq_dispatch() with the caller-saved registers
 * preserved; every other vector reports what happened and stops (the demo never expects them).
 */
#define FRAME_SIZE 192

	.macro	save_caller_saved
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x30, x0, [sp, #160]
	str	x1, [sp, #176]
	.endm

	.macro	restore_caller_saved
	ldr	x1, [sp, #176]
	ldp	x30, x0, [sp, #160]
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldp	x18, x29, [sp, #144]
	ldp	x16, x17, [sp, #128]
	ldp	x14, x15, [sp, #112]
	ldp	x12, x13, [sp, #96]
	ldp	x10, x11, [sp, #80]
	ldp	x8, x9, [sp, #64]
	ldp	x6, x7, [sp, #48]
	ldp	x4, x5, [sp, #32]
	ldp	x2, x3, [sp, #16]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	.endm

	/* One 128-byte slot: pass the slot number to the unexpected-exception report. */
	.macro	unexpected slot
	.balign	0x80
	mov	x0, #\slot
	b	unexpected_entry
	.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	vector_table
vector_table:
	unexpected 0	/* current EL, SP0: sync */
	unexpected 1	/* IRQ */
	unexpected 2	/* FIQ */
	unexpected 3	/* SError */
	unexpected 4	/* current EL, SPx: sync */
	.balign	0x80
	b	irq_entry	/* current EL, SPx: IRQ */
	unexpected 6	/* FIQ */
	unexpected 7	/* SError */
	unexpected 8	/* lower EL, AArch64 */
	unexpected 9
	unexpected 10
	unexpected 11
	unexpected 12	/* lower EL, AArch32 */
	unexpected 13
	unexpected 14
	unexpected 15

irq_entry:
	save_caller_saved
	bl	irq_dispatch
	restore_caller_saved
	eret

unexpected_entry:
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	bl	exception_report	/* does not return */
1:	wfi
	b	1b
