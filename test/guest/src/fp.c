/*
 * FP and AdvSIMD basics: arithmetic with exact IEEE 754 results, conversions and saturation, compares and
 * flags, rounding modes (FPCR.RMode), exception flags (FPSR), NaNs, and integer/float vector operations.
 * The runtime enables FP/SIMD (CPACR_EL1.FPEN = 3) because this program defines runtime_enable_fp.
 */
#include "runtime.h"

const u32 runtime_enable_fp = 1;

#define FPSR_IOC 0x01ul
#define FPSR_DZC 0x02ul
#define FPSR_IXC 0x10ul

/* Double-precision op on bit patterns: "insn d0, d1, d2" with the result's bits. */
#define D_OP2(insn, a, b)                                                                                    \
  ({                                                                                                         \
    u64 r_;                                                                                                  \
    __asm__ volatile("fmov d1, %1\n\tfmov d2, %2\n\t" insn " d0, d1, d2\n\tfmov %0, d0"                      \
                     : "=r"(r_)                                                                              \
                     : "r"((u64)(a)), "r"((u64)(b))                                                          \
                     : "v0", "v1", "v2");                                                                    \
    r_;                                                                                                      \
  })
#define S_OP2(insn, a, b)                                                                                    \
  ({                                                                                                         \
    u32 r_;                                                                                                  \
    __asm__ volatile("fmov s1, %w1\n\tfmov s2, %w2\n\t" insn " s0, s1, s2\n\tfmov %w0, s0"                   \
                     : "=r"(r_)                                                                              \
                     : "r"((u32)(a)), "r"((u32)(b))                                                          \
                     : "v0", "v1", "v2");                                                                    \
    r_;                                                                                                      \
  })

#define D_ONE 0x3ff0000000000000ul
#define D_TWO 0x4000000000000000ul
#define D_THREE 0x4008000000000000ul
#define S_ONE 0x3f800000u
#define S_THREE 0x40400000u

static u64 fpsr_after(void) { return read_sysreg(fpsr); }
static void clear_fpsr(void) { write_sysreg(fpsr, 0); }

static void arithmetic(void) {
  check_eq("fp.fadd_d", D_OP2("fadd", 0x3ff8000000000000ul, 0x4002000000000000ul), 0x400e000000000000ul);
  check_eq("fp.fsub_d", D_OP2("fsub", D_ONE, D_THREE), 0xc000000000000000ul);
  check_eq("fp.fmul_s", S_OP2("fmul", S_THREE, 0x3f000000u), 0x3fc00000u);
  clear_fpsr();
  check_eq("fp.fdiv_d_third", D_OP2("fdiv", D_ONE, D_THREE), 0x3fd5555555555555ul);
  check_eq("fp.fdiv_d_third.fpsr", fpsr_after(), FPSR_IXC);
  u64 r;
  __asm__ volatile("fmov d1, %1\n\tfsqrt d0, d1\n\tfmov %0, d0" : "=r"(r) : "r"(D_TWO) : "v0", "v1");
  check_eq("fp.fsqrt_d", r, 0x3ff6a09e667f3bcdul);
  /* Fused: (1 + 2^-30)^2 - (1 + 2^-29) leaves 2^-60, which an unfused multiply would round away. */
  __asm__ volatile("fmov d1, %1\n\tfmov d2, %2\n\tfnmsub d0, d1, d1, d2\n\tfmov %0, d0"
                   : "=r"(r)
                   : "r"(0x3ff0000000400000ul), "r"(0x3ff0000000800000ul)
                   : "v0", "v1", "v2");
  check_eq("fp.fnmsub_fused", r, 0x3c30000000000000ul);
  check_eq("fp.fmax_d", D_OP2("fmax", D_ONE, D_THREE), D_THREE);
  check_eq("fp.fmin_s_signed_zero", S_OP2("fmin", 0x00000000u, 0x80000000u), 0x80000000u);
  __asm__ volatile("fmov d1, %1\n\tfneg d0, d1\n\tfabs d1, d0\n\tfadd d0, d0, d1\n\tfmov %0, d0"
                   : "=r"(r)
                   : "r"(D_THREE)
                   : "v0", "v1");
  check_eq("fp.fneg_fabs", r, 0);
  __asm__ volatile("fmov d0, #-1.25\n\tfmov %0, d0" : "=r"(r) : : "v0");
  check_eq("fp.fmov_imm", r, 0xbff4000000000000ul);
}

