/*
 * HPET self-test: capabilities, the main counter's rate measured against the generic timer, and a one-shot
 * comparator interrupt on timer 1 (timer 0 is the tick). On QEMU's virt, which has no HPET, it says so.
 */
#include <stdint.h>

#include "arch.h"
#include "hpet.h"
#include "printf.h"
#include "selftest.h"
#include "timer.h"

#define ONESHOT_TIMER 1U
#define ONESHOT_DELAY_US 2000U
#define TIMEOUT_MS 200U
#define RATE_TOLERANCE_PERCENT 2U

static volatile uint64_t oneshot_count_at_fire;
static volatile uint32_t oneshot_fired;

static void on_oneshot(void) {
  oneshot_count_at_fire = hpet_counter();
  oneshot_fired = oneshot_fired + 1;
}

static void print_capabilities(void) {
  uint64_t caps = hpet_read(HPET_GCAP_ID);
  printf("HPET at 0x%08lx: vendor 0x%04x, revision %u, %u timers, %s counter, period %u fs (%lu Hz)\n",
         (uint64_t)hpet_base(), GCAP_VENDOR(caps), GCAP_REV_ID(caps), GCAP_NUM_TIM(caps),
         (caps & GCAP_COUNT_SIZE_64) ? "64-bit" : "32-bit", GCAP_PERIOD_FS(caps), hpet_hz());
}

/* Over one tick, the HPET counter must advance by hpet_hz() per second of the generic timer's count. */
static bool counter_rate_ok(void) {
  sleep_one_tick();
  uint64_t hpet_start = hpet_counter(), cnt_start = cntvct();
  sleep_one_tick();
  uint64_t hpet_delta = hpet_counter() - hpet_start, cnt_delta = cntvct() - cnt_start;
  if (hpet_delta == 0 || cnt_delta == 0) return false;
  uint64_t expected = cnt_delta * hpet_hz() / cntfrq();
  uint64_t error = hpet_delta > expected ? hpet_delta - expected : expected - hpet_delta;
  return error * 100 <= expected * RATE_TOLERANCE_PERCENT;
}

struct oneshot_result {
  bool started, fired_once, on_time, status_cleared;
};

static void run_oneshot(struct oneshot_result *r) {
  oneshot_fired = 0;
  uint64_t comparator = hpet_counter() + hpet_hz() / 1000000 * ONESHOT_DELAY_US;
  r->started = hpet_start_oneshot(ONESHOT_TIMER, comparator, on_oneshot);
  if (!r->started) return;
  uint64_t deadline = cntvct() + cntfrq() / 1000 * TIMEOUT_MS;
  while (oneshot_fired == 0 && cntvct() < deadline) sleep_one_tick();
  r->status_cleared = (hpet_read(HPET_GINTR_STA) & (1U << ONESHOT_TIMER)) == 0;
  hpet_stop(ONESHOT_TIMER);
  r->fired_once = oneshot_fired == 1;
  r->on_time = r->fired_once && oneshot_count_at_fire >= comparator;
}

bool hpet_selftest(void) {
  if (!hpet_present()) {
    printf("hpet: no HPET on this machine (the device tree has no \"orrery,hpet\" node)\n");
    return true;
  }
  print_capabilities();
  uint64_t caps = hpet_read(HPET_GCAP_ID);
  bool ok = check(GCAP_REV_ID(caps) != 0 && GCAP_PERIOD_FS(caps) != 0, "GCAP_ID: revision and period set");
  ok &= check(hpet_timer_count() >= 3, "at least 3 timers");
  uint64_t before = hpet_counter();
  sleep_one_tick();
  ok &= check(hpet_counter() > before, "main counter advances");
  ok &= check(counter_rate_ok(), "main counter rate matches its period (against CNTVCT, within 2%)");
  int spi = hpet_timer_spi(ONESHOT_TIMER);
  printf("  one-shot on timer %u, SPI %d\n", ONESHOT_TIMER, spi);
  struct oneshot_result oneshot = {0};
  run_oneshot(&oneshot);
  ok &= check(oneshot.started, "timer 1 routed to an SPI the device tree lists");
  ok &= check(oneshot.fired_once, "one-shot comparator interrupt fired once");
  ok &= check(oneshot.on_time, "it fired with the main counter at or past the comparator");
  ok &= check(oneshot.status_cleared, "GINTR_STA bit cleared by the interrupt handler");
  printf("hpet: %s\n", ok ? "PASS" : "FAIL");
  return ok;
}
