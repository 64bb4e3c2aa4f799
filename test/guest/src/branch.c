/* Branches: every condition code against every NZCV value, compare/test-and-branch, calls and returns, ADR/ADRP. */
#include "runtime.h"

/* ConditionHolds() of the ARM ARM (shared/functions/system/ConditionHolds), on NZCV in bits 3..0. */
static int condition_holds(int cond, u32 nzcv) {
  int n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, c = (nzcv >> 1) & 1, v = nzcv & 1;
  int result;
  switch (cond >> 1) {
    case 0: result = z; break;
    case 1: result = c; break;
    case 2: result = n; break;
    case 3: result = v; break;
    case 4: result = c && !z; break;
    case 5: result = n == v; break;
    case 6: result = n == v && !z; break;
    default: result = 1; break;
  }
  return (cond & 1) && cond != 15 ? !result : result;
}

#define TAKEN(cc, nzcv)                                                                                      \
  ({                                                                                                         \
    u64 t_;                                                                                                  \
    __asm__ volatile("msr nzcv, %1\n\tmov %0, #0\n\tb." cc " 1f\n\tb 2f\n1:\tmov %0, #1\n2:"                \
                     : "=&r"(t_)                                                                             \
                     : "r"((u64)(nzcv) << 28)                                                                \
                     : "cc");                                                                                \
    t_;                                                                                                      \
  })

static const char *const cond_names[14] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs",
                                           "vc", "hi", "ls", "ge", "lt", "gt", "le"};

static u64 taken(int cond, u32 nzcv) {
  switch (cond) {
    case 0: return TAKEN("eq", nzcv);
    case 1: return TAKEN("ne", nzcv);
    case 2: return TAKEN("hs", nzcv);
    case 3: return TAKEN("lo", nzcv);
    case 4: return TAKEN("mi", nzcv);
    case 5: return TAKEN("pl", nzcv);
    case 6: return TAKEN("vs", nzcv);
    case 7: return TAKEN("vc", nzcv);
    case 8: return TAKEN("hi", nzcv);
    case 9: return TAKEN("ls", nzcv);
    case 10: return TAKEN("ge", nzcv);
    case 11: return TAKEN("lt", nzcv);
    case 12: return TAKEN("gt", nzcv);
    default: return TAKEN("le", nzcv);
  }
}

static void conditions(void) {
  static char name[32];
  for (int cond = 0; cond < 14; cond++) {
    u32 mismatches = 0, first_bad = 0;
    for (u32 nzcv = 0; nzcv < 16; nzcv++) {
      if (taken(cond, nzcv) != (u64)condition_holds(cond, nzcv)) {
        if (mismatches++ == 0) first_bad = nzcv;
      }
    }
    const char *prefix = "branch.b_";
    int i = 0;
    while (prefix[i]) {
      name[i] = prefix[i];
      i++;
    }
    name[i++] = cond_names[cond][0];
    name[i++] = cond_names[cond][1];
    name[i] = 0;
    if (mismatches == 0)
      pass(name);
    else
      fail(name, "%u of 16 NZCV values wrong, first NZCV=0x%x", mismatches, first_bad);
  }
}

#define TEST_BRANCH(insn, operand)                                                                           \
  ({                                                                                                         \
    u64 t_;                                                                                                  \
    __asm__ volatile("mov %0, #0\n\t" insn " %1, 1f\n\tb 2f\n1:\tmov %0, #1\n2:" : "=&r"(t_) : "r"(operand)); \
    t_;                                                                                                      \
  })

#define TEST_BIT_BRANCH(insn, operand, bit)                                                                  \
  ({                                                                                                         \
    u64 t_;                                                                                                  \
    __asm__ volatile("mov %0, #0\n\t" insn " %1, #" #bit ", 1f\n\tb 2f\n1:\tmov %0, #1\n2:"                  \
                     : "=&r"(t_)                                                                             \
                     : "r"(operand));                                                                        \
    t_;                                                                                                      \
  })

static void compare_and_test(void) {
  check_eq("branch.cbz_zero", TEST_BRANCH("cbz", 0ul), 1);
  check_eq("branch.cbz_nonzero", TEST_BRANCH("cbz", 0x100000000ul), 0);
  check_eq("branch.cbnz_high_bits", TEST_BRANCH("cbnz", 0x100000000ul), 1);
  u64 w_taken;
  __asm__ volatile("mov %0, #0\n\tcbz %w1, 1f\n\tb 2f\n1:\tmov %0, #1\n2:" : "=&r"(w_taken) : "r"(0x100000000ul));
  check_eq("branch.cbz_w_ignores_high", w_taken, 1);
  check_eq("branch.tbz_bit63_clear", TEST_BIT_BRANCH("tbz", 0x7ffffffffffffffful, 63), 1);
  check_eq("branch.tbnz_bit63_set", TEST_BIT_BRANCH("tbnz", 0x8000000000000000ul, 63), 1);
  check_eq("branch.tbnz_bit0_clear", TEST_BIT_BRANCH("tbnz", 2ul, 0), 0);
  check_eq("branch.tbz_bit33", TEST_BIT_BRANCH("tbz", 0x200000000ul, 33), 0);
}

static void calls(void) {
  u64 link, expected;
  __asm__ volatile("bl 1f\n2:\tb 3f\n1:\tmov %0, x30\n\tret\n3:\tadr %1, 2b" : "=&r"(link), "=r"(expected) : : "x30");
  check_eq("branch.bl_link", link, expected);
  u64 via_blr = 0, target;
  __asm__ volatile("adr %1, 1f\n\tblr %1\n\tb 2f\n1:\tmov %0, #7\n\tret\n2:" : "=&r"(via_blr), "=&r"(target) : : "x30");
  check_eq("branch.blr", via_blr, 7);
  u64 via_br = 0;
  __asm__ volatile("adr %1, 1f\n\tbr %1\n\tmov %0, #1\n1:\tadd %0, %0, #2" : "+r"(via_br), "=&r"(target));
  check_eq("branch.br_skips", via_br, 2);
  u64 other = 0;
  __asm__ volatile("adr x9, 1f\n\tret x9\n\tmov %0, #1\n1:\tadd %0, %0, #4" : "+r"(other) : : "x9");
  check_eq("branch.ret_x9", other, 4);
  u64 count = 0;
  __asm__ volatile("mov x9, #10\n1:\tadd %0, %0, #1\n\tsubs x9, x9, #1\n\tb.ne 1b" : "+r"(count) : : "x9", "cc");
  check_eq("branch.backward_loop", count, 10);
}

static void pc_relative(void) {
  u64 adr, adrp;
  __asm__ volatile("adr %0, branch_anchor\n\tadrp %1, branch_anchor" : "=r"(adr), "=r"(adrp));
  extern char branch_anchor[];
  check_eq("branch.adr", adr, (u64)branch_anchor);
  check_eq("branch.adrp", adrp, (u64)branch_anchor & ~0xffful);
  u64 self, here;
  __asm__ volatile("1:\tadr %0, 1b\n\tadr %1, ." : "=r"(self), "=r"(here));
  check_eq("branch.adr_dot", here - self, 4);
}

__asm__(".text\n.balign 64\n.global branch_anchor\nbranch_anchor:\n\tnop\n");

void test_main(u64 dtb) {
  (void)dtb;
  conditions();
  compare_and_test();
  calls();
  pc_relative();
}
