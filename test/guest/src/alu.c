/* Integer data processing: add/sub and flags, conditional ops, logic, shifts, bitfields, multiply, divide, CRC32. */
#include "runtime.h"

#define NZCV_N 0x80000000ul
#define NZCV_Z 0x40000000ul
#define NZCV_C 0x20000000ul
#define NZCV_V 0x10000000ul

/* Result and NZCV of one flag-setting instruction "op %0, %2, %3". */
#define FLAGS_OP(insn, a, b, result, flags)                                                                  \
  __asm__ volatile(insn " %0, %2, %3\n\tmrs %1, nzcv" : "=&r"(result), "=r"(flags) : "r"(a), "r"(b) : "cc")

static void add_sub(void) {
  u64 r, f;
  FLAGS_OP("adds", 0x7ffffffffffffffful, 1ul, r, f);
  check_eq("alu.adds_overflow.result", r, 0x8000000000000000ul);
  check_eq("alu.adds_overflow.nzcv", f, NZCV_N | NZCV_V);
  FLAGS_OP("adds", 0xfffffffffffffffful, 1ul, r, f);
  check_eq("alu.adds_carry.result", r, 0);
  check_eq("alu.adds_carry.nzcv", f, NZCV_Z | NZCV_C);
  FLAGS_OP("subs", 5ul, 7ul, r, f);
  check_eq("alu.subs_borrow.result", r, (u64)-2);
  check_eq("alu.subs_borrow.nzcv", f, NZCV_N);
  FLAGS_OP("subs", 7ul, 7ul, r, f);
  check_eq("alu.subs_equal.nzcv", f, NZCV_Z | NZCV_C);
  u32 w;
  __asm__ volatile("adds %w0, %w2, %w3\n\tmrs %1, nzcv" : "=&r"(w), "=r"(f) : "r"(0x80000000u), "r"(0x80000000u) : "cc");
  check_eq("alu.adds_w.nzcv", f, NZCV_Z | NZCV_C | NZCV_V);
  /* A W result clears bits 63:32 of the X register. */
  __asm__ volatile("mov %0, #-1\n\tadd %w0, %w0, #1" : "=&r"(r));
  check_eq("alu.add_w_zero_extends", r, 0);
  __asm__ volatile("add %0, %1, #0xfff, lsl #12" : "=r"(r) : "r"(1ul));
  check_eq("alu.add_imm_lsl12", r, 0xfff001);
  __asm__ volatile("sub %0, %1, %2, lsl #4" : "=r"(r) : "r"(0x100ul), "r"(1ul));
  check_eq("alu.sub_shifted", r, 0xf0);
  __asm__ volatile("add %0, %1, %w2, sxtw #2" : "=r"(r) : "r"(0x1000ul), "r"(-4));
  check_eq("alu.add_extended_sxtw", r, 0x1000 - 16);
  __asm__ volatile("add %0, %1, %w2, uxtb" : "=r"(r) : "r"(0x1000ul), "r"(0x1ff));
  check_eq("alu.add_extended_uxtb", r, 0x10ff);
  /* ADD (extended) with SP as the base: SP + 0 into a general register. */
  u64 sp;
  __asm__ volatile("mov %0, sp\n\tadd %1, sp, #0" : "=r"(sp), "=r"(r));
  check_eq("alu.add_sp", r, sp);
  __asm__ volatile("cmp %2, %3\n\tadc %0, %4, %5\n\tmrs %1, nzcv"
                   : "=&r"(r), "=&r"(f)
                   : "r"(5ul), "r"(3ul), "r"(1ul), "r"(2ul)
                   : "cc");
  check_eq("alu.adc_carry_in", r, 4);
  __asm__ volatile("cmp %1, %2\n\tsbc %0, %3, %4" : "=&r"(r) : "r"(3ul), "r"(5ul), "r"(10ul), "r"(3ul) : "cc");
  check_eq("alu.sbc_borrow_in", r, 6);
  __asm__ volatile("negs %0, %2\n\tmrs %1, nzcv" : "=&r"(r), "=r"(f) : "r"(0x8000000000000000ul) : "cc");
  check_eq("alu.negs_min.nzcv", f, NZCV_N | NZCV_V);
}

