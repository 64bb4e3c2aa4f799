/*
 * PSCI on HVC with two CPUs (-smp 2): VERSION, FEATURES, AFFINITY_INFO, CPU_ON of CPU 1 with an entry point
 * and context, CPU_ON errors, and CPU_OFF from CPU 1.
 */
#include "runtime.h"

#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_ALREADY_ON -4
#define AFFINITY_ON 0
#define AFFINITY_OFF 1

extern char __stack1_top[];

static volatile u64 secondary_seen_context;
static volatile u64 secondary_mpidr;
static volatile u64 secondary_el;
static volatile u64 secondary_daif;
static volatile u32 secondary_started;
static volatile u32 secondary_may_stop;

static void store_release(volatile u32 *p, u32 v) { __asm__ volatile("stlr %w1, [%0]" : : "r"(p), "r"(v) : "memory"); }

static u32 load_acquire(volatile u32 *p) {
  u32 v;
  __asm__ volatile("ldar %w0, [%1]" : "=r"(v) : "r"(p) : "memory");
  return v;
}

void secondary_main(u64 context) {
  secondary_seen_context = context;
  secondary_mpidr = read_sysreg(mpidr_el1);
  secondary_el = read_sysreg(currentel);
  secondary_daif = read_sysreg(daif);
  store_release(&secondary_started, 1);
  while (load_acquire(&secondary_may_stop) == 0) __asm__ volatile("wfe");
  psci_call(PSCI_CPU_OFF, 0, 0, 0);
  for (;;) __asm__ volatile("wfe");
}

static int wait_for(volatile u32 *flag) {
  for (u32 spins = 0; spins < 50000000; spins++)
    if (load_acquire(flag) != 0) return 1;
  return 0;
}

static int wait_until_off(u64 mpidr) {
  for (u32 spins = 0; spins < 1000000; spins++)
    if (psci_call(PSCI_AFFINITY_INFO, mpidr, 0, 0) == AFFINITY_OFF) return 1;
  return 0;
}

void test_main(u64 dtb) {
  (void)dtb;
  check_eq("smp.psci_version_1_1", (u64)psci_call(PSCI_VERSION, 0, 0, 0), 0x10001);
  check_eq("smp.features_cpu_on", (u64)psci_call(PSCI_FEATURES, PSCI_CPU_ON, 0, 0), PSCI_SUCCESS);
  check_eq("smp.features_unknown", (u64)psci_call(PSCI_FEATURES, 0x8400001f, 0, 0), (u64)PSCI_NOT_SUPPORTED);
  check_eq("smp.affinity_self_on", (u64)psci_call(PSCI_AFFINITY_INFO, 0, 0, 0), AFFINITY_ON);
  /* target_affinity bits 31:24 must be zero (PSCI: MPIDR affinity fields only; bit 31 of MPIDR is RES1). */
  check_eq("smp.affinity_reserved_bits", (u64)psci_call(PSCI_AFFINITY_INFO, 0x80000000, 0, 0),
           (u64)PSCI_INVALID_PARAMETERS);
  check_eq("smp.affinity_cpu1_off", (u64)psci_call(PSCI_AFFINITY_INFO, 1, 0, 0), AFFINITY_OFF);
  check_eq("smp.cpu_on_invalid_target", (u64)psci_call(PSCI_CPU_ON, 5, (u64)secondary_entry, 0),
           (u64)PSCI_INVALID_PARAMETERS);
  check_eq("smp.cpu_on_self", (u64)psci_call(PSCI_CPU_ON, 0, (u64)secondary_entry, 0), (u64)PSCI_ALREADY_ON);
  i64 on = psci_call(PSCI_CPU_ON, 1, (u64)secondary_entry, (u64)__stack1_top);
  check_eq("smp.cpu_on", (u64)on, PSCI_SUCCESS);
  if (!wait_for(&secondary_started)) {
    fail("smp.secondary_started", "CPU 1 did not run");
    return;
  }
  pass("smp.secondary_started");
  check_eq("smp.secondary_context", secondary_seen_context, (u64)__stack1_top);
  check_eq("smp.secondary_mpidr", secondary_mpidr, 0x80000001);
  check_eq("smp.secondary_el1", secondary_el, 1 << 2);
  check_eq("smp.secondary_daif_masked", secondary_daif, 0x3c0);
  check_eq("smp.affinity_cpu1_on", (u64)psci_call(PSCI_AFFINITY_INFO, 1, 0, 0), AFFINITY_ON);
  check_eq("smp.cpu_on_again", (u64)psci_call(PSCI_CPU_ON, 1, (u64)secondary_entry, 0), (u64)PSCI_ALREADY_ON);
  store_release(&secondary_may_stop, 1);
  __asm__ volatile("sev");
  check_true("smp.cpu_off", wait_until_off(1));
}
