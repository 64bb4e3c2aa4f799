/*
 * Entry from the boot loader: EL1, MMU off, DAIF masked, x0 = device tree address.
 * Sets up the stack, the vector table and FP/SIMD access, clears .bss and calls main(dtb).
 */
	.section .text.start, "ax"
	.global _start
_start:
	mov	x19, x0			/* the DTB address survives in a callee-saved register */
	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =vector_table
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN = 3: FP/SIMD does not trap at EL0/EL1 */
	msr	cpacr_el1, x1
	isb
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	mov	x0, x19
	bl	main
3:	wfi
	b	3b