static void conditional(void) {
  u64 f, r;
  __asm__ volatile("cmp %1, %2\n\tccmp %3, %4, #4, eq\n\tmrs %0, nzcv"
                   : "=r"(f)
                   : "r"(1ul), "r"(1ul), "r"(5ul), "r"(5ul)
                   : "cc");
  check_eq("alu.ccmp_taken", f, NZCV_Z | NZCV_C);
  __asm__ volatile("cmp %1, %2\n\tccmp %3, %4, #4, eq\n\tmrs %0, nzcv"
                   : "=r"(f)
                   : "r"(1ul), "r"(2ul), "r"(5ul), "r"(6ul)
                   : "cc");
  check_eq("alu.ccmp_not_taken", f, NZCV_Z);
  __asm__ volatile("cmp %1, #3\n\tccmn %1, #3, #2, ne\n\tmrs %0, nzcv" : "=r"(f) : "r"((u64)-3) : "cc");
  check_eq("alu.ccmn_imm", f, NZCV_Z | NZCV_C);
  __asm__ volatile("cmp %1, %2\n\tcsel %0, %3, %4, lt" : "=r"(r) : "r"(1ul), "r"(2ul), "r"(10ul), "r"(20ul) : "cc");
  check_eq("alu.csel_lt", r, 10);
  __asm__ volatile("cmp %1, %2\n\tcsinc %0, %3, %4, ge" : "=r"(r) : "r"(1ul), "r"(2ul), "r"(10ul), "r"(20ul) : "cc");
  check_eq("alu.csinc", r, 21);
  __asm__ volatile("cmp %1, %2\n\tcsinv %0, %3, %4, hi" : "=r"(r) : "r"(1ul), "r"(2ul), "r"(10ul), "r"(20ul) : "cc");
  check_eq("alu.csinv", r, ~20ul);
  __asm__ volatile("cmp %1, %2\n\tcsneg %0, %3, %4, vs" : "=r"(r) : "r"(1ul), "r"(2ul), "r"(10ul), "r"(20ul) : "cc");
  check_eq("alu.csneg", r, (u64)-20);
  __asm__ volatile("cmp %1, %2\n\tcset %0, ls" : "=r"(r) : "r"(2ul), "r"(2ul) : "cc");
  check_eq("alu.cset_ls", r, 1);
}

static void logic(void) {
  u64 r, f;
  FLAGS_OP("ands", 0xf0ul, 0x0ful, r, f);
  check_eq("alu.ands_zero.nzcv", f, NZCV_Z);
  __asm__ volatile("and %0, %1, #0xff00ff00ff00ff00" : "=r"(r) : "r"(0x123456789abcdef0ul));
  check_eq("alu.and_bitmask_imm", r, 0x120056009a00de00ul);
  __asm__ volatile("orr %0, %1, %2, lsl #8" : "=r"(r) : "r"(0x1ul), "r"(0xabul));
  check_eq("alu.orr_lsl", r, 0xab01);
  __asm__ volatile("eor %0, %1, %2, ror #4" : "=r"(r) : "r"(0ul), "r"(0x1ul));
  check_eq("alu.eor_ror", r, 0x1000000000000000ul);
  __asm__ volatile("bic %0, %1, %2" : "=r"(r) : "r"(0xfful), "r"(0x0ful));
  check_eq("alu.bic", r, 0xf0);
  __asm__ volatile("orn %0, %1, %2" : "=r"(r) : "r"(0ul), "r"(0xfffffffffffffff0ul));
  check_eq("alu.orn", r, 0xf);
  __asm__ volatile("eon %w0, %w1, %w2" : "=r"(r) : "r"(0xffff0000u), "r"(0x0000ffffu));
  check_eq("alu.eon_w", r, 0);
  __asm__ volatile("movz %0, #0x1234, lsl #48\n\tmovk %0, #0x5678, lsl #32\n\tmovk %0, #0x9abc, lsl #16\n\t"
                   "movk %0, #0xdef0"
                   : "=&r"(r));
  check_eq("alu.movz_movk", r, 0x123456789abcdef0ul);
  __asm__ volatile("movn %0, #0x1234, lsl #16" : "=r"(r));
  check_eq("alu.movn", r, 0xffffffffedcbfffful);
  __asm__ volatile("movn %w0, #0x1" : "=r"(r));
  check_eq("alu.movn_w", r, 0xfffffffe);
}

static void shifts(void) {
  u64 r;
  __asm__ volatile("asr %0, %1, %2" : "=r"(r) : "r"(0x8000000000000000ul), "r"(63ul));
  check_eq("alu.asrv", r, ~0ul);
  __asm__ volatile("lsl %0, %1, %2" : "=r"(r) : "r"(1ul), "r"(65ul));
  check_eq("alu.lslv_mod64", r, 2);
  __asm__ volatile("lsr %w0, %w1, %w2" : "=r"(r) : "r"(0x80000000u), "r"(33u));
  check_eq("alu.lsrv_w_mod32", r, 0x40000000);
  __asm__ volatile("ror %0, %1, %2" : "=r"(r) : "r"(1ul), "r"(1ul));
  check_eq("alu.rorv", r, 0x8000000000000000ul);
  __asm__ volatile("ror %w0, %w1, #8" : "=r"(r) : "r"(0x12345678u));
  check_eq("alu.ror_w_imm", r, 0x78123456);
}

