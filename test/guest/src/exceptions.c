/*
 * Synchronous exceptions and their syndromes (ESR_EL1, ELR_EL1, FAR_EL1), taken at EL1 and from EL0, and the
 * EL1 -> EL0 -> EL1 round trip through ERET and SVC.
 */
#include "runtime.h"

/* Nothing is mapped here on virt (between the virtio-mmio transports and the platform bus). */
#define UNMAPPED 0x0b000000ul

static u8 buf[32] __attribute__((aligned(16)));
static u8 el0_stack[4096] __attribute__((aligned(16)));

static void check_exception(const char *name, u64 want_esr, u64 want_elr) {
  if (!exception_taken()) {
    fail(name, "no exception was taken");
    return;
  }
  if (last_exception.esr != want_esr || last_exception.elr != want_elr) {
    fail(name, "esr=0x%lx elr=0x%lx, want esr=0x%lx elr=0x%lx", last_exception.esr, last_exception.elr, want_esr,
         want_elr);
    return;
  }
  pass(name);
}

static void at_el1(void) {
  u64 at;
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tsvc #0x42" : "=r"(at) : : "memory");
  check_exception("exceptions.svc", 0x56000042, at + 4);
  check_eq("exceptions.svc.kind", last_exception.kind, KIND_SYNC_EL1H);
  check_eq("exceptions.svc.spsr", last_exception.spsr & 0x3cf, 0x3c5);
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tbrk #0x7" : "=r"(at) : : "memory");
  check_exception("exceptions.brk", 0xf2000007, at);
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\t.inst 0x00000000" : "=r"(at) : : "memory");
  check_exception("exceptions.udf", 0x02000000, at);
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\t.inst 0xd4a00001" : "=r"(at) : : "memory"); /* DCPS1: undefined at EL1 */
  check_exception("exceptions.dcps1_undefined", 0x02000000, at);
}

static void aborts(void) {
  u64 at, value = 0;
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tldr %1, [%2]" : "=&r"(at), "+r"(value) : "r"(UNMAPPED) : "memory");
  check_exception("exceptions.unmapped_read", 0x96000010, at);
  check_eq("exceptions.unmapped_read.far", last_exception.far, UNMAPPED);
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tstr wzr, [%1, #8]" : "=&r"(at) : "r"(UNMAPPED) : "memory");
  check_exception("exceptions.unmapped_write", 0x96000050, at);
  check_eq("exceptions.unmapped_write.far", last_exception.far, UNMAPPED + 8);
  /* SCTLR_EL1.A = 1: every misaligned data access faults (DFSC 0x21). */
  write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 2);
  isb();
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tldr %1, [%2, #1]" : "=&r"(at), "+r"(value) : "r"(buf) : "memory");
  check_exception("exceptions.alignment_sctlr_a", 0x96000021, at);
  check_eq("exceptions.alignment_sctlr_a.far", last_exception.far, (u64)buf + 1);
  __asm__ volatile("ldr %0, [%1, #8]" : "=r"(value) : "r"(buf) : "memory");
  pass("exceptions.aligned_with_sctlr_a");
  write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~2ul);
  isb();
  /* Exclusives must be aligned whatever SCTLR_EL1.A says. */
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tldxr %1, [%2]" : "=&r"(at), "+r"(value) : "r"(buf + 4) : "memory");
  check_exception("exceptions.ldxr_misaligned", 0x96000021, at);
  __asm__ volatile("clrex");
  /* FP/SIMD with CPACR_EL1.FPEN = 0 traps with EC 0x07. */
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tfmov d0, %1" : "=&r"(at) : "r"(value) : "memory");
  check_exception("exceptions.fp_trap", 0x1fe00000, at);
  expect_exception();
  __asm__ volatile("adr %0, 1f\n1:\tmrs %1, fpcr" : "=&r"(at), "=r"(value) : : "memory");
  check_exception("exceptions.fpcr_trap", 0x1fe00000, at);
}

static volatile u64 pc_fault_far;

