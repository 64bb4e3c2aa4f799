// Bare-metal integer workout for the CPU test: no system registers, no devices, no FP.
// Results are stored at `results` (x20); the program ends spinning at `done`.
// The test recomputes every result independently in BigInt.

	.text
	.globl	_start
_start:
	adrp	x20, results
	add	x20, x20, :lo12:results
	adrp	x21, array
	add	x21, x21, :lo12:array
	adrp	x0, stack_top
	add	sp, x0, :lo12:stack_top

	// 1. Fill 256 words with xorshift64 (seed 0x9e3779b97f4a7c15).
	movz	x1, #0x7c15
	movk	x1, #0x7f4a, lsl #16
	movk	x1, #0x79b9, lsl #32
	movk	x1, #0x9e37, lsl #48
	mov	x2, #0
1:	eor	x1, x1, x1, lsl #13
	eor	x1, x1, x1, lsr #7
	eor	x1, x1, x1, lsl #17
	str	x1, [x21, x2, lsl #3]
	add	x2, x2, #1
	cmp	x2, #256
	b.ne	1b

	// 2. Insertion sort, unsigned ascending.
	mov	x2, #1
2:	ldr	x3, [x21, x2, lsl #3]
	mov	x4, x2
3:	cbz	x4, 4f
	sub	x5, x4, #1
	ldr	x6, [x21, x5, lsl #3]
	cmp	x6, x3
	b.ls	4f
	str	x6, [x21, x4, lsl #3]
	mov	x4, x5
	b	3b
4:	str	x3, [x21, x4, lsl #3]
	add	x2, x2, #1
	cmp	x2, #256
	b.lo	2b

	// 3. Checksum: h = h * 31 + a[i] ^ (a[i] udiv (i + 3)) + umulh(a[i], h); crc32cx over the array.
	mov	x7, #0
	mov	w8, #-1
	mov	x2, #0
	mov	x9, #31
5:	ldr	x3, [x21], #8
	add	x10, x2, #3
	udiv	x11, x3, x10
	eor	x11, x11, x3
	umulh	x12, x3, x7
	madd	x7, x7, x9, x11
	add	x7, x7, x12
	crc32cx	w8, w8, x3
	add	x2, x2, #1
	cmp	x2, #256
	b.ne	5b
	sub	x21, x21, #2048
	stp	x7, x8, [x20]

	// 4. Recursive fib(20) with a stack frame per call.
	mov	x0, #20
	bl	fib
	str	x0, [x20, #16]

	// 5. Signed arithmetic: sdiv, smulh, smaddl, asr, csneg over the sorted words.
	mov	x13, #0
	mov	x2, #0
6:	ldr	x3, [x21, x2, lsl #3]
	asr	x4, x3, #5
	mov	x5, #-7
	sdiv	x6, x4, x5
	smulh	x10, x3, x4
	smaddl	x13, w3, w6, x13
	cmp	x6, #0
	csneg	x11, x10, x6, ge
	eor	x13, x13, x11, ror #11
	add	x2, x2, #1
	cmp	x2, #256
	b.ne	6b
	str	x13, [x20, #24]

	// 6. Bytes: copy the first 64 bytes of the array backwards with ldrb/strb, sum them with ldrsb.
	add	x14, x20, #64
	mov	x2, #63
	mov	x15, #0
7:	ldrb	w3, [x21, x2]
	strb	w3, [x14], #1
	ldrsb	x4, [x21, x2]
	add	x15, x15, x4
	subs	x2, x2, #1
	b.pl	7b
	str	x15, [x20, #32]

	// 7. Exclusive increment, 100 times.
	add	x16, x20, #40
	mov	x2, #100
8:	ldaxr	x3, [x16]
	add	x3, x3, #3
	stlxr	w4, x3, [x16]
	cbnz	w4, 8b
	subs	x2, x2, #1
	b.ne	8b

	.globl	done
done:	b	done

fib:	cmp	x0, #2
	b.lo	10f
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x19, [sp, #16]
	mov	x19, x0
	sub	x0, x0, #1
	bl	fib
	mov	x1, x0
	sub	x0, x19, #2
	mov	x19, x1
	bl	fib
	add	x0, x0, x19
	ldr	x19, [sp, #16]
	ldp	x29, x30, [sp], #32
10:	ret

	.data
	.balign	4096
array:	.skip	2048
results: .skip	256
	.balign	16
	.skip	8192
stack_top:
