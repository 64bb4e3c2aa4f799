/* Loads and stores: every addressing mode, sizes and extensions, pairs, exclusives, acquire/release, unaligned. */
#include "runtime.h"

static u8 buf[64] __attribute__((aligned(16)));
static u64 words[8] __attribute__((aligned(16)));

static void fill(void) {
  for (int i = 0; i < 64; i++) buf[i] = (u8)(0x80 + i);
  for (int i = 0; i < 8; i++) words[i] = 0x1111111111111111ul * (u64)(i + 1);
}

static void sizes(void) {
  u64 r;
  __asm__ volatile("ldrb %w0, [%1, #1]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrb", r, 0x81);
  __asm__ volatile("ldrh %w0, [%1, #2]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrh", r, 0x8382);
  __asm__ volatile("ldr %w0, [%1, #4]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldr_w", r, 0x87868584);
  __asm__ volatile("ldr %0, [%1, #8]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldr_x", r, 0x8f8e8d8c8b8a8988ul);
  __asm__ volatile("ldrsb %0, [%1]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrsb_x", r, 0xffffffffffffff80ul);
  __asm__ volatile("ldrsb %w0, [%1]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrsb_w", r, 0xffffff80ul);
  __asm__ volatile("ldrsh %0, [%1, #2]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrsh_x", r, 0xffffffffffff8382ul);
  __asm__ volatile("ldrsw %0, [%1, #4]" : "=r"(r) : "r"(buf));
  check_eq("ldst.ldrsw", r, 0xffffffff87868584ul);
  u64 store_area[2] = {0, 0};
  __asm__ volatile("strb %w1, [%0]\n\tstrh %w1, [%0, #2]\n\tstr %w1, [%0, #4]\n\tstr %1, [%0, #8]"
                   :
                   : "r"(store_area), "r"(0x1122334455667788ul)
                   : "memory");
  check_eq("ldst.store_sizes.lo", store_area[0], 0x5566778877880088ul);
  check_eq("ldst.store_sizes.hi", store_area[1], 0x1122334455667788ul);
}

static void addressing(void) {
  u64 r, base;
  __asm__ volatile("ldur %0, [%1, #-8]" : "=r"(r) : "r"(&words[2]));
  check_eq("ldst.ldur_negative", r, words[1]);
  base = (u64)&words[0];
  __asm__ volatile("ldr %0, [%1, #16]!" : "=r"(r), "+r"(base));
  check_eq("ldst.pre_index.value", r, words[2]);
  check_eq("ldst.pre_index.writeback", base, (u64)&words[2]);
  __asm__ volatile("ldr %0, [%1], #-8" : "=r"(r), "+r"(base));
  check_eq("ldst.post_index.value", r, words[2]);
  check_eq("ldst.post_index.writeback", base, (u64)&words[1]);
  __asm__ volatile("ldr %0, [%1, %2, lsl #3]" : "=r"(r) : "r"(words), "r"(5ul));
  check_eq("ldst.reg_lsl3", r, words[5]);
  __asm__ volatile("ldr %0, [%1, %w2, sxtw #3]" : "=r"(r) : "r"(&words[4]), "r"(-3));
  check_eq("ldst.reg_sxtw3", r, words[1]);
  __asm__ volatile("ldrb %w0, [%1, %w2, uxtw]" : "=r"(r) : "r"(buf), "r"(9u));
  check_eq("ldst.reg_uxtw", r, 0x89);
  __asm__ volatile("ldrh %w0, [%1, %2]" : "=r"(r) : "r"(buf), "r"(6ul));
  check_eq("ldst.reg_plain", r, 0x8786);
  __asm__ volatile("ldr %0, 1f\n\tb 2f\n\t.balign 8\n1:\t.quad 0x0123456789abcdef\n2:" : "=r"(r));
  check_eq("ldst.literal", r, 0x0123456789abcdeful);
  __asm__ volatile("ldrsw %0, 1f\n\tb 2f\n\t.balign 4\n1:\t.word 0x80000001\n2:" : "=r"(r));
  check_eq("ldst.literal_ldrsw", r, 0xffffffff80000001ul);
  u64 slot = 0;
  __asm__ volatile("sub sp, sp, #16\n\tstr %1, [sp, #8]\n\tldr %0, [sp, #8]\n\tadd sp, sp, #16"
                   : "=r"(slot)
                   : "r"(0xfeedul)
                   : "memory");
  check_eq("ldst.sp_base", slot, 0xfeed);
  u64 area[2] = {0, 0};
  __asm__ volatile("sttr %2, [%1, #8]\n\tldtr %w0, [%1, #8]" : "=&r"(r) : "r"(area), "r"(0x1234abcdul) : "memory");
  check_eq("ldst.sttr", area[1], 0x1234abcd);
  check_eq("ldst.ldtr_w", r, 0x1234abcd);
}

