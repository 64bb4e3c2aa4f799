/* The system tick (HPET timer 0 when the machine has one, else the generic virtual timer) and time sources. */
#ifndef TIMER_H
#define TIMER_H

#include <stdbool.h>
#include <stdint.h>

/* Starts the TICK_HZ tick on the HPET if hpet_probe() found one, else on the virtual timer (PPI 27). */
void tick_start(void);
bool tick_uses_hpet(void);
/* Ticks since tick_start(). */
uint64_t tick_count(void);
/* Prints "HPET timer 0 (SPI n)" or "generic virtual timer (INTID 27, PPI 11)". */
void tick_print_source(void);

/* The free-running counter behind uptime: the HPET main counter, else CNTVCT_EL0 (both counted from boot). */
uint64_t uptime_counter(void);
uint64_t uptime_counter_hz(void);
const char *uptime_counter_name(void);

/* The generic timer's virtual count, for timeouts that must work on every machine. */
uint64_t cntvct(void);
uint64_t cntfrq(void);
/* Sleeps in WFI until the tick count changes (at most one tick period). */
void sleep_one_tick(void);

#endif