static int pc_alignment_hook(struct frame *f) {
  if (ESR_EC(f->esr) != 0x22) return 0;
  pc_fault_far = f->far;
  last_exception.esr = f->esr;
  last_exception.elr = f->elr;
  last_exception.count++;
  f->elr = f->x[30];
  return 1;
}

static void pc_alignment(void) {
  set_exception_hook(pc_alignment_hook);
  last_exception.count = 0;
  u64 target;
  __asm__ volatile("adr x30, 2f\n\tadr %0, 1f\n\tadd %0, %0, #2\n\tbr %0\n1:\tnop\n2:" : "=&r"(target) : : "x30", "memory");
  set_exception_hook(0);
  if (last_exception.count == 1 && last_exception.esr == 0x8a000000 && pc_fault_far == target)
    pass("exceptions.pc_alignment");
  else
    fail("exceptions.pc_alignment", "count=%u esr=0x%lx far=0x%lx want far=0x%lx", last_exception.count,
         last_exception.esr, pc_fault_far, target);
}

/* EL0 code: runs with SP_EL0 = el0_stack; returns its argument doubled. */
static u64 el0_double(u64 arg) { return arg * 2; }

static u64 el0_svc(u64 arg) {
  __asm__ volatile("svc #5" ::: "memory");
  return arg + 1;
}

static u64 el0_read_sctlr(u64 arg) {
  (void)arg;
  return read_sysreg(sctlr_el1);
}

static u64 el0_read_ctr(u64 arg) {
  (void)arg;
  u64 value;
  __asm__ volatile("mrs x0, ctr_el0\n\tmov %0, x0" : "=r"(value) : : "x0");
  return value;
}

static u64 el0_read_nzcv(u64 arg) {
  u64 value;
  __asm__ volatile("msr nzcv, %1\n\tmrs %0, nzcv" : "=r"(value) : "r"(arg) : "cc");
  return value;
}

static void el0(void) {
  u64 sp0 = (u64)el0_stack + sizeof el0_stack;
  check_eq("exceptions.el0_roundtrip", run_at_el0(el0_double, 21, sp0), 42);
  check_eq("exceptions.el0_back_at_el1", read_sysreg(currentel), 1 << 2);
  expect_exception();
  check_eq("exceptions.el0_svc.result", run_at_el0(el0_svc, 9, sp0), 10);
  check_true("exceptions.el0_svc.taken", exception_taken());
  check_eq("exceptions.el0_svc.esr", last_exception.esr, 0x56000005);
  check_eq("exceptions.el0_svc.kind", last_exception.kind, KIND_SYNC_LOWER);
  check_eq("exceptions.el0_svc.spsr_el0t", last_exception.spsr & 0xf, 0);
  expect_exception();
  run_at_el0(el0_read_sctlr, 0, sp0);
  check_eq("exceptions.el0_mrs_sctlr_undefined", last_exception.esr, 0x02000000);
  expect_exception();
  run_at_el0(el0_read_ctr, 0, sp0);
  /* SCTLR_EL1.UCT = 0: EC 0x18 with ISS Op0=3 Op2=1 Op1=3 CRn=0 Rt=0 CRm=0 read. */
  check_eq("exceptions.el0_ctr_trapped", last_exception.esr, 0x6232c001);
  check_eq("exceptions.el0_nzcv", run_at_el0(el0_read_nzcv, 0x60000000, sp0), 0x60000000);
}

/* QEMU's virt answers any HVC function ID when PSCI uses the HVC conduit: NOT_SUPPORTED for unknown ones. */
static void hvc_not_psci(void) {
  expect_exception();
  i64 result = psci_call(0x12345, 0, 0, 0);
  check_true("exceptions.hvc_unknown_function.no_exception", !exception_taken());
  check_eq("exceptions.hvc_unknown_function.x0", (u64)result, (u64)-1);
}

void test_main(u64 dtb) {
  (void)dtb;
  at_el1();
  aborts();
  pc_alignment();
  el0();
  hvc_not_psci();
}
