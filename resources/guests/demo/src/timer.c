/*
 * The tick. On the HPET, timer 0 runs in periodic mode and the hardware keeps the period; on the generic
 * timer the handler advances the compare value by whole periods. Either way the count is of periods elapsed,
 * read off the comparator, not of interrupts taken: a late interrupt (a busy host, IRQs masked for a while)
 * covers every period that passed, so uptime by the tick stays true. The generic timer's count is also the
 * time base for timeouts everywhere.
 */
#include "timer.h"

#include "arch.h"
#include "board.h"
#include "gic.h"
#include "hpet.h"
#include "printf.h"

#define CNTV_CTL_ENABLE 1U
#define TICK_TIMER 0U

static volatile uint64_t ticks;
static uint64_t vtimer_period;
static uint64_t hpet_period;
static uint64_t hpet_first_comparator;
static uint64_t boot_count;
static bool using_hpet;

uint64_t cntvct(void) {
  isb(); /* no speculative early read of the counter */
  return read_sysreg(cntvct_el0);
}

uint64_t cntfrq(void) { return read_sysreg(cntfrq_el0); }

/* In periodic mode the comparator has already moved past the counter when the interrupt arrives. */
static void hpet_tick(void) {
  uint64_t comparator = hpet_read(HPET_TIM_COMP(TICK_TIMER));
  ticks = (comparator - hpet_first_comparator) / hpet_period;
}

static void vtimer_tick(void) {
  uint64_t compare = read_sysreg(cntv_cval_el0);
  uint64_t now = cntvct();
  if (now < compare) return; /* not due: the line dropped before the interrupt was taken */
  uint64_t periods = (now - compare) / vtimer_period + 1;
  write_sysreg(cntv_cval_el0, compare + periods * vtimer_period);
  ticks = ticks + periods;
}

static void start_vtimer(void) {
  vtimer_period = cntfrq() / TICK_HZ;
  write_sysreg(cntv_cval_el0, cntvct() + vtimer_period);
  write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
  gic_enable_irq(VTIMER_IRQ, vtimer_tick, GIC_LEVEL);
}

static bool start_hpet(void) {
  hpet_period = hpet_hz() / TICK_HZ;
  if (!hpet_start_periodic(TICK_TIMER, hpet_period, hpet_tick)) return false;
  hpet_first_comparator = hpet_read(HPET_TIM_COMP(TICK_TIMER));
  return true;
}

void tick_start(void) {
  boot_count = cntvct();
  using_hpet = hpet_present() && start_hpet();
  if (!using_hpet) start_vtimer();
}

bool tick_uses_hpet(void) { return using_hpet; }
uint64_t tick_count(void) { return ticks; }

void tick_print_source(void) {
  if (using_hpet) printf("HPET timer %u (SPI %d)", TICK_TIMER, hpet_timer_spi(TICK_TIMER));
  else printf("generic virtual timer (INTID %u, PPI %u)", VTIMER_IRQ, VTIMER_IRQ - 16);
}

uint64_t uptime_counter(void) { return hpet_present() ? hpet_counter() : cntvct() - boot_count; }
uint64_t uptime_counter_hz(void) { return hpet_present() ? hpet_hz() : cntfrq(); }
const char *uptime_counter_name(void) { return hpet_present() ? "HPET main counter" : "CNTVCT"; }

void sleep_one_tick(void) {
  uint64_t start = ticks;
  for (;;) {
    uint64_t daif = irq_save();
    if (ticks != start) {
      irq_restore(daif);
      return;
    }
    sleep_then_restore(daif);
  }
}
