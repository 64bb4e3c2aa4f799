/*
 * HPET driver. Each timer drives output INT_ROUTE; the device tree's interrupts property gives the SPI of
 * each wired output (interrupt-names "outN" says which output an entry is; unnamed entries are outputs
 * 0, 1, 2...). Timers are level-triggered: the handler clears GINTR_STA to release the line.
 */
#include "hpet.h"

#include "arch.h"
#include "board.h"
#include "gic.h"

#define MAX_TIMERS 32U
#define FS_PER_SECOND 1000000000000000ULL
#define MAX_PERIOD_FS 100000000U /* 100 ns: the specification's upper bound */

static uintptr_t base;
static uint64_t capabilities;
static const struct fdt_info *tree;
static hpet_callback callbacks[MAX_TIMERS];

uint64_t hpet_read(uint32_t offset) { return mmio_read64(base + offset); }
static void hpet_write(uint32_t offset, uint64_t value) { mmio_write64(base + offset, value); }

bool hpet_present(void) { return base != 0; }
uintptr_t hpet_base(void) { return base; }
uint64_t hpet_counter(void) { return hpet_read(HPET_MAIN_CNT); }
uint64_t hpet_hz(void) { return FS_PER_SECOND / GCAP_PERIOD_FS(capabilities); }
uint32_t hpet_timer_count(void) { return GCAP_NUM_TIM(capabilities); }

bool hpet_probe(const struct fdt_info *fdt) {
  if (!fdt->has_hpet) return false;
  uintptr_t candidate = (uintptr_t)fdt->hpet_base;
  if (candidate < DEVICE_START || candidate >= DEVICE_END) return false; /* outside what the MMU maps */
  uint64_t caps = mmio_read64(candidate + HPET_GCAP_ID);
  uint32_t period = GCAP_PERIOD_FS(caps);
  if (period == 0 || period > MAX_PERIOD_FS || GCAP_REV_ID(caps) == 0) return false;
  base = candidate;
  capabilities = caps;
  tree = fdt;
  hpet_write(HPET_GEN_CONF, 0); /* halt, so the counter is writable; legacy routing off */
  hpet_write(HPET_MAIN_CNT, 0);
  hpet_write(HPET_GINTR_STA, 0xffffffffU);
  for (uint32_t t = 0; t < hpet_timer_count(); t++) hpet_write(HPET_TIM_CONF(t), 0);
  hpet_write(HPET_GEN_CONF, GEN_CONF_ENABLE);
  return true;
}

/*
 * The device tree entry timer n interrupts through: output n if the timer may drive it (INT_ROUTE_CAP) and
 * it is wired, so that each timer has its own SPI, else the lowest-numbered output that qualifies.
 */
static int timer_entry(uint32_t timer) {
  if (!hpet_present() || timer >= hpet_timer_count()) return -1;
  uint32_t cap = TIM_ROUTE_CAP(hpet_read(HPET_TIM_CONF(timer)));
  int best = -1;
  for (uint32_t i = 0; i < tree->hpet_irq_count; i++) {
    uint32_t output = tree->hpet_outputs[i];
    if (output >= 32 || !(cap & (1U << output))) continue;
    if (output == timer) return (int)i;
    if (best < 0 || output < tree->hpet_outputs[best]) best = (int)i;
  }
  return best;
}

int hpet_timer_spi(uint32_t timer) {
  int entry = timer_entry(timer);
  return entry < 0 ? -1 : (int)tree->hpet_spis[entry];
}

static void hpet_irq(void) {
  uint32_t status = (uint32_t)hpet_read(HPET_GINTR_STA);
  hpet_write(HPET_GINTR_STA, status); /* write 1 to clear: releases the level-triggered outputs */
  for (uint32_t t = 0; t < MAX_TIMERS && status != 0; t++, status >>= 1)
    if ((status & 1) && callbacks[t]) callbacks[t]();
}

/* Routes the timer, hooks its SPI and returns the configuration bits that select the route. */
static bool connect(uint32_t timer, hpet_callback callback, uint64_t *route_bits) {
  int entry = timer_entry(timer);
  if (entry < 0) return false;
  callbacks[timer] = callback;
  gic_enable_irq(SPI_ID(tree->hpet_spis[entry]), hpet_irq, GIC_LEVEL);
  *route_bits = TIM_ROUTE(tree->hpet_outputs[entry]) | TIM_INT_LEVEL;
  return true;
}

bool hpet_start_periodic(uint32_t timer, uint64_t period, hpet_callback callback) {
  uint64_t route;
  if (!(hpet_read(HPET_TIM_CONF(timer)) & TIM_PER_INT_CAP) || !connect(timer, callback, &route)) return false;
  /* With VAL_SET the first comparator write sets the comparator, the second only the period. */
  hpet_write(HPET_TIM_CONF(timer), route | TIM_PERIODIC | TIM_VAL_SET);
  hpet_write(HPET_TIM_COMP(timer), hpet_counter() + period);
  hpet_write(HPET_TIM_COMP(timer), period);
  hpet_write(HPET_TIM_CONF(timer), route | TIM_PERIODIC | TIM_INT_ENB);
  return true;
}

bool hpet_start_oneshot(uint32_t timer, uint64_t comparator, hpet_callback callback) {
  uint64_t route;
  if (!connect(timer, callback, &route)) return false;
  hpet_write(HPET_TIM_CONF(timer), route);
  hpet_write(HPET_TIM_COMP(timer), comparator);
  hpet_write(HPET_TIM_CONF(timer), route | TIM_INT_ENB);
  return true;
}

void hpet_stop(uint32_t timer) {
  if (!hpet_present() || timer >= hpet_timer_count()) return;
  hpet_write(HPET_TIM_CONF(timer), 0);
  hpet_write(HPET_GINTR_STA, 1U << timer);
  callbacks[timer] = 0;
}
