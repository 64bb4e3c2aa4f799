/* HPET driver (IA-PC HPET specification 1.0a): capabilities, main counter, timers routed to GIC SPIs. */
#ifndef HPET_H
#define HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"

#define HPET_GCAP_ID 0x000
#define HPET_GEN_CONF 0x010
#define HPET_GINTR_STA 0x020
#define HPET_MAIN_CNT 0x0f0
#define HPET_TIM_CONF(n) (0x100U + 0x20U * (n))
#define HPET_TIM_COMP(n) (0x108U + 0x20U * (n))

#define GCAP_REV_ID(v) ((uint32_t)(v)&0xffU)
#define GCAP_NUM_TIM(v) ((((uint32_t)(v) >> 8) & 0x1fU) + 1)
#define GCAP_COUNT_SIZE_64 (1ULL << 13)
#define GCAP_VENDOR(v) (((uint32_t)(v) >> 16) & 0xffffU)
#define GCAP_PERIOD_FS(v) ((uint32_t)((v) >> 32))

#define GEN_CONF_ENABLE 1U

#define TIM_INT_LEVEL (1ULL << 1)
#define TIM_INT_ENB (1ULL << 2)
#define TIM_PERIODIC (1ULL << 3)
#define TIM_PER_INT_CAP (1ULL << 4)
#define TIM_VAL_SET (1ULL << 6)
#define TIM_ROUTE(route) ((uint64_t)(route) << 9)
#define TIM_ROUTE_CAP(conf) ((uint32_t)((conf) >> 32))

typedef void (*hpet_callback)(void);

/* Checks the node's registers look like an HPET, then restarts the main counter from 0. */
bool hpet_probe(const struct fdt_info *fdt);
bool hpet_present(void);
uintptr_t hpet_base(void);
uint64_t hpet_read(uint32_t offset);
uint64_t hpet_counter(void);
/* Counter frequency from COUNTER_CLK_PERIOD (femtoseconds per tick). */
uint64_t hpet_hz(void);
uint32_t hpet_timer_count(void);
/* The SPI timer n interrupts on: its lowest INT_ROUTE_CAP output that the device tree connects, or -1. */
int hpet_timer_spi(uint32_t timer);

/* Level-triggered periodic interrupts every `period` counter ticks. False if the timer cannot do that. */
bool hpet_start_periodic(uint32_t timer, uint64_t period, hpet_callback callback);
/* One level-triggered interrupt when the main counter reaches `comparator`. */
bool hpet_start_oneshot(uint32_t timer, uint64_t comparator, hpet_callback callback);
void hpet_stop(uint32_t timer);

#endif