static void pairs(void) {
  u64 a, b, base;
  __asm__ volatile("ldp %0, %1, [%2, #16]" : "=&r"(a), "=r"(b) : "r"(words));
  check_eq("ldst.ldp.first", a, words[2]);
  check_eq("ldst.ldp.second", b, words[3]);
  base = (u64)words;
  __asm__ volatile("ldp %0, %1, [%2, #32]!" : "=&r"(a), "=&r"(b), "+r"(base));
  check_eq("ldst.ldp_pre.second", b, words[5]);
  check_eq("ldst.ldp_pre.writeback", base, (u64)&words[4]);
  __asm__ volatile("ldp %w0, %w1, [%2], #8" : "=&r"(a), "=&r"(b), "+r"(base));
  check_eq("ldst.ldp_w_post.first", a, (u32)words[4]);
  check_eq("ldst.ldp_w_post.writeback", base, (u64)&words[5]);
  __asm__ volatile("ldpsw %0, %1, [%2, #8]" : "=&r"(a), "=r"(b) : "r"(buf));
  check_eq("ldst.ldpsw.first", a, 0xffffffff8b8a8988ul);
  check_eq("ldst.ldpsw.second", b, 0xffffffff8f8e8d8cul);
  u64 area[4] = {0, 0, 0, 0};
  base = (u64)&area[0];
  __asm__ volatile("stp %1, %2, [%0, #16]!\n\tstp %w2, %w1, [%0, #-16]"
                   : "+r"(base)
                   : "r"(0xaaul), "r"(0xbbul)
                   : "memory");
  check_eq("ldst.stp_pre.writeback", base, (u64)&area[2]);
  check_eq("ldst.stp_pre.values", area[2] + (area[3] << 8), 0xbbaa);
  check_eq("ldst.stp_w", area[0], 0x000000aa000000bbul);
  __asm__ volatile("stnp %2, %3, [%4]\n\tldnp %1, %0, [%4]"
                   : "=&r"(a), "=&r"(b)
                   : "r"(1ul), "r"(2ul), "r"(area)
                   : "memory");
  check_eq("ldst.stnp_ldnp", a * 10 + b, 21);
}

static void exclusives(void) {
  u64 value = 5, got, status;
  __asm__ volatile("ldxr %0, [%2]\n\tadd %0, %0, #1\n\tstxr %w1, %0, [%2]"
                   : "=&r"(got), "=&r"(status)
                   : "r"(&value)
                   : "memory");
  check_eq("ldst.stxr_success.status", status, 0);
  check_eq("ldst.stxr_success.value", value, 6);
  __asm__ volatile("ldxr %0, [%2]\n\tclrex\n\tstxr %w1, %0, [%2]" : "=&r"(got), "=&r"(status) : "r"(&value) : "memory");
  check_eq("ldst.stxr_after_clrex.status", status, 1);
  __asm__ volatile("ldaxr %0, [%2]\n\tstlxr %w1, xzr, [%2]" : "=&r"(got), "=&r"(status) : "r"(&value) : "memory");
  check_eq("ldst.ldaxr_stlxr", status * 100 + value, 0);
  u64 pair[2] = {0x10, 0x20};
  u64 a, b;
  __asm__ volatile("ldxp %0, %1, [%3]\n\tstxp %w2, %1, %0, [%3]"
                   : "=&r"(a), "=&r"(b), "=&r"(status)
                   : "r"(pair)
                   : "memory");
  check_eq("ldst.stxp.status", status, 0);
  check_eq("ldst.stxp.swapped", (pair[0] << 8) | pair[1], 0x2010);
  u8 byte = 0x7f;
  __asm__ volatile("ldxrb %w0, [%2]\n\tadd %w0, %w0, #1\n\tstxrb %w1, %w0, [%2]"
                   : "=&r"(got), "=&r"(status)
                   : "r"(&byte)
                   : "memory");
  check_eq("ldst.stxrb", byte, 0x80);
  u16 half = 0xffff;
  __asm__ volatile("ldaxrh %w0, [%2]\n\tadd %w0, %w0, #1\n\tstlxrh %w1, %w0, [%2]"
                   : "=&r"(got), "=&r"(status)
                   : "r"(&half)
                   : "memory");
  check_eq("ldst.stlxrh_wraps", half, 0);
}

static void acquire_release(void) {
  u64 v = 0, r;
  __asm__ volatile("stlr %1, [%0]" : : "r"(&v), "r"(0x55ul) : "memory");
  __asm__ volatile("ldar %0, [%1]" : "=r"(r) : "r"(&v) : "memory");
  check_eq("ldst.stlr_ldar", r, 0x55);
  __asm__ volatile("stlrb %w1, [%0]" : : "r"(&v), "r"(0xaaul) : "memory");
  __asm__ volatile("ldarh %w0, [%1]" : "=r"(r) : "r"(&v) : "memory");
  check_eq("ldst.stlrb_ldarh", r, 0xaa);
}

static void unaligned(void) {
  /* SCTLR_EL1.A = 0: misaligned accesses to RAM work; the data of an unaligned load is the bytes in order. */
  u64 r;
  __asm__ volatile("ldr %0, [%1, #1]" : "=r"(r) : "r"(buf));
  check_eq("ldst.unaligned_ldr_x", r, 0x8887868584838281ul);
  __asm__ volatile("ldr %w0, [%1, #3]" : "=r"(r) : "r"(buf));
  check_eq("ldst.unaligned_ldr_w", r, 0x86858483);
  u8 area[16] = {0};
  __asm__ volatile("str %1, [%0, #3]" : : "r"(area), "r"(0x0807060504030201ul) : "memory");
  check_eq("ldst.unaligned_str_x", area[3] | (area[10] << 8), 0x0801);
  u64 second;
  __asm__ volatile("ldp %w0, %w1, [%2]" : "=&r"(r), "=r"(second) : "r"(buf + 2));
  check_eq("ldst.unaligned_ldp", second, 0x89888786);
}

void test_main(u64 dtb) {
  (void)dtb;
  fill();
  sizes();
  addressing();
  pairs();
  exclusives();
  acquire_release();
  unaligned();
}
