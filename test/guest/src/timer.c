/*
 * The generic timer's interrupts through the GICv2 (distributor 0x0800_0000, CPU interface 0x0801_0000):
 * virtual timer (PPI 27) and physical timer (PPI 30) fire, are acknowledged and ended; WFI wakes on them,
 * also with PSTATE.I masked. Interrupt timing is not deterministic: not for lockstep.
 */
#include "runtime.h"

#define GICD 0x08000000ul
#define GICD_CTLR 0x000
#define GICD_ISENABLER0 0x100
#define GICD_ICENABLER0 0x180
#define GICD_IPRIORITYR 0x400
#define GICC 0x08010000ul
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define PPI_VIRT_TIMER 27
#define PPI_PHYS_TIMER 30
#define CTL_ENABLE 1ul
#define CTL_IMASK 2ul
#define CTL_ISTATUS 4ul

static inline u32 rd32(u64 a) { return *(volatile u32 *)a; }
static inline void wr32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void wr8(u64 a, u8 v) { *(volatile u8 *)a = v; }

static volatile u32 irq_count;
static volatile u32 last_irq;
static volatile u64 ctl_at_irq;

static int irq_hook(struct frame *f) {
  if (f->kind != KIND_IRQ_EL1H) return 0;
  u32 iar = rd32(GICC + GICC_IAR);
  u32 id = iar & 0x3ff;
  last_irq = id;
  if (id == PPI_VIRT_TIMER) {
    ctl_at_irq = read_sysreg(cntv_ctl_el0);
    write_sysreg(cntv_ctl_el0, 0);
  } else if (id == PPI_PHYS_TIMER) {
    ctl_at_irq = read_sysreg(cntp_ctl_el0);
    write_sysreg(cntp_ctl_el0, 0);
  }
  irq_count++;
  if (id < 1020) wr32(GICC + GICC_EOIR, iar);
  return 1;
}

static void gic_init(void) {
  wr32(GICD + GICD_CTLR, 1);
  wr8(GICD + GICD_IPRIORITYR + PPI_VIRT_TIMER, 0x80);
  wr8(GICD + GICD_IPRIORITYR + PPI_PHYS_TIMER, 0x80);
  wr32(GICD + GICD_ISENABLER0, (1u << PPI_VIRT_TIMER) | (1u << PPI_PHYS_TIMER));
  wr32(GICC + GICC_PMR, 0xf0);
  wr32(GICC + GICC_CTLR, 1);
  check_eq("timer.gic_enabled", rd32(GICD + GICD_ISENABLER0) & ((1u << 27) | (1u << 30)), (1u << 27) | (1u << 30));
}

static void counters(void) {
  u64 a = read_sysreg(cntvct_el0);
  for (volatile int i = 0; i < 1000; i++) {
  }
  u64 b = read_sysreg(cntvct_el0);
  check_true("timer.cntvct_advances", b > a);
  u64 p = read_sysreg(cntpct_el0);
  check_true("timer.cntpct_virtual_offset_zero", p >= b);
}

/* Arms a timer ~1 ms ahead, waits for its interrupt with WFI (interrupts unmasked). */
static void timer_irq(const char *name, u32 want_id, int virt) {
  irq_count = 0;
  u64 start = read_sysreg(cntvct_el0);
  if (virt) {
    write_sysreg(cntv_tval_el0, 62500);
    write_sysreg(cntv_ctl_el0, CTL_ENABLE);
  } else {
    write_sysreg(cntp_tval_el0, 62500);
    write_sysreg(cntp_ctl_el0, CTL_ENABLE);
  }
  isb();
  __asm__ volatile("msr daifclr, #2" ::: "memory");
  for (int spins = 0; irq_count == 0 && spins < 1000000; spins++) __asm__ volatile("wfi");
  __asm__ volatile("msr daifset, #2" ::: "memory");
  u64 elapsed = read_sysreg(cntvct_el0) - start;
  if (irq_count == 1 && last_irq == want_id && (ctl_at_irq & CTL_ISTATUS) && elapsed >= 62500)
    pass(name);
  else
    fail(name, "irqs=%u id=%u ctl=0x%lx elapsed=%lu ticks", irq_count, last_irq, ctl_at_irq, elapsed);
}

/* With PSTATE.I set, WFI still wakes on the pending interrupt; it is taken once unmasked. */
static void wfi_masked(void) {
  irq_count = 0;
  write_sysreg(cntv_tval_el0, 31250);
  write_sysreg(cntv_ctl_el0, CTL_ENABLE);
  isb();
  u64 isr = 0;
  for (int spins = 0; spins < 1000000; spins++) {
    __asm__ volatile("wfi");
    isr = read_sysreg(isr_el1);
    if (isr & 0x80) break;
  }
  check_eq("timer.wfi_masked.isr_i", isr & 0x80, 0x80);
  check_eq("timer.wfi_masked.not_taken", irq_count, 0);
  __asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
  check_eq("timer.wfi_masked.taken_after_unmask", irq_count, 1);
}

/* IMASK keeps ISTATUS but holds the output low. */
static void imask(void) {
  irq_count = 0;
  write_sysreg(cntv_tval_el0, 0);
  write_sysreg(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
  isb();
  u64 ctl = read_sysreg(cntv_ctl_el0);
  __asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" ::: "memory");
  check_eq("timer.imask.istatus", ctl & CTL_ISTATUS, CTL_ISTATUS);
  check_eq("timer.imask.no_irq", irq_count, 0);
  write_sysreg(cntv_ctl_el0, 0);
  check_true("timer.tval_counts_down", (i64)(i32)read_sysreg(cntv_tval_el0) <= 0);
}

void test_main(u64 dtb) {
  (void)dtb;
  set_exception_hook(irq_hook);
  counters();
  gic_init();
  timer_irq("timer.virtual_irq_wfi", PPI_VIRT_TIMER, 1);
  timer_irq("timer.physical_irq_wfi", PPI_PHYS_TIMER, 0);
  wfi_masked();
  imask();
  set_exception_hook(0);
}