static void bitfield(void) {
  const u64 v = 0x123456789abcdef0ul;
  u64 r;
  __asm__ volatile("ubfx %0, %1, #8, #12" : "=r"(r) : "r"(v));
  check_eq("alu.ubfx", r, 0xcde);
  __asm__ volatile("sbfx %0, %1, #4, #8" : "=r"(r) : "r"(v));
  check_eq("alu.sbfx", r, 0xffffffffffffffeful);
  r = ~0ul;
  __asm__ volatile("bfi %0, %1, #8, #8" : "+r"(r) : "r"(0ul));
  check_eq("alu.bfi", r, 0xffffffffffff00fful);
  r = 0;
  __asm__ volatile("bfxil %0, %1, #60, #4" : "+r"(r) : "r"(v));
  check_eq("alu.bfxil", r, 0x1);
  __asm__ volatile("ubfiz %0, %1, #56, #8" : "=r"(r) : "r"(0xabul));
  check_eq("alu.ubfiz", r, 0xab00000000000000ul);
  __asm__ volatile("extr %0, %1, %2, #16" : "=r"(r) : "r"(0x1122334455667788ul), "r"(0x99aabbccddeeff00ul));
  check_eq("alu.extr", r, 0x778899aabbccddeeul);
  __asm__ volatile("sxtb %0, %w1" : "=r"(r) : "r"(0x80u));
  check_eq("alu.sxtb", r, 0xffffffffffffff80ul);
  __asm__ volatile("sxtw %0, %w1" : "=r"(r) : "r"(0x80000000u));
  check_eq("alu.sxtw", r, 0xffffffff80000000ul);
  __asm__ volatile("uxth %w0, %w1" : "=r"(r) : "r"(0x12345678u));
  check_eq("alu.uxth", r, 0x5678);
  __asm__ volatile("clz %0, %1" : "=r"(r) : "r"(1ul));
  check_eq("alu.clz", r, 63);
  __asm__ volatile("clz %0, %1" : "=r"(r) : "r"(0ul));
  check_eq("alu.clz_zero", r, 64);
  __asm__ volatile("cls %0, %1" : "=r"(r) : "r"(0xff00000000000000ul));
  check_eq("alu.cls", r, 7);
  __asm__ volatile("rbit %0, %1" : "=r"(r) : "r"(1ul));
  check_eq("alu.rbit", r, 0x8000000000000000ul);
  __asm__ volatile("rev %0, %1" : "=r"(r) : "r"(0x0102030405060708ul));
  check_eq("alu.rev", r, 0x0807060504030201ul);
  __asm__ volatile("rev16 %0, %1" : "=r"(r) : "r"(0x0102030405060708ul));
  check_eq("alu.rev16", r, 0x0201040306050807ul);
  __asm__ volatile("rev32 %0, %1" : "=r"(r) : "r"(0x0102030405060708ul));
  check_eq("alu.rev32", r, 0x0403020108070605ul);
  __asm__ volatile("rev %w0, %w1" : "=r"(r) : "r"(0x11223344u));
  check_eq("alu.rev_w", r, 0x44332211);
}

