/*
 * System registers: identification values (specs/cpu.md), reset state at entry, PSTATE access (CurrentEL,
 * DAIF, NZCV, SPSel) and read/write registers. Values that legitimately differ between QEMU's cortex-a57 and
 * Orrery are printed as INFO lines for the test to compare per machine.
 */
#include "runtime.h"

static void identification(void) {
  check_eq("sysreg.midr", read_sysreg(midr_el1), 0x411fd070);
  check_eq("sysreg.mpidr", read_sysreg(mpidr_el1), 0x80000000);
  check_eq("sysreg.revidr", read_sysreg(revidr_el1), 0);
  check_eq("sysreg.id_aa64pfr1", read_sysreg(id_aa64pfr1_el1), 0);
  check_eq("sysreg.id_aa64isar1", read_sysreg(id_aa64isar1_el1), 0);
  check_eq("sysreg.id_aa64mmfr1", read_sysreg(id_aa64mmfr1_el1), 0);
  check_eq("sysreg.id_aa64mmfr2", read_sysreg(s3_0_c0_c7_2), 0);
  check_eq("sysreg.id_aa64zfr0", read_sysreg(s3_0_c0_c4_4), 0);
  check_eq("sysreg.ctr", read_sysreg(ctr_el0), 0x8444c004);
  check_eq("sysreg.dczid", read_sysreg(dczid_el0), 0x4);
  check_eq("sysreg.clidr", read_sysreg(clidr_el1), 0x0a200023);
  check_eq("sysreg.cntfrq", read_sysreg(cntfrq_el0), 62500000);
  info("id_aa64pfr0_el1", read_sysreg(id_aa64pfr0_el1));
  info("id_aa64isar0_el1", read_sysreg(id_aa64isar0_el1));
  info("id_aa64mmfr0_el1", read_sysreg(id_aa64mmfr0_el1));
  info("id_aa64dfr0_el1", read_sysreg(id_aa64dfr0_el1));
}

static void entry_state(void) {
  check_eq("sysreg.sctlr_at_entry", read_sysreg(sctlr_el1), 0x00c50838);
  check_eq("sysreg.currentel", read_sysreg(currentel), 1 << 2);
  check_eq("sysreg.daif_at_entry", read_sysreg(daif), 0x3c0);
  check_eq("sysreg.spsel_at_entry", read_sysreg(spsel), 1);
  check_eq("sysreg.cpacr_at_entry", read_sysreg(cpacr_el1), 0);
}

static void pstate(void) {
  __asm__ volatile("msr daifclr, #0xa" ::: "memory");
  check_eq("sysreg.daifclr", read_sysreg(daif), 0x140);
  __asm__ volatile("msr daifset, #0x2" ::: "memory");
  check_eq("sysreg.daifset", read_sysreg(daif), 0x1c0);
  write_sysreg(daif, 0x3c0);
  check_eq("sysreg.msr_daif", read_sysreg(daif), 0x3c0);
  u64 nzcv;
  __asm__ volatile("msr nzcv, %1\n\tmrs %0, nzcv" : "=r"(nzcv) : "r"(0xa0000000ul) : "cc");
  check_eq("sysreg.nzcv_roundtrip", nzcv, 0xa0000000);
  __asm__ volatile("msr nzcv, %1\n\tmrs %0, nzcv" : "=r"(nzcv) : "r"(0xffffffffful) : "cc");
  check_eq("sysreg.nzcv_only_flags", nzcv, 0xf0000000);
  /* With SPSel = 0 the stack pointer is SP_EL0. */
  u64 seen, spsel0;
  __asm__ volatile("msr sp_el0, %2\n\tmsr spsel, #0\n\tmov %0, sp\n\tmrs %1, spsel\n\tmsr spsel, #1"
                   : "=&r"(seen), "=&r"(spsel0)
                   : "r"(0x12345670ul)
                   : "memory");
  check_eq("sysreg.spsel0_uses_sp_el0", seen, 0x12345670);
  check_eq("sysreg.spsel0_reads", spsel0, 0);
  /* Writes to SP while SPSel = 0 land in SP_EL0. */
  u64 written;
  __asm__ volatile("mov x9, sp\n\tmsr spsel, #0\n\tmov sp, %1\n\tmsr spsel, #1\n\tmrs %0, sp_el0\n\tmov sp, x9"
                   : "=&r"(written)
                   : "r"(0xabcdef0ul)
                   : "x9", "memory");
  check_eq("sysreg.sp_write_under_spsel0", written, 0xabcdef0);
}

#define ROUNDTRIP(name, reg, value)                                                                          \
  do {                                                                                                       \
    write_sysreg(reg, value);                                                                                \
    check_eq(name, read_sysreg(reg), value);                                                                 \
  } while (0)

static void read_write(void) {
  ROUNDTRIP("sysreg.tpidr_el0", tpidr_el0, 0x0123456789abcdeful);
  ROUNDTRIP("sysreg.tpidr_el1", tpidr_el1, 0xfedcba9876543210ul);
  ROUNDTRIP("sysreg.tpidrro_el0", tpidrro_el0, 0x5555aaaa5555aaaaul);
  ROUNDTRIP("sysreg.elr_el1", elr_el1, 0xffff000012345678ul);
  ROUNDTRIP("sysreg.far_el1", far_el1, 0x0000ffff00001234ul);
  ROUNDTRIP("sysreg.mair_el1", mair_el1, 0x00000000004404fful);
  ROUNDTRIP("sysreg.contextidr_el1", contextidr_el1, 0x42);
  ROUNDTRIP("sysreg.cntkctl_el1", cntkctl_el1, 0x3);
  write_sysreg(spsr_el1, 0xf00003c5ul);
  check_eq("sysreg.spsr_el1", read_sysreg(spsr_el1), 0xf00003c5ul);
  write_sysreg(esr_el1, 0x96000010ul);
  check_eq("sysreg.esr_el1", read_sysreg(esr_el1), 0x96000010ul);
  u64 vbar = read_sysreg(vbar_el1);
  write_sysreg(vbar_el1, 0x40000800ul);
  check_eq("sysreg.vbar_el1", read_sysreg(vbar_el1), 0x40000800ul);
  write_sysreg(vbar_el1, vbar);
  isb();
}

void test_main(u64 dtb) {
  (void)dtb;
  entry_state();
  identification();
  pstate();
  read_write();
}