static void conversions(void) {
  u64 r;
  __asm__ volatile("scvtf d0, %1\n\tfmov %0, d0" : "=r"(r) : "r"(-7l) : "v0");
  check_eq("fp.scvtf_d", r, 0xc01c000000000000ul);
  __asm__ volatile("ucvtf s0, %w1\n\tfmov %w0, s0" : "=r"(r) : "r"(0xffffffffu) : "v0");
  check_eq("fp.ucvtf_s_rounds", r, 0x4f800000u);
  __asm__ volatile("fmov d0, %1\n\tfcvtzs %0, d0" : "=r"(r) : "r"(0xc005999999999999ul) : "v0");
  check_eq("fp.fcvtzs_truncates", r, (u64)-2);
  __asm__ volatile("fmov d0, %1\n\tfcvtas %0, d0" : "=r"(r) : "r"(0x4004000000000000ul) : "v0");
  check_eq("fp.fcvtas_ties_away", r, 3);
  __asm__ volatile("fmov d0, %1\n\tfcvtns %0, d0" : "=r"(r) : "r"(0x4004000000000000ul) : "v0");
  check_eq("fp.fcvtns_ties_even", r, 2);
  clear_fpsr();
  __asm__ volatile("fmov d0, %1\n\tfcvtzs %0, d0" : "=r"(r) : "r"(0x4415af1d78b58c40ul) : "v0"); /* 1e20 */
  check_eq("fp.fcvtzs_saturates", r, 0x7ffffffffffffffful);
  check_eq("fp.fcvtzs_saturates.fpsr", fpsr_after(), FPSR_IOC);
  __asm__ volatile("fmov d0, %1\n\tfcvtzu %w0, d0" : "=r"(r) : "r"(0xbff0000000000000ul) : "v0");
  check_eq("fp.fcvtzu_negative", r, 0);
  __asm__ volatile("fmov d1, %1\n\tfcvt s0, d1\n\tfmov %w0, s0" : "=r"(r) : "r"(0x3fb999999999999aul) : "v0", "v1");
  check_eq("fp.fcvt_d_to_s", r, 0x3dcccccdu);
  __asm__ volatile("fmov s1, %w1\n\tfcvt d0, s1\n\tfmov %0, d0" : "=r"(r) : "r"(0x3dcccccdu) : "v0", "v1");
  check_eq("fp.fcvt_s_to_d", r, 0x3fb99999a0000000ul);
  __asm__ volatile("fmov d1, %1\n\tfrintm d0, d1\n\tfmov %0, d0" : "=r"(r) : "r"(0xc004000000000000ul) : "v0", "v1");
  check_eq("fp.frintm", r, 0xc008000000000000ul);
}

#define FCMP_FLAGS(a, b)                                                                                     \
  ({                                                                                                         \
    u64 f_;                                                                                                  \
    __asm__ volatile("fmov d0, %1\n\tfmov d1, %2\n\tfcmp d0, d1\n\tmrs %0, nzcv"                             \
                     : "=r"(f_)                                                                              \
                     : "r"((u64)(a)), "r"((u64)(b))                                                          \
                     : "v0", "v1", "cc");                                                                    \
    f_;                                                                                                      \
  })

static void compares(void) {
  check_eq("fp.fcmp_less", FCMP_FLAGS(D_ONE, D_TWO), 0x80000000ul);
  check_eq("fp.fcmp_equal", FCMP_FLAGS(D_TWO, D_TWO), 0x60000000ul);
  check_eq("fp.fcmp_greater", FCMP_FLAGS(D_THREE, D_TWO), 0x20000000ul);
  clear_fpsr();
  check_eq("fp.fcmp_unordered", FCMP_FLAGS(0x7ff8000000000000ul, D_TWO), 0x30000000ul);
  check_eq("fp.fcmp_quiet_nan.fpsr", fpsr_after(), 0);
  u64 r;
  __asm__ volatile("fmov d1, %1\n\tfmov d2, %2\n\tcmp %1, %2\n\tfcsel d0, d1, d2, lo\n\tfmov %0, d0"
                   : "=r"(r)
                   : "r"(D_ONE), "r"(D_TWO)
                   : "v0", "v1", "v2", "cc");
  check_eq("fp.fcsel", r, D_ONE);
}

static void rounding_and_nans(void) {
  u64 fpcr = read_sysreg(fpcr);
  write_sysreg(fpcr, fpcr | (2ul << 22)); /* RMode = RM, toward minus infinity */
  check_eq("fp.fpcr_rmode_readback", (read_sysreg(fpcr) >> 22) & 3, 2);
  check_eq("fp.round_minus_inf_pos", S_OP2("fdiv", S_ONE, S_THREE), 0x3eaaaaaau);
  check_eq("fp.round_minus_inf_neg", S_OP2("fdiv", 0xbf800000u, S_THREE), 0xbeaaaaabu);
  write_sysreg(fpcr, fpcr);
  check_eq("fp.round_nearest", S_OP2("fdiv", S_ONE, S_THREE), 0x3eaaaaabu);
  clear_fpsr();
  check_eq("fp.div_by_zero", D_OP2("fdiv", D_ONE, 0), 0x7ff0000000000000ul);
  check_eq("fp.div_by_zero.fpsr", fpsr_after(), FPSR_DZC);
  clear_fpsr();
  check_eq("fp.invalid_default_nan", D_OP2("fdiv", 0, 0), 0x7ff8000000000000ul);
  check_eq("fp.invalid_default_nan.fpsr", fpsr_after(), FPSR_IOC);
  check_eq("fp.qnan_propagates", D_OP2("fadd", 0x7ff8000000000123ul, D_ONE), 0x7ff8000000000123ul);
  clear_fpsr();
  check_eq("fp.snan_quietened", D_OP2("fadd", D_ONE, 0x7ff0000000000456ul), 0x7ff8000000000456ul);
  check_eq("fp.snan_quietened.fpsr", fpsr_after(), FPSR_IOC);
  write_sysreg(fpcr, fpcr | (1ul << 25)); /* DN: default NaN mode */
  check_eq("fp.fpcr_dn", D_OP2("fadd", 0x7ff8000000000123ul, D_ONE), 0x7ff8000000000000ul);
  write_sysreg(fpcr, fpcr);
}