static void multiply_divide(void) {
  u64 r;
  __asm__ volatile("madd %0, %1, %2, %3" : "=r"(r) : "r"(3ul), "r"(4ul), "r"(5ul));
  check_eq("alu.madd", r, 17);
  __asm__ volatile("msub %0, %1, %2, %3" : "=r"(r) : "r"(3ul), "r"(4ul), "r"(5ul));
  check_eq("alu.msub", r, (u64)-7);
  __asm__ volatile("mul %0, %1, %2" : "=r"(r) : "r"(0x100000001ul), "r"(0x100000001ul));
  check_eq("alu.mul_wraps", r, 0x200000001ul);
  __asm__ volatile("smulh %0, %1, %2" : "=r"(r) : "r"(-1l), "r"(1l));
  check_eq("alu.smulh", r, ~0ul);
  __asm__ volatile("umulh %0, %1, %2" : "=r"(r) : "r"(~0ul), "r"(~0ul));
  check_eq("alu.umulh", r, 0xfffffffffffffffeul);
  __asm__ volatile("smull %0, %w1, %w2" : "=r"(r) : "r"(-2), "r"(3));
  check_eq("alu.smull", r, (u64)-6);
  __asm__ volatile("umull %0, %w1, %w2" : "=r"(r) : "r"(0xffffffffu), "r"(0xffffffffu));
  check_eq("alu.umull", r, 0xfffffffe00000001ul);
  __asm__ volatile("smaddl %0, %w1, %w2, %3" : "=r"(r) : "r"(-1), "r"(5), "r"(100ul));
  check_eq("alu.smaddl", r, 95);
  __asm__ volatile("umsubl %0, %w1, %w2, %3" : "=r"(r) : "r"(2u), "r"(3u), "r"(100ul));
  check_eq("alu.umsubl", r, 94);
  __asm__ volatile("mul %w0, %w1, %w2" : "=r"(r) : "r"(0x10000u), "r"(0x10000u));
  check_eq("alu.mul_w", r, 0);
  __asm__ volatile("udiv %0, %1, %2" : "=r"(r) : "r"(100ul), "r"(7ul));
  check_eq("alu.udiv", r, 14);
  __asm__ volatile("sdiv %0, %1, %2" : "=r"(r) : "r"(-100l), "r"(7l));
  check_eq("alu.sdiv_truncates", r, (u64)-14);
  __asm__ volatile("udiv %0, %1, %2" : "=r"(r) : "r"(100ul), "r"(0ul));
  check_eq("alu.udiv_by_zero", r, 0);
  __asm__ volatile("sdiv %0, %1, %2" : "=r"(r) : "r"(0x8000000000000000ul), "r"(-1l));
  check_eq("alu.sdiv_min_by_minus1", r, 0x8000000000000000ul);
  __asm__ volatile("sdiv %w0, %w1, %w2" : "=r"(r) : "r"(0x80000000u), "r"(-1));
  check_eq("alu.sdiv_w_min_by_minus1", r, 0x80000000);
  __asm__ volatile("udiv %w0, %w1, %w2" : "=r"(r) : "r"(0xffffffffu), "r"(2u));
  check_eq("alu.udiv_w", r, 0x7fffffff);
}

/* "123456789": the check value of CRC-32 is 0xcbf43926 and of CRC-32C 0xe3069283. */
static const u8 crc_text[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};

static u32 load_le(int offset, int size) {
  u32 v = 0;
  for (int i = size - 1; i >= 0; i--) v = (v << 8) | crc_text[offset + i];
  return v;
}

#define CRC_STEP(insn, crc, data) __asm__ volatile(insn " %w0, %w0, %w1" : "+r"(crc) : "r"(data))
#define CRC_STEP_X(insn, crc, data) __asm__ volatile(insn " %w0, %w0, %1" : "+r"(crc) : "r"(data))

static void crc32(void) {
  u32 b = ~0u, h = ~0u, w = ~0u, cb = ~0u, cw = ~0u;
  u64 x = ~0u, cx = ~0u;
  for (int i = 0; i < 9; i++) {
    CRC_STEP("crc32b", b, crc_text[i]);
    CRC_STEP("crc32cb", cb, crc_text[i]);
  }
  for (int i = 0; i < 8; i += 2) CRC_STEP("crc32h", h, load_le(i, 2));
  CRC_STEP("crc32b", h, crc_text[8]);
  for (int i = 0; i < 8; i += 4) {
    CRC_STEP("crc32w", w, load_le(i, 4));
    CRC_STEP("crc32cw", cw, load_le(i, 4));
  }
  CRC_STEP("crc32b", w, crc_text[8]);
  CRC_STEP("crc32cb", cw, crc_text[8]);
  u64 first8 = ((u64)load_le(4, 4) << 32) | load_le(0, 4);
  CRC_STEP_X("crc32x", x, first8);
  CRC_STEP_X("crc32cx", cx, first8);
  CRC_STEP("crc32b", x, crc_text[8]);
  CRC_STEP("crc32cb", cx, crc_text[8]);
  check_eq("alu.crc32b", ~b, 0xcbf43926u);
  check_eq("alu.crc32h", ~h, 0xcbf43926u);
  check_eq("alu.crc32w", ~w, 0xcbf43926u);
  check_eq("alu.crc32x", (u32)~x, 0xcbf43926u);
  check_eq("alu.crc32cb", ~cb, 0xe3069283u);
  check_eq("alu.crc32cw", ~cw, 0xe3069283u);
  check_eq("alu.crc32cx", (u32)~cx, 0xe3069283u);
}

void test_main(u64 dtb) {
  (void)dtb;
  add_sub();
  conditional();
  logic();
  shifts();
  bitfield();
  multiply_divide();
  crc32();
}