static u8 vec_in[32] __attribute__((aligned(16)));
static u8 vec_out[32] __attribute__((aligned(16)));

static void simd(void) {
  for (int i = 0; i < 32; i++) vec_in[i] = (u8)(i + 1);
  u64 lo, hi;
  __asm__ volatile("ld1 {v0.16b, v1.16b}, [%2]\n\tadd v2.4s, v0.4s, v1.4s\n\tmov %0, v2.d[0]\n\tmov %1, v2.d[1]"
                   : "=r"(lo), "=r"(hi)
                   : "r"(vec_in)
                   : "v0", "v1", "v2", "memory");
  /* Byte i of the sum is (i + 1) + (i + 17): no carries cross bytes. */
  check_eq("fp.add_4s.lo", lo, 0x201e1c1a18161412ul);
  check_eq("fp.add_4s.hi", hi, 0x302e2c2a28262422ul);
  __asm__ volatile("dup v0.8h, %w1\n\tmul v1.8h, v0.8h, v0.8h\n\tumov %w0, v1.h[7]" : "=r"(lo) : "r"(300u) : "v0", "v1");
  check_eq("fp.dup_mul_8h", lo, (300u * 300u) & 0xffff);
  __asm__ volatile("ld1 {v0.16b}, [%1]\n\taddv b1, v0.16b\n\tumov %w0, v1.b[0]" : "=r"(lo) : "r"(vec_in) : "v0", "v1", "memory");
  check_eq("fp.addv_16b", lo, 136);
  __asm__ volatile("movi v0.2d, #0\n\tins v0.s[2], %w1\n\tmov %0, v0.d[1]" : "=r"(lo) : "r"(0xdeadbeefu) : "v0");
  check_eq("fp.ins_s", lo, 0xdeadbeeful);
  __asm__ volatile("ld1 {v0.16b, v1.16b}, [%0]\n\text v2.16b, v0.16b, v1.16b, #3\n\tst1 {v2.16b}, [%1]"
                   :
                   : "r"(vec_in), "r"(vec_out)
                   : "v0", "v1", "v2", "memory");
  check_eq("fp.ext_st1", vec_out[0] | (vec_out[15] << 8), 4 | (19 << 8));
  __asm__ volatile("ld1 {v0.16b}, [%1]\n\tmovi v2.16b, #5\n\tcmeq v1.16b, v0.16b, v2.16b\n\tumov %0, v1.d[0]"
                   : "=r"(lo)
                   : "r"(vec_in)
                   : "v0", "v1", "v2", "memory");
  check_eq("fp.cmeq", lo, 0x000000ff00000000ul);
  __asm__ volatile("ld1 {v0.16b}, [%1]\n\tushr v1.2d, v0.2d, #8\n\tumov %0, v1.d[0]" : "=r"(lo) : "r"(vec_in) : "v0", "v1", "memory");
  check_eq("fp.ushr_2d", lo, 0x0008070605040302ul);
  __asm__ volatile("ld1 {v0.16b}, [%1]\n\tcnt v1.8b, v0.8b\n\tumov %0, v1.d[0]" : "=r"(lo) : "r"(vec_in) : "v0", "v1", "memory");
  /* Popcounts of 1..8. */
  check_eq("fp.cnt_8b", lo, 0x0103020201020101ul);
  __asm__ volatile("fmov v0.2d, #1.0\n\tfmov v1.2d, #0.5\n\tfadd v2.2d, v0.2d, v1.2d\n\tmov %0, v2.d[1]" : "=r"(lo) : : "v0", "v1", "v2");
  check_eq("fp.fadd_2d", lo, 0x3ff8000000000000ul);
  __asm__ volatile("ldp q0, q1, [%2]\n\tstr q1, [%3]\n\tldr %0, [%3]\n\tldr %1, [%3, #8]"
                   : "=&r"(lo), "=&r"(hi)
                   : "r"(vec_in), "r"(vec_out)
                   : "v0", "v1", "memory");
  check_eq("fp.ldp_q_str_q.lo", lo, 0x1817161514131211ul);
  check_eq("fp.ldp_q_str_q.hi", hi, 0x201f1e1d1c1b1a19ul);
  __asm__ volatile("movi v0.4s, #0x12, lsl #8\n\tmov %0, v0.d[0]" : "=r"(lo) : : "v0");
  check_eq("fp.movi_lsl", lo, 0x0000120000001200ul);
}

void test_main(u64 dtb) {
  (void)dtb;
  check_eq("fp.cpacr_fpen", (read_sysreg(cpacr_el1) >> 20) & 3, 3);
  arithmetic();
  conversions();
  compares();
  rounding_and_nans();
  simd();
}
